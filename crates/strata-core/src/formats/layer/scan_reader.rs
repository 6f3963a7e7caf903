//! A [`LayerScan`] read back from its postcard bytes a run of elements at a time, so a page can
//! decode a million-entry layer's scan (58 MB; 334 ms in one task in wasm) in slices between
//! frames, as [`crate::snapshot::BodyWriter`] writes a snapshot.
//!
//! postcard names no field and writes a sequence as its length then its elements, so the
//! encoding is the concatenation of its fields': the long sequences (a path table's names and
//! nodes, the entries, the whiteouts, the strings' offsets) are read a run at a time and the
//! rest in one piece. The result is the value `postcard::from_bytes` gives (the test holds the
//! two equal); what follows the scan in the bytes is left unread.

use super::decode::Compression;
use super::index::{Entry, LayerIndex, LongField, Owner, Strings, Whiteout, Xattr};
use super::scan::LayerScan;
use crate::diagnostic::Diagnostic;
use crate::digest::{DiffId, Digest};
use crate::error::{Error, ErrorReport};
use crate::paths::{Node, PathTable};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A string's bytes count this many to one element read, against a call's budget (a copy and
/// a UTF-8 check: far cheaper than an entry's dozen varints).
const BYTES_PER_ELEMENT: usize = 64;

/// Reads one [`LayerScan`] a budget at a time: call [`ScanReader::work`] with the same bytes
/// until it gives the scan.
#[derive(Debug, Default)]
pub struct ScanReader {
    at: Cursor,
    stage: Stage,
    name_bytes: String,
    name_starts: Vec<u32>,
    nodes: Vec<Node>,
    entries: Vec<Entry>,
    whiteouts: Vec<Whiteout>,
    string_bytes: String,
    string_starts: Vec<u32>,
}

/// Where the reading is: apart from the fields read, so a sequence's field can be filled while
/// the cursor moves.
#[derive(Debug, Default)]
struct Cursor {
    /// Bytes read so far.
    pos: usize,
    /// Elements still to read of the sequence being read; `None` before its length is read.
    left: Option<usize>,
}

/// The fields of a scan in their serialized order: the index's long ones ([`LongField`]),
/// then `Tail`, the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Long(LongField),
    Tail,
    Done,
}

impl Default for Stage {
    fn default() -> Self {
        Stage::Long(LongField::IN_ORDER[0])
    }
}

/// A host's window on a scan's bytes ([`ScanReader::work_in`]).
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Bytes `start..start + bytes.len()` of the scan's.
    pub bytes: &'a [u8],
    pub start: usize,
    /// How many bytes there are in all (the window is the last one when it reaches them).
    pub total: usize,
}

impl Window<'_> {
    fn is_last(&self) -> bool {
        self.start + self.bytes.len() >= self.total
    }
}

/// A host's own copy of part of a scan's bytes, as [`ScanReader::work_in`] reads through it:
/// what is read is let go, and more is copied in after the rest when the reader asks for it
/// ([`Progress::NeedBytes`]). The page fills it from a JS buffer; tests and benches from a
/// slice.
#[derive(Debug, Default)]
pub struct ScanWindow {
    bytes: Vec<u8>,
    start: usize,
    total: usize,
}

impl ScanWindow {
    /// An empty window on a scan of `total` bytes.
    pub fn new(total: usize) -> ScanWindow {
        ScanWindow {
            bytes: Vec::new(),
            start: 0,
            total,
        }
    }

    /// The window as the reader takes it.
    pub fn view(&self) -> Window<'_> {
        Window {
            bytes: &self.bytes,
            start: self.start,
            total: self.total,
        }
    }

    /// Whether it holds every byte of the scan.
    pub fn holds_all(&self) -> bool {
        self.start == 0 && self.bytes.len() == self.total
    }

    /// How many bytes it holds now.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Lets go of the bytes before `consumed` (the reader's [`ScanReader::consumed`]) and
    /// appends up to `piece` more after the rest: `fill(offset, out)` copies the scan's bytes
    /// from `offset` into `out`. A value longer than a piece widens the window a piece a call
    /// until it is in.
    pub fn slide(&mut self, consumed: usize, piece: usize, fill: impl FnOnce(usize, &mut [u8])) {
        let read = consumed.saturating_sub(self.start).min(self.bytes.len());
        self.bytes.drain(..read);
        self.start += read;
        let (have, a) = (self.bytes.len(), self.start + self.bytes.len());
        let z = self.total.min(a.saturating_add(piece));
        if a < z {
            self.bytes.resize(have + (z - a), 0);
            fill(a, &mut self.bytes[have..]);
        }
    }
}

