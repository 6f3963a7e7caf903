//! dive's numbers for an image, computed the way dive computes them, so that `.dive-ci`
//! thresholds tuned against dive keep their meaning in `strata ci`.
//!
//! dive's formula differs from Strata's (see ARCHITECTURE.md, "Wasted bytes"), on purpose here:
//! - every layer is a tree of nodes: each tar entry, each `.wh.NAME` whiteout (a node named
//!   NAME that is a whiteout), and each parent directory the tar does not list (a node with no
//!   metadata: size 0, not a directory); `.wh..wh..opq` markers are ignored;
//! - only leaves count (nodes with no child in that layer), visited depth first with children
//!   in byte order; a file's size is its tar header's (0 for links and directories);
//! - a whiteout's size is, when what it deletes is a directory in the layers below, the sum of
//!   every size under it; else 0. A whiteout of something the layers below do not have makes
//!   dive stop counting that layer (it logs an error and goes on to the next);
//! - per path: the sum of its sizes and the smallest; efficiency is Σ smallest / Σ sums (1
//!   with nothing), wasted bytes the sums of every path seen twice or more (all N copies),
//!   and the user wasted share those bytes over the layers after the first (each layer's size
//!   being the sum of its entries' sizes).

use crate::layer::LayerIndex;
use crate::tar::EntryKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What dive prints for an image (`efficiency`, `wastedBytes`, `userWastedPercent`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DiveNumbers {
    pub efficiency: f64,
    pub wasted_bytes: u64,
    /// dive's `userWastedPercent`, a share (0.1 is 10 %); NaN or infinite, as in dive, when the
    /// layers after the first hold nothing.
    pub user_wasted_percent: f64,
    pub size_bytes: u64,
    pub user_size_bytes: u64,
}

/// One node of a layer's tree, as dive builds it.
#[derive(Debug, Clone, Copy)]
struct Node {
    size: u64,
    is_dir: bool,
    whiteout: bool,
}

/// A layer's tree: every node by path (components joined by `/`, no leading `/`).
fn layer_tree(index: &LayerIndex) -> (BTreeMap<Vec<String>, Node>, u64) {
    let mut nodes: BTreeMap<Vec<String>, Node> = BTreeMap::new();
    let mut file_size = 0u64;
    let implicit = Node {
        size: 0,
        is_dir: false,
        whiteout: false,
    };
    let add = |nodes: &mut BTreeMap<Vec<String>, Node>, path: &str, node: Option<Node>| {
        let parts: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        for i in 1..parts.len() {
            nodes.entry(parts[..i].to_vec()).or_insert(implicit);
        }
        if parts.is_empty() {
            return;
        }
        match node {
            Some(n) => {
                nodes.insert(parts, n);
            }
            None => {
                nodes.entry(parts).or_insert(implicit);
            }
        }
    };
    for e in &index.entries {
        let size = if e.kind == EntryKind::File { e.size } else { 0 };
        file_size += size;
        let node = Node {
            size,
            is_dir: e.kind == EntryKind::Dir,
            whiteout: false,
        };
        add(&mut nodes, &index.paths.path(e.path), Some(node));
    }
    for w in &index.whiteouts {
        let target = index.paths.path(w.target);
        if w.opaque {
            // The marker is skipped; the directory it sits in is still made.
            add(&mut nodes, &target, None);
        } else {
            let node = Node {
                size: 0,
                is_dir: false,
                whiteout: true,
            };
            add(&mut nodes, &target, Some(node));
        }
    }
    (nodes, file_size)
}

/// dive's numbers for the layers of an image, in order.
pub fn dive_numbers(layers: &[LayerIndex]) -> DiveNumbers {
    // The layers below the current one, stacked as dive stacks them (whiteouts remove).
    let mut stacked: BTreeMap<Vec<String>, Node> = BTreeMap::new();
    // Per path: (sum of sizes, smallest size, nodes seen).
    let mut per_path: HashMap<Vec<String>, (u64, u64, u32)> = HashMap::new();
    let (mut size_bytes, mut user_size_bytes) = (0u64, 0u64);
    for (i, index) in layers.iter().enumerate() {
        let (nodes, file_size) = layer_tree(index);
        size_bytes += file_size;
        if i > 0 {
            user_size_bytes += file_size;
        }
        let keys: Vec<&Vec<String>> = nodes.keys().collect();
        for (k, path) in keys.iter().enumerate() {
            // A leaf: the next path in order is not below it.
            let is_leaf = keys
                .get(k + 1)
                .is_none_or(|next| !(next.len() > path.len() && next.starts_with(path)));
            if !is_leaf {
                continue;
            }
            let node = nodes[*path];
            let size = if node.whiteout {
                match stacked.get(*path) {
                    None => break, // dive: "unable to propagate ref tree", rest of layer skipped
                    Some(prev) if prev.is_dir => stacked
                        .range((*path).clone()..)
                        .take_while(|(p, _)| p.starts_with(path))
                        .map(|(_, n)| n.size)
                        .sum(),
                    Some(_) => 0,
                }
            } else {
                node.size
            };
            let slot = per_path.entry((*path).clone()).or_insert((0, u64::MAX, 0));
            slot.0 += size;
            slot.1 = slot.1.min(size);
            slot.2 += 1;
        }
        // Stack this layer: nodes in order, a whiteout removing its subtree.
        for (path, node) in nodes {
            if node.whiteout {
                let below: Vec<Vec<String>> = stacked
                    .range(path.clone()..)
                    .take_while(|(p, _)| p.starts_with(&path))
                    .map(|(p, _)| p.clone())
                    .collect();
                for p in below {
                    stacked.remove(&p);
                }
            } else {
                stacked.insert(path, node);
            }
        }
    }
    let (mut minimum, mut discovered, mut wasted) = (0u64, 0u64, 0u64);
    for (sum, min, n) in per_path.values() {
        minimum += min;
        discovered += sum;
        if *n >= 2 {
            wasted += sum;
        }
    }
    DiveNumbers {
        efficiency: if discovered == 0 {
            1.0
        } else {
            minimum as f64 / discovered as f64
        },
        wasted_bytes: wasted,
        user_wasted_percent: wasted as f64 / user_size_bytes as f64,
        size_bytes,
        user_size_bytes,
    }
}
