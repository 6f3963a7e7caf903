//! Registry authentication without I/O: `WWW-Authenticate` challenges (Bearer realm, service
//! and scope, or Basic), the credentials a user gives (held in memory only), and the base64 of
//! `Authorization: Basic`.

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        error: Option<String>,
    },
    Basic {
        realm: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or
/// `Basic realm="…"` (RFC 7235: quoted strings with escapes, several challenges in one header).
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, Error> {
    let bad = |why: &str| Error::Invalid {
        what: "the registry's WWW-Authenticate header".into(),
        detail: why.to_owned(),
    };
    if header.len() > 8192 {
        return Err(bad("it is over 8 KiB"));
    }
    let b = header.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && !b" \t,=\"".contains(&b[*i]) {
            *i += 1;
        }
        String::from_utf8_lossy(&b[start..*i]).into_owned()
    };
    skip_ws(&mut i);
    while i < b.len() {
        let scheme = token(&mut i);
        if scheme.is_empty() {
            return Err(bad("a challenge has no scheme"));
        }
        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            skip_ws(&mut i);
            let save = i;
            let key = token(&mut i);
            if key.is_empty() || i >= b.len() || b[i] != b'=' {
                i = save; // the next challenge's scheme
                break;
            }
            i += 1;
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = Vec::new();
                loop {
                    match b.get(i) {
                        None => return Err(bad("a quoted value is not closed")),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            if let Some(&c) = b.get(i + 1) {
                                v.push(c);
                            }
                            i += 2;
                        }
                        Some(&c) => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                String::from_utf8_lossy(&v).into_owned()
            } else {
                token(&mut i)
            };
            params.push((key.to_ascii_lowercase(), value));
        }
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => out.push(Challenge::Bearer {
                realm: get("realm").ok_or_else(|| bad("a Bearer challenge has no realm"))?,
                service: get("service"),
                scope: get("scope"),
                error: get("error"),
            }),
            "basic" => out.push(Challenge::Basic {
                realm: get("realm"),
            }),
            _ => {} // other schemes: ignored
        }
        skip_ws(&mut i);
    }
    if out.is_empty() {
        return Err(bad("it offers neither Bearer nor Basic authentication"));
    }
    Ok(out)
}

/// A user name and password (or token), held in memory only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in a debug log.
        write!(f, "Credentials({}, ***)", self.username)
    }
}

/// Standard base64 with padding (for `Authorization: Basic`).
pub fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
