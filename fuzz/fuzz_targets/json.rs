//! Manifest, index and config parsing: typed errors, never a panic or a stack overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_core::Limits;
use strata_core::model::{ImageConfig, parse_document, parse_json};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = parse_document("fuzz", data, "", &limits);
    let _ = parse_document("fuzz", data, "application/vnd.oci.image.index.v1+json", &limits);
    let _ = parse_json::<ImageConfig>("fuzz", data, &limits);
    let _ = parse_json::<Vec<strata_core::archive::DockerSaveEntry>>("fuzz", data, &limits);
});
