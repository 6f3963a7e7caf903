//! Reading the package databases out of an image, without I/O: [`PackageScan`] looks at the
//! tree's layer indexes, asks for the bytes it needs as [`ReadRequest`]s (one file's range in
//! one layer, grouped by layer so a host serves a compressed layer in one decompression pass),
//! and parses what it is handed. Round 1 reads every version of every database and metadata
//! file (each layer that wrote one, found through the paths' timelines); later rounds probe
//! executables that no OS package owns (Go and Rust build information) and jars (Maven), a few
//! ranges at a time. Then [`PackageScan::finish`] builds the report.
//!
//! Memory stays bounded: a file is read whole only up to `max_package_db_bytes`, at most
//! `max_package_files` files are read, and each answer is parsed (and dropped) when it
//! arrives.

use super::dpkg::{self, DpkgFile};
use super::elf::ElfProbe;
use super::maven::{self, JarProbe};
use super::model::Package;
use super::os_release::{self, OsRelease};
use super::probe::{Found, Probe, Step};
use super::python::{self, PythonFile};
use super::rpm::{self, RpmDb};
use super::{apk, npm};
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::layer::content::{RangeRequest, StoredFile};
use crate::layer::scan::Captured;
use crate::limits::Limits;
use crate::paths::PathId;
use crate::tar::EntryKind;
use crate::tree::{Change, ImageTree};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One read the analysis wants: `range` of the file that entry `entry` of layer `layer`
/// (0-based) is. The entry travels inside `range`, so a host that has only the layer's blob
/// can serve it with [`crate::layer::content::read_ranges`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRequest {
    pub layer: usize,
    pub entry: u32,
    pub range: RangeRequest,
}

/// What a file is to the package analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceKind {
    Dpkg(DpkgFile),
    Apk,
    Rpm(RpmDb),
    Python(PythonFile),
    Npm,
    OsRelease,
    /// An executable probed for build information, or a jar.
    Probe,
}

/// A source file parsed.
#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    Packages(Vec<Package>),
    /// A file list (dpkg `.list`, `md5sums`, Python `RECORD`), absolute paths.
    Files(Vec<String>),
    Os(OsRelease),
    Found(Found),
}

/// One version of a source file: what layer `layer` wrote at `path`.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub path: PathId,
    pub layer: usize,
    pub kind: SourceKind,
    /// `None` when it could not be read (a diagnostic says why).
    pub parsed: Option<Parsed>,
}

#[derive(Debug)]
struct Target {
    layer: usize,
    entry: u32,
    path: PathId,
    kind: SourceKind,
    probe: Option<Box<dyn Probe>>,
    /// The ranges asked for in this round, answered in order.
    asked: usize,
}

