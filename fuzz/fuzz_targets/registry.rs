//! The registry protocol against a hostile registry: references, challenges, Link headers, open_image and list_tags driven by arbitrary answers.
//! The code is strata_core::fuzzing::registry, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::registry(data));
