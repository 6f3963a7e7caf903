//! Notation (Notary Project) signatures: a referrer with `artifactType`
//! `application/vnd.cncf.notary.signature` whose one layer is a signature envelope, JWS JSON
//! serialisation (`application/jose+json`) or COSE_Sign1 (`application/cose`), as the Notary
//! Project's `signature-envelope-jws.md` and `signature-envelope-cose.md` define them. The
//! payload names the signed manifest (`targetArtifact`); the protected header says when it was
//! signed and until when it is good (`io.cncf.notary.signingTime`, `…expiry`); the
//! certificate chain (`x5c`, COSE label 33) says who. Notation trusts signatures through a trust
//! store and policy, which Strata does not have: the envelope is read and its parts checked.

use super::cbor::{Cbor, decode, sig_structure};
use super::encoding::{base64, base64url};
use super::x509::Certificate;
use serde::{Deserialize, Serialize};

pub const NOTATION_ARTIFACT_TYPE: &str = "application/vnd.cncf.notary.signature";
pub const JWS_MEDIA_TYPE: &str = "application/jose+json";
pub const COSE_MEDIA_TYPE: &str = "application/cose";

/// A Notation envelope, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotationEnvelope {
    /// `JWS` or `COSE`.
    pub envelope: String,
    /// `ES256`, `PS384`, … (COSE's integer labels named).
    pub algorithm: String,
    /// `notary.x509` or `notary.x509.signingAuthority`.
    pub signing_scheme: Option<String>,
    /// Seconds since the epoch (`signingTime`, or `authenticSigningTime`).
    pub signing_time: Option<i64>,
    pub expiry: Option<i64>,
    pub signing_agent: Option<String>,
    /// `targetArtifact.digest` and `.mediaType` of the payload.
    pub target_digest: Option<String>,
    pub target_media_type: Option<String>,
    /// The chain, leaf first.
    pub certificates: Vec<Certificate>,
    /// What the signature signs and the signature, to check against a key.
    #[serde(skip)]
    pub signed: Vec<u8>,
    #[serde(skip)]
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "targetArtifact")]
    target: Option<Target>,
}

#[derive(Deserialize)]
struct Target {
    digest: Option<String>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
}

fn payload_target(bytes: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let p: Payload = serde_json::from_slice(bytes)
        .map_err(|e| format!("the Notation payload is not JSON with `targetArtifact`: {e}"))?;
    let t = p
        .target
        .ok_or("the Notation payload has no `targetArtifact`")?;
    Ok((t.digest, t.media_type))
}

/// Reads a JWS JSON envelope.
pub fn parse_jws(bytes: &[u8]) -> Result<NotationEnvelope, String> {
    #[derive(Deserialize)]
    struct Raw {
        payload: String,
        protected: String,
        #[serde(default)]
        header: serde_json::Map<String, serde_json::Value>,
        signature: String,
    }
    #[derive(Deserialize)]
    struct Protected {
        #[serde(default)]
        alg: String,
        #[serde(rename = "io.cncf.notary.signingScheme")]
        scheme: Option<String>,
        #[serde(rename = "io.cncf.notary.signingTime")]
        signing_time: Option<String>,
        #[serde(rename = "io.cncf.notary.authenticSigningTime")]
        authentic_signing_time: Option<String>,
        #[serde(rename = "io.cncf.notary.expiry")]
        expiry: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a JWS JSON envelope (payload, protected, signature): {e}"))?;
    let protected_bytes = base64url(&raw.protected, "the JWS protected header")?;
    let protected: Protected = serde_json::from_slice(&protected_bytes)
        .map_err(|e| format!("the JWS protected header is not JSON: {e}"))?;
    let payload = base64url(&raw.payload, "the JWS payload")?;
    let (target_digest, target_media_type) = payload_target(&payload)?;
    let mut certificates = Vec::new();
    for (i, c) in raw
        .header
        .get("x5c")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let der = base64(
            c.as_str().unwrap_or(""),
            &format!("x5c certificate {}", i + 1),
        )?;
        certificates.push(Certificate::from_der(&der)?);
    }
    let time = |t: Option<String>| t.and_then(|t| crate::history::parse_rfc3339(&t));
    Ok(NotationEnvelope {
        envelope: "JWS".into(),
        algorithm: protected.alg,
        signing_scheme: protected.scheme,
        signing_time: time(protected.signing_time).or(time(protected.authentic_signing_time)),
        expiry: time(protected.expiry),
        signing_agent: raw
            .header
            .get("io.cncf.notary.signingAgent")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        target_digest,
        target_media_type,
        certificates,
        // JWS signing input: ASCII(BASE64URL(protected) '.' BASE64URL(payload)).
        signed: format!("{}.{}", raw.protected, raw.payload).into_bytes(),
        signature: base64url(&raw.signature, "the JWS signature")?,
    })
}

