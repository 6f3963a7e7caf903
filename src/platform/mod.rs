//! All browser glue lives here (invariant 6): reading a `File` by range, workers and the
//! messages to and from them, the URL fragment, the clipboard, downloads, window events.
//! Components call these and never touch bytes or browser APIs for data themselves.

pub mod blob_source;
pub mod browser;
pub mod registry_client;
pub mod worker_client;
pub mod worker_pool;
pub mod workers;
