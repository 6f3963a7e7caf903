//! Reading what was found: each manifest next to the image is parsed, its layers are read
//! (bounded by `max_attestation_bytes`, digest-checked) by what their media types say they
//! are, and every claim that can be checked without a trust root is checked and recorded as a
//! [`Check`]: a referrer's `subject` is this manifest, a signed payload names this manifest, a
//! statement's subject is this manifest, a signature matches its certificate's key and its
//! transparency-log entry, a Notation signature has not expired. With a key given, signatures
//! and DSSE envelopes are verified with it, and only that makes a [`Verification::Verified`].

use super::cosign::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, parse_bundle,
    parse_simple_signing,
};
use super::dsse::{IN_TOTO_PAYLOAD_TYPE, looks_like_envelope, pae, parse_envelope};
use super::encoding::{base64, to_hex};
use super::keys::PublicKey;
use super::notation::{COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, NOTATION_ARTIFACT_TYPE};
use super::report::*;
use super::x509::Certificate;
use crate::diagnostic::Diagnostic;
use crate::digest::Digest;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{Descriptor, Document, RawJson, parse_document};
use std::collections::{BTreeMap, BTreeSet};

pub(super) const CHECK_NAMES_IMAGE: &str = "the signed payload names this manifest";
const CHECK_SUBJECT: &str = "the referrer's subject is this manifest";
const CHECK_ATTESTATION_OF: &str = "the index names it the attestation of this manifest";
const CHECK_STATEMENT_SUBJECT: &str = "the statement's subject names this manifest";
const CHECK_PREDICATE_TYPE: &str = "the predicate type is the one the layer announces";
const CHECK_REPOSITORY: &str = "the signature names this repository";
const CHECK_CERT_KEY: &str = "the signature matches its certificate's public key";
const CHECK_TLOG: &str = "the transparency-log entry records this signature and payload";
const CHECK_EXPIRY: &str = "the signature has not expired";
const CHECK_LAYER: &str = "the layer was read";

pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";

/// Where manifests and blobs come from (an archive, a registry).
pub(super) trait Store {
    /// A manifest by digest, bounded by `max_json_bytes`.
    fn manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, Error>;
    /// A blob by digest, whose descriptor says `size` bytes (already within the limit).
    fn blob(&mut self, digest: &Digest, size: u64) -> Result<Vec<u8>, Error>;
}

/// What a layer's media type (and its manifest's artifact type) says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerKind {
    SimpleSigning,
    Statement,
    Sbom,
    NotationJws,
    NotationCose,
    SigstoreBundle,
    Unknown,
}

fn classify_layer(artifact_type: &str, media_type: &str) -> LayerKind {
    let mt = media_type.split(';').next().unwrap_or("").trim();
    match mt {
        SIMPLE_SIGNING => LayerKind::SimpleSigning,
        DSSE_MEDIA_TYPE | IN_TOTO_PAYLOAD_TYPE => LayerKind::Statement,
        JWS_MEDIA_TYPE => LayerKind::NotationJws,
        COSE_MEDIA_TYPE => LayerKind::NotationCose,
        _ if mt.starts_with("application/vnd.in-toto.") => LayerKind::Statement,
        _ if mt.starts_with("application/vnd.dev.sigstore.bundle") => LayerKind::SigstoreBundle,
        _ if super::sbom::is_sbom_media_type(mt) => LayerKind::Sbom,
        _ if (artifact_type == DSSE_MEDIA_TYPE
            || artifact_type.starts_with("application/vnd.in-toto"))
            && (mt.ends_with("json") || mt == "application/octet-stream") =>
        {
            LayerKind::Statement
        }
        _ if super::sbom::is_sbom_media_type(artifact_type) && mt.ends_with("json") => {
            LayerKind::Sbom
        }
        _ => LayerKind::Unknown,
    }
}

/// Builds a [`SupplyChain`] from what the lookups find.
pub(super) struct Collector<'a> {
    pub report: SupplyChain,
    key: Option<&'a PublicKey>,
    limits: &'a Limits,
    now: i64,
    visited: BTreeSet<Digest>,
    n_manifests: u64,
}

