//! All browser glue lives here (invariant 6): reading a `File` by range, the worker and the
//! messages to and from it, the clipboard, the URL. Components call these and never touch
//! bytes themselves.

pub mod blob_source;
pub mod worker_client;
