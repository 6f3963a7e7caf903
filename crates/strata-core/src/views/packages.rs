//! View models for the packages of an image ([`crate::packages::PackageReport`]): the table's
//! rows (the packages after a layer, filtered and sorted), each layer's package changes in a
//! few characters (`+212 deb, −3`, the layer list's badge) and spelled out, and a file's owner
//! as the details pane says it. Computed here, natively testable, so the page only renders.

use crate::packages::{Ecosystem, FileOwner, PackageIdx, PackageInstance, PackageReport};
use crate::paths::PathId;
use crate::tree::ImageTree;
use serde::{Deserialize, Serialize};

/// How a package is named in a table: Maven's `group:artifact`, dpkg's `name:arch` when it is
/// not `all` (a Multi-Arch package installed for two architectures is two packages).
pub fn display_name(p: &PackageInstance) -> String {
    let arch = match (&p.package.arch, p.ecosystem) {
        (Some(a), Ecosystem::Deb) if a != "all" => format!(":{a}"),
        _ => String::new(),
    };
    match &p.package.namespace {
        Some(ns) => format!("{ns}:{}{arch}", p.package.name),
        None => format!("{}{arch}", p.package.name),
    }
}

/// The table's columns, each a way to sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    #[default]
    Name,
    Version,
    Type,
    Layer,
    Size,
    License,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Name,
        Column::Version,
        Column::Type,
        Column::Layer,
        Column::Size,
        Column::License,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Version => "version",
            Column::Type => "type",
            Column::Layer => "layer",
            Column::Size => "size",
            Column::License => "license",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Version => "Version",
            Column::Type => "Type",
            Column::Layer => "Layer and step",
            Column::Size => "Size",
            Column::License => "License",
        }
    }

    pub fn parse(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.slug() == s)
    }
}

/// What the table shows: the packages after layer `layer` (1-based; `None`: the final image)
/// whose name, version, license or package URL contains `text` (case-insensitive), of one
/// ecosystem or all, sorted by `sort` (descending when `descending`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub layer: Option<usize>,
    pub text: String,
    pub ecosystem: Option<Ecosystem>,
    pub sort: Column,
    pub descending: bool,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: PackageIdx,
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// The layer (1-based) that installed this version, and its step.
    pub layer: usize,
    pub step: Option<String>,
    /// Bytes of its files: in the final filesystem for the final image; for the image after
    /// an earlier layer, what its files took in the layers up to there.
    pub bytes: u64,
    pub n_files: usize,
    pub license: Option<String>,
    /// In the final image, for a package whose files are all another's too (a Python
    /// distribution a deb installed): that package, whose row counts their bytes.
    pub counted_under: Option<PackageIdx>,
}

/// The package whose row counts the files of `id` in the final image, when `id` has files but
/// no bytes of its own: the report gives each file's bytes to the first package present that
/// owns it.
pub fn counted_under(report: &PackageReport, id: PackageIdx) -> Option<PackageIdx> {
    report.get(id).filter(|p| p.bytes == 0 && p.n_files > 0)?;
    let last = report.layers.len();
    report
        .files_of(id)
        .into_iter()
        .find_map(|path| report.owner_of(path, last).filter(|o| *o != id))
}

/// The rows the query asks for, and how many packages there were before the filter.
pub fn rows(report: &PackageReport, query: &Query) -> (Vec<Row>, usize) {
    let at = query.layer.unwrap_or(report.layers.len());
    let needle = query.text.trim().to_lowercase();
    let mut total = 0;
    let mut out: Vec<Row> = report
        .present_at(at)
        .filter(|_| {
            total += 1;
            true
        })
        .filter(|(_, p)| query.ecosystem.is_none_or(|e| e == p.ecosystem))
        .filter(|(_, p)| {
            needle.is_empty()
                || [
                    Some(display_name(p)),
                    Some(p.package.version.clone()),
                    p.package.license.clone(),
                    Some(p.purl.clone()),
                ]
                .into_iter()
                .flatten()
                .any(|s| s.to_lowercase().contains(&needle))
        })
        .map(|(id, p)| Row {
            id,
            name: display_name(p),
            version: p.package.version.clone(),
            ecosystem: p.ecosystem,
            layer: p.layer,
            step: p.step.clone(),
            bytes: match query.layer {
                None => p.bytes,
                Some(l) => p
                    .layer_bytes
                    .iter()
                    .filter(|b| b.layer <= l)
                    .map(|b| b.bytes)
                    .sum(),
            },
            n_files: p.n_files,
            license: p.package.license.clone(),
            counted_under: query
                .layer
                .is_none()
                .then(|| counted_under(report, id))
                .flatten(),
        })
        .collect();
    let by_name = |a: &Row, b: &Row| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    };
    out.sort_by(|a, b| {
        let first = match query.sort {
            Column::Name => std::cmp::Ordering::Equal,
            Column::Version => {
                crate::packages::version::compare(a.ecosystem, &a.version, &b.version)
                    .then_with(|| a.ecosystem.cmp(&b.ecosystem))
            }
            Column::Type => a.ecosystem.cmp(&b.ecosystem),
            Column::Layer => a.layer.cmp(&b.layer),
            Column::Size => a.bytes.cmp(&b.bytes),
            Column::License => a
                .license
                .as_deref()
                .unwrap_or("\u{10ffff}")
                .to_lowercase()
                .cmp(&b.license.as_deref().unwrap_or("\u{10ffff}").to_lowercase()),
        };
        let first = if query.descending {
            first.reverse()
        } else {
            first
        };
        // Ties by name, always ascending (a descending name sort reverses it).
        let tie = by_name(a, b);
        if query.sort == Column::Name && query.descending {
            tie.reverse()
        } else {
            first.then(tie)
        }
    });
    (out, total)
}

