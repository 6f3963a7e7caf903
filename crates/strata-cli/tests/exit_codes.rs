//! Exit codes on damaged images, command by command: every command that reads layers prints
//! what it could and exits 3 when a blob is missing, is not a tar, is cut short, trips a limit
//! or does not match its digest; 0 on an intact image; 2 when nothing could be done. `ci`
//! fails a damaged image whatever its thresholds, naming the layer and why, and every JSON
//! output carries the diagnostics.
//!
//! The damaged images come from two places: copies of real archives (skopeo's docker-archive
//! of `layers`, with one bit flipped, one tar header broken, a blob left out; made by
//! `scripts/fixtures.sh`; and the hostile corpus's gzip bomb), and archives written here from
//! the documented `docker save` layout (manifest.json, a config named by its sha256, layer
//! files) with consistent digests, so that the only fault is the one named: a layer that is
//! a few bytes of text, and a tar layer cut in half.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, root, run};
use serde_json::{Value, json};
use std::path::PathBuf;

fn sha256(b: &[u8]) -> String {
    strata_core::Digest::sha256_of(b).hex().to_owned()
}

/// A `docker save` archive (the layout containers/image and docker write) holding one image
/// whose layers are `layers`, as given, with the config's diff_ids their real sha256.
fn docker_archive(name: &str, layers: &[Vec<u8>]) -> PathBuf {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256(l)))
        .collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|_| json!({"created_by": "test layer"})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let config_name = format!("{}.json", sha256(&config));
    let layer_names: Vec<String> = layers
        .iter()
        .map(|l| format!("{}.tar", sha256(l)))
        .collect();
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": [format!("test/{name}:1")],
        "Layers": layer_names,
    }]))
    .unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    };
    add(&config_name, &config);
    for (n, l) in layer_names.iter().zip(layers) {
        add(n, l);
    }
    add("manifest.json", &manifest);
    let dir = root().join("target/exit-codes");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.tar"));
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    path
}

/// A small layer: one file, `app/hello.txt`.
fn tar_layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

struct Case {
    name: &'static str,
    archive: String,
    /// A path the image has (in an intact layer, where there is one), for cat and timeline.
    path: &'static str,
    /// What the damage diagnostic must say.
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let hello = tar_layer(&[("app/hello.txt", b"hello\n")]);
    let mut big = Vec::new();
    for i in 0..40 {
        big.push((format!("data/f{i}"), vec![b'x'; 3000 + i]));
    }
    let big_refs: Vec<(&str, &[u8])> = big
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let cut = {
        let t = tar_layer(&big_refs);
        t[..t.len() / 2].to_vec()
    };
    vec![
        Case {
            name: "a layer that is not a tar",
            archive: docker_archive("not-a-tar", &[b"this is not a tar\n".to_vec()])
                .to_string_lossy()
                .into_owned(),
            path: "/app/hello.txt",
            says: "layer 1",
        },
        Case {
            name: "a tar layer cut in half",
            archive: docker_archive("cut-layer", &[hello.clone(), cut])
                .to_string_lossy()
                .into_owned(),
            path: "/app/hello.txt",
            says: "needs",
        },
        Case {
            name: "a flipped bit (digest mismatch)",
            archive: fixture("broken.flipped.tar"),
            path: "/bin/busybox",
            says: "but its bytes hash to",
        },
        Case {
            name: "a broken tar header",
            archive: fixture("broken.header.tar"),
            path: "/bin/busybox",
            says: "corrupt tar header",
        },
        Case {
            name: "a missing blob",
            archive: fixture("broken.missing.tar"),
            path: "/bin/busybox",
            says: "missing from the archive",
        },
        Case {
            name: "a gzip bomb (max_decompression_ratio)",
            archive: root()
                .join("target/hostile/gzip-bomb.tar")
                .to_string_lossy()
                .into_owned(),
            path: "/",
            says: "max_decompression_ratio",
        },
    ]
}

/// Every command that reads layers, as a script would run it, with a JSON variant where the
/// command has one (whose `diagnostics` must name the damage).
fn commands(archive: &str, path: &str, snapshot: &str) -> Vec<(Vec<String>, bool)> {
    let a = archive.to_owned();
    let v = |args: &[&str]| args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (v(&["ls", &a]), false),
        (v(&["ls", "--merged", "--format", "json", &a]), true),
        (v(&["ls", "--layer", "1", "--format", "json", &a]), true),
        (v(&["cat", &a, path]), false),
        (v(&["timeline", "--format", "json", &a, path]), true),
        (v(&["timeline", &a, path]), false),
        (v(&["ci", &a]), false),
        (
            v(&[
                "ci",
                "--lowest-efficiency",
                "0",
                "--highest-user-wasted-percent",
                "1",
                "--format",
                "json",
                &a,
            ]),
            true,
        ),
        (v(&["hints", &a]), false),
        (v(&["hints", "--format", "json", &a]), true),
        (v(&["diff", &a, &a]), false),
        (v(&["diff", "--format", "json", &a, &a]), true),
        (v(&["snapshot", "-o", snapshot, &a]), false),
        (v(&["stats", "--format", "json", &a]), true),
        (v(&["overview", "--verify", &a]), false),
        (v(&["overview", "--verify", "--format", "json", &a]), true),
    ]
}

