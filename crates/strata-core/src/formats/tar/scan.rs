//! The outer tar of an image archive, indexed by reading headers only.
//!
//! An archive can be many GiB; its index is a few entries per layer. [`scan_archive`] reads
//! each header by range, notes where the entry's data lies, and jumps over the data without
//! reading it. Manifests and configs are then read by range from the offsets recorded here, and
//! layers are streamed from theirs.

use super::reader::{EntryKind, TarEnd, TarReader};
use crate::error::Error;
use crate::limits::Limits;
use crate::source::{ReadAt, read_exact_at};
use std::collections::HashMap;

/// One entry of the outer archive: where its data lies, not the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// Normalised path: no leading `./` or `/`, no trailing `/`.
    pub path: String,
    pub kind: EntryKind,
    pub data_offset: u64,
    pub size: u64,
    pub link: Option<String>,
}

/// The entries of an archive, in archive order, with a lookup by path.
#[derive(Debug, Clone)]
pub struct ArchiveEntries {
    pub entries: Vec<ArchiveEntry>,
    by_path: HashMap<String, usize>,
    pub end: TarEnd,
}

impl ArchiveEntries {
    pub fn get(&self, path: &str) -> Option<&ArchiveEntry> {
        self.by_path
            .get(normalise(path).as_str())
            .map(|&i| &self.entries[i])
    }

    /// Follows symlinks (relative to the link's directory) and hard links to a regular file,
    /// at most 16 hops. skopeo's docker-archive makes `<id>/layer.tar` a symlink to
    /// `../<diff_id>.tar`; Docker's legacy archives hard-link shared layers.
    pub fn resolve(&self, path: &str, referenced_by: &str) -> Result<&ArchiveEntry, Error> {
        let mut current = normalise(path);
        for _ in 0..16 {
            let Some(entry) = self.get(&current) else {
                return Err(Error::MissingFile {
                    path: current,
                    referenced_by: referenced_by.to_owned(),
                });
            };
            match (entry.kind, &entry.link) {
                (EntryKind::Symlink, Some(target)) => {
                    let joined = match current.rsplit_once('/') {
                        Some((dir, _)) if !target.starts_with('/') => format!("{dir}/{target}"),
                        _ => target.clone(),
                    };
                    current = resolve_dots(&joined).ok_or_else(|| Error::BadLink {
                        path: entry.path.clone(),
                        detail: format!(
                            "its target `{}` leaves the archive",
                            crate::text::clip(target, 200)
                        ),
                    })?;
                }
                (EntryKind::Hardlink, Some(target)) => current = normalise(target),
                (EntryKind::File, _) => return Ok(entry),
                (kind, _) => {
                    return Err(Error::BadLink {
                        path: entry.path.clone(),
                        detail: format!("it is a {}, not a file", kind.name()),
                    });
                }
            }
        }
        Err(Error::BadLink {
            path: normalise(path),
            detail: "more than 16 links in a row (a loop?)".into(),
        })
    }

    /// Paths of the first few entries, for messages about archives that are not images.
    pub fn sample_paths(&self, n: usize) -> Vec<&str> {
        self.entries
            .iter()
            .take(n)
            .map(|e| e.path.as_str())
            .collect()
    }
}

/// Normalises an archive path: strips `./` and `/` prefixes and trailing slashes.
pub fn normalise(path: &str) -> String {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            break;
        }
    }
    p.trim_end_matches('/').to_owned()
}

