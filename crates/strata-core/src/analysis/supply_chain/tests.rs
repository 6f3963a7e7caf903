//! Whole lookups over recorded registry answers, with the signatures, certificates and
//! envelopes of `testdata/vectors.json` (made by `scripts/supply-chain-vectors.py` with the
//! `cryptography` package, not by this crate). The registry answers are written as the OCI
//! distribution spec (1.1) and cosign's layout describe them: no registry that runs here has the
//! Referrers API, so its answers are recorded from the spec's shape, and said to be.

use super::*;
use crate::digest::Digest;
use crate::error::Error;
use crate::registry::{HttpRequest, HttpResponse, Reference, RegistrySession};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::BTreeMap;

fn vectors() -> Value {
    serde_json::from_str(include_str!("testdata/vectors.json")).unwrap()
}

fn v(key: &str) -> String {
    vectors()[key].as_str().unwrap().to_owned()
}

fn key(name: &str) -> PublicKey {
    PublicKey::from_pem(&v(name)).unwrap()
}

#[track_caller]
fn check_key(pem: &str, expect: Result<&str, &str>) {
    match (PublicKey::from_pem(pem), expect) {
        (Ok(k), Ok(alg)) => {
            let info = k.describe();
            assert_eq!(info.algorithm, alg);
            assert!(info.fingerprint.starts_with("SHA256:"), "{info:?}");
        }
        (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
        (got, want) => panic!("got {got:?}, want {want:?}"),
    }
}

#[test]
fn public_keys_of_the_supported_kinds_only() {
    check_key(&v("ecdsa_pub"), Ok("ECDSA P-256"));
    check_key(&v("ed25519_pub"), Ok("Ed25519"));
    check_key(&v("rsa_pub"), Err("RSA keys are not supported"));
    check_key(&v("p384_pub"), Err("only P-256"));
    check_key(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        Err("this is a private key"),
    );
    check_key("hello", Err("not PEM"));
    check_key(&v("certificate"), Ok("ECDSA P-256"));
}

#[track_caller]
fn check_signature(key_name: &str, message: &[u8], sig_b64: &str, flip: bool, ok: bool) {
    let mut sig = encoding::base64(sig_b64, "sig").unwrap();
    if flip {
        let last = sig.len() - 3;
        sig[last] ^= 1;
    }
    let got = key(key_name).verify(message, &sig);
    assert_eq!(got.is_ok(), ok, "{key_name}: {got:?}");
}

#[test]
fn signatures_made_by_openssl_verify_and_tampered_ones_do_not() {
    let payload = v("payload");
    let p = payload.as_bytes();
    check_signature("ecdsa_pub", p, &v("payload_ecdsa_sig"), false, true);
    check_signature("ecdsa_pub", p, &v("payload_ecdsa_sig"), true, false);
    check_signature("other_pub", p, &v("payload_ecdsa_sig"), false, false);
    check_signature("ed25519_pub", p, &v("payload_ed25519_sig"), false, true);
    check_signature("ed25519_pub", p, &v("payload_ed25519_sig"), true, false);
    check_signature(
        "ed25519_pub",
        b"other",
        &v("payload_ed25519_sig"),
        false,
        false,
    );
    let err = key("ecdsa_pub").verify(p, b"short").unwrap_err();
    assert!(err.contains("neither DER nor r‖s"), "{err}");
}

#[test]
fn fulcio_certificates_name_the_signer_and_issuer() {
    let c = x509::Certificate::from_pem(&v("certificate")).unwrap();
    assert_eq!(c.identity(), "signer@example.com");
    assert_eq!(
        c.oidc_issuer.as_deref(),
        Some("https://accounts.example.com")
    );
    assert_eq!(
        c.fulcio.get("source repository uri").map(String::as_str),
        Some("https://git.example/org/app")
    );
    assert_eq!(c.not_after - c.not_before, 600);
    assert!(
        x509::Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
            .is_err()
    );
}

#[test]
fn notation_envelopes_of_both_kinds() {
    for env in [
        notation::parse_jws(v("notation_jws").as_bytes()).unwrap(),
        notation::parse_cose(&encoding::base64(&v("notation_cose"), "cose").unwrap()).unwrap(),
    ] {
        assert_eq!(env.algorithm, "ES256", "{}", env.envelope);
        assert_eq!(env.target_digest.as_deref(), Some(v("digest").as_str()));
        assert_eq!(env.signing_time, Some(1_704_067_200), "{}", env.envelope);
        assert_eq!(env.signing_scheme.as_deref(), Some("notary.x509"));
        assert_eq!(env.signing_agent.as_deref(), Some("vectors/1"));
        assert!(env.certificates[0].subject.contains("notation signer"));
        key("ecdsa_pub")
            .verify(&env.signed, &env.signature)
            .unwrap_or_else(|e| panic!("{}: {e}", env.envelope));
    }
    assert!(notation::parse_cose(b"\xd2\x84").is_err());
}

/// A registry that answers from a table (`path?query` → status, headers, body) and records
/// what it was asked.
/// status, headers, body
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

struct Recorded {
    answers: BTreeMap<String, Answer>,
    asked: RefCell<Vec<String>>,
}

impl Recorded {
    fn new() -> Self {
        Recorded {
            answers: BTreeMap::new(),
            asked: RefCell::new(Vec::new()),
        }
    }

    fn answer(&mut self, path: &str, status: u16, headers: &[(&str, &str)], body: Vec<u8>) {
        self.answers.insert(
            path.to_owned(),
            (
                status,
                headers
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
                body,
            ),
        );
    }

    /// A manifest by digest (and by tag, when given).
    fn manifest(&mut self, doc: &Value, tag: Option<&str>) -> (Digest, usize) {
        let bytes = serde_json::to_vec(doc).unwrap();
        let d = Digest::sha256_of(&bytes);
        let n = bytes.len();
        for r in [Some(d.to_string()), tag.map(str::to_owned)]
            .into_iter()
            .flatten()
        {
            self.answer(
                &format!("/v2/app/manifests/{r}"),
                200,
                &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                bytes.clone(),
            );
        }
        (d, n)
    }

    fn blob(&mut self, bytes: &[u8]) -> Value {
        let d = Digest::sha256_of(bytes);
        self.answer(&format!("/v2/app/blobs/{d}"), 200, &[], bytes.to_vec());
        json!({"mediaType": "application/octet-stream", "digest": d.to_string(), "size": bytes.len()})
    }

    fn send(&self, r: &HttpRequest) -> Result<HttpResponse, Error> {
        let path = r.url.trim_start_matches("http://reg.test").to_owned();
        self.asked.borrow_mut().push(path.clone());
        Ok(match self.answers.get(&path) {
            Some((status, headers, body)) => HttpResponse {
                status: *status,
                headers: headers.clone(),
                body: body.clone(),
            },
            None => HttpResponse {
                status: 404,
                headers: Vec::new(),
                body: br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                    .to_vec(),
            },
        })
    }
}

const EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// An OCI 1.1 artifact manifest: one layer, `subject` the image.
fn referrer(
    reg: &mut Recorded,
    artifact_type: &str,
    layer_type: &str,
    layer: &[u8],
    subject: &str,
) -> Value {
    let mut l = reg.blob(layer);
    l["mediaType"] = json!(layer_type);
    let config = reg.blob(b"{}");
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY, "digest": config["digest"], "size": 2},
        "layers": [l],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 100},
    })
}

