//! The public keys a user hands over to verify key-based signatures: a PEM
//! `PUBLIC KEY` (SubjectPublicKeyInfo, as `cosign generate-key-pair`, `openssl pkey -pubout` and
//! securesystemslib write it) holding an ECDSA P-256 or an Ed25519 key, and the same kinds read
//! out of a certificate. [`PublicKey::verify`] checks one signature over a message with the
//! RustCrypto implementations: ECDSA P-256 with SHA-256 (ASN.1 DER signatures as cosign and
//! OpenSSL write them, or the fixed 64-byte `r‖s` of JWS/COSE), or Ed25519 over the message
//! itself. Nothing else is accepted, and nothing is "verified" that was not.

use super::encoding::to_base64;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// `id-ecPublicKey` (RFC 5480) with the `prime256v1` curve, and `id-Ed25519` (RFC 8410).
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ED25519: &str = "1.3.101.112";

/// A public key that can check signatures, with the DER it was read from.
#[derive(Clone)]
pub struct PublicKey {
    kind: KeyKind,
    /// The DER SubjectPublicKeyInfo, for the fingerprint.
    spki: Vec<u8>,
}

#[derive(Clone)]
enum KeyKind {
    EcdsaP256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.describe().label())
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

/// What a key is, for people: its algorithm and the sha256 of its SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// `ECDSA P-256` or `Ed25519`.
    pub algorithm: String,
    /// `SHA256:<base64>` of the DER SubjectPublicKeyInfo (the form `ssh-keygen -l` uses).
    pub fingerprint: String,
}

impl KeyInfo {
    pub fn label(&self) -> String {
        format!("{} key {}", self.algorithm, self.fingerprint)
    }
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` block (the first one in `pem`).
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let start = pem
            .find("-----BEGIN ")
            .ok_or("the key is not PEM (no `-----BEGIN` line)")?;
        let (label, der) = pem_rfc7468::decode_vec(pem[start..].trim_end().as_bytes())
            .map_err(|e| format!("the key's PEM does not decode: {e}"))?;
        match label {
            "PUBLIC KEY" => PublicKey::from_spki_der(&der),
            "EC PRIVATE KEY" | "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => Err(
                "this is a private key: give the public key (`openssl pkey -pubout`, or cosign.pub)"
                    .into(),
            ),
            "CERTIFICATE" => super::x509::Certificate::from_der(&der)?
                .public_key
                .ok_or_else(|| "the certificate's key is neither ECDSA P-256 nor Ed25519".into()),
            other => Err(format!(
                "a PEM `{}` block is not a public key (expected `PUBLIC KEY`)",
                crate::text::clip(other, 40)
            )),
        }
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        use der::Decode;
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("the key is not a SubjectPublicKeyInfo: {e}"))?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or("the key's bit string has unused bits")?;
        let algorithm = spki.algorithm.oid.to_string();
        let params = spki
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
            .map(|o| o.to_string());
        let kind = match (algorithm.as_str(), params.as_deref()) {
            (OID_EC_PUBLIC_KEY, Some(OID_P256)) => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(KeyKind::EcdsaP256)
                .map_err(|_| "the ECDSA P-256 key is not a point on the curve".into()),
            (OID_EC_PUBLIC_KEY, curve) => Err(format!(
                "ECDSA keys on curve {} are not supported (only P-256)",
                curve.unwrap_or("(none named)")
            )),
            (OID_ED25519, _) => {
                let raw: [u8; 32] = bits
                    .try_into()
                    .map_err(|_| "an Ed25519 key must be 32 bytes".to_owned())?;
                ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map(KeyKind::Ed25519)
                    .map_err(|_| "the Ed25519 key is not a valid point".to_owned())
            }
            ("1.2.840.113549.1.1.1", _) => {
                Err("RSA keys are not supported (only ECDSA P-256 and Ed25519)".into())
            }
            (other, _) => Err(format!(
                "keys of algorithm {other} are not supported (only ECDSA P-256 and Ed25519)"
            )),
        }?;
        Ok(PublicKey {
            kind,
            spki: der.to_vec(),
        })
    }

    pub fn describe(&self) -> KeyInfo {
        KeyInfo {
            algorithm: match self.kind {
                KeyKind::EcdsaP256(_) => "ECDSA P-256",
                KeyKind::Ed25519(_) => "Ed25519",
            }
            .into(),
            fingerprint: format!(
                "SHA256:{}",
                to_base64(&Sha256::digest(&self.spki)).trim_end_matches('=')
            ),
        }
    }

    /// Checks `signature` over `message`: ECDSA P-256 with SHA-256 (DER or `r‖s`), or Ed25519.
    /// The error says why, in words a person can act on.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), String> {
        match &self.kind {
            KeyKind::EcdsaP256(key) => {
                use p256::ecdsa::signature::Verifier;
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| {
                        format!(
                            "the signature is not an ECDSA P-256 signature ({} bytes, neither DER nor r‖s)",
                            signature.len()
                        )
                    })?;
                key.verify(message, &sig).map_err(|_| {
                    "the signature does not match: the payload or the signature was changed, or another key signed it".into()
                })
            }
            KeyKind::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    format!(
                        "the signature is not an Ed25519 signature ({} bytes, not 64)",
                        signature.len()
                    )
                })?;
                key.verify_strict(message, &sig).map_err(|_| {
                    "the signature does not match: the payload or the signature was changed, or another key signed it".into()
                })
            }
        }
    }
}
