//! A snapshot: an inspection saved as one small file that opens anywhere, offline, with every
//! view but file contents. It holds the image (manifest, config, index, layer descriptors)
//! and each layer's scan (digests, sizes, the file index: paths, types, modes, owners, sizes,
//! content hashes), never a file's bytes. postcard, gzipped, behind a magic line.
//!
//! A snapshot someone sends is untrusted input: decompression is bounded, and every index is
//! validated (paths, strings and entry numbers in range) before anything uses it.

use crate::error::Error;
use crate::image::Image;
use crate::layer::LayerScan;
use crate::layer::index::LongField;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The first bytes of a snapshot file.
pub const MAGIC: &[u8] = b"STRATA-SNAPSHOT\n";
/// The format's version. A reader reads this one and version 2 (whose entries held their
/// owners and stored sizes inline), and refuses others.
pub const VERSION: u32 = 3;
/// The most a snapshot may decompress to.
pub const MAX_DECOMPRESSED: u64 = 2 << 30;
/// Snapshot files this large are refused before reading (they are a few MB for big images).
pub const MAX_FILE: u64 = 1 << 30;
/// File name extension.
pub const EXTENSION: &str = "strata";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// What was open: the archive's file name or the registry reference.
    pub name: String,
    /// How it was read (`docker-archive (docker save)`, `registry, directly`…).
    pub format: String,
    /// Stored as JSON inside the postcard: the image's types skip absent fields, which only a
    /// self-describing format can read back.
    #[serde(with = "as_json")]
    pub image: Image,
    /// One per layer, in order; `None` for a layer whose blob was missing.
    pub scans: Vec<Option<LayerScan>>,
}

mod as_json {
    use crate::image::Image;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(image: &Image, s: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(image).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&json)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Image, D::Error> {
        let json = String::deserialize(d)?;
        serde_json::from_str(&json).map_err(serde::de::Error::custom)
    }
}

impl Snapshot {
    /// A snapshot of an analysed image (the indexes are copied out of the tree).
    pub fn of(name: &str, format: &str, image: &Image, analysis: &crate::Analysis) -> Snapshot {
        let scans = analysis
            .scans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s.as_ref()?;
                Some(LayerScan {
                    index: analysis.tree.layers.get(i)?.clone(),
                    compression: s.compression,
                    digest: s.digest.clone(),
                    diff_id: s.diff_id.clone(),
                    stored_size: s.stored_size,
                    tar_size: s.tar_size,
                    error: s.error.clone(),
                })
            })
            .collect();
        Snapshot {
            version: VERSION,
            name: name.to_owned(),
            format: format.to_owned(),
            image: image.clone(),
            scans,
        }
    }
}

/// The snapshot's body (postcard, before [`compress`]) of an analysed image, written from the
/// analysis in place: a million-entry index is not copied first, as [`Snapshot::of`] does.
/// The same bytes as `postcard::to_allocvec(&Snapshot::of(..))`.
pub fn body_of(
    name: &str,
    format: &str,
    image: &Image,
    analysis: &crate::Analysis,
) -> Result<Vec<u8>, Error> {
    let mut writer = BodyWriter::new(name, format, image, analysis)?;
    while !writer.write(analysis, usize::MAX)? {}
    Ok(writer.finish())
}

/// Writes a snapshot's body ([`body_of`]) a piece at a time, so that a page can write a
/// million entries between frames: encoding them is a quarter of a second of wasm in one go.
///
/// postcard names no field and writes a sequence as its length then its elements, so the body
/// is the concatenation of its fields' encodings, and a long sequence can be written a run of
/// elements at a time. The writer keeps no borrow of the analysis (the page holds it in an
/// `Rc` across tasks): each call to [`BodyWriter::write`] is given it again, and must be given
/// the same one.
pub struct BodyWriter {
    pieces: Vec<Piece>,
    /// The piece being written, and how many of its elements are written.
    at: usize,
    done: usize,
    /// The body's pieces written, each of about `piece` bytes, and the one being written: one
    /// buffer grown by doubling copied what it held at each step (a 32 MB copy was one task of
    /// 50 ms on the page), and a page hands the pieces on without joining them.
    full: Vec<Vec<u8>>,
    out: Vec<u8>,
    piece: usize,
}