/// cosign's `.sig` manifest: the payload as a layer, the signature in its annotations.
fn cosign_sig(reg: &mut Recorded, payload: &str, sig: &str, extra: &[(&str, &str)]) -> Value {
    let mut l = reg.blob(payload.as_bytes());
    l["mediaType"] = json!(cosign::SIMPLE_SIGNING);
    let mut annotations = json!({cosign::SIGNATURE_ANNOTATION: sig});
    for (k, val) in extra {
        annotations[*k] = json!(val);
    }
    l["annotations"] = annotations;
    let config = reg.blob(
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config["digest"], "size": config["size"]},
        "layers": [l],
    })
}

/// The vectors' image manifest, served at tag `1`, with its config.
fn image_registry() -> (Recorded, Digest) {
    let mut reg = Recorded::new();
    let manifest: Value = serde_json::from_str(&v("manifest")).unwrap();
    let bytes = v("manifest").into_bytes();
    let d = Digest::sha256_of(&bytes);
    assert_eq!(d.as_str(), v("digest"));
    for r in ["1".to_owned(), d.to_string()] {
        reg.answer(
            &format!("/v2/app/manifests/{r}"),
            200,
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            bytes.clone(),
        );
    }
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    reg.answer(&format!("/v2/app/blobs/{config}"), 200, &[], b"{}".to_vec());
    (reg, d)
}