/// The package analysis in progress: see the module's documentation.
#[derive(Debug)]
pub struct PackageScan {
    limits: Limits,
    targets: Vec<Target>,
    /// This round's requests, and for each the target it is for.
    requests: Vec<ReadRequest>,
    request_targets: Vec<usize>,
    probing: bool,
    limit_said: bool,
    pub(crate) versions: Vec<Version>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// What a path is, by name (and kind: a distutils `.egg-info` may be a file or a directory).
pub(crate) fn classify(path: &str, is_file: bool) -> Option<SourceKind> {
    if let Some(d) = dpkg::classify(path) {
        return Some(SourceKind::Dpkg(d));
    }
    if path == apk::INSTALLED {
        return Some(SourceKind::Apk);
    }
    if let Some(r) = rpm::classify(path) {
        return Some(SourceKind::Rpm(r));
    }
    if os_release::PATHS.contains(&path) {
        return Some(SourceKind::OsRelease);
    }
    if npm::classify(path).is_some() {
        return Some(SourceKind::Npm);
    }
    python::classify(path, is_file).map(SourceKind::Python)
}

/// The package managers' own files (dpkg's maintainer scripts, rpm's and apk's databases):
/// executable, and owned by the package manager rather than by a package.
pub(crate) fn is_package_metadata(path: &str) -> bool {
    [
        "var/lib/dpkg/",
        "lib/apk/db/",
        "var/lib/rpm/",
        "usr/lib/sysimage/rpm/",
    ]
    .iter()
    .any(|d| path.starts_with(d))
}

/// The scan's capture rule for the package databases: each file up to 16 MiB, 32 MiB a layer
/// (a 500-package dpkg database and its lists are ~3 MiB; a larger rpmdb is read afterwards,
/// by range, like anything over the budget).
pub const CAPTURE: crate::layer::scan::CaptureRule = crate::layer::scan::CaptureRule {
    prefilter: likely_source,
    wants: wants_content,
    max_file: 16 << 20,
    budget: 32 << 20,
};

/// Whether a file (by its parent directory's name and its own) may be a package database or
/// metadata file: a cheap test the scan makes for every entry before building its path.
pub fn likely_source(parent: &str, name: &str) -> bool {
    matches!(
        name,
        "status"
            | "installed"
            | "rpmdb.sqlite"
            | "Packages"
            | "Packages.db"
            | "os-release"
            | "METADATA"
            | "RECORD"
            | "PKG-INFO"
            | "installed-files.txt"
            | "package.json"
    ) || name.ends_with(".list")
        || name.ends_with(".md5sums")
        || name.ends_with(".egg-info")
        || parent == "status.d"
}

/// Whether the package analysis reads the file at `path` whole (see [`classify`]).
pub fn wants_content(path: &str) -> bool {
    classify(path, true).is_some_and(|k| k != SourceKind::Probe)
}

/// Executables worth probing: any execute bit, and big enough to hold an ELF header.
const MIN_PROBE_SIZE: u64 = 64;

impl PackageScan {
    /// Plans the first round: every version of every package database in the image.
    pub fn new(tree: &ImageTree, limits: &Limits) -> PackageScan {
        Self::with_captured(tree, limits, &[])
    }

    /// [`PackageScan::new`], with the files the layer scans kept (per layer,
    /// [`crate::scan_image_capturing`] with [`CAPTURE`]): those are parsed at once, the rest
    /// asked for.
    pub fn with_captured(
        tree: &ImageTree,
        limits: &Limits,
        captured: &[Vec<Captured>],
    ) -> PackageScan {
        let mut scan = PackageScan {
            limits: limits.clone(),
            targets: Vec::new(),
            requests: Vec::new(),
            request_targets: Vec::new(),
            probing: false,
            limit_said: false,
            versions: Vec::new(),
            diagnostics: Vec::new(),
        };
        for layer in 0..tree.n_layers() {
            for p in tree.layer_paths(layer) {
                let Some((entry, e)) = file_entry(tree, p, layer) else {
                    continue;
                };
                let path = tree.paths.path(p);
                let Some(kind) = classify(&path, true) else {
                    continue;
                };
                if e.size > scan.limits.max_package_db_bytes {
                    scan.diagnostics.push(Diagnostic::warning(
                        "package-db-too-large",
                        format!("layer {}: {path}", layer + 1),
                        format!(
                            "this file is {} bytes, over the limit `max_package_db_bytes` ({}); its packages are not read",
                            e.size, scan.limits.max_package_db_bytes
                        ),
                    ));
                    continue;
                }
                scan.add_target(tree, layer, entry, p, kind, None);
            }
        }
        scan.ask_whole_files(tree, captured);
        if scan.requests.is_empty() {
            // No database at all: straight to the probes.
            scan.answer(tree, Vec::new());
        }
        scan
    }

