//! Manifest, index and config parsing: typed errors, never a panic or a stack overflow.
//! The code is strata_core::fuzzing::json, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::json(data));
