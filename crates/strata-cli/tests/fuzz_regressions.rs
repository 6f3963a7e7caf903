//! Inputs the fuzzers found (scripts/fuzz.sh copies every crash here) and hand-made ones of
//! the same kinds, replayed through the very functions the libFuzzer targets call
//! (strata_core::fuzzing): each must return, without a panic, within 10 seconds. The file's
//! name says which target: `archive-…`, `layer-…`, `decode-…`, `json-…`, `tree-…`,
//! `snapshot-…`, `registry-…`, `packages-…`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

fn target(name: &str) -> Option<fn(&[u8])> {
    let f: fn(&[u8]) = match name.split('-').next()? {
        "archive" => strata_core::fuzzing::archive,
        "layer" => strata_core::fuzzing::layer,
        "decode" => strata_core::fuzzing::decode,
        "json" => strata_core::fuzzing::json,
        "tree" => strata_core::fuzzing::tree,
        "snapshot" => strata_core::fuzzing::snapshot,
        "registry" => strata_core::fuzzing::registry,
        "packages" => strata_core::fuzzing::packages,
        _ => return None,
    };
    Some(f)
}

#[test]
fn every_saved_input_returns_in_bounded_time() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let f = target(&name).unwrap_or_else(|| panic!("{name}: no target named by its prefix"));
        let data = std::fs::read(&path).unwrap();
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::spawn(move || {
            f(&data);
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(()) => worker.join().unwrap(),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: still running after 10 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("{name}: panicked ({:?})", worker.join().err())
            }
        }
    }
}
