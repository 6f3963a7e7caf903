//! One 512-byte tar header, and the PAX records that amend the next one.
//!
//! Handled: ustar and GNU headers; the ustar `prefix` field joined to `name`; octal and GNU
//! base-256 numbers; header checksums (unsigned, and the signed sum old writers used); PAX
//! `path`, `linkpath`, `size`, `uid`, `gid`, `uname`, `gname`, `mtime`, `SCHILY.xattr.*` and the
//! GNU sparse keys; the old GNU sparse map in the header itself.

use crate::error::Error;

pub const BLOCK: u64 = 512;

/// The fields of one header block, before PAX or GNU long-name records are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    pub name: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub mtime: i64,
    pub typeflag: u8,
    pub linkname: Vec<u8>,
    pub uname: Vec<u8>,
    pub gname: Vec<u8>,
    pub devmajor: u32,
    pub devminor: u32,
    /// Old GNU sparse headers ('S'): the file's real size and its data map.
    pub gnu_sparse: Option<GnuSparse>,
}

/// Old GNU sparse format: up to 4 (offset, length) pairs in the header, more in extension
/// blocks that follow it when `is_extended` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GnuSparse {
    pub real_size: u64,
    pub map: Vec<(u64, u64)>,
    pub is_extended: bool,
}

/// Writes a plain ustar header block (owner 0:0, mtime `mtime`): the one writer, for images
/// made in memory (the web worker's rehearsal image, tests). `name` must fit its 100 bytes.
pub fn ustar_header(name: &[u8], typeflag: u8, mode: u32, size: u64, mtime: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    let mut octal = |at: usize, width: usize, v: u64| {
        let s = format!("{v:0w$o}\0", w = width - 1);
        h[at..at + width].copy_from_slice(&s.as_bytes()[s.len() - width..]);
    };
    octal(100, 8, u64::from(mode));
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, size);
    octal(136, 12, mtime);
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// Parses a header block at `offset` (for messages). The block must not be all zeros.
pub fn parse_header(h: &[u8; 512], offset: u64) -> Result<RawHeader, Error> {
    let corrupt = |detail: String| Error::CorruptTar { offset, detail };
    let stored = parse_octal(&h[148..156]).ok_or_else(|| {
        corrupt(format!(
            "the checksum field `{}` is not octal",
            show(&h[148..156])
        ))
    })?;
    let unsigned: u64 = h[..148]
        .iter()
        .chain(&[b' '; 8])
        .chain(&h[156..])
        .map(|&b| u64::from(b))
        .sum();
    let signed: i64 = h[..148]
        .iter()
        .chain(&[b' '; 8])
        .chain(&h[156..])
        .map(|&b| i64::from(b as i8))
        .sum();
    if stored != unsigned && Some(stored) != u64::try_from(signed).ok() {
        return Err(corrupt(format!(
            "header checksum is {stored}, but the header sums to {unsigned}"
        )));
    }
    let number = |field: &[u8], what: &str| {
        parse_number(field).ok_or_else(|| {
            corrupt(format!(
                "the {what} field `{}` is not a number",
                show(field)
            ))
        })
    };
    let size = number(&h[124..136], "size")?;
    let mode = number(&h[100..108], "mode")?;
    let uid = number(&h[108..116], "uid")?;
    let gid = number(&h[116..124], "gid")?;
    let mtime = parse_signed_number(&h[136..148]).ok_or_else(|| {
        corrupt(format!(
            "the mtime field `{}` is not a number",
            show(&h[136..148])
        ))
    })?;
    let typeflag = h[156];
    let magic_ustar = &h[257..263] == b"ustar\0"; // POSIX ustar: has the prefix field
    let magic_gnu = &h[257..263] == b"ustar ";
    let mut name = c_bytes(&h[..100]).to_vec();
    if magic_ustar {
        let prefix = c_bytes(&h[345..500]);
        if !prefix.is_empty() {
            let mut joined = prefix.to_vec();
            joined.push(b'/');
            joined.extend_from_slice(&name);
            name = joined;
        }
    }
    let (devmajor, devminor) = if magic_ustar || magic_gnu {
        (
            u32::try_from(parse_number(&h[329..337]).unwrap_or(0)).unwrap_or(0),
            u32::try_from(parse_number(&h[337..345]).unwrap_or(0)).unwrap_or(0),
        )
    } else {
        (0, 0)
    };
    let gnu_sparse = if typeflag == b'S' && magic_gnu {
        let mut map = Vec::new();
        for i in 0..4 {
            let at = 386 + i * 24;
            let off = parse_number(&h[at..at + 12]).unwrap_or(0);
            let len = parse_number(&h[at + 12..at + 24]).unwrap_or(0);
            if off == 0 && len == 0 {
                continue;
            }
            map.push((off, len));
        }
        Some(GnuSparse {
            real_size: parse_number(&h[483..495]).unwrap_or(size),
            map,
            is_extended: h[482] != 0,
        })
    } else {
        None
    };
    Ok(RawHeader {
        name,
        mode: (mode & 0o7777) as u32, // Go writers put the type bits in mode too: mask them
        uid,
        gid,
        size,
        mtime,
        typeflag,
        linkname: c_bytes(&h[157..257]).to_vec(),
        uname: if magic_ustar || magic_gnu {
            c_bytes(&h[265..297]).to_vec()
        } else {
            Vec::new()
        },
        gname: if magic_ustar || magic_gnu {
            c_bytes(&h[297..329]).to_vec()
        } else {
            Vec::new()
        },
        devmajor,
        devminor,
        gnu_sparse,
    })
}