impl<'a> Collector<'a> {
    pub fn new(
        subjects: Vec<Subject>,
        repository: Option<String>,
        key: Option<&'a PublicKey>,
        limits: &'a Limits,
        now: u64,
    ) -> Self {
        Collector {
            visited: subjects.iter().map(|s| s.digest.clone()).collect(),
            report: SupplyChain {
                subjects,
                repository,
                key: key.map(PublicKey::describe),
                signatures: Vec::new(),
                attestations: Vec::new(),
                attached_sboms: Vec::new(),
                artifacts: Vec::new(),
                lookups: Vec::new(),
                diagnostics: Vec::new(),
                badge: Badge::Unsigned {
                    attestations: 0,
                    verified: 0,
                },
            },
            key,
            limits,
            now: i64::try_from(now).unwrap_or(i64::MAX),
            n_manifests: 0,
        }
    }

    pub fn lookup(&mut self, what: impl Into<String>, answer: impl Into<String>, found: usize) {
        self.report.lookups.push(Lookup {
            what: what.into(),
            answer: answer.into(),
            found,
        });
    }

    pub fn diagnostic(&mut self, d: Diagnostic) {
        self.report.diagnostics.push(d);
    }

    pub fn finish(mut self) -> SupplyChain {
        self.report.badge = self.report.compute_badge();
        self.report
    }

    /// Whether the subject is one this lookup is about.
    pub fn is_subject(&self, digest: &Digest) -> bool {
        self.report.subjects.iter().any(|s| &s.digest == digest)
    }

    /// Reads a referrers index (the Referrers API's answer, or the tag schema's index): each
    /// descriptor's manifest is fetched and read. `filtered`: the registry applied the
    /// `artifactType` filter itself (`OCI-Filters-Applied`). Returns the manifests read.
    pub fn add_referrers_index(
        &mut self,
        store: &mut dyn Store,
        bytes: &[u8],
        refers_to: &Digest,
        found: &FoundBy,
        filter: Option<&str>,
        filtered: bool,
    ) -> Result<usize, String> {
        let where_ = format!("the referrers of {refers_to}");
        let index = match parse_document(
            &where_,
            bytes,
            crate::model::media_type::OCI_INDEX,
            self.limits,
        )
        .map_err(|e| e.to_string())?
        {
            Document::Index(i) => i,
            _ => return Err(format!("{where_} is not an image index")),
        };
        let mut n = 0;
        for desc in index.manifests {
            let Ok(digest) = desc.digest() else {
                self.diagnostic(Diagnostic::error(
                    "bad-referrer",
                    where_.clone(),
                    format!(
                        "a descriptor is skipped: digest `{}` is malformed",
                        crate::text::clip(&desc.digest, 80)
                    ),
                ));
                continue;
            };
            if self.is_subject(&digest) {
                self.diagnostic(Diagnostic::error(
                    "referrers-loop",
                    where_.clone(),
                    format!("the referrers index lists {digest}, the image itself, as its own referrer; skipped"),
                ));
                continue;
            }
            if let Some(want) = filter
                && !filtered
                && desc.artifact_type.as_deref() != Some(want)
            {
                continue;
            }
            if self.visited.contains(&digest) {
                continue;
            }
            match store.manifest(&digest) {
                Ok(manifest) => {
                    if self.add_manifest(store, found.clone(), refers_to, Some(&desc), manifest) {
                        n += 1;
                    }
                }
                Err(e) => self.diagnostic(Diagnostic::error(
                    "missing-referrer",
                    digest.to_string(),
                    format!("{where_} lists it, but it cannot be read: {e}"),
                )),
            }
        }
        Ok(n)
    }

