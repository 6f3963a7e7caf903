//! What the package analysis adds to reading an image, on a real ~530-package Debian image
//! (`scripts/package-fixtures.sh bench`: debootstrap plus `apt-get install` of ~440 packages)
//! in both layouts a host meets — uncompressed layers (docker-archive: files read in place)
//! and gzip layers (oci-archive: one decompression pass per layer and round) — and on the
//! 1 GB generated image of the main fixtures (no packages: the cost of looking). Here, not in
//! strata-core, because it reads files: a host's job. Prints the peak heap of one analysis.
//!
//!     cargo bench -p strata-cli --bench packages

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use peak_alloc::PeakAlloc;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_core::history::{History, history};
use strata_core::layer::content::read_ranges;
use strata_core::layer::scan::Captured;
use strata_core::packages::{PackageReport, analyse_packages};
use strata_core::{Analysis, Image, Limits, ManifestPick, ReadAt, SourceError};

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

struct File(std::fs::File, u64);

impl ReadAt for File {
    fn len(&self) -> u64 {
        self.1
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.0
            .read_at(buf, offset)
            .map_err(|e| SourceError(e.to_string()))
    }
}

fn open(path: &Path) -> (File, Image) {
    let f = std::fs::File::open(path).unwrap();
    let len = f.metadata().unwrap().len();
    let source = File(f, len);
    let limits = Limits::default();
    let archive = strata_core::open_archive(&source, &limits, &mut |_| {}).unwrap();
    let image =
        strata_core::load_image(&archive, &source, 0, &ManifestPick::Default, &limits).unwrap();
    (source, image)
}

/// The layers read (as the app and the CLI do before any view), keeping the package database
/// files when `capture` (what `strata packages` does).
fn layers_ready(
    source: &File,
    image: &Image,
    capture: bool,
) -> (Analysis, History, Vec<Vec<Captured>>) {
    let mut image = image.clone();
    let rule = capture.then_some(strata_core::packages::CAPTURE);
    let (a, c) = strata_core::scan_image_capturing(
        &mut image,
        source,
        &Limits::default(),
        rule,
        &mut |_, _, _| true,
    )
    .unwrap();
    let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.uncompressed_size).collect();
    let h = history(&image, &sizes);
    (a, h, c)
}

fn packages(
    source: &File,
    image: &Image,
    a: &Analysis,
    h: &History,
    captured: &[Vec<Captured>],
) -> PackageReport {
    analyse_packages(
        &a.tree,
        h,
        &Limits::default(),
        captured,
        &mut |layer, ranges| {
            let l = &image.layers[layer];
            read_ranges(
                source,
                l.location.unwrap(),
                l.compression.unwrap_or(strata_core::Compression::None),
                ranges,
            )
        },
    )
}

fn images() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(root.join("scripts/package-fixtures.sh"))
        .arg("bench")
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("scripts/package-fixtures.sh bench");
    assert!(
        out.status.success(),
        "scripts/package-fixtures.sh bench failed"
    );
    let dir = PathBuf::from(
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .lines()
            .last()
            .unwrap()
            .to_owned(),
    );
    let mut v = vec![
        (
            "debian ~530 pkgs, uncompressed".to_owned(),
            dir.join("debian-big.docker.tar"),
        ),
        (
            "debian ~530 pkgs, gzip".to_owned(),
            dir.join("debian-big.oci.tar"),
        ),
    ];
    let scale = root.join("target/fixtures/images/scale.1g.tar");
    if scale.exists() {
        v.push(("1 GB generated, no packages".to_owned(), scale));
    }
    v
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("packages");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    for (name, path) in images() {
        let (source, image) = open(&path);
        let (a, h, captured) = layers_ready(&source, &image, true);
        let kept: usize = captured.iter().flatten().map(|c| c.bytes.len()).sum();
        PEAK.reset_peak_usage();
        let before = PEAK.current_usage();
        let r = packages(&source, &image, &a, &h, &captured);
        eprintln!(
            "{name}: {} packages now, {} ever, {} owned paths; {:.1} MiB of database files kept \
             by the scan; the analysis's peak heap above them: {:.1} MiB",
            r.final_packages().count(),
            r.packages.len(),
            r.owners.len(),
            kept as f64 / (1 << 20) as f64,
            (PEAK.peak_usage() - before) as f64 / (1 << 20) as f64
        );
        let json = serde_json::to_vec(&r).unwrap();
        eprintln!(
            "{name}: the report is {:.2} MiB of JSON ({} owners)",
            json.len() as f64 / (1 << 20) as f64,
            r.owners.len()
        );
        let cases: [(&str, &dyn Fn()); 5] = [
            ("layers ready", &|| {
                black_box(layers_ready(&source, &image, false));
            }),
            ("layers ready, keeping the databases", &|| {
                black_box(layers_ready(&source, &image, true));
            }),
            ("package analysis on the kept files", &|| {
                black_box(packages(&source, &image, &a, &h, &captured));
            }),
            ("package analysis reading them again", &|| {
                black_box(packages(&source, &image, &a, &h, &[]));
            }),
            // What the page decodes on its main thread when the report arrives.
            ("the report from JSON", &|| {
                black_box(serde_json::from_slice::<PackageReport>(&json).unwrap());
            }),
        ];
        for (what, f) in cases {
            g.bench_with_input(BenchmarkId::new(what, &name), &(), |b, ()| b.iter(f));
        }
    }
    g.finish();
}

criterion_group!(group, bench);
criterion_main!(group);
