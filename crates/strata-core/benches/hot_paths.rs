//! The engine's hot paths, so regressions show: scanning an archive's headers, a layer's
//! inflate (or zstd decode) + both hashes + index, an uncompressed scan, the zstd decoder and
//! sha256 alone, building the tree of many files (at once and in slices), the merged view, the
//! waste report, the file hints, the guided walk's examples, a snapshot's body and a scan as
//! the page reads it. Data is generated here, in memory (zstd streams by zrip's encoder,
//! level 3: no zstd binary is needed to run this).
//!
//!     cargo bench -p strata-core --bench hot_paths

#![allow(clippy::unwrap_used)]

#[cfg(not(target_arch = "wasm32"))]
mod benches {
    use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
    use std::hint::black_box;
    use std::io::Write;
    use strata_core::digest::Sha256Stream;
    use strata_core::hints::{FileHints, file_hints};
    use strata_core::layer::decode::{Compression, Decoder, Sink};
    use strata_core::lessons::{Examples, ExamplesWalk};
    use strata_core::tar::scan_archive;
    use strata_core::tree::{ImageTree, TreeBuilder, WasteWalk};
    use strata_core::{LayerScanner, Limits, MemorySource};

    /// A layer tar of `n` files of `size` bytes spread over directories.
    fn layer(n: usize, size: usize) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        for i in 0..n {
            let mut h = tar::Header::new_gnu();
            h.set_size(size as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(
                &mut h,
                format!("usr/share/d{:03}/f{i:07}", i / 1000),
                data.as_slice(),
            )
            .unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zrip::compress(data, 3).unwrap()
    }

    /// Counts what the decoder makes, touching nothing else.
    struct Count(u64);
    impl Sink for Count {
        fn write(&mut self, data: &[u8]) -> Result<(), strata_core::Error> {
            self.0 += data.len() as u64;
            Ok(())
        }
    }

    /// The push decoder alone, fed 4 MiB at a time as hosts do.
    fn decode(c: Compression, blob: &[u8]) -> u64 {
        let mut d = Decoder::new(c);
        let mut n = Count(0);
        for chunk in blob.chunks(4 << 20) {
            d.push(chunk, &mut n).unwrap();
        }
        d.finish(&mut n).unwrap();
        n.0
    }

    fn scan(blob: &[u8]) -> strata_core::LayerScan {
        scan_with(LayerScanner::new(None, &Limits::default()), blob)
    }

    fn scan_with(mut s: LayerScanner, blob: &[u8]) -> strata_core::LayerScan {
        for chunk in blob.chunks(4 << 20) {
            s.push(chunk);
        }
        s.finish()
    }

    pub fn hot_paths(c: &mut Criterion) {
        let small = layer(20_000, 100);
        let big = layer(40, 500_000);
        let mut g = c.benchmark_group("layer scan");
        g.sample_size(10);
        for (name, tar) in [("20k small files", &small), ("40 x 500 kB", &big)] {
            g.throughput(Throughput::Bytes(tar.len() as u64));
            g.bench_with_input(BenchmarkId::new("uncompressed", name), tar, |b, t| {
                b.iter(|| black_box(scan(t)))
            });
            // As the workers scan: told the blob's size, the index makes room once instead of
            // doubling (LayerScanner::expecting); it must cost no more than doubling does.
            g.bench_with_input(
                BenchmarkId::new("uncompressed, expecting its size", name),
                tar,
                |b, t| {
                    b.iter(|| {
                        let s =
                            LayerScanner::new(None, &Limits::default()).expecting(t.len() as u64);
                        black_box(scan_with(s, t))
                    })
                },
            );
            let gz = gzip(tar);
            g.bench_with_input(
                BenchmarkId::new("gzip: inflate + 2 sha256 + index", name),
                &gz,
                |b, t| b.iter(|| black_box(scan(t))),
            );
            let zst = zstd(tar);
            g.bench_with_input(
                BenchmarkId::new("zstd: decode + 2 sha256 + index", name),
                &zst,
                |b, t| b.iter(|| black_box(scan(t))),
            );
        }
        g.finish();

        // The pieces of a compressed layer's scan alone, MB/s of uncompressed bytes.
        let mut g = c.benchmark_group("decode and hash");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(big.len() as u64));
        let zst = zstd(&big);
        g.bench_function("zstd decode (zrip, push, 40 x 500 kB)", |b| {
            b.iter(|| black_box(decode(Compression::Zstd, &zst)))
        });
        let gz = gzip(&big);
        g.bench_function("gzip inflate (zlib-rs, push, 40 x 500 kB)", |b| {
            b.iter(|| black_box(decode(Compression::Gzip, &gz)))
        });
        // Against `openssl dgst -sha256` on the same machine: see scripts/bench.sh.
        g.bench_function("sha256 (sha2; SHA-NI where the CPU has it)", |b| {
            b.iter(|| {
                let mut h = Sha256Stream::new();
                for chunk in big.chunks(4 << 20) {
                    h.update(chunk);
                }
                black_box(h.finish())
            })
        });
        g.finish();

        // The outer archive: headers only, bodies skipped.
        let mut archive = tar::Builder::new(Vec::new());
        for i in 0..200 {
            let mut h = tar::Header::new_gnu();
            h.set_size(big.len() as u64);
            h.set_cksum();
            archive
                .append_data(&mut h, format!("blobs/sha256/{i:064x}"), big.as_slice())
                .unwrap();
        }
        let archive = MemorySource::new(archive.into_inner().unwrap());
        c.bench_function("archive header scan (200 x 20 MB entries)", |b| {
            b.iter(|| black_box(scan_archive(&archive, &Limits::default(), &mut |_| {}).unwrap()))
        });

        let l1 = scan(&small).index;
        let l2 = scan(&layer(10_000, 50)).index;
        let mut g = c.benchmark_group("tree");
        g.sample_size(10);
        g.bench_function("build (20k + 10k entries, 2 layers)", |b| {
            b.iter(|| black_box(ImageTree::build(vec![l1.clone(), l2.clone()])))
        });
        let tree = ImageTree::build(vec![l1.clone(), l2.clone()]);
        g.bench_function("merged view of the last layer", |b| {
            b.iter(|| black_box(tree.merged(1)))
        });
        g.bench_function("waste report", |b| b.iter(|| black_box(tree.waste())));
        // The page builds the tree, finds its hints and the guided walk's examples in slices of
        // 8192 steps between looks at the clock: the slices must cost no more than the whole.
        g.bench_function("build in 8192-step slices (same layers)", |b| {
            b.iter(|| {
                let mut t = TreeBuilder::new(vec![l1.clone(), l2.clone()]);
                while !t.work(8192) {}
                black_box(t.finish())
            })
        });
        g.bench_function("file hints", |b| b.iter(|| black_box(file_hints(&tree))));
        g.bench_function("file hints in 8192-path slices", |b| {
            b.iter(|| {
                let mut h = FileHints::new(&tree);
                while !h.work(&tree, 8192) {}
                black_box(h.finish(&tree))
            })
        });
        g.bench_function("waste report in 8192-path slices", |b| {
            b.iter(|| {
                let mut w = WasteWalk::new(&tree);
                while !w.work(&tree, 8192) {}
                black_box(w.finish(&tree))
            })
        });
        let waste = tree.waste();
        g.bench_function("the guided walk's examples", |b| {
            b.iter(|| black_box(Examples::of(&tree, &waste)))
        });
        g.bench_function("the guided walk's examples in 8192-path slices", |b| {
            b.iter(|| {
                let mut w = ExamplesWalk::new(&tree);
                while !w.work(&tree, 8192) {}
                black_box(w.finish(&tree, &waste))
            })
        });
        g.finish();

        // A snapshot's body of the same two layers, in one go and as the page writes it (16k
        // elements a call): the slices must cost no more than the whole.
        let oci = MemorySource::new(include_bytes!("../tests/data/tiny.oci.tar").to_vec());
        let limits = Limits::default();
        let archive = strata_core::open_archive(&oci, &limits, &mut |_| {}).unwrap();
        let mut image = strata_core::load_image(
            &archive,
            &oci,
            0,
            &strata_core::ManifestPick::Default,
            &limits,
        )
        .unwrap();
        let analysis = strata_core::analyse(
            &mut image,
            vec![Some(scan(&small)), Some(scan(&layer(10_000, 50)))],
        );
        let mut g = c.benchmark_group("snapshot body (20k + 10k entries)");
        g.sample_size(10);
        g.bench_function("in one go", |b| {
            b.iter(|| {
                black_box(strata_core::snapshot::body_of("a", "b", &image, &analysis).unwrap())
            })
        });
        // The whole body written as the page writes it, 16k elements a call.
        let written = || {
            let mut w =
                strata_core::snapshot::BodyWriter::new("a", "b", &image, &analysis).unwrap();
            while !w.write(&analysis, 16_384).unwrap() {}
            w
        };
        g.bench_function("16k elements a call", |b| {
            b.iter(|| black_box(written().finish()))
        });
        // As the page saves it: in the pieces it was written in, never joined in one buffer.
        g.bench_function("16k elements a call, kept in its pieces", |b| {
            b.iter(|| black_box(written().finish_in_pieces()))
        });
        g.finish();

        // A 20k-entry layer's scan as the page gets it from a worker: postcard in one go, and
        // as the page reads it (8192 elements a call, a task's slice between looks at the
        // clock): the slices must cost no more than the whole.
        let scanned = scan(&small);
        let bytes = postcard::to_allocvec(&scanned).unwrap();
        let mut g = c.benchmark_group("a scan from the worker (20k entries)");
        g.sample_size(20);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("postcard in one go", |b| {
            b.iter(|| black_box(postcard::from_bytes::<strata_core::LayerScan>(&bytes).unwrap()))
        });
        g.bench_function("ScanReader, 8192 elements a call", |b| {
            b.iter(|| {
                let mut r = strata_core::layer::ScanReader::new();
                loop {
                    if let Some(s) = r.work(&bytes, 8192).unwrap() {
                        break black_box(s);
                    }
                }
            })
        });
        // As the page reads a scan still in its JS buffer: through a window, 64 KiB more
        // copied in each time it runs out (the page copies 4 MiB; this scan is 1.2 MB), and
        // what is read let go.
        g.bench_function("ScanReader through a window, 8192 elements a call", |b| {
            use strata_core::layer::{Progress, ScanReader, ScanWindow};
            b.iter(|| {
                let (mut r, mut window) = (ScanReader::new(), ScanWindow::new(bytes.len()));
                loop {
                    match r.work_in(window.view(), 8192).unwrap() {
                        Progress::Scan(s) => break black_box(s),
                        Progress::Budget => {}
                        Progress::NeedBytes => window.slide(r.consumed(), 64 << 10, |at, out| {
                            out.copy_from_slice(&bytes[at..at + out.len()]);
                        }),
                    }
                }
            })
        });
        g.finish();
    }

    criterion_group!(group, hot_paths);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches::group);

#[cfg(target_arch = "wasm32")]
fn main() {}
