//! What the page and its Web Workers say to each other, as ready-to-use engine types (a
//! [`LayerScan`], a [`Digest`], a validated [`Snapshot`]): the `wire` module encodes them as JSON
//! with bytes beside and restores them on the other end, so neither end patches a message up.
//! A worker owns reading (the `File`, by range) and the engine's heavy work; the page owns
//! rendering. Also here: the requests components make of the page (file contents, a registry
//! image), so components need not import `app.rs`.
//!
//! The first worker opens the archive and resolves images (`Open`, `Load`), or opens an image
//! from a registry (`OpenRegistry`), and looks up its supply chain when asked (`SupplyChain`). Layer scans and file reads are self-contained
//! (`ScanBlob`, `ReadEntry`: the `File`, or the registry blob, and where to read), so a pool
//! of workers can share them, one layer per worker. The package analysis runs in a worker of
//! its own, from the layer scans the page forwards as they arrive (`PackageScan`: each index
//! and the package databases its scan kept), then `AnalysePackages` reads the rest by range.

use serde::{Deserialize, Serialize};
use std::rc::Rc;
use strata_core::history::History;
use strata_core::layer::content::StoredFile;
use strata_core::layer::scan::Captured;
use strata_core::packages::PackageReport;
use strata_core::registry::Credentials;
use strata_core::snapshot::Snapshot;
use strata_core::supply_chain::SupplyChain;
use strata_core::{
    BlobLocation, Compression, Digest, Image, LayerIdx, LayerScan, Limits, Overview,
};
use yew::Callback;

/// A pool job's number, unique for the page's lifetime.
pub type JobId = u64;

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
    pub digest: Digest,
}

/// Bytes that crossed the wire (a layer scan, a snapshot's body), printed by length only.
#[derive(Clone)]
pub enum Arrived {
    /// In this module's memory, shared.
    Here(Rc<Vec<u8>>),
    /// Still in the JS buffer they arrived in (a worker's scan, on the page). The page copies
    /// them into its memory a piece at a time while it reads them (58 MB at once was a 55 ms
    /// task), then hands the buffer itself on to the package worker, transferred, not copied
    /// again (another 58 ms). Never made natively.
    Js(js_sys::Uint8Array),
}

impl Arrived {
    pub fn new(bytes: Vec<u8>) -> Arrived {
        Arrived::Here(Rc::new(bytes))
    }

    /// The bytes, when they are in this module's memory.
    pub fn here(&self) -> Option<&[u8]> {
        match self {
            Arrived::Here(b) => Some(b),
            Arrived::Js(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Arrived::Here(b) => b.len(),
            Arrived::Js(a) => a.length() as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, in this module's memory (copied there if they were not).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Arrived::Here(b) => Rc::try_unwrap(b).unwrap_or_else(|b| b.as_ref().clone()),
            Arrived::Js(a) => a.to_vec(),
        }
    }
}

/// The same bytes: equal bytes here, the same buffer in JS.
impl PartialEq for Arrived {
    fn eq(&self, other: &Arrived) -> bool {
        match (self, other) {
            (Arrived::Here(a), Arrived::Here(b)) => a == b,
            (Arrived::Js(a), Arrived::Js(b)) => {
                let (a, b): (&wasm_bindgen::JsValue, &wasm_bindgen::JsValue) =
                    (a.as_ref(), b.as_ref());
                a == b
            }
            _ => false,
        }
    }
}

impl Eq for Arrived {}

impl Default for Arrived {
    fn default() -> Arrived {
        Arrived::new(Vec::new())
    }
}

impl std::fmt::Debug for Arrived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arrived::Here(b) => write!(f, "Arrived({} bytes)", b.len()),
            Arrived::Js(_) => write!(f, "Arrived(a JS buffer)"),
        }
    }
}

/// A layer's scan as it travels, with the files it kept for the package analysis
/// (`packages::CAPTURE`: the package databases, as they streamed by, so a compressed layer is
/// not decompressed again for them).
#[derive(Debug, Clone)]
pub enum ScanPayload {
    /// In the worker that scanned: the index and the files.
    Made {
        scan: Box<LayerScan>,
        kept: Vec<Captured>,
    },
    /// On the page: the bytes it arrived in (postcard: the `LayerScan`, then the files). The
    /// page reads the scan from them a slice at a time (`strata_core::layer::ScanReader`: a
    /// million entries took 334 ms in one task) and hands them, unread, to the package worker.
    Arrived(Arrived),
}

