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

/// zstd over ruzstd, fed one block at a time. ruzstd decodes whole blocks from a slice; we
/// find block boundaries ourselves (a 3-byte header gives each block's size) so that no call
/// ever sees more than one block: output per call is bounded by the 128 KiB block size.
pub struct ZstdPush {
    decoder: ruzstd::decoding::FrameDecoder,
    pending: Vec<u8>,
    state: ZState,
    consumed: u64,
    out: Vec<u8>,
    frames: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZState {
    /// Before a frame header (or between frames).
    Frame,
    /// Inside a frame: the next bytes are a block header.
    Blocks,
    /// After the last block: 4 checksum bytes follow, if the frame has a checksum.
    Checksum,
    /// A skippable frame: this many bytes to drop.
    Skip(u64),
}

/// Frame headers are at most 18 bytes; a skippable frame's header is 8.
const MAX_FRAME_HEADER: usize = 18;

impl ZstdPush {
    fn new() -> Self {
        ZstdPush {
            decoder: ruzstd::decoding::FrameDecoder::new(),
            pending: Vec::new(),
            state: ZState::Frame,
            consumed: 0,
            out: vec![0u8; 128 * 1024],
            frames: 0,
        }
    }

    fn error(&self, detail: impl std::fmt::Display) -> Error {
        Error::Decompress {
            what: "the layer".into(),
            compression: "zstd",
            offset: self.consumed,
            detail: detail.to_string(),
        }
    }

    fn take(&mut self, n: usize) {
        self.pending.drain(..n);
        self.consumed += n as u64;
    }

    /// Drains decoded output to the sink (all of it once the frame is finished).
    fn drain(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        loop {
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
        self.pending.extend_from_slice(data);
        self.step(sink, false)
    }

    fn step(&mut self, sink: &mut dyn Sink, at_end: bool) -> Result<(), Error> {
        loop {
            match self.state {
                ZState::Frame => {
                    if self.pending.len() < 4 {
                        return Ok(());
                    }
                    let magic = u32::from_le_bytes([
                        self.pending[0],
                        self.pending[1],
                        self.pending[2],
                        self.pending[3],
                    ]);
                    if magic & 0xffff_fff0 == 0x184d_2a50 {
                        // Skippable frame: 4-byte magic, 4-byte length, then that many bytes.
                        if self.pending.len() < 8 {
                            return Ok(());
                        }
                        let len = u32::from_le_bytes([
                            self.pending[4],
                            self.pending[5],
                            self.pending[6],
                            self.pending[7],
                        ]);
                        self.take(8);
                        self.state = ZState::Skip(u64::from(len));
                        continue;
                    }
                    if self.pending.len() < MAX_FRAME_HEADER && !at_end {
                        return Ok(());
                    }
                    let mut slice: &[u8] = &self.pending;
                    let before = slice.len();
                    self.decoder.reset(&mut slice).map_err(|e| self.error(e))?;
                    let used = before - slice.len();
                    self.take(used);
                    self.frames += 1;
                    self.state = ZState::Blocks;
                }
                ZState::Skip(n) => {
                    let k = (n as usize).min(self.pending.len());
                    self.take(k);
                    if (k as u64) < n {
                        self.state = ZState::Skip(n - k as u64);
                        return Ok(());
                    }
                    self.state = ZState::Frame;
                }
                ZState::Blocks => {
                    if self.pending.len() < 3 {
                        return Ok(());
                    }
                    let h =
                        u32::from_le_bytes([self.pending[0], self.pending[1], self.pending[2], 0]);
                    let last = h & 1 == 1;
                    let block_type = (h >> 1) & 3;
                    let size = (h >> 3) as usize;
                    let content = match block_type {
                        0 | 2 => size,
                        1 => 1,
                        _ => return Err(self.error("reserved block type")),
                    };
                    if size > 128 * 1024 {
                        return Err(self.error(format!(
                            "a block declares {size} bytes, more than zstd's 128 KiB maximum"
                        )));
                    }
                    let total = 3 + content;
                    if self.pending.len() < total {
                        return Ok(());
                    }
                    let (read, _) = {
                        let block = &self.pending[..total];
                        let mut tmp = [0u8; 0];
                        self.decoder
                            .decode_from_to(block, &mut tmp)
                            .map_err(|e| self.error(e))?
                    };
                    if read != total {
                        return Err(
                            self.error(format!("the decoder took {read} of a {total}-byte block"))
                        );
                    }
                    self.take(total);
                    if last {
                        self.state = ZState::Checksum;
                    } else {
                        self.drain(sink)?;
                    }
                }
                ZState::Checksum => {
                    if !self.decoder.is_finished() {
                        // The frame carries a checksum: feed its 4 bytes.
                        if self.pending.len() < 4 {
                            return Ok(());
                        }
                        let mut tmp = [0u8; 0];
                        let checksum = [
                            self.pending[0],
                            self.pending[1],
                            self.pending[2],
                            self.pending[3],
                        ];
                        self.decoder
                            .decode_from_to(&checksum, &mut tmp)
                            .map_err(|e| self.error(e))?;
                        self.take(4);
                    }
                    self.drain(sink)?;
                    if let (Some(stored), Some(computed)) = (
                        self.decoder.get_checksum_from_data(),
                        self.decoder.get_calculated_checksum(),
                    ) && stored != computed
                    {
                        return Err(self.error(format!(
                                "frame checksum mismatch: the frame says {stored:08x}, the content hashes to {computed:08x}"
                            )));
                    }
                    self.state = ZState::Frame;
                }
            }
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        self.step(sink, true)?;
        match self.state {
            ZState::Frame if self.pending.is_empty() && self.frames > 0 => Ok(()),
            ZState::Frame if self.frames == 0 && self.pending.is_empty() => {
                Err(self.error("the stream is empty"))
            }
            ZState::Frame => Err(self.error(format!(
                "{} bytes after the last frame are not a frame",
                self.pending.len()
            ))),
            _ => Err(Error::Truncated {
                what: "the zstd stream".into(),
                offset: self.consumed + self.pending.len() as u64,
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
    /// ruzstd's default features; the real-tool fixtures cover compressed blocks).
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
}
