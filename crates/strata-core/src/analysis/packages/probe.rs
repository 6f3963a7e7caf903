//! Files read in a few rounds rather than whole: an executable's ELF header, then its section
//! headers, then the sections that carry build information; a jar's end, then its central
//! directory, then the entries wanted. A [`Probe`] says which ranges it wants next and is
//! handed them; the scan batches every probe's wants per layer, so a compressed layer is
//! decompressed once per round, not once per file.

use super::model::Package;
use serde::{Deserialize, Serialize};

/// What a probe wants next, or what it found.
#[derive(Debug)]
pub enum Step {
    /// `(offset, length)` ranges of the file, answered in order.
    Want(Vec<(u64, u64)>),
    Done(Found),
}

/// What a probed file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// An ELF file without build information Strata reads.
    Elf,
    /// An ELF file with Go build information (`.go.buildinfo`).
    GoBinary,
    /// An ELF file with a `cargo auditable` dependency list (`.dep-v0`).
    RustBinary,
    /// Starts with `#!`.
    Script,
    /// A zip archive (jar, war, ear).
    Jar,
    #[default]
    Other,
}

impl FileKind {
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Elf => "an ELF binary",
            FileKind::GoBinary => "a Go binary",
            FileKind::RustBinary => "a Rust binary (cargo auditable)",
            FileKind::Script => "a script",
            FileKind::Jar => "a Java archive",
            FileKind::Other => "an executable file",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Found {
    pub kind: FileKind,
    pub packages: Vec<Package>,
    /// What could not be read, for diagnostics.
    pub problems: Vec<String>,
}

impl Found {
    pub fn of(kind: FileKind) -> Step {
        Step::Done(Found {
            kind,
            ..Found::default()
        })
    }

    pub fn problem(kind: FileKind, problem: impl Into<String>) -> Step {
        Step::Done(Found {
            kind,
            packages: Vec::new(),
            problems: vec![problem.into()],
        })
    }
}

/// A file read in rounds. The first call gets no answers.
pub trait Probe: std::fmt::Debug {
    fn step(&mut self, answers: Vec<Vec<u8>>) -> Step;
}