/// Resolves `.` and `..` components; `None` if `..` would leave the root.
pub fn resolve_dots(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Indexes the tar in `source` by reading headers only. `progress` receives the offset reached.
pub fn scan_archive<S: ReadAt + ?Sized>(
    source: &S,
    limits: &Limits,
    progress: &mut dyn FnMut(u64),
) -> Result<ArchiveEntries, Error> {
    let total = source.len();
    if total == 0 {
        return Err(Error::Empty);
    }
    let mut magic = [0u8; 6];
    let n = magic.len().min(total as usize);
    read_exact_at(source, 0, &mut magic[..n], "the file's first bytes")?;
    match &magic[..n] {
        [0x1f, 0x8b, ..] => {
            return Err(Error::CompressedArchive {
                compression: "gzip",
                hint: "gunzip image.tar.gz",
            });
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => {
            return Err(Error::CompressedArchive {
                compression: "zstd",
                hint: "zstd -d image.tar.zst",
            });
        }
        [b'P', b'K', 3, 4, ..] => {
            return Err(Error::NotATar {
                detail: "it is a zip file".into(),
            });
        }
        [b'B', b'Z', b'h', ..] => {
            return Err(Error::CompressedArchive {
                compression: "bzip2",
                hint: "bunzip2 image.tar.bz2",
            });
        }
        [0xfd, b'7', b'z', b'X', b'Z', 0] => {
            return Err(Error::CompressedArchive {
                compression: "xz",
                hint: "unxz image.tar.xz",
            });
        }
        _ => {}
    }
    let mut reader = TarReader::new(limits.max_tar_meta_bytes);
    let mut entries: Vec<ArchiveEntry> = Vec::new();
    let mut by_path = HashMap::new();
    let mut buf = vec![0u8; 512];
    loop {
        progress(reader.offset().min(total));
        let skippable = reader.skippable();
        if skippable > 0 {
            if reader.offset().saturating_add(skippable) > total {
                // The body runs past the end: let `finish` name the entry.
                reader.skip(total - reader.offset());
                return Err(reader.finish().err().unwrap_or(Error::Truncated {
                    what: "the archive".into(),
                    offset: total,
                    detail: "an entry runs past the end of the file".into(),
                }));
            }
            reader.skip(skippable);
            continue;
        }
        if reader.is_done() {
            break;
        }
        let at = reader.offset();
        if at >= total {
            break;
        }
        let want = reader.needed().min(total - at) as usize;
        buf.resize(want, 0);
        read_exact_at(source, at, &mut buf, "the archive")?;
        let mut pos = 0;
        while pos < buf.len() {
            let (used, entry) = match reader.feed(&buf[pos..]) {
                Ok(x) => x,
                Err(e) if entries.is_empty() && at == 0 => return Err(not_a_tar(e)),
                Err(e) => return Err(e),
            };
            pos += used;
            if let Some(entry) = entry {
                if entries.len() as u64 >= limits.max_archive_entries {
                    return Err(limits.exceeded(
                        "max_archive_entries",
                        format!(
                            "the archive has more than {} entries",
                            limits.max_archive_entries
                        ),
                    ));
                }
                let path = normalise(&String::from_utf8_lossy(&entry.path));
                let link = entry.link.map(|l| String::from_utf8_lossy(&l).into_owned());
                // A later entry with the same path replaces the earlier one, as tar extracts.
                by_path.insert(path.clone(), entries.len());
                entries.push(ArchiveEntry {
                    path,
                    kind: entry.kind,
                    data_offset: entry.data_offset,
                    size: entry.stored_size,
                    link,
                });
            }
            if used == 0 {
                break;
            }
        }
    }
    let end = match reader.finish() {
        Ok(end) => end,
        Err(Error::NotATar { detail }) => return Err(Error::NotATar { detail }),
        Err(Error::Truncated { .. }) if entries.is_empty() => {
            return Err(Error::NotATar {
                detail: format!("the file is {total} bytes, too short for a tar header"),
            });
        }
        Err(e) => return Err(e),
    };
    if entries.is_empty() {
        return Err(Error::NotATar {
            detail: "the file starts with an end-of-archive block".into(),
        });
    }
    progress(total);
    Ok(ArchiveEntries {
        entries,
        by_path,
        end,
    })
}

/// A first header that does not parse means the file is not a tar at all: say so plainly.
fn not_a_tar(e: Error) -> Error {
    match e {
        Error::CorruptTar { detail, .. } => Error::NotATar {
            detail: format!("the first header is not a tar header ({detail})"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{MemorySource, ShortReads};

    pub(crate) fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len());
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn scans_headers_and_finds_data() {
        let bytes = tar_of(&[
            ("a.txt", b"hello"),
            ("./dir/b.json", b"{}"),
            ("long/".repeat(40).as_str(), b"x"),
        ]);
        for source in [
            Box::new(MemorySource::new(bytes.clone())) as Box<dyn ReadAt>,
            Box::new(ShortReads::one_byte(MemorySource::new(bytes.clone()))),
            Box::new(ShortReads::random(MemorySource::new(bytes.clone()), 3)),
        ] {
            let idx = scan_archive(&*source, &Limits::default(), &mut |_| {}).unwrap();
            assert_eq!(idx.entries.len(), 3);
            let b = idx.get("dir/b.json").unwrap();
            assert_eq!(&bytes[b.data_offset as usize..][..2], b"{}");
            assert!(idx.get(&"long/".repeat(40)).is_some(), "GNU long name");
            assert_eq!(idx.end, TarEnd::Marker);
        }
    }

    #[test]
    fn truncated_and_garbage() {
        let bytes = tar_of(&[("a.txt", &[7u8; 3000])]);
        let cut = MemorySource::new(bytes[..1500].to_vec());
        let err = scan_archive(&cut, &Limits::default(), &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), "truncated", "{err}");
        assert!(err.to_string().contains("a.txt"), "{err}");
        let garbage = MemorySource::new(
            (0..4096u32)
                .map(|i| (i * 31 % 251) as u8)
                .collect::<Vec<_>>(),
        );
        let err = scan_archive(&garbage, &Limits::default(), &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), "not-a-tar", "{err}");
        let gz = MemorySource::new(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        assert_eq!(
            scan_archive(&gz, &Limits::default(), &mut |_| {})
                .unwrap_err()
                .kind(),
            "compressed-archive"
        );
        assert_eq!(
            scan_archive(&MemorySource::new(vec![]), &Limits::default(), &mut |_| {}).unwrap_err(),
            Error::Empty
        );
    }

    #[test]
    fn entry_limit_is_named() {
        let bytes = tar_of(&[("a", b""), ("b", b""), ("c", b"")]);
        let limits = Limits {
            max_archive_entries: 2,
            ..Limits::default()
        };
        let err = scan_archive(&MemorySource::new(bytes), &limits, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("max_archive_entries"), "{err}");
    }

    #[test]
    fn resolves_relative_symlinks_and_refuses_escapes() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_cksum();
        b.append_data(&mut h, "abc.tar", &b"xyz"[..]).unwrap();
        for (name, target) in [
            ("id/layer.tar", "../abc.tar"),
            ("bad", "../../etc/passwd"),
            ("loop", "loop"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, name, target).unwrap();
        }
        let idx = scan_archive(
            &MemorySource::new(b.into_inner().unwrap()),
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(idx.resolve("id/layer.tar", "test").unwrap().path, "abc.tar");
        assert_eq!(idx.resolve("bad", "test").unwrap_err().kind(), "bad-link");
        assert_eq!(idx.resolve("loop", "test").unwrap_err().kind(), "bad-link");
        assert_eq!(
            idx.resolve("nope", "manifest.json").unwrap_err().kind(),
            "missing-file"
        );
    }
}
