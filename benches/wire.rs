//! A scan's way from the scanning worker to the page, natively, so regressions show: postcard
//! into one `Vec` that is then copied into the buffer carrying it (as before), against
//! [`strata_web::wire::write_scan`] writing straight into that buffer in 1 MiB pieces (as the
//! worker does, into a JS `ArrayBuffer`). The carrier here is a `Vec` of the scan's size.
//!
//!     cargo bench -p strata-web --bench wire

#![allow(clippy::unwrap_used)]

#[cfg(not(target_arch = "wasm32"))]
mod benches {
    use criterion::{Criterion, Throughput, criterion_group};
    use std::hint::black_box;
    use strata_core::{LayerScan, LayerScanner, Limits};
    use strata_web::wire::{scan_size, write_scan};

    /// A layer of `n` small files over directories of a thousand, scanned.
    fn scanned(n: usize) -> LayerScan {
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..n {
            let mut h = tar::Header::new_gnu();
            h.set_size(10);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(
                &mut h,
                format!("usr/share/d{:03}/f{i:07}", i / 1000),
                &b"0123456789"[..],
            )
            .unwrap();
        }
        let tar = b.into_inner().unwrap();
        let mut s = LayerScanner::new(None, &Limits::default()).expecting(tar.len() as u64);
        s.push(&tar);
        s.finish()
    }

    pub fn wire(c: &mut Criterion) {
        let scan = scanned(100_000);
        let size = scan_size(&scan, &[]).unwrap();
        let mut g = c.benchmark_group("a scan to the page (100k entries)");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("postcard to a Vec, copied into the carrier", |b| {
            b.iter(|| {
                let bytes = postcard::to_allocvec(&scan).unwrap();
                let mut carrier = vec![0u8; bytes.len()];
                carrier.copy_from_slice(&bytes);
                black_box(carrier)
            })
        });
        g.bench_function("write_scan into the carrier, 1 MiB a piece", |b| {
            b.iter(|| {
                let mut carrier = vec![0u8; scan_size(&scan, &[]).unwrap()];
                write_scan(&scan, &[], &mut |at, piece| {
                    carrier[at..at + piece.len()].copy_from_slice(piece)
                })
                .unwrap();
                black_box(carrier)
            })
        });
        g.finish();
    }

    criterion_group!(group, wire);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches::group);

#[cfg(target_arch = "wasm32")]
fn main() {}