    /// Reads one manifest found next to the image. Returns whether it was new.
    pub fn add_manifest(
        &mut self,
        store: &mut dyn Store,
        found: FoundBy,
        refers_to: &Digest,
        descriptor: Option<&Descriptor>,
        bytes: Vec<u8>,
    ) -> bool {
        let digest = Digest::sha256_of(&bytes);
        if !self.visited.insert(digest.clone()) {
            return false;
        }
        if self.n_manifests >= self.limits.max_referrers {
            let e = self.limits.exceeded(
                "max_referrers",
                format!(
                    "more manifests refer to {refers_to}; {digest} and later ones are not read"
                ),
            );
            self.diagnostic(Diagnostic::error(
                "limit-exceeded",
                "supply chain",
                e.to_string(),
            ));
            return false;
        }
        self.n_manifests += 1;
        let path = format!("manifest {digest}");
        let doc = match parse_document(&path, &bytes, "", self.limits) {
            Ok(d) => d,
            Err(e) => {
                self.diagnostic(Diagnostic::error("bad-referrer", path, e.to_string()));
                return false;
            }
        };
        let (artifact_type, subject, annotations, layers, config_media_type) = match &doc {
            Document::Manifest(m) => (
                m.artifact_type.clone(),
                m.subject.clone(),
                m.annotations.clone(),
                m.layers.clone(),
                m.config.media_type.clone(),
            ),
            Document::Index(i) => (
                i.artifact_type.clone(),
                i.subject.clone(),
                i.annotations.clone(),
                Vec::new(),
                String::new(),
            ),
            _ => (None, None, None, Vec::new(), String::new()),
        };
        // OCI image spec: the artifact type is `artifactType`, else the config's media type
        // (unless that is the empty descriptor's).
        let artifact_type = artifact_type
            .or_else(|| descriptor.and_then(|d| d.artifact_type.clone()))
            .unwrap_or_else(|| {
                if config_media_type == crate::model::media_type::OCI_EMPTY {
                    String::new()
                } else {
                    config_media_type.clone()
                }
            });
        let subject_digest = subject.as_ref().and_then(|s| s.digest().ok());
        let mut checks = Vec::new();
        match &found {
            FoundBy::ReferrersApi | FoundBy::ReferrersTag { .. } | FoundBy::Subject => {
                checks.push(match &subject_digest {
                    Some(s) if s == refers_to => Check::new(
                        CHECK_SUBJECT,
                        Outcome::Passed,
                        format!("its subject is {s}"),
                    ),
                    Some(s) => Check::new(
                        CHECK_SUBJECT,
                        Outcome::Failed,
                        format!("its subject is {s}, not this image's {refers_to}"),
                    ),
                    None => Check::new(CHECK_SUBJECT, Outcome::Failed, "it has no subject"),
                });
            }
            FoundBy::AttestationManifest => checks.push(Check::new(
                CHECK_ATTESTATION_OF,
                Outcome::Passed,
                format!("vnd.docker.reference.digest is {refers_to}"),
            )),
            FoundBy::CosignTag { .. } => {}
        }
        let mut kind = ArtifactKind::Unknown;
        let notation = artifact_type == NOTATION_ARTIFACT_TYPE;
        for (i, layer) in layers.iter().enumerate() {
            let layer_kind = classify_layer(&artifact_type, &layer.media_type);
            if layer_kind == LayerKind::Unknown {
                continue;
            }
            let blob = match self.read_layer(store, layer) {
                Ok(b) => b,
                Err(why) => {
                    checks.push(Check::new(
                        CHECK_LAYER,
                        Outcome::Failed,
                        format!("layer {} ({}): {why}", i + 1, layer.media_type),
                    ));
                    self.diagnostic(Diagnostic::error(
                        "unreadable-attestation",
                        format!("{digest} layer {}", i + 1),
                        why,
                    ));
                    continue;
                }
            };
            let at = Here {
                artifact: &digest,
                found: &found,
                refers_to,
                layer,
            };
            let read = match layer_kind {
                LayerKind::SimpleSigning => self
                    .read_cosign(&at, &blob)
                    .map(|()| ArtifactKind::CosignSignature),
                LayerKind::Statement => self
                    .read_statement(&at, &blob, None)
                    .map(|()| ArtifactKind::Attestation),
                LayerKind::Sbom => self
                    .read_attached_sbom(&at, &blob)
                    .map(|()| ArtifactKind::Sbom),
                LayerKind::NotationJws | LayerKind::NotationCose => self
                    .read_notation(&at, &blob, layer_kind == LayerKind::NotationCose)
                    .map(|()| ArtifactKind::NotationSignature),
                LayerKind::SigstoreBundle => self
                    .read_sigstore_bundle(&at, &blob)
                    .map(|()| ArtifactKind::SigstoreBundle),
                LayerKind::Unknown => continue,
            };
            match read {
                Ok(k) => {
                    if kind == ArtifactKind::Unknown {
                        kind = k;
                    }
                }
                Err(why) => {
                    checks.push(Check::new(
                        CHECK_LAYER,
                        Outcome::Failed,
                        format!("layer {} ({}): {why}", i + 1, layer.media_type),
                    ));
                    self.diagnostic(Diagnostic::error(
                        "bad-attestation",
                        format!("{digest} layer {}", i + 1),
                        why,
                    ));
                }
            }
        }
        if notation && kind == ArtifactKind::Unknown {
            kind = ArtifactKind::NotationSignature;
        }
        self.report.artifacts.push(Artifact {
            digest: digest.clone(),
            artifact_type,
            kind,
            found,
            refers_to: refers_to.clone(),
            subject: subject_digest,
            annotations: annotations.unwrap_or_default(),
            layers: layers
                .iter()
                .map(|l| ArtifactLayer {
                    media_type: l.media_type.clone(),
                    digest: l.digest.clone(),
                    size: l.size,
                })
                .collect(),
            checks,
            raw: RawJson::new(path, bytes),
        });
        true
    }

