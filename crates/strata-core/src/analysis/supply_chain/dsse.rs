//! DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse, v1): a payload, its type,
//! and signatures over the pre-authentication encoding `PAE(type, payload)`, not over the
//! payload alone. cosign's `.att` layers, in-toto attestations and securesystemslib all write
//! it as JSON: `{"payloadType", "payload": base64, "signatures": [{"keyid", "sig": base64}]}`.

use super::encoding::base64;
use serde::Deserialize;

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A parsed envelope: the payload decoded, each signature decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// An optional, unauthenticated hint of which key signed.
    pub keyid: Option<String>,
    pub sig: Vec<u8>,
}

/// Whether a JSON document looks like a DSSE envelope (for layers whose media type says less).
pub fn looks_like_envelope(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "payloadType")]
        _payload_type: String,
        #[serde(rename = "payload")]
        _payload: String,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok()
}

/// Parses an envelope; errors say which part is wrong ("the DSSE payload is not base64").
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, String> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "payloadType")]
        payload_type: String,
        payload: String,
        #[serde(default)]
        signatures: Vec<RawSig>,
    }
    #[derive(Deserialize)]
    struct RawSig {
        #[serde(default)]
        keyid: Option<String>,
        sig: String,
    }
    let raw: Raw = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a DSSE envelope (payloadType, payload, signatures): {e}"))?;
    let payload = base64(&raw.payload, "the DSSE payload")?;
    let mut signatures = Vec::with_capacity(raw.signatures.len());
    for (i, s) in raw.signatures.into_iter().enumerate() {
        signatures.push(EnvelopeSignature {
            keyid: s.keyid.filter(|k| !k.is_empty()),
            sig: base64(&s.sig, &format!("DSSE signature {}", i + 1))?,
        });
    }
    Ok(Envelope {
        payload_type: raw.payload_type,
        payload,
        signatures,
    })
}

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, what DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(envelope: &str, expect: Result<(&str, &[u8], usize), &str>) {
        match (parse_envelope(envelope.as_bytes()), expect) {
            (Ok(e), Ok((t, p, n))) => {
                assert_eq!(
                    (
                        e.payload_type.as_str(),
                        e.payload.as_slice(),
                        e.signatures.len()
                    ),
                    (t, p, n)
                );
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn envelopes() {
        check(
            r#"{"payloadType":"t","payload":"aGk=","signatures":[{"keyid":"k","sig":"AAE="}]}"#,
            Ok(("t", b"hi", 1)),
        );
        check(r#"{"payloadType":"t","payload":""}"#, Ok(("t", b"", 0)));
        check(
            r#"{"payloadType":"t","payload":"{not base64}","signatures":[]}"#,
            Err("the DSSE payload is not base64"),
        );
        check(
            r#"{"payloadType":"t","payload":"aGk=","signatures":[{"sig":"*"}]}"#,
            Err("DSSE signature 1 is not base64"),
        );
        check(r#"{"payload":"aGk="}"#, Err("not a DSSE envelope"));
        assert!(looks_like_envelope(br#"{"payloadType":"t","payload":""}"#));
        assert!(!looks_like_envelope(br#"{"_type":"x"}"#));
    }

    #[test]
    fn pae_is_the_spec_example() {
        // From the DSSE protocol document: PAE("http://example.com/HelloWorld", "hello world").
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }
}
