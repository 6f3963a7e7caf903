//! What the Supply chain view and the overview's badge show of a [`SupplyChain`] report: the
//! badge's words and tone, what kinds of attestation were found, each check's and each
//! verification's mark. One rule runs through it: only a signature or envelope verified with
//! the user's key is ever `Tone::Good`; "signed", "checked" and "not verified" are neutral, so no
//! green tick appears that was not earned.

use crate::supply_chain::{Artifact, ArtifactKind, Badge};
use crate::supply_chain::{Outcome, SupplyChain, Verification, provenance, sbom};

/// How a line is shown: green only for cryptographic verification with the key given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Neutral,
}

impl Tone {
    /// The CSS class of a badge in this tone.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Neutral => "muted",
        }
    }
}

/// The overview's one line about signatures and attestations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeView {
    /// `signed by … (not verified: …)`, `unsigned`, `signature names another digest (…)`.
    pub text: String,
    pub tone: Tone,
    /// `attestations: provenance, SBOM`, when any were found.
    pub attestations: Option<String>,
}

/// The badge of a report. `docker_save`: the image came from a `docker save` archive, which
/// has no manifests and so can hold no signature: "unsigned" would say more than is known.
pub fn badge(report: &SupplyChain, docker_save: bool) -> BadgeView {
    if docker_save && report.signatures.is_empty() && report.attestations.is_empty() {
        return BadgeView {
            text: "none in a docker save archive (it keeps no signatures: look the image up in its registry)".into(),
            tone: Tone::Neutral,
            attestations: None,
        };
    }
    let tone = match &report.badge {
        Badge::Verified { .. } => Tone::Good,
        Badge::Failed { .. } | Badge::WrongDigest { .. } => Tone::Bad,
        Badge::Signed { .. } | Badge::Unsigned { .. } => Tone::Neutral,
    };
    let kinds = attestation_kinds(report);
    BadgeView {
        text: report.badge.label(),
        tone,
        attestations: (!kinds.is_empty()).then(|| format!("attestations: {}", kinds.join(", "))),
    }
}

/// The kinds of attestation found, each once, in order: `provenance`, `SBOM`, then any other
/// predicate type as written.
pub fn attestation_kinds(report: &SupplyChain) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in &report.attestations {
        let kind = if provenance::is_provenance(&a.predicate_type) {
            "provenance".to_owned()
        } else if sbom::is_sbom_predicate(&a.predicate_type) {
            "SBOM".to_owned()
        } else {
            a.predicate_type.clone()
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if !report.attached_sboms.is_empty() && !out.iter().any(|k| k == "SBOM") {
        out.push("SBOM".into());
    }
    out
}

/// A check's mark and tone (`✓ passed` is a check of what the documents say, not a
/// verification, so it is neutral unless the check was the signature's).
pub fn outcome(o: Outcome) -> (&'static str, Tone) {
    match o {
        Outcome::Passed => ("passed", Tone::Neutral),
        Outcome::Failed => ("failed", Tone::Bad),
        Outcome::Warning => ("warning", Tone::Bad),
        Outcome::NotChecked => ("not checked", Tone::Neutral),
    }
}

/// A verification's words and tone.
pub fn verification(v: &Verification) -> (String, Tone) {
    let tone = match v {
        Verification::Verified { .. } => Tone::Good,
        Verification::Failed { .. } => Tone::Bad,
        Verification::NotVerified { .. } => Tone::Neutral,
    };
    (v.label(), tone)
}

/// Which of the looked-up digests `digest` is (`manifest`, `index`); `None`: another digest.
pub fn subject_role<'a>(report: &'a SupplyChain, digest: &str) -> Option<&'a str> {
    report
        .subjects
        .iter()
        .find(|s| s.digest.as_str() == digest)
        .map(|s| s.role.as_str())
}

/// What a found manifest is, for a heading.
pub fn kind_label(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::CosignSignature => "cosign signature",
        ArtifactKind::NotationSignature => "Notation signature",
        ArtifactKind::SigstoreBundle => "sigstore bundle",
        ArtifactKind::Attestation => "attestation",
        ArtifactKind::Sbom => "SBOM",
        ArtifactKind::Unknown => "unknown artifact",
    }
}

/// An artifact's type as a person reads it (`(no artifact type)` when it has none).
pub fn artifact_type(a: &Artifact) -> String {
    if a.artifact_type.is_empty() {
        "(no artifact type)".into()
    } else {
        a.artifact_type.clone()
    }
}

/// The manifests found whose kind no reader knows, grouped by artifact type (in order found).
pub fn unknown_by_type(report: &SupplyChain) -> Vec<(String, Vec<&Artifact>)> {
    let mut out: Vec<(String, Vec<&Artifact>)> = Vec::new();
    for a in report
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Unknown)
    {
        let t = artifact_type(a);
        match out.iter_mut().find(|(k, _)| *k == t) {
            Some((_, list)) => list.push(a),
            None => out.push((t, vec![a])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supply_chain::{KeyInfo, Subject};

    fn report(badge: Badge) -> SupplyChain {
        SupplyChain {
            subjects: vec![Subject {
                digest: crate::Digest::sha256_of(b"m"),
                role: "manifest".into(),
            }],
            repository: None,
            key: None,
            signatures: Vec::new(),
            attestations: Vec::new(),
            attached_sboms: Vec::new(),
            artifacts: Vec::new(),
            lookups: Vec::new(),
            diagnostics: Vec::new(),
            badge,
        }
    }

    #[track_caller]
    fn check(badge: Badge, tone: Tone, text: &str) {
        let b = super::badge(&report(badge), false);
        assert_eq!((b.tone, b.text.as_str()), (tone, text));
    }

    #[test]
    fn only_verification_with_the_key_given_is_good() {
        check(
            Badge::Verified {
                signer: "ECDSA P-256 key SHA256:x".into(),
            },
            Tone::Good,
            "signed by ECDSA P-256 key SHA256:x (verified)",
        );
        check(
            Badge::Signed {
                signer: "dev@example.com".into(),
                note: "not verified: no trust root".into(),
            },
            Tone::Neutral,
            "signed by dev@example.com (not verified: no trust root)",
        );
        check(
            Badge::WrongDigest {
                names: "sha256:aa".into(),
            },
            Tone::Bad,
            "signature names another digest (sha256:aa)",
        );
        check(
            Badge::Failed {
                reason: "bad signature".into(),
            },
            Tone::Bad,
            "signature did not verify: bad signature",
        );
        check(
            Badge::Unsigned {
                attestations: 0,
                verified: 0,
            },
            Tone::Neutral,
            "unsigned",
        );
        // A docker save archive cannot hold a signature: not "unsigned", but none here.
        let none = super::badge(
            &report(Badge::Unsigned {
                attestations: 0,
                verified: 0,
            }),
            true,
        );
        assert!(
            none.text.starts_with("none in a docker save archive"),
            "{}",
            none.text
        );
        // A passed check is what a document says, never a verification.
        assert_eq!(outcome(Outcome::Passed).1, Tone::Neutral);
        let key = KeyInfo {
            algorithm: "Ed25519".into(),
            fingerprint: "SHA256:k".into(),
        };
        assert_eq!(verification(&Verification::Verified { key }).1, Tone::Good);
        assert_eq!(
            verification(&Verification::NotVerified {
                reason: "no trust root".into()
            })
            .1,
            Tone::Neutral
        );
    }
}
