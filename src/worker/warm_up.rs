//! Rehearsals on a made-up image: of the package analysis, run once by the package worker
//! while the real image's layers are still being read, and of a layer's scan, run once by a
//! spare worker while the page waits for a file ([`rehearse_scan`]).
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

/// The rehearsal image's first layer ([`layers`]) compressed by `zstd -19` (made once, as the
/// worker has no zstd encoder: 29 KiB of its download; a test checks it still holds that
/// layer). Its gzip form is made when rehearsed (62 KiB more to download otherwise).
const ZSTD_LAYER: &[u8] = include_bytes!("rehearsal/layer.tar.zst");

/// What [`rehearse_scan`] read of each form of the layer.
#[derive(Debug)]
pub struct ScanRehearsal {
    /// The uncompressed layer's scan (its digest left for later, as a dropped file's is), then
    /// the gzip and the zstd layer's.
    pub scans: [strata_core::LayerScan; 3],
    /// The uncompressed layer's digest, hashed apart as a `HashBlob` job does.
    pub digest: strata_core::Digest,
}

/// Rehearses a pool worker's hot loops (tar headers, content hashes, inflate, zstd, sha256) on
/// the rehearsal image's first layer in each form, a MiB a push as a stream gives them, run
/// once by the first spare worker while the page waits for a file: the same reason as
/// [`rehearse`]'s, for the scan. Unrehearsed, V8 optimised those loops on the background
/// threads of the first drop, just as the overview was laid out: on two cores that layout took
/// 56 ms of which 21 shaping one line, beside 87 ms of wasm tier-up on the other threads
/// (headless Chromium trace of `layers.oci.tar`; 165-178 ms on the 4.6 GB image).
pub fn rehearse_scan() -> ScanRehearsal {
    let limits = Limits::default();
    let tar = layers().swap_remove(0);
    let scan = |bytes: &[u8], deferred: bool| {
        let mut scanner = LayerScanner::new(None, &limits).expecting(bytes.len() as u64);
        if deferred {
            scanner = scanner.defer_uncompressed_digest();
        }
        let mut scanner = scanner.capture(strata_core::packages::CAPTURE);
        for chunk in bytes.chunks(1 << 20) {
            scanner.push(chunk);
        }
        scanner.finish_captured().0
    };
    let plain = scan(&tar, true);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = std::io::Write::write_all(&mut gzip, &tar);
    let gzip = gzip.finish().unwrap_or_default();
    let mut hash = strata_core::Sha256Stream::new();
    for chunk in tar.chunks(1 << 20) {
        hash.update(chunk);
    }
    ScanRehearsal {
        scans: [plain, scan(&gzip, false), scan(ZSTD_LAYER, false)],
        digest: hash.finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::packages::Ecosystem;

    #[test]
    fn the_scan_rehearsal_reads_the_same_layer_in_each_form() {
        let r = rehearse_scan();
        let [plain, gzip, zstd] = &r.scans;
        assert_eq!(plain.compression, Compression::None);
        assert_eq!(gzip.compression, Compression::Gzip);
        assert_eq!(zstd.compression, Compression::Zstd);
        assert_eq!(plain.digest, None, "left for later, as a dropped file's");
        // The compressed blobs still hold the rehearsal's layer: their diff_id is its digest
        // (else remake `rehearsal/layer.tar.zst` from `layers()[0]` with zstd -19).
        for s in [gzip, zstd] {
            assert!(s.error.is_none(), "{:?}", s.error);
            assert_eq!(
                s.diff_id.as_ref().map(|d| d.as_str()),
                Some(r.digest.as_str())
            );
            assert_eq!(s.index.entries.len(), plain.index.entries.len());
            assert_eq!(s.tar_size, plain.tar_size);
        }
        assert!(plain.index.entries.len() > PACKAGES * FILES_EACH);
    }

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
