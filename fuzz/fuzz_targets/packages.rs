//! The package analysis over one layer: dpkg, apk, rpm (SQLite, Berkeley DB, ndb), Python,
//! npm, ELF (Go, cargo auditable) and jar readers, the report and the SBOMs. The code is
//! strata_core::fuzzing::packages, which tests/fuzz_regressions.rs replays too.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::packages(data));
