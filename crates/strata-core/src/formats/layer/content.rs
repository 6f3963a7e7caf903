//! Reading one file's bytes back out of a layer, by range: an uncompressed layer is read at
//! the file's offset directly; a compressed one is decompressed from its start up to the file
//! (measured: 0.1 s to reach the middle of a 60 MB gzip layer natively, so no checkpoints yet)
//! and stopped as soon as the file is out. Sparse files are expanded, holes as zeros.

use crate::error::Error;
use crate::image::BlobLocation;
use crate::layer::decode::Compression;
use crate::layer::decode::{Decoder, Sink};
use crate::layer::{Entry, LayerIndex, index::flags};
use crate::source::{ReadAt, read_exact_at};
use crate::tar::EntryKind;

/// One file of a layer as reading its bytes needs it: its entry, the bytes the tar stores for it
/// and its sparse map when that is in the headers. It travels on its own, so a host that holds
/// only the layer's blob (a pool worker) can serve it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFile {
    pub entry: Entry,
    /// [`LayerIndex::stored_size`]: the size but for a sparse file.
    pub stored_size: u64,
    /// [`LayerIndex::sparse_map`].
    pub sparse_map: Option<Vec<(u64, u64)>>,
}

impl StoredFile {
    /// Entry `i` of `index` (which must have it, as for `index.entries[i]`).
    pub fn of(index: &LayerIndex, i: usize) -> StoredFile {
        let entry = index.entries[i];
        StoredFile {
            entry,
            stored_size: index.stored_size(i),
            sparse_map: index.sparse_map(i).map(<[_]>::to_vec),
        }
    }
}

/// The file's content, bytes `range.0 ..` (up to `range.1` bytes, or to the end), handed to
/// `out` in pieces. Sparse files are expanded first. Reading stops as soon as the range is out,
/// so the first page of a file deep in a compressed layer costs only the decompression up to it.
pub fn read_entry<S: ReadAt + ?Sized>(
    source: &S,
    blob: BlobLocation,
    compression: Compression,
    file: &StoredFile,
    range: (u64, Option<u64>),
    out: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let (entry, stored_size) = (&file.entry, file.stored_size);
    if entry.kind != EntryKind::File {
        return Err(Error::Invalid {
            what: "reading a file".into(),
            detail: format!("it is a {}, not a file", entry.kind.name()),
        });
    }
    let (start, len) = range;
    let end = len.map_or(u64::MAX, |l| start.saturating_add(l));
    let sparse = entry.flags & flags::SPARSE != 0;
    if compression == Compression::None && !sparse {
        // The bytes are right there: read just the range.
        let (from, to) = (start.min(stored_size), end.min(stored_size));
        let mut buf = vec![0u8; usize::try_from((to - from).min(1 << 20)).unwrap_or(1 << 20)];
        let mut at = from;
        while at < to {
            let n = usize::try_from((to - at).min(buf.len() as u64)).unwrap_or(buf.len());
            read_exact_at(
                source,
                blob.offset + entry.data_offset + at,
                &mut buf[..n],
                "the file's data",
            )?;
            out(&buf[..n])?;
            at += n as u64;
        }
        return Ok(());
    }
    let done = std::cell::Cell::new(false);
    let mut pos = 0u64; // in the expanded content
    let mut clip = |chunk: &[u8]| -> Result<(), Error> {
        let (a, b) = (pos, pos + chunk.len() as u64);
        pos = b;
        if b >= end {
            done.set(true);
        }
        let (from, to) = (start.max(a), end.min(b));
        if from < to {
            out(&chunk[(from - a) as usize..(to - a) as usize])?;
        }
        Ok(())
    };
    let mut expander = SparseExpander::new(entry, file.sparse_map.as_deref());
    let mut forward = |chunk: &[u8]| expander.push(chunk, &mut clip);
    match compression {
        Compression::None => {
            let mut buf = vec![0u8; 1 << 20];
            let mut at = 0u64;
            while at < stored_size && !done.get() {
                let n =
                    usize::try_from((stored_size - at).min(buf.len() as u64)).unwrap_or(buf.len());
                read_exact_at(
                    source,
                    blob.offset + entry.data_offset + at,
                    &mut buf[..n],
                    "the file's data",
                )?;
                forward(&buf[..n])?;
                at += n as u64;
            }
        }
        _ => {
            let mut sink = Window {
                skip: entry.data_offset,
                take: stored_size,
                out: &mut forward,
            };
            let mut decoder = Decoder::new(compression);
            let mut buf = vec![0u8; 256 * 1024];
            let mut at = 0u64;
            while at < blob.len && sink.take > 0 && !done.get() {
                let n = usize::try_from((blob.len - at).min(buf.len() as u64)).unwrap_or(buf.len());
                read_exact_at(source, blob.offset + at, &mut buf[..n], "the layer")?;
                decoder.push(&buf[..n], &mut sink)?;
                at += n as u64;
            }
            if sink.take > 0 && !done.get() {
                // The decoder may hold the stream's last bytes until told it has ended.
                decoder.finish(&mut sink)?;
            }
            if sink.take > 0 && !done.get() {
                return Err(Error::Truncated {
                    what: "the layer".into(),
                    offset: entry.data_offset,
                    detail: format!("it ends {} bytes before the file's data does", sink.take),
                });
            }
        }
    }
    if !done.get() {
        expander.finish(&mut clip)?;
    }
    Ok(())
}