/// The size a body is written in ([`BodyWriter::in_pieces_of`]).
const BODY_PIECE: usize = 4 << 20;

/// A piece of the body: bytes already encoded (everything small), or one of a layer index's
/// long sequences, whose length is already written.
enum Piece {
    Bytes(Vec<u8>),
    Run { layer: usize, field: LongField },
}

/// Raw bytes copied count this many to one element encoded, against a write's budget.
const BYTES_PER_ELEMENT: usize = 64;

/// A postcard output that appends to a `Vec` (postcard's own `AllocVec` owns its `Vec`).
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Elements of a sequence without its length: postcard writes a tuple's elements only.
struct Elements<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for Elements<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(self.0.len())?;
        for e in self.0 {
            t.serialize_element(e)?;
        }
        t.end()
    }
}

fn postcard_error(e: postcard::Error) -> Error {
    Error::Invalid {
        what: "the snapshot".into(),
        detail: e.to_string(),
    }
}

fn append<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    postcard::serialize_with_flavor(value, Append(out)).map_err(postcard_error)
}

/// Lays out the pieces, encoding the small ones.
struct Layout {
    pieces: Vec<Piece>,
    bytes: Vec<u8>,
}

impl Layout {
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        append(&mut self.bytes, value)
    }

    /// A long sequence of `len` elements: its length now, its elements when written.
    fn run(&mut self, layer: usize, field: LongField, len: usize) -> Result<(), Error> {
        // A sequence's length is a varint, as a u64's is.
        self.value(&(len as u64))?;
        self.pieces
            .push(Piece::Bytes(std::mem::take(&mut self.bytes)));
        self.pieces.push(Piece::Run { layer, field });
        Ok(())
    }
}

impl BodyWriter {
    /// Lays out the body of `analysis`: the image, names and small fields are encoded now
    /// (their JSON and a few kilobytes), the indexes' long sequences by [`BodyWriter::write`].
    pub fn new(
        name: &str,
        format: &str,
        image: &Image,
        analysis: &crate::Analysis,
    ) -> Result<BodyWriter, Error> {
        let mut l = Layout {
            pieces: Vec::new(),
            bytes: Vec::new(),
        };
        // Snapshot's fields, in order.
        l.value(&VERSION)?;
        l.value(name)?;
        l.value(format)?;
        l.value(&serde_json::to_string(image).map_err(|e| Error::Invalid {
            what: "the snapshot".into(),
            detail: e.to_string(),
        })?)?;
        l.value(&(analysis.scans.len() as u64))?;
        for (i, scan) in analysis.scans.iter().enumerate() {
            let (Some(s), Some(index)) = (scan, analysis.tree.layers.get(i)) else {
                l.value(&None::<()>)?;
                continue;
            };
            // Some, then LayerScan's fields, in order; first its index's.
            l.value(&1u8)?;
            for field in LongField::IN_ORDER {
                l.run(i, field, field.len_in(index))?;
            }
            l.value(&index.owners)?;
            l.value(&index.xattrs)?;
            l.value(&index.sparse_maps)?;
            l.value(&index.stored_sizes)?;
            l.value(&index.diagnostics)?;
            l.value(&index.no_end_marker)?;
            l.value(&s.compression)?;
            l.value(&s.digest)?;
            l.value(&s.diff_id)?;
            l.value(&s.stored_size)?;
            l.value(&s.tar_size)?;
            l.value(&s.error)?;
        }
        let mut pieces = l.pieces;
        pieces.push(Piece::Bytes(l.bytes));
        Ok(BodyWriter {
            pieces,
            at: 0,
            done: 0,
            full: Vec::new(),
            out: Vec::new(),
            piece: BODY_PIECE,
        })
    }

    /// The body cut in pieces of about `bytes` (4 MiB unless told; a piece ends where a
    /// write does, so it may be a little longer).
    pub fn in_pieces_of(mut self, bytes: usize) -> BodyWriter {
        self.piece = bytes.max(1);
        self
    }

