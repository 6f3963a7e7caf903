//! `strata diff` on real images: two built from the same base share that layer's blob; one
//! image in two archive flavours is the same content; the file diff says what `ls` says.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, fixture, json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn paths(ls: &Value) -> BTreeSet<String> {
    ls["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn images_from_one_base_share_its_blob_and_differ_in_files_as_ls_says() {
    let (a, b) = (fixture("layers.docker.tar"), fixture("clean.docker.tar"));
    let d = json(&["diff", "--format", "json", &a, &b]);
    let shared = d["shared_layers"].as_array().unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["by"], "digest");
    assert_eq!(shared[0]["a"]["layer"], 1);
    assert_eq!(d["only_a_layers"].as_array().unwrap().len(), 3);
    assert_eq!(d["only_b_layers"].as_array().unwrap().len(), 1);
    let keys: Vec<&str> = d["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"config.Cmd") && keys.contains(&"config.Labels.evil"),
        "{keys:?}"
    );
    assert_eq!(d["history"]["common"], 1);
    // Added and removed are exactly the difference of the two final listings.
    let (la, lb) = (
        paths(&json(&["ls", "--format", "json", &a])),
        paths(&json(&["ls", "--format", "json", &b])),
    );
    let files = d["files"].as_array().unwrap();
    let of = |c: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter(|f| f["change"] == c)
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(of("added"), lb.difference(&la).cloned().collect());
    assert_eq!(of("removed"), la.difference(&lb).cloned().collect());
    assert_eq!(d["summary"]["added"], of("added").len());
    // The table says the same.
    let out = Command::new(STRATA)
        .args(["diff", &a, &b])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Layers: 1 shared (2.03 MiB stored once), 3 only in A, 1 only in B"),
        "{text}"
    );
    assert!(text.contains("+ /srv/hello.txt  +6"), "{text}");
}

#[test]
fn one_image_in_two_flavours_is_the_same_content() {
    let d = json(&[
        "diff",
        "--format",
        "json",
        &fixture("layers.docker.tar"),
        &fixture("layers.oci-zstd.tar"),
    ]);
    let shared = d["shared_layers"].as_array().unwrap();
    assert_eq!(shared.len(), 4);
    assert!(
        shared.iter().all(|s| s["by"] == "diff_id"),
        "compressed differently: {shared:?}"
    );
    assert_eq!(d["files"].as_array().unwrap().len(), 0);
    assert_eq!(d["config"].as_array().unwrap().len(), 0);
    assert_eq!(d["a"]["id"], d["b"]["id"]);
}