/// Where a layer's blob is, for the package worker's reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLayer {
    pub blob: BlobLocation,
    /// A registry image's blob is fetched by its digest.
    pub digest: Option<Digest>,
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
        /// Which image of the archive (0 when `None`, unless `want_id` finds another), and
        /// which platform of an index (its manifest digest).
        image: Option<usize>,
        platform: Option<String>,
        /// The image ID a link compares with: the archive's image that has it is taken.
        want_id: Option<String>,
    },
    /// List the tags of the reference's repository.
    ListTags { access: RegistryAccess },
    /// Compress a snapshot's body (written on the page, where the indexes are) into the
    /// snapshot file: the slow half of saving one, off the page's thread.
    CompressSnapshot {
        #[serde(skip)]
        body: Arrived,
    },
    /// Look up the open image's signatures, attestations and referrers (lookup number
    /// `lookup`): in the open archive (main worker), or in `registry`. `key` is a PEM public
    /// key to verify key-based signatures with.
    SupplyChain {
        lookup: u64,
        image: Box<Image>,
        registry: Option<RegistryAccess>,
        key: Option<String>,
        limits: Limits,
    },
    /// Scan one layer blob (the `File` travels beside, or `registry` says where the blob is):
    /// decompress, hash, index.
    ScanBlob {
        job: JobId,
        layer: LayerIdx,
        blob: BlobLocation,
        limits: Limits,
        registry: Option<RegistryBlob>,
    },
    /// Hash one uncompressed layer blob of the dropped file (it travels beside): the digest its
    /// scan left for later, so the layer explorer opens before every byte is hashed.
    HashBlob {
        job: JobId,
        layer: LayerIdx,
        blob: BlobLocation,
    },
    /// One layer's scan for package job `job`, forwarded as it arrives from the pool (its
    /// bytes, unread by the page, travel beside): the package worker decodes it at once, while
    /// the other layers are read, and builds the tree once `expected` scans of the image's
    /// `layers` are in, while the page builds its own.
    PackageScan {
        job: JobId,
        layer: LayerIdx,
        layers: usize,
        expected: usize,
        #[serde(skip)]
        scan: Arrived,
    },
    /// Rehearse the package analysis on a small made-up image (`worker::warm_up`), sent to the
    /// package worker when it starts on an image whose layers take a while to read: the
    /// analysis's code is then compiled and optimised before the user waits for it.
    Rehearse,
    /// Rehearse a layer's scan in each compression on a small made-up layer
    /// (`worker::warm_up::rehearse_scan`), sent to the first spare worker as it starts: the
    /// scan's code is then optimised before the first drop, not while its overview is drawn.
    RehearseScan,
    /// The package analysis of the open image, in the worker that has job `job`'s scans: it
    /// built the same tree from them (the same path ids as the page's), parses the package
    /// databases the scans kept and reads the rest by range from the `File` beside, or from
    /// `registry`'s blobs (`layers` says where each blob is).
    AnalysePackages {
        job: JobId,
        layers: Vec<Option<PackageLayer>>,
        history: History,
        limits: Limits,
        registry: Option<RegistryAccess>,
    },
    /// Pause the job running here between its reads for up to `ms` (0: go on now): the user
    /// clicked or typed while the layers are read, and on a machine of two cores the page's
    /// thread was one of three busy ones. Measured: a tab's click took 137 ms to show, 23 ms of
    /// it on the page's thread, the rest waiting for a core.
    Hold { ms: u32 },
    /// Read one file's content out of a layer blob (the `File` travels beside): `len` bytes
    /// from `offset` of the content, or all of it when `len` is `None`.
    ReadEntry {
        job: JobId,
        registry: Option<RegistryBlob>,
        blob: BlobLocation,
        compression: Compression,
        file: StoredFile,
        offset: u64,
        len: Option<u64>,
    },
}

impl Request {
    /// The pool job this request is, when it is one.
    pub fn job(&self) -> Option<JobId> {
        match self {
            Request::ScanBlob { job, .. }
            | Request::HashBlob { job, .. }
            | Request::ReadEntry { job, .. } => Some(*job),
            Request::Open { .. }
            | Request::Load { .. }
            | Request::OpenRegistry { .. }
            | Request::Analyse { .. }
            | Request::AnalysePackages { .. }
            | Request::PackageScan { .. }
            | Request::Rehearse
            | Request::RehearseScan
            | Request::Hold { .. }
            | Request::ListTags { .. }
            | Request::CompressSnapshot { .. }
            | Request::SupplyChain { .. } => None,
        }
    }
}

