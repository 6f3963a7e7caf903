//! Signing certificates, read (never trusted): who a keyless signature says signed it. Sigstore's
//! Fulcio issues short-lived certificates whose subject alternative name is the signer's
//! identity (an e-mail, a CI workflow's URI) and whose extensions under OID
//! `1.3.6.1.4.1.57264.1.*` record the OIDC issuer that vouched for it and, for CI, the
//! repository, commit and workflow. Notation's JWS/COSE envelopes carry an X.509 chain too. This
//! module reads those fields with `x509-cert`; no chain is checked here: that needs a trust root.

use super::keys::PublicKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fulcio's certificate extensions (sigstore/fulcio `docs/oid-info.md`).
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";

/// The Fulcio extension's name for an OID's last arc, and whether its value is DER (v2
/// extensions, `.8` on) or the raw string (the deprecated `.1`–`.6`).
fn fulcio_extension(arc: u32) -> Option<(&'static str, bool)> {
    Some(match arc {
        1 => ("issuer (v1)", false),
        2 => ("github workflow trigger", false),
        3 => ("github workflow sha", false),
        4 => ("github workflow name", false),
        5 => ("github workflow repository", false),
        6 => ("github workflow ref", false),
        8 => ("issuer", true),
        9 => ("build signer uri", true),
        10 => ("build signer digest", true),
        11 => ("runner environment", true),
        12 => ("source repository uri", true),
        13 => ("source repository digest", true),
        14 => ("source repository ref", true),
        15 => ("source repository identifier", true),
        16 => ("source repository owner uri", true),
        17 => ("source repository owner identifier", true),
        18 => ("build config uri", true),
        19 => ("build config digest", true),
        20 => ("build trigger", true),
        21 => ("run invocation uri", true),
        22 => ("source repository visibility", true),
        _ => return None,
    })
}

/// What a certificate says, for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    /// Subject alternative names: e-mails, URIs, Fulcio's `username` other-names.
    pub identities: Vec<String>,
    /// The OIDC issuer that vouched for the identity (Fulcio `1.3.6.1.4.1.57264.1.8`, or `.1`).
    pub oidc_issuer: Option<String>,
    /// The other Fulcio extensions, by name (`source repository uri`, `build signer digest`).
    pub fulcio: BTreeMap<String, String>,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    #[serde(skip)]
    pub public_key: Option<PublicKey>,
}

impl Certificate {
    /// Reads a PEM certificate (the first `CERTIFICATE` block).
    pub fn from_pem(pem: &str) -> Result<Certificate, String> {
        let start = pem
            .find("-----BEGIN CERTIFICATE-----")
            .ok_or("no `-----BEGIN CERTIFICATE-----` block")?;
        let end = pem[start..]
            .find("-----END CERTIFICATE-----")
            .map(|i| start + i + "-----END CERTIFICATE-----".len())
            .ok_or("the certificate's PEM block has no END line")?;
        let (label, der) = pem_rfc7468::decode_vec(&pem.as_bytes()[start..end])
            .map_err(|e| format!("the certificate's PEM does not decode: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("a PEM `{label}` block is not a certificate"));
        }
        Certificate::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<Certificate, String> {
        use der::{Decode, Encode};
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| format!("the certificate is not DER X.509: {e}"))?;
        let tbs = cert.tbs_certificate();
        let mut identities = Vec::new();
        let mut fulcio = BTreeMap::new();
        let mut oidc_issuer = None;
        let mut issuer_v1 = None;
        for ext in tbs.extensions().into_iter().flatten() {
            let oid = ext.extn_id.to_string();
            let value = ext.extn_value.as_bytes();
            if oid == "2.5.29.17" {
                identities.extend(subject_alt_names(value));
            } else if let Some(arc) = oid.strip_prefix(FULCIO_ARC)
                && let Ok(arc) = arc.parse::<u32>()
                && let Some((name, is_der)) = fulcio_extension(arc)
            {
                let text = if is_der {
                    der::asn1::Utf8StringRef::from_der(value)
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_else(|_| String::from_utf8_lossy(value).into_owned())
                } else {
                    String::from_utf8_lossy(value).into_owned()
                };
                match arc {
                    8 => oidc_issuer = Some(text),
                    1 => issuer_v1 = Some(text),
                    _ => {
                        fulcio.insert(name.to_owned(), text);
                    }
                }
            }
        }
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| format!("the certificate's key does not encode: {e}"))?;
        let validity = tbs.validity();
        let secs = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(Certificate {
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            identities,
            oidc_issuer: oidc_issuer.or(issuer_v1),
            fulcio,
            not_before: secs(&validity.not_before),
            not_after: secs(&validity.not_after),
            public_key: PublicKey::from_spki_der(&spki).ok(),
        })
    }

    /// The identity to show: the first SAN, else the subject.
    pub fn identity(&self) -> String {
        self.identities
            .first()
            .cloned()
            .unwrap_or_else(|| self.subject.clone())
    }
}

/// E-mails, URIs, DNS names and other-names (Fulcio's `username`) of a SubjectAltName value.
fn subject_alt_names(value: &[u8]) -> Vec<String> {
    use der::Decode;
    use x509_cert::ext::pkix::name::GeneralName;
    let Ok(names) = x509_cert::ext::pkix::SubjectAltName::from_der(value) else {
        return vec!["(a subject alternative name that does not decode)".into()];
    };
    names
        .0
        .iter()
        .filter_map(|n| match n {
            GeneralName::Rfc822Name(s) => Some(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
            GeneralName::DnsName(s) => Some(s.to_string()),
            GeneralName::OtherName(o) => o
                .value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .ok()
                .map(|s| s.as_str().to_owned()),
            _ => None,
        })
        .collect()
}
