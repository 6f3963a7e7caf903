//! cosign's signatures as they sit in a registry (sigstore/cosign `specs/SIGNATURE_SPEC.md`): a
//! manifest tagged `sha256-<hex>.sig` whose layers are simple-signing payloads
//! (`application/vnd.dev.cosign.simplesigning.v1+json`, the format containers/image defines in
//! `docs/containers-signature.5.md`), each signed in the layer's annotations:
//! `dev.cosignproject.cosign/signature` (base64 of the signature over the payload's bytes),
//! `dev.sigstore.cosign/certificate` and `…/chain` (PEM, for keyless signing), and
//! `dev.sigstore.cosign/bundle` (the transparency log's promise of inclusion).

use super::encoding::base64;
use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
pub const RFC3161_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";

/// The payload a cosign (or containers/image) signature signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleSigning {
    /// `critical.identity.docker-reference`: the repository it was signed for.
    pub docker_reference: Option<String>,
    /// `critical.image.docker-manifest-digest`, as written.
    pub manifest_digest: String,
    /// `critical.type`: `cosign container image signature` or `atomic container signature`.
    pub kind: String,
    /// `optional`: free annotations (`cosign sign -a key=value`), as text.
    pub optional: BTreeMap<String, String>,
}

/// Reads a simple-signing payload.
pub fn parse_simple_signing(bytes: &[u8]) -> Result<SimpleSigning, String> {
    #[derive(Deserialize)]
    struct Raw {
        critical: Critical,
        #[serde(default)]
        optional: Option<BTreeMap<String, serde_json::Value>>,
    }
    #[derive(Deserialize)]
    struct Critical {
        #[serde(default)]
        identity: Option<Identity>,
        image: ImagePart,
        #[serde(rename = "type", default)]
        kind: String,
    }
    #[derive(Deserialize)]
    struct Identity {
        #[serde(rename = "docker-reference")]
        docker_reference: Option<String>,
    }
    #[derive(Deserialize)]
    struct ImagePart {
        #[serde(rename = "docker-manifest-digest")]
        digest: String,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
        format!("not a simple-signing payload (critical.image.docker-manifest-digest): {e}")
    })?;
    Ok(SimpleSigning {
        docker_reference: raw
            .critical
            .identity
            .and_then(|i| i.docker_reference)
            .filter(|r| !r.is_empty()),
        manifest_digest: raw.critical.image.digest,
        kind: raw.critical.kind,
        optional: raw
            .optional
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
    })
}

/// A transparency-log entry, as cosign's bundle annotation records it (Rekor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlogEntry {
    pub log_index: Option<u64>,
    /// When the log says it included the entry (seconds since the epoch).
    pub integrated_time: Option<i64>,
    pub log_id: Option<String>,
    /// The entry's kind (`hashedrekord`, `intoto`, `dsse`).
    pub kind: Option<String>,
    /// What the entry body records, to compare with what is here: the sha256 (hex) of the
    /// signed payload and the signature (base64).
    #[serde(skip)]
    pub body_hash: Option<String>,
    #[serde(skip)]
    pub body_signature: Option<String>,
}

/// Reads `dev.sigstore.cosign/bundle` (`{"SignedEntryTimestamp", "Payload": {"body",
/// "integratedTime", "logIndex", "logID"}}`).
pub fn parse_bundle(text: &str) -> Result<TlogEntry, String> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "Payload")]
        payload: Payload,
    }
    #[derive(Deserialize)]
    struct Payload {
        body: Option<String>,
        #[serde(rename = "integratedTime")]
        integrated_time: Option<i64>,
        #[serde(rename = "logIndex")]
        log_index: Option<u64>,
        #[serde(rename = "logID")]
        log_id: Option<String>,
    }
    let raw: Raw = serde_json::from_str(text)
        .map_err(|e| format!("the bundle annotation is not a Rekor bundle: {e}"))?;
    let mut entry = TlogEntry {
        log_index: raw.payload.log_index,
        integrated_time: raw.payload.integrated_time,
        log_id: raw.payload.log_id,
        kind: None,
        body_hash: None,
        body_signature: None,
    };
    if let Some(body) = raw.payload.body {
        let bytes = base64(&body, "the bundle's entry body")?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the bundle's entry body is not JSON: {e}"))?;
        entry.kind = v.get("kind").and_then(|k| k.as_str()).map(str::to_owned);
        entry.body_hash = v
            .pointer("/spec/data/hash/value")
            .and_then(|h| h.as_str())
            .map(str::to_owned);
        entry.body_signature = v
            .pointer("/spec/signature/content")
            .and_then(|h| h.as_str())
            .map(str::to_owned);
    }
    Ok(entry)
}

/// cosign's tag for a digest's signatures (`sha256-<hex>.sig`), attestations (`.att`) and
/// SBOMs (`.sbom`); the OCI referrers fallback tag is the same without a suffix.
pub fn tag_for(digest: &Digest, suffix: &str) -> String {
    format!("{}-{}{suffix}", digest.algorithm(), digest.hex())
}

/// The digest a cosign or referrers-fallback tag names, with its suffix (`""`, `.sig`, …).
pub fn digest_of_tag(tag: &str) -> Option<(Digest, &str)> {
    let (algorithm, rest) = tag.split_once('-')?;
    let (hex, suffix) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if !matches!(suffix, "" | ".sig" | ".att" | ".sbom") {
        return None;
    }
    Digest::parse(&format!("{algorithm}:{hex}"))
        .ok()
        .map(|d| (d, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(payload: &str, expect: Result<(&str, Option<&str>), &str>) {
        match (parse_simple_signing(payload.as_bytes()), expect) {
            (Ok(s), Ok((digest, reference))) => {
                assert_eq!(s.manifest_digest, digest);
                assert_eq!(s.docker_reference.as_deref(), reference);
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn simple_signing_payloads() {
        check(
            r#"{"critical":{"identity":{"docker-reference":"reg/app"},"image":{"docker-manifest-digest":"sha256:ab"},"type":"cosign container image signature"},"optional":{"run":7}}"#,
            Ok(("sha256:ab", Some("reg/app"))),
        );
        check(
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:cd"},"type":"atomic container signature"},"optional":null}"#,
            Ok(("sha256:cd", None)),
        );
        check(r#"{"critical":{}}"#, Err("not a simple-signing payload"));
    }

    #[test]
    fn tags_name_digests() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(tag_for(&d, ".sig"), format!("sha256-{}.sig", d.hex()));
        assert_eq!(
            digest_of_tag(&tag_for(&d, ".att")),
            Some((d.clone(), ".att"))
        );
        assert_eq!(digest_of_tag(&tag_for(&d, "")), Some((d, "")));
        assert_eq!(digest_of_tag("latest"), None);
        assert_eq!(digest_of_tag("sha256-abc.sig"), None);
    }

    #[test]
    fn bundles() {
        let body = super::super::encoding::to_base64(
            br#"{"kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"ff"}},"signature":{"content":"c2ln"}}}"#,
        );
        let entry = parse_bundle(&format!(
            r#"{{"SignedEntryTimestamp":"x","Payload":{{"body":"{body}","integratedTime":1700000000,"logIndex":42,"logID":"c0d2"}}}}"#
        ))
        .unwrap();
        assert_eq!(entry.log_index, Some(42));
        assert_eq!(entry.kind.as_deref(), Some("hashedrekord"));
        assert_eq!(entry.body_hash.as_deref(), Some("ff"));
        assert_eq!(entry.body_signature.as_deref(), Some("c2ln"));
        assert!(parse_bundle("{}").is_err());
    }
}