/// One range of one file of a layer, for [`read_ranges`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RangeRequest {
    pub file: StoredFile,
    /// Offset in the file's content.
    pub offset: u64,
    pub len: u64,
}

/// Reads many ranges of a layer's files at once, as `read_entry` would one by one, but a
/// compressed layer is decompressed once for all of them (up to the last byte wanted), not once
/// per file: the package analysis asks for hundreds of small files per layer. Each answer is
/// the range's bytes (shorter when the file is) or the error that range met. Sparse files are
/// read one by one through [`read_entry`] (package databases are never sparse in practice).
pub fn read_ranges<S: ReadAt + ?Sized>(
    source: &S,
    blob: BlobLocation,
    compression: Compression,
    requests: &[RangeRequest],
) -> Vec<Result<Vec<u8>, Error>> {
    let mut answers: Vec<Option<Result<Vec<u8>, Error>>> = vec![None; requests.len()];
    // Windows in the uncompressed tar: (start, end, request), sorted by start.
    let mut windows = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let sparse = r.file.entry.flags & flags::SPARSE != 0;
        if r.file.entry.kind != EntryKind::File || sparse || compression == Compression::None {
            let mut got = Vec::new();
            let res = read_entry(
                source,
                blob,
                compression,
                &r.file,
                (r.offset, Some(r.len)),
                &mut |chunk| {
                    got.extend_from_slice(chunk);
                    Ok(())
                },
            );
            answers[i] = Some(res.map(|()| got));
            continue;
        }
        let from = r.offset.min(r.file.stored_size);
        let to = r.offset.saturating_add(r.len).min(r.file.stored_size);
        let base = r.file.entry.data_offset;
        windows.push((base + from, base + to, i));
        answers[i] = Some(Ok(Vec::with_capacity(
            usize::try_from(to - from).unwrap_or(0).min(1 << 20),
        )));
    }
    windows.sort_unstable();
    if let Some(last) = windows.iter().map(|w| w.1).max() {
        let mut sink = Windows {
            windows: &windows,
            next: 0,
            pos: 0,
            end: last,
            answers: &mut answers,
        };
        let mut decoder = Decoder::new(compression);
        let mut buf = vec![0u8; 256 * 1024];
        let mut at = 0u64;
        let mut failed = None;
        while at < blob.len && sink.pos < sink.end {
            let n = usize::try_from((blob.len - at).min(buf.len() as u64)).unwrap_or(buf.len());
            if let Err(e) = read_exact_at(source, blob.offset + at, &mut buf[..n], "the layer")
                .and_then(|()| decoder.push(&buf[..n], &mut sink))
            {
                failed = Some(e);
                break;
            }
            at += n as u64;
        }
        if failed.is_none() && sink.pos < sink.end {
            failed = decoder.finish(&mut sink).err();
        }
        let reached = sink.pos;
        for &(_, end, i) in &windows {
            if end > reached {
                answers[i] = Some(Err(failed.clone().unwrap_or_else(|| Error::Truncated {
                    what: "the layer".into(),
                    offset: reached,
                    detail: format!(
                        "it ends {} bytes before the file's data does",
                        end - reached
                    ),
                })));
            }
        }
    }
    answers
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| {
                Err(Error::Invalid {
                    what: "a range".into(),
                    detail: "it was not read".into(),
                })
            })
        })
        .collect()
}

