//! From the database versions a [`super::PackageScan`] read to what the image holds, layer by
//! layer: the packages present after each layer (every database as the last layer that wrote
//! it left it), what each layer added, removed and changed (old → new version, upgrade or
//! downgrade by the package manager's own ordering) with the history step that did it, the
//! bytes each package's files take in each layer, which package owns each file, and the
//! findings ("installed and removed later: still shipped", "unowned executables").

use super::dpkg::{self, DpkgFile};
use super::model::{Ecosystem, Package};
use super::os_release::OsRelease;
use super::probe::FileKind;
use super::python::{self, PythonFile};
use super::scan::{PackageScan, Parsed, Resolver, SourceKind, Version, is_package_metadata};
use super::{npm, sbom, version};
use crate::diagnostic::Diagnostic;
use crate::hints::{Evidence, Hint};
use crate::history::History;
use crate::paths::PathId;
use crate::tar::EntryKind;
use crate::tree::ImageTree;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An index into [`PackageReport::packages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageIdx(pub u32);

impl PackageIdx {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Everything the package analysis found. Layers are 1-based here, as in every view.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PackageReport {
    /// The operating system after the last layer.
    pub os: Option<OsRelease>,
    /// Every package version that was in the image after some layer, in the order they
    /// appeared. The final image's are those with `removed_in: None`.
    pub packages: Vec<PackageInstance>,
    /// One per layer: what it did to the packages.
    pub layers: Vec<LayerPackages>,
    /// Which package owns each path the databases list (global path ids of the tree), sorted
    /// by path; a path owned by successive versions of a package appears once per version.
    pub owners: Vec<Owner>,
    /// Regular files with an execute bit in the final filesystem that no package owns.
    pub unowned_executables: Vec<UnownedFile>,
    pub hints: Vec<Hint>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One version of one package, and where it lived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageInstance {
    pub ecosystem: Ecosystem,
    /// The package as its database describes it (its file list is in `owners`).
    #[serde(flatten)]
    pub package: Package,
    /// The package URL (purl-spec).
    pub purl: String,
    /// Where it was found: the database (`var/lib/dpkg/status`), the metadata directory
    /// (`…/six-1.16.0.dist-info`), the binary or jar.
    pub location: String,
    /// The layer (1-based) it appeared in, and the history step that made that layer.
    pub layer: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<String>,
    /// The layer that removed it or replaced it by another version.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub removed_in: Option<usize>,
    /// Files (not directories) it owns.
    pub n_files: usize,
    /// Bytes of its files in the final filesystem (0 once removed).
    pub bytes: u64,
    /// Bytes of its files each layer wrote.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub layer_bytes: Vec<LayerBytes>,
}

impl PackageInstance {
    pub fn is_final(&self) -> bool {
        self.removed_in.is_none()
    }

    /// Whether it was in the image after layer `layer` (1-based).
    pub fn present_at(&self, layer: usize) -> bool {
        self.layer <= layer && self.removed_in.is_none_or(|r| r > layer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerBytes {
    pub layer: usize,
    pub bytes: u64,
}

/// What one layer did to the packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPackages {
    pub layer: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<String>,
    pub added: Vec<PackageIdx>,
    pub removed: Vec<PackageIdx>,
    pub changed: Vec<VersionChange>,
    /// Bytes of package files this layer wrote, all packages together.
    pub package_bytes: u64,
}

/// A package whose version a layer changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionChange {
    pub from: PackageIdx,
    pub to: PackageIdx,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Upgrade,
    Downgrade,
    /// Different spellings the package manager orders as equal.
    Same,
}

/// Serialised as a pair (`[path, package]`): a report holds one per owned file (~73,000 for a
/// 530-package Debian image), and the web app sends reports from its worker as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(PathId, PackageIdx)", into = "(PathId, PackageIdx)")]
pub struct Owner {
    pub path: PathId,
    pub package: PackageIdx,
}

impl From<(PathId, PackageIdx)> for Owner {
    fn from((path, package): (PathId, PackageIdx)) -> Owner {
        Owner { path, package }
    }
}

impl From<Owner> for (PathId, PackageIdx) {
    fn from(o: Owner) -> (PathId, PackageIdx) {
        (o.path, o.package)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnownedFile {
    pub path: String,
    /// The layer (1-based) that last wrote it, and its step.
    pub layer: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<String>,
    pub bytes: u64,
    pub kind: FileKind,
}

/// A file's owner as a view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOwner {
    /// `None`: not owned by any package.
    pub package: Option<PackageIdx>,
    /// The layer (1-based) that wrote the file as it is, and its step.
    pub layer: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<String>,
}

/// What makes two package records the same package: ecosystem, where it is installed (the
/// site-packages or node_modules directory, the binary, the jar; empty for OS packages), name
/// and architecture (dpkg's `libc6:amd64` and `libc6:i386` are two packages).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    ecosystem: Ecosystem,
    scope: String,
    name: String,
    arch: String,
}

#[derive(Debug, Clone)]
enum Files<'v> {
    /// Borrowed from the database's parsed version while the package is only looked at (it
    /// is in every later layer that rewrote the database: cloning each list there cost more
    /// than the lookups).
    List(Cow<'v, [String]>),
    /// Everything below a directory but nested `node_modules` (npm).
    Dir(String),
}

#[derive(Debug, Clone)]
struct Candidate<'v> {
    key: Key,
    ecosystem: Ecosystem,
    package: Cow<'v, Package>,
    location: String,
    files: Files<'v>,
}

impl PackageScan {
    /// Builds the report from what was read. `history` names each layer's step.
    pub fn finish(self, tree: &ImageTree, history: &History) -> PackageReport {
        build(self.versions, self.diagnostics, tree, history)
    }
}

fn steps_of(history: &History, n: usize) -> Vec<Option<String>> {
    let mut steps = vec![None; n];
    for row in &history.rows {
        if let Some(l) = row.layer
            && l < n
        {
            steps[l] = Some(row.created_by.clone()).filter(|s| !s.is_empty());
        }
    }
    steps
}

fn build(
    versions: Vec<Version>,
    mut diagnostics: Vec<Diagnostic>,
    tree: &ImageTree,
    history: &History,
) -> PackageReport {
    let n = tree.n_layers();
    let steps = steps_of(history, n);
    // Per layer, the source files it changed: Some(version) written, None deleted.
    let by_at: HashMap<(u32, usize), usize> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| ((v.path.0, v.layer), i))
        .collect();
    let sources: BTreeSet<PathId> = versions.iter().map(|v| v.path).collect();
    let mut changes: Vec<Vec<(PathId, Option<usize>)>> = vec![Vec::new(); n];
    for &p in &sources {
        for ev in tree.timeline(p) {
            let l = ev.layer as usize;
            match by_at.get(&(p.0, l)) {
                // Read but not parsed (a diagnostic says why): what was there is kept.
                Some(&v) if versions[v].parsed.is_none() => {}
                Some(&v) => changes[l].push((p, Some(v))),
                None if super::scan::file_entry(tree, p, l).is_some() => {
                    // A file not read (over a limit): kept as it was.
                }
                None if ev.change == crate::tree::Change::Unchanged => {}
                None => changes[l].push((p, None)),
            }
        }
    }
    let mut current: BTreeMap<PathId, usize> = BTreeMap::new();
    let mut instances: Vec<PackageInstance> = Vec::new();
    let mut instance_files: Vec<Files> = Vec::new();
    let mut alive: BTreeMap<Key, Vec<PackageIdx>> = BTreeMap::new();
    let mut layers = Vec::with_capacity(n);
    let mut os: Option<OsRelease> = None;
    for l in 0..n {
        let mut lp = LayerPackages {
            layer: l + 1,
            step: steps[l].clone(),
            ..LayerPackages::default()
        };
        if !changes[l].is_empty() {
            for (p, v) in &changes[l] {
                match v {
                    Some(v) => current.insert(*p, *v),
                    None => current.remove(p),
                };
            }
            os = os_of(&current, &versions);
            let mut now: BTreeMap<Key, Vec<Candidate>> = BTreeMap::new();
            for c in candidates(&current, &versions, tree) {
                let list = now.entry(c.key.clone()).or_default();
                if !list.iter().any(|x| x.package.version == c.package.version) {
                    list.push(c);
                }
            }
            let keys: BTreeSet<Key> = alive.keys().chain(now.keys()).cloned().collect();
            for key in keys {
                let old = alive.remove(&key).unwrap_or_default();
                let new = now.remove(&key).unwrap_or_default();
                let (kept, gone): (Vec<PackageIdx>, Vec<PackageIdx>) =
                    old.into_iter().partition(|i| {
                        new.iter()
                            .any(|c| c.package.version == instances[i.index()].package.version)
                    });
                let came: Vec<Candidate> = new
                    .into_iter()
                    .filter(|c| {
                        !kept
                            .iter()
                            .any(|i| instances[i.index()].package.version == c.package.version)
                    })
                    .collect();
                let mut still = kept;
                for &g in &gone {
                    instances[g.index()].removed_in = Some(l + 1);
                    instances[g.index()].bytes = 0;
                }
                let mut made = Vec::new();
                for c in came {
                    let idx = PackageIdx(instances.len() as u32);
                    let purl = sbom::purl(c.ecosystem, &c.package, os.as_ref());
                    // The report lists files as owners, not in each package.
                    let package = match c.package {
                        Cow::Owned(mut p) => {
                            p.files = Vec::new();
                            p
                        }
                        Cow::Borrowed(p) => Package::clone_without_files(p),
                    };
                    instances.push(PackageInstance {
                        ecosystem: c.ecosystem,
                        package,
                        purl,
                        location: c.location,
                        layer: l + 1,
                        step: steps[l].clone(),
                        removed_in: None,
                        n_files: 0,
                        bytes: 0,
                        layer_bytes: Vec::new(),
                    });
                    instance_files.push(c.files);
                    made.push(idx);
                    still.push(idx);
                }
                if gone.len() == 1 && made.len() == 1 {
                    let (from, to) = (gone[0], made[0]);
                    let direction = match version::compare(
                        key.ecosystem,
                        &instances[from.index()].package.version,
                        &instances[to.index()].package.version,
                    ) {
                        Ordering::Less => Direction::Upgrade,
                        Ordering::Greater => Direction::Downgrade,
                        Ordering::Equal => Direction::Same,
                    };
                    lp.changed.push(VersionChange {
                        from,
                        to,
                        direction,
                    });
                } else {
                    lp.removed.extend(gone);
                    lp.added.extend(made);
                }
                if !still.is_empty() {
                    alive.insert(key, still);
                }
            }
        }
        layers.push(lp);
    }
    // Files: resolved at the layer each version appeared in.
    let mut owner_map = OwnerMap::new(tree.paths.len());
    for (i, files) in instance_files.iter().enumerate() {
        let layer = instances[i].layer - 1;
        let ids = resolve_files(tree, files, layer);
        instances[i].n_files = ids.len();
        for id in ids {
            owner_map.add(id.0, PackageIdx(i as u32));
        }
    }
    let alive_owner =
        |p: u32, layer1: usize, instances: &[PackageInstance]| -> Option<PackageIdx> {
            owner_map
                .of(p)
                .find(|i| instances[i.index()].present_at(layer1))
        };
    // Bytes per package per layer, and the final filesystem's.
    for (l, lp) in layers.iter_mut().enumerate() {
        let mut per: BTreeMap<PackageIdx, u64> = BTreeMap::new();
        for p in tree.layer_paths(l) {
            let Some(e) = tree.event_in(p, l).and_then(|ev| tree.entry(ev)) else {
                continue;
            };
            if e.kind != EntryKind::File {
                continue;
            }
            if let Some(i) = alive_owner(p.0, l + 1, &instances) {
                *per.entry(i).or_default() += e.size;
            }
        }
        for (i, bytes) in per {
            instances[i.index()].layer_bytes.push(LayerBytes {
                layer: l + 1,
                bytes,
            });
            lp.package_bytes += bytes;
        }
    }
    let last = n.saturating_sub(1);
    let final_size = |p: u32| -> Option<u64> {
        let ev = tree.state_at(PathId(p), last).filter(|e| e.is_present())?;
        tree.entry(ev)
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.size)
    };
    for p in owner_map.paths() {
        if let Some(i) = owner_map.of(p).find(|i| instances[i.index()].is_final())
            && let Some(size) = final_size(p)
        {
            instances[i.index()].bytes += size;
        }
    }
    let mut owners: Vec<Owner> = owner_map
        .paths()
        .flat_map(|p| {
            owner_map.of(p).map(move |i| Owner {
                path: PathId(p),
                package: i,
            })
        })
        .collect();
    owners.sort_by_key(|o| (o.path, o.package));
    // Unowned executables in the final filesystem.
    let kinds: HashMap<(u32, usize), FileKind> = versions
        .iter()
        .filter_map(|v| match &v.parsed {
            Some(Parsed::Found(f)) => Some(((v.path.0, v.layer), f.kind)),
            _ => None,
        })
        .collect();
    let mut unowned = Vec::new();
    if n > 0 {
        for p in 0..tree.paths.len() as u32 {
            let Some(ev) = tree.state_at(PathId(p), last).filter(|e| e.is_present()) else {
                continue;
            };
            let Some(e) = tree.entry(ev) else { continue };
            // Empty files (buildah's 0755 etc/hosts) run nothing.
            if e.kind != EntryKind::File || e.size == 0 || e.mode & 0o111 == 0 {
                continue;
            }
            // Owned means a package manager installed it: a Go or Rust binary describing
            // itself, or a jar, is still a file nobody installed.
            let installed = owner_map.of(p).any(|i| {
                let inst = &instances[i.index()];
                inst.present_at(n)
                    && !matches!(
                        inst.ecosystem,
                        Ecosystem::Go | Ecosystem::Cargo | Ecosystem::Maven
                    )
            });
            if installed {
                continue;
            }
            let path = tree.paths.path(PathId(p));
            if is_package_metadata(&path) {
                continue;
            }
            let layer = ev.layer as usize;
            unowned.push(UnownedFile {
                path,
                layer: layer + 1,
                step: steps[layer].clone(),
                bytes: e.size,
                kind: kinds.get(&(p, layer)).copied().unwrap_or_default(),
            });
        }
    }
    unowned.sort_by(|a, b| a.path.cmp(&b.path));
    if !instances.is_empty() && os.is_none() && instances.iter().any(|i| i.ecosystem.is_os()) {
        diagnostics.push(Diagnostic::note(
            "no-os-release",
            "packages",
            "the image has OS packages but no etc/os-release: package URLs carry no distro",
        ));
    }
    let mut report = PackageReport {
        os,
        packages: instances,
        layers,
        owners,
        unowned_executables: unowned,
        hints: Vec::new(),
        diagnostics,
    };
    report.hints = hints(&report);
    report
}

/// The operating system the current sources say: `etc/os-release` when it is a file, else
/// `usr/lib/os-release`.
fn os_of(current: &BTreeMap<PathId, usize>, versions: &[Version]) -> Option<OsRelease> {
    let mut found: Vec<&OsRelease> = current
        .values()
        .filter_map(|&v| match &versions[v].parsed {
            Some(Parsed::Os(o)) => Some(o),
            _ => None,
        })
        .collect();
    found.sort_by_key(|o| o.path != "etc/os-release");
    found.first().map(|o| (*o).clone())
}

/// Every package the current source files describe.
fn candidates<'v>(
    current: &BTreeMap<PathId, usize>,
    versions: &'v [Version],
    tree: &ImageTree,
) -> Vec<Candidate<'v>> {
    let mut out = Vec::new();
    // dpkg's file lists, by list name.
    let mut lists: HashMap<String, &Vec<String>> = HashMap::new();
    for &v in current.values() {
        if let (
            SourceKind::Dpkg(DpkgFile::List { package } | DpkgFile::Md5sums { package }),
            Some(Parsed::Files(f)),
        ) = (&versions[v].kind, &versions[v].parsed)
        {
            lists.insert(package.clone(), f);
        }
    }
    let file_list = |path: &str| -> Option<&Vec<String>> {
        let id = tree.paths.lookup(path)?;
        match &versions[*current.get(&id)?].parsed {
            Some(Parsed::Files(f)) => Some(f),
            _ => None,
        }
    };
    for (&p, &v) in current {
        let ver = &versions[v];
        let path = tree.paths.path(p);
        let Some(parsed) = &ver.parsed else { continue };
        match (&ver.kind, parsed) {
            (SourceKind::Dpkg(DpkgFile::Status | DpkgFile::StatusD), Parsed::Packages(pkgs)) => {
                for pkg in pkgs {
                    let names = dpkg::list_names(pkg);
                    let files = names
                        .iter()
                        .find_map(|n| lists.get(n))
                        .map_or(&[][..], |f| f.as_slice());
                    out.push(os_candidate(Ecosystem::Deb, pkg, &path, files));
                }
            }
            (SourceKind::Apk, Parsed::Packages(pkgs)) => {
                for pkg in pkgs {
                    out.push(os_candidate(Ecosystem::Apk, pkg, &path, &pkg.files));
                }
            }
            (SourceKind::Rpm(_), Parsed::Packages(pkgs)) => {
                for pkg in pkgs {
                    out.push(os_candidate(Ecosystem::Rpm, pkg, &path, &pkg.files));
                }
            }
            (SourceKind::Python(PythonFile::Metadata), Parsed::Packages(pkgs)) => {
                let Some(pkg) = pkgs.first() else { continue };
                // `site/x.dist-info/METADATA`, `site/x.egg-info/PKG-INFO`, or `site/x.egg-info`.
                let (meta_dir, site) = match python::companion(&path) {
                    Some(_) => {
                        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
                        let site = dir.rsplit_once('/').map_or("", |(s, _)| s).to_owned();
                        (dir, site)
                    }
                    None => (
                        path.clone(),
                        path.rsplit_once('/').map_or("", |(s, _)| s).to_owned(),
                    ),
                };
                let files: Cow<'v, [String]> = match python::companion(&path)
                    .and_then(|(list, _)| file_list(&list))
                    .filter(|f| !f.is_empty())
                {
                    Some(f) => Cow::Borrowed(f.as_slice()),
                    None => Cow::Owned(vec![format!("/{path}")]),
                };
                out.push(Candidate {
                    key: Key {
                        ecosystem: Ecosystem::Python,
                        scope: site,
                        name: python::normalise_name(&pkg.name),
                        arch: String::new(),
                    },
                    ecosystem: Ecosystem::Python,
                    package: Cow::Borrowed(pkg),
                    location: meta_dir,
                    files: Files::List(files),
                });
            }
            (SourceKind::Npm, Parsed::Packages(pkgs)) => {
                let Some(pkg) = pkgs.first() else { continue };
                let dir = npm::classify(&path).unwrap_or("").to_owned();
                let scope = dir
                    .rsplit_once("node_modules/")
                    .map_or("", |(s, _)| s)
                    .to_owned();
                out.push(Candidate {
                    key: Key {
                        ecosystem: Ecosystem::Npm,
                        scope: format!("{scope}node_modules"),
                        name: pkg.name.clone(),
                        arch: String::new(),
                    },
                    ecosystem: Ecosystem::Npm,
                    package: Cow::Borrowed(pkg),
                    location: dir.clone(),
                    files: Files::Dir(dir),
                });
            }
            (SourceKind::Probe, Parsed::Found(found)) => {
                let ecosystem = match found.kind {
                    FileKind::GoBinary => Ecosystem::Go,
                    FileKind::RustBinary => Ecosystem::Cargo,
                    FileKind::Jar => Ecosystem::Maven,
                    _ => continue,
                };
                for (i, pkg) in found.packages.iter().enumerate() {
                    // Go and Rust: the main module owns the binary; Maven: the jar's first
                    // artefact owns the jar.
                    let owns = match ecosystem {
                        Ecosystem::Maven => i == 0,
                        _ => pkg.main,
                    };
                    out.push(Candidate {
                        key: Key {
                            ecosystem,
                            scope: path.clone(),
                            name: match &pkg.namespace {
                                Some(ns) => format!("{ns}:{}", pkg.name),
                                None => pkg.name.clone(),
                            },
                            arch: String::new(),
                        },
                        ecosystem,
                        package: Cow::Borrowed(pkg),
                        location: path.clone(),
                        files: Files::List(if owns {
                            Cow::Owned(vec![format!("/{path}")])
                        } else {
                            Cow::Borrowed(&[])
                        }),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

fn os_candidate<'v>(
    ecosystem: Ecosystem,
    pkg: &'v Package,
    db: &str,
    files: &'v [String],
) -> Candidate<'v> {
    Candidate {
        key: Key {
            ecosystem,
            scope: String::new(),
            name: pkg.name.clone(),
            arch: pkg.arch.clone().unwrap_or_default(),
        },
        ecosystem,
        package: Cow::Borrowed(pkg),
        location: db.to_owned(),
        files: Files::List(Cow::Borrowed(files)),
    }
}

/// The packages that list each path of the tree, in the order they were added: one word per
/// path (most have no owner, or one), the few with more beside. A hash map of every owned path
/// was a quarter of the analysis of a 530-package Debian image.
struct OwnerMap {
    first: Vec<u32>,
    more: HashMap<u32, Vec<PackageIdx>>,
}

impl OwnerMap {
    const NONE: u32 = u32::MAX;

    fn new(paths: usize) -> Self {
        OwnerMap {
            first: vec![Self::NONE; paths],
            more: HashMap::new(),
        }
    }

    fn add(&mut self, p: u32, package: PackageIdx) {
        match self.first.get_mut(p as usize) {
            Some(f) if *f == Self::NONE => *f = package.0,
            Some(_) => self.more.entry(p).or_default().push(package),
            None => {}
        }
    }

    fn of(&self, p: u32) -> impl Iterator<Item = PackageIdx> + '_ {
        let first = self
            .first
            .get(p as usize)
            .copied()
            .filter(|&f| f != Self::NONE)
            .map(PackageIdx);
        let more = first
            .and_then(|_| self.more.get(&p))
            .into_iter()
            .flatten()
            .copied();
        first.into_iter().chain(more)
    }

    /// The owned paths, in id order.
    fn paths(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.first.len() as u32).filter(|&p| self.first[p as usize] != Self::NONE)
    }
}

/// The tree's non-directory paths a file list names.
fn resolve_files(tree: &ImageTree, files: &Files, layer: usize) -> Vec<PathId> {
    let is_dir = |id: PathId| match tree.state_at(id, layer) {
        Some(ev) => tree.entry(ev).is_none_or(|e| e.kind == EntryKind::Dir),
        None => true,
    };
    let mut out = Vec::new();
    match files {
        Files::List(list) => {
            let mut resolver = Resolver::new(tree, layer);
            for f in list.iter() {
                if let Some(id) = resolver.resolve(f)
                    && !is_dir(id)
                {
                    out.push(id);
                }
            }
        }
        Files::Dir(d) => {
            let Some(root) = tree.paths.lookup(d) else {
                return out;
            };
            let mut stack = vec![root];
            while let Some(p) = stack.pop() {
                for c in tree.children(p) {
                    if !tree.exists_at(c, layer) {
                        continue;
                    }
                    if is_dir(c) {
                        if tree.paths.name(c) != "node_modules" {
                            stack.push(c);
                        }
                    } else {
                        out.push(c);
                    }
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl PackageReport {
    /// The packages in the image after layer `layer` (1-based; the last layer for the final
    /// image).
    pub fn present_at(&self, layer: usize) -> impl Iterator<Item = (PackageIdx, &PackageInstance)> {
        self.packages
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.present_at(layer))
            .map(|(i, p)| (PackageIdx(i as u32), p))
    }

    /// The packages of the final image.
    pub fn final_packages(&self) -> impl Iterator<Item = (PackageIdx, &PackageInstance)> {
        self.packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_final())
            .map(|(i, p)| (PackageIdx(i as u32), p))
    }

    pub fn get(&self, i: PackageIdx) -> Option<&PackageInstance> {
        self.packages.get(i.index())
    }

    /// The package owning `path` after layer `layer` (1-based).
    pub fn owner_of(&self, path: PathId, layer: usize) -> Option<PackageIdx> {
        let start = self.owners.partition_point(|o| o.path < path);
        self.owners[start..]
            .iter()
            .take_while(|o| o.path == path)
            .map(|o| o.package)
            .find(|i| self.get(*i).is_some_and(|p| p.present_at(layer)))
    }

    /// The files a package owns (global path ids of the tree).
    pub fn files_of(&self, package: PackageIdx) -> Vec<PathId> {
        self.owners
            .iter()
            .filter(|o| o.package == package)
            .map(|o| o.path)
            .collect()
    }

    /// Who owns `path` as it is after layer `layer` (1-based): a package, or none, with the
    /// layer and step that wrote the file. `None` when the path is not there.
    pub fn file_owner(&self, tree: &ImageTree, path: PathId, layer: usize) -> Option<FileOwner> {
        let ev = tree
            .state_at(path, layer.checked_sub(1)?)
            .filter(|e| e.is_present())?;
        let wrote = ev.layer as usize + 1;
        Some(FileOwner {
            package: self.owner_of(path, layer),
            layer: wrote,
            step: self.layers.get(wrote - 1).and_then(|l| l.step.clone()),
        })
    }
}

const MAX_EVIDENCE: usize = 20;

/// The findings: packages installed and removed later (their bytes still ship in the lower
/// layer), and executables no package owns (in an image with an OS package database).
fn hints(r: &PackageReport) -> Vec<Hint> {
    let mut out = Vec::new();
    let mut removed: Vec<(&PackageInstance, u64, usize)> = Vec::new();
    for lp in &r.layers {
        for &i in &lp.removed {
            let Some(p) = r.get(i) else { continue };
            let bytes: u64 = p
                .layer_bytes
                .iter()
                .filter(|b| b.layer < lp.layer)
                .map(|b| b.bytes)
                .sum();
            removed.push((p, bytes, lp.layer));
        }
    }
    if !removed.is_empty() {
        removed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.package.name.cmp(&b.0.package.name)));
        let total: u64 = removed.iter().map(|r| r.1).sum();
        let n = removed.len();
        out.push(Hint {
            code: "package-removed-later".into(),
            title: format!(
                "{} installed and removed in a later layer: still shipped{}",
                crate::text::count(n, "package"),
                if n > MAX_EVIDENCE { format!(" ({MAX_EVIDENCE} listed)") } else { String::new() }
            ),
            advice: "Removing a package in a later layer hides its files but the layer that installed it still \
                     carries them: install and remove in the same RUN, or use a multi-stage build."
                .into(),
            evidence: removed
                .iter()
                .take(MAX_EVIDENCE)
                .map(|(p, bytes, gone)| Evidence {
                    layer: Some(p.layer),
                    path: Some(p.location.clone()),
                    bytes: Some(*bytes),
                    note: format!(
                        "{} {} ({}) installed here, removed in layer {gone}",
                        p.package.name,
                        p.package.version,
                        p.ecosystem.name()
                    ),
                })
                .collect(),
            bytes: total,
        });
    }
    // Only where an OS package manager keeps a database: without one (scratch, busybox) every
    // file is unowned, and the finding would say nothing a reader can act on; the list is in
    // the report either way.
    let has_os_database = r.packages.iter().any(|p| p.ecosystem.is_os());
    if !r.unowned_executables.is_empty() && has_os_database {
        let mut list: Vec<&UnownedFile> = r.unowned_executables.iter().collect();
        list.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
        let n = list.len();
        out.push(Hint {
            code: "unowned-executables".into(),
            title: format!(
                "{} not owned by any package{}",
                crate::text::count(n, "executable"),
                if n > MAX_EVIDENCE { format!(" ({MAX_EVIDENCE} largest listed)") } else { String::new() }
            ),
            advice: "Files no package manager knows are invisible to vulnerability scanners that read package \
                     databases: install them from a package, or record where they came from (a label, an SBOM)."
                .into(),
            evidence: list
                .iter()
                .take(MAX_EVIDENCE)
                .map(|u| Evidence {
                    layer: Some(u.layer),
                    path: Some(u.path.clone()),
                    bytes: Some(u.bytes),
                    note: format!(
                        "{}, added by {}",
                        u.kind.describe(),
                        u.step.as_deref().map_or("an unknown step".to_owned(), |s| crate::text::clip(s, 80))
                    ),
                })
                .collect(),
            bytes: list.iter().map(|u| u.bytes).sum(),
        });
    }
    out
}

/// Packages added, removed and changed between two images' final package lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDiff {
    pub added: Vec<PackageRef>,
    pub removed: Vec<PackageRef>,
    pub changed: Vec<PackageVersionChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arch: Option<String>,
    pub location: String,
    pub purl: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageVersionChange {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub from: String,
    pub to: String,
    pub direction: Direction,
    pub location: String,
}

fn diff_key(p: &PackageInstance) -> (Ecosystem, String, String, String) {
    let scope = if p.ecosystem.is_os() {
        String::new()
    } else {
        p.location.clone()
    };
    (
        p.ecosystem,
        scope,
        p.package.name.clone(),
        p.package.arch.clone().unwrap_or_default(),
    )
}

fn package_ref(p: &PackageInstance) -> PackageRef {
    PackageRef {
        ecosystem: p.ecosystem,
        name: p.package.name.clone(),
        version: p.package.version.clone(),
        arch: p.package.arch.clone(),
        location: p.location.clone(),
        purl: p.purl.clone(),
    }
}

/// Compares the final packages of image A with image B's.
pub fn compare(a: &PackageReport, b: &PackageReport) -> PackageDiff {
    let index =
        |r: &PackageReport| -> BTreeMap<(Ecosystem, String, String, String), Vec<PackageInstance>> {
            let mut m: BTreeMap<_, Vec<PackageInstance>> = BTreeMap::new();
            for (_, p) in r.final_packages() {
                m.entry(diff_key(p)).or_default().push(p.clone());
            }
            m
        };
    let (ia, ib) = (index(a), index(b));
    let mut d = PackageDiff::default();
    let keys: BTreeSet<_> = ia.keys().chain(ib.keys()).cloned().collect();
    for k in keys {
        let (va, vb) = (
            ia.get(&k).cloned().unwrap_or_default(),
            ib.get(&k).cloned().unwrap_or_default(),
        );
        let gone: Vec<&PackageInstance> = va
            .iter()
            .filter(|x| !vb.iter().any(|y| y.package.version == x.package.version))
            .collect();
        let came: Vec<&PackageInstance> = vb
            .iter()
            .filter(|y| !va.iter().any(|x| x.package.version == y.package.version))
            .collect();
        if gone.len() == 1 && came.len() == 1 {
            let direction =
                match version::compare(k.0, &gone[0].package.version, &came[0].package.version) {
                    Ordering::Less => Direction::Upgrade,
                    Ordering::Greater => Direction::Downgrade,
                    Ordering::Equal => Direction::Same,
                };
            d.changed.push(PackageVersionChange {
                ecosystem: k.0,
                name: came[0].package.name.clone(),
                from: gone[0].package.version.clone(),
                to: came[0].package.version.clone(),
                direction,
                location: came[0].location.clone(),
            });
        } else {
            d.removed.extend(gone.into_iter().map(package_ref));
            d.added.extend(came.into_iter().map(package_ref));
        }
    }
    d
}
