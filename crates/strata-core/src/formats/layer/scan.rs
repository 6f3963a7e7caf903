//! One pass over a layer blob: decompress, hash the blob as stored and the tar as
//! uncompressed, read the tar, index every entry and hash every file's content. Bytes are
//! pushed in as they arrive ([`LayerScanner::push`]); [`scan_layer`] pulls them from a
//! [`ReadAt`] for hosts that have random access.

use super::decode::{Decoder, Sink};
use super::index::{LayerIndex, LayerIndexBuilder};
use crate::digest::{DiffId, Digest, Sha256Stream};
use crate::error::{Error, ErrorReport};
use crate::layer::decode::Compression;
use crate::limits::{Limits, RATIO_CHECK_AFTER, ZERO_FILL_ALLOWANCE};
use crate::source::{ReadAt, read_exact_at};
use crate::tar::{TarEnd, TarReader};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// What one pass over a layer found. When the layer is damaged, `error` says how, `index`
/// holds what was read before the damage, and `digest` is still the digest of all stored
/// bytes (hashing goes on past a decompression error, so a mismatch can be shown).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerScan {
    pub index: LayerIndex,
    pub compression: Compression,
    /// sha256 of the blob as stored: must equal the descriptor's digest. `None` when the scan
    /// was asked to leave an uncompressed layer's hashing for later
    /// ([`LayerScanner::defer_uncompressed_digest`]).
    pub digest: Option<Digest>,
    /// sha256 of the uncompressed tar: must equal the config's diff_id. `None` when the layer
    /// could not be read to its end, or its hashing was left for later.
    pub diff_id: Option<DiffId>,
    pub stored_size: u64,
    pub tar_size: u64,
    pub error: Option<ErrorReport>,
}

/// A file's whole content kept during the scan because an analysis will want it (the package
/// databases, [`crate::packages::scan::wants_content`]): reading it again later would cost a
/// second decompression pass over a compressed layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    /// The entry's index in the layer's [`LayerIndex`].
    pub entry: u32,
    pub bytes: Vec<u8>,
}

/// Which files a scan keeps: `wants(parent_name, name, path)` — the two names first, so the
/// path is built only for likely files — at most `max_file` bytes each and `budget` in all.
#[derive(Debug, Clone, Copy)]
pub struct CaptureRule {
    pub prefilter: fn(&str, &str) -> bool,
    pub wants: fn(&str) -> bool,
    pub max_file: u64,
    pub budget: u64,
}

#[derive(Debug, Default)]
struct Capture {
    rule: Option<CaptureRule>,
    used: u64,
    current: Option<Captured>,
    done: Vec<Captured>,
}

/// The receiving end of the decompressor: hashes, reads the tar, indexes.
struct ScanSink {
    capture: Capture,
    diff: Sha256Stream,
    tar: TarReader,
    builder: LayerIndexBuilder,
    /// The entry whose data is streaming by, and its content hash so far.
    content: Option<(usize, Xxh3)>,
    out_bytes: u64,
    /// Compressed bytes pushed so far (for the ratio limit).
    in_bytes: u64,
    /// The stored bytes the layer has, when the host said ([`LayerScanner::expecting`]).
    expected_in: u64,
    /// Output bytes that were file contents and all zeros (counted per write, so a chunk with
    /// one non-zero byte does not count): the ratio limit forgives up to
    /// [`ZERO_FILL_ALLOWANCE`] of them.
    zero_fill: u64,
    limits: Limits,
    /// Whether to hash the output: not for an uncompressed layer, whose tar is the blob (its
    /// diff_id is its digest), which halves the hashing.
    hash_output: bool,
}

