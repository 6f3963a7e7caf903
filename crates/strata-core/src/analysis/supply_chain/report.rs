//! The Supply chain view's model: what was found (every referrer, attestation manifest and
//! cosign tag, with how it was found), what each signature and attestation says, exactly what
//! was checked and how it came out, and the one-line badge for the overview. Serde types, so a
//! worker can hand it to the page and the CLI can print it as JSON.

use super::cosign::TlogEntry;
use super::keys::KeyInfo;
use super::provenance::Provenance;
use super::sbom::Sbom;
use super::statement::StatementSubject;
use super::x509::Certificate;
use crate::diagnostic::Diagnostic;
use crate::digest::Digest;
use crate::model::RawJson;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything found about an image's supply chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyChain {
    /// The digests looked up: the image's manifest and, when it was chosen from an index, the
    /// index (cosign signs whichever digest it was given).
    pub subjects: Vec<Subject>,
    /// `registry/repository`, when known: what a signature's docker-reference should name.
    pub repository: Option<String>,
    /// The key given to verify with.
    pub key: Option<KeyInfo>,
    pub signatures: Vec<Signature>,
    pub attestations: Vec<Attestation>,
    /// SBOMs attached as files (cosign `.sbom`, SBOM referrers); SBOMs inside attestations are
    /// on those ([`SupplyChain::sboms`] lists both).
    pub attached_sboms: Vec<AttachedSbom>,
    /// Every manifest found, by how it was found, including those of unknown types.
    pub artifacts: Vec<Artifact>,
    /// Each lookup made and its answer, in order.
    pub lookups: Vec<Lookup>,
    pub diagnostics: Vec<Diagnostic>,
    pub badge: Badge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub digest: Digest,
    /// `manifest` or `index`.
    pub role: String,
}

/// How a manifest was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum FoundBy {
    /// In the image index, marked `vnd.docker.reference.type: attestation-manifest` (BuildKit).
    AttestationManifest,
    /// A manifest in the archive or index whose `subject` is the image.
    Subject,
    /// The registry's Referrers API (`GET /v2/<name>/referrers/<digest>`).
    ReferrersApi,
    /// The referrers tag schema's index (`sha256-<hex>`), for registries without the API.
    ReferrersTag { tag: String },
    /// cosign's tag scheme (`sha256-<hex>.sig`, `.att`, `.sbom`).
    CosignTag { tag: String },
}

impl FoundBy {
    pub fn label(&self) -> String {
        match self {
            FoundBy::AttestationManifest => "attestation manifest in the index".into(),
            FoundBy::Subject => "manifest with this image as subject".into(),
            FoundBy::ReferrersApi => "Referrers API".into(),
            FoundBy::ReferrersTag { tag } => format!("referrers tag {tag}"),
            FoundBy::CosignTag { tag } => format!("cosign tag {tag}"),
        }
    }
}

/// What a found manifest holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    CosignSignature,
    NotationSignature,
    SigstoreBundle,
    Attestation,
    Sbom,
    Unknown,
}

/// One layer of a found manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactLayer {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
}

/// A manifest found next to the image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub digest: Digest,
    /// `artifactType`, else the config's media type (OCI image spec, "Guidelines for Artifact
    /// Usage").
    pub artifact_type: String,
    pub kind: ArtifactKind,
    pub found: FoundBy,
    /// The subject digest it was looked up for.
    pub refers_to: Digest,
    /// Its own `subject`, when it has one.
    pub subject: Option<Digest>,
    pub annotations: BTreeMap<String, String>,
    pub layers: Vec<ArtifactLayer>,
    pub checks: Vec<Check>,
    pub raw: RawJson,
}

/// One check and how it came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked (`the payload names this manifest`).
    pub what: String,
    pub outcome: Outcome,
    /// What was found (`the payload names sha256:…, this manifest is sha256:…`).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not wrong in itself, but a policy may refuse it (a signature for another repository).
    Warning,
    /// Could not be checked here; `detail` says why.
    NotChecked,
}

