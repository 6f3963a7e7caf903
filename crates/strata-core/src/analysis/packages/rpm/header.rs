//! The RPM header as rpmdb stores it (`headerExport`, rpm's `lib/header.c`; the package file
//! format in the LSB spec): two big-endian `u32`s (index entries `il`, data bytes `dl`), `il`
//! index entries of 16 bytes (tag, type, offset into the data, count), then the data. The
//! region tags (61–63) that wrap the signed part are skipped: the tags inside are ordinary
//! entries of the same index.
//!
//! Read: `NAME`, `EPOCH`, `VERSION`, `RELEASE`, `ARCH`, `SIZE`/`LONGSIZE`, `LICENSE`,
//! `SUMMARY`, `SOURCERPM`, and the file list from `BASENAMES`, `DIRNAMES` and `DIRINDEXES`
//! (rpm ≥ 4.x "compressed file names"; `OLDFILENAMES` for the oldest headers).

use crate::analysis::packages::model::Package;

// Tags (rpm's include/rpm/rpmtag.h).
const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const SUMMARY: u32 = 1004;
const SIZE: u32 = 1009;
const LICENSE: u32 = 1014;
const OLDFILENAMES: u32 = 1027;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;
const LONGSIZE: u32 = 5009;

// Types.
const INT16: u32 = 3;
const INT32: u32 = 4;
const INT64: u32 = 5;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// Most index entries in one header (rpm's own `hdrchkTags` bound is 0xffff).
const MAX_TAGS: u32 = 0xffff;
/// Largest data part (rpm's `hdrchkData` bound is 256 MiB; real headers are well under 1 MiB).
const MAX_DATA: u32 = 256 << 20;

struct Index<'a> {
    entries: &'a [u8],
    data: &'a [u8],
}

#[derive(Clone, Copy)]
struct Tag {
    ty: u32,
    offset: usize,
    count: usize,
}

impl<'a> Index<'a> {
    fn find(&self, tag: u32) -> Option<Tag> {
        self.entries.chunks_exact(16).find_map(|e| {
            let t = be32(e, 0)?;
            (t == tag).then(|| Tag {
                ty: be32(e, 4).unwrap_or(0),
                offset: be32(e, 8).unwrap_or(u32::MAX) as usize,
                count: be32(e, 12).unwrap_or(0) as usize,
            })
        })
    }

    /// `count` NUL-terminated strings from `offset`.
    fn strings(&self, t: Tag) -> Option<Vec<&'a str>> {
        if !matches!(t.ty, STRING | STRING_ARRAY | I18NSTRING) {
            return None;
        }
        let mut out = Vec::with_capacity(t.count.min(1 << 16));
        let mut at = t.offset;
        for _ in 0..t.count {
            let rest = self.data.get(at..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(std::str::from_utf8(&rest[..end]).ok()?);
            at += end + 1;
        }
        Some(out)
    }

    fn string(&self, tag: u32) -> Option<String> {
        let t = self.find(tag)?;
        // I18N strings: the first is the C locale's.
        let t = Tag { count: 1, ..t };
        self.strings(t)?.first().map(|s| (*s).to_owned())
    }