impl Sink for ScanSink {
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.hash_output {
            self.diff.update(data);
        }
        self.out_bytes += data.len() as u64;
        if self.out_bytes > self.limits.max_layer_bytes {
            return Err(self.limits.exceeded(
                "max_layer_bytes",
                format!(
                    "the layer decompresses to more than {} bytes",
                    self.limits.max_layer_bytes
                ),
            ));
        }
        if self.out_bytes - self.zero_fill.min(ZERO_FILL_ALLOWANCE) > RATIO_CHECK_AFTER
            && self.out_bytes / self.in_bytes.max(1) > self.limits.max_decompression_ratio
        {
            return Err(self.limits.exceeded(
                "max_decompression_ratio",
                format!(
                    "{} compressed bytes expanded to {} (a decompression bomb?)",
                    self.in_bytes, self.out_bytes
                ),
            ));
        }
        let mut pos = 0;
        while pos < data.len() {
            let data_left = self.tar.data_remaining();
            let (used, entry) = self.tar.feed(&data[pos..])?;
            if data_left > 0 {
                let content = (used as u64).min(data_left) as usize;
                if all_zero(&data[pos..pos + content]) {
                    self.zero_fill += content as u64;
                }
                if let Some((_, h)) = &mut self.content {
                    h.update(&data[pos..pos + content]);
                }
                if let Some(c) = &mut self.capture.current {
                    c.bytes.extend_from_slice(&data[pos..pos + content]);
                }
                if content as u64 == data_left {
                    if let Some((i, h)) = self.content.take() {
                        self.builder.set_content_hash(i, h.digest());
                    }
                    if let Some(c) = self.capture.current.take() {
                        self.capture.done.push(c);
                    }
                }
            }
            if let Some(entry) = entry
                && let Some(i) = self
                    .builder
                    .at(self.in_bytes, self.expected_in)
                    .add(&entry)?
            {
                if let Some(rule) = self.capture.rule
                    && entry.kind == crate::tar::EntryKind::File
                    && entry.sparse.is_none()
                    && entry.size <= rule.max_file
                    && self.capture.used + entry.size <= rule.budget
                    && {
                        let (parent, name) = self.builder.entry_names(i);
                        (rule.prefilter)(parent, name)
                    }
                    && (rule.wants)(&self.builder.entry_path(i))
                {
                    self.capture.used += entry.size;
                    let c = Captured {
                        entry: i as u32,
                        bytes: Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0)),
                    };
                    if self.tar.data_remaining() > 0 {
                        self.capture.current = Some(c);
                    } else {
                        self.capture.done.push(c);
                    }
                }
                if self.tar.data_remaining() > 0 {
                    self.content = Some((i, Xxh3::new()));
                } else if entry.kind == crate::tar::EntryKind::File {
                    self.builder.set_content_hash(i, Xxh3::new().digest());
                }
            }
            pos += used;
            if used == 0 {
                break;
            }
        }
        Ok(())
    }
}

/// Whether every byte is zero; compares 64-byte blocks at a time so it vectorises, and stops
/// at the first block that is not (at once, for ordinary file contents).
fn all_zero(data: &[u8]) -> bool {
    let mut blocks = data.chunks_exact(64);
    blocks.all(|b| b.iter().fold(0u8, |acc, &x| acc | x) == 0)
        && blocks.remainder().iter().all(|&x| x == 0)
}

/// Scans one layer blob pushed in chunks.
pub struct LayerScanner {
    decoder: Decoder,
    compression: Option<Compression>,
    /// The first bytes, kept until there are enough to tell the compression.
    head: Vec<u8>,
    stored: Sha256Stream,
    sink: ScanSink,
    /// The first error: after it, stored bytes are only hashed.
    error: Option<Error>,
    /// Whether an uncompressed layer's (only) hash is left for later.
    defer_uncompressed: bool,
    /// Whether stored bytes are hashed (not once an uncompressed layer's hash is deferred).
    hash_stored: bool,
}

impl std::fmt::Debug for LayerScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerScanner")
            .field("compression", &self.compression)
            .field("in", &self.sink.in_bytes)
            .finish()
    }
}

