//! `strata ls --merged` of the 1 GB docker-save fixture (100,000 files in 4 uncompressed
//! layers, `scripts/fixtures.sh`), end to end through the built binary: positioned reads, the
//! layers on one thread per core, sha256 (SHA-NI) of every layer, indexing, the merged tree and
//! 100,000 lines written to a pipe. scripts/bench.sh compares the same command with
//! `tar -xOf ARCHIVE LAYER | tar -tvf -` over the layers.
//!
//!     cargo bench -p strata-cli --bench ls

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn ls_merged(c: &mut Criterion) {
    let archive =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fixtures/images/scale.1g.tar");
    if !archive.exists() {
        eprintln!(
            "{}: not there (scripts/fixtures.sh makes it); nothing to measure",
            archive.display()
        );
        return;
    }
    let len = std::fs::metadata(&archive).unwrap().len();
    let mut g = c.benchmark_group("strata ls --merged");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(len));
    g.bench_function("scale.1g.tar (100k files, every digest verified)", |b| {
        b.iter(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_strata"))
                .args(["ls", "--merged"])
                .arg(&archive)
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            // Exit 0: every layer's digest and diff_id matched (3 would say damaged).
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.len() > 1_000_000);
        })
    });
    g.finish();
}

criterion_group!(group, ls_merged);
criterion_main!(group);
