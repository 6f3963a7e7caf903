//! The archive detector and readers, image loading and layer scanning, on arbitrary bytes
//! read through short reads: never a panic, whatever the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_core::{Limits, ManifestPick, MemorySource, ShortReads, load_image, open_archive, scan_image};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_layer_bytes: 64 << 20, max_json_bytes: 1 << 20, ..Limits::default() };
    let source = ShortReads::random(MemorySource::new(data), data.len() as u64);
    let Ok(archive) = open_archive(&source, &limits, &mut |_| {}) else { return };
    for i in 0..archive.images.len().min(4) {
        let mut d = Vec::new();
        let _ = archive.manifest_choices(&source, i, &limits, &mut d);
        if let Ok(mut image) = load_image(&archive, &source, i, &ManifestPick::Default, &limits) {
            let _ = strata_core::overview(&image);
            if let Ok(analysis) = scan_image(&mut image, &source, &limits, &mut |_, _, _| true) {
                let _ = analysis.tree.waste();
            }
        }
    }
});
