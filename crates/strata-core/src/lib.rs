//! Strata's engine: it understands container image archives and does no I/O.
//!
//! Hosts (the web app's workers, the `strata` CLI, the tests) implement [`ReadAt`] over
//! whatever holds the bytes and hand it to [`open_archive`]. The engine asks for byte ranges,
//! never for the whole archive, and returns data: an [`Archive`] listing the images, an
//! [`Image`] with its manifest, config and layer locations, and view models ([`Overview`]).
//! Problems a user can live with are [`Diagnostic`]s in that data; problems that stop the
//! reading are [`Error`]s that say what is wrong and where.
//!
//! `clippy.toml` beside this crate bans file, network, environment and clock calls, so the same
//! code runs natively and in `wasm32-unknown-unknown`.

pub mod analysis;
pub mod archive;
pub mod content;
pub mod diagnostic;
pub mod diff;
pub mod digest;
pub mod equivalents;
pub mod error;
pub mod explorer;
pub mod fuzzing;
pub mod hints;
pub mod history;
pub mod image;
pub mod inspect;
pub mod layer;
pub mod lessons;
pub mod limits;
pub mod model;
pub mod overview;
pub mod paths;
pub mod preview;
pub mod registry;
pub mod registry_source;
pub mod snapshot;
pub mod source;
pub mod tar;
pub mod text;
pub mod tree;

pub use analysis::{Analysis, analyse, scan_image};
pub use archive::{
    Archive, ArchiveFormat, ArchiveImage, ImageTarget, ManifestChoice, open_archive,
};
pub use diagnostic::{Diagnostic, Severity};
pub use digest::{DiffId, Digest, Sha256Stream};
pub use error::Error;
pub use image::{BlobLocation, Compression, Image, Layer, ManifestPick, load_image};
pub use layer::{LayerIndex, LayerScan, LayerScanner, scan_layer};
pub use limits::Limits;
pub use model::{Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform, RawJson};
pub use overview::{Overview, overview};
pub use paths::{PathId, PathTable};
pub use source::{MemorySource, ReadAt, ShortReads, SliceSource, SourceError};
pub use tree::{Change, ChangeCounts, FileInfo, ImageTree, WasteReport};
