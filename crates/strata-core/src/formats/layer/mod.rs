//! Layers: decompressed as streams ([`decode`]), read as tars and indexed in one pass
//! ([`scan`]), into a compact per-layer file index ([`index`]); one file's bytes read back by
//! range ([`content`]).

pub mod content;
pub mod decode;
pub mod index;
pub mod scan;
pub mod scan_reader;

pub use index::{Entry, LayerIndex, StrId, Whiteout};
pub use scan::{LayerScan, LayerScanner, scan_layer};
pub use scan_reader::{Progress, ScanReader, ScanWindow, Window};
