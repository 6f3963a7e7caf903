//! A rehearsal of the package analysis on a made-up image, run once by the package worker
//! while the real image's layers are still being read.
//!
//! Why: V8 compiles a wasm function when it is first called (lazily, with its baseline
//! compiler) and optimises it only once it has run a while. The analysis's code is first
//! called when the last layer is in, exactly when the user waits for it, so its first run paid
//! for compiling and ran unoptimised: on the 530-package Debian image it took 300-390 ms in
//! the worker, against 91-150 ms for the same analysis run again at once (headless Chromium,
//! nine repeats). Rehearsing while the scans run (the worker is idle then) moves that cost out
//! of the wait. Measured on that image (`bench/packages.mjs`, 3 runs each): a rehearsal of 120
//! packages of 6 files left the first analysis at 106-203 ms; this one (300 of 12, 199-251 ms
//! during the scan) at 99 and 135 ms (the medians of two such benches), the table painted
//! 199-285 ms after the layers were ready.
//!
//! The image is two layers, built here as tar: a dpkg database of [`PACKAGES`] packages with
//! their file lists and files, an os-release, a Python distribution, an npm package and an
//! unowned executable (whose probe reads it back); the second layer upgrades, removes and adds
//! packages (deleting the removed ones' files with whiteouts). Every path the analysis takes on
//! a real image is taken, and the report is encoded as the page receives it.

use strata_core::layer::content::read_ranges;
use strata_core::packages::{PackageReport, analyse_packages};
use strata_core::tar::header::ustar_header;
use strata_core::{BlobLocation, Compression, LayerScanner, Limits, MemorySource};

/// Packages in the rehearsal's first layer, and files each: enough for V8 to optimise the hot
/// loops (a smaller rehearsal left the first analysis slower, see above).
pub const PACKAGES: usize = 300;
const FILES_EACH: usize = 12;

/// One tar entry: a regular file (a whiteout when its name says so).
fn entry(out: &mut Vec<u8>, path: &str, data: &[u8], mode: u32) {
    let header = ustar_header(
        path.as_bytes(),
        b'0',
        mode,
        data.len() as u64,
        1_700_000_000,
    );
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// The dpkg stanza and files of package `i` at `version`.
fn package(layer: &mut Vec<u8>, status: &mut String, i: usize, version: &str) {
    let name = format!("pkg{i}");
    status.push_str(&format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
         Installed-Size: {}\nMaintainer: Strata <strata@example.invalid>\nArchitecture: amd64\n\
         Source: src{}\nVersion: {version}\nDepends: libc6 (>= 2.36)\n\
         Description: rehearsal package {i}\n this package exists only in memory\n\n",
        i % 40 + 1,
        i / 3
    ));
    let mut list = format!("/.\n/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/{name}\n");
    for f in 0..FILES_EACH {
        let path = match f {
            0 => format!("usr/bin/{name}"),
            1 => format!("usr/share/doc/{name}/copyright"),
            _ => format!("usr/lib/{name}/part{f}.so"),
        };
        list.push_str(&format!("/{path}\n"));
        let mode = if f == 0 { 0o755 } else { 0o644 };
        entry(
            layer,
            &path,
            format!("{name} {version} {f}").as_bytes(),
            mode,
        );
    }
    entry(
        layer,
        &format!("var/lib/dpkg/info/{name}.list"),
        list.as_bytes(),
        0o644,
    );
}