    /// A layer's bytes: within `max_attestation_bytes` by its descriptor before any is read,
    /// then of the declared size and digest.
    fn read_layer(&self, store: &mut dyn Store, layer: &Descriptor) -> Result<Vec<u8>, String> {
        let digest = layer.digest()?;
        let size = layer
            .size()
            .ok_or_else(|| format!("its descriptor declares a negative size ({})", layer.size))?;
        if size > self.limits.max_attestation_bytes {
            return Err(self
                .limits
                .exceeded(
                    "max_attestation_bytes",
                    format!("{digest} is {size} bytes; it is not downloaded"),
                )
                .to_string());
        }
        let bytes = store.blob(&digest, size).map_err(|e| e.to_string())?;
        if bytes.len() as u64 != size {
            return Err(format!(
                "its descriptor says {size} bytes, the blob is {} bytes",
                bytes.len()
            ));
        }
        if digest.is_verifiable() {
            let actual = Digest::sha256_of(&bytes);
            if actual != digest {
                return Err(format!("its bytes hash to {actual}, not {digest}"));
            }
        }
        Ok(bytes)
    }

    /// Checks the signatures over `message` with the certificate's key (a consistency check)
    /// and with the key given (the one that counts). `names_this`: whether what was signed is
    /// about this image; a signature that verifies but names another is a failure.
    fn verify(
        &self,
        message: &[u8],
        signatures: &[Vec<u8>],
        certificate: Option<&Certificate>,
        names_this: &Result<(), String>,
        no_trust_root: &str,
        checks: &mut Vec<Check>,
    ) -> Verification {
        if let Some(cert) = certificate {
            match &cert.public_key {
                Some(k) => {
                    let ok = signatures.iter().any(|s| k.verify(message, s).is_ok());
                    checks.push(Check::new(
                        CHECK_CERT_KEY,
                        if ok { Outcome::Passed } else { Outcome::Failed },
                        if ok {
                            format!("it verifies with the key in the certificate for {} (the certificate itself is not verified)", cert.identity())
                        } else {
                            "it does not verify with the key in its certificate".to_owned()
                        },
                    ));
                }
                None => checks.push(Check::new(
                    CHECK_CERT_KEY,
                    Outcome::NotChecked,
                    "the certificate's key is neither ECDSA P-256 nor Ed25519",
                )),
            }
        }
        let identity = certificate.map(|c| {
            let issuer = c
                .oidc_issuer
                .as_deref()
                .map(|i| format!(", issuer {i}"))
                .unwrap_or_default();
            format!("{}{issuer}", c.identity())
        });
        let Some(key) = self.key else {
            return Verification::NotVerified {
                reason: match identity {
                    Some(who) => format!("keyless, certificate for {who}: {no_trust_root}"),
                    None => "no public key given to verify with".into(),
                },
            };
        };
        if signatures.is_empty() {
            return Verification::Failed {
                reason: "it carries no signature".into(),
            };
        }
        let mut why = String::new();
        for s in signatures {
            match key.verify(message, s) {
                Ok(()) => {
                    return match names_this {
                        Ok(()) => Verification::Verified {
                            key: key.describe(),
                        },
                        Err(not) => Verification::Failed {
                            reason: format!("it verifies with the key given, but {not}"),
                        },
                    };
                }
                Err(e) => why = e,
            }
        }
        match identity {
            Some(who) => Verification::NotVerified {
                reason: format!(
                    "keyless, certificate for {who}: the key given did not sign it, and {no_trust_root}"
                ),
            },
            None => Verification::Failed { reason: why },
        }
    }

