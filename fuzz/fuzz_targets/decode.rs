//! The push decompressors directly: gzip and zstd streams cut anywhere.
//! The code is strata_core::fuzzing::decode, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::decode(data));
