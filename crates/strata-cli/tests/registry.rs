//! `strata` against a real registry: Debian's `docker-registry` (the CNCF distribution server)
//! on 127.0.0.1, started by `scripts/registry.sh` with the fixtures pushed by `skopeo copy`.
//! One instance is anonymous, one wants a user name and password (htpasswd).
//!
//! What an image says must not depend on how it reached us: `inspect` and `history` of each
//! pushed image equal those of the archive it was pushed from, but for the names.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{args, auth_registry, fixture, json, open_registry, registries, run, run_with};
use serde_json::Value;
use std::path::PathBuf;

/// `inspect` minus what legitimately differs between an archive and a registry: the names
/// (RepoTags, RepoDigests) and, for archives whose layers the push compressed, nothing else.
fn inspect_without_names(mut v: Value) -> Value {
    let o = v[0].as_object_mut().unwrap();
    assert!(o.remove("RepoTags").is_some(), "inspect has RepoTags");
    assert!(o.remove("RepoDigests").is_some(), "inspect has RepoDigests");
    v
}

/// (registry repository:tag, archive it was pushed from, extra args for both)
const PUSHED: &[(&str, &str, &[&str])] = &[
    ("strata/layers:oci", "layers.oci.tar", &[]),
    ("strata/layers:zstd", "layers.oci-zstd.tar", &[]),
    ("strata/layers:docker", "layers.docker.tar", &[]),
    ("strata/waste:3", "waste3.docker.tar", &[]),
    (
        "strata/multiarch:latest",
        "multiarch.oci.tar",
        &["--platform", "linux/amd64"],
    ),
    (
        "strata/multiarch:latest",
        "multiarch.oci.tar",
        &["--platform", "linux/arm64"],
    ),
];

#[test]
fn inspect_and_history_equal_the_archives() {
    let reg = open_registry();
    for (reference, archive, extra) in PUSHED {
        let reference = format!("{reg}/{reference}");
        let archive = fixture(archive);
        let with = |cmd: &[&str], image: &str| -> Vec<String> {
            cmd.iter()
                .copied()
                .chain([image])
                .chain(extra.iter().copied())
                .map(str::to_owned)
                .collect()
        };
        let from_registry = json(&args(&with(&["inspect"], &reference)));
        let from_archive = json(&args(&with(&["inspect"], &archive)));
        assert_eq!(
            inspect_without_names(from_registry.clone()),
            inspect_without_names(from_archive),
            "inspect of {reference} {extra:?}"
        );
        assert!(
            from_registry[0]["RepoDigests"][0]
                .as_str()
                .unwrap()
                .starts_with(&format!("{reg}/")),
            "RepoDigests names the registry: {}",
            from_registry[0]["RepoDigests"]
        );
        for format in ["json", "table"] {
            let h = |image: &str| {
                let (code, out, err) = run(&args(&with(
                    &["history", "--no-trunc", "--format", format],
                    image,
                )));
                assert_eq!(code, 0, "history of {image}: {err}");
                String::from_utf8(out).unwrap()
            };
            assert_eq!(
                h(&reference),
                h(&archive),
                "history --format {format} of {reference} {extra:?}"
            );
        }
    }
}

#[test]
fn platforms_of_a_pushed_index_are_listed_and_chosen() {
    let reg = open_registry();
    let listing = json(&[
        "images",
        "--format",
        "json",
        &format!("{reg}/strata/multiarch:latest"),
    ]);
    let archive = json(&["images", "--format", "json", &fixture("multiarch.oci.tar")]);
    let labels = |v: &Value| -> Vec<String> {
        v["images"][0]["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} {}", p["label"], p["digest"]))
            .collect()
    };
    assert_eq!(labels(&listing), labels(&archive));
    assert!(labels(&listing).len() >= 2, "{listing}");
    let (code, _, err) = run(&[
        "overview",
        &format!("{reg}/strata/multiarch:latest"),
        "--platform",
        "plan9/mips",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("plan9/mips"), "{err}");
}

#[test]
fn tags_are_listed() {
    let reg = open_registry();
    let (code, out, err) = run(&["tags", &format!("{reg}/strata/layers")]);
    assert_eq!(code, 0, "{err}");
    let mut tags: Vec<_> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    tags.sort();
    assert_eq!(tags, ["docker", "oci", "zstd"]);
}