    fn add_target(
        &mut self,
        tree: &ImageTree,
        layer: usize,
        entry: u32,
        path: PathId,
        kind: SourceKind,
        probe: Option<Box<dyn Probe>>,
    ) -> bool {
        if self.targets.len() as u64 >= self.limits.max_package_files {
            if !self.limit_said {
                self.limit_said = true;
                self.diagnostics.push(Diagnostic::warning(
                    "package-files-limit",
                    format!("layer {}: {}", layer + 1, tree.paths.path(path)),
                    format!(
                        "the package analysis reads at most {} files (`max_package_files`); this one and the rest are not read",
                        self.limits.max_package_files
                    ),
                ));
            }
            return false;
        }
        self.targets.push(Target {
            layer,
            entry,
            path,
            kind,
            probe,
            asked: 0,
        });
        true
    }

    fn ask_whole_files(&mut self, tree: &ImageTree, captured: &[Vec<Captured>]) {
        for i in 0..self.targets.len() {
            let (layer, entry) = (self.targets[i].layer, self.targets[i].entry);
            let e = tree.layers[layer].entries[entry as usize];
            let kept = captured.get(layer).and_then(|c| {
                let at = c.partition_point(|x| x.entry < entry);
                c.get(at)
                    .filter(|x| x.entry == entry && x.bytes.len() as u64 == e.size)
            });
            if let Some(kept) = kept {
                let subject = format!(
                    "layer {}: {}",
                    layer + 1,
                    tree.paths.path(self.targets[i].path)
                );
                let parsed = self.parse(tree, i, &kept.bytes, &subject);
                let t = &self.targets[i];
                self.versions.push(Version {
                    path: t.path,
                    layer: t.layer,
                    kind: t.kind.clone(),
                    parsed,
                });
                continue;
            }
            self.requests.push(request(tree, layer, entry, 0, e.size));
            self.request_targets.push(i);
            self.targets[i].asked = 1;
        }
        self.sort_requests();
    }

    /// Requests sorted by layer, then by where the bytes are in the layer (what a host reads
    /// in one pass).
    fn sort_requests(&mut self) {
        let mut order: Vec<usize> = (0..self.requests.len()).collect();
        order.sort_by_key(|&i| {
            let r = &self.requests[i];
            (r.layer, r.range.file.entry.data_offset + r.range.offset)
        });
        let requests = std::mem::take(&mut self.requests);
        let targets = std::mem::take(&mut self.request_targets);
        let mut slots: Vec<Option<ReadRequest>> = requests.into_iter().map(Some).collect();
        for i in order {
            if let Some(r) = slots[i].take() {
                self.requests.push(r);
                self.request_targets.push(targets[i]);
            }
        }
    }

    /// The reads this round needs, sorted by layer; empty once the scan is done.
    pub fn requests(&self) -> &[ReadRequest] {
        &self.requests
    }

    pub fn is_done(&self) -> bool {
        self.requests.is_empty()
    }