    /// Whether a digest named by a signature or statement is this image's.
    fn names_this(&self, named: Option<&str>, refers_to: &Digest) -> Result<(), String> {
        match named {
            Some(n) if n == refers_to.as_str() => Ok(()),
            Some(n) => Err(format!(
                "it names {}, not this image's {refers_to}",
                crate::text::clip(n, 80)
            )),
            None => Err("it names no manifest digest".into()),
        }
    }

    fn repository_check(&self, named: Option<&str>) -> Check {
        let Some(named) = named else {
            return Check::new(
                CHECK_REPOSITORY,
                Outcome::NotChecked,
                "the payload names no repository",
            );
        };
        let Some(ours) = &self.report.repository else {
            return Check::new(
                CHECK_REPOSITORY,
                Outcome::NotChecked,
                format!("it names {named}; where this image came from is not known"),
            );
        };
        let normal = |r: &str| {
            crate::registry::Reference::parse(r)
                .map(|r| format!("{}/{}", r.domain, r.repository))
                .unwrap_or_else(|_| r.to_owned())
        };
        if normal(named) == normal(ours) {
            Check::new(
                CHECK_REPOSITORY,
                Outcome::Passed,
                format!("it names {named}"),
            )
        } else {
            Check::new(
                CHECK_REPOSITORY,
                Outcome::Warning,
                format!(
                    "it was signed for {}, and this image is in {ours}: a copy, or a signature moved from another repository (containers/image's matchRepository policy refuses it; `cosign verify` does not look)",
                    crate::text::clip(named, 120)
                ),
            )
        }
    }

    /// A cosign simple-signing layer and its annotations.
    fn read_cosign(&mut self, at: &Here<'_>, payload: &[u8]) -> Result<(), String> {
        let mut checks = Vec::new();
        let signing = parse_simple_signing(payload)?;
        let names_this = self.names_this(Some(&signing.manifest_digest), at.refers_to);
        checks.push(match &names_this {
            Ok(()) => Check::new(
                CHECK_NAMES_IMAGE,
                Outcome::Passed,
                format!("it names {}", at.refers_to),
            ),
            Err(why) => Check::new(CHECK_NAMES_IMAGE, Outcome::Failed, why.clone()),
        });
        checks.push(self.repository_check(signing.docker_reference.as_deref()));
        let certificate = self.certificate(at.layer, &mut checks);
        let signature_text = at.layer.annotation(SIGNATURE_ANNOTATION).unwrap_or("");
        let signatures = match base64(signature_text, "the signature annotation") {
            Ok(s) if !s.is_empty() => vec![s],
            Ok(_) => Vec::new(),
            Err(e) => {
                checks.push(Check::new(
                    "the signature annotation decodes",
                    Outcome::Failed,
                    e,
                ));
                Vec::new()
            }
        };
        let transparency_log = self.tlog(at.layer, payload, signature_text, &mut checks);
        let mut verification = self.verify(
            payload,
            &signatures,
            certificate.as_ref(),
            &names_this,
            "no trust root here to verify the certificate (Fulcio's CA) or the log entry (Rekor's key)",
            &mut checks,
        );
        if signatures.is_empty() && !matches!(verification, Verification::Failed { .. }) {
            verification = Verification::NotVerified {
                reason: format!("the layer has no {SIGNATURE_ANNOTATION} annotation"),
            };
        }
        let signer =
            certificate
                .as_ref()
                .map(Certificate::identity)
                .or_else(|| match &verification {
                    Verification::Verified { key } => Some(key.label()),
                    _ => None,
                });
        self.report.signatures.push(Signature {
            artifact: at.artifact.clone(),
            found: at.found.clone(),
            format: "cosign".into(),
            signed_digest: Some(signing.manifest_digest),
            docker_reference: signing.docker_reference,
            annotations: signing.optional,
            signer,
            certificate,
            signing_time: None,
            expiry: None,
            transparency_log,
            verification,
            checks,
        });
        Ok(())
    }

