//! The whiteout and merged-tree builder over several fuzzed layers, and every view of it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_core::explorer::{Filter, LayerView, Sort, ViewMode, rows};
use strata_core::tree::ImageTree;
use strata_core::{LayerScanner, Limits};

fuzz_target!(|data: &[u8]| {
    // Layers separated by a marker, so the fuzzer can build several.
    let limits = Limits { max_layer_entries: 20_000, ..Limits::default() };
    let layers: Vec<_> = data
        .split(|&b| b == 0xa5)
        .take(6)
        .map(|part| {
            let mut s = LayerScanner::new(Some(strata_core::Compression::None), &limits);
            s.push(part);
            s.finish().index
        })
        .collect();
    let tree = ImageTree::build(layers);
    for l in 0..tree.n_layers() {
        let _ = tree.merged(l);
        let _ = tree.changes(l);
        for mode in [ViewMode::Merged, ViewMode::Changes] {
            let view = LayerView::new(&tree, l, mode);
            let _ = rows(&tree, &view, &|_| true, &Filter::default(), Sort::Size);
        }
    }
    let _ = tree.waste();
});
