//! The archive detector and readers, image loading and layer scanning, through short reads.
//! The code is strata_core::fuzzing::archive, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::archive(data));