    fn certificate(&self, layer: &Descriptor, checks: &mut Vec<Check>) -> Option<Certificate> {
        let pem = layer
            .annotation(CERTIFICATE_ANNOTATION)
            .filter(|p| !p.trim().is_empty())?;
        match Certificate::from_pem(pem) {
            Ok(c) => Some(c),
            Err(e) => {
                checks.push(Check::new(
                    "the signing certificate was read",
                    Outcome::Failed,
                    e,
                ));
                None
            }
        }
    }

    /// The bundle annotation: what the log entry records must be this payload and signature.
    fn tlog(
        &self,
        layer: &Descriptor,
        payload: &[u8],
        signature: &str,
        checks: &mut Vec<Check>,
    ) -> Option<super::cosign::TlogEntry> {
        let text = layer.annotation(BUNDLE_ANNOTATION)?;
        match parse_bundle(text) {
            Ok(entry) => {
                let hash = to_hex(&sha2::Digest::finalize(sha2::Digest::chain_update(
                    <sha2::Sha256 as sha2::Digest>::new(),
                    payload,
                )));
                let check = match (&entry.body_hash, &entry.body_signature) {
                    (Some(h), Some(s)) if *h == hash && s.trim() == signature.trim() => Check::new(
                        CHECK_TLOG,
                        Outcome::Passed,
                        format!(
                            "log index {} records this payload's sha256 and this signature (the log's signed timestamp is not verified: no trust root)",
                            entry.log_index.map_or("?".into(), |i| i.to_string())
                        ),
                    ),
                    (Some(h), _) if *h != hash => Check::new(
                        CHECK_TLOG,
                        Outcome::Failed,
                        format!(
                            "the entry records sha256 {}, the payload's is {hash}",
                            crate::text::clip(h, 80)
                        ),
                    ),
                    (Some(_), Some(_)) => Check::new(
                        CHECK_TLOG,
                        Outcome::Failed,
                        "the entry records another signature",
                    ),
                    _ => Check::new(
                        CHECK_TLOG,
                        Outcome::NotChecked,
                        format!(
                            "the entry is `{}`, whose body Strata does not compare",
                            entry.kind.as_deref().unwrap_or("?")
                        ),
                    ),
                };
                checks.push(check);
                Some(entry)
            }
            Err(e) => {
                checks.push(Check::new(CHECK_TLOG, Outcome::Failed, e));
                None
            }
        }
    }