/// Hands the decompressed tar's bytes to every window they fall in.
struct Windows<'a> {
    /// (start, end, request), sorted by start.
    windows: &'a [(u64, u64, usize)],
    /// Windows before this one are complete.
    next: usize,
    /// Bytes of the tar seen so far.
    pos: u64,
    /// The end of the last window: past it nothing is wanted.
    end: u64,
    answers: &'a mut [Option<Result<Vec<u8>, Error>>],
}

impl Sink for Windows<'_> {
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        let (a, b) = (self.pos, self.pos + data.len() as u64);
        self.pos = b;
        while self.next < self.windows.len() && self.windows[self.next].1 <= a {
            self.next += 1;
        }
        for &(start, end, i) in &self.windows[self.next..] {
            if start >= b {
                break;
            }
            let (from, to) = (start.max(a), end.min(b));
            if from < to
                && let Some(Ok(v)) = &mut self.answers[i]
            {
                v.extend_from_slice(&data[(from - a) as usize..(to - a) as usize]);
            }
        }
        Ok(())
    }
}

/// Passes on `take` bytes after skipping `skip`, then swallows the rest.
struct Window<'a> {
    skip: u64,
    take: u64,
    out: &'a mut dyn FnMut(&[u8]) -> Result<(), Error>,
}

impl Sink for Window<'_> {
    fn write(&mut self, mut data: &[u8]) -> Result<(), Error> {
        if self.skip > 0 {
            let n = self.skip.min(data.len() as u64) as usize;
            self.skip -= n as u64;
            data = &data[n..];
        }
        if self.take > 0 && !data.is_empty() {
            let n = self.take.min(data.len() as u64) as usize;
            self.take -= n as u64;
            (self.out)(&data[..n])?;
        }
        Ok(())
    }
}

/// Turns the stored data of a sparse file into its content: regions at their offsets, zeros
/// between. Non-sparse data passes straight through.
struct SparseExpander {
    /// (offset, length) regions; `None` for a plain file.
    map: Option<Vec<(u64, u64)>>,
    /// PAX 1.0: the map is a text block at the start of the data; collected here first.
    header: Option<Vec<u8>>,
    real_size: u64,
    region: usize,
    in_region: u64,
    written: u64,
}

impl SparseExpander {
    fn new(entry: &Entry, map: Option<&[(u64, u64)]>) -> Self {
        let sparse = entry.flags & flags::SPARSE != 0;
        let in_data = entry.flags & flags::SPARSE_MAP_IN_DATA != 0;
        SparseExpander {
            map: if sparse && !in_data {
                map.map(<[_]>::to_vec)
            } else {
                None
            },
            header: (sparse && in_data).then(Vec::new),
            real_size: entry.size,
            region: 0,
            in_region: 0,
            written: 0,
        }
    }