/// The rehearsal image's two layer tars.
pub fn layers() -> Vec<Vec<u8>> {
    let mut first = Vec::new();
    let mut status = String::new();
    for i in 0..PACKAGES {
        package(&mut first, &mut status, i, &format!("1.{i}-1"));
    }
    entry(&mut first, "var/lib/dpkg/status", status.as_bytes(), 0o644);
    entry(
        &mut first,
        "etc/os-release",
        b"PRETTY_NAME=\"Rehearsal 1\"\nNAME=\"Rehearsal\"\nID=debian\nVERSION_ID=\"12\"\n",
        0o644,
    );
    let dist = "usr/lib/python3/dist-packages/rehearsal-1.0.dist-info";
    entry(
        &mut first,
        &format!("{dist}/METADATA"),
        b"Metadata-Version: 2.1\nName: rehearsal\nVersion: 1.0\nLicense: MIT\n",
        0o644,
    );
    entry(
        &mut first,
        &format!("{dist}/RECORD"),
        format!("rehearsal/__init__.py,,12\n{dist}/METADATA,,60\n").as_bytes(),
        0o644,
    );
    entry(
        &mut first,
        "usr/lib/python3/dist-packages/rehearsal/__init__.py",
        b"VERSION = 1\n",
        0o644,
    );
    entry(
        &mut first,
        "usr/lib/node_modules/rehearse/package.json",
        br#"{"name":"rehearse","version":"2.0.1","license":"ISC"}"#,
        0o644,
    );
    // An executable no package owns: probed for Go or Rust build info (read back by range).
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(4096, 0);
    entry(&mut first, "usr/local/bin/tool", &elf, 0o755);
    first.resize(first.len() + 1024, 0);
    // The second layer: every third package upgraded, every fifth removed, ten new ones.
    let mut second = Vec::new();
    let mut status = String::new();
    for i in 0..PACKAGES + 10 {
        if i < PACKAGES && i % 5 == 0 {
            // Removed, as dpkg removes: its files and its list deleted (whiteouts).
            for gone in [
                format!("usr/bin/.wh.pkg{i}"),
                format!("usr/share/doc/.wh.pkg{i}"),
                format!("usr/lib/.wh.pkg{i}"),
                format!("var/lib/dpkg/info/.wh.pkg{i}.list"),
            ] {
                entry(&mut second, &gone, b"", 0o644);
            }
            continue;
        }
        if i >= PACKAGES || i % 3 == 0 {
            package(&mut second, &mut status, i, &format!("2.{i}-1"));
        } else {
            status.push_str(&format!(
                "Package: pkg{i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.{i}-1\n\n"
            ));
        }
    }
    entry(&mut second, "var/lib/dpkg/status", status.as_bytes(), 0o644);
    second.resize(second.len() + 1024, 0);
    vec![first, second]
}

/// Runs the analysis on the rehearsal image, as the worker runs it on a real one (scanned
/// keeping the databases, the tree built, the rest read by range, the report encoded).
pub fn rehearse() -> (PackageReport, usize) {
    let limits = Limits::default();
    let blobs = layers();
    let mut indexes = Vec::new();
    let mut captured = Vec::new();
    for blob in &blobs {
        let mut scanner = LayerScanner::new(Some(Compression::None), &limits)
            .capture(strata_core::packages::CAPTURE);
        scanner.push(blob);
        let (scan, kept) = scanner.finish_captured();
        indexes.push(Some(scan.index));
        captured.push(kept);
    }
    let tree = strata_core::build_tree(indexes);
    let history = strata_core::history::History {
        rows: Vec::new(),
        diagnostics: Vec::new(),
    };
    let sources: Vec<MemorySource> = blobs.into_iter().map(MemorySource::new).collect();
    let report = analyse_packages(&tree, &history, &limits, &captured, &mut |layer, ranges| {
        let source = &sources[layer];
        let at = BlobLocation {
            offset: 0,
            len: source.as_slice().len() as u64,
        };
        read_ranges(source, at, Compression::None, ranges)
    });
    let json = serde_json::to_vec(&report).map_or(0, |j| j.len());
    (report, json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::packages::Ecosystem;

    #[test]
    fn the_rehearsal_takes_the_paths_a_real_image_does() {
        let (report, json) = rehearse();
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let of = |e: Ecosystem| {
            report
                .final_packages()
                .filter(|(_, p)| p.ecosystem == e)
                .count()
        };
        // 120 less the 24 removed, plus 10 new.
        assert_eq!(of(Ecosystem::Deb), PACKAGES - PACKAGES / 5 + 10);
        assert_eq!(of(Ecosystem::Python), 1);
        assert_eq!(of(Ecosystem::Npm), 1);
        let second = &report.layers[1];
        assert_eq!(second.removed.len(), PACKAGES / 5);
        assert_eq!(second.added.len(), 10);
        // Every third of the 96 kept was upgraded (0 is removed, so from 3 on: 32 of them).
        assert_eq!(
            second.changed.len(),
            (0..PACKAGES).filter(|i| i % 5 != 0 && i % 3 == 0).count()
        );
        assert!(report.os.is_some());
        assert_eq!(report.unowned_executables.len(), 1);
        assert!(json > 10_000, "{json}");
    }
}
