//! The layer scanner (tar reader, indexer, gzip and zstd), fed in chunks whose sizes come from
//! the input: never a panic, bounded work.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_core::{LayerScanner, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    let limits = Limits { max_layer_bytes: 64 << 20, max_layer_entries: 100_000, ..Limits::default() };
    let mut s = LayerScanner::new(None, &limits);
    for part in rest.chunks(usize::from(chunk).max(1)) {
        s.push(part);
    }
    let scan = s.finish();
    let _ = strata_core::tree::ImageTree::build(vec![scan.index]);
});
