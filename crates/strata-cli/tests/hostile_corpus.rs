//! The hostile corpus (`scripts/hostile-corpus.py`, run by the test command): each case must end
//! in exactly the error or diagnostic `cases.json` names, within 10 seconds and 512 MiB of heap,
//! never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

use peak_alloc::PeakAlloc;
use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use strata_core::{
    Diagnostic, Limits, ManifestPick, ReadAt, SourceError, load_image, open_archive, scan_image,
};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const TIME_BOUND: Duration = Duration::from_secs(10);
const MEMORY_BOUND: usize = 512 << 20;

struct Positioned(File, u64);

impl ReadAt for Positioned {
    fn len(&self) -> u64 {
        self.1
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        std::os::unix::fs::FileExt::read_at(&self.0, buf, offset)
            .map_err(|e| SourceError(e.to_string()))
    }
}

/// What happened: an error (kind, text) at some stage, or the diagnostics of a full read.
enum Outcome {
    Error(&'static str, String),
    Diagnostics(Vec<Diagnostic>),
}

fn run(path: PathBuf) -> Outcome {
    let file = File::open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Positioned(file, len);
    let limits = Limits::default();
    let archive = match open_archive(&source, &limits, &mut |_| {}) {
        Ok(a) => a,
        Err(e) => return Outcome::Error(e.kind(), e.to_string()),
    };
    let mut image = match load_image(&archive, &source, 0, &ManifestPick::Default, &limits) {
        Ok(i) => i,
        Err(e) => return Outcome::Error(e.kind(), e.to_string()),
    };
    let mut diagnostics = image.diagnostics.clone();
    match scan_image(&mut image, &source, &limits, &mut |_, _, _| true) {
        Ok(a) => diagnostics.extend(a.diagnostics),
        Err(e) => return Outcome::Error(e.kind(), e.to_string()),
    }
    Outcome::Diagnostics(diagnostics)
}

#[test]
fn every_hostile_case_ends_as_expected_in_bounded_time_and_memory() {
    let dir = std::env::var_os("STRATA_HOSTILE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/hostile"),
        PathBuf::from,
    );
    let cases: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(dir.join("cases.json")).expect("no hostile corpus: run `scripts/hostile-corpus.py target/hostile` (the test command does)"),
    )
    .unwrap();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["file"].as_str().unwrap().to_owned();
        let expect = case["expect"].as_str().unwrap().to_owned();
        let contains = case["contains"].as_str().unwrap_or("").to_owned();
        let base = ALLOC.current_usage();
        ALLOC.reset_peak_usage();
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let path = dir.join(&name);
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| run(path));
            let _ = tx.send(outcome);
        });
        let outcome = match rx.recv_timeout(TIME_BOUND) {
            Ok(Ok(o)) => o,
            Ok(Err(_)) => {
                failures.push(format!("{name}: panicked"));
                continue;
            }
            Err(_) => {
                failures.push(format!("{name}: still running after {TIME_BOUND:?}"));
                continue;
            }
        };
        let took = started.elapsed();
        let peak = ALLOC.peak_usage().saturating_sub(base);
        if peak > MEMORY_BOUND {
            failures.push(format!("{name}: used {} MiB of heap", peak >> 20));
        }
        let (kind, want) = expect.split_once(':').unwrap_or((expect.as_str(), ""));
        let verdict = match (&outcome, kind) {
            (Outcome::Error(k, text), "error") => (*k == want && text.contains(&contains))
                .then_some(())
                .ok_or(format!("error {k}: {text}")),
            (Outcome::Diagnostics(ds), "diagnostic") => ds
                .iter()
                .any(|d| {
                    d.code == want
                        && (d.message.contains(&contains) || d.subject.contains(&contains))
                })
                .then_some(())
                .ok_or(format!(
                    "diagnostics {:?}",
                    ds.iter()
                        .map(|d| format!("{}: {}", d.code, d.message))
                        .collect::<Vec<_>>()
                )),
            (Outcome::Diagnostics(ds), "ok") => {
                let errors: Vec<_> = ds
                    .iter()
                    .filter(|d| d.severity == strata_core::Severity::Error)
                    .collect();
                errors
                    .is_empty()
                    .then_some(())
                    .ok_or(format!("errors {errors:?}"))
            }
            (Outcome::Error(k, text), _) => Err(format!("error {k}: {text}")),
            (Outcome::Diagnostics(ds), _) => Err(format!(
                "no error; diagnostics {:?}",
                ds.iter().map(|d| &d.code).collect::<Vec<_>>()
            )),
        };
        println!(
            "{name:<36} {:>6} ms {:>5} MiB  {expect}",
            took.as_millis(),
            peak >> 20
        );
        if let Err(got) = verdict {
            failures.push(format!(
                "{name}: expected {expect} containing {contains:?}, got {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