/// Worker → page. The variants whose payload travels beside the JSON are not serialised
/// themselves: the `wire` module moves their payload out and back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// The worker's wasm is loaded and it listens.
    Ready,
    /// Reading the archive's structure: `done` of `total` bytes covered.
    Progress { done: u64, total: u64 },
    /// The archive's images, so the page can offer a choice when there are several.
    Opened { listing: ArchiveListing },
    /// One image, resolved (its config parsed again on arrival), with its overview.
    /// `bytes_read`: how much of the archive the worker has read so far.
    Loaded {
        image: Box<Image>,
        overview: Box<Overview>,
        image_number: usize,
        bytes_read: u64,
    },
    /// A layer scan under way: `done` of `total` stored bytes.
    ScanProgress {
        job: JobId,
        layer: LayerIdx,
        done: u64,
        total: u64,
    },
    /// A layer scan finished (its index and the files it kept travel postcard-encoded beside,
    /// read on the page a slice at a time). `millis`: the scan's time in the worker; `memory`:
    /// the worker's wasm memory (bytes) after it.
    #[serde(skip)]
    Scanned {
        job: JobId,
        layer: LayerIdx,
        millis: f64,
        memory: u64,
        scan: ScanPayload,
    },
    /// A layer blob's sha256 (`HashBlob`).
    Hashed {
        job: JobId,
        layer: LayerIdx,
        digest: Digest,
        millis: f64,
    },
    /// A file read finished (the bytes travel beside). `total` is the file's size.
    #[serde(skip)]
    Content {
        job: JobId,
        offset: u64,
        total: u64,
        bytes: Vec<u8>,
    },
    /// A registry image is open: how it is reached (the page hands this to the pool).
    RegistryOpened { access: RegistryAccess },
    /// The dropped file is a snapshot: the worker decompressed it (bounded), the wire
    /// validated it on arrival.
    #[serde(skip)]
    Snapshot {
        file_size: u64,
        snapshot: Box<Snapshot>,
    },
    /// An image read whole for a comparison, as a snapshot, with its packages (`None` when
    /// they could not be read).
    #[serde(skip)]
    Analysed {
        snapshot: Box<Snapshot>,
        /// The archive's images (one for a registry image), and which of them this is: so the
        /// page can offer the others, never silently taking the first.
        images: Vec<ListedImage>,
        image: usize,
        packages: Option<Box<PackageReport>>,
    },
    /// The package analysis of `AnalysePackages` (the report travels as JSON beside).
    /// `millis`: its time in the worker; `memory`: the worker's wasm memory after it.
    #[serde(skip)]
    Packages {
        job: JobId,
        millis: f64,
        memory: u64,
        report: Box<PackageReport>,
    },
    /// `CompressSnapshot`'s answer: the snapshot file (its bytes travel beside the JSON).
    #[serde(skip)]
    SnapshotFile { bytes: Arrived },
    /// The repository's tags.
    Tags {
        repository: String,
        tags: Vec<String>,
    },
    /// Lookup `lookup`'s answer: the report (the engine's own: every check and how it came
    /// out), or why there is none; `key_error` when the key given could not be read (the
    /// report is then made without it).
    SupplyChain {
        lookup: u64,
        result: Result<Box<SupplyChain>, ErrorInfo>,
        key_error: Option<String>,
    },
    /// A request failed; `job` says which, when it had one.
    Failed {
        job: Option<JobId>,
        error: ErrorInfo,
    },
}

impl Response {
    /// Whether this response ends the job its worker was given (a pool frees the worker on
    /// it). Every variant says so here, so a new one cannot be forgotten.
    pub fn ends_job(&self) -> bool {
        match self {
            Response::Scanned { .. }
            | Response::Hashed { .. }
            | Response::Content { .. }
            | Response::Packages { .. }
            | Response::Failed { .. } => true,
            Response::Ready
            | Response::Progress { .. }
            | Response::Opened { .. }
            | Response::Loaded { .. }
            | Response::ScanProgress { .. }
            | Response::RegistryOpened { .. }
            | Response::Snapshot { .. }
            | Response::SnapshotFile { .. }
            | Response::Analysed { .. }
            | Response::Tags { .. }
            | Response::SupplyChain { .. } => false,
        }
    }

    /// The job this response is about, when it is about one.
    pub fn job(&self) -> Option<JobId> {
        match self {
            Response::ScanProgress { job, .. }
            | Response::Scanned { job, .. }
            | Response::Hashed { job, .. }
            | Response::Packages { job, .. }
            | Response::Content { job, .. } => Some(*job),
            Response::Failed { job, .. } => *job,
            _ => None,
        }
    }
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
    /// Its layers as the archive stores them (`ArchiveImage::stored_layers`): which images of
    /// the archive share a layer. Empty where the archive does not list them.
    #[serde(default)]
    pub layers: Vec<String>,
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

/// Bytes of one file, read by a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct FileBytes {
    pub bytes: Rc<Vec<u8>>,
    /// Where these bytes start in the file.
    pub offset: u64,
    /// The file's whole size.
    pub total: u64,
}

/// Which image of the page a file is read from: the open one, or the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    #[default]
    A,
    B,
}

/// A request to read (part of) a file in a layer.
#[derive(Debug, Clone)]
pub struct ReadJob {
    pub side: Side,
    pub layer: LayerIdx,
    /// The entry's index in that layer's index.
    pub entry: usize,
    pub offset: u64,
    /// `None`: the whole file.
    pub len: Option<u64>,
    pub reply: Callback<Result<FileBytes, ErrorInfo>>,
}

/// How components ask for file contents (given by context).
#[derive(Clone, PartialEq)]
pub struct Reader(pub Callback<ReadJob>);

/// A registry image to open, from the registry form: the reference and, for a private
/// registry, credentials (kept in this tab's memory only).
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryRequest {
    pub reference: String,
    pub credentials: Option<Credentials>,
    /// The platform's manifest digest, when a link names one.
    pub platform: Option<String>,
}