/// What a call of [`ScanReader::work_in`] came to.
#[derive(Debug)]
pub enum Progress {
    /// The scan, read whole.
    Scan(Box<LayerScan>),
    /// The budget is spent: call again.
    Budget,
    /// The window ends inside a value: call again with the window slid on (from
    /// [`ScanReader::consumed`]) or widened.
    NeedBytes,
}

/// What follows the strings' offsets, in order: the rest of the index, then the rest of the
/// scan. [`ScanReader::work`] builds the scan with every field named, so a field added to
/// either struct fails to compile there until it is added here too, in its place.
#[derive(Deserialize)]
struct Tail {
    owners: Vec<Owner>,
    xattrs: Vec<Xattr>,
    sparse_maps: Vec<(u32, Vec<(u64, u64)>)>,
    stored_sizes: Vec<(u32, u64)>,
    diagnostics: Vec<Diagnostic>,
    no_end_marker: bool,
    compression: Compression,
    digest: Option<Digest>,
    diff_id: Option<DiffId>,
    stored_size: u64,
    tar_size: u64,
    error: Option<ErrorReport>,
}

fn damaged(e: postcard::Error, at: usize) -> Error {
    Error::Invalid {
        what: "A layer's index as the worker sent it".into(),
        detail: format!("{e} (at byte {at})"),
    }
}

impl ScanReader {
    pub fn new() -> ScanReader {
        ScanReader::default()
    }

    /// How many bytes are read so far: all of the scan's once it is given.
    pub fn consumed(&self) -> usize {
        self.at.pos
    }

    /// Reads on for about `budget` elements (at least one); the scan once it is all read.
    /// `bytes` must be the same each call. Damaged bytes are an error naming the byte.
    pub fn work(&mut self, bytes: &[u8], budget: usize) -> Result<Option<LayerScan>, Error> {
        let whole = Window {
            bytes,
            start: 0,
            total: bytes.len(),
        };
        match self.work_in(whole, budget)? {
            Progress::Scan(scan) => Ok(Some(*scan)),
            // All the bytes are there: a value they cut short is damage, and said so.
            Progress::Budget | Progress::NeedBytes => Ok(None),
        }
    }

    /// As [`Self::work`], from a window on the bytes: `window.bytes` are bytes
    /// `window.start..` of `window.total`. The window must begin at or before
    /// [`Self::consumed`] and may end anywhere: a value it cuts short is read once it is in
    /// ([`Progress::NeedBytes`]: slide the window on, or widen it). So a host holds a few MiB
    /// of a scan at a time, not all of it (a million entries' scan is 58 MB).
    pub fn work_in(&mut self, window: Window<'_>, budget: usize) -> Result<Progress, Error> {
        let mut budget = budget.max(1);
        loop {
            let at = &mut self.at;
            let field = match self.stage {
                Stage::Long(field) => field,
                Stage::Tail => {
                    let Some(tail) = at.one::<Tail>(window)? else {
                        return Ok(Progress::NeedBytes);
                    };
                    self.stage = Stage::Done;
                    return Ok(Progress::Scan(Box::new(self.scan(tail))));
                }
                Stage::Done => {
                    return Err(Error::Invalid {
                        what: "A layer's index".into(),
                        detail: "it was read to its end already".into(),
                    });
                }
            };
            let w = window;
            let whole = match field {
                LongField::NameBytes => at.one(w)?.map(|b: String| {
                    budget = budget.saturating_sub(b.len() / BYTES_PER_ELEMENT);
                    self.name_bytes = b;
                    true
                }),
                LongField::NameStarts => at.run(w, &mut self.name_starts, &mut budget)?,
                LongField::Nodes => at.run(w, &mut self.nodes, &mut budget)?,
                LongField::Entries => at.run(w, &mut self.entries, &mut budget)?,
                LongField::Whiteouts => at.run(w, &mut self.whiteouts, &mut budget)?,
                LongField::StringBytes => at.one(w)?.map(|b: String| {
                    budget = budget.saturating_sub(b.len() / BYTES_PER_ELEMENT);
                    self.string_bytes = b;
                    true
                }),
                LongField::StringStarts => at.run(w, &mut self.string_starts, &mut budget)?,
            };
            let Some(whole) = whole else {
                return Ok(Progress::NeedBytes);
            };
            if whole {
                self.stage = field.next().map_or(Stage::Tail, Stage::Long);
            }
            if budget == 0 {
                return Ok(Progress::Budget);
            }
        }
    }

    /// Reads a whole scan at once (what `work` gives with no budget).
    pub fn read(bytes: &[u8]) -> Result<LayerScan, Error> {
        let mut reader = ScanReader::new();
        loop {
            if let Some(scan) = reader.work(bytes, usize::MAX)? {
                return Ok(scan);
            }
        }
    }