fn look_up(reg: &Recorded, key_name: Option<&str>) -> SupplyChain {
    let limits = crate::Limits::default();
    let mut session = RegistrySession::new(
        Reference::parse("reg.test/app:1").unwrap(),
        "http://reg.test".into(),
        None,
    );
    let mut send = |r: &HttpRequest| reg.send(r);
    let opened = crate::registry::open_image(
        &mut session,
        &crate::ManifestPick::Default,
        &limits,
        0,
        &mut send,
    )
    .unwrap();
    reg.asked.borrow_mut().clear();
    let options = Options {
        key: key_name.map(key),
        artifact_type: None,
        now: 1_710_000_000,
    };
    from_registry(&mut session, &opened.image, &options, &limits, &mut send)
}

fn outcomes(checks: &[Check]) -> Vec<(String, Outcome)> {
    checks.iter().map(|c| (c.what.clone(), c.outcome)).collect()
}

/// The fallback path (distribution 2.8 has no Referrers API): the tag schema's index lists a
/// DSSE attestation, a Notation signature, an SBOM, the image itself (a loop) and a referrer
/// of another image; cosign's `.sig` tag holds a key-based signature.
#[test]
fn tag_schema_and_cosign_tags_with_a_key() {
    let (mut reg, d) = image_registry();
    let ds = d.to_string();
    let att = referrer(
        &mut reg,
        DSSE_MEDIA_TYPE,
        DSSE_MEDIA_TYPE,
        v("dsse_ecdsa").as_bytes(),
        &ds,
    );
    let notation = referrer(
        &mut reg,
        notation::NOTATION_ARTIFACT_TYPE,
        notation::JWS_MEDIA_TYPE,
        v("notation_jws").as_bytes(),
        &ds,
    );
    let spdx = br#"{"spdxVersion":"SPDX-2.3","name":"app","packages":[{"name":"busybox","versionInfo":"1.36","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:apk/alpine/busybox@1.36"}]}]}"#;
    let sbom = referrer(
        &mut reg,
        "application/spdx+json",
        "application/spdx+json",
        spdx,
        &ds,
    );
    let elsewhere = referrer(
        &mut reg,
        "application/x-other",
        "application/x-other",
        b"x",
        &v("other_digest"),
    );
    let cose_bytes = encoding::base64(&v("notation_cose"), "cose").unwrap();
    let cose = referrer(
        &mut reg,
        notation::NOTATION_ARTIFACT_TYPE,
        notation::COSE_MEDIA_TYPE,
        &cose_bytes,
        &ds,
    );
    let mut descs = Vec::new();
    for m in [&att, &notation, &sbom, &elsewhere, &cose] {
        let (digest, size) = reg.manifest(m, None);
        descs.push(json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest.to_string(), "size": size, "artifactType": m["artifactType"]}));
    }
    descs.push(
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ds, "size": 1}),
    );
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs});
    reg.manifest(&index, Some(&cosign::tag_for(&d, "")));
    let sig = cosign_sig(&mut reg, &v("payload"), &v("payload_ecdsa_sig"), &[]);
    reg.manifest(&sig, Some(&cosign::tag_for(&d, ".sig")));

    let report = look_up(&reg, Some("ecdsa_pub"));
    let asked = reg.asked.borrow().clone();
    assert_eq!(
        asked[0],
        format!("/v2/app/referrers/{d}"),
        "the Referrers API first: {asked:#?}"
    );
    assert_eq!(
        asked[1],
        format!("/v2/app/manifests/sha256-{}", d.hex()),
        "then its tag schema"
    );
    let lookups: Vec<(&str, &str)> = report
        .lookups
        .iter()
        .map(|l| (l.what.as_str(), l.answer.as_str()))
        .collect();
    assert_eq!(
        lookups[0].1,
        "no Referrers API (404): falls back to the referrers tag schema"
    );
    assert_eq!(lookups[1].1, "200: 5 referrers", "{lookups:#?}");
    assert!(
        lookups
            .iter()
            .any(|(w, a)| w.ends_with(".att") && *a == "404: none"),
        "{lookups:#?}"
    );

    // The loop is named and skipped.
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == "referrers-loop" && d.message.contains("the image itself")),
        "{:#?}",
        report.diagnostics
    );
    // The referrer of another image is read and its subject check fails.
    let other = report
        .artifacts
        .iter()
        .find(|a| a.artifact_type == "application/x-other")
        .unwrap();
    assert_eq!(other.kind, ArtifactKind::Unknown);
    assert_eq!(
        outcomes(&other.checks),
        [(
            "the referrer's subject is this manifest".to_owned(),
            Outcome::Failed
        )]
    );
    assert!(
        other.checks[0].detail.contains("not this image's"),
        "{:?}",
        other.checks
    );

    // The cosign signature verifies with the key; its payload names another repository.
    let cosign = report
        .signatures
        .iter()
        .find(|s| s.format == "cosign")
        .unwrap();
    assert!(
        cosign.verification.is_verified(),
        "{:?}",
        cosign.verification
    );
    assert!(
        cosign
            .checks
            .iter()
            .any(|c| c.what == "the signature names this repository"
                && c.outcome == Outcome::Warning),
        "{:?}",
        cosign.checks
    );
    // The Notation signature: read, its target checked, its certificate's key checked, and
    // verified with the key given (the vectors' Notation certificate holds the same key).
    let jws = report
        .signatures
        .iter()
        .find(|s| s.format == "Notation JWS")
        .unwrap();
    assert_eq!(jws.signed_digest.as_deref(), Some(ds.as_str()));
    assert!(jws.verification.is_verified(), "{:?}", jws.verification);
    assert!(
        jws.checks
            .iter()
            .any(|c| c.what == "the signature has not expired" && c.outcome == Outcome::Passed),
        "expires 2025-01-01, now is 2024-03: {:?}",
        jws.checks
    );
    // The COSE one expired 2024-02-01: it verifies with the key, and fails for that.
    let cose = report
        .signatures
        .iter()
        .find(|s| s.format == "Notation COSE")
        .unwrap();
    assert!(
        matches!(&cose.verification, Verification::Failed { reason } if reason.contains("but it expired 2024-02-01")),
        "{:?}",
        cose.verification
    );
    // The DSSE attestation: statement subject, provenance summary, verified.
    let a = &report.attestations[0];
    assert_eq!(a.predicate_type, provenance::SLSA_V1);
    assert!(a.verification.is_verified(), "{:?}", a.verification);
    assert_eq!(
        a.provenance.as_ref().and_then(|p| p.builder.as_deref()),
        Some("https://ci.example/builder")
    );
    assert_eq!(report.sboms().next().map(|s| s.packages.len()), Some(1));
    assert!(
        matches!(report.badge, Badge::Verified { .. }),
        "{:?}",
        report.badge
    );
    // The expired COSE signature fails: with a key, that is a failure (exit code 3 in the CLI).
    assert!(
        matches!(report.key_outcome(), Some(KeyOutcome::Failed(r)) if r.len() == 1 && r[0].contains("expired"))
    );
}