    /// Hands over the answers to [`PackageScan::requests`], in the same order, and plans the
    /// next round.
    pub fn answer(&mut self, tree: &ImageTree, answers: Vec<Result<Vec<u8>, Error>>) {
        let targets = std::mem::take(&mut self.request_targets);
        self.requests.clear();
        // Group answers by target, keeping each target's order.
        let mut per_target: Vec<Vec<Result<Vec<u8>, Error>>> =
            (0..self.targets.len()).map(|_| Vec::new()).collect();
        let mut n_answers = 0;
        for (t, a) in targets.iter().zip(answers) {
            per_target[*t].push(a);
            n_answers += 1;
        }
        if n_answers < targets.len() {
            self.diagnostics.push(Diagnostic::error(
                "package-read",
                "packages",
                format!(
                    "the host answered {n_answers} of {} reads; the rest are treated as unreadable",
                    targets.len()
                ),
            ));
        }
        let mut touched: Vec<usize> = targets.clone();
        touched.sort_unstable();
        touched.dedup();
        let mut next = Vec::new();
        for t in touched {
            let got = std::mem::take(&mut per_target[t]);
            let subject = format!(
                "layer {}: {}",
                self.targets[t].layer + 1,
                tree.paths.path(self.targets[t].path)
            );
            if got.len() < self.targets[t].asked {
                // Left unanswered (see the note above).
                self.targets[t].probe = None;
                continue;
            }
            let mut bytes = Vec::with_capacity(got.len());
            let mut failed = None;
            for a in got {
                match a {
                    Ok(b) => bytes.push(b),
                    Err(e) => failed = Some(e),
                }
            }
            if let Some(e) = failed {
                self.diagnostics.push(Diagnostic::error(
                    "package-read",
                    subject,
                    format!("this file could not be read: {e}"),
                ));
                let target = &mut self.targets[t];
                target.probe = None;
                self.versions.push(Version {
                    path: target.path,
                    layer: target.layer,
                    kind: target.kind.clone(),
                    parsed: None,
                });
                continue;
            }
            match self.targets[t].probe.as_mut() {
                Some(probe) => match probe.step(bytes) {
                    Step::Want(ranges) => next.push((t, ranges)),
                    Step::Done(found) => self.found(t, found, &subject),
                },
                None => {
                    let data = bytes.concat();
                    let parsed = self.parse(tree, t, &data, &subject);
                    let target = &self.targets[t];
                    self.versions.push(Version {
                        path: target.path,
                        layer: target.layer,
                        kind: target.kind.clone(),
                        parsed,
                    });
                }
            }
        }
        if !self.probing {
            self.probing = true;
            next.extend(self.plan_probes(tree));
        }
        for (t, ranges) in next {
            let target = &mut self.targets[t];
            let e = tree.layers[target.layer].entries[target.entry as usize];
            target.asked = ranges.len();
            for (offset, len) in ranges {
                let len = len.min(e.size.saturating_sub(offset));
                self.requests
                    .push(request(tree, target.layer, target.entry, offset, len));
                self.request_targets.push(t);
            }
        }
        self.sort_requests();
    }

    fn found(&mut self, t: usize, found: Found, subject: &str) {
        for p in &found.problems {
            self.diagnostics.push(Diagnostic::note(
                "package-probe",
                subject.to_owned(),
                p.clone(),
            ));
        }
        let target = &mut self.targets[t];
        target.probe = None;
        self.versions.push(Version {
            path: target.path,
            layer: target.layer,
            kind: SourceKind::Probe,
            parsed: Some(Parsed::Found(found)),
        });
    }

    fn parse(&mut self, tree: &ImageTree, t: usize, data: &[u8], subject: &str) -> Option<Parsed> {
        let max = usize::try_from(self.limits.max_packages).unwrap_or(usize::MAX);
        let path = tree.paths.path(self.targets[t].path);
        let text = || String::from_utf8_lossy(data);
        let kind = self.targets[t].kind.clone();
        let mut problem = |d: Diagnostic| self.diagnostics.push(d);
        let parsed = match kind {
            SourceKind::Dpkg(DpkgFile::Status) | SourceKind::Dpkg(DpkgFile::StatusD) => {
                let status_d = kind == SourceKind::Dpkg(DpkgFile::StatusD);
                let (pkgs, _) = dpkg::parse_status(&text(), status_d, max);
                if pkgs.len() >= max {
                    problem(limit_note(subject, max));
                }
                Parsed::Packages(pkgs)
            }
            SourceKind::Dpkg(DpkgFile::List { .. }) => {
                Parsed::Files(dpkg::parse_list(&text(), max))
            }
            SourceKind::Dpkg(DpkgFile::Md5sums { .. }) => {
                Parsed::Files(dpkg::parse_md5sums(&text(), max))
            }
            SourceKind::Apk => {
                let pkgs = apk::parse_installed(&text(), max);
                if pkgs.len() >= max {
                    problem(limit_note(subject, max));
                }
                Parsed::Packages(pkgs)
            }
            SourceKind::Rpm(db) => match rpm::read(db, data, max, max) {
                Ok((pkgs, problems)) => {
                    for p in problems {
                        problem(Diagnostic::warning("rpm-header", subject.to_owned(), p));
                    }
                    Parsed::Packages(pkgs)
                }
                Err(e) => {
                    problem(Diagnostic::error(
                        "package-db",
                        subject.to_owned(),
                        format!("the rpm database cannot be read: {e}"),
                    ));
                    return None;
                }
            },
            SourceKind::Python(PythonFile::Metadata) => {
                Parsed::Packages(python::parse_metadata(&text()).into_iter().collect())
            }
            SourceKind::Python(PythonFile::Record) => {
                let base = path
                    .rsplit_once('/')
                    .and_then(|(d, _)| d.rsplit_once('/'))
                    .map_or("", |(p, _)| p);
                Parsed::Files(python::parse_record(&text(), base, max))
            }
            SourceKind::Python(PythonFile::InstalledFiles) => {
                let base = path.rsplit_once('/').map_or("", |(d, _)| d);
                Parsed::Files(python::parse_installed_files(&text(), base, max))
            }
            SourceKind::Npm => {
                let dir = npm::classify(&path).unwrap_or("");
                match npm::parse_package_json(data, dir) {
                    Ok(p) => Parsed::Packages(vec![p]),
                    Err(e) => {
                        problem(Diagnostic::note(
                            "package-metadata",
                            subject.to_owned(),
                            format!("not read as a package: {e}"),
                        ));
                        return None;
                    }
                }
            }
            SourceKind::OsRelease => match os_release::parse(&text(), &path) {
                Some(os) => Parsed::Os(os),
                None => return None,
            },
            SourceKind::Probe => return None,
        };
        Some(parsed)
    }

