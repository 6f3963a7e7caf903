//! The layer scanner (tar reader, indexer, gzip and zstd), fed in chunks.
//! The code is strata_core::fuzzing::layer, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::layer(data));
