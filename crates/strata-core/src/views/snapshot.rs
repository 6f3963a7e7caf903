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
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The first bytes of a snapshot file.
pub const MAGIC: &[u8] = b"STRATA-SNAPSHOT\n";
/// The format's version: a reader refuses others.
pub const VERSION: u32 = 2;
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

/// [`Snapshot`] as it is written, borrowing the analysis instead of copying its indexes: the
/// same fields in the same order, so postcard writes the same bytes (postcard names no field).
#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    name: &'a str,
    format: &'a str,
    #[serde(serialize_with = "image_as_json")]
    image: &'a Image,
    scans: Vec<Option<ScanRef<'a>>>,
}

fn image_as_json<S: serde::Serializer>(image: &&Image, s: S) -> Result<S::Ok, S::Error> {
    as_json::serialize(image, s)
}

/// [`LayerScan`], borrowed, field for field.
#[derive(Serialize)]
struct ScanRef<'a> {
    index: &'a crate::layer::LayerIndex,
    compression: crate::Compression,
    digest: &'a Option<crate::Digest>,
    diff_id: &'a Option<crate::DiffId>,
    stored_size: u64,
    tar_size: u64,
    error: &'a Option<crate::error::ErrorReport>,
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
    let scans = analysis
        .scans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.as_ref()?;
            Some(ScanRef {
                index: analysis.tree.layers.get(i)?,
                compression: s.compression,
                digest: &s.digest,
                diff_id: &s.diff_id,
                stored_size: s.stored_size,
                tar_size: s.tar_size,
                error: &s.error,
            })
        })
        .collect();
    let snapshot = SnapshotRef {
        version: VERSION,
        name,
        format,
        image,
        scans,
    };
    postcard::to_allocvec(&snapshot).map_err(|e| Error::Invalid {
        what: "the snapshot".into(),
        detail: e.to_string(),
    })
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
    let mut s: Snapshot =
        postcard::from_bytes(bytes).map_err(|e| bad(format!("it cannot be read: {e}")))?;
    if s.version != VERSION {
        return Err(bad(format!(
            "it is version {}, and this Strata reads version {VERSION}",
            s.version
        )));
    }
    if s.scans.len() != s.image.layers.len() {
        return Err(bad(format!(
            "it has {} layer scans for {} layers",
            s.scans.len(),
            s.image.layers.len()
        )));
    }
    for (i, scan) in s.scans.iter_mut().enumerate() {
        if let Some(scan) = scan {
            scan.index
                .validate()
                .map_err(|e| bad(format!("layer {}'s index is damaged: {e}", i + 1)))?;
            scan.index.restore();
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
        // Valid gzip of bytes that are not a snapshot.
        let mut gz = flate2::write::GzEncoder::new(MAGIC.to_vec(), flate2::Compression::best());
        let _ = gz.write_all(b"\x05hello");
        let e = decode(&gz.finish().unwrap_or_default())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be read"), "{e}");
    }
}