/// The diagnostics of a command's JSON, wherever the command puts them.
fn diagnostics(out: &Value) -> Vec<Value> {
    match &out["diagnostics"] {
        Value::Array(d) => d.clone(),
        Value::Object(sides) => sides
            .values()
            .flat_map(|v| v.as_array().unwrap().clone())
            .collect(),
        other => panic!("no diagnostics in the output: {other}"),
    }
}

#[test]
fn every_command_that_reads_layers_exits_3_on_a_damaged_image_after_printing_what_it_could() {
    std::fs::create_dir_all(root().join("target/exit-codes")).unwrap();
    let snap = root().join("target/exit-codes/out.strata");
    let snap = snap.to_str().unwrap();
    for case in cases() {
        for (args, is_json) in commands(&case.archive, case.path, snap) {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, out, err) = run(&argv);
            assert_eq!(
                code, 3,
                "{}: strata {argv:?} exits 3, not {code}: {err}",
                case.name
            );
            assert!(!err.contains("panicked"), "{}: {err}", case.name);
            assert!(
                err.contains("the image is damaged") || argv[0] == "ci",
                "{}: strata {argv:?} says so on stderr: {err}",
                case.name
            );
            if is_json {
                let v: Value = serde_json::from_slice(&out)
                    .unwrap_or_else(|e| panic!("{}: strata {argv:?}: not JSON ({e})", case.name));
                let d = diagnostics(&v);
                assert!(
                    d.iter().any(|d| d["severity"] == "error"
                        && format!("{} {}", d["subject"], d["message"]).contains(case.says)),
                    "{}: strata {argv:?}: the JSON names the damage ({}): {d:?}",
                    case.name,
                    case.says
                );
            }
        }
    }
}

#[test]
fn ci_fails_a_damaged_image_whatever_its_thresholds_and_names_the_layer() {
    for case in cases() {
        let (code, out, _) = run(&[
            "ci",
            "--lowest-efficiency",
            "0",
            "--highest-user-wasted-percent",
            "1",
            &case.archive,
        ]);
        assert_eq!(code, 3, "{}", case.name);
        let text = String::from_utf8(out).unwrap();
        let rule = text
            .lines()
            .find(|l| l.contains("imageIntegrity"))
            .unwrap_or_else(|| panic!("{}: no integrity rule in\n{text}", case.name));
        assert!(
            rule.contains("FAIL") && rule.contains(case.says),
            "{}: {rule}",
            case.name
        );
        assert!(text.contains("Result:FAIL"), "{}: {text}", case.name);
        let (_, out, _) = run(&[
            "ci",
            "--lowest-efficiency",
            "0",
            "--format",
            "json",
            &case.archive,
        ]);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            (v["passed"].as_bool(), v["damaged"].as_bool()),
            (Some(false), Some(true)),
            "{}",
            case.name
        );
    }
}

#[test]
fn an_intact_image_exits_0_and_a_command_that_cannot_start_exits_2() {
    let intact = fixture("layers.docker.tar");
    std::fs::create_dir_all(root().join("target/exit-codes")).unwrap();
    let snap = root().join("target/exit-codes/intact.strata");
    for (args, _) in commands(&intact, "/data/keep.txt", snap.to_str().unwrap()) {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = run(&argv);
        // `ci` may fail a rule on purpose (1); layers.docker passes dive's defaults.
        assert_eq!(code, 0, "strata {argv:?}: {err}");
    }
    for argv in [
        &["ls", "/nonexistent/image.tar"][..],
        &["ls", "--layer", "99", &intact],
        &["cat", &intact, "/no/such/file"],
        &["ls", "--bogus-flag", &intact],
        &["ls", &fixture("broken.truncated.tar")],
    ] {
        let (code, _, err) = run(argv);
        assert_eq!(code, 2, "strata {argv:?}: {err}");
        assert!(
            err.starts_with("strata: ") || err.contains("error:"),
            "{err}"
        );
    }
}