/// Parses an old-GNU sparse extension block: 21 (offset, length) pairs and an `is_extended` byte.
pub fn parse_sparse_extension(block: &[u8; 512]) -> (Vec<(u64, u64)>, bool) {
    let mut map = Vec::new();
    for i in 0..21 {
        let at = i * 24;
        let off = parse_number(&block[at..at + 12]).unwrap_or(0);
        let len = parse_number(&block[at + 12..at + 24]).unwrap_or(0);
        if off == 0 && len == 0 {
            continue;
        }
        map.push((off, len));
    }
    (map, block[504] != 0)
}

/// Values from PAX extended headers (typeflag `x`) for the next entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaxRecords {
    pub path: Option<Vec<u8>>,
    pub linkpath: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub uname: Option<Vec<u8>>,
    pub gname: Option<Vec<u8>>,
    pub mtime: Option<i64>,
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// GNU sparse 0.0/0.1 (`GNU.sparse.offset`/`numbytes`/`map`) and 1.0 (`GNU.sparse.major`).
    pub sparse_name: Option<Vec<u8>>,
    pub sparse_real_size: Option<u64>,
    pub sparse_map: Option<Vec<(u64, u64)>>,
    pub sparse_major: Option<u64>,
}

impl PaxRecords {
    /// PAX records: `<decimal length> <key>=<value>\n`, the length counting the whole record.
    pub fn apply(&mut self, mut data: &[u8], offset: u64) -> Result<(), Error> {
        let bad = |detail: &str| Error::CorruptTar {
            offset,
            detail: format!("bad PAX record: {detail}"),
        };
        let mut pending_offset: Option<u64> = None;
        while !data.is_empty() {
            if data.iter().all(|&b| b == 0 || b == b'\n') {
                break;
            }
            let space = data
                .iter()
                .take(20)
                .position(|&b| b == b' ')
                .ok_or_else(|| bad("no length"))?;
            let len: usize = std::str::from_utf8(&data[..space])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("the length is not a number"))?;
            if len <= space + 1 || len > data.len() {
                return Err(bad(&format!("record length {len} is out of range")));
            }
            let record = &data[space + 1..len];
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| bad("no `=` in a record"))?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            let num = |v: &[u8]| {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
            };
            match key {
                b"path" => self.path = Some(value.to_vec()),
                b"linkpath" => self.linkpath = Some(value.to_vec()),
                b"size" => self.size = Some(num(value).ok_or_else(|| bad("size is not a number"))?),
                b"uid" => self.uid = num(value),
                b"gid" => self.gid = num(value),
                b"uname" => self.uname = Some(value.to_vec()),
                b"gname" => self.gname = Some(value.to_vec()),
                b"mtime" => {
                    // Seconds with an optional fraction: keep the seconds.
                    let s = std::str::from_utf8(value).unwrap_or("");
                    let whole = s.split('.').next().unwrap_or("");
                    self.mtime = whole.parse::<i64>().ok();
                }
                b"GNU.sparse.name" => self.sparse_name = Some(value.to_vec()),
                b"GNU.sparse.realsize" | b"GNU.sparse.size" => self.sparse_real_size = num(value),
                b"GNU.sparse.major" => self.sparse_major = num(value),
                b"GNU.sparse.offset" => pending_offset = num(value),
                b"GNU.sparse.numbytes" => {
                    if let (Some(off), Some(n)) = (pending_offset.take(), num(value)) {
                        self.sparse_map.get_or_insert_with(Vec::new).push((off, n));
                    }
                }
                b"GNU.sparse.map" => {
                    let nums: Vec<u64> = std::str::from_utf8(value)
                        .unwrap_or("")
                        .split(',')
                        .filter_map(|n| n.parse().ok())
                        .collect();
                    self.sparse_map = Some(nums.chunks_exact(2).map(|c| (c[0], c[1])).collect());
                }
                k if k.starts_with(b"SCHILY.xattr.") => {
                    let name = String::from_utf8_lossy(&k[b"SCHILY.xattr.".len()..]).into_owned();
                    self.xattrs.push((name, value.to_vec()));
                }
                _ => {}
            }
            data = &data[len..];
        }
        Ok(())
    }
}

