//! What the page and its Web Workers say to each other. A worker owns reading (the `File`, by
//! range) and the engine's heavy work; the page owns rendering. Messages are JSON strings; a
//! `File` or a result's bytes travel beside the JSON as a JS value (a `File` by structured
//! clone, bytes as a transferred `ArrayBuffer`, neither copied).
//!
//! The first worker opens the archive and resolves images (`Open`, `Load`), or opens an image
//! from a registry (`OpenRegistry`). Layer scans and file reads are self-contained
//! (`ScanBlob`, `ReadEntry`: the `File`, or the registry blob, and where to read), so a pool
//! of workers can share them, one layer per worker.

use serde::{Deserialize, Serialize};
use strata_core::layer::Entry;
use strata_core::registry::Credentials;
use strata_core::{BlobLocation, Compression, Image, Limits, Overview};

/// How a worker reaches a registry. Credentials live in the page's memory and in the workers'
/// messages only: never in storage, the URL or a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryAccess {
    /// As the user typed it (`nginx:1.27`, `http://registry.lan:5000/app:1`).
    pub reference: String,
    pub credentials: Option<Credentials>,
    /// `strata serve`'s proxy (`http://127.0.0.1:8080/proxy`), when the page may use one.
    pub proxy: Option<String>,
    /// Whether requests go through the proxy (decided when the image was opened: directly when
    /// the registry allows it, through the proxy when CORS stops the browser).
    pub via_proxy: bool,
}

/// One layer blob of a registry image, for a pool worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryBlob {
    pub access: RegistryAccess,
    pub digest: String,
}

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
    /// Open an image from a registry; `manifest` picks a platform of an index by digest.
    OpenRegistry {
        access: RegistryAccess,
        manifest: Option<String>,
        limits: Limits,
    },
    /// Open an image and read all of its layers in this one worker, for a comparison: the
    /// `File` travels beside, or `registry` says where the image is.
    Analyse {
        registry: Option<RegistryAccess>,
        limits: Limits,
    },
    /// List the tags of the reference's repository.
    ListTags { access: RegistryAccess },
    /// Scan one layer blob (the `File` travels beside, or `registry` says where the blob is):
    /// decompress, hash, index.
    ScanBlob {
        job: u64,
        layer: usize,
        blob: BlobLocation,
        limits: Limits,
        registry: Option<RegistryBlob>,
    },
    /// Hash one uncompressed layer blob of the dropped file (it travels beside): the digest its
    /// scan left for later, so the layer explorer opens before every byte is hashed.
    HashBlob {
        job: u64,
        layer: usize,
        blob: BlobLocation,
    },
    /// Read one file's content out of a layer blob (the `File` travels beside): `len` bytes
    /// from `offset` of the content, or all of it when `len` is `None`.
    ReadEntry {
        job: u64,
        registry: Option<RegistryBlob>,
        blob: BlobLocation,
        compression: Compression,
        entry: Entry,
        sparse_map: Option<Vec<(u64, u64)>>,
        offset: u64,
        len: Option<u64>,
    },
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is loaded and it listens.
    Ready,
    /// Reading the archive's structure: `done` of `total` bytes covered.
    Progress { done: u64, total: u64 },
    /// The archive's images, so the page can offer a choice when there are several.
    Opened { listing: ArchiveListing },
    /// One image, resolved, with its overview. `bytes_read`: how much of the archive the
    /// worker has read so far.
    Loaded {
        image: Box<Image>,
        overview: Box<Overview>,
        image_number: usize,
        bytes_read: u64,
    },
    /// A layer scan under way: `done` of `total` stored bytes.
    ScanProgress {
        job: u64,
        layer: usize,
        done: u64,
        total: u64,
    },
    /// A layer scan finished: the `LayerScan` travels beside, postcard-encoded. `millis`: the
    /// scan's time in the worker; `memory`: the worker's wasm memory (bytes) after it.
    Scanned {
        job: u64,
        layer: usize,
        millis: f64,
        memory: u64,
    },
    /// A layer blob's sha256 (`HashBlob`).
    Hashed {
        job: u64,
        layer: usize,
        digest: String,
        millis: f64,
    },
    /// A file read finished: the bytes travel beside. `total` is the file's size.
    Content { job: u64, offset: u64, total: u64 },
    /// A registry image is open: how it is reached (the page hands this to the pool).
    RegistryOpened { access: RegistryAccess },
    /// The dropped file is a snapshot: its decompressed bytes travel beside (the page reads
    /// and validates them with `strata_core::snapshot::from_postcard`).
    Snapshot { file_size: u64 },
    /// An image read whole for a comparison: a postcard `Snapshot` travels beside.
    Analysed,
    /// The repository's tags.
    Tags {
        repository: String,
        tags: Vec<String>,
    },
    /// A request failed; `job` says which, when it had one.
    Failed { job: Option<u64>, error: ErrorInfo },
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
