//! An OCI layout (or skopeo `dir:`) directory seen as the tar of it, so the engine reads it
//! exactly as it reads an archive: tar headers are made here, file bytes are read from the
//! files by position when asked. Nothing is copied; symlinks are entries, never followed.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use strata_core::{ReadAt, SourceError};

const BLOCK: u64 = 512;

#[derive(Debug)]
enum Part {
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

#[derive(Debug)]
pub struct DirSource {
    /// (start offset, part), in order.
    parts: Vec<(u64, Part)>,
    len: u64,
}

impl DirSource {
    pub fn open(root: &Path) -> Result<DirSource> {
        let mut entries = Vec::new();
        walk(root, root, &mut entries)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut parts = Vec::new();
        let mut at = 0u64;
        let mut push = |parts: &mut Vec<(u64, Part)>, p: Part, len: u64| {
            parts.push((at, p));
            at += len;
        };
        for (name, meta, path) in entries {
            let ft = meta.file_type();
            let (typeflag, size, link) = if ft.is_dir() {
                (b'5', 0, String::new())
            } else if ft.is_symlink() {
                (
                    b'2',
                    0,
                    std::fs::read_link(&path)?.to_string_lossy().into_owned(),
                )
            } else if ft.is_file() {
                (b'0', meta.len(), String::new())
            } else {
                continue;
            };
            let name = if ft.is_dir() {
                format!("{name}/")
            } else {
                name
            };
            let mut head = Vec::new();
            if name.len() > 100 || link.len() > 100 {
                let mut records = Vec::new();
                for (k, v) in [("path", name.as_str()), ("linkpath", link.as_str())] {
                    if !v.is_empty() {
                        records.extend(pax_record(k, v));
                    }
                }
                head.extend(header("././@PaxHeader", b'x', records.len() as u64, ""));
                let n = records.len() as u64;
                head.extend(records);
                head.resize(head.len() + pad(n) as usize, 0);
            }
            head.extend(header(&name, typeflag, size, &link));
            let head_len = head.len() as u64;
            push(&mut parts, Part::Bytes(head), head_len);
            if size > 0 {
                push(
                    &mut parts,
                    Part::File {
                        path: path.clone(),
                        len: size,
                    },
                    size,
                );
                let p = pad(size);
                if p > 0 {
                    push(&mut parts, Part::Bytes(vec![0; p as usize]), p);
                }
            }
        }
        push(&mut parts, Part::Bytes(vec![0; 1024]), 1024);
        Ok(DirSource { parts, len: at })
    }
}

fn pad(n: u64) -> u64 {
    (BLOCK - n % BLOCK) % BLOCK
}

fn walk(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, std::fs::Metadata, PathBuf)>,
) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let e = e?;
        let path = e.path();
        let meta = std::fs::symlink_metadata(&path)?;
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let is_dir = meta.is_dir();
        out.push((name, meta, path.clone()));
        if is_dir {
            walk(root, &path, out)?;
        }
    }
    Ok(())
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!("{key}={value}\n");
    let mut len = body.len() + 2;
    loop {
        let want = format!("{len} ").len() + body.len();
        if want == len {
            break;
        }
        len = want;
    }
    format!("{len} {body}").into_bytes()
}

fn header(name: &str, typeflag: u8, size: u64, link: &str) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let n = name.as_bytes();
    h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    let l = link.as_bytes();
    h[157..157 + l.len().min(100)].copy_from_slice(&l[..l.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

impl ReadAt for DirSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let i = self.parts.partition_point(|(start, _)| *start <= offset) - 1;
        let (start, part) = &self.parts[i];
        let within = offset - start;
        match part {
            Part::Bytes(b) => {
                let from = usize::try_from(within).unwrap_or(usize::MAX).min(b.len());
                let n = buf.len().min(b.len() - from);
                buf[..n].copy_from_slice(&b[from..from + n]);
                Ok(n)
            }
            Part::File { path, len } => {
                let n = usize::try_from((len - within).min(buf.len() as u64)).unwrap_or(buf.len());
                let file = File::open(path)
                    .map_err(|e| SourceError(format!("{}: {e}", path.display())))?;
                #[cfg(unix)]
                let r = std::os::unix::fs::FileExt::read_at(&file, &mut buf[..n], within);
                #[cfg(windows)]
                let r = std::os::windows::fs::FileExt::seek_read(&file, &mut buf[..n], within);
                let got = r.map_err(|e| SourceError(format!("{}: {e}", path.display())))?;
                if got == 0 {
                    return Err(SourceError(format!(
                        "{} is shorter than when it was listed",
                        path.display()
                    )));
                }
                Ok(got)
            }
        }
    }
}
