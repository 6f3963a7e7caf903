//! The one door bytes come in by. The engine never opens files or sockets: a host implements
//! [`ReadAt`] over whatever holds the bytes (a browser `Blob` read with `FileReaderSync` in a
//! worker, a file, memory) and the engine asks for ranges, never for the whole archive.
//!
//! Reads are synchronous on purpose: in a Web Worker `FileReaderSync` answers at once, natively
//! a positioned file read does, and synchronous code lets the decompressors and the tar reader
//! stay plain loops. Data that arrives as a stream (a registry response) is pushed instead,
//! through [`crate::layer::LayerScanner::push`].

use crate::error::Error;

/// Why a host could not read. Kept as text: host errors (a `DOMException`, an `io::Error`) do
/// not cross into the engine as types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Random-access bytes of known length.
pub trait ReadAt {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads into `buf` starting at `offset`. May read fewer bytes than `buf` holds (a short
    /// read) but, before the end of the source, at least one; returns 0 only at or past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError>;
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn len(&self) -> u64 {
        (**self).len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        (**self).read_at(offset, buf)
    }
}

/// Fills `buf` from `offset`, looping over short reads. `what` names the thing being read for
/// the error message ("tar header", "`manifest.json`").
pub fn read_exact_at<S: ReadAt + ?Sized>(
    source: &S,
    offset: u64,
    buf: &mut [u8],
    what: &str,
) -> Result<(), Error> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = offset + done as u64;
        let n = source
            .read_at(at, &mut buf[done..])
            .map_err(|e| Error::Source {
                offset: at,
                len: (buf.len() - done) as u64,
                message: e.0,
            })?;
        if n == 0 {
            return Err(Error::Truncated {
                what: what.to_owned(),
                offset: at,
                detail: format!(
                    "needed {} bytes from offset {offset}, but the file ends at offset {at}",
                    buf.len()
                ),
            });
        }
        done += n;
    }
    Ok(())
}

/// Reads `len` bytes at `offset` into a new vector (for small documents only: callers bound
/// `len` by a limit first).
pub fn read_vec_at<S: ReadAt + ?Sized>(
    source: &S,
    offset: u64,
    len: u64,
    what: &str,
) -> Result<Vec<u8>, Error> {
    let n = usize::try_from(len).map_err(|_| Error::Truncated {
        what: what.to_owned(),
        offset,
        detail: format!("{len} bytes do not fit in memory"),
    })?;
    let mut buf = vec![0u8; n];
    read_exact_at(source, offset, &mut buf, what)?;
    Ok(buf)
}

/// A window `[start, start + len)` of another source, seen as a source of its own: a layer blob
/// inside an archive, say.
#[derive(Debug, Clone, Copy)]
pub struct SliceSource<S> {
    inner: S,
    start: u64,
    len: u64,
}

impl<S: ReadAt> SliceSource<S> {
    pub fn new(inner: S, start: u64, len: u64) -> Self {
        SliceSource { inner, start, len }
    }
}

impl<S: ReadAt> ReadAt for SliceSource<S> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if offset >= self.len {
            return Ok(0);
        }
        let room = usize::try_from(self.len - offset).unwrap_or(usize::MAX);
        let n = buf.len().min(room);
        self.inner.read_at(self.start + offset, &mut buf[..n])
    }
}

/// Bytes held in memory: for tests, and for small documents a host already has.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    bytes: Vec<u8>,
}

impl MemorySource {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        MemorySource {
            bytes: bytes.into(),
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }
}

impl ReadAt for MemorySource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        read_slice_at(&self.bytes, offset, buf)
    }
}

impl ReadAt for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        read_slice_at(self, offset, buf)
    }
}

fn read_slice_at(bytes: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
    let Ok(start) = usize::try_from(offset) else {
        return Ok(0);
    };
    if start >= bytes.len() {
        return Ok(0);
    }
    let n = buf.len().min(bytes.len() - start);
    buf[..n].copy_from_slice(&bytes[start..start + n]);
    Ok(n)
}

/// A source that answers every read with at most `max` bytes, or with a pseudo-random short
/// count: tests use it to catch code that assumes a read fills its buffer.
#[derive(Debug, Clone)]
pub struct ShortReads<S> {
    inner: S,
    /// `Some(n)`: at most n bytes per read. `None`: a seeded pseudo-random count per read.
    max: Option<usize>,
    seed: u64,
}

impl<S: ReadAt> ShortReads<S> {
    /// At most one byte per read.
    pub fn one_byte(inner: S) -> Self {
        ShortReads {
            inner,
            max: Some(1),
            seed: 0,
        }
    }

    /// A pseudo-random count between 1 and the request per read, the same for the same seed,
    /// offset and length.
    pub fn random(inner: S, seed: u64) -> Self {
        ShortReads {
            inner,
            max: None,
            seed,
        }
    }
}

impl<S: ReadAt> ReadAt for ShortReads<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let cap = match self.max {
            Some(max) => max.max(1),
            None => {
                // splitmix64 of (seed, offset, len): deterministic, no state, no clock.
                let mut z = self
                    .seed
                    .wrapping_add(offset.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .wrapping_add(buf.len() as u64);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                1 + (z % buf.len() as u64) as usize
            }
        };
        let n = buf.len().min(cap);
        self.inner.read_at(offset, &mut buf[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_exact_loops_over_short_reads() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        for source in [
            ShortReads::one_byte(MemorySource::new(data.clone())),
            ShortReads::random(MemorySource::new(data.clone()), 7),
        ] {
            let mut buf = vec![0u8; 1000];
            read_exact_at(&source, 1234, &mut buf, "test").unwrap();
            assert_eq!(buf, data[1234..2234]);
        }
    }

    #[test]
    fn read_past_end_is_truncated_with_offsets() {
        let source = MemorySource::new(vec![1u8; 10]);
        let mut buf = [0u8; 8];
        let err = read_exact_at(&source, 6, &mut buf, "tar header").unwrap_err();
        assert_eq!(err.kind(), "truncated");
        assert!(err.to_string().contains("tar header"), "{err}");
        assert!(err.to_string().contains("ends at offset 10"), "{err}");
    }

    #[test]
    fn slice_source_is_a_window() {
        let source = MemorySource::new((0u8..100).collect::<Vec<_>>());
        let slice = SliceSource::new(&source, 10, 5);
        let mut buf = [0u8; 10];
        assert_eq!(slice.read_at(0, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], &[10, 11, 12, 13, 14]);
        assert_eq!(slice.read_at(5, &mut buf).unwrap(), 0);
    }
}
