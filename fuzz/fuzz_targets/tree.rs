//! The whiteout and merged-tree builder over several layers, every view of it, the findings.
//! The code is strata_core::fuzzing::tree, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::tree(data));