    /// Writes about `budget` more elements (an index entry, a path; 64 bytes of names), and
    /// says whether the body is complete. `analysis` must be the one the writer was made of.
    pub fn write(&mut self, analysis: &crate::Analysis, budget: usize) -> Result<bool, Error> {
        let mut left = budget.max(1);
        while left > 0 {
            let Some(piece) = self.pieces.get(self.at) else {
                return Ok(true);
            };
            match piece {
                Piece::Bytes(bytes) => {
                    self.out.extend_from_slice(bytes);
                    left = left.saturating_sub(bytes.len() / BYTES_PER_ELEMENT);
                    self.at += 1;
                }
                &Piece::Run { layer, field } => {
                    let index = analysis
                        .tree
                        .layers
                        .get(layer)
                        .ok_or_else(|| Error::Invalid {
                            what: "the snapshot".into(),
                            detail: format!(
                                "layer {} is not in the analysis it was begun from",
                                layer + 1
                            ),
                        })?;
                    let (from, out) = (self.done, &mut self.out);
                    let (written, len, cost) = match field {
                        LongField::NameBytes => {
                            raw(index.paths.stored().0.as_bytes(), from, left, out)
                        }
                        LongField::StringBytes => {
                            raw(index.strings.stored().0.as_bytes(), from, left, out)
                        }
                        LongField::NameStarts => run(index.paths.stored().1, from, left, out)?,
                        LongField::Nodes => run(index.paths.stored().2, from, left, out)?,
                        LongField::Entries => run(&index.entries, from, left, out)?,
                        LongField::Whiteouts => run(&index.whiteouts, from, left, out)?,
                        LongField::StringStarts => run(index.strings.stored().1, from, left, out)?,
                    };
                    left = left.saturating_sub(cost.max(1));
                    self.done += written;
                    if self.done >= len {
                        (self.at, self.done) = (self.at + 1, 0);
                    }
                }
            }
            if self.out.len() >= self.piece {
                // Room for a piece and a write past it (a run of elements), so it seldom grows.
                let next = Vec::with_capacity(self.piece + self.piece / 4);
                self.full.push(std::mem::replace(&mut self.out, next));
            }
        }
        Ok(self.at >= self.pieces.len())
    }

    /// The body written so far: all of it once [`BodyWriter::write`] has said so.
    pub fn finish(self) -> Vec<u8> {
        self.finish_in_pieces().concat()
    }

    /// [`BodyWriter::finish`], in the pieces it was written in, in order (none empty).
    pub fn finish_in_pieces(mut self) -> Vec<Vec<u8>> {
        if !self.out.is_empty() {
            self.full.push(self.out);
        }
        self.full
    }
}

/// Copies bytes `from..` of `all`, at most `budget` elements' worth: (bytes written, total,
/// elements' worth).
fn raw(all: &[u8], from: usize, budget: usize, out: &mut Vec<u8>) -> (usize, usize, usize) {
    let rest = all.get(from..).unwrap_or_default();
    let n = rest.len().min(budget.saturating_mul(BYTES_PER_ELEMENT));
    out.extend_from_slice(&rest[..n]);
    (n, all.len(), n.div_ceil(BYTES_PER_ELEMENT))
}

/// Encodes elements `from..` of `all`, at most `budget`: (elements written, total, the same).
fn run<T: Serialize>(
    all: &[T],
    from: usize,
    budget: usize,
    out: &mut Vec<u8>,
) -> Result<(usize, usize, usize), Error> {
    let rest = all.get(from..).unwrap_or_default();
    let n = rest.len().min(budget);
    append(out, &Elements(&rest[..n]))?;
    Ok((n, all.len(), n))
}

