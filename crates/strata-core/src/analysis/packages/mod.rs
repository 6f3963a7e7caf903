//! What is installed, and by which layer: the package databases an image carries, read back
//! by range from the layers the tree already indexed, turned into a [`PackageReport`] — the
//! packages after every layer, what each layer added, removed and upgraded (with its history
//! step and the bytes each package's files take in it), each file's owner, findings, and SBOMs
//! ([`sbom`]).
//!
//! One file per format: [`dpkg`] (Debian, Ubuntu, distroless), [`apk`] (Alpine), [`rpm`]
//! (SQLite, Berkeley DB and ndb rpmdbs, RPM headers), [`python`] (dist-info, egg-info),
//! [`npm`] (node_modules), [`elf`] (Go build info, `cargo auditable`), [`maven`] (jars),
//! [`os_release`]. [`scan`] decides what to read and parses it; [`report`] makes the layers'
//! story of it; [`version`] orders versions as each package manager does.
//!
//! The engine does no I/O: a host hands it the tree and a way to read ranges of files.
//! [`analyse_packages`] drives the whole thing with a closure that reads one layer's ranges;
//! hosts that answer by message (the web app's workers) drive [`PackageScan`] themselves:
//! `requests()` → read each layer's ranges (`layer::content::read_ranges`) → `answer()`,
//! until `is_done()`, then `finish()`.

pub mod apk;
pub mod dpkg;
pub mod elf;
pub mod maven;
pub mod model;
pub mod npm;
pub mod os_release;
pub mod probe;
pub mod python;
pub mod report;
pub mod rpm;
pub mod sbom;
pub mod scan;
pub mod version;

pub use model::{Ecosystem, Package};
pub use os_release::OsRelease;
pub use report::{
    Direction, FileOwner, LayerPackages, PackageDiff, PackageIdx, PackageInstance, PackageRef,
    PackageReport, PackageVersionChange, UnownedFile, VersionChange, compare,
};
pub use sbom::SbomSubject;
pub use scan::{CAPTURE, PackageScan, ReadRequest};

use crate::error::Error;
use crate::history::History;
use crate::layer::content::RangeRequest;
use crate::limits::Limits;
use crate::tree::ImageTree;

/// How a host reads for [`analyse_packages`]: ranges of files of one layer (0-based), each
/// answered in order.
pub type ReadLayer<'a> = dyn FnMut(usize, &[RangeRequest]) -> Vec<Result<Vec<u8>, Error>> + 'a;

/// Most rounds of reads (databases, then up to six rounds of probes): a bound, not a target.
const MAX_ROUNDS: usize = 16;

/// The package analysis of an image, start to end. `captured` holds, per layer, the files the
/// layer scans kept ([`crate::scan_image_capturing`] with [`scan::CAPTURE`]; empty when the
/// host scanned without): they are not read again. `read(layer, ranges)` reads ranges of files
/// of one layer (0-based) and answers each, in order: a host implements it with
/// [`crate::layer::content::read_ranges`] over the layer's blob.
pub fn analyse_packages(
    tree: &ImageTree,
    history: &History,
    limits: &Limits,
    captured: &[Vec<crate::layer::scan::Captured>],
    read: &mut ReadLayer<'_>,
) -> PackageReport {
    let mut scan = PackageScan::with_captured(tree, limits, captured);
    for _ in 0..MAX_ROUNDS {
        if scan.is_done() {
            break;
        }
        let requests = scan.requests().to_vec();
        let mut answers = Vec::with_capacity(requests.len());
        let mut at = 0;
        while at < requests.len() {
            let layer = requests[at].layer;
            let end = at
                + requests[at..]
                    .iter()
                    .take_while(|r| r.layer == layer)
                    .count();
            let ranges: Vec<RangeRequest> =
                requests[at..end].iter().map(|r| r.range.clone()).collect();
            let mut got = read(layer, &ranges);
            got.truncate(ranges.len());
            while got.len() < ranges.len() {
                got.push(Err(Error::Invalid {
                    what: format!("layer {}", layer + 1),
                    detail: "the host did not answer a read".into(),
                }));
            }
            answers.extend(got);
            at = end;
        }
        scan.answer(tree, answers);
    }
    scan.finish(tree, history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::scan::{CaptureRule, Captured};
    use crate::{Compression, LayerScanner, MemorySource};

    fn layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data, mode) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(*mode);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn scan(blob: &[u8], rule: Option<CaptureRule>) -> (ImageTree, Vec<Vec<Captured>>) {
        let mut s = LayerScanner::new(Some(Compression::None), &Limits::default());
        if let Some(r) = rule {
            s = s.capture(r);
        }
        s.push(blob);
        let (scan, kept) = s.finish_captured();
        (ImageTree::build(vec![scan.index]), vec![kept])
    }

    #[track_caller]
    fn check(files: &[(&str, &[u8], u32)], rule: CaptureRule, kept: &[&str], packages: &[&str]) {
        let blob = layer(files);
        let (tree, captured) = scan(&blob, Some(rule));
        let names: Vec<String> = captured[0]
            .iter()
            .map(|c| tree.layers[0].path(&tree.layers[0].entries[c.entry as usize]))
            .collect();
        assert_eq!(names, kept);
        let history = History {
            rows: Vec::new(),
            diagnostics: Vec::new(),
        };
        let source = MemorySource::new(blob.clone());
        let loc = crate::image::BlobLocation {
            offset: 0,
            len: blob.len() as u64,
        };
        let mut reads = 0;
        let with = analyse_packages(
            &tree,
            &history,
            &Limits::default(),
            &captured,
            &mut |_, r| {
                reads += r.len();
                crate::layer::content::read_ranges(&source, loc, Compression::None, r)
            },
        );
        let without = analyse_packages(&tree, &history, &Limits::default(), &[], &mut |_, r| {
            crate::layer::content::read_ranges(&source, loc, Compression::None, r)
        });
        let names = |r: &PackageReport| -> Vec<String> {
            r.packages.iter().map(|p| p.package.name.clone()).collect()
        };
        assert_eq!(names(&with), packages);
        assert_eq!(names(&without), packages, "reading again finds the same");
        assert_eq!(with.owners, without.owners);
        if kept.len() == files.iter().filter(|f| scan::wants_content(f.0)).count() {
            assert_eq!(reads, 0, "everything was kept: nothing to read again");
        }
    }

    const STATUS: &[u8] =
        b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n";

    #[test]
    fn the_scan_keeps_the_databases_and_the_analysis_reads_nothing_again() {
        let files: &[(&str, &[u8], u32)] = &[
            ("usr/bin/a", b"#!/bin/sh\n", 0o755),
            ("var/lib/dpkg/info/a.list", b"/usr/bin/a\n", 0o644),
            ("var/lib/dpkg/status", STATUS, 0o644),
            ("etc/other", b"not a database", 0o644),
        ];
        check(
            files,
            CAPTURE,
            &["var/lib/dpkg/info/a.list", "var/lib/dpkg/status"],
            &["a"],
        );
        // Over the budget: the status is read by range instead, with the same answer.
        let small = CaptureRule {
            budget: 20,
            ..CAPTURE
        };
        check(files, small, &["var/lib/dpkg/info/a.list"], &["a"]);
        let tiny = CaptureRule {
            max_file: 5,
            ..CAPTURE
        };
        check(files, tiny, &[], &["a"]);
    }
}
