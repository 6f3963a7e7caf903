//! "Why did the cache break?" on two real builds: buildah built one Containerfile twice with its
//! layer cache (`--layers`), the second time with one source file changed
//! (scripts/cache-fixtures.sh). The boundary Strata reports must be the one the builder made:
//! the layers whose digests `skopeo inspect` lists identically at the start of both builds, the
//! step `buildah inspect` records first differently, and the bytes of the layers after it as
//! the manifest states them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, cache_builds, json};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn read(p: PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

#[test]
fn the_cache_breaks_where_the_builder_stopped_reusing_layers() {
    let dir = cache_builds();
    let oracle = |n: u32, what: &str| read(dir.join(format!("oracle/build-{n}.{what}.json")));
    let digests = |v: &Value| -> Vec<String> {
        v["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    };
    let (la, lb) = (digests(&oracle(1, "skopeo")), digests(&oracle(2, "skopeo")));
    let reused = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    assert!(
        reused > 0 && reused < lb.len(),
        "the builds must share a start and differ after it"
    );
    // The builder's history, oldest first: the first step recorded differently.
    let steps = |n: u32| -> Vec<Value> {
        oracle(n, "buildah")["OCIv1"]["history"]
            .as_array()
            .unwrap()
            .clone()
    };
    let (ha, hb) = (steps(1), steps(2));
    let broke = ha.iter().zip(&hb).take_while(|(x, y)| x == y).count();
    let sizes: Vec<u64> = oracle(2, "manifest")["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .collect();
    let rebuilt_bytes: u64 = sizes[reused..].iter().sum();

    let (a, b) = (
        dir.join("build-1.docker.tar")
            .to_string_lossy()
            .into_owned(),
        dir.join("build-2.docker.tar")
            .to_string_lossy()
            .into_owned(),
    );
    let d = json(&["diff", "--format", "json", &a, &b]);
    let c = &d["cache"];
    assert_eq!(c["basis"], "history");
    assert_eq!(c["reused_layers"], reused);
    assert_eq!(c["reused_steps"], broke);
    let br = &c["broke_at"];
    assert_eq!(br["step"], broke + 1);
    assert_eq!(br["created_by_a"], ha[broke]["created_by"]);
    assert_eq!(br["created_by_b"], hb[broke]["created_by"]);
    assert_eq!(br["layer"], reused + 1);
    // Only app.py changed between the builds, and the step copies it: its input changed.
    assert_eq!(br["reason"], "input_changed");
    assert_eq!(br["paths"], serde_json::json!(["/app/app.py"]));
    let rebuilt: Vec<&str> = c["rebuilt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    assert_eq!(
        rebuilt,
        lb[reused..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(c["rebuilt_bytes"], rebuilt_bytes);
    assert_eq!(c["reused_bytes"], sizes[..reused].iter().sum::<u64>());
    // The steps after the break whose instruction the builder recorded identically are the
    // reordering hint: every later layer-making step of this Containerfile is one.
    let later_layer_steps: Vec<usize> = hb
        .iter()
        .enumerate()
        .skip(broke + 1)
        .filter(|(i, h)| h["empty_layer"] != true && ha[*i]["created_by"] == h["created_by"])
        .map(|(i, _)| i + 1)
        .collect();
    assert!(!later_layer_steps.is_empty());
    let hinted: Vec<u64> = c["reorder"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(
        hinted,
        later_layer_steps
            .iter()
            .map(|&s| s as u64)
            .collect::<Vec<_>>()
    );

    // The table says the same, in words.
    let out = Command::new(STRATA)
        .args(["diff", &a, &b])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!(
        "Cache: layers 1–{reused} reused; the cache broke at step {}",
        broke + 1
    );
    assert!(text.contains(&want), "{want:?} not in:\n{text}");
    assert!(text.contains("its input changed"), "{text}");
    for (i, d) in lb.iter().enumerate().skip(reused) {
        let line = format!("rebuilt B{}  {d}", i + 1);
        assert!(text.contains(&line), "{line:?} not in:\n{text}");
    }
    assert!(text.contains("hint: step "), "{text}");

    // The same build against itself: nothing broke.
    let same = json(&["diff", "--format", "json", &b, &b]);
    assert_eq!(same["cache"]["broke_at"], Value::Null);
    assert_eq!(same["cache"]["reused_layers"], lb.len());
    assert!(same["cache"]["rebuilt"].as_array().unwrap().is_empty());
}
