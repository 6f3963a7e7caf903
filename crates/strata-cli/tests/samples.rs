//! The samples on the start page (`www/samples/`, committed so that building the app needs no
//! root and no buildah) are what scripts/fixtures.sh (and, for the two cache builds,
//! scripts/cache-fixtures.sh) builds with the real tools today: same images, same files
//! (docker-archives byte for byte). If this fails, run
//! `scripts/fixtures.sh target/fixtures && scripts/samples.sh` and commit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{cache_builds, fixture, json, root};
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
        let built = if file == "cache-builds.docker.tar" {
            cache_builds().join(file).to_string_lossy().into_owned()
        } else {
            fixture(file)
        };
        let size = std::fs::metadata(&sample).unwrap().len();
        assert_eq!(s["size"].as_u64(), Some(size), "{file}: index.json's size");
        total += size;
        let images = json(&["images", "--format", "json", &sample]);
        assert_eq!(
            listed(&images),
            listed(&json(&["images", "--format", "json", &built])),
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

/// `strata images` output as compared here: the platforms of an index in label order, and
/// without the index's own digest. buildah writes a manifest list's platforms in the order its
/// builds finish, so the index (and its digest) differs between two runs of the fixture
/// script while every manifest and attestation in it (their digests are kept) is the same.
fn listed(images: &Value) -> Value {
    let mut v = images.clone();
    for image in v["images"].as_array_mut().into_iter().flatten() {
        if let Some(platforms) = image["platforms"].as_array_mut()
            && platforms.len() > 1
        {
            platforms.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));
            image["digest"] = Value::Null;
        }
    }
    v
}
