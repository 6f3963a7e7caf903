//! The samples on the start page (`www/samples/`, committed so that building the app needs no
//! root and no buildah) are what scripts/fixtures.sh (and, for the two cache builds,
//! scripts/cache-fixtures.sh) builds with the real tools today: same images, same files
//! (docker-archives byte for byte). If this fails, run
//! `scripts/fixtures.sh target/fixtures && scripts/samples.sh` and commit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, json, root};
use serde_json::Value;
use std::process::Command;

/// Where scripts/cache-fixtures.sh keeps its builds (it builds them when they are not there).
fn cache_builds() -> String {
    let out = Command::new(root().join("scripts/cache-fixtures.sh"))
        .output()
        .expect("scripts/cache-fixtures.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_samples_are_the_fixtures_and_stay_small() {
    let dir = root().join("www/samples");
    let index: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    assert!(index.len() >= 3);
    let mut total = 0;
    for s in &index {
        let file = s["file"].as_str().unwrap();
        let sample = dir.join(file).to_string_lossy().into_owned();
        let built = if file == "cache-builds.docker.tar" {
            format!("{}/{file}", cache_builds())
        } else {
            fixture(file)
        };
        let size = std::fs::metadata(&sample).unwrap().len();
        assert_eq!(s["size"].as_u64(), Some(size), "{file}: index.json's size");
        total += size;
        let images = json(&["images", "--format", "json", &sample]);
        assert_eq!(
            images,
            json(&["images", "--format", "json", &built]),
            "{file}: images"
        );
        // Each image of the archive (two tags of one image are one).
        for n in 0..images["images"].as_array().unwrap().len() {
            let n = n.to_string();
            assert_eq!(
                json(&["inspect", "--image", &n, &sample]),
                json(&["inspect", "--image", &n, &built]),
                "{file}: inspect image {n}"
            );
            assert_eq!(
                json(&["ls", "--image", &n, "--format", "json", &sample]),
                json(&["ls", "--image", &n, "--format", "json", &built]),
                "{file}: image {n}'s files"
            );
        }
        if file.ends_with(".docker.tar") {
            assert!(
                std::fs::read(&sample).unwrap() == std::fs::read(&built).unwrap(),
                "{file}: not byte-identical to the fixture (rerun scripts/samples.sh)"
            );
        }
    }
    assert!(total < 15_000_000, "samples take {total} bytes");
}
