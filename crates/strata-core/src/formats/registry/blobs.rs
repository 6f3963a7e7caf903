//! An image's layer blobs laid end to end as one address space, so that a host reading ranges
//! of blobs gives the engine a [`crate::ReadAt`] like an archive's.

use crate::digest::Digest;
use serde::{Deserialize, Serialize};

/// An image's layer blobs laid end to end, so that reading "the archive" at an offset means
/// reading a range of one blob. The host implements [`crate::ReadAt`] with [`VirtualBlobs::locate`]
/// and HTTP `Range` requests; the engine then scans layers and reads files as from an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualBlobs {
    /// (digest, offset of its first byte, size), in layer order.
    pub blobs: Vec<(Digest, u64, u64)>,
}

impl VirtualBlobs {
    pub fn new(layers: &[(Digest, u64)]) -> VirtualBlobs {
        let mut at = 0u64;
        let blobs = layers
            .iter()
            .map(|(d, size)| {
                let start = at;
                at = at.saturating_add(*size);
                (d.clone(), start, *size)
            })
            .collect();
        VirtualBlobs { blobs }
    }

    pub fn len(&self) -> u64 {
        self.blobs.last().map_or(0, |(_, start, size)| start + size)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Which blob holds `offset`, the offset within it, and the bytes left in that blob.
    pub fn locate(&self, offset: u64) -> Option<(&Digest, u64, u64)> {
        let i = self
            .blobs
            .partition_point(|(_, start, _)| *start <= offset)
            .checked_sub(1)?;
        let (d, start, size) = &self.blobs[i];
        (offset < start + size).then(|| (d, offset - start, start + size - offset))
    }
}