#[test]
fn credentials_are_read_from_stdin_and_checked() {
    let reg = auth_registry();
    let user = &registries()["STRATA_REGISTRY_USER"];
    let pass = &registries()["STRATA_REGISTRY_PASS"];
    let image = format!("{reg}/strata/layers:zstd");

    let (code, out, err) = run_with(
        &[
            "history",
            "--format",
            "json",
            "--username",
            user,
            "--password-stdin",
            &image,
        ],
        &format!("{pass}\n"),
    );
    assert_eq!(code, 0, "{err}");
    let archive = json(&[
        "history",
        "--format",
        "json",
        &fixture("layers.oci-zstd.tar"),
    ]);
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), archive);

    let (code, _, err) = run_with(
        &["history", "--username", user, "--password-stdin", &image],
        "not-the-password\n",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("authentication failed for {reg}")),
        "{err}"
    );
    assert!(
        !err.contains("not-the-password"),
        "the password is echoed: {err}"
    );

    let (code, _, err) = run(&["history", &image]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("authentication failed for {reg}")),
        "{err}"
    );

    // Passwords never come from arguments.
    let (code, _, err) = run(&["history", "--username", user, &image]);
    assert_eq!(code, 2);
    assert!(err.contains("--password-stdin"), "{err}");
}

#[test]
fn missing_tags_and_repositories_say_not_found() {
    let reg = open_registry();
    for reference in [
        format!("{reg}/strata/layers:no-such-tag"),
        format!("{reg}/strata/no-such-repo:1"),
        format!("{reg}/strata/layers@sha256:{}", "0".repeat(64)),
    ] {
        let (code, _, err) = run(&["overview", &reference]);
        assert_eq!(code, 2, "{reference}");
        assert!(err.contains(&format!("not found: {reference}")), "{err}");
    }
    // Nothing listens there: a network error naming the registry, not a hang.
    let (code, _, err) = run(&["overview", "127.0.0.1:9/strata/layers:oci"]);
    assert_eq!(code, 2);
    assert!(err.contains("127.0.0.1:9"), "{err}");
}

/// Requests for blobs that are layers, counted in the registry's access log.
fn layer_blob_requests(log: &str, layers: &[String]) -> usize {
    log.lines()
        .filter(|l| l.contains("\"GET /v2/") || l.contains("\"HEAD /v2/"))
        .filter(|l| layers.iter().any(|d| l.contains(&format!("/blobs/{d}"))))
        .count()
}

#[test]
fn the_overview_reads_no_layer_blob_and_verify_reads_them_all() {
    let reg = open_registry();
    let image = format!("{reg}/strata/layers:oci");
    let manifest = json(&["manifest", &image]);
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect();
    let log_path = PathBuf::from(&registries()["STRATA_REGISTRY_LOGS"]).join("open.log");
    let before = std::fs::read_to_string(&log_path).unwrap();
    let (code, _, err) = run(&["overview", &image]);
    assert_eq!(code, 0, "{err}");
    // The access log is written as requests complete; give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = std::fs::read_to_string(&log_path).unwrap();
    let new = &after[before.len()..];
    assert!(
        new.contains("/manifests/oci"),
        "the overview was not logged:\n{new}"
    );
    assert_eq!(layer_blob_requests(new, &layers), 0, "{new}");

    let (code, out, err) = run(&["overview", "--verify", &image]);
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("every digest and diff_id matches"), "{out}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after2 = std::fs::read_to_string(&log_path).unwrap();
    assert!(layer_blob_requests(&after2[after.len()..], &layers) >= layers.len());
}

#[test]
fn files_are_read_from_registry_layers() {
    let reg = open_registry();
    for tag in ["oci", "zstd", "docker"] {
        let image = format!("{reg}/strata/layers:{tag}");
        let (code, out, err) = run(&["cat", &image, "/data/keep.txt"]);
        assert_eq!(code, 0, "{err}");
        let (_, want, _) = run(&["cat", &fixture("layers.oci.tar"), "/data/keep.txt"]);
        assert_eq!(out, want, "{tag}");
        let a = json(&["ls", "--format", "json", &image]);
        let b = json(&["ls", "--format", "json", &fixture("layers.oci.tar")]);
        assert_eq!(a["files"], b["files"], "ls of {tag}");
    }
}

#[test]
fn a_layer_whose_media_type_lies_is_read_as_what_it_is() {
    // skopeo pushes a docker-archive's plain tar layers under the `tar.gzip` media type.
    let image = format!("{}/strata/layers:docker", open_registry());
    let (code, out, err) = run(&["overview", "--verify", &image]);
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(
            "layer 1: the media type says a gzip-compressed tar but the blob is an uncompressed tar"
        ),
        "{out}"
    );
    assert!(out.contains("every digest and diff_id matches"), "{out}");
}