    fn zeros(
        &mut self,
        mut n: u64,
        out: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let zeros = [0u8; 8192];
        while n > 0 {
            let k = n.min(zeros.len() as u64) as usize;
            out(&zeros[..k])?;
            n -= k as u64;
            self.written += k as u64;
        }
        Ok(())
    }

    fn push(
        &mut self,
        mut data: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if let Some(header) = &mut self.header {
            // PAX 1.0: decimal lines, `count`, then `offset` and `length` pairs, padded to 512.
            header.extend_from_slice(data);
            let Some((map, used)) = parse_sparse_text(header) else {
                if header.len() > 1 << 20 {
                    return Err(Error::Invalid {
                        what: "a sparse file".into(),
                        detail: "its sparse map is over 1 MiB".into(),
                    });
                }
                return Ok(());
            };
            let rest = header[used..].to_vec();
            self.header = None;
            self.map = Some(map);
            data = &[];
            self.push(&rest, out)?;
        }
        let Some(map) = self.map.clone() else {
            self.written += data.len() as u64;
            return out(data);
        };
        while !data.is_empty() && self.region < map.len() {
            let (offset, len) = map[self.region];
            if self.written < offset {
                self.zeros(offset - self.written, out)?;
            }
            let n = (len - self.in_region).min(data.len() as u64) as usize;
            out(&data[..n])?;
            self.written += n as u64;
            self.in_region += n as u64;
            data = &data[n..];
            if self.in_region == len {
                self.region += 1;
                self.in_region = 0;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
        if self.map.is_some() || self.header.is_some() {
            if let Some(map) = self.map.clone() {
                // Regions of length 0 at the end still place the file's end.
                for &(offset, len) in &map[self.region..] {
                    if len == 0 && self.written < offset {
                        self.zeros(offset - self.written, out)?;
                    }
                }
            }
            if self.written < self.real_size {
                self.zeros(self.real_size - self.written, out)?;
            }
        }
        Ok(())
    }
}

/// Parses a PAX 1.0 sparse map; returns it and the bytes it took (rounded to 512).
fn parse_sparse_text(b: &[u8]) -> Option<(Vec<(u64, u64)>, usize)> {
    let mut pos = 0;
    let mut next = || -> Option<u64> {
        let nl = b[pos..].iter().position(|&c| c == b'\n')?;
        let v = std::str::from_utf8(&b[pos..pos + nl]).ok()?.parse().ok()?;
        pos += nl + 1;
        Some(v)
    };
    let count = next()?;
    if count > 1_000_000 {
        return None;
    }
    let mut map = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let off = next()?;
        let len = next()?;
        map.push((off, len));
    }
    let used = pos.div_ceil(512) * 512;
    (b.len() >= used).then_some((map, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_text_maps() {
        let mut b = b"2\n0\n5\n100\n3\n".to_vec();
        b.resize(512, 0);
        b.extend(b"helloabc");
        let (map, used) = parse_sparse_text(&b).unwrap();
        assert_eq!(map, vec![(0, 5), (100, 3)]);
        assert_eq!(used, 512);
        let entry = Entry {
            path: crate::paths::PathId(1),
            kind: EntryKind::File,
            flags: flags::SPARSE | flags::SPARSE_MAP_IN_DATA,
            mode: 0o644,
            owner: crate::layer::index::OwnerId(0),
            link: crate::layer::StrId::NONE,
            size: 200,
            mtime: 0,
            data_offset: 0,
            content_hash: 0,
        };
        let mut e = SparseExpander::new(&entry, None);
        let mut got = Vec::new();
        for chunk in b.chunks(7) {
            e.push(chunk, &mut |d| {
                got.extend_from_slice(d);
                Ok(())
            })
            .unwrap();
        }
        e.finish(&mut |d| {
            got.extend_from_slice(d);
            Ok(())
        })
        .unwrap();
        let mut want = vec![0u8; 200];
        want[..5].copy_from_slice(b"hello");
        want[100..103].copy_from_slice(b"abc");
        assert_eq!(got, want);
    }
}