/// The ecosystems present in the report, with how many packages of each the final image has.
pub fn ecosystems(report: &PackageReport) -> Vec<(Ecosystem, usize)> {
    let mut counts: Vec<(Ecosystem, usize)> = Vec::new();
    for (_, p) in report.final_packages() {
        match counts.iter_mut().find(|(e, _)| *e == p.ecosystem) {
            Some((_, n)) => *n += 1,
            None => counts.push((p.ecosystem, 1)),
        }
    }
    counts.sort();
    counts
}

/// One layer's package changes, short (the layer list's badge) and long (its title).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerBadge {
    /// 1-based.
    pub layer: usize,
    /// `+212 deb, +31 python, −3, ~2`.
    pub text: String,
    /// `212 deb packages and 31 python packages added, 3 removed, 2 changed version`.
    pub title: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

/// Each layer's badge (`None` for a layer that changed no package).
pub fn layer_badges(report: &PackageReport) -> Vec<Option<LayerBadge>> {
    report
        .layers
        .iter()
        .map(|lp| {
            let (added, removed, changed) = (lp.added.len(), lp.removed.len(), lp.changed.len());
            if added + removed + changed == 0 {
                return None;
            }
            let mut by: Vec<(Ecosystem, usize)> = Vec::new();
            for p in lp.added.iter().filter_map(|&i| report.get(i)) {
                match by.iter_mut().find(|(e, _)| *e == p.ecosystem) {
                    Some((_, n)) => *n += 1,
                    None => by.push((p.ecosystem, 1)),
                }
            }
            by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut short: Vec<String> = by
                .iter()
                .map(|(e, n)| format!("+{n} {}", e.name()))
                .collect();
            let mut long: Vec<String> = Vec::new();
            if !by.is_empty() {
                let parts: Vec<String> = by
                    .iter()
                    .map(|(e, n)| crate::text::count(*n, &format!("{} package", e.name())))
                    .collect();
                long.push(format!("{} added", parts.join(" and ")));
            }
            if removed > 0 {
                short.push(format!("\u{2212}{removed}"));
                long.push(format!(
                    "{} removed",
                    crate::text::count(removed, "package")
                ));
            }
            if changed > 0 {
                short.push(format!("~{changed}"));
                long.push(format!(
                    "{} upgraded or downgraded",
                    crate::text::count(changed, "package")
                ));
            }
            Some(LayerBadge {
                layer: lp.layer,
                text: short.join(", "),
                title: long.join(", "),
                added,
                removed,
                changed,
            })
        })
        .collect()
}

/// What the details pane says of a file's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerLine {
    /// A package owns it.
    Package {
        id: PackageIdx,
        /// `libc6:amd64 2.36-9+deb12u4 (deb)`.
        text: String,
        /// The layer (1-based) that installed that package.
        layer: usize,
    },
    /// No package manager installed it; the layer (1-based) and step that put it there as it
    /// is. `itself`: what a Go or Rust binary or a jar says it is (its build info, its
    /// `pom.properties`), which is no package manager's record.
    Unowned {
        layer: usize,
        step: Option<String>,
        itself: Option<(PackageIdx, String)>,
    },
}