/// The snapshot file of a body ([`body_of`]): the magic line, then the body gzipped. The slow
/// half of saving one (a second for a million entries), so the web app runs it in a worker.
pub fn compress(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut gz = flate2::write::GzEncoder::new(MAGIC.to_vec(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(body);
    gz.finish().map_err(|e| Error::Invalid {
        what: "the snapshot".into(),
        detail: e.to_string(),
    })
}

/// Whether `head` (a file's first bytes) starts a snapshot.
pub fn is_snapshot(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// The snapshot file's bytes.
pub fn encode(snapshot: &Snapshot) -> Result<Vec<u8>, Error> {
    let body = postcard::to_allocvec(snapshot).map_err(|e| Error::Invalid {
        what: "the snapshot".into(),
        detail: e.to_string(),
    })?;
    compress(&body)
}

fn bad(detail: impl Into<String>) -> Error {
    Error::Invalid {
        what: "the snapshot file".into(),
        detail: detail.into(),
    }
}

/// Checks the magic line and decompresses, refusing more than `max` bytes of output.
pub fn decompress(file: &[u8], max: u64) -> Result<Vec<u8>, Error> {
    let Some(gz) = file.strip_prefix(MAGIC) else {
        return Err(bad(
            "it does not start with STRATA-SNAPSHOT: not a Strata snapshot",
        ));
    };
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("it is damaged: {e}")))?;
    if out.len() as u64 > max {
        return Err(bad(format!("it decompresses to more than {max} bytes")));
    }
    Ok(out)
}

/// Reads decompressed snapshot bytes, validating every index before restoring it.
pub fn from_postcard(bytes: &[u8]) -> Result<Snapshot, Error> {
    let cannot = |e: postcard::Error| bad(format!("it cannot be read: {e}"));
    // The version is the first field: it says how to read the rest.
    let (version, _) = postcard::take_from_bytes::<u32>(bytes).map_err(cannot)?;
    let mut s: Snapshot = match version {
        VERSION => postcard::from_bytes(bytes).map_err(cannot)?,
        2 => postcard::from_bytes::<v2::Snapshot>(bytes)
            .map_err(cannot)?
            .into_current(),
        other => {
            return Err(bad(format!(
                "it is version {other}, and this Strata reads versions 2 and {VERSION}"
            )));
        }
    };
    if s.scans.len() != s.image.layers.len() {
        return Err(bad(format!(
            "it has {} layer scans for {} layers",
            s.scans.len(),
            s.image.layers.len()
        )));
    }
    for (i, scan) in s.scans.iter().enumerate() {
        if let Some(scan) = scan {
            scan.index
                .validate()
                .map_err(|e| bad(format!("layer {}'s index is damaged: {e}", i + 1)))?;
        }
    }
    for (i, l) in s.image.layers.iter().enumerate() {
        if l.index != i {
            return Err(bad("its layers are out of order"));
        }
    }
    s.image.restore_config();
    Ok(s)
}

/// Version 2 of the format, as Strata wrote it until its entries were made smaller: each entry
/// held its uid, gid, their names and its stored size. Read into the current types, with the
/// owners gathered into a table and the stored sizes that are not the size kept aside, as a
/// scan would have made them.
mod v2 {
    use crate::diagnostic::Diagnostic;
    use crate::digest::{DiffId, Digest};
    use crate::error::ErrorReport;
    use crate::image::Image;
    use crate::layer::decode::Compression;
    use crate::layer::index::{Owner, OwnerInterner, StrId, Strings, Whiteout, Xattr};
    use crate::paths::{PathId, PathTable};
    use crate::tar::EntryKind;
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Snapshot {
        /// 2: [`super::from_postcard`] has read it.
        _version: u32,
        name: String,
        format: String,
        #[serde(with = "super::as_json")]
        image: Image,
        scans: Vec<Option<LayerScan>>,
    }

    #[derive(Deserialize)]
    struct LayerScan {
        index: LayerIndex,
        compression: Compression,
        digest: Option<Digest>,
        diff_id: Option<DiffId>,
        stored_size: u64,
        tar_size: u64,
        error: Option<ErrorReport>,
    }

    #[derive(Deserialize)]
    struct LayerIndex {
        paths: PathTable,
        entries: Vec<Entry>,
        whiteouts: Vec<Whiteout>,
        strings: Strings,
        xattrs: Vec<Xattr>,
        sparse_maps: Vec<(u32, Vec<(u64, u64)>)>,
        diagnostics: Vec<Diagnostic>,
        no_end_marker: bool,
    }

    #[derive(Deserialize)]
    struct Entry {
        path: PathId,
        kind: EntryKind,
        flags: u8,
        mode: u16,
        uid: u32,
        gid: u32,
        uname: StrId,
        gname: StrId,
        link: StrId,
        size: u64,
        mtime: i64,
        data_offset: u64,
        stored_size: u64,
        content_hash: u64,
    }

    impl Snapshot {
        pub fn into_current(self) -> super::Snapshot {
            super::Snapshot {
                // Read into this version's types, it is one of this version.
                version: super::VERSION,
                name: self.name,
                format: self.format,
                image: self.image,
                scans: self
                    .scans
                    .into_iter()
                    .map(|s| s.map(LayerScan::into_current))
                    .collect(),
            }
        }
    }

    impl LayerScan {
        fn into_current(self) -> crate::layer::LayerScan {
            let old = self.index;
            let mut owners = Vec::new();
            let mut interner = OwnerInterner::default();
            let mut stored_sizes = Vec::new();
            let entries = old
                .entries
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    if e.stored_size != e.size {
                        stored_sizes.push((i as u32, e.stored_size));
                    }
                    let owner = Owner {
                        uid: e.uid,
                        gid: e.gid,
                        uname: e.uname,
                        gname: e.gname,
                    };
                    crate::layer::Entry {
                        path: e.path,
                        kind: e.kind,
                        flags: e.flags,
                        mode: e.mode,
                        owner: interner.id(&mut owners, owner),
                        link: e.link,
                        size: e.size,
                        mtime: e.mtime,
                        data_offset: e.data_offset,
                        content_hash: e.content_hash,
                    }
                })
                .collect();
            crate::layer::LayerScan {
                index: crate::layer::LayerIndex {
                    paths: std::sync::Arc::new(old.paths),
                    entries,
                    whiteouts: old.whiteouts,
                    strings: old.strings,
                    owners,
                    xattrs: old.xattrs,
                    sparse_maps: old.sparse_maps,
                    stored_sizes,
                    diagnostics: old.diagnostics,
                    no_end_marker: old.no_end_marker,
                },
                compression: self.compression,
                digest: self.digest,
                diff_id: self.diff_id,
                stored_size: self.stored_size,
                tar_size: self.tar_size,
                error: self.error,
            }
        }
    }
}

