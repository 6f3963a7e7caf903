//! Push-driven decompression: compressed bytes go in as they arrive (from a file read, a
//! `Blob` slice or a network stream), uncompressed bytes come out to a sink, a bounded amount at
//! a time. Memory stays small whatever the ratio: a zstd "bomb" is decoded one 128 KiB block at
//! a time and stopped by the limits in the sink, never buffered whole. What a blob is stored as
//! is told from its first bytes ([`Compression::sniff`]), not from a media type.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// How a layer blob is stored, from its first bytes (docker-archive layers carry no media type,
/// and media types have been seen to lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(magic: &[u8]) -> Compression {
        match magic {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// How people name it: `tar` for an uncompressed layer.
    pub fn label(self) -> &'static str {
        match self {
            Compression::None => "tar",
            Compression::Gzip => "tar+gzip",
            Compression::Zstd => "tar+zstd",
        }
    }

    /// In a sentence: "a gzip-compressed tar".
    pub fn describe(self) -> &'static str {
        match self {
            Compression::None => "an uncompressed tar",
            Compression::Gzip => "a gzip-compressed tar",
            Compression::Zstd => "a zstd-compressed tar",
        }
    }

    /// What a media type claims, if it says.
    pub fn from_media_type(mt: &str) -> Option<Compression> {
        if mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") {
            Some(Compression::Gzip)
        } else if mt.ends_with("+zstd") || mt.ends_with(".tar.zstd") {
            Some(Compression::Zstd)
        } else if mt.ends_with(".tar") {
            Some(Compression::None)
        } else {
            None
        }
    }
}

/// The content size the first zstd frame's header declares (`header`: the blob's first
/// bytes, 18 are enough), when it declares one (RFC 8878 §3.1.1.1).
pub fn zstd_frame_content_size(header: &[u8]) -> Option<u64> {
    let n = header.len().min(18);
    let h = &header[..n];
    if n < 6 {
        return None;
    }
    let fhd = h[4];
    let single_segment = fhd & 0x20 != 0;
    let fcs_size = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    if fcs_size == 0 {
        return None;
    }
    let dict_size = [0usize, 1, 2, 4][usize::from(fhd & 3)];
    let at = 5 + usize::from(!single_segment) + dict_size;
    if at + fcs_size > n {
        return None;
    }
    let mut v = 0u64;
    for (i, b) in h[at..at + fcs_size].iter().enumerate() {
        v |= u64::from(*b) << (8 * i);
    }
    Some(if fcs_size == 2 { v + 256 } else { v })
}

/// Receives uncompressed bytes. Returning an error stops decompression (limits, tar errors).
pub trait Sink {
    fn write(&mut self, data: &[u8]) -> Result<(), Error>;
}

/// A decompressor of one layer blob.
pub enum Decoder {
    None,
    Gzip(Box<GzipPush>),
    Zstd(Box<ZstdPush>),
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decoder::None => "Decoder::None",
            Decoder::Gzip(_) => "Decoder::Gzip",
            Decoder::Zstd(_) => "Decoder::Zstd",
        })
    }
}

impl Decoder {
    pub fn new(compression: Compression) -> Decoder {
        match compression {
            Compression::None => Decoder::None,
            Compression::Gzip => Decoder::Gzip(Box::new(GzipPush::new())),
            Compression::Zstd => Decoder::Zstd(Box::new(ZstdPush::new())),
        }
    }

    /// Pushes compressed bytes; uncompressed output goes to `sink`.
    pub fn push(&mut self, data: &[u8], sink: &mut dyn Sink) -> Result<(), Error> {
        match self {
            Decoder::None => sink.write(data),
            Decoder::Gzip(g) => g.push(data, sink),
            Decoder::Zstd(z) => z.push(data, sink),
        }
    }

    /// The compressed stream has ended: flush, and fail if it ended early.
    pub fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        match self {
            Decoder::None => Ok(()),
            Decoder::Gzip(g) => g.finish(sink),
            Decoder::Zstd(z) => z.finish(sink),
        }
    }
}

