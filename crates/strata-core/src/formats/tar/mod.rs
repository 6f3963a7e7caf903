//! Tar, the container image's envelope twice over: the archive a user drops is a tar, and each
//! layer inside it is one. [`reader`] is a push-driven tar reader shared by both; [`scan`]
//! indexes the outer archive by range reads; [`header`] parses header blocks and PAX records.

pub mod header;
pub mod reader;
pub mod scan;

pub use reader::{EntryKind, Sparse, TarEnd, TarEntry, TarReader};
pub use scan::{ArchiveEntries, ArchiveEntry, normalise, resolve_dots, scan_archive};
