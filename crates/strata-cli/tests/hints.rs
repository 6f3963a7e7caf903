//! `strata hints` on real images: `hints.docker.tar` was built (by buildah, in
//! scripts/fixtures.sh) to trigger every finding, `clean.docker.tar` to trigger none. One test
//! per finding, each checking its evidence, and that the clean image does not have it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, fixture};
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;

fn hints_of(archive: &str) -> Vec<Value> {
    let out = Command::new(STRATA)
        .args(["hints", "--format", "json", &fixture(archive)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "strata hints {archive}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["hints"]
        .as_array()
        .unwrap()
        .clone()
}

fn triggered() -> &'static Vec<Value> {
    static H: OnceLock<Vec<Value>> = OnceLock::new();
    H.get_or_init(|| hints_of("hints.docker.tar"))
}

fn clean() -> &'static Vec<Value> {
    static H: OnceLock<Vec<Value>> = OnceLock::new();
    H.get_or_init(|| hints_of("clean.docker.tar"))
}

/// The finding `code` on the triggering image (exactly one), after checking the clean image
/// has none.
#[track_caller]
fn finding(code: &str) -> &'static Value {
    assert!(
        !clean().iter().any(|h| h["code"] == code),
        "{code} fired on the clean image: {:#?}",
        clean()
    );
    let found: Vec<&Value> = triggered().iter().filter(|h| h["code"] == code).collect();
    assert_eq!(
        found.len(),
        1,
        "{code} on the hints image: {:#?}",
        triggered()
    );
    found[0]
}

/// (layer, path, bytes, note) of an evidence item.
type Seen = (Option<u64>, Option<String>, Option<u64>, String);

fn evidence(h: &Value) -> Vec<Seen> {
    h["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["layer"].as_u64(),
                e["path"].as_str().map(str::to_owned),
                e["bytes"].as_u64(),
                e["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_clean_image_has_no_finding_at_all() {
    assert_eq!(clean(), &Vec::<Value>::new());
}

#[test]
fn latest_tag() {
    let h = finding("latest-tag");
    assert_eq!(evidence(h)[0].3, "docker.io/strata/hints:latest");
}

#[test]
fn root_user() {
    let h = finding("root-user");
    assert_eq!(evidence(h)[0].3, "config.User is empty");
}

#[test]
fn chainable_runs() {
    let h = finding("chainable-runs");
    let ev = evidence(h);
    assert_eq!(
        ev.iter().map(|e| e.0).collect::<Vec<_>>(),
        [Some(2), Some(3), Some(4)]
    );
    assert!(
        ev[0]
            .3
            .starts_with("/bin/sh -c mkdir -p /var/lib/apt/lists"),
        "{}",
        ev[0].3
    );
}

#[test]
fn package_cache() {
    let h = finding("package-cache");
    let ev = evidence(h);
    let apt = ev
        .iter()
        .find(|e| e.3.starts_with("apt package lists"))
        .unwrap();
    assert_eq!(
        (apt.0, apt.1.as_deref(), apt.2),
        (Some(2), Some("var/lib/apt/lists"), Some(200 * 1024))
    );
    assert!(
        ev.iter()
            .any(|e| e.3.starts_with("npm's cache") && e.0 == Some(2))
    );
    assert!(
        ev.iter()
            .any(|e| e.3.starts_with("apk's package cache") && e.0 == Some(2))
    );
}

#[test]
fn deleted_later() {
    let h = finding("deleted-later");
    let ev = evidence(h);
    let paths: Vec<_> = ev
        .iter()
        .map(|e| (e.1.clone().unwrap(), e.2.unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            ("srv/app/scratch.bin".to_owned(), 300 * 1024),
            ("root/.ssh/id_rsa".to_owned(), 15)
        ]
    );
    assert_eq!(ev[0].3, "added in layer 3, deleted in layer 4");
}

#[test]
fn secret_file() {
    let h = finding("secret-file");
    let ev = evidence(h);
    let key = ev
        .iter()
        .find(|e| e.1.as_deref() == Some("root/.ssh/id_rsa"))
        .unwrap();
    assert_eq!(key.0, Some(3));
    assert!(
        key.3.contains("deleted in layer 4, but still in layer 3"),
        "{}",
        key.3
    );
    assert!(ev.iter().any(|e| e.1.as_deref() == Some("srv/app/.env")));
}

#[test]
fn log_files() {
    let h = finding("log-files");
    let ev = evidence(h);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].0, ev[0].1.as_deref()),
        (Some(4), Some("var/log/app.log"))
    );
}

#[test]
fn build_artefact() {
    let h = finding("build-artefact");
    let ev = evidence(h);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].0, ev[0].1.as_deref(), ev[0].2),
        (Some(3), Some("srv/app/build-output.tar"), Some(12 << 20))
    );
}

#[test]
fn the_table_says_the_same() {
    let out = Command::new(STRATA)
        .args(["hints", &fixture("hints.docker.tar")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for code in [
        "latest-tag",
        "root-user",
        "chainable-runs",
        "package-cache",
        "deleted-later",
        "secret-file",
        "log-files",
        "build-artefact",
    ] {
        assert!(
            text.contains(&format!("[{code}]")),
            "{code} missing from:\n{text}"
        );
    }
    let out = Command::new(STRATA)
        .args(["hints", &fixture("clean.docker.tar")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "No findings.\n");
}

#[test]
fn setuid_and_setgid_files_are_flagged_with_their_mode_and_layer() {
    // The layers fixture (buildah): `chmod 4755 /app/suid`, `chmod 2750 /app/sgid` in layer 2.
    let all = hints_of("layers.docker.tar");
    let h = all
        .iter()
        .find(|h| h["code"] == "setuid-files")
        .unwrap_or_else(|| panic!("no setuid finding: {all:#?}"));
    let seen: Vec<(Option<u64>, Option<String>, String)> = evidence(h)
        .into_iter()
        .map(|(l, p, _, n)| (l, p, n))
        .collect();
    assert_eq!(
        seen,
        [
            (
                Some(2),
                Some("app/sgid".into()),
                "setgid (mode 2750), owner 0:0".into()
            ),
            (
                Some(2),
                Some("app/suid".into()),
                "setuid (mode 4755), owner 0:0".into()
            ),
        ]
    );
    assert!(
        !clean().iter().any(|h| h["code"] == "setuid-files"),
        "{:#?}",
        clean()
    );
}