    /// After round 1: the executables and jars no OS package owns become probes.
    fn plan_probes(&mut self, tree: &ImageTree) -> Vec<(usize, Vec<(u64, u64)>)> {
        let owned = self.os_owned(tree);
        let mut out = Vec::new();
        let max = usize::try_from(self.limits.max_packages).unwrap_or(usize::MAX);
        for layer in 0..tree.n_layers() {
            for p in tree.layer_paths(layer) {
                let Some((entry, e)) = file_entry(tree, p, layer) else {
                    continue;
                };
                if e.size < MIN_PROBE_SIZE {
                    continue;
                }
                let jar = maven::is_archive(tree.paths.name(p));
                if !jar && e.mode & 0o111 == 0 {
                    continue;
                }
                // Only what no OS package owns: a jar or binary a dpkg/rpm/apk package
                // installed is that package already (and probing each costs rounds of reads);
                // nor the package managers' own scripts.
                if owned.contains(&p.0) || is_package_metadata(&tree.paths.path(p)) {
                    continue;
                }
                let probe: Box<dyn Probe> = if jar {
                    Box::new(JarProbe::new(e.size, self.limits.max_package_db_bytes, max))
                } else {
                    Box::new(ElfProbe::new(e.size, self.limits.max_package_db_bytes, max))
                };
                if !self.add_target(tree, layer, entry, p, SourceKind::Probe, Some(probe)) {
                    return out;
                }
                let t = self.targets.len() - 1;
                if let Some(probe) = self.targets[t].probe.as_mut() {
                    match probe.step(Vec::new()) {
                        Step::Want(r) => out.push((t, r)),
                        Step::Done(f) => {
                            let subject = format!("layer {}: {}", layer + 1, tree.paths.path(p));
                            self.found(t, f, &subject);
                        }
                    }
                }
            }
        }
        out
    }

