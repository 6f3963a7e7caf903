//! `strata supply-chain` on images signed and attested by real producers where one runs here,
//! and by honest stand-ins where none does (`scripts/supply-chain-fixtures.py` says which):
//!
//! - cosign is not packaged and Debian's skopeo, podman and buildah are built with sigstore
//!   disabled, so the cosign signatures are written by the fixture script in cosign's layout
//!   (simple-signing payload, `sha256-<hex>.sig` tag, `dev.cosignproject.cosign/signature`),
//!   signed by `openssl dgst -sha256 -sign` and checked by `openssl dgst -sha256 -verify`
//!   before Strata sees them (the push fails otherwise): `checked_by_openssl` is that oracle;
//! - DSSE envelopes and keys are securesystemslib's, in-toto v1 statements in-toto-attestation's;
//! - referrers are pushed by oras-py with `subject` set into Debian's `docker-registry` 2.8,
//!   which has no Referrers API, so they are found through the referrers tag schema (the
//!   fixture script keeps it, as the distribution spec asks of clients; the API itself is
//!   tested with recorded answers in strata-core's `supply_chain` unit tests);
//! - BuildKit does not run here: its attestation manifests (SLSA v1 provenance in max mode, an
//!   SPDX SBOM) are written from its documented formats.
//!
//! The registry is the test command's (`scripts/registry.sh`, whatever address it gives).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{json, open_registry, registries, root, run};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The cached fixtures' directory (keys, image, attested archive).
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new(root().join("scripts/supply-chain-fixtures.sh"))
            .output()
            .expect("scripts/supply-chain-fixtures.sh");
        assert!(
            out.status.success(),
            "supply-chain fixtures: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

fn key(name: &str) -> String {
    fixtures()
        .join(format!("keys/{name}.pub"))
        .to_string_lossy()
        .into_owned()
}

/// What the fixture script pushed to the test registry (once per test run).
fn pushed() -> &'static Value {
    static FACTS: OnceLock<Value> = OnceLock::new();
    FACTS.get_or_init(|| {
        fixtures();
        let out = Command::new(root().join("scripts/supply-chain-fixtures.sh"))
            .args(["push", &open_registry()])
            .output()
            .expect("scripts/supply-chain-fixtures.sh push");
        assert!(
            out.status.success(),
            "supply-chain push: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

fn image(repo: &str) -> String {
    pushed();
    format!("{}/strata/{repo}:1", open_registry())
}

/// `strata supply-chain ARGS --format json`: (exit code, report, stderr).
fn supply_chain(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["supply-chain", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    let report = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("strata {all:?}: not JSON ({e}); stderr: {err}"));
    (code, report, err)
}

fn statuses(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["verification"]["status"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn buildkit_attestation_manifests_in_an_archive() {
    let archive = fixtures().join("attested.oci.tar");
    let archive = archive.to_str().unwrap();
    // index.json lists the image (tag 1) and its CycloneDX referrer (an artifactType): the
    // referrer is not an image to choose, so the archive opens without --image too.
    let (code, _, err) = run(&["ls", archive]);
    assert_eq!(code, 0, "{err}");
    let (code, r, err) = supply_chain(&[archive, "--image", "1", "--key", &key("ecdsa")]);
    assert_eq!(code, 0, "{err}");
    let attested: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("attested.json")).unwrap()).unwrap();
    assert_eq!(r["subjects"][0]["digest"], attested["manifest"]);
    assert_eq!(r["subjects"][1]["digest"], attested["index"]);
    let atts = r["attestations"].as_array().unwrap();
    assert_eq!(atts.len(), 3, "{r:#}");
    // The two bare BuildKit statements are not signed; the DSSE one (securesystemslib) verifies.
    assert_eq!(
        statuses(&r["attestations"]),
        ["not-verified", "not-verified", "verified"]
    );
    for a in atts {
        assert_eq!(a["found"]["by"], "attestation-manifest");
        assert_eq!(a["checks"][0]["outcome"], "passed", "{:#}", a["checks"]);
    }
    let p = &atts[0]["provenance"];
    assert_eq!(p["slsa_version"], "v1");
    assert_eq!(p["builder"], "https://ci.example/strata/runs/1");
    assert_eq!(
        p["source_commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(p["build_args"]["VERSION"], "1");
    assert_eq!(p["dockerfile"], "FROM scratch\nARG VERSION=1\nCOPY . /\n");
    assert_eq!(atts[1]["sbom"]["packages"][0]["name"], "busybox");
    // The CycloneDX referrer listed in index.json, found by its subject.
    assert_eq!(r["attached_sboms"][0]["sbom"]["format"], "CycloneDX 1.5");
    assert_eq!(r["attached_sboms"][0]["found"]["by"], "subject");
    assert_eq!(
        r["badge"],
        serde_json::json!({"state": "unsigned", "attestations": 3, "verified": 1})
    );
    // The table says the same.
    let (code, out, _) = run(&["supply-chain", archive, "--image", "1"]);
    assert_eq!(code, 0);
    let table = String::from_utf8(out).unwrap();
    assert!(
        table.contains("    Dockerfile (3 lines):\n      FROM scratch\n"),
        "{table}"
    );
    assert!(
        table.contains("not verified: no public key given to verify with"),
        "{table}"
    );
}

#[test]
fn a_cosign_signature_verifies_with_its_key_only() {
    let facts = pushed();
    assert!(
        facts["checked_by_openssl"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["repo"] == "strata/sc-signed" && c["verified"] == true),
        "openssl verified the signature before Strata saw it: {facts}"
    );
    let img = image("sc-signed");
    let (code, r, err) = supply_chain(&[&img, "--key", &key("ecdsa")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["badge"]["state"], "verified", "{:#}", r["badge"]);
    let s = &r["signatures"][0];
    assert_eq!(s["found"]["by"], "cosign-tag");
    assert_eq!(s["signed_digest"], facts["manifest"]);
    assert_eq!(s["verification"]["key"]["algorithm"], "ECDSA P-256");
    let checks: Vec<(&str, &str)> = s["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["what"].as_str().unwrap(), c["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        checks,
        [
            ("the signed payload names this manifest", "passed"),
            ("the signature names this repository", "passed"),
        ]
    );
    // No key: signed, nothing verified.
    let (code, r, _) = supply_chain(&[&img]);
    assert_eq!(code, 0);
    assert_eq!(r["badge"]["state"], "signed");
    assert_eq!(statuses(&r["signatures"]), ["not-verified"]);
    // Another key, or a key of another kind: exit 3, with the reason.
    for other in ["other", "ed25519"] {
        let (code, r, err) = supply_chain(&[&img, "--key", &key(other)]);
        assert_eq!(code, 3, "--key {other}: {err}");
        assert!(err.contains("not verified with the key given"), "{err}");
        assert_eq!(statuses(&r["signatures"]), ["failed"]);
    }
}

#[test]
fn tampered_signatures_are_refused_with_the_reason() {
    let facts = pushed();
    let flipped = facts["checked_by_openssl"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["repo"] == "strata/sc-flipped")
        .unwrap();
    assert_eq!(
        flipped["verified"], false,
        "openssl refuses the flipped copy too"
    );
    let (code, r, err) = supply_chain(&[&image("sc-flipped"), "--key", &key("ecdsa")]);
    assert_eq!(code, 3);
    assert!(err.contains("the signature does not match"), "{err}");
    assert_eq!(r["badge"]["state"], "failed");

    let other = facts["other"].as_str().unwrap();
    let (code, r, err) = supply_chain(&[&image("sc-other-digest"), "--key", &key("ecdsa")]);
    assert_eq!(code, 3);
    assert!(
        err.contains(&format!(
            "it verifies with the key given, but it names {other}"
        )),
        "{err}"
    );
    assert_eq!(r["signatures"][0]["checks"][0]["outcome"], "failed");
    let (code, r, _) = supply_chain(&[&image("sc-other-digest")]);
    assert_eq!(
        code, 0,
        "without a key nothing is checked cryptographically"
    );
    assert_eq!(
        r["badge"],
        serde_json::json!({"state": "wrong-digest", "names": other})
    );
}

#[test]
fn dsse_referrers_pushed_by_oras_verify_with_their_keys() {
    for (k, wrong) in [("ecdsa", "ed25519"), ("ed25519", "ecdsa")] {
        let img = image(&format!("sc-dsse-{k}"));
        let (code, r, err) = supply_chain(&[&img, "--key", &key(k)]);
        assert_eq!(code, 0, "{k}: {err}");
        let a = &r["attestations"][0];
        assert_eq!(a["verification"]["status"], "verified", "{k}: {a:#}");
        assert_eq!(a["found"]["by"], "referrers-tag");
        assert_eq!(
            a["envelope"]["payload_type"],
            "application/vnd.in-toto+json"
        );
        assert_eq!(a["statement_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(r["attached_sboms"][0]["sbom"]["format"], "SPDX-2.3");
        let unknown: Vec<&Value> = r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "unknown")
            .collect();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0]["artifact_type"], "application/vnd.example.notes");
        let lookups: Vec<&str> = r["lookups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["answer"].as_str().unwrap())
            .collect();
        assert_eq!(
            &lookups[..2],
            [
                "no Referrers API (404): falls back to the referrers tag schema",
                "200: 3 referrers"
            ]
        );
        let (code, _, err) = supply_chain(&[&img, "--key", &key(wrong)]);
        assert_eq!(code, 3, "{k} signed, {wrong} given: {err}");
    }
}

#[test]
fn hostile_referrers_are_clear_messages_and_nothing_big_is_downloaded() {
    let facts = pushed();
    let (code, r, err) = supply_chain(&[&image("sc-hostile")]);
    assert_eq!(code, 0, "{err}");
    let problems: Vec<(&str, &str)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    let has = |code: &str, text: &str| problems.iter().any(|(c, m)| *c == code && m.contains(text));
    assert!(
        has("bad-attestation", "the DSSE payload is not base64"),
        "{problems:#?}"
    );
    assert!(
        has(
            "unreadable-attestation",
            "limit `max_attestation_bytes` exceeded"
        ) && has(
            "unreadable-attestation",
            "100000000 bytes; it is not downloaded"
        ),
        "{problems:#?}"
    );
    assert!(has("referrers-loop", "the image itself"), "{problems:#?}");
    // The signature for a digest in another repository: both named.
    let s = &r["signatures"][0];
    assert_eq!(s["signed_digest"], facts["other"]);
    assert_eq!(s["checks"][0]["outcome"], "failed");
    assert_eq!(s["checks"][1]["outcome"], "warning");
    assert!(
        s["checks"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("strata/sc-elsewhere")
    );
    assert_eq!(r["badge"]["state"], "wrong-digest");
    // The 100 MB blob was never asked for (the registry's access log).
    let log = PathBuf::from(&registries()["STRATA_REGISTRY_LOGS"]).join("open.log");
    let log = std::fs::read_to_string(log).unwrap();
    let big = facts["big_blob"].as_str().unwrap();
    assert!(
        !log.contains(&format!("\"GET /v2/strata/sc-hostile/blobs/{big}")),
        "the big blob was downloaded"
    );
}

#[test]
fn bad_keys_and_images_are_errors() {
    let archive = fixtures().join("attested.oci.tar");
    let archive = archive.to_str().unwrap();
    let (code, _, err) = run(&[
        "supply-chain",
        archive,
        "--image",
        "1",
        "--key",
        "/nonexistent.pub",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--key /nonexistent.pub: cannot read it"),
        "{err}"
    );
    let private = fixtures().join("keys/ecdsa.key");
    let (code, _, err) = run(&[
        "supply-chain",
        archive,
        "--image",
        "1",
        "--key",
        private.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("this is a private key"), "{err}");
    // A docker save archive has no manifests to sign.
    let docker = common::fixture("layers.docker.tar");
    let v = json(&["supply-chain", "--format", "json", &docker]);
    assert!(
        v["lookups"][0]["answer"]
            .as_str()
            .unwrap()
            .contains("docker save archive has no manifests")
    );
}