/// Adapts a [`Sink`] to `io::Write` for flate2, keeping the sink's own error.
struct WriteToSink<'a> {
    sink: &'a mut dyn Sink,
    error: Option<Error>,
}

impl Write for WriteToSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.sink.write(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.error = Some(e);
                Err(std::io::Error::other("sink refused the data"))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// gzip, multi-member (as `pigz` and concatenated streams write), over zlib-rs.
pub struct GzipPush {
    /// flate2's write-side decoder writes into a buffer we drain to the sink after each push.
    inner: flate2::write::MultiGzDecoder<Vec<u8>>,
    consumed: u64,
}

/// Output drained from flate2 per step: bounds memory between drains.
const STEP: usize = 64 * 1024;

impl GzipPush {
    fn new() -> Self {
        GzipPush {
            inner: flate2::write::MultiGzDecoder::new(Vec::with_capacity(STEP)),
            consumed: 0,
        }
    }

    fn error(&self, e: &std::io::Error) -> Error {
        Error::Decompress {
            what: "the layer".into(),
            compression: "gzip",
            offset: self.consumed,
            detail: e.to_string(),
        }
    }

    fn drain(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        let out = self.inner.get_mut();
        if !out.is_empty() {
            let mut w = WriteToSink { sink, error: None };
            let r = w.write_all(out);
            out.clear();
            if let Some(e) = w.error {
                return Err(e);
            }
            r.map_err(|e| Error::Decompress {
                what: "the layer".into(),
                compression: "gzip",
                offset: self.consumed,
                detail: e.to_string(),
            })?;
        }
        Ok(())
    }

    fn push(&mut self, mut data: &[u8], sink: &mut dyn Sink) -> Result<(), Error> {
        // Small steps: the decoder's output buffer grows with what one write inflates, so feed
        // it a little at a time and drain in between (deflate's ratio is at most ~1032:1, so an
        // 8 KiB step inflates to 8.3 MiB at most).
        while !data.is_empty() {
            let n = data.len().min(8 * 1024);
            let used = self.inner.write(&data[..n]).map_err(|e| self.error(&e))?;
            self.consumed += used as u64;
            data = &data[used..];
            if self.inner.get_ref().len() >= STEP || used == 0 {
                self.drain(sink)?;
            }
            if used == 0 {
                // flate2 made no progress: the stream is done and trailing bytes follow.
                return Err(Error::Decompress {
                    what: "the layer".into(),
                    compression: "gzip",
                    offset: self.consumed,
                    detail: format!("{} bytes follow the end of the gzip stream", data.len()),
                });
            }
        }
        self.drain(sink)
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        self.inner.try_finish().map_err(|e| self.error(&e))?;
        self.drain(sink)
    }
}

/// zstd over zrip's streaming decoder (pure Rust, no `unsafe`; about 2.5x ruzstd here, see
/// `benches/hot_paths.rs`), driven push-wise. zrip pulls its input through `Read` and cannot
/// wait for more: a read that ends inside a frame fails for good. So we find the units of the
/// stream ourselves (frame headers, blocks by their 3-byte headers, checksums), let the
/// decoder see only bytes up to the end of the last complete unit ([`Feed`]), and ask it for
/// output only when what it can see ends with a block that makes output. Output per call is
/// one block, at most 128 KiB; memory is the pending input plus zrip's window history (two
/// windows at most, and it refuses windows over 128 MiB, as `zstd` does by default).
pub struct ZstdPush {
    decoder: zrip::FrameDecoder<Feed>,
    feed: Feed,
    state: ZState,
    /// Where the next unit starts in the feed's buffer.
    scan: usize,
    /// Whether the current frame ends with a 4-byte checksum.
    checksum: bool,
    frames: u64,
    out: Vec<u8>,
}

/// The input as the decoder sees it: bytes up to `limit` (the end of the last complete unit);
/// past it, end of file. Shared by the decoder (which reads) and [`ZstdPush`] (which appends
/// and moves `limit`).
#[derive(Clone, Default)]
struct Feed(std::sync::Arc<std::sync::Mutex<FeedBuf>>);

#[derive(Default)]
struct FeedBuf {
    data: Vec<u8>,
    /// How far the decoder has read.
    pos: usize,
    limit: usize,
    /// Bytes dropped from the front of `data` so far (for error offsets).
    dropped: u64,
}

impl Feed {
    fn with<T>(&self, f: impl FnOnce(&mut FeedBuf) -> T) -> T {
        let mut g = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut g)
    }
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.with(|f| {
            let n = buf.len().min(f.limit - f.pos);
            buf[..n].copy_from_slice(&f.data[f.pos..f.pos + n]);
            f.pos += n;
            n
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZState {
    /// Before a frame header (or between frames).
    Frame,
    /// Inside a frame: the next bytes are a block header.
    Blocks,
    /// After the last block: 4 checksum bytes follow.
    Checksum,
    /// A skippable frame: this many bytes to drop (never shown to the decoder).
    Skip(u64),
}

/// zstd's largest block, in bytes.
const MAX_BLOCK: usize = 128 * 1024;

/// Whether a compressed block might decode to nothing: it does only with no literals (and
/// no sequences, which without literals still make output, so this errs on the safe side).
/// `block` is the block's content, from its literals section header (RFC 8878 §3.1.1.3.1.1).
fn may_be_empty(block: &[u8]) -> bool {
    let b = |i: usize| block.get(i).map_or(0, |&x| u32::from(x));
    if block.is_empty() {
        return true;
    }
    let (kind, format) = (b(0) & 3, (b(0) >> 2) & 3);
    let regenerated = match (kind, format) {
        // Raw or RLE literals.
        (0 | 1, 0 | 2) => b(0) >> 3,
        (0 | 1, 1) => (b(0) >> 4) | (b(1) << 4),
        (0 | 1, _) => (b(0) >> 4) | (b(1) << 4) | (b(2) << 12),
        // Compressed or treeless literals.
        (_, 0 | 1) => (b(0) >> 4) | ((b(1) & 0x3f) << 4),
        (_, 2) => (b(0) >> 4) | (b(1) << 4) | ((b(2) & 3) << 12),
        _ => (b(0) >> 4) | (b(1) << 4) | ((b(2) & 0x3f) << 12),
    };
    regenerated == 0
}

impl ZstdPush {
    fn new() -> Self {
        let feed = Feed::default();
        ZstdPush {
            decoder: zrip::FrameDecoder::new(feed.clone()),
            feed,
            state: ZState::Frame,
            scan: 0,
            checksum: false,
            frames: 0,
            out: vec![0u8; MAX_BLOCK],
        }
    }

    /// Offset in the stream of the next unit.
    fn offset(&self) -> u64 {
        self.feed.with(|f| f.dropped) + self.scan as u64
    }

    fn error(&self, detail: impl std::fmt::Display) -> Error {
        Error::Decompress {
            what: "the layer".into(),
            compression: "zstd",
            offset: self.offset(),
            detail: detail.to_string(),
        }
    }

    /// Shows the decoder the unit that ends at `scan`.
    fn expose(&mut self) {
        let scan = self.scan;
        self.feed.with(|f| f.limit = scan);
    }

    /// Reads output while the decoder has unread units before it: `until_end` when what it
    /// sees ends a frame (it then reads to its end, checking the checksum), else when it ends
    /// with a block that makes output.
    fn drain(&mut self, sink: &mut dyn Sink, until_end: bool) -> Result<(), Error> {
        loop {
            if !until_end && self.feed.with(|f| f.pos == f.limit) {
                return Ok(());
            }
            let n = self
                .decoder
                .read(&mut self.out)
                .map_err(|e| self.error(e))?;
            if n == 0 {
                return Ok(());
            }
            sink.write(&self.out[..n])?;
        }
    }

    fn push(&mut self, data: &[u8], sink: &mut dyn Sink) -> Result<(), Error> {
        // Drop what the decoder has read, so the buffer holds one push and a partial unit.
        let scan = self.scan;
        let dropped = self.feed.with(|f| {
            let n = f.pos;
            if n > 0 && n * 2 >= f.data.len() {
                f.data.drain(..n);
                f.pos = 0;
                f.limit -= n;
                f.dropped += n as u64;
                n
            } else {
                0
            }
        });
        self.scan = scan - dropped;
        self.feed.with(|f| f.data.extend_from_slice(data));
        self.step(sink)
    }

    /// The `n` bytes at `scan`, if they are all there.
    fn peek<const N: usize>(&self) -> Option<[u8; N]> {
        let scan = self.scan;
        self.feed
            .with(|f| f.data.get(scan..scan + N).and_then(|s| s.try_into().ok()))
    }

    fn available(&self) -> usize {
        let scan = self.scan;
        self.feed.with(|f| f.data.len() - scan)
    }

    fn step(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        loop {
            match self.state {
                ZState::Frame => {
                    let Some(magic) = self.peek::<4>().map(u32::from_le_bytes) else {
                        return Ok(());
                    };
                    if self.frames > 0 {
                        // The decoder finishes the frame before (checksum included) and stops
                        // at its end, so it can be given a new frame, or skipped bytes dropped.
                        self.drain(sink, true)?;
                    }
                    if magic & 0xffff_fff0 == 0x184d_2a50 {
                        // Skippable frame: 4-byte magic, 4-byte length, then that many bytes.
                        let Some(h) = self.peek::<8>() else {
                            return Ok(());
                        };
                        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
                        self.drop_bytes(8);
                        self.state = ZState::Skip(u64::from(len));
                        continue;
                    }
                    let Some(h) = self.peek::<5>() else {
                        return Ok(());
                    };
                    let d = h[4];
                    let single_segment = d & 0x20 != 0;
                    let header = 5
                        + usize::from(!single_segment)
                        + [0, 1, 2, 4][usize::from(d & 3)]
                        + match d >> 6 {
                            0 => usize::from(single_segment),
                            1 => 2,
                            2 => 4,
                            _ => 8,
                        };
                    if self.available() < header {
                        return Ok(());
                    }
                    if self.frames > 0 {
                        // After a frame, zrip's decoder has seen the end of its input.
                        self.decoder.reset(self.feed.clone());
                    }
                    self.checksum = d & 0x04 != 0;
                    self.scan += header;
                    self.expose();
                    self.frames += 1;
                    self.state = ZState::Blocks;
                }
                ZState::Skip(n) => {
                    let k = (n as usize).min(self.available());
                    self.drop_bytes(k);
                    if (k as u64) < n {
                        self.state = ZState::Skip(n - k as u64);
                        return Ok(());
                    }
                    self.state = ZState::Frame;
                }
                ZState::Blocks => {
                    let Some(h) = self.peek::<3>() else {
                        return Ok(());
                    };
                    let h = u32::from_le_bytes([h[0], h[1], h[2], 0]);
                    let last = h & 1 == 1;
                    let block_type = (h >> 1) & 3;
                    let size = (h >> 3) as usize;
                    let content = match block_type {
                        0 | 2 => size,
                        1 => 1,
                        _ => return Err(self.error("reserved block type")),
                    };
                    if size > MAX_BLOCK {
                        return Err(self.error(format!(
                            "a block declares {size} bytes, more than zstd's 128 KiB maximum"
                        )));
                    }
                    if self.available() < 3 + content {
                        return Ok(());
                    }
                    let makes_output = match block_type {
                        2 => {
                            let scan = self.scan;
                            !self
                                .feed
                                .with(|f| may_be_empty(&f.data[scan + 3..scan + 3 + content]))
                        }
                        _ => size > 0,
                    };
                    self.scan += 3 + content;
                    self.expose();
                    if makes_output {
                        self.drain(sink, false)?;
                    }
                    if last {
                        self.state = if self.checksum {
                            ZState::Checksum
                        } else {
                            ZState::Frame
                        };
                    }
                }
                ZState::Checksum => {
                    if self.available() < 4 {
                        return Ok(());
                    }
                    self.scan += 4;
                    self.expose();
                    self.state = ZState::Frame;
                }
            }
        }
    }

    /// Drops `n` bytes at `scan`, which the decoder never sees (a skippable frame). It has read
    /// everything before them ([`ZstdPush::drain`] to the frame's end came first).
    fn drop_bytes(&mut self, n: usize) {
        let scan = self.scan;
        self.feed.with(|f| {
            f.data.drain(scan..scan + n);
            f.dropped += n as u64;
        });
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        self.step(sink)?;
        let pending = self.available();
        match self.state {
            ZState::Frame if pending == 0 && self.frames > 0 => self.drain(sink, true),
            ZState::Frame if self.frames == 0 && pending == 0 => {
                Err(self.error("the stream is empty"))
            }
            ZState::Frame => Err(self.error(format!(
                "{pending} bytes after the last frame are not a frame"
            ))),
            _ => Err(Error::Truncated {
                what: "the zstd stream".into(),
                offset: self.offset() + pending as u64,
                detail: "it ends inside a frame".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<u8>);
    impl Sink for Collect {
        fn write(&mut self, data: &[u8]) -> Result<(), Error> {
            self.0.extend_from_slice(data);
            Ok(())
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sample() -> Vec<u8> {
        (0..300_000u32)
            .map(|i| ((i * 7919) % 251) as u8 ^ (i / 1000) as u8)
            .collect()
    }

    fn run(c: Compression, stream: &[u8], chunk: usize) -> Result<Vec<u8>, Error> {
        let mut d = Decoder::new(c);
        let mut out = Collect(Vec::new());
        for part in stream.chunks(chunk.max(1)) {
            d.push(part, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out.0)
    }

    #[test]
    fn gzip_in_any_chunking() {
        let data = sample();
        let mut two = gzip(&data[..1000]);
        two.extend(gzip(&data[1000..]));
        for chunk in [1, 7, 4096, 1 << 20] {
            assert_eq!(
                run(Compression::Gzip, &gzip(&data), chunk).unwrap(),
                data,
                "chunk {chunk}"
            );
            assert_eq!(
                run(Compression::Gzip, &two, chunk).unwrap(),
                data,
                "multi-member, chunk {chunk}"
            );
        }
    }

    #[test]
    fn gzip_truncated_or_corrupt_is_an_error() {
        let data = sample();
        let gz = gzip(&data);
        assert!(run(Compression::Gzip, &gz[..gz.len() / 2], 4096).is_err());
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC
        assert!(run(Compression::Gzip, &bad, 4096).is_err());
    }

    /// Zstd frames made by hand with raw and RLE blocks, and a checksum (there is no encoder in
    /// Strata; the real-tool fixtures and the benchmark cover compressed blocks).
    fn zstd_frame(blocks: &[(u8, &[u8], usize)], checksum_of: Option<&[u8]>) -> Vec<u8> {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd];
        // Frame header descriptor: single segment off, checksum flag, no content size.
        f.push(if checksum_of.is_some() { 0x04 } else { 0x00 });
        f.push(0x50); // window descriptor: 2^(10+10) = 1 MiB
        for (i, (kind, data, rle_len)) in blocks.iter().enumerate() {
            let last = u32::from(i + 1 == blocks.len());
            let size = if *kind == 1 { *rle_len } else { data.len() } as u32;
            let h = last | (u32::from(*kind) << 1) | (size << 3);
            f.extend_from_slice(&h.to_le_bytes()[..3]);
            f.extend_from_slice(data);
        }
        if let Some(content) = checksum_of {
            let h = xxhash_rust::xxh64::xxh64(content, 0);
            f.extend_from_slice(&(h as u32).to_le_bytes());
        }
        f
    }

    #[test]
    fn zstd_raw_and_rle_blocks_with_checksum_in_any_chunking() {
        let raw = b"hello zstd ".repeat(100);
        let mut content = raw.clone();
        content.extend(std::iter::repeat_n(b'z', 100_000));
        let frame = zstd_frame(&[(0, &raw, 0), (1, b"z", 100_000)], Some(&content));
        let mut two = frame.clone();
        two.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]); // a skippable frame
        two.extend(zstd_frame(&[(0, b"tail", 0)], None));
        let mut content2 = content.clone();
        content2.extend(b"tail");
        for chunk in [1, 3, 17, 4096, 1 << 20] {
            assert_eq!(
                run(Compression::Zstd, &frame, chunk).unwrap(),
                content,
                "chunk {chunk}"
            );
            assert_eq!(
                run(Compression::Zstd, &two, chunk).unwrap(),
                content2,
                "frames, chunk {chunk}"
            );
        }
        let mut bad = frame.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        let err = run(Compression::Zstd, &bad, 4096).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        let err = run(Compression::Zstd, &frame[..frame.len() - 10], 4096).unwrap_err();
        assert_eq!(err.kind(), "truncated", "{err}");
    }

    /// Compressed blocks (zrip's encoder; skopeo's and zstd's output are read by the engine
    /// tests and the benchmark): frames, a skippable frame between them, cut anywhere.
    #[test]
    fn zstd_compressed_frames_in_any_chunking() {
        let data = sample();
        let mut stream = zrip::compress(&data, 3).unwrap();
        stream.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        stream.extend(zrip::compress(&data[..5000], 1).unwrap());
        let mut want = data.clone();
        want.extend(&data[..5000]);
        for chunk in [1, 3, 17, 4096, 1 << 20] {
            assert_eq!(
                run(Compression::Zstd, &stream, chunk).unwrap(),
                want,
                "chunk {chunk}"
            );
        }
    }

    /// A compressed block that makes no output (no literals, no sequences: legal, though no
    /// encoder writes one) is followed by the next block before the decoder is asked for more.
    #[test]
    fn zstd_empty_compressed_block() {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50];
        let h = (2u32 << 1) | (2 << 3); // compressed, 2 bytes, not last
        f.extend_from_slice(&h.to_le_bytes()[..3]);
        f.extend([0x00, 0x00]); // raw literals of 0 bytes; 0 sequences
        f.extend_from_slice(&(1 | (4u32 << 3)).to_le_bytes()[..3]); // raw, 4 bytes, last
        f.extend(b"tail");
        for chunk in [1, 2, 5, 4096] {
            assert_eq!(
                run(Compression::Zstd, &f, chunk).unwrap(),
                b"tail",
                "chunk {chunk}"
            );
        }
    }

    /// Damage anywhere in a compressed frame is an error or (where the damage is in content
    /// that still decodes) different bytes, never a panic; cut anywhere, it is truncated.
    #[test]
    fn zstd_damaged_or_cut_frames_never_panic() {
        let data = sample();
        let frame = zrip::compress(&data[..20_000], 3).unwrap();
        for at in (0..frame.len()).step_by(7) {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = frame.clone();
                bad[at] ^= flip;
                let _ = run(Compression::Zstd, &bad, 1000);
            }
            let err = run(Compression::Zstd, &frame[..at], 1000);
            assert!(err.is_err(), "cut at {at} of {}", frame.len());
        }
        // A window over 128 MiB is refused before any memory is taken for it.
        let huge = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x09, 0x00, 0x00, b'x'];
        assert!(run(Compression::Zstd, &huge, 4096).is_err());
    }
}
