//! Errors that stop reading an archive or a layer. Each says what is wrong and where (an
//! offset, an entry name, a limit and its value), lowercase without a trailing period, so hosts
//! can show it as is. Problems the rest of the image survives are [`crate::Diagnostic`]s instead.
//!
//! [`Error::summary`] is the one sentence a user reads first; `Display` is the technical detail
//! shown one click away, and [`Error::kind`] a stable name for tests and styling.

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The host could not read bytes it said it had.
    #[error("could not read {len} bytes at offset {offset}: {message}")]
    Source {
        offset: u64,
        len: u64,
        message: String,
    },

    #[error("the file is empty")]
    Empty,

    #[error("not a tar archive: {detail}")]
    NotATar { detail: String },

    #[error(
        "the file is {compression}-compressed: decompress it first (for example `{hint}`) and open the .tar"
    )]
    CompressedArchive {
        compression: &'static str,
        hint: &'static str,
    },

    #[error("{what} is truncated at offset {offset}: {detail}")]
    Truncated {
        what: String,
        offset: u64,
        detail: String,
    },

    #[error("corrupt tar header at offset {offset}: {detail}")]
    CorruptTar { offset: u64, detail: String },

    #[error("limit `{limit}` exceeded: {detail} (the limit is {value})")]
    LimitExceeded {
        limit: &'static str,
        value: u64,
        detail: String,
    },

    #[error(
        "not a container image archive: {n_entries} entries and no manifest.json, OCI index.json or skopeo dir manifest{found}"
    )]
    NotAnImage { n_entries: usize, found: String },

    #[error("`{path}` is not valid JSON: {detail}")]
    BadJson { path: String, detail: String },

    #[error("`{path}` does not describe an image: {detail}")]
    BadManifest { path: String, detail: String },

    #[error("the archive has no file `{path}`, which {referenced_by} names")]
    MissingFile { path: String, referenced_by: String },

    #[error("`{path}` is a link that cannot be followed: {detail}")]
    BadLink { path: String, detail: String },

    #[error("no image matches {wanted}; the archive holds: {available}")]
    NoSuchImage { wanted: String, available: String },

    #[error(
        "{what} cannot be decompressed ({compression}) at compressed offset {offset}: {detail}"
    )]
    Decompress {
        what: String,
        compression: &'static str,
        offset: u64,
        detail: String,
    },

    #[error("{what}: {detail}")]
    Invalid { what: String, detail: String },

    #[error("authentication failed for {registry}: {detail}")]
    RegistryAuth { registry: String, detail: String },

    #[error("not found: {reference} ({detail})")]
    RegistryNotFound { reference: String, detail: String },

    #[error("the registry {registry} answered {status}: {detail}")]
    Registry {
        registry: String,
        status: u16,
        detail: String,
    },

    #[error("cannot reach {registry}: {detail}")]
    Network { registry: String, detail: String },
}

impl Error {
    /// A short, stable name for the kind of problem, for tests and for hosts that style errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Source { .. } => "source",
            Error::Empty => "empty",
            Error::NotATar { .. } => "not-a-tar",
            Error::CompressedArchive { .. } => "compressed-archive",
            Error::Truncated { .. } => "truncated",
            Error::CorruptTar { .. } => "corrupt-tar",
            Error::LimitExceeded { .. } => "limit-exceeded",
            Error::NotAnImage { .. } => "not-an-image",
            Error::BadJson { .. } => "bad-json",
            Error::BadManifest { .. } => "bad-manifest",
            Error::MissingFile { .. } => "missing-file",
            Error::BadLink { .. } => "bad-link",
            Error::NoSuchImage { .. } => "no-such-image",
            Error::Decompress { .. } => "decompress",
            Error::Invalid { .. } => "invalid",
            Error::RegistryAuth { .. } => "registry-auth",
            Error::RegistryNotFound { .. } => "registry-not-found",
            Error::Registry { .. } => "registry",
            Error::Network { .. } => "network",
        }
    }

    /// One sentence for a person who does not know tar headers: what happened and what to do.
    pub fn summary(&self) -> String {
        match self {
            Error::Source { .. } => "The browser could not read the file. Was it moved or deleted while open?".into(),
            Error::Empty => "The file is empty.".into(),
            Error::NotATar { .. } => "This file is not a container image archive (it is not a tar file). Save one with `docker save`, `podman save` or `skopeo copy`.".into(),
            Error::CompressedArchive { compression, hint } => {
                format!("This archive is {compression}-compressed. Decompress it first (`{hint}`), then open the .tar.")
            }
            Error::Truncated { .. } => "The archive is truncated: it ends before its contents do. Was the download or copy interrupted?".into(),
            Error::CorruptTar { .. } => "The archive is damaged: a tar header is corrupt.".into(),
            Error::LimitExceeded { limit, .. } => {
                format!("The image exceeds a safety limit ({limit}). If you trust it, raise the limit in the settings (Limits), or with --limit {limit}=… in the CLI.")
            }
            Error::NotAnImage { .. } => "This is a tar file, but not a container image archive: it has no manifest.json or OCI index.json.".into(),
            Error::BadJson { path, .. } => format!("The archive's `{path}` is not valid JSON."),
            Error::BadManifest { path, .. } => format!("The archive's `{path}` does not describe an image."),
            Error::MissingFile { path, .. } => format!("The archive is incomplete: `{path}` is missing."),
            Error::BadLink { path, .. } => format!("The archive has a broken link at `{path}`."),
            Error::NoSuchImage { wanted, .. } => format!("The archive has no image {wanted}."),
            Error::Decompress { what, .. } => format!("{what} is damaged: it cannot be decompressed."),
            Error::Invalid { what, .. } => format!("{what} is invalid."),
            Error::RegistryAuth { registry, .. } => format!("Authentication failed for {registry}."),
            Error::RegistryNotFound { reference, .. } => format!("Not found: {reference}."),
            Error::Registry { registry, status, .. } => format!("The registry {registry} answered with an error ({status})."),
            Error::Network { registry, .. } => format!("{registry} cannot be reached from here."),
        }
    }
}

/// An error as data: to cross a worker boundary, to sit in a report beside what did load.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorReport {
    /// [`Error::kind`].
    pub kind: String,
    /// [`Error::summary`]: the sentence a user reads first.
    pub summary: String,
    /// The technical detail (`Display`).
    pub detail: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport {
            kind: e.kind().to_owned(),
            summary: e.summary(),
            detail: e.to_string(),
        }
    }
}