impl Check {
    pub fn new(what: &str, outcome: Outcome, detail: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            outcome,
            detail: detail.into(),
        }
    }
}

/// Whether a signature was verified, cryptographically, for this image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verification {
    /// The signature verifies with the key given and names this image.
    Verified { key: KeyInfo },
    /// It was checked with the key given and does not verify for this image.
    Failed { reason: String },
    /// It was not verified; `reason` says why (no key given, no trust root, …).
    NotVerified { reason: String },
}

impl Verification {
    pub fn label(&self) -> String {
        match self {
            Verification::Verified { key } => format!("verified with {}", key.label()),
            Verification::Failed { reason } => format!("verification failed: {reason}"),
            Verification::NotVerified { reason } => format!("not verified: {reason}"),
        }
    }

    pub fn is_verified(&self) -> bool {
        matches!(self, Verification::Verified { .. })
    }
}

/// A signature over the image's manifest (cosign, Notation, a sigstore bundle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The manifest holding it.
    pub artifact: Digest,
    pub found: FoundBy,
    /// `cosign`, `Notation JWS`, `Notation COSE`, `sigstore bundle`.
    pub format: String,
    /// The manifest digest the signed payload names.
    pub signed_digest: Option<String>,
    /// The repository the payload names (cosign's `docker-reference`).
    pub docker_reference: Option<String>,
    /// Signed annotations (cosign's `optional`).
    pub annotations: BTreeMap<String, String>,
    /// Who signed, as the signature says (a certificate's identity, or the key).
    pub signer: Option<String>,
    pub certificate: Option<Certificate>,
    /// Seconds since the epoch, where the format records them.
    pub signing_time: Option<i64>,
    pub expiry: Option<i64>,
    pub transparency_log: Option<TlogEntry>,
    pub verification: Verification,
    pub checks: Vec<Check>,
}

/// The DSSE envelope around a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeInfo {
    pub payload_type: String,
    pub signatures: usize,
    /// The `keyid` hints, unauthenticated.
    pub key_ids: Vec<String>,
}

/// An in-toto statement about the image (provenance, an SBOM, anything else).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    pub artifact: Digest,
    /// The layer (blob) holding it.
    pub layer: Digest,
    pub found: FoundBy,
    /// `None` for a bare statement (BuildKit's attestation manifests are unsigned).
    pub envelope: Option<EnvelopeInfo>,
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<StatementSubject>,
    pub provenance: Option<Provenance>,
    pub sbom: Option<Sbom>,
    pub certificate: Option<Certificate>,
    pub verification: Verification,
    pub checks: Vec<Check>,
    /// The statement as stored, for the raw view.
    pub raw: RawJson,
}

/// An SBOM attached as a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedSbom {
    pub artifact: Digest,
    pub layer: Digest,
    pub found: FoundBy,
    pub media_type: String,
    pub sbom: Sbom,
}

/// One lookup and its answer (`GET /v2/app/referrers/sha256:…` → `404: no Referrers API`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    pub what: String,
    pub answer: String,
    /// Manifests it led to.
    pub found: usize,
}

/// The overview's one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Badge {
    /// A signature verified with the key given.
    Verified { signer: String },
    /// A signature for this image, not verified here (`note` says why).
    Signed { signer: String, note: String },
    /// A signature was checked with the key given and failed.
    Failed { reason: String },
    /// Every signature names another manifest.
    WrongDigest { names: String },
    /// No signature; `attestations` were found, `verified` of them with the key given.
    Unsigned {
        attestations: usize,
        verified: usize,
    },
}

