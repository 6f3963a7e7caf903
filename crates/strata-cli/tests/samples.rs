//! The samples on the start page (`www/samples/`, committed so that building the app needs no
//! root and no buildah) are what scripts/fixtures.sh builds with the real tools today: same
//! images, same files (docker-archives byte for byte). If this fails, run
//! `scripts/fixtures.sh target/fixtures && scripts/samples.sh` and commit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, json, root};
use serde_json::Value;

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
        let built = fixture(file);
        let size = std::fs::metadata(&sample).unwrap().len();
        assert_eq!(s["size"].as_u64(), Some(size), "{file}: index.json's size");
        total += size;
        assert_eq!(
            json(&["inspect", &sample]),
            json(&["inspect", &built]),
            "{file}: inspect"
        );
        assert_eq!(
            json(&["ls", "--format", "json", &sample]),
            json(&["ls", "--format", "json", &built]),
            "{file}: files"
        );
        if file.ends_with(".docker.tar") {
            assert!(
                std::fs::read(&sample).unwrap() == std::fs::read(&built).unwrap(),
                "{file}: not byte-identical to the fixture (rerun scripts/samples.sh)"
            );
        }
    }
    assert!(total < 15_000_000, "samples take {total} bytes");
}
