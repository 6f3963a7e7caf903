//! Just enough CBOR (RFC 8949) for COSE_Sign1 envelopes: definite-length items decoded with
//! every length checked against what remains and a nesting bound, so a hostile envelope is an
//! error, never a huge allocation or a deep recursion; and the few heads needed to encode the
//! `Sig_structure` a COSE signature signs.

/// A decoded item. Floats and simple values other than booleans and null are kept as `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cbor {
    Uint(u64),
    /// A negative integer: the value is `-1 - n`.
    Nint(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Tag(u64, Box<Cbor>),
    Bool(bool),
    Null,
    Other,
}

impl Cbor {
    /// The value under a text or integer key of a map.
    pub fn get(&self, key: &Cbor) -> Option<&Cbor> {
        match self {
            Cbor::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_text(&self, key: &str) -> Option<&Cbor> {
        self.get(&Cbor::Text(key.to_owned()))
    }

    /// An integer as i64 (`Nint(n)` is `-1 - n`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cbor::Uint(n) => i64::try_from(*n).ok(),
            Cbor::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            Cbor::Tag(_, inner) => inner.as_i64(),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cbor::Text(s) => Some(s),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 16;

/// Decodes one item that fills `bytes` exactly.
pub fn decode(bytes: &[u8]) -> Result<Cbor, String> {
    let mut at = 0;
    let item = item(bytes, &mut at, 0)?;
    if at != bytes.len() {
        return Err(format!("{} bytes follow the CBOR item", bytes.len() - at));
    }
    Ok(item)
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: u64) -> Result<&'a [u8], String> {
    let left = (bytes.len() - *at) as u64;
    if n > left {
        return Err(format!(
            "a CBOR item claims {n} bytes at offset {at}, {left} remain"
        ));
    }
    let n = n as usize; // n <= left, which fits
    let out = &bytes[*at..*at + n];
    *at += n;
    Ok(out)
}

fn head(bytes: &[u8], at: &mut usize) -> Result<(u8, u64), String> {
    let first = *take(bytes, at, 1)?.first().ok_or("CBOR ends early")?;
    let (major, info) = (first >> 5, first & 0x1f);
    let arg = match info {
        0..=23 => u64::from(info),
        24..=27 => {
            let n = 1u64 << (info - 24);
            take(bytes, at, n)?
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        }
        31 => return Err("indefinite-length CBOR items are not used by COSE".into()),
        _ => return Err(format!("reserved CBOR additional information {info}")),
    };
    Ok((major, arg))
}

fn item(bytes: &[u8], at: &mut usize, depth: usize) -> Result<Cbor, String> {
    if depth > MAX_DEPTH {
        return Err(format!("CBOR nests deeper than {MAX_DEPTH}"));
    }
    let (major, arg) = head(bytes, at)?;
    Ok(match major {
        0 => Cbor::Uint(arg),
        1 => Cbor::Nint(arg),
        2 => Cbor::Bytes(take(bytes, at, arg)?.to_vec()),
        3 => Cbor::Text(
            String::from_utf8(take(bytes, at, arg)?.to_vec())
                .map_err(|_| "a CBOR text string is not UTF-8".to_owned())?,
        ),
        4 | 5 => {
            // Every item takes at least one byte: a count beyond what remains is a lie.
            let left = (bytes.len() - *at) as u64;
            if arg > left {
                return Err(format!(
                    "a CBOR container claims {arg} items, {left} bytes remain"
                ));
            }
            let n = arg as usize;
            if major == 4 {
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(item(bytes, at, depth + 1)?);
                }
                Cbor::Array(v)
            } else {
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = item(bytes, at, depth + 1)?;
                    v.push((k, item(bytes, at, depth + 1)?));
                }
                Cbor::Map(v)
            }
        }
        6 => Cbor::Tag(arg, Box::new(item(bytes, at, depth + 1)?)),
        _ => match arg {
            20 => Cbor::Bool(false),
            21 => Cbor::Bool(true),
            22 => Cbor::Null,
            _ => Cbor::Other,
        },
    })
}

/// Appends a head (major type and argument) in the shortest form, as RFC 8949's deterministic
/// encoding asks.
fn put_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend([m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

/// `Sig_structure` for COSE_Sign1 (RFC 9052 §4.4): `["Signature1", protected, h'', payload]`.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + payload.len() + 24);
    put_head(&mut out, 4, 4);
    put_head(&mut out, 3, 10);
    out.extend_from_slice(b"Signature1");
    put_head(&mut out, 2, protected.len() as u64);
    out.extend_from_slice(protected);
    put_head(&mut out, 2, 0);
    put_head(&mut out, 2, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(hex: &str, expect: Result<Cbor, &str>) {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        match (decode(&bytes), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{hex}"),
            (Err(e), Err(want)) => assert!(e.contains(want), "{hex}: {e}"),
            (got, want) => panic!("{hex}: got {got:?}, want {want:?}"),
        }
    }

    /// Examples from RFC 8949 appendix A, and hostile lengths.
    #[test]
    fn decodes_rfc_examples_and_refuses_lies() {
        check("00", Ok(Cbor::Uint(0)));
        check("1903e8", Ok(Cbor::Uint(1000)));
        check("3903e7", Ok(Cbor::Nint(999)));
        check("4401020304", Ok(Cbor::Bytes(vec![1, 2, 3, 4])));
        check("6449455446", Ok(Cbor::Text("IETF".into())));
        check(
            "83010203",
            Ok(Cbor::Array(vec![
                Cbor::Uint(1),
                Cbor::Uint(2),
                Cbor::Uint(3),
            ])),
        );
        check(
            "a201020304",
            Ok(Cbor::Map(vec![
                (Cbor::Uint(1), Cbor::Uint(2)),
                (Cbor::Uint(3), Cbor::Uint(4)),
            ])),
        );
        check(
            "c11a514b67b0",
            Ok(Cbor::Tag(1, Box::new(Cbor::Uint(1363896240)))),
        );
        check("f5", Ok(Cbor::Bool(true)));
        check(
            "5bffffffffffffffff",
            Err("claims 18446744073709551615 bytes"),
        );
        check(
            "9bffffffffffffffff",
            Err("claims 18446744073709551615 items"),
        );
        check(&"81".repeat(40), Err("nests deeper"));
        check("5f", Err("indefinite-length"));
        check("0000", Err("1 bytes follow"));
        assert_eq!(Cbor::Nint(6).as_i64(), Some(-7));
    }

    #[test]
    fn sig_structure_round_trips() {
        let s = sig_structure(&[0xa0], b"hi");
        let Cbor::Array(items) = decode(&s).unwrap() else {
            panic!("not an array")
        };
        assert_eq!(
            items,
            vec![
                Cbor::Text("Signature1".into()),
                Cbor::Bytes(vec![0xa0]),
                Cbor::Bytes(vec![]),
                Cbor::Bytes(b"hi".to_vec()),
            ]
        );
    }
}
