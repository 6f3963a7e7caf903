//! Snapshot files someone sends: bounded decompression, decoding, index validation.
//! The code is strata_core::fuzzing::snapshot, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::snapshot(data));