impl Badge {
    pub fn label(&self) -> String {
        match self {
            Badge::Verified { signer } => format!("signed by {signer} (verified)"),
            Badge::Signed { signer, note } => format!("signed by {signer} ({note})"),
            Badge::Failed { reason } => format!("signature did not verify: {reason}"),
            Badge::WrongDigest { names } => format!("signature names another digest ({names})"),
            Badge::Unsigned {
                attestations: 0, ..
            } => "unsigned".into(),
            Badge::Unsigned {
                attestations,
                verified: 0,
            } => format!(
                "unsigned ({})",
                crate::text::count(*attestations, "attestation")
            ),
            Badge::Unsigned {
                attestations,
                verified,
            } => format!(
                "unsigned; {}, {verified} verified with the key given",
                crate::text::count(*attestations, "attestation")
            ),
        }
    }
}

/// What checking with a key came to, for hosts that act on it (the CLI's exit code 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// This many signatures and attestations verified, and none failed.
    Verified(usize),
    /// Something failed, or nothing verified: the reasons.
    Failed(Vec<String>),
}

impl SupplyChain {
    /// Every SBOM: attached files and attestation predicates.
    pub fn sboms(&self) -> impl Iterator<Item = &Sbom> {
        self.attached_sboms
            .iter()
            .map(|a| &a.sbom)
            .chain(self.attestations.iter().filter_map(|a| a.sbom.as_ref()))
    }

    /// Every provenance summary.
    pub fn provenance(&self) -> impl Iterator<Item = &Provenance> {
        self.attestations
            .iter()
            .filter_map(|a| a.provenance.as_ref())
    }

    /// With a key given: whether every signature and signed attestation checked with it
    /// verified, and at least one did. Keyless signatures (with a certificate) the key did not
    /// sign are not counted either way. `None` without a key.
    pub fn key_outcome(&self) -> Option<KeyOutcome> {
        self.key.as_ref()?;
        let verifications = self
            .signatures
            .iter()
            .map(|s| (&s.verification, s.signer.clone()))
            .chain(
                self.attestations
                    .iter()
                    .filter(|a| a.envelope.is_some())
                    .map(|a| (&a.verification, Some(a.predicate_type.clone()))),
            );
        let mut verified = 0;
        let mut failed = Vec::new();
        for (v, what) in verifications {
            match v {
                Verification::Verified { .. } => verified += 1,
                Verification::Failed { reason } => failed.push(match what {
                    Some(w) => format!("{w}: {reason}"),
                    None => reason.clone(),
                }),
                Verification::NotVerified { .. } => {}
            }
        }
        Some(if failed.is_empty() && verified > 0 {
            KeyOutcome::Verified(verified)
        } else {
            if failed.is_empty() {
                failed.push("nothing here is signed with the key given".into());
            }
            KeyOutcome::Failed(failed)
        })
    }

    /// The badge, from the signatures.
    pub(super) fn compute_badge(&self) -> Badge {
        let names_this = |s: &&Signature| {
            !s.checks
                .iter()
                .any(|c| c.what == super::read::CHECK_NAMES_IMAGE && c.outcome == Outcome::Failed)
        };
        if self.signatures.is_empty() {
            return Badge::Unsigned {
                attestations: self.attestations.len(),
                verified: self
                    .attestations
                    .iter()
                    .filter(|a| a.verification.is_verified())
                    .count(),
            };
        }
        if let Some(s) = self
            .signatures
            .iter()
            .find(|s| s.verification.is_verified())
        {
            let signer = match &s.verification {
                Verification::Verified { key } => s.signer.clone().unwrap_or_else(|| key.label()),
                _ => String::new(),
            };
            return Badge::Verified { signer };
        }
        if let Some(Verification::Failed { reason }) = self
            .signatures
            .iter()
            .map(|s| &s.verification)
            .find(|v| matches!(v, Verification::Failed { .. }))
        {
            return Badge::Failed {
                reason: reason.clone(),
            };
        }
        match self.signatures.iter().find(names_this) {
            Some(s) => Badge::Signed {
                signer: s.signer.clone().unwrap_or_else(|| "an unknown key".into()),
                note: s.verification.label(),
            },
            None => Badge::WrongDigest {
                names: self.signatures[0]
                    .signed_digest
                    .clone()
                    .unwrap_or_else(|| "nothing".into()),
            },
        }
    }
}
