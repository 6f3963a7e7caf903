//! A snapshot file is an IMAGE like any other for the CLI: every command that needs no file
//! contents prints what it prints for the image the snapshot was made from, `strata diff`
//! compares a snapshot with an image (a saved baseline against today's build), and reading a
//! file's bytes is refused with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, run};

fn stdout(args: &[&str]) -> Vec<u8> {
    let (code, out, err) = run(args);
    assert!(code == 0 || code == 1, "strata {args:?}: {err}");
    out
}

#[test]
fn a_snapshot_answers_like_the_image_it_was_made_from() {
    let dir = std::env::temp_dir().join(format!("strata-snapshot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["layers.oci.tar", "layers.docker.tar", "zeros.oci-zstd.tar"] {
        let image = fixture(name);
        let snap = dir.join(format!("{name}.strata"));
        let snap_s = snap.to_str().unwrap();
        let (code, _, err) = run(&["snapshot", "-o", snap_s, &image]);
        assert_eq!(code, 0, "{err}");
        assert!(std::fs::metadata(&snap).unwrap().len() < std::fs::metadata(&image).unwrap().len());
        for args in [
            &["inspect"][..],
            &["history", "--format", "json", "--no-trunc"],
            &["manifest"],
            &["config"],
            &["ls", "--merged", "--format", "json"],
            &["ls", "--layer", "2", "--format", "json"],
            &["timeline", "--format", "json"],
            &["ci", "--format", "json"],
            &["hints", "--format", "json"],
        ] {
            let mut from_image = args.to_vec();
            let mut from_snapshot = args.to_vec();
            from_image.push(&image);
            from_snapshot.push(snap_s);
            if args[0] == "timeline" {
                from_image.push("bin/busybox");
                from_snapshot.push("bin/busybox");
            }
            let (a, b) = (stdout(&from_image), stdout(&from_snapshot));
            assert!(!a.is_empty(), "{name}: {args:?} printed nothing");
            assert!(
                a == b,
                "{name}: `strata {args:?}` differs on the snapshot:\n{}\n---\n{}",
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b)
            );
        }
        // Every digest the snapshot carries still checks against the manifest and config.
        let (code, out, err) = run(&["overview", "--verify", snap_s]);
        assert_eq!(code, 0, "{err}");
        assert!(
            String::from_utf8_lossy(&out).contains("every digest and diff_id matches"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        // Compared with its image: every layer shared, no file differs.
        let d: serde_json::Value =
            serde_json::from_slice(&stdout(&["diff", "--format", "json", snap_s, &image])).unwrap();
        assert_eq!(d["only_a_layers"].as_array().unwrap().len(), 0, "{d}");
        assert_eq!(d["only_b_layers"].as_array().unwrap().len(), 0, "{d}");
        assert_eq!(d["files"].as_array().unwrap().len(), 0, "{d}");
        // The listing says what it is.
        let (code, out, err) = run(&["images", snap_s]);
        assert_eq!(code, 0, "{err}");
        assert!(
            String::from_utf8_lossy(&out).contains(&format!("snapshot of {name}")),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    // File contents are not in a snapshot: refused, with the reason, exit code 2.
    let snap = dir.join("layers.oci.tar.strata");
    let (code, out, err) = run(&["cat", snap.to_str().unwrap(), "bin/busybox"]);
    assert_eq!((code, out.len()), (2, 0), "{err}");
    assert!(err.contains("a snapshot holds no file contents"), "{err}");
    // --platform means nothing for a snapshot.
    let (code, _, err) = run(&[
        "inspect",
        "--platform",
        "linux/arm64",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--platform do not apply"), "{err}");
    // A damaged snapshot is named as such, not taken for an archive.
    let mut bytes = std::fs::read(&snap).unwrap();
    bytes.truncate(bytes.len() / 2);
    let cut = dir.join("cut.strata");
    std::fs::write(&cut, &bytes).unwrap();
    let (code, _, err) = run(&["inspect", cut.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the snapshot file") && err.contains("damaged"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Snapshots people saved before the format's version 3 (whose entries held their owners and
/// stored sizes inline) still open, and answer as the Strata that wrote them did: the file and
/// each `expected/` output were written by Strata at e5405b6 (format 2) from the layers
/// fixture, whose files have two owners (0 and 65534), links, whiteouts and odd names. Saved
/// again, such a snapshot is written in this version's format and answers the same.
#[test]
fn a_snapshot_of_format_2_answers_as_the_strata_that_wrote_it() {
    let fixtures = common::root().join("tests/fixtures/snapshot-v2");
    let v2 = fixtures.join("layers.oci.tar.strata");
    let v2 = v2.to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("strata-snapshot-v2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let again = dir.join("again.strata");
    let again = again.to_str().unwrap();
    let (code, _, err) = run(&["snapshot", "-o", again, v2]);
    assert_eq!(code, 0, "{err}");
    let body = |path: &str| {
        let file = std::fs::read(path).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&file[b"STRATA-SNAPSHOT\n".len()..]),
            &mut out,
        )
        .unwrap();
        out
    };
    // postcard writes the version first, as a varint.
    assert_eq!(body(v2)[0], 2);
    assert_eq!(body(again)[0], 3);
    for (expected, args) in [
        ("inspect.json", &["inspect"][..]),
        (
            "history.json",
            &["history", "--format", "json", "--no-trunc"],
        ),
        ("ls-merged.json", &["ls", "--merged", "--format", "json"]),
        ("ls-merged.txt", &["ls", "--merged"]),
        (
            "ls-layer2.json",
            &["ls", "--layer", "2", "--format", "json"],
        ),
        (
            "ls-layer3.json",
            &["ls", "--layer", "3", "--format", "json"],
        ),
        (
            "ls-layer3-changes.json",
            &["ls", "--layer", "3", "--changes-only", "--format", "json"],
        ),
        (
            "ls-layer4.json",
            &["ls", "--layer", "4", "--format", "json"],
        ),
        ("hints.json", &["hints", "--format", "json"]),
        ("ci.json", &["ci", "--format", "json"]),
        ("timeline-owned.json", &["timeline", "--format", "json"]),
    ] {
        let want = std::fs::read(fixtures.join("expected").join(expected)).unwrap();
        for snap in [v2, again] {
            let mut argv = args.to_vec();
            argv.push(snap);
            if args[0] == "timeline" {
                argv.push("app/owned");
            }
            let got = stdout(&argv);
            assert!(
                got == want,
                "`strata {argv:?}` is not what format 2's Strata printed ({expected}):\n{}",
                String::from_utf8_lossy(&got)
            );
        }
    }
    // The owners came through: the file chowned to 65534 and root's others.
    let ls: serde_json::Value =
        serde_json::from_slice(&stdout(&["ls", "--format", "json", v2])).unwrap();
    let owned = ls["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "app/owned")
        .unwrap();
    assert_eq!(
        (&owned["uid"], &owned["gid"]),
        (&65534.into(), &65534.into()),
        "{owned}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
