//! The text encodings signatures travel in, decoded strictly and with a bound: base64 (DSSE
//! payloads and signatures, cosign's signature annotation: standard alphabet, padded or not)
//! and base64url (JWS, unpadded), hex (digests). Each error says which encoding failed and
//! where, so "the DSSE payload is not base64" is a message, not a panic.

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};

/// Decodes standard base64, padded or not, ignoring line breaks (PEM-like annotations wrap).
pub fn base64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | ' ' | '\t'))
        .collect();
    Base64::decode_vec(&clean)
        .or_else(|_| Base64Unpadded::decode_vec(&clean))
        .map_err(|_| {
            format!(
                "{what} is not base64 (it starts `{}`)",
                crate::text::clip(&clean, 24)
            )
        })
}

/// Decodes base64url (JWS), unpadded as RFC 7515 writes it, or padded.
pub fn base64url(text: &str, what: &str) -> Result<Vec<u8>, String> {
    Base64UrlUnpadded::decode_vec(text)
        .or_else(|_| Base64Url::decode_vec(text))
        .map_err(|_| {
            format!(
                "{what} is not base64url (it starts `{}`)",
                crate::text::clip(text, 24)
            )
        })
}

/// Standard padded base64 of `bytes` (key fingerprints, as `ssh-keygen -l` prints them).
pub fn to_base64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    crate::digest::to_hex(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Result<&[u8], &str>) {
        match (base64(input, "the payload"), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn base64_in_every_shape_real_signers_write() {
        check("aGVsbG8=", Ok(b"hello"));
        check("aGVsbG8", Ok(b"hello"));
        check("aGVs\nbG8=", Ok(b"hello"));
        check("", Ok(b""));
        check("not base64!", Err("the payload is not base64"));
        check("%%%%", Err("it starts `%%%%`"));
        assert_eq!(base64url("aGk_-w", "x").unwrap(), b"hi?\xfb");
        assert!(base64url("a+b/", "the JWS payload").is_err());
    }
}
