//! What the page and its Web Worker say to each other. The worker owns the archive (the
//! `File`, read by range) and the engine's work on it; the page owns rendering. Messages are
//! owned data, serialised as JSON strings; a `File` travels beside the JSON as a JS value
//! (structured clone, no copy of its bytes).

use serde::{Deserialize, Serialize};
use strata_core::{Image, Limits, Overview};

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Read the archive's structure (the `File` travels beside this message) and open the
    /// default image in it.
    Open { limits: Limits },
    /// Open image `image` of the archive; `manifest` picks a platform of an index by digest.
    Load {
        image: usize,
        manifest: Option<String>,
    },
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is loaded and it listens.
    Ready,
    /// Work under way: `done` of `total` units of `what` (bytes of the archive read, say).
    Progress {
        what: String,
        done: u64,
        total: u64,
    },
    /// The archive's images, so the page can offer a choice when there are several.
    Opened {
        listing: ArchiveListing,
    },
    /// One image, resolved, with its overview.
    /// `bytes_read`: how much of the archive the worker has read so far.
    Loaded {
        image: Box<Image>,
        overview: Box<Overview>,
        image_number: usize,
        bytes_read: u64,
    },
    Failed {
        error: ErrorInfo,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveListing {
    pub file_name: String,
    pub file_size: u64,
    pub format: String,
    pub images: Vec<ListedImage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedImage {
    pub label: String,
    pub names: Vec<String>,
    pub digest: Option<String>,
}

/// An error as the page shows it: a sentence first, the technical detail one click away.
pub use strata_core::error::ErrorReport as ErrorInfo;

/// A failure outside the engine (the browser refused something).
pub fn browser_error(summary: &str, detail: impl Into<String>) -> ErrorInfo {
    ErrorInfo {
        kind: "browser".into(),
        summary: summary.to_owned(),
        detail: detail.into(),
    }
}