    /// Paths any version of an OS package database says a package installed.
    fn os_owned(&self, tree: &ImageTree) -> HashSet<u32> {
        let mut owned = HashSet::new();
        for v in &self.versions {
            let files: Vec<&String> = match (&v.kind, &v.parsed) {
                (SourceKind::Dpkg(_), Some(Parsed::Files(f))) => f.iter().collect(),
                (SourceKind::Apk | SourceKind::Rpm(_), Some(Parsed::Packages(p))) => {
                    p.iter().flat_map(|p| &p.files).collect()
                }
                _ => continue,
            };
            let mut resolver = Resolver::new(tree, v.layer);
            for f in files {
                if let Some(id) = resolver.resolve(f) {
                    owned.insert(id.0);
                }
            }
        }
        owned
    }
}

fn limit_note(subject: &str, max: usize) -> Diagnostic {
    Diagnostic::warning(
        "package-limit",
        subject.to_owned(),
        format!("only the first {max} packages are read (`max_packages`)"),
    )
}

fn request(tree: &ImageTree, layer: usize, entry: u32, offset: u64, len: u64) -> ReadRequest {
    let index = &tree.layers[layer];
    ReadRequest {
        layer,
        entry,
        range: RangeRequest {
            file: StoredFile::of(index, entry as usize),
            offset,
            len,
        },
    }
}

/// The regular file layer `layer` wrote at `p` (a hard link's target, in the same layer), if
/// it wrote one with new content.
pub(crate) fn file_entry(
    tree: &ImageTree,
    p: PathId,
    layer: usize,
) -> Option<(u32, &crate::layer::Entry)> {
    let ev = tree.event_in(p, layer)?;
    if !matches!(ev.change, Change::Added | Change::Modified) {
        return None;
    }
    let i = ev.entry()?;
    let index = &tree.layers[layer];
    let e = &index.entries[i];
    match e.kind {
        EntryKind::File => Some((i as u32, e)),
        EntryKind::Hardlink => {
            let t = tree.hardlink_target(layer, e)?;
            let ti = index.entries.iter().position(|x| std::ptr::eq(x, t))?;
            (t.kind == EntryKind::File).then_some((ti as u32, t))
        }
        _ => None,
    }
}

/// The tree's path for an absolute path a package database names, as it is after layer
/// `layer`: directories on the way that are symlinks are followed (Debian's merged /usr lists
/// `/bin/ls`, which is `usr/bin/ls` in the layers), the last component is not.
pub fn resolve(tree: &ImageTree, path: &str, layer: usize) -> Option<PathId> {
    walk(tree, path, layer, false, &mut Vec::new())
}

/// [`resolve`] for many paths at one layer: a package lists its files directory by
/// directory, so each directory is walked once and each file is one lookup in it.
pub struct Resolver<'t> {
    tree: &'t ImageTree,
    layer: usize,
    dirs: HashMap<&'t str, Option<PathId>, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
    /// The directory of the last path (a list names a directory's files one after another).
    last: Option<(&'t str, Option<PathId>)>,
    todo: Vec<&'t str>,
}

impl<'t> Resolver<'t> {
    pub fn new(tree: &'t ImageTree, layer: usize) -> Self {
        Resolver {
            tree,
            layer,
            dirs: HashMap::default(),
            last: None,
            todo: Vec::new(),
        }
    }

