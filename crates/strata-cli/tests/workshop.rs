//! `strata workshop pack`: the exercise files given with `--exercises` land in the pack byte
//! for byte, listed in `exercises/index.json` (what the page loads beside the built-in course),
//! and the start page links each of their exercises by id; an id used twice in the pack is
//! refused naming the file and the field, and hostile titles stay text.
//!
//! The app folder packed here is laid out as `trunk build --release` writes it (index.html,
//! sw.js, samples/ with the committed samples, exercises/index.json), without its wasm: the
//! pack copies files and does not run them; the e2e spec packs the real build.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, root, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn app_folder(at: &Path) -> PathBuf {
    let dist = at.join("dist");
    std::fs::create_dir_all(dist.join("samples")).unwrap();
    std::fs::create_dir_all(dist.join("exercises")).unwrap();
    std::fs::copy(root().join("index.html"), dist.join("index.html")).unwrap();
    std::fs::copy(root().join("www/sw.js"), dist.join("sw.js")).unwrap();
    std::fs::copy(
        root().join("www/exercises/index.json"),
        dist.join("exercises/index.json"),
    )
    .unwrap();
    std::fs::copy(
        root().join("www/samples/index.json"),
        dist.join("samples/index.json"),
    )
    .unwrap();
    for s in ["tags.docker.tar", "waste-demo.docker.tar"] {
        std::fs::copy(
            root().join("www/samples").join(s),
            dist.join("samples").join(s),
        )
        .unwrap();
    }
    dist
}

fn exercise_file(title: &str, id: &str) -> String {
    serde_json::json!({
        "format": "strata-exercises/1",
        "title": title,
        "exercises": [{
            "id": id,
            "title": "<script>window.__xss=1</script>",
            "image": { "sample": "tags.docker.tar" },
            "question": { "kind": "tags_share_image_id", "tag": "localhost/strata/clean:1.0" }
        }]
    })
    .to_string()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("strata-workshop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn packed_exercise_files_are_listed_for_the_page_and_linked() {
    let d = temp("pack");
    let dist = app_folder(&d);
    let (a, b) = (d.join("a.json"), d.join("b.json"));
    std::fs::write(&a, exercise_file("Week <2>", "week-2-tags")).unwrap();
    std::fs::write(&b, exercise_file("Week 3", "week-3-tags")).unwrap();
    let pack = d.join("pack");
    let p = |p: &Path| p.to_string_lossy().into_owned();
    let (code, _, err) = run(&[
        "workshop",
        "pack",
        &p(&pack),
        "--dist",
        &p(&dist),
        "--sample",
        "tags.docker.tar",
        "--exercises",
        &p(&a),
        "--exercises",
        &p(&b),
    ]);
    assert_eq!(code, 0, "{err}");
    let index: Value =
        serde_json::from_slice(&std::fs::read(pack.join("exercises/index.json")).unwrap()).unwrap();
    assert_eq!(
        index,
        serde_json::json!(["exercises-1.json", "exercises-2.json"])
    );
    assert_eq!(
        std::fs::read(pack.join("exercises/exercises-1.json")).unwrap(),
        std::fs::read(&a).unwrap()
    );
    assert_eq!(
        std::fs::read(pack.join("exercises/exercises-2.json")).unwrap(),
        std::fs::read(&b).unwrap()
    );
    let html = std::fs::read_to_string(pack.join("workshop.html")).unwrap();
    for id in ["week-2-tags", "week-3-tags", "two-tags"] {
        assert!(
            html.contains(&format!(
                "data-exercise=\"{id}\" href=\"index.html#/overview?exercise={id}\""
            )),
            "{id}: {html}"
        );
    }
    // Exercises on samples left out of the pack are not listed.
    assert!(!html.contains("data-exercise=\"deletion-saves\""));
    assert!(html.contains("<h2>Week &lt;2&gt;</h2>"));
    assert!(html.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_id_used_twice_in_a_pack_is_refused_naming_the_file_and_field() {
    let d = temp("twice");
    let dist = app_folder(&d);
    let p = |p: &Path| p.to_string_lossy().into_owned();
    let (a, b) = (d.join("a.json"), d.join("b.json"));
    std::fs::write(&a, exercise_file("A", "mine")).unwrap();
    // `two-tags` is the built-in course's.
    std::fs::write(&b, exercise_file("B", "two-tags")).unwrap();
    let out = std::process::Command::new(STRATA)
        .args(["workshop", "pack", &p(&d.join("pack")), "--dist", &p(&dist)])
        .args(["--exercises", &p(&a), "--exercises", &p(&b)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: exercises[0].id: `two-tags` is already the id of an exercise in built-in",
            b.display()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
