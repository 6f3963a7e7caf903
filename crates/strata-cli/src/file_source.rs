//! A file as a [`ByteSource`]: positioned reads, so the archive is never loaded whole.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::Path;
use strata_core::{ByteSource, SourceError};

pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let meta = file.metadata().with_context(|| format!("cannot stat {}", path.display()))?;
        anyhow::ensure!(meta.is_file(), "{} is not a regular file", path.display());
        Ok(FileSource { file, len: meta.len() })
    }
}

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        let len = len.min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        let mut buf = vec![0; len];
        let n = read_at(&self.file, &mut buf, offset).map_err(|e| SourceError(e.to_string()))?;
        buf.truncate(n);
        Ok(buf)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