/// Without a key nothing is "verified"; a flipped signature byte and a payload naming another
/// digest are refused with the reason; a wrong key verifies nothing.
#[test]
fn tampered_signatures_and_missing_keys() {
    let (mut reg, d) = image_registry();
    let sig = cosign_sig(&mut reg, &v("payload"), &v("payload_ecdsa_sig"), &[]);
    reg.manifest(&sig, Some(&cosign::tag_for(&d, ".sig")));
    let report = look_up(&reg, None);
    assert_eq!(
        report.signatures[0].verification,
        Verification::NotVerified {
            reason: "no public key given to verify with".into()
        }
    );
    assert!(
        matches!(report.badge, Badge::Signed { .. }),
        "{:?}",
        report.badge
    );
    assert_eq!(report.key_outcome(), None);
    let report = look_up(&reg, Some("other_pub"));
    assert!(
        matches!(&report.signatures[0].verification, Verification::Failed { reason } if reason.contains("does not match"))
    );
    assert!(matches!(report.key_outcome(), Some(KeyOutcome::Failed(_))));

    let mut flipped = encoding::base64(&v("payload_ecdsa_sig"), "s").unwrap();
    let n = flipped.len() - 3;
    flipped[n] ^= 1;
    let (mut reg, d) = image_registry();
    let sig = cosign_sig(&mut reg, &v("payload"), &encoding::to_base64(&flipped), &[]);
    reg.manifest(&sig, Some(&cosign::tag_for(&d, ".sig")));
    let report = look_up(&reg, Some("ecdsa_pub"));
    assert!(
        matches!(&report.badge, Badge::Failed { reason } if reason.contains("does not match")),
        "{:?}",
        report.badge
    );

    let (mut reg, d) = image_registry();
    let sig = cosign_sig(
        &mut reg,
        &v("payload_other"),
        &v("payload_other_ecdsa_sig"),
        &[],
    );
    reg.manifest(&sig, Some(&cosign::tag_for(&d, ".sig")));
    let report = look_up(&reg, None);
    assert_eq!(
        report.badge,
        Badge::WrongDigest {
            names: v("other_digest")
        }
    );
    let report = look_up(&reg, Some("ecdsa_pub"));
    match &report.signatures[0].verification {
        Verification::Failed { reason } => assert!(
            reason.contains("verifies with the key given, but it names"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

/// Keyless: the certificate's identity and issuer are shown, the signature is checked against
/// the certificate's own key, and it is "not verified: no trust root".
#[test]
fn keyless_signatures_show_the_identity_and_are_not_verified() {
    let (mut reg, d) = image_registry();
    let payload = v("payload");
    let sig_b64 = v("payload_ecdsa_sig");
    let body = encoding::to_base64(
        json!({"kind": "hashedrekord", "spec": {"data": {"hash": {"algorithm": "sha256", "value": Digest::sha256_of(payload.as_bytes()).hex()}}, "signature": {"content": sig_b64}}})
            .to_string()
            .as_bytes(),
    );
    let bundle = json!({"SignedEntryTimestamp": "MEUC", "Payload": {"body": body, "integratedTime": 1_704_067_300, "logIndex": 7, "logID": "c0d2"}}).to_string();
    let cert = v("certificate");
    let sig = cosign_sig(
        &mut reg,
        &payload,
        &sig_b64,
        &[
            (cosign::CERTIFICATE_ANNOTATION, &cert),
            (cosign::BUNDLE_ANNOTATION, &bundle),
        ],
    );
    reg.manifest(&sig, Some(&cosign::tag_for(&d, ".sig")));
    let report = look_up(&reg, None);
    let s = &report.signatures[0];
    assert_eq!(s.signer.as_deref(), Some("signer@example.com"));
    match &s.verification {
        Verification::NotVerified { reason } => {
            assert!(reason.starts_with("keyless, certificate for signer@example.com, issuer https://accounts.example.com: no trust root"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let got = outcomes(&s.checks);
    assert!(
        got.contains(&(
            "the signature matches its certificate's public key".into(),
            Outcome::Passed
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "the transparency-log entry records this signature and payload".into(),
            Outcome::Passed
        )),
        "{got:?}"
    );
    assert_eq!(
        s.transparency_log.as_ref().and_then(|t| t.log_index),
        Some(7)
    );
    assert_eq!(
        report.badge.label(),
        format!(
            "signed by signer@example.com (not verified: {})",
            match &s.verification {
                Verification::NotVerified { reason } => reason.clone(),
                _ => String::new(),
            }
        )
    );
}

/// The Referrers API path, from answers shaped as the distribution spec shows them (no
/// registry here implements it): a filtered answer (`OCI-Filters-Applied: artifactType`).
#[test]
fn referrers_api_answers_with_a_filter() {
    let (mut reg, d) = image_registry();
    let att = referrer(
        &mut reg,
        DSSE_MEDIA_TYPE,
        DSSE_MEDIA_TYPE,
        v("dsse_ed25519").as_bytes(),
        d.as_str(),
    );
    let (digest, size) = reg.manifest(&att, None);
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest.to_string(), "size": size, "artifactType": DSSE_MEDIA_TYPE}]});
    let query = format!(
        "/v2/app/referrers/{d}?artifactType={}",
        crate::registry::url_encode(DSSE_MEDIA_TYPE)
    );
    reg.answer(
        &query,
        200,
        &[
            ("Content-Type", "application/vnd.oci.image.index.v1+json"),
            ("OCI-Filters-Applied", "artifactType"),
        ],
        serde_json::to_vec(&index).unwrap(),
    );
    let limits = crate::Limits::default();
    let mut session = RegistrySession::new(
        Reference::parse("reg.test/app:1").unwrap(),
        "http://reg.test".into(),
        None,
    );
    let mut send = |r: &HttpRequest| reg.send(r);
    let opened = crate::registry::open_image(
        &mut session,
        &crate::ManifestPick::Default,
        &limits,
        0,
        &mut send,
    )
    .unwrap();
    let options = Options {
        key: Some(key("ed25519_pub")),
        artifact_type: Some(DSSE_MEDIA_TYPE.into()),
        now: 0,
    };
    let report = from_registry(&mut session, &opened.image, &options, &limits, &mut send);
    assert_eq!(
        report.lookups[0].answer, "200: 1 referrer",
        "{:#?}",
        report.lookups
    );
    assert!(
        !reg.asked
            .borrow()
            .iter()
            .any(|p| p.contains("/manifests/sha256-") && !p.contains('.')),
        "no fallback when the API answers"
    );
    assert_eq!(report.attestations[0].found, FoundBy::ReferrersApi);
    assert!(
        report.attestations[0].verification.is_verified(),
        "{:?}",
        report.attestations[0].verification
    );
    // The request carried the Accept the spec asks for.
    let req = session.request(
        &crate::registry::Fetch::Referrers {
            digest: d.clone(),
            artifact_type: None,
        },
        0,
    );
    assert_eq!(
        req.header("Accept"),
        Some("application/vnd.oci.image.index.v1+json")
    );
    assert_eq!(req.url, format!("http://reg.test/v2/app/referrers/{d}"));
}

/// Hostile inputs: a DSSE payload that is not base64, an attestation that declares 100 MB (not
/// downloaded), a statement about another image; each is a message, the rest still reads.
#[test]
fn hostile_attestations_are_messages() {
    let (mut reg, d) = image_registry();
    let ds = d.to_string();
    let bad = referrer(&mut reg, DSSE_MEDIA_TYPE, DSSE_MEDIA_TYPE, br#"{"payloadType":"application/vnd.in-toto+json","payload":"%%% not base64 %%%","signatures":[]}"#, &ds);
    let mut huge = referrer(&mut reg, DSSE_MEDIA_TYPE, DSSE_MEDIA_TYPE, b"small", &ds);
    huge["layers"][0]["size"] = json!(100_000_000);
    let wrong = referrer(
        &mut reg,
        DSSE_MEDIA_TYPE,
        DSSE_MEDIA_TYPE,
        v("dsse_other_subject").as_bytes(),
        &ds,
    );
    let mut descs = Vec::new();
    for m in [&bad, &huge, &wrong] {
        let (digest, size) = reg.manifest(m, None);
        descs.push(json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest.to_string(), "size": size}));
    }
    let index = json!({"schemaVersion": 2, "manifests": descs});
    reg.manifest(&index, Some(&cosign::tag_for(&d, "")));
    let report = look_up(&reg, Some("ecdsa_pub"));
    let messages: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("the DSSE payload is not base64")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("limit `max_attestation_bytes` exceeded")
                && m.contains("100000000 bytes; it is not downloaded")),
        "{messages:#?}"
    );
    let huge_layer = huge["layers"][0]["digest"].as_str().unwrap();
    assert!(
        !reg.asked.borrow().iter().any(|p| p.ends_with(huge_layer)),
        "the 100 MB blob is never asked for"
    );
    let a = &report.attestations[0];
    assert!(
        matches!(&a.verification, Verification::Failed { reason } if reason.contains("verifies with the key given, but its subjects are")),
        "{:?}",
        a.verification
    );
    assert_eq!(report.artifacts.len(), 3);
    assert!(matches!(report.key_outcome(), Some(KeyOutcome::Failed(_))));
}
