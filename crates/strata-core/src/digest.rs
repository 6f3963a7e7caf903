//! Content addresses. A [`Digest`] names a blob as stored (compressed or not); a [`DiffId`]
//! names an uncompressed layer. For an uncompressed layer the two are equal, which is exactly
//! why they are easy to confuse and why they are different types here.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// `algorithm:hex` of a blob as stored. Only sha256 can be verified; sha512 digests are kept
/// as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

/// `sha256:<64 hex>` of an uncompressed layer tar (the config's `rootfs.diff_ids`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DiffId(String);

impl Digest {
    /// Parses `algorithm:hex` with the hex length the algorithm needs (OCI image spec,
    /// "Digests"), lowercase only.
    pub fn parse(s: &str) -> Result<Digest, String> {
        let (algo, hex) = s
            .split_once(':')
            .ok_or_else(|| format!("digest `{}` has no `algorithm:` prefix", clip(s)))?;
        let want = match algo {
            "sha256" => 64,
            "sha512" => 128,
            _ => {
                return Err(format!(
                    "digest `{}` uses unsupported algorithm `{}`",
                    clip(s),
                    clip(algo)
                ));
            }
        };
        if hex.len() != want {
            return Err(format!(
                "digest `{}` should have {want} hex digits after `{algo}:`, not {}",
                clip(s),
                hex.len()
            ));
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "digest `{}` is not lowercase hex after `{algo}:`",
                clip(s)
            ));
        }
        Ok(Digest(s.to_owned()))
    }

    /// Makes a sha256 digest from 64 hex digits (a file name in `blobs/sha256/`).
    pub fn from_sha256_hex(hex: &str) -> Option<Digest> {
        Digest::parse(&format!("sha256:{hex}")).ok()
    }

    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", to_hex(&Sha256::digest(bytes))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The hex part, as used in file names (`blobs/sha256/<hex>`, `<hex>.json`).
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// The 12-hex-digit short form docker prints.
    pub fn short(&self) -> &str {
        let h = self.hex();
        &h[..h.len().min(12)]
    }

    /// Whether this digest can be checked here (only sha256 is computed).
    pub fn is_verifiable(&self) -> bool {
        self.algorithm() == "sha256"
    }
}

impl DiffId {
    pub fn parse(s: &str) -> Result<DiffId, String> {
        Digest::parse(s).map(|d| DiffId(d.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn short(&self) -> &str {
        let h = self.0.split_once(':').map_or("", |(_, h)| h);
        &h[..h.len().min(12)]
    }

    /// The digest an uncompressed blob of this layer has.
    pub fn as_uncompressed_digest(&self) -> Digest {
        Digest(self.0.clone())
    }

    /// The diff_id of an uncompressed layer whose blob has this digest.
    pub fn from_uncompressed_digest(d: &Digest) -> DiffId {
        DiffId(d.0.clone())
    }
}

macro_rules! string_newtype {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(d: $t) -> String {
                d.0
            }
        }
    };
}
string_newtype!(Digest);
string_newtype!(DiffId);

/// sha256 over bytes that arrive in chunks, so a blob is hashed while it streams.
#[derive(Clone, Default)]
pub struct Sha256Stream {
    hasher: Sha256,
    n_bytes: u64,
}

impl fmt::Debug for Sha256Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256Stream")
            .field("n_bytes", &self.n_bytes)
            .finish()
    }
}

impl Sha256Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.n_bytes += chunk.len() as u64;
    }

    pub fn n_bytes(&self) -> u64 {
        self.n_bytes
    }

    pub fn finish(self) -> Digest {
        Digest(format!("sha256:{}", to_hex(&self.hasher.finalize())))
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0xf)] as char);
    }
    s
}

/// Shortens hostile input before it goes into a message.
fn clip(s: &str) -> String {
    crate::text::clip(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_is_the_well_known_value() {
        assert_eq!(
            Digest::sha256_of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut s = Sha256Stream::new();
        s.update(b"");
        assert_eq!(s.finish(), Digest::sha256_of(b""));
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut s = Sha256Stream::new();
        for chunk in data.chunks(333) {
            s.update(chunk);
        }
        assert_eq!(s.n_bytes(), 10_000);
        assert_eq!(s.finish(), Digest::sha256_of(&data));
    }

    #[test]
    fn parse_rejects_wrong_length_algorithm_and_case() {
        let check = |s: &str, want: &str| {
            let err = Digest::parse(s).unwrap_err();
            assert!(err.contains(want), "{err}");
        };
        check("sha256:abc", "64 hex digits");
        check(
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "unsupported algorithm `md5`",
        );
        check(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "no `algorithm:`",
        );
        check(
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "lowercase",
        );
        let d = Digest::parse(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        .unwrap();
        assert_eq!(d.short(), "e3b0c44298fc");
        assert!(serde_json::from_str::<Digest>("\"sha256:1\"").is_err());
    }
}
