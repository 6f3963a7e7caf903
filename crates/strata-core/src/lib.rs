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

// The ground floor, used by every other: bytes in, identities, limits, errors, text.
pub mod diagnostic;
pub mod digest;
pub mod error;
pub mod fuzzing;
pub mod layer_idx;
pub mod limits;
pub mod source;
pub mod text;

// Three floors, each built on the one below (see ARCHITECTURE.md). The floors are folders for
// the reader; their modules are re-exported here, so each has one public path
// (`strata_core::tree`, not `strata_core::analysis::tree`).
mod analysis;
mod formats;
mod views;

pub use analysis::{diff, dive, hints, packages, paths, supply_chain, tree};
pub use formats::{archive, image, layer, model, registry, tar};
/// The Packages view's models (`views/packages.rs`; `strata_core::packages` is the analysis).
pub use views::packages as package_view;
pub use views::{
    equivalents, exercises, explorer, history, inspect, lessons, overview, preview, report,
    sbom_comparison, snapshot, supply_chain_view,
};

pub use analysis::read::{
    Analysing, Analysis, LayerScanSummary, LayerStatus, analyse, build_tree, scan_image,
    scan_image_capturing, verify_layer,
};
pub use archive::{
    Archive, ArchiveFormat, ArchiveImage, ImageTarget, ManifestChoice, open_archive,
};
pub use diagnostic::{Diagnostic, Severity};
pub use digest::{DiffId, Digest, Sha256Stream};
pub use error::Error;
pub use image::{BlobLocation, Image, Layer, ManifestPick, load_image};
pub use layer::decode::Compression;
pub use layer::{LayerIndex, LayerScan, LayerScanner, scan_layer};
pub use layer_idx::LayerIdx;
pub use limits::Limits;
pub use model::{Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform, RawJson};
pub use overview::{Overview, overview};
pub use paths::{PathId, PathTable};
pub use source::{MemorySource, ReadAt, ShortReads, SliceSource, SourceError};
pub use tree::{Change, ChangeCounts, FileInfo, ImageTree, WasteReport};