/// A snapshot file's bytes → the snapshot.
pub fn decode(file: &[u8]) -> Result<Snapshot, Error> {
    from_postcard(&decompress(file, MAX_DECOMPRESSED)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_and_damaged_files_are_refused_with_a_reason() {
        let e = decode(b"not a snapshot")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a Strata snapshot"), "{e}");
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(b"\x1f\x8b garbage");
        let e = decode(&f).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        // A bomb: a megabyte of zeros compressed, refused past the bound.
        let mut gz = flate2::write::GzEncoder::new(MAGIC.to_vec(), flate2::Compression::best());
        let _ = gz.write_all(&vec![0u8; 1 << 20]);
        let bomb = gz.finish().unwrap_or_default();
        let e = decompress(&bomb, 1000).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("more than 1000 bytes"), "{e}");
        // Valid gzip of bytes that are not a snapshot: of a version this one does not read,
        // and of one it reads (each of them), cut short.
        let gzipped = |body: &[u8]| {
            let mut gz = flate2::write::GzEncoder::new(MAGIC.to_vec(), flate2::Compression::best());
            let _ = gz.write_all(body);
            gz.finish().unwrap_or_default()
        };
        let e = decode(&gzipped(b"\x05hello"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("it is version 5, and this Strata reads versions 2 and 3"),
            "{e}"
        );
        for body in [&b"\x02hello"[..], b"\x03hello", b""] {
            let e = decode(&gzipped(body)).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("cannot be read"), "{body:?}: {e}");
        }
    }
}