    fn ints(&self, t: Tag) -> Option<Vec<u64>> {
        let width = match t.ty {
            INT16 => 2,
            INT32 => 4,
            INT64 => 8,
            _ => return None,
        };
        let bytes = self
            .data
            .get(t.offset..t.offset.checked_add(t.count.checked_mul(width)?)?)?;
        Some(
            bytes
                .chunks_exact(width)
                .map(|c| c.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
                .collect(),
        )
    }

    fn int(&self, tag: u32) -> Option<u64> {
        let t = self.find(tag)?;
        self.ints(Tag { count: 1, ..t })?.first().copied()
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads one header blob. `max_files` bounds the file list.
pub fn parse_header(blob: &[u8], max_files: usize) -> Result<Package, String> {
    let il = be32(blob, 0).ok_or("the header is shorter than 8 bytes")?;
    let dl = be32(blob, 4).ok_or("the header is shorter than 8 bytes")?;
    if il > MAX_TAGS {
        return Err(format!(
            "the header has {il} tags, over rpm's bound of {MAX_TAGS}"
        ));
    }
    if dl > MAX_DATA {
        return Err(format!(
            "the header's data is {dl} bytes, over rpm's bound of {MAX_DATA}"
        ));
    }
    let entries_end = 8 + il as usize * 16;
    let data_end = entries_end + dl as usize;
    if blob.len() < data_end {
        return Err(format!(
            "the header says {il} tags and {dl} data bytes ({data_end} bytes) but has {}",
            blob.len()
        ));
    }
    let ix = Index {
        entries: &blob[8..entries_end],
        data: &blob[entries_end..data_end],
    };
    let name = ix.string(NAME).ok_or("the header has no NAME")?;
    let version = ix.string(VERSION).unwrap_or_default();
    let release = ix.string(RELEASE).unwrap_or_default();
    let epoch = ix.int(EPOCH);
    let evr = match (epoch, release.is_empty()) {
        (Some(e), false) => format!("{e}:{version}-{release}"),
        (Some(e), true) => format!("{e}:{version}"),
        (None, false) => format!("{version}-{release}"),
        (None, true) => version,
    };
    let mut files = Vec::new();
    if let (Some(b), Some(d), Some(i)) =
        (ix.find(BASENAMES), ix.find(DIRNAMES), ix.find(DIRINDEXES))
    {
        if b.count > max_files {
            return Err(format!(
                "{name} lists {} files, over the limit of {max_files}",
                b.count
            ));
        }
        let (Some(bases), Some(dirs), Some(idx)) = (ix.strings(b), ix.strings(d), ix.ints(i))
        else {
            return Err(format!("{name}'s file list is damaged"));
        };
        for (base, di) in bases.iter().zip(idx) {
            let dir = dirs.get(di as usize).ok_or_else(|| {
                format!("{name}'s file list names directory {di}, which it does not have")
            })?;
            files.push(format!("{dir}{base}"));
        }
    } else if let Some(t) = ix.find(OLDFILENAMES) {
        if t.count > max_files {
            return Err(format!(
                "{name} lists {} files, over the limit of {max_files}",
                t.count
            ));
        }
        files = ix
            .strings(t)
            .ok_or_else(|| format!("{name}'s file list is damaged"))?
            .into_iter()
            .map(str::to_owned)
            .collect();
    }
    Ok(Package {
        name,
        version: evr,
        arch: ix.string(ARCH),
        license: ix.string(LICENSE),
        source: ix.string(SOURCERPM),
        epoch,
        installed_size: ix.int(LONGSIZE).or_else(|| ix.int(SIZE)),
        summary: ix.string(SUMMARY),
        files,
        ..Package::default()
    })
}

/// Builds a header blob from tags, for tests here and in the database readers.
#[cfg(test)]
pub fn build_header(tags: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for (tag, ty, bytes, count) in tags {
        // Integers are aligned to their width, as rpm does.
        let align = match *ty {
            INT16 => 2,
            INT32 => 4,
            INT64 => 8,
            _ => 1,
        };
        while !data.len().is_multiple_of(align) {
            data.push(0);
        }
        entries.extend_from_slice(&tag.to_be_bytes());
        entries.extend_from_slice(&ty.to_be_bytes());
        entries.extend_from_slice(&(data.len() as u32).to_be_bytes());
        entries.extend_from_slice(&count.to_be_bytes());
        data.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((entries.len() / 16) as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend(entries);
    out.extend(data);
    out
}

#[cfg(test)]
pub fn sample_header(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let s = |v: &str| {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    };
    let mut dirs: Vec<&str> = Vec::new();
    let mut idx = Vec::new();
    let mut bases = Vec::new();
    for (d, b) in files {
        let i = dirs.iter().position(|x| x == d).unwrap_or_else(|| {
            dirs.push(d);
            dirs.len() - 1
        });
        idx.extend_from_slice(&(i as u32).to_be_bytes());
        bases.extend(s(b));
    }
    let mut tags = vec![
        (NAME, STRING, s(name), 1),
        (VERSION, STRING, s(version), 1),
        (RELEASE, STRING, s("1"), 1),
        (ARCH, STRING, s("x86_64"), 1),
        (LICENSE, STRING, s("MIT"), 1),
        (SIZE, INT32, 1234u32.to_be_bytes().to_vec(), 1),
    ];
    if !files.is_empty() {
        tags.push((BASENAMES, STRING_ARRAY, bases, files.len() as u32));
        tags.push((
            DIRNAMES,
            STRING_ARRAY,
            dirs.iter().flat_map(|d| s(d)).collect(),
            dirs.len() as u32,
        ));
        tags.push((DIRINDEXES, INT32, idx, files.len() as u32));
    }
    build_header(&tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(blob: &[u8], expect: Result<(&str, &str, &[&str]), &str>) {
        let got = parse_header(blob, 100);
        match (got, expect) {
            (Ok(p), Ok((n, v, f))) => {
                assert_eq!((p.name.as_str(), p.version.as_str()), (n, v));
                assert_eq!(p.files, f);
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("{got:?} vs {want:?}"),
        }
    }

    #[test]
    fn headers() {
        check(
            &sample_header(
                "a",
                "1.0",
                &[("/usr/bin/", "a"), ("/etc/", "a.conf"), ("/usr/bin/", "b")],
            ),
            Ok(("a", "1.0-1", &["/usr/bin/a", "/etc/a.conf", "/usr/bin/b"])),
        );
        check(&sample_header("b", "2", &[]), Ok(("b", "2-1", &[])));
        check(&[0, 0], Err("shorter than 8"));
        check(&[0, 0, 0, 1, 0, 0, 0, 0], Err("but has 8"));
        check(
            &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
            Err("over rpm's bound"),
        );
        check(
            &build_header(&[(VERSION, STRING, b"1\0".to_vec(), 1)]),
            Err("no NAME"),
        );
        // A string that runs off the end of the data.
        check(
            &build_header(&[(NAME, STRING, b"abc".to_vec(), 1)]),
            Err("no NAME"),
        );
        let p = parse_header(
            &build_header(&[
                (NAME, STRING, b"e\0".to_vec(), 1),
                (EPOCH, INT32, 2u32.to_be_bytes().to_vec(), 1),
                (VERSION, STRING, b"1\0".to_vec(), 1),
                (RELEASE, STRING, b"3\0".to_vec(), 1),
            ]),
            10,
        )
        .unwrap();
        assert_eq!((p.version.as_str(), p.epoch), ("2:1-3", Some(2)));
    }
}