impl LayerScanner {
    /// `compression`: `None` to tell it from the first bytes (recommended: media types lie).
    pub fn new(compression: Option<Compression>, limits: &Limits) -> Self {
        LayerScanner {
            decoder: Decoder::new(compression.unwrap_or(Compression::None)),
            compression,
            head: Vec::new(),
            stored: Sha256Stream::new(),
            error: None,
            defer_uncompressed: false,
            hash_stored: true,
            sink: ScanSink {
                capture: Capture::default(),
                diff: Sha256Stream::new(),
                tar: TarReader::new(limits.max_tar_meta_bytes),
                builder: LayerIndexBuilder::new(limits),
                content: None,
                out_bytes: 0,
                in_bytes: 0,
                expected_in: 0,
                zero_fill: 0,
                limits: limits.clone(),
                hash_output: compression != Some(Compression::None),
            },
        }
    }

    /// Leaves the sha256 of an uncompressed layer (its digest, which is also its diff_id) for a
    /// later pass: the index is then ready after reading alone, and a host checks the digest
    /// afterwards ([`crate::Analysis::verified`]). Compressed layers are hashed as usual,
    /// their decoding costs far more than hashing.
    pub fn defer_uncompressed_digest(mut self) -> Self {
        self.defer_uncompressed = true;
        self
    }

    /// Says how many stored bytes the layer has (its blob's size): the index then makes room
    /// for about as many entries as the layer will have, judged by how far through it the scan
    /// is, instead of doubling (the last doubling of a million entries held 38 and 75 MB at
    /// once, most of a scanning worker's peak).
    pub fn expecting(mut self, stored_bytes: u64) -> Self {
        self.sink.expected_in = stored_bytes;
        self
    }

    /// Keeps the whole content of the files `rule` picks (see [`LayerScanner::finish_captured`]).
    pub fn capture(mut self, rule: CaptureRule) -> Self {
        self.sink.capture.rule = Some(rule);
        self
    }

    /// Compressed bytes pushed so far.
    pub fn bytes_in(&self) -> u64 {
        self.sink.in_bytes
    }

    /// Uncompressed bytes produced so far.
    pub fn bytes_out(&self) -> u64 {
        self.sink.out_bytes
    }

    /// Files indexed so far.
    pub fn entries(&self) -> u64 {
        self.sink.tar.n_entries()
    }