/// The bytes of a NUL-terminated field.
pub fn c_bytes(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let trimmed: &[u8] = {
        let start = field
            .iter()
            .position(|&b| b != b' ' && b != 0)
            .unwrap_or(field.len());
        let rest = &field[start..];
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == 0)
            .unwrap_or(rest.len());
        // Anything but spaces and NULs after the digits is an error.
        if rest[end..].iter().any(|&b| b != b' ' && b != 0) {
            return None;
        }
        &rest[..end]
    };
    if trimmed.is_empty() {
        return Some(0);
    }
    let mut value: u64 = 0;
    for &b in trimmed {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

/// Octal, or GNU base-256 when the high bit of the first byte is set (negative values refused).
pub fn parse_number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        if field[0] & 0x40 != 0 {
            return None;
        }
        let mut value: u64 = u64::from(field[0] & 0x3f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    parse_octal(field)
}

/// Like [`parse_number`], but base-256 may be negative (mtimes before 1970).
fn parse_signed_number(field: &[u8]) -> Option<i64> {
    if field[0] & 0xc0 == 0xc0 {
        // Negative base-256: two's complement, big endian; the low 8 bytes hold the value.
        let tail = &field[field.len().saturating_sub(8)..];
        let raw = tail.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        return Some(raw as i64);
    }
    parse_number(field).and_then(|v| i64::try_from(v).ok())
}

fn show(field: &[u8]) -> String {
    crate::text::clip(&String::from_utf8_lossy(c_bytes(field)), 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_header_reads_back() {
        let h = ustar_header(b"usr/bin/tool", b'0', 0o755, 4096, 1_700_000_000);
        let r = parse_header(&h, 0).unwrap();
        assert_eq!(r.name, b"usr/bin/tool");
        assert_eq!(
            (r.mode, r.size, r.mtime, r.typeflag),
            (0o755, 4096, 1_700_000_000, b'0')
        );
        assert_eq!((r.uid, r.gid), (0, 0));
    }

    #[test]
    fn base256_and_octal_numbers() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        f[10] = 1;
        assert_eq!(parse_number(&f), Some(261));
        assert_eq!(parse_number(b"00000001750\0"), Some(1000));
        assert_eq!(parse_number(b"           \0"), Some(0));
        assert_eq!(parse_number(b" 1750 \0\0\0\0\0\0"), Some(1000));
        assert_eq!(parse_number(b"12x4\0\0\0\0\0\0\0\0"), None);
        assert_eq!(
            parse_number(b"7777777777777777777777\0"[..12].as_ref()),
            Some(0o777777777777)
        );
        let negative = [0xffu8; 12];
        assert_eq!(parse_signed_number(&negative), Some(-1));
    }

    #[test]
    fn pax_records() {
        let mut pax = PaxRecords::default();
        let mut total = Vec::new();
        for rec in [
            &b"path=caf\xc3\xa9/long/name.txt"[..],
            b"linkpath=target",
            b"size=1234567",
            b"SCHILY.xattr.user.k=value",
        ] {
            total.extend_from_slice(&pax_record(rec));
        }
        pax.apply(&total, 0).unwrap();
        assert_eq!(pax.path.as_deref(), Some("café/long/name.txt".as_bytes()));
        assert_eq!(pax.linkpath.as_deref(), Some(&b"target"[..]));
        assert_eq!(pax.size, Some(1_234_567));
        assert_eq!(pax.xattrs, vec![("user.k".to_owned(), b"value".to_vec())]);
        let err = PaxRecords::default().apply(b"99 path=x\n", 7).unwrap_err();
        assert!(err.to_string().contains("offset 7"), "{err}");
    }

    /// One PAX record with its self-counting length prefix.
    pub(crate) fn pax_record(rec: &[u8]) -> Vec<u8> {
        let mut len = rec.len() + 3;
        loop {
            let want = format!("{len} ").len() + rec.len() + 1;
            if want == len {
                break;
            }
            len = want;
        }
        let mut out = format!("{len} ").into_bytes();
        out.extend_from_slice(rec);
        out.push(b'\n');
        out
    }
}