    /// The scan from the long fields read and the rest.
    fn scan(&mut self, tail: Tail) -> LayerScan {
        let Tail {
            owners,
            xattrs,
            sparse_maps,
            stored_sizes,
            diagnostics,
            no_end_marker,
            compression,
            digest,
            diff_id,
            stored_size,
            tar_size,
            error,
        } = tail;
        LayerScan {
            index: LayerIndex {
                paths: std::sync::Arc::new(PathTable::from_stored(
                    std::mem::take(&mut self.name_bytes),
                    std::mem::take(&mut self.name_starts),
                    std::mem::take(&mut self.nodes),
                )),
                entries: std::mem::take(&mut self.entries),
                whiteouts: std::mem::take(&mut self.whiteouts),
                strings: Strings::from_stored(
                    std::mem::take(&mut self.string_bytes),
                    std::mem::take(&mut self.string_starts),
                ),
                owners,
                xattrs,
                sparse_maps,
                stored_sizes,
                diagnostics,
                no_end_marker,
            },
            compression,
            digest,
            diff_id,
            stored_size,
            tar_size,
            error,
        }
    }
}

impl Cursor {
    /// The window's bytes from the cursor on.
    fn rest<'a>(&self, w: Window<'a>) -> Result<&'a [u8], Error> {
        self.pos
            .checked_sub(w.start)
            .and_then(|from| w.bytes.get(from..))
            .ok_or_else(|| Error::Invalid {
                what: "A layer's index being read".into(),
                detail: format!(
                    "the window on its bytes ({}..{}) does not hold byte {}",
                    w.start,
                    w.start + w.bytes.len(),
                    self.pos
                ),
            })
    }

    /// One value, whole; `None` if the window cuts it short before the bytes end.
    fn one<T: DeserializeOwned>(&mut self, w: Window<'_>) -> Result<Option<T>, Error> {
        let rest = self.rest(w)?;
        match postcard::take_from_bytes::<T>(rest) {
            Ok((value, after)) => {
                self.pos = w.start + w.bytes.len() - after.len();
                Ok(Some(value))
            }
            Err(postcard::Error::DeserializeUnexpectedEnd) if !w.is_last() => Ok(None),
            Err(e) => Err(damaged(e, self.pos)),
        }
    }

    /// Up to `budget` more elements of a sequence into `out`: whether it is all read, or
    /// `None` if the window ends first (the elements before that are in).
    fn run<T: DeserializeOwned>(
        &mut self,
        w: Window<'_>,
        out: &mut Vec<T>,
        budget: &mut usize,
    ) -> Result<Option<bool>, Error> {
        let n = match self.left {
            Some(n) => n,
            None => {
                let Some(n) = self.one::<usize>(w)? else {
                    return Ok(None);
                };
                // Each element is at least a byte: a damaged length reserves no more than the
                // bytes there are.
                out.reserve(n.min(w.total.saturating_sub(self.pos)));
                self.left = Some(n);
                n
            }
        };
        let k = n.min(*budget);
        let mut rest = self.rest(w)?;
        let mut read = 0;
        let mut cut = false;
        while read < k {
            match postcard::take_from_bytes::<T>(rest) {
                Ok((v, after)) => {
                    out.push(v);
                    rest = after;
                    read += 1;
                }
                Err(postcard::Error::DeserializeUnexpectedEnd) if !w.is_last() => {
                    cut = true;
                    break;
                }
                Err(e) => return Err(damaged(e, w.start + w.bytes.len() - rest.len())),
            }
        }
        self.pos = w.start + w.bytes.len() - rest.len();
        *budget -= read;
        self.left = Some(n - read);
        if cut {
            return Ok(None);
        }
        if n == read {
            self.left = None;
        }
        Ok(Some(n == read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::source::MemorySource;

    fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            if let Some(target) = name.strip_prefix("link:") {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                b.append_link(&mut h, "bin/sh", target)
                    .unwrap_or_else(|e| panic!("{e}"));
                continue;
            }
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_uid(1000);
            h.set_username("dev").unwrap_or_else(|e| panic!("{e}"));
            h.set_cksum();
            b.append_data(&mut h, name, *data)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        b.into_inner().unwrap_or_else(|e| panic!("{e}"))
    }

    fn scanned(layer: &[u8]) -> LayerScan {
        let n = layer.len() as u64;
        crate::scan_layer(
            &MemorySource::new(layer.to_vec()),
            0,
            n,
            &Limits::default(),
            &mut |_| true,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn encoded(scan: &LayerScan) -> Vec<u8> {
        postcard::to_allocvec(scan).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_scan_read_a_run_at_a_time_is_the_scan_postcard_reads() {
        let files: Vec<(String, Vec<u8>)> = (0..300)
            .map(|i| (format!("usr/share/d{}/f{i}", i % 7), vec![b'x'; i % 5]))
            .collect();
        let mut entries: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        entries.extend([
            ("link:bin/ash", &b""[..]),
            ("etc/.wh.gone", b""),
            ("var/.wh..wh..opq", b""),
        ]);
        let mut layer = tar(&entries);
        // Damaged after its entries: the scan has an error and diagnostics to carry too.
        layer.truncate(layer.len() - 1024 - 100);
        let scan = scanned(&layer);
        assert!(scan.error.is_some() || !scan.index.diagnostics.is_empty());
        assert!(!scan.index.whiteouts.is_empty());
        assert!(
            scan.index
                .entries
                .iter()
                .any(|e| scan.index.link(e).is_some())
        );
        let mut bytes = encoded(&scan);
        let whole = bytes.len();
        bytes.extend(b"the files the scan kept");
        for budget in [1, 2, 3, 7, 64, usize::MAX] {
            let mut reader = ScanReader::new();
            let mut calls = 0;
            let back = loop {
                calls += 1;
                if let Some(back) = reader
                    .work(&bytes, budget)
                    .unwrap_or_else(|e| panic!("{e}"))
                {
                    break back;
                }
            };
            assert_eq!(encoded(&back), encoded(&scan), "budget {budget}");
            assert_eq!(
                reader.consumed(),
                whole,
                "the bytes after the scan are left"
            );
            if budget == 1 {
                assert!(calls > 300, "{calls} calls");
            }
        }
        // The lookups are built again when first wanted.
        let back = ScanReader::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.index.paths.lookup("usr/share/d3/f3").is_some());
    }

    /// Read as a host does that holds a window of the bytes, `piece` more at a time, and lets
    /// go of what is read: the window never holds all the scan.
    fn read_windowed(bytes: &[u8], piece: usize, budget: usize) -> (LayerScan, usize, usize) {
        let (mut reader, mut window, mut widest) =
            (ScanReader::new(), ScanWindow::new(bytes.len()), 0);
        loop {
            match reader
                .work_in(window.view(), budget)
                .unwrap_or_else(|e| panic!("{e}"))
            {
                Progress::Scan(scan) => return (*scan, reader.consumed(), widest),
                Progress::Budget => {}
                Progress::NeedBytes => {
                    window.slide(reader.consumed(), piece, |at, out| {
                        out.copy_from_slice(&bytes[at..at + out.len()]);
                    });
                    widest = widest.max(window.len());
                }
            }
        }
    }

    #[test]
    fn a_scan_read_through_a_small_window_is_the_scan_postcard_reads() {
        let files: Vec<(String, Vec<u8>)> = (0..2000)
            .map(|i| (format!("usr/lib/d{}/file-{i}", i % 13), vec![b'y'; i % 3]))
            .collect();
        let entries: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let scan = scanned(&tar(&entries));
        let mut bytes = encoded(&scan);
        let whole = bytes.len();
        bytes.extend(b"what follows the scan");
        // Pieces of a byte cut every value somewhere; the names' bytes, one string, are read
        // once the window has widened to hold them.
        for (piece, budget) in [(1, 5), (7, 1), (100, 64), (4096, usize::MAX)] {
            let (back, consumed, widest) = read_windowed(&bytes, piece, budget);
            assert_eq!(encoded(&back), encoded(&scan), "pieces of {piece}");
            assert_eq!(consumed, whole, "pieces of {piece}");
            let names = scan.index.paths.stored().0.len();
            assert!(
                widest <= names + 16 + piece && widest < whole / 2,
                "pieces of {piece}: the window grew to {widest} of {whole} bytes"
            );
        }
        // A window that does not hold the byte the reader is at is an error, not a misread.
        let mut reader = ScanReader::new();
        let ahead = Window {
            bytes: &bytes[10..20],
            start: 10,
            total: bytes.len(),
        };
        let err = reader.work_in(ahead, 5).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("does not hold byte 0"), "{err}");
    }

    #[test]
    fn damaged_bytes_are_an_error_naming_the_byte_never_a_panic() {
        let scan = scanned(&tar(&[("a", b"1"), ("b/c", b"22")]));
        let bytes = encoded(&scan);
        for cut in 0..bytes.len() {
            let mut reader = ScanReader::new();
            let got = loop {
                match reader.work(&bytes[..cut], 1) {
                    Ok(Some(_)) => break Ok(()),
                    Ok(None) => {}
                    Err(e) => break Err(e),
                }
            };
            let Err(e) = got else {
                panic!("{cut} bytes of {} read as a whole scan", bytes.len())
            };
            assert!(e.to_string().contains("index"), "{e}");
        }
        // A length far beyond the bytes reserves nothing huge and fails.
        let mut huge = vec![0u8];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        let err = ScanReader::read(&huge).map(|_| ()).unwrap_err();
        assert!(format!("{err:?}").contains("at byte"), "{err:?}");
    }
}
