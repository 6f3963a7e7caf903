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