    /// A DSSE envelope or a bare statement. `bundle_cert`: the certificate a sigstore bundle
    /// carried the envelope with.
    fn read_statement(
        &mut self,
        at: &Here<'_>,
        bytes: &[u8],
        bundle_cert: Option<Certificate>,
    ) -> Result<(), String> {
        let mut checks = Vec::new();
        let (statement_bytes, envelope, message) = if looks_like_envelope(bytes) {
            let env = parse_envelope(bytes)?;
            if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
                return Err(format!(
                    "the DSSE payload type is `{}`, not an in-toto statement ({IN_TOTO_PAYLOAD_TYPE})",
                    crate::text::clip(&env.payload_type, 80)
                ));
            }
            let message = pae(&env.payload_type, &env.payload);
            let info = EnvelopeInfo {
                payload_type: env.payload_type.clone(),
                signatures: env.signatures.len(),
                key_ids: env
                    .signatures
                    .iter()
                    .filter_map(|s| s.keyid.clone())
                    .collect(),
            };
            let sigs: Vec<Vec<u8>> = env.signatures.into_iter().map(|s| s.sig).collect();
            (env.payload, Some((info, sigs)), message)
        } else {
            (bytes.to_vec(), None, Vec::new())
        };
        let statement = super::statement::parse_statement(&statement_bytes, self.limits)?;
        let names_this = if statement.names(at.refers_to) {
            checks.push(Check::new(
                CHECK_STATEMENT_SUBJECT,
                Outcome::Passed,
                format!("a subject's sha256 is {}", at.refers_to),
            ));
            Ok(())
        } else {
            let named: Vec<String> = statement
                .subjects
                .iter()
                .map(|s| {
                    s.digest
                        .iter()
                        .map(|(a, h)| format!("{a}:{}", crate::text::clip(h, 70)))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let why = if named.is_empty() {
                "the statement has no subject".to_owned()
            } else {
                format!(
                    "its subjects are {}, not this image's {}",
                    named.join(", "),
                    at.refers_to
                )
            };
            checks.push(Check::new(
                CHECK_STATEMENT_SUBJECT,
                Outcome::Failed,
                why.clone(),
            ));
            Err(why)
        };
        if let Some(announced) = at.layer.annotation("in-toto.io/predicate-type")
            && announced != statement.predicate_type
        {
            checks.push(Check::new(
                CHECK_PREDICATE_TYPE,
                Outcome::Warning,
                format!(
                    "the layer says {announced}, the statement {}",
                    statement.predicate_type
                ),
            ));
        }
        let provenance = if super::provenance::is_provenance(&statement.predicate_type) {
            let predicate = super::statement::predicate_json(&statement_bytes)?;
            Some(super::provenance::read_provenance(
                &statement.predicate_type,
                &predicate,
            ))
        } else {
            None
        };
        let sbom = if super::sbom::is_sbom_predicate(&statement.predicate_type) {
            match super::sbom::read_sbom_predicate(&statement_bytes, self.limits) {
                Ok(s) => Some(s),
                Err(e) => {
                    checks.push(Check::new(
                        "the SBOM predicate was read",
                        Outcome::Failed,
                        e,
                    ));
                    None
                }
            }
        } else {
            None
        };
        let certificate = bundle_cert.or_else(|| self.certificate(at.layer, &mut checks));
        let (envelope, verification) = match envelope {
            Some((info, sigs)) => {
                let v = self.verify(
                    &message,
                    &sigs,
                    certificate.as_ref(),
                    &names_this,
                    "no trust root here to verify the certificate",
                    &mut checks,
                );
                (Some(info), v)
            }
            None => (
                None,
                Verification::NotVerified {
                    reason: "a bare in-toto statement, not signed (BuildKit does not sign its attestations; only the index ties it to the image)".into(),
                },
            ),
        };
        self.report.attestations.push(Attestation {
            artifact: at.artifact.clone(),
            layer: at
                .layer
                .digest()
                .unwrap_or_else(|_| Digest::sha256_of(bytes)),
            found: at.found.clone(),
            envelope,
            statement_type: statement.statement_type,
            predicate_type: statement.predicate_type,
            subjects: statement.subjects,
            provenance,
            sbom,
            certificate,
            verification,
            checks,
            raw: RawJson::new(
                format!("{} layer {}", at.artifact, at.layer.digest),
                statement_bytes,
            ),
        });
        Ok(())
    }

    fn read_attached_sbom(&mut self, at: &Here<'_>, bytes: &[u8]) -> Result<(), String> {
        let sbom = super::sbom::read_sbom(bytes, self.limits)?;
        self.report.attached_sboms.push(AttachedSbom {
            artifact: at.artifact.clone(),
            layer: at
                .layer
                .digest()
                .unwrap_or_else(|_| Digest::sha256_of(bytes)),
            found: at.found.clone(),
            media_type: at.layer.media_type.clone(),
            sbom,
        });
        Ok(())
    }

    fn read_notation(&mut self, at: &Here<'_>, bytes: &[u8], cose: bool) -> Result<(), String> {
        let env = if cose {
            super::notation::parse_cose(bytes)?
        } else {
            super::notation::parse_jws(bytes)?
        };
        let mut checks = Vec::new();
        let names_this = self.names_this(env.target_digest.as_deref(), at.refers_to);
        checks.push(match &names_this {
            Ok(()) => Check::new(
                CHECK_NAMES_IMAGE,
                Outcome::Passed,
                format!("its targetArtifact is {}", at.refers_to),
            ),
            Err(why) => Check::new(CHECK_NAMES_IMAGE, Outcome::Failed, why.clone()),
        });
        let mut usable = names_this.clone();
        if let Some(expiry) = env.expiry {
            checks.push(if expiry > self.now {
                Check::new(
                    CHECK_EXPIRY,
                    Outcome::Passed,
                    format!("it expires {}", crate::text::format_time(expiry)),
                )
            } else {
                let why = format!("it expired {}", crate::text::format_time(expiry));
                if usable.is_ok() {
                    usable = Err(why.clone());
                }
                Check::new(CHECK_EXPIRY, Outcome::Failed, why)
            });
        }
        let leaf = env.certificates.first().cloned();
        let verification = if matches!(env.algorithm.as_str(), "ES256" | "EdDSA") {
            self.verify(
                &env.signed,
                std::slice::from_ref(&env.signature),
                leaf.as_ref(),
                &usable,
                "Notation trusts certificate chains through a trust store and policy, and there is none here",
                &mut checks,
            )
        } else {
            checks.push(Check::new(
                CHECK_CERT_KEY,
                Outcome::NotChecked,
                format!(
                    "{} signatures are not checked here (only ES256 and EdDSA)",
                    env.algorithm
                ),
            ));
            Verification::NotVerified {
                reason: format!(
                    "{} signatures are not checked here; Notation verifies them against a trust store",
                    env.algorithm
                ),
            }
        };
        self.report.signatures.push(Signature {
            artifact: at.artifact.clone(),
            found: at.found.clone(),
            format: format!("Notation {}", env.envelope),
            signed_digest: env.target_digest.clone(),
            docker_reference: None,
            annotations: BTreeMap::new(),
            signer: leaf.as_ref().map(|c| c.subject.clone()),
            certificate: leaf,
            signing_time: env.signing_time,
            expiry: env.expiry,
            transparency_log: None,
            verification,
            checks,
        });
        Ok(())
    }

    /// A sigstore bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`): a DSSE envelope
    /// (read as an attestation) or a message signature, with its verification material.
    fn read_sigstore_bundle(&mut self, at: &Here<'_>, bytes: &[u8]) -> Result<(), String> {
        let v: serde_json::Value =
            crate::model::parse_json("the sigstore bundle", bytes, self.limits)
                .map_err(|e| e.to_string())?;
        let material = v.get("verificationMaterial");
        let raw_cert = material
            .and_then(|m| m.pointer("/certificate/rawBytes"))
            .or_else(|| {
                material.and_then(|m| m.pointer("/x509CertificateChain/certificates/0/rawBytes"))
            })
            .and_then(|c| c.as_str());
        let certificate = match raw_cert {
            Some(b64) => Some(Certificate::from_der(&base64(
                b64,
                "the bundle's certificate",
            )?)?),
            None => None,
        };
        if let Some(envelope) = v.get("dsseEnvelope") {
            let bytes = serde_json::to_vec(envelope).map_err(|e| e.to_string())?;
            return self.read_statement(at, &bytes, certificate);
        }
        let mut checks = vec![Check::new(
            CHECK_NAMES_IMAGE,
            Outcome::NotChecked,
            "a message signature's bundle does not carry what was signed",
        )];
        let signature = v
            .pointer("/messageSignature/signature")
            .and_then(|s| s.as_str())
            .ok_or("the bundle has neither a dsseEnvelope nor a messageSignature")?;
        let _ = base64(signature, "the bundle's signature")?;
        let log =
            material
                .and_then(|m| m.pointer("/tlogEntries/0"))
                .map(|e| super::cosign::TlogEntry {
                    log_index: e.get("logIndex").and_then(|i| i.as_str()?.parse().ok()),
                    integrated_time: e
                        .get("integratedTime")
                        .and_then(|i| i.as_str()?.parse().ok()),
                    log_id: e
                        .pointer("/logId/keyId")
                        .and_then(|i| i.as_str())
                        .map(str::to_owned),
                    kind: e
                        .pointer("/kindVersion/kind")
                        .and_then(|k| k.as_str())
                        .map(str::to_owned),
                    body_hash: None,
                    body_signature: None,
                });
        if log.is_some() {
            checks.push(Check::new(
                CHECK_TLOG,
                Outcome::NotChecked,
                "the log entry is listed; its inclusion proof needs Rekor's key",
            ));
        }
        self.report.signatures.push(Signature {
            artifact: at.artifact.clone(),
            found: at.found.clone(),
            format: "sigstore bundle".into(),
            signed_digest: None,
            docker_reference: None,
            annotations: BTreeMap::new(),
            signer: certificate.as_ref().map(Certificate::identity),
            verification: Verification::NotVerified {
                reason: "a sigstore bundle's message signature is verified against Fulcio and Rekor, which are not here".into(),
            },
            certificate,
            signing_time: None,
            expiry: None,
            transparency_log: log,
            checks,
        });
        Ok(())
    }
}

/// Where a layer being read sits.
struct Here<'a> {
    artifact: &'a Digest,
    found: &'a FoundBy,
    refers_to: &'a Digest,
    layer: &'a Descriptor,
}