/// The owner of `path` as it is after layer `layer` (0-based, as the explorer counts); `None`
/// when the path is not there or is a directory (package file lists name directories too,
/// but they are shared, so no single package owns one).
pub fn owner_line(
    report: &PackageReport,
    tree: &ImageTree,
    path: PathId,
    layer: usize,
) -> Option<OwnerLine> {
    let ev = tree.state_at(path, layer).filter(|e| e.is_present())?;
    if tree
        .entry(ev)
        .is_none_or(|e| e.kind == crate::tar::EntryKind::Dir)
    {
        return None;
    }
    let FileOwner {
        package,
        layer: wrote,
        step,
    } = report.file_owner(tree, path, layer + 1)?;
    let owner = package.and_then(|i| report.get(i).map(|p| (i, p)));
    let text = |p: &PackageInstance| {
        format!(
            "{} {} ({})",
            display_name(p),
            p.package.version,
            p.ecosystem.name()
        )
    };
    Some(match owner {
        // As the unowned-executables finding counts: a binary describing itself is still a
        // file no package manager installed.
        Some((id, p)) if !self_described(p.ecosystem) => OwnerLine::Package {
            id,
            text: text(p),
            layer: p.layer,
        },
        other => OwnerLine::Unowned {
            layer: wrote,
            step,
            itself: other.map(|(id, p)| (id, text(p))),
        },
    })
}

/// Packages known from the file itself (Go and Rust build info, a jar's `pom.properties`)
/// rather than from a package manager's database.
fn self_described(e: Ecosystem) -> bool {
    matches!(e, Ecosystem::Go | Ecosystem::Cargo | Ecosystem::Maven)
}