    /// The first error met, if any (hosts may stop pushing; hashing would go on).
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Pushes the next stored bytes. Errors are kept (see [`LayerScanner::error`]), not
    /// returned: the blob's digest is computed to the end regardless.
    pub fn push(&mut self, data: &[u8]) {
        if self.hash_stored {
            self.stored.update(data);
        }
        self.sink.in_bytes += data.len() as u64;
        if self.error.is_some() {
            return;
        }
        let result = if self.compression.is_none() {
            self.head.extend_from_slice(data);
            if self.head.len() < 4 {
                return;
            }
            self.start()
        } else {
            self.decoder.push(data, &mut self.sink)
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// Chooses the decoder from the first bytes and feeds them to it.
    fn start(&mut self) -> Result<(), Error> {
        let c = Compression::sniff(&self.head);
        self.compression = Some(c);
        self.sink.hash_output = c != Compression::None;
        if c == Compression::None && self.defer_uncompressed {
            self.hash_stored = false;
        }
        self.decoder = Decoder::new(c);
        let head = std::mem::take(&mut self.head);
        self.decoder.push(&head, &mut self.sink)
    }

    pub fn finish(self) -> LayerScan {
        self.finish_captured().0
    }

    /// Finishes the scan and hands over the files [`LayerScanner::capture`] kept (complete ones
    /// only: a file cut by damage is not).
    pub fn finish_captured(mut self) -> (LayerScan, Vec<Captured>) {
        let mut end = TarEnd::Marker;
        if self.error.is_none() {
            let result = (|| {
                if self.compression.is_none() {
                    self.start()?;
                }
                self.decoder.finish(&mut self.sink)?;
                match self.sink.tar.finish() {
                    Ok(e) => Ok(e),
                    // An empty layer (0 bytes, or only end blocks) is legal: an empty index.
                    Err(Error::Empty) => Ok(TarEnd::NoMarker),
                    Err(Error::NotATar { .. }) if self.sink.tar.n_entries() == 0 => {
                        Ok(TarEnd::Marker)
                    }
                    Err(e) => Err(e),
                }
            })();
            match result {
                Ok(e) => end = e,
                Err(e) => self.error = Some(e),
            }
        }
        let digest = self.hash_stored.then(|| self.stored.finish());
        let diff = if self.sink.hash_output {
            Some(self.sink.diff.finish())
        } else {
            digest.clone()
        };
        let captured = std::mem::take(&mut self.sink.capture.done);
        let scan = LayerScan {
            compression: self.compression.unwrap_or(Compression::None),
            stored_size: self.sink.in_bytes,
            tar_size: self.sink.out_bytes,
            digest,
            diff_id: diff
                .filter(|_| self.error.is_none())
                .map(|d| DiffId::from_uncompressed_digest(&d)),
            index: self.sink.builder.finish(end),
            error: self.error.as_ref().map(ErrorReport::from),
        };
        (scan, captured)
    }
}

/// Chunk size for reading a layer from a [`ReadAt`]: 4 MiB reads run at ~450-560 MB/s through
/// `FileReaderSync` in Chromium here, 1 MiB reads at ~300 MB/s (measured). (The app's pool
/// workers stream dropped files instead, faster still: see ARCHITECTURE.md.)
pub const CHUNK: usize = 4 << 20;

/// Scans the `len` bytes at `offset` of `source` as one layer blob. `progress` gets the
/// compressed bytes read so far; returning `false` from it cancels the scan (an error).
/// Damage in the layer is in the returned scan's `error`; only reading can fail here.
pub fn scan_layer<S: ReadAt + ?Sized>(
    source: &S,
    offset: u64,
    len: u64,
    limits: &Limits,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<LayerScan, Error> {
    scan_layer_capturing(source, offset, len, limits, None, progress).map(|(s, _)| s)
}

/// [`scan_layer`], keeping the files `capture` picks.
pub fn scan_layer_capturing<S: ReadAt + ?Sized>(
    source: &S,
    offset: u64,
    len: u64,
    limits: &Limits,
    capture: Option<CaptureRule>,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<(LayerScan, Vec<Captured>), Error> {
    let mut scanner = LayerScanner::new(None, limits).expecting(len);
    if let Some(rule) = capture {
        scanner = scanner.capture(rule);
    }
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    while done < len {
        let n = usize::try_from((len - done).min(CHUNK as u64)).unwrap_or(CHUNK);
        read_exact_at(source, offset + done, &mut buf[..n], "the layer")?;
        scanner.push(&buf[..n]);
        done += n as u64;
        if !progress(done) {
            return Err(Error::Invalid {
                what: "the scan".into(),
                detail: "cancelled".into(),
            });
        }
    }
    Ok(scanner.finish_captured())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySource;
    use std::io::Write;

    fn layer(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len());
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// How a layer cut short at each point reads: where only the last entry's padding and the
    /// end blocks are missing (umoci 0.4's layers) the content is whole and says so in a note;
    /// a cut inside the data is damage.
    #[test]
    fn a_tar_cut_in_its_last_padding_is_whole_and_one_cut_in_its_data_is_damaged() {
        #[track_caller]
        fn check(keep: usize, damaged: bool, note: bool) {
            let tar = layer(&[("etc/motd", b"hi\n"), ("app/bin", &[7u8; 700])]);
            let mut s = LayerScanner::new(None, &Limits::default());
            s.push(&tar[..keep]);
            let scan = s.finish();
            assert_eq!(
                scan.error.is_some(),
                damaged,
                "cut at {keep}: {:?}",
                scan.error
            );
            let noted = scan
                .index
                .diagnostics
                .iter()
                .any(|d| d.code == "tar-no-padding" && d.subject == "app/bin");
            assert_eq!(noted, note, "cut at {keep}: {:?}", scan.index.diagnostics);
            if !damaged {
                assert_eq!(scan.index.entries.len(), 2);
                assert_eq!(
                    scan.index.entries[1].content_hash,
                    xxhash_rust::xxh3::xxh3_64(&[7u8; 700])
                );
                assert!(scan.diff_id.is_some(), "a whole layer has a diff_id");
            }
        }
        // motd: header 0..512, data 512..515, padding to 1024; bin: header 1024..1536, data
        // 1536..2236, padding to 2560; then the end blocks.
        check(2560 + 1024, false, false); // as written
        check(2560, false, false); // no end blocks: a note elsewhere, not this one
        check(2236, false, true); // the data ends, the padding does not come
        check(2400, false, true);
        check(2235, true, false); // one byte of data short
        check(1600, true, false);
    }

    #[test]
    fn a_deferred_digest_leaves_an_uncompressed_layer_unhashed_and_its_index_whole() {
        let tar = layer(&[("etc/passwd", b"root:x:0:0\n"), ("usr/bin/x", &[1u8; 5000])]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let scan = |blob: &[u8]| {
            let mut s = LayerScanner::new(None, &Limits::default()).defer_uncompressed_digest();
            for part in blob.chunks(700) {
                s.push(part);
            }
            s.finish()
        };
        let whole = {
            let mut s = LayerScanner::new(None, &Limits::default());
            s.push(&tar);
            s.finish()
        };
        let plain = scan(&tar);
        assert_eq!((plain.digest, plain.diff_id), (None, None));
        assert_eq!(
            plain.index.entries, whole.index.entries,
            "the same index, content hashes included"
        );
        assert_eq!(
            (plain.stored_size, plain.tar_size),
            (whole.stored_size, whole.tar_size)
        );
        // A compressed layer is hashed as usual.
        let zipped = scan(&gz);
        assert_eq!(zipped.digest, Some(Digest::sha256_of(&gz)));
        assert_eq!(
            zipped.diff_id.unwrap().as_str(),
            Digest::sha256_of(&tar).as_str()
        );
    }

    #[test]
    fn scans_plain_and_gzip_the_same() {
        let tar = layer(&[
            ("etc/passwd", b"root:x:0:0\n"),
            ("./usr/bin/.wh.gone", b""),
            ("usr/bin/x", &[1u8; 5000]),
        ]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        for blob in [&tar, &gz] {
            for chunk in [1, 100, 1 << 20] {
                let mut s = LayerScanner::new(None, &Limits::default());
                for part in blob.chunks(chunk) {
                    s.push(part);
                }
                let scan = s.finish();
                assert!(scan.error.is_none());
                assert_eq!(
                    scan.diff_id.unwrap().as_str(),
                    Digest::sha256_of(&tar).as_str()
                );
                assert_eq!(scan.digest, Some(Digest::sha256_of(blob)));
                assert_eq!(scan.index.entries.len(), 2);
                assert_eq!(scan.index.whiteouts.len(), 1);
                assert_eq!(
                    scan.index.paths.path(scan.index.whiteouts[0].target),
                    "usr/bin/gone"
                );
                let x = &scan.index.entries[1];
                assert_eq!(scan.index.path(x), "usr/bin/x");
                assert_eq!(x.size, 5000);
                assert_eq!(x.content_hash, xxhash_rust::xxh3::xxh3_64(&[1u8; 5000]));
                assert_eq!(&tar[x.data_offset as usize..][..5000], &[1u8; 5000][..]);
            }
        }
    }

    #[test]
    fn scan_layer_reads_by_range() {
        let tar = layer(&[("a", b"1"), ("b", b"22")]);
        let mut archive = vec![9u8; 100];
        archive.extend(&tar);
        archive.extend([9u8; 50]);
        let source = MemorySource::new(archive);
        let scan = scan_layer(
            &source,
            100,
            tar.len() as u64,
            &Limits::default(),
            &mut |_| true,
        )
        .unwrap();
        assert_eq!(scan.index.entries.len(), 2);
        assert_eq!(scan.stored_size, tar.len() as u64);
    }

    #[test]
    fn limits_stop_bombs_with_their_names() {
        // 200 MiB of zeros compresses to ~200 KiB: over a 500:1 limit once past 64 MiB.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            gz.write_all(&zeros).unwrap();
        }
        let gz = gz.finish().unwrap();
        let limits = Limits {
            max_decompression_ratio: 500,
            ..Limits::default()
        };
        let mut s = LayerScanner::new(None, &limits);
        gz.chunks(1 << 16).for_each(|c| s.push(c));
        let scan = s.finish();
        let err = scan.error.unwrap();
        assert!(err.detail.contains("max_decompression_ratio"), "{err:?}");
        // The stored digest is still computed over every byte.
        assert_eq!(scan.digest, Some(Digest::sha256_of(&gz)));
        let limits = Limits {
            max_layer_bytes: 10 << 20,
            ..Limits::default()
        };
        let mut s = LayerScanner::new(None, &limits);
        gz.chunks(1 << 16).for_each(|c| s.push(c));
        let err = s.error().unwrap();
        assert!(err.to_string().contains("max_layer_bytes"), "{err}");
    }

    /// A gzip layer holding one file of `zeros` zero bytes (the tar header, then the body as
    /// repeated 1 MiB gzip members, as a bomb would be built, then the end of the tar), and
    /// `text` bytes of ordinary text in a second file.
    fn zero_filled_layer(zeros: u64, text: usize) -> Vec<u8> {
        let gz = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let mut h = tar::Header::new_gnu();
        h.set_path("var/log/lastlog").unwrap();
        h.set_size(zeros);
        h.set_mode(0o644);
        h.set_cksum();
        let mut out = gz(h.as_bytes());
        let mib = gz(&[0u8; 1 << 20]);
        for _ in 0..zeros >> 20 {
            out.extend_from_slice(&mib);
        }
        let words: Vec<u8> = (0..text).map(|i| b"etc usr lib var"[i * 7 % 15]).collect();
        let tail = layer(&[("etc/motd", &words)]);
        out.extend_from_slice(&gz(&tail));
        out
    }

    #[test]
    fn zero_filled_files_are_not_taken_for_bombs() {
        // `useradd -u 1000000` writes a 292 MB lastlog of zeros: 1000:1 under gzip, four times
        // the ratio limit, in a layer nobody built to attack anyone.
        let blob = zero_filled_layer(300 << 20, 100_000);
        let mut s = LayerScanner::new(None, &Limits::default());
        blob.chunks(1 << 16).for_each(|c| s.push(c));
        assert!(
            s.bytes_out() / s.bytes_in() > Limits::default().max_decompression_ratio,
            "the layer is over the ratio limit, so only the allowance lets it through"
        );
        let scan = s.finish();
        assert!(scan.error.is_none(), "{:?}", scan.error);
        let paths: Vec<_> = scan
            .index
            .entries
            .iter()
            .map(|e| scan.index.path(e))
            .collect();
        assert_eq!(paths, ["var/log/lastlog", "etc/motd"]);
        assert_eq!(scan.index.entries[0].size, 300 << 20);
    }

    #[test]
    fn a_bomb_dressed_as_a_zero_filled_file_is_stopped_after_the_allowance() {
        let blob = zero_filled_layer(4 << 30, 0);
        let mut s = LayerScanner::new(None, &Limits::default());
        for c in blob.chunks(1 << 16) {
            s.push(c);
            if s.error().is_some() {
                break;
            }
        }
        let err = s.error().expect("stopped").to_string();
        assert!(err.contains("max_decompression_ratio"), "{err}");
        let out = s.bytes_out();
        assert!(
            out > ZERO_FILL_ALLOWANCE + RATIO_CHECK_AFTER
                && out < ZERO_FILL_ALLOWANCE + RATIO_CHECK_AFTER + (4 << 20),
            "stopped just past the allowance, at {out} bytes"
        );
    }
}