/// COSE `alg` labels (IANA COSE Algorithms) by name.
fn cose_algorithm(label: i64) -> String {
    match label {
        -7 => "ES256".into(),
        -8 => "EdDSA".into(),
        -35 => "ES384".into(),
        -36 => "ES512".into(),
        -37 => "PS256".into(),
        -38 => "PS384".into(),
        -39 => "PS512".into(),
        other => format!("COSE algorithm {other}"),
    }
}

/// Reads a COSE_Sign1 envelope (tagged 18, or untagged).
pub fn parse_cose(bytes: &[u8]) -> Result<NotationEnvelope, String> {
    let item = decode(bytes).map_err(|e| format!("the COSE envelope: {e}"))?;
    let item = match item {
        Cbor::Tag(18, inner) => *inner,
        Cbor::Tag(t, _) => return Err(format!("a CBOR tag {t} is not COSE_Sign1 (18)")),
        other => other,
    };
    let Cbor::Array(parts) = item else {
        return Err("COSE_Sign1 is an array of four items".into());
    };
    let [protected, unprotected, payload, signature]: [Cbor; 4] = parts
        .try_into()
        .map_err(|_| "COSE_Sign1 is an array of four items".to_owned())?;
    let (Cbor::Bytes(protected_bytes), Cbor::Bytes(payload), Cbor::Bytes(signature)) =
        (protected, payload, signature)
    else {
        return Err("COSE_Sign1's protected header, payload and signature must be byte strings (a detached payload is not supported)".into());
    };
    let headers = if protected_bytes.is_empty() {
        Cbor::Map(Vec::new())
    } else {
        decode(&protected_bytes).map_err(|e| format!("the COSE protected header: {e}"))?
    };
    let (target_digest, target_media_type) = payload_target(&payload)?;
    let time = |key: &str| headers.get_text(key).and_then(Cbor::as_i64);
    let chain = unprotected
        .get(&Cbor::Uint(33))
        .or_else(|| headers.get(&Cbor::Uint(33)));
    let mut certificates = Vec::new();
    match chain {
        Some(Cbor::Bytes(der)) => certificates.push(Certificate::from_der(der)?),
        Some(Cbor::Array(list)) => {
            for c in list {
                if let Cbor::Bytes(der) = c {
                    certificates.push(Certificate::from_der(der)?);
                }
            }
        }
        _ => {}
    }
    Ok(NotationEnvelope {
        envelope: "COSE".into(),
        algorithm: headers
            .get(&Cbor::Uint(1))
            .and_then(Cbor::as_i64)
            .map(cose_algorithm)
            .unwrap_or_default(),
        signing_scheme: headers
            .get_text("io.cncf.notary.signingScheme")
            .and_then(Cbor::as_text)
            .map(str::to_owned),
        signing_time: time("io.cncf.notary.signingTime")
            .or(time("io.cncf.notary.authenticSigningTime")),
        expiry: time("io.cncf.notary.expiry"),
        signing_agent: unprotected
            .get_text("io.cncf.notary.signingAgent")
            .and_then(Cbor::as_text)
            .map(str::to_owned),
        target_digest,
        target_media_type,
        certificates,
        signed: sig_structure(&protected_bytes, &payload),
        signature,
    })
}