/// A package's files (paths without a leading slash), sorted, with whether each is still in
/// the final filesystem.
pub fn files_of(report: &PackageReport, tree: &ImageTree, id: PackageIdx) -> Vec<(String, bool)> {
    let last = tree.n_layers().saturating_sub(1);
    let mut out: Vec<(String, bool)> = report
        .files_of(id)
        .into_iter()
        .map(|p| {
            let present = tree.n_layers() > 0 && tree.exists_at(p, last);
            (tree.paths.path(p), present)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packages::{LayerPackages, Package};

    pub(crate) fn instance(
        name: &str,
        version: &str,
        e: Ecosystem,
        layer: usize,
        bytes: u64,
    ) -> PackageInstance {
        PackageInstance {
            ecosystem: e,
            package: Package {
                name: name.into(),
                version: version.into(),
                arch: (e == Ecosystem::Deb).then(|| "amd64".into()),
                license: (name != "zlib").then(|| format!("{name}-license")),
                ..Package::default()
            },
            purl: format!("pkg:{}/{name}@{version}", e.purl_type()),
            location: String::new(),
            layer,
            step: Some(format!("step {layer}")),
            removed_in: None,
            n_files: 1,
            bytes,
            layer_bytes: Vec::new(),
        }
    }

    fn report() -> PackageReport {
        let mut packages = vec![
            instance("libc6", "2.36-9", Ecosystem::Deb, 1, 12_000_000),
            instance("zlib", "1.2.13", Ecosystem::Deb, 1, 100),
            instance("six", "1.16.0", Ecosystem::Python, 2, 50_000),
            instance("Flask", "3.0.0", Ecosystem::Python, 2, 900_000),
            instance("zlib", "1.3", Ecosystem::Deb, 3, 120),
            instance("left-pad", "1.3.0", Ecosystem::Npm, 3, 10),
        ];
        packages[1].removed_in = Some(3);
        packages[2].removed_in = Some(3);
        packages[2].bytes = 0;
        packages[2].layer_bytes = vec![
            crate::packages::report::LayerBytes {
                layer: 2,
                bytes: 700,
            },
            crate::packages::report::LayerBytes { layer: 3, bytes: 5 },
        ];
        PackageReport {
            packages,
            layers: vec![
                LayerPackages {
                    layer: 1,
                    added: vec![PackageIdx(0), PackageIdx(1)],
                    ..LayerPackages::default()
                },
                LayerPackages {
                    layer: 2,
                    added: vec![PackageIdx(2), PackageIdx(3)],
                    ..LayerPackages::default()
                },
                LayerPackages {
                    layer: 3,
                    added: vec![PackageIdx(5)],
                    removed: vec![PackageIdx(2)],
                    changed: vec![crate::packages::VersionChange {
                        from: PackageIdx(1),
                        to: PackageIdx(4),
                        direction: crate::packages::Direction::Upgrade,
                    }],
                    ..LayerPackages::default()
                },
                LayerPackages {
                    layer: 4,
                    ..LayerPackages::default()
                },
            ],
            ..PackageReport::default()
        }
    }

    fn names(q: &Query) -> Vec<String> {
        rows(&report(), q).0.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn the_final_packages_sorted_and_filtered() {
        let q = Query::default();
        assert_eq!(
            names(&q),
            ["Flask", "left-pad", "libc6:amd64", "zlib:amd64"],
            "case-insensitive by name"
        );
        assert_eq!(rows(&report(), &q).1, 4);
        let by_size = Query {
            sort: Column::Size,
            descending: true,
            ..Query::default()
        };
        assert_eq!(
            names(&by_size),
            ["libc6:amd64", "Flask", "zlib:amd64", "left-pad"]
        );
        let by_layer = Query {
            sort: Column::Layer,
            ..Query::default()
        };
        assert_eq!(
            names(&by_layer),
            ["libc6:amd64", "Flask", "left-pad", "zlib:amd64"]
        );
        let by_license = Query {
            sort: Column::License,
            ..Query::default()
        };
        assert_eq!(
            names(&by_license).last().map(String::as_str),
            Some("zlib:amd64"),
            "no license sorts last"
        );
        let python = Query {
            ecosystem: Some(Ecosystem::Python),
            ..Query::default()
        };
        assert_eq!(names(&python), ["Flask"]);
        let text = Query {
            text: " PKG:NPM ".into(),
            ..Query::default()
        };
        assert_eq!(names(&text), ["left-pad"], "the purl is searched");
        let desc = Query {
            descending: true,
            ..Query::default()
        };
        assert_eq!(
            names(&desc),
            ["zlib:amd64", "libc6:amd64", "left-pad", "Flask"]
        );
    }

    #[test]
    fn a_package_whose_files_another_counts_names_it() {
        use crate::packages::report::Owner;
        use crate::paths::PathId;
        let mut r = report();
        // beniget's one file is Flask's too, and Flask (installed first) counts its bytes.
        r.packages
            .push(instance("beniget", "0.4.1", Ecosystem::Python, 2, 0));
        r.layers[1].added.push(PackageIdx(6));
        r.owners = vec![
            Owner {
                path: PathId(5),
                package: PackageIdx(3),
            },
            Owner {
                path: PathId(5),
                package: PackageIdx(6),
            },
        ];
        let (rows, _) = rows(&r, &Query::default());
        let under = |name: &str| rows.iter().find(|r| r.name == name).unwrap().counted_under;
        assert_eq!(under("beniget"), Some(PackageIdx(3)));
        assert_eq!(under("Flask"), None, "it has the bytes");
        assert_eq!(under("libc6:amd64"), None, "it owns files no other does");
        // After an earlier layer, sizes are per layer: nothing to name.
        let (rows, _) = super::rows(
            &r,
            &Query {
                layer: Some(2),
                ..Query::default()
            },
        );
        assert!(rows.iter().all(|r| r.counted_under.is_none()));
    }

    #[test]
    fn after_a_layer() {
        let q = Query {
            layer: Some(2),
            ..Query::default()
        };
        assert_eq!(names(&q), ["Flask", "libc6:amd64", "six", "zlib:amd64"]);
        let (r, _) = rows(&report(), &q);
        assert_eq!(
            r.iter()
                .find(|r| r.name == "zlib:amd64")
                .map(|r| r.version.as_str()),
            Some("1.2.13")
        );
        // Sizes are what its files took in the layers so far (a removed package has none in
        // the final image).
        let six = r.iter().find(|r| r.name == "six").unwrap();
        assert_eq!(six.bytes, 700);
    }

    #[test]
    fn badges_say_what_each_layer_did() {
        let b = layer_badges(&report());
        assert_eq!(b.len(), 4);
        assert_eq!(b[0].as_ref().map(|b| b.text.as_str()), Some("+2 deb"));
        assert_eq!(b[1].as_ref().map(|b| b.text.as_str()), Some("+2 python"));
        let third = b[2].as_ref().unwrap();
        assert_eq!(third.text, "+1 npm, \u{2212}1, ~1");
        assert_eq!(
            third.title,
            "1 npm package added, 1 package removed, 1 package upgraded or downgraded"
        );
        assert_eq!(b[3], None);
        assert_eq!(
            ecosystems(&report()),
            [
                (Ecosystem::Deb, 2),
                (Ecosystem::Python, 1),
                (Ecosystem::Npm, 1)
            ]
        );
    }

    #[test]
    fn names_as_package_managers_write_them() {
        let mut p = instance("commons-lang3", "3.14.0", Ecosystem::Maven, 1, 0);
        p.package.namespace = Some("org.apache.commons".into());
        assert_eq!(display_name(&p), "org.apache.commons:commons-lang3");
        let mut d = instance("tzdata", "2024a", Ecosystem::Deb, 1, 0);
        d.package.arch = Some("all".into());
        assert_eq!(display_name(&d), "tzdata");
    }
}