    pub fn resolve(&mut self, path: &'t str) -> Option<PathId> {
        let trimmed = path.trim_end_matches('/');
        let (dir, name) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
        if matches!(name, "" | "." | "..") {
            return walk(self.tree, path, self.layer, false, &mut self.todo);
        }
        let id = match self.last {
            Some((last, id)) if last == dir => id,
            _ => {
                let id = match self.dirs.get(dir) {
                    Some(d) => *d,
                    None => {
                        let d = walk(self.tree, dir, self.layer, true, &mut self.todo);
                        self.dirs.insert(dir, d);
                        d
                    }
                };
                self.last = Some((dir, id));
                id
            }
        };
        self.tree.paths.get_child(id?, name)
    }
}

/// Walks `path`'s components from the root, following symlinked directories as they were
/// after `layer` (and the last component too when `follow_last`: a directory is wanted).
/// The components are borrowed from the path and the layers' link targets: nothing is
/// allocated but `todo`, which the caller keeps.
fn walk<'t>(
    tree: &'t ImageTree,
    path: &'t str,
    layer: usize,
    follow_last: bool,
    todo: &mut Vec<&'t str>,
) -> Option<PathId> {
    let parts = |p: &'t str| p.split('/').filter(|s| !s.is_empty() && *s != ".").rev();
    todo.clear();
    todo.extend(parts(path));
    let mut cur = PathId::ROOT;
    let mut hops = 0;
    while let Some(name) = todo.pop() {
        if name == ".." {
            cur = tree.paths.parent(cur).unwrap_or(PathId::ROOT);
            continue;
        }
        let child = tree.paths.get_child(cur, name)?;
        if todo.is_empty() && !follow_last {
            return Some(child);
        }
        let state = tree.state_at(child, layer)?;
        let entry = tree.entry(state).filter(|_| state.is_present());
        match entry {
            Some(e) if e.kind == EntryKind::Symlink => {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                let target = tree.layers[state.layer as usize].link(e).unwrap_or("");
                if target.starts_with('/') {
                    cur = PathId::ROOT;
                }
                todo.extend(parts(target));
            }
            _ => cur = child,
        }
    }
    // A package's path that ends at the root names no file; a directory may be the root.
    (follow_last || cur != PathId::ROOT).then_some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::LayerScanner;

    /// A layer from `path/` (a directory), `path->target` (a symlink) and `path` (a file).
    fn layer(entries: &[&str]) -> crate::layer::LayerIndex {
        let mut b = tar::Builder::new(Vec::new());
        for spec in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o755);
            h.set_size(0);
            let path = if let Some((path, target)) = spec.split_once("->") {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_link_name(target).unwrap();
                path
            } else {
                if spec.ends_with('/') {
                    h.set_entry_type(tar::EntryType::Directory);
                }
                spec
            };
            h.set_cksum();
            b.append_data(&mut h, path, &[][..]).unwrap();
        }
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&b.into_inner().unwrap());
        s.finish().index
    }

    #[test]
    fn the_resolver_answers_as_a_walk_from_the_root_does() {
        // Debian's merged /usr (bin -> usr/bin), an absolute link to a directory, a link that
        // goes up, a loop, and a directory that becomes a link in a later layer.
        let tree = ImageTree::build(vec![
            layer(&[
                "usr/",
                "usr/bin/",
                "usr/bin/ls",
                "usr/lib/",
                "usr/lib/x/",
                "usr/lib/x/a.so",
                "bin->usr/bin",
                "lib->/usr/lib",
                "opt/",
                "opt/up->../usr/lib/x",
                "opt/loop->loop",
                "etc/",
                "etc/app/",
                "etc/app/conf",
                "srv/",
                "srv/data",
            ]),
            layer(&["etc/app->/srv"]),
        ]);
        let paths = [
            "/bin/ls",
            "/usr/bin/ls",
            "/bin/",
            "/bin",
            "/lib/x/a.so",
            "/opt/up/a.so",
            "/opt/loop/a",
            "/etc/app/conf",
            "/etc/app/data",
            "/usr/../bin/ls",
            "/./usr/bin/./ls",
            "/nope/ls",
            "/bin/nope",
            "/",
            "",
            "/usr/bin/ls/..",
            "lib/x/a.so",
        ];
        for layer in 0..2 {
            let mut resolver = Resolver::new(&tree, layer);
            for p in paths {
                let walked = resolve(&tree, p, layer);
                assert_eq!(resolver.resolve(p), walked, "{p} after layer {}", layer + 1);
            }
        }
        let named = |p, layer| resolve(&tree, p, layer).map(|id| tree.paths.path(id));
        assert_eq!(named("/bin/ls", 0).as_deref(), Some("usr/bin/ls"));
        assert_eq!(named("/opt/up/a.so", 0).as_deref(), Some("usr/lib/x/a.so"));
        assert_eq!(
            named("/bin", 0).as_deref(),
            Some("bin"),
            "the last component is not followed"
        );
        assert_eq!(named("/etc/app/conf", 0).as_deref(), Some("etc/app/conf"));
        assert_eq!(named("/etc/app/data", 1).as_deref(), Some("srv/data"));
        assert_eq!(named("/etc/app/conf", 1), None, "gone with the directory");
        assert_eq!(named("/opt/loop/a", 0), None);
    }
}
