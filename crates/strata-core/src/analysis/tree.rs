//! The image's filesystem, layer by layer: what each layer added, modified or deleted, what
//! the merged filesystem is after any layer, each path's timeline, and where the wasted space
//! is.
//!
//! Whiteout semantics (OCI image spec, "Representing Changes"), exactly:
//! - `.wh.NAME` deletes NAME and everything below it, from lower layers only;
//! - `.wh..wh..opq` in a directory hides everything lower layers put below it; the same
//!   layer's entries in that directory stay, whatever their order in the tar;
//! - a non-directory over a lower directory replaces the whole subtree; a directory over a
//!   lower non-directory replaces it.
//!
//! Everything is computed once, as a list of events per path (the path's timeline). The state
//! of any path after layer L is its last event at or before L; the changes of layer L are the
//! events of L. A path deleted and put back in the same layer is one `Modified` event.

use crate::diagnostic::Diagnostic;
use crate::layer::{Entry, LayerIndex};
use crate::paths::{PathId, PathTable};
use crate::tar::EntryKind;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Modified,
    /// In the layer again, identical in content, type, mode, owner and link target.
    Unchanged,
    Deleted,
}

impl Change {
    pub fn letter(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Unchanged => 'U',
            Change::Deleted => 'D',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Unchanged => "unchanged",
            Change::Deleted => "deleted",
        }
    }
}

/// Why a path was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletedBy {
    /// A `.wh.NAME` whiteout of this path or of a directory above it (the whiteout's target).
    Whiteout(PathId),
    /// An opaque whiteout of a directory above it.
    Opaque(PathId),
    /// A non-directory placed over a directory above it (or over it).
    Replaced(PathId),
}

const NO_ENTRY: u32 = u32::MAX;

/// One thing a layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub layer: u16,
    pub change: Change,
    /// The layer's entry for the path (`u32::MAX` for deletions and implied directories).
    pub entry: u32,
    pub deleted_by: Option<DeletedBy>,
}

impl Event {
    pub fn entry(&self) -> Option<usize> {
        (self.entry != NO_ENTRY).then_some(self.entry as usize)
    }

    pub fn is_present(&self) -> bool {
        self.change != Change::Deleted
    }
}

/// The tree of an image, built from its layers' indexes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageTree {
    /// Every path of every layer. An image of one layer shares its layer's table (the same
    /// paths, the same ids).
    pub paths: Arc<PathTable>,
    pub layers: Vec<LayerIndex>,
    /// Per layer: its local path ids mapped to ids in `paths`.
    local_to_global: Vec<Vec<u32>>,
    /// Events grouped by path: `events[event_starts[p]..event_starts[p + 1]]`, in layer order.
    events: Vec<Event>,
    event_starts: Vec<u32>,
    /// Children of each path, sorted by name: `children[child_starts[p]..child_starts[p + 1]]`.
    children: Vec<u32>,
    child_starts: Vec<u32>,
    /// Per layer, the paths it has events for: `layer_paths[layer_starts[l]..layer_starts[l + 1]]`.
    layer_paths: Vec<u32>,
    layer_starts: Vec<u32>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A path's state as a view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// For a hard link, the size of what it links to.
    pub size: u64,
    /// Octal permission bits with setuid/setgid/sticky, as `0755`.
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    pub uname: String,
    pub gname: String,
    pub mtime: i64,
    pub linkname: String,
    /// In the merged view a hard link is the file it links to: this names that path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hardlink_to: Option<String>,
    /// What the layer in question did to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// 1-based number of the layer that last changed it.
    pub layer: usize,
}

/// Wasted space: bytes stored in lower layers that later layers overwrite or delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WasteReport {
    /// Sum of every regular file's stored size, in every layer.
    pub total_file_bytes: u64,
    /// What the final filesystem holds.
    pub final_file_bytes: u64,
    /// Bytes of file versions that a later layer overwrote or deleted (a file in N layers
    /// wastes N−1 copies).
    pub wasted_bytes: u64,
    /// `final_file_bytes / total_file_bytes`, 1 when there are no files. ARCHITECTURE.md
    /// compares it with dive's.
    pub efficiency: f64,
    /// Wasted bytes in layers after the first, over the file bytes of those layers.
    pub user_wasted_percent: f64,
    pub wasted_paths: Vec<WastedPath>,
    /// The [`LARGEST_FILES`] largest files of the merged filesystem, largest first (the
    /// earlier path first among equals).
    pub largest_files: Vec<LargeFile>,
}

/// How many files [`WasteReport::largest_files`] lists.
pub const LARGEST_FILES: usize = 100;

/// [`ImageTree::waste`] found a piece at a time (a million paths took 34 ms in wasm, one task
/// of the page's): [`WasteWalk::work`] visits about `budget` paths of the tree it was made for
/// and says whether it is done; [`WasteWalk::finish`] visits the rest and says what it found.
/// It borrows nothing, so a host can keep it across tasks beside the tree.
#[derive(Debug)]
pub struct WasteWalk {
    /// How many paths the tree has: a different tree is not walked.
    paths: usize,
    /// The next path to visit (by id: the report's order does not depend on the walk's).
    next: usize,
    total: u64,
    wasted: u64,
    final_bytes: u64,
    user_total: u64,
    user_wasted: u64,
    wasted_paths: Vec<WastedPath>,
    /// The hundred largest files so far, the smallest of them on top (bigger first, then the
    /// earlier path, as a stable sort by size gives them). Collecting every file to sort was
    /// most of this walk's time on a million files.
    largest: std::collections::BinaryHeap<(std::cmp::Reverse<u64>, u32, usize)>,
}

impl WasteWalk {
    /// A walk of `tree`, not started.
    pub fn new(tree: &ImageTree) -> WasteWalk {
        WasteWalk {
            paths: tree.paths.len(),
            next: 0,
            total: 0,
            wasted: 0,
            final_bytes: 0,
            user_total: 0,
            user_wasted: 0,
            wasted_paths: Vec::new(),
            largest: std::collections::BinaryHeap::new(),
        }
    }

    /// Visits about `budget` paths (at least one); true once every path is visited. Given
    /// another tree than its own, it visits nothing more.
    pub fn work(&mut self, tree: &ImageTree, budget: usize) -> bool {
        use std::cmp::Reverse;
        if tree.paths.len() != self.paths {
            // What it holds of its own tree are ids, which name other paths in this one.
            self.next = self.paths;
            self.largest.clear();
        }
        let end = self.paths.min(self.next.saturating_add(budget.max(1)));
        for p in self.next..end {
            let id = PathId(p as u32);
            let tl = tree.timeline(id);
            let mut path_waste = 0u64;
            let mut holders = Vec::new();
            for (i, e) in tl.iter().enumerate() {
                let Some(entry) = tree.entry(e).filter(|x| x.kind == EntryKind::File) else {
                    continue;
                };
                self.total += entry.size;
                if e.layer > 0 {
                    self.user_total += entry.size;
                }
                let superseded = i + 1 < tl.len();
                if superseded {
                    self.wasted += entry.size;
                    path_waste += entry.size;
                    if e.layer > 0 {
                        self.user_wasted += entry.size;
                    }
                    if entry.size > 0 {
                        holders.push(e.layer as usize + 1);
                    }
                } else {
                    self.final_bytes += entry.size;
                    let file = (Reverse(entry.size), id.0, e.layer as usize + 1);
                    if self.largest.len() < LARGEST_FILES {
                        self.largest.push(file);
                    } else if self
                        .largest
                        .peek()
                        .is_some_and(|top| (file.0, file.1) < (top.0, top.1))
                    {
                        self.largest.pop();
                        self.largest.push(file);
                    }
                }
            }
            if path_waste > 0 {
                let deleted = tl.last().is_some_and(|e| e.change == Change::Deleted);
                self.wasted_paths.push(WastedPath {
                    path: tree.paths.path(id),
                    wasted_bytes: path_waste,
                    layers: holders,
                    deleted,
                });
            }
        }
        self.next = end;
        self.next >= self.paths
    }

    /// Visits the paths still to visit and says what the walk found.
    pub fn finish(mut self, tree: &ImageTree) -> WasteReport {
        use std::cmp::Reverse;
        while !self.work(tree, usize::MAX) {}
        let largest_files = self
            .largest
            .into_sorted_vec()
            .into_iter()
            .map(|(Reverse(size), id, layer)| LargeFile {
                path: tree.paths.path(PathId(id)),
                size,
                layer,
            })
            .collect();
        let mut wasted_paths = self.wasted_paths;
        wasted_paths.sort_by(|a, b| {
            b.wasted_bytes
                .cmp(&a.wasted_bytes)
                .then(a.path.cmp(&b.path))
        });
        let efficiency = if self.total == 0 {
            1.0
        } else {
            self.final_bytes as f64 / self.total as f64
        };
        let user_wasted_percent = if self.user_total == 0 {
            0.0
        } else {
            self.user_wasted as f64 / self.user_total as f64
        };
        WasteReport {
            total_file_bytes: self.total,
            final_file_bytes: self.final_bytes,
            wasted_bytes: self.wasted,
            efficiency,
            user_wasted_percent,
            wasted_paths,
            largest_files,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WastedPath {
    pub path: String,
    pub wasted_bytes: u64,
    /// 1-based layers holding the dead copies.
    pub layers: Vec<usize>,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LargeFile {
    pub path: String,
    pub size: u64,
    pub layer: usize,
}

/// State while building: what is present at each global path.
#[derive(Clone, Copy)]
struct Present {
    layer: u16,
    entry: u32,
    is_dir: bool,
}

/// An image's tree built a piece at a time, so a host with one thread (the web app's page)
/// can build a million paths' tree between frames: [`TreeBuilder::work`] does about `budget`
/// steps (a name or path copied, a path interned, counted or placed, a directory's children
/// sorted, an entry applied, an event grouped) and says whether it is done. Every stage is cut
/// so: none walks every path in one step (each of those walks took 14-40 ms natively for a
/// million paths, and two or three times that in wasm). [`ImageTree::build`] runs it in one
/// go: both give the same tree, whatever the budgets.
pub struct TreeBuilder {
    layers: Vec<LayerIndex>,
    paths: Arc<PathTable>,
    local_to_global: Vec<Vec<u32>>,
    children: Vec<u32>,
    child_starts: Vec<u32>,
    merge: Merge,
    stage: Stage,
    /// The events grouped by path, once they are.
    events: Vec<Event>,
    event_starts: Vec<u32>,
    /// Each layer's paths, once they are listed.
    layer_paths: Vec<u32>,
    layer_starts: Vec<u32>,
    /// Where the next item of each group goes, while a grouping is placed.
    fill: Vec<u32>,
    /// The most steps one piece of work took (tests: no stage does it all at once).
    #[cfg(test)]
    largest_step: usize,
}

/// Where a [`TreeBuilder`] is. The three groupings (children by parent, events by path,
/// paths by layer) are each a count, a running sum of the counts, and a placing pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Copying the first layer's names, from `next`: its table is the image's as far as it
    /// goes.
    CopyNames {
        next: usize,
    },
    /// Copying the first layer's paths, from `next`; its ids map to themselves.
    CopyPaths {
        next: usize,
    },
    /// Making the image table's lookups, with room for every layer's names and paths (an
    /// image of more than one layer: the rest are interned into it).
    Reserve,
    /// Placing the image table's names in its lookups, from `next`.
    PlaceNames {
        next: usize,
    },
    /// Placing its paths, from `next`.
    PlacePaths {
        next: usize,
    },
    /// Interning layer `layer`'s paths into the image's table, from local id `next`.
    Intern {
        layer: usize,
        next: usize,
    },
    /// Counting the children of each path, from path `next` (every path is in).
    CountChildren {
        next: usize,
    },
    /// Placing each path among its parent's children, from path `next`.
    PlaceChildren {
        next: usize,
    },
    /// Sorting by name the children of the paths from `next` on.
    SortChildren {
        next: usize,
    },
    /// Applying layer `layer`: its whiteouts when `next` is `None`, then its entries from `next`.
    Apply {
        layer: usize,
        next: Option<usize>,
    },
    /// Counting the events of each path, from event `next` (in the order they were made).
    CountEvents {
        next: usize,
    },
    /// Summing the counts of grouping `of` (children or events) into where each group
    /// starts, from `next`.
    Sum {
        of: Grown,
        next: usize,
    },
    /// Placing the events by path, from event `next` (stable: a path's stay in layer order).
    PlaceEvents {
        next: usize,
    },
    /// Counting the paths of each layer, from path `next`; then summing them (one per layer).
    CountLayerPaths {
        next: usize,
    },
    /// Placing each path in the lists of the layers it has events in, from path `next`.
    PlaceLayerPaths {
        next: usize,
    },
    /// Growing the buffers the next stage fills.
    Grow {
        then: Grown,
    },
    Done,
}

/// The merge's state between pieces of work: what is present where, the events so far, and
/// what the layer being applied deleted.
#[derive(Default)]
struct Merge {
    present: Vec<Option<Present>>,
    pending: Vec<(u32, Event)>,
    last: Vec<u32>,
    diagnostics: Vec<Diagnostic>,
    /// What the layer being applied deleted, so a path put back in the same layer becomes one
    /// event.
    deleted_here: DeletedHere,
}

/// A running sum over `counts` from `next`, of at most `budget` of them: the next to sum.
fn sum_from(counts: &mut [u32], next: usize, budget: usize) -> usize {
    let end = counts.len().min(next.saturating_add(budget));
    for i in next.max(1)..end {
        counts[i] += counts[i - 1];
    }
    end
}

/// Calls `f(path, layer)` for each layer each path from `next` has events in, for paths whose
/// events add up to about `budget` steps: (the next path, the steps taken).
fn walk_layers(
    events: &[Event],
    event_starts: &[u32],
    next: usize,
    budget: usize,
    mut f: impl FnMut(usize, usize),
) -> (usize, usize) {
    let n = event_starts.len().saturating_sub(1);
    let (mut p, mut steps) = (next, 0);
    while p < n && steps < budget {
        let (a, z) = (event_starts[p] as usize, event_starts[p + 1] as usize);
        steps += z - a + 1;
        for l in layers_of(&events[a..z]) {
            f(p, l);
        }
        p += 1;
    }
    (p, steps)
}

/// The layers a path's events are in (its timeline is in layer order, so each once).
fn layers_of(events: &[Event]) -> impl Iterator<Item = usize> + '_ {
    let mut last = None;
    events
        .iter()
        .map(|e| e.layer as usize)
        .filter(move |&l| last.replace(l) != Some(l))
}

impl TreeBuilder {
    /// A builder of the tree of these layers' indexes, in image order.
    pub fn new(layers: Vec<LayerIndex>) -> TreeBuilder {
        // The first layer's table is the image's as far as it goes: interning its paths in
        // order into an empty table gives each the id it has there (parents come first, every
        // path once: made so, or validated so when it came from a snapshot). A copy is a few
        // copies of arrays; interning a million paths was three quarters of the tree's time.
        // (Its lookups come along if it has them, else are built if a path is looked up or a
        // later layer interned.)
        //
        // An image of one layer has no path the layer does not: its table is the layer's,
        // shared, not copied (a million paths' table is 23 MiB on the page). Its ids are then
        // mapped to themselves, a piece at a time as when copying.
        let first = layers.first().filter(|l| !l.paths.is_empty());
        let (paths, stage) = match first {
            Some(l) if layers.len() == 1 => (Arc::clone(&l.paths), Stage::CopyPaths { next: 0 }),
            Some(l) => (
                Arc::new(PathTable::copy_start(&l.paths)),
                Stage::CopyNames { next: 0 },
            ),
            None if layers.len() > 1 => (Arc::new(PathTable::new()), Stage::Reserve),
            // Local id 0 is the root, the image's root.
            None => (
                Arc::new(PathTable::new()),
                Stage::Intern { layer: 0, next: 1 },
            ),
        };
        TreeBuilder {
            layers,
            paths,
            local_to_global: Vec::new(),
            children: Vec::new(),
            child_starts: Vec::new(),
            merge: Merge::default(),
            stage,
            events: Vec::new(),
            event_starts: Vec::new(),
            layer_paths: Vec::new(),
            layer_starts: Vec::new(),
            fill: Vec::new(),
            #[cfg(test)]
            largest_step: 0,
        }
    }

    /// Does about `budget` steps of the build (at least one); true once the tree is ready for
    /// [`TreeBuilder::finish`].
    pub fn work(&mut self, budget: usize) -> bool {
        let mut left = budget.max(1);
        while left > 0 && self.stage != Stage::Done {
            let done = self.step(left);
            #[cfg(test)]
            {
                self.largest_step = self.largest_step.max(done);
            }
            left = left.saturating_sub(done.max(1));
        }
        self.stage == Stage::Done
    }

    /// The tree, its remaining work done first.
    pub fn finish(mut self) -> ImageTree {
        while !self.work(usize::MAX) {}
        ImageTree {
            paths: self.paths,
            layers: self.layers,
            local_to_global: self.local_to_global,
            events: self.events,
            event_starts: self.event_starts,
            children: self.children,
            child_starts: self.child_starts,
            layer_paths: self.layer_paths,
            layer_starts: self.layer_starts,
            diagnostics: self.merge.diagnostics,
        }
    }

    /// One piece of the current stage, of at most `budget` steps; the steps it took.
    fn step(&mut self, budget: usize) -> usize {
        let n = self.paths.len();
        match self.stage {
            Stage::CopyNames { next } => {
                let from = &self.layers[0].paths;
                let (names, _) = from.counts();
                let end = names.min(next.saturating_add(budget));
                Arc::make_mut(&mut self.paths).copy_names(from, end);
                self.stage = if end >= names {
                    Stage::CopyPaths { next: 0 }
                } else {
                    Stage::CopyNames { next: end }
                };
                end - next
            }
            Stage::CopyPaths { next } => {
                let from = &self.layers[0].paths;
                let (_, nodes) = from.counts();
                let end = nodes.min(next.saturating_add(budget));
                if !Arc::ptr_eq(&self.paths, from) {
                    Arc::make_mut(&mut self.paths).copy_nodes(from, end);
                }
                if self.local_to_global.is_empty() {
                    self.local_to_global.push(Vec::with_capacity(nodes));
                }
                self.local_to_global[0].extend(next as u32..end as u32);
                self.stage = if end < nodes {
                    Stage::CopyPaths { next: end }
                } else if self.layers.len() > 1 {
                    Stage::Reserve
                } else {
                    Stage::Intern { layer: 1, next: 1 }
                };
                end - next
            }
            Stage::Reserve => {
                let (names, nodes) = self.layers.iter().fold((0, 0), |(a, b), l| {
                    let (names, nodes) = l.paths.counts();
                    (a + names, b + nodes)
                });
                Arc::make_mut(&mut self.paths).reserve_lookups(names, nodes);
                self.stage = Stage::PlaceNames { next: 0 };
                1
            }
            Stage::PlaceNames { next } => {
                let (names, _) = self.paths.counts();
                let end = names.min(next.saturating_add(budget));
                Arc::make_mut(&mut self.paths).place_names(next..end);
                self.stage = if end >= names {
                    Stage::PlacePaths { next: 0 }
                } else {
                    Stage::PlaceNames { next: end }
                };
                (end - next).max(1)
            }
            Stage::PlacePaths { next } => {
                let end = n.min(next.saturating_add(budget));
                Arc::make_mut(&mut self.paths).place_nodes(next..end);
                self.stage = if end >= n {
                    // The first layer's paths are in already when it was copied.
                    Stage::Intern {
                        layer: self.local_to_global.len(),
                        next: 1,
                    }
                } else {
                    Stage::PlacePaths { next: end }
                };
                (end - next).max(1)
            }
            Stage::Intern { layer, next } => {
                let Some(index) = self.layers.get(layer) else {
                    // Every path is in: place each under its parent.
                    self.child_starts = vec![0u32; n + 1];
                    self.stage = Stage::CountChildren { next: 1 };
                    return 1;
                };
                let n = index.paths.len();
                if self.local_to_global.len() == layer {
                    self.local_to_global.push(vec![0u32; n]);
                }
                let end = n.min(next.saturating_add(budget));
                let map = &mut self.local_to_global[layer];
                let paths = Arc::make_mut(&mut self.paths);
                for i in next..end {
                    let id = PathId(i as u32);
                    let parent = index.paths.parent(id).unwrap_or(PathId::ROOT);
                    map[i] = paths
                        .child(PathId(map[parent.index()]), index.paths.name(id))
                        .0;
                }
                self.stage = if end >= n {
                    Stage::Intern {
                        layer: layer + 1,
                        next: 1,
                    }
                } else {
                    Stage::Intern { layer, next: end }
                };
                end.saturating_sub(next)
            }
            Stage::CountChildren { next } => {
                let end = n.min(next.saturating_add(budget));
                for id in next..end {
                    let parent = self.paths.parent(PathId(id as u32)).unwrap_or(PathId::ROOT);
                    self.child_starts[parent.index() + 1] += 1;
                }
                self.stage = if end >= n {
                    Stage::Sum {
                        of: Grown::Children,
                        next: 0,
                    }
                } else {
                    Stage::CountChildren { next: end }
                };
                end.saturating_sub(next).max(1)
            }
            Stage::Sum { of, next } => {
                let starts: &mut [u32] = match of {
                    Grown::Children => &mut self.child_starts,
                    Grown::Events => &mut self.event_starts,
                    Grown::LayerPaths => &mut self.layer_starts,
                    // Not a grouping: nothing to sum (never asked for).
                    Grown::Merge => &mut [],
                };
                let end = sum_from(starts, next, budget);
                self.stage = if end >= starts.len() {
                    Stage::Grow { then: of }
                } else {
                    Stage::Sum { of, next: end }
                };
                end - next
            }
            Stage::PlaceChildren { next } => {
                let end = n.min(next.saturating_add(budget));
                for id in next..end {
                    let parent = self.paths.parent(PathId(id as u32)).unwrap_or(PathId::ROOT);
                    let slot = &mut self.fill[parent.index()];
                    self.children[*slot as usize] = id as u32;
                    *slot += 1;
                }
                self.stage = if end >= n {
                    self.fill.clear();
                    Stage::SortChildren { next: 0 }
                } else {
                    Stage::PlaceChildren { next: end }
                };
                end.saturating_sub(next).max(1)
            }
            Stage::SortChildren { next } => {
                let (mut p, mut sorted) = (next, 0);
                while p < n && sorted < budget {
                    let (a, z) = (
                        self.child_starts[p] as usize,
                        self.child_starts[p + 1] as usize,
                    );
                    let paths = &self.paths;
                    self.children[a..z]
                        .sort_by(|x, y| paths.name(PathId(*x)).cmp(paths.name(PathId(*y))));
                    sorted += z - a + 1;
                    p += 1;
                }
                self.stage = if p >= n {
                    Stage::Grow { then: Grown::Merge }
                } else {
                    Stage::SortChildren { next: p }
                };
                sorted
            }
            Stage::Apply { layer, next } => {
                if layer >= self.layers.len() {
                    // What was present where is done with: let it go before the events are
                    // grouped, the stages that hold the most at once (16 bytes a path).
                    self.merge.present = Vec::new();
                    self.merge.last = Vec::new();
                    self.event_starts = vec![0u32; n + 1];
                    self.stage = Stage::CountEvents { next: 0 };
                    return 1;
                }
                let mut b = Builder {
                    paths: &self.paths,
                    layers: &self.layers,
                    children: &self.children,
                    child_starts: &self.child_starts,
                    m: &mut self.merge,
                };
                let map = &self.local_to_global[layer];
                let (stage, done) = match next {
                    None => {
                        b.apply_whiteouts(layer, map);
                        let n = self.layers[layer].whiteouts.len();
                        (
                            Stage::Apply {
                                layer,
                                next: Some(0),
                            },
                            n,
                        )
                    }
                    Some(from) => {
                        let n = self.layers[layer].entries.len();
                        let end = n.min(from.saturating_add(budget));
                        b.apply_entries(layer, map, from..end);
                        if end >= n {
                            // The layer is applied: what it deleted no longer matters.
                            b.m.deleted_here.clear();
                            (
                                Stage::Apply {
                                    layer: layer + 1,
                                    next: None,
                                },
                                end - from,
                            )
                        } else {
                            (
                                Stage::Apply {
                                    layer,
                                    next: Some(end),
                                },
                                end - from,
                            )
                        }
                    }
                };
                self.stage = stage;
                done
            }
            Stage::CountEvents { next } => {
                let pending = &self.merge.pending;
                let end = pending.len().min(next.saturating_add(budget));
                for (p, _) in &pending[next..end] {
                    self.event_starts[*p as usize + 1] += 1;
                }
                self.stage = if end >= pending.len() {
                    Stage::Sum {
                        of: Grown::Events,
                        next: 0,
                    }
                } else {
                    Stage::CountEvents { next: end }
                };
                (end - next).max(1)
            }
            Stage::PlaceEvents { next } => {
                let pending = &self.merge.pending;
                let end = pending.len().min(next.saturating_add(budget));
                for (p, e) in &pending[next..end] {
                    let slot = &mut self.fill[*p as usize];
                    self.events[*slot as usize] = *e;
                    *slot += 1;
                }
                self.stage = if end >= pending.len() {
                    self.merge.pending = Vec::new();
                    self.fill.clear();
                    self.layer_starts = vec![0u32; self.layers.len() + 1];
                    Stage::CountLayerPaths { next: 0 }
                } else {
                    Stage::PlaceEvents { next: end }
                };
                (end - next).max(1)
            }
            Stage::CountLayerPaths { next } => {
                let starts = &mut self.layer_starts;
                let (end, steps) =
                    walk_layers(&self.events, &self.event_starts, next, budget, |_, l| {
                        starts[l + 1] += 1;
                    });
                self.stage = if end >= n {
                    // One per layer: a few dozen at most.
                    sum_from(&mut self.layer_starts, 0, usize::MAX);
                    Stage::Grow {
                        then: Grown::LayerPaths,
                    }
                } else {
                    Stage::CountLayerPaths { next: end }
                };
                steps.max(1)
            }
            Stage::PlaceLayerPaths { next } => {
                let (fill, layer_paths) = (&mut self.fill, &mut self.layer_paths);
                let (end, steps) =
                    walk_layers(&self.events, &self.event_starts, next, budget, |p, l| {
                        layer_paths[fill[l] as usize] = p as u32;
                        fill[l] += 1;
                    });
                self.stage = if end >= n {
                    self.fill = Vec::new();
                    Stage::Done
                } else {
                    Stage::PlaceLayerPaths { next: end }
                };
                steps.max(1)
            }
            Stage::Grow { then } => {
                let steps = self.grow(then, budget);
                if steps == 0 {
                    self.stage = then.stage();
                }
                steps.max(1)
            }
            Stage::Done => 0,
        }
    }

    /// Up to `budget` more of the buffers the stage after `then` fills; 0 once they are
    /// whole.
    fn grow(&mut self, then: Grown, budget: usize) -> usize {
        let empty = Event {
            layer: 0,
            change: Change::Added,
            entry: NO_ENTRY,
            deleted_by: None,
        };
        let (starts, by) = match then {
            Grown::Children => (&self.child_starts, &mut self.fill),
            Grown::Events => (&self.event_starts, &mut self.fill),
            Grown::LayerPaths => (&self.layer_starts, &mut self.fill),
            Grown::Merge => {
                let n = self.paths.len();
                if self.merge.pending.capacity() == 0 {
                    // About one event an entry or whiteout: room made once, where doubling
                    // held the old and the new at once (20 MB each for a million events).
                    let events: usize = self
                        .layers
                        .iter()
                        .map(|l| l.entries.len() + l.whiteouts.len())
                        .sum();
                    self.merge.pending.reserve_exact(events + events / 16);
                }
                return match grow(&mut self.merge.present, n, None, budget) {
                    0 => grow(&mut self.merge.last, n, u32::MAX, budget),
                    k => k,
                };
            }
        };
        // Where each group's next item goes starts where the group does.
        let k = grow_copy(by, starts, budget);
        if k > 0 {
            return k;
        }
        let total = starts.last().copied().unwrap_or(0) as usize;
        match then {
            Grown::Children => grow(&mut self.children, total, 0, budget),
            Grown::Events => grow(&mut self.events, total, empty, budget),
            Grown::LayerPaths => grow(&mut self.layer_paths, total, 0, budget),
            Grown::Merge => 0,
        }
    }
}

/// Which buffers a [`Stage::Grow`] grows: those of the stage after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grown {
    Children,
    Merge,
    Events,
    LayerPaths,
}

impl Grown {
    fn stage(self) -> Stage {
        match self {
            Grown::Children => Stage::PlaceChildren { next: 1 },
            Grown::Merge => Stage::Apply {
                layer: 0,
                next: None,
            },
            Grown::Events => Stage::PlaceEvents { next: 0 },
            Grown::LayerPaths => Stage::PlaceLayerPaths { next: 0 },
        }
    }
}

/// `v` grown towards `len` with `value`, by at most `budget`: how many were added. Fresh
/// memory is slow to touch the first time (16 MB of a million events filled at once took 17
/// ms natively), so a large buffer is filled a piece at a time, as the rest.
fn grow<T: Clone>(v: &mut Vec<T>, len: usize, value: T, budget: usize) -> usize {
    let k = len.saturating_sub(v.len()).min(budget);
    if v.capacity() < len {
        v.reserve_exact(len - v.len());
    }
    v.extend(std::iter::repeat_n(value, k));
    k
}

/// `v` grown towards a copy of `from`, by at most `budget`: how many were added.
fn grow_copy(v: &mut Vec<u32>, from: &[u32], budget: usize) -> usize {
    let (a, z) = (v.len(), from.len().min(v.len().saturating_add(budget)));
    if v.capacity() < from.len() {
        v.reserve_exact(from.len() - a);
    }
    v.extend_from_slice(&from[a..z]);
    z - a
}

/// What an [`ImageTree`] holds on the heap, in bytes, by part (for the memory figures the
/// benchmark reports: which part to shrink).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TreeHeap {
    /// The layers' indexes: their entries, path tables and strings.
    pub layer_indexes: u64,
    /// The image's own path table (every path of every layer, interned again).
    pub paths: u64,
    /// The events by path, the children of each path, each layer's paths and the map from
    /// each layer's path ids to the image's.
    pub structure: u64,
}

impl ImageTree {
    /// Heap bytes by part (capacities, not lengths: what is allocated).
    pub fn heap(&self) -> TreeHeap {
        let u32s = |v: &Vec<u32>| (v.capacity() * 4) as u64;
        TreeHeap {
            layer_indexes: self.layers.iter().map(|l| l.heap_bytes() as u64).sum(),
            // Shared with the only layer's index, and counted there.
            paths: if self
                .layers
                .iter()
                .any(|l| Arc::ptr_eq(&l.paths, &self.paths))
            {
                0
            } else {
                self.paths.heap_bytes() as u64
            },
            structure: (self.events.capacity() * std::mem::size_of::<Event>()) as u64
                + self.local_to_global.iter().map(u32s).sum::<u64>()
                + u32s(&self.event_starts)
                + u32s(&self.children)
                + u32s(&self.child_starts)
                + u32s(&self.layer_paths)
                + u32s(&self.layer_starts),
        }
    }

    /// Builds the tree from the layers' indexes, in image order.
    pub fn build(layers: Vec<LayerIndex>) -> ImageTree {
        TreeBuilder::new(layers).finish()
    }

    /// The events of one path, in layer order: its timeline.
    pub fn timeline(&self, path: PathId) -> &[Event] {
        let p = path.index();
        &self.events[self.event_starts[p] as usize..self.event_starts[p + 1] as usize]
    }

    /// The path's state after layer `layer` (0-based): its last event at or before it.
    pub fn state_at(&self, path: PathId, layer: usize) -> Option<&Event> {
        self.timeline(path)
            .iter()
            .rev()
            .find(|e| e.layer as usize <= layer)
    }

    /// Whether the path exists after layer `layer`.
    pub fn exists_at(&self, path: PathId, layer: usize) -> bool {
        self.state_at(path, layer).is_some_and(Event::is_present)
    }

    /// Children of a path, sorted by name (all that ever existed: filter with `exists_at`).
    pub fn children(&self, path: PathId) -> impl Iterator<Item = PathId> + '_ {
        let p = path.index();
        self.children[self.child_starts[p] as usize..self.child_starts[p + 1] as usize]
            .iter()
            .map(|&c| PathId(c))
    }

    /// Paths layer `layer` has events for, in path-id order.
    pub fn layer_paths(&self, layer: usize) -> impl Iterator<Item = PathId> + '_ {
        self.layer_paths[self.layer_starts[layer] as usize..self.layer_starts[layer + 1] as usize]
            .iter()
            .map(|&p| PathId(p))
    }

    /// The last event layer `layer` has for `path`.
    pub fn event_in(&self, path: PathId, layer: usize) -> Option<&Event> {
        self.timeline(path)
            .iter()
            .rev()
            .find(|e| e.layer as usize == layer)
    }

    /// The entry an event points at.
    pub fn entry(&self, e: &Event) -> Option<&Entry> {
        e.entry().map(|i| &self.layers[e.layer as usize].entries[i])
    }

    /// The global id of a layer's local path.
    pub fn global(&self, layer: usize, local: PathId) -> PathId {
        PathId(self.local_to_global[layer][local.index()])
    }

    /// For a hard link (in layer `layer`), the entry it links to in the same layer.
    pub fn hardlink_target<'a>(&'a self, layer: usize, e: &'a Entry) -> Option<&'a Entry> {
        let index = &self.layers[layer];
        let mut current = e;
        for _ in 0..16 {
            if current.kind != EntryKind::Hardlink {
                return Some(current);
            }
            let target = index.paths.lookup(index.link(current)?)?;
            current = index.entries.iter().rev().find(|x| x.path == target)?;
        }
        None
    }

    /// A path as views show it, from its event in some layer.
    pub fn info(&self, path: PathId, e: &Event, change: Option<Change>) -> FileInfo {
        let layer = e.layer as usize;
        let Some(entry) = self.entry(e) else {
            // Deleted, or a directory implied by its children.
            return FileInfo {
                path: self.paths.path(path),
                kind: EntryKind::Dir,
                size: 0,
                mode: "0755".into(),
                uid: 0,
                gid: 0,
                uname: String::new(),
                gname: String::new(),
                mtime: 0,
                linkname: String::new(),
                hardlink_to: None,
                change,
                layer: layer + 1,
            };
        };
        let index = &self.layers[layer];
        let size = match entry.kind {
            EntryKind::Hardlink => self.hardlink_target(layer, entry).map_or(0, |t| t.size),
            _ => entry.size,
        };
        let owner = index.owner(entry);
        FileInfo {
            path: self.paths.path(path),
            kind: entry.kind,
            size,
            mode: format!("{:04o}", entry.mode),
            uid: owner.uid,
            gid: owner.gid,
            uname: index.strings.get(owner.uname).to_owned(),
            gname: index.strings.get(owner.gname).to_owned(),
            mtime: entry.mtime,
            linkname: index.link(entry).unwrap_or("").to_owned(),
            hardlink_to: None,
            change,
            layer: layer + 1,
        }
    }

    /// The merged filesystem after layer `layer`, in path order.
    pub fn merged(&self, layer: usize) -> Vec<FileInfo> {
        let mut out = Vec::new();
        self.for_each_merged(layer, &mut |info| out.push(info));
        out
    }

    /// [`Self::merged`] a file at a time, in the same order, none of them held: a host that
    /// prints them needs no list of every path (a million paths' `FileInfo`s are 360 MB).
    pub fn for_each_merged(&self, layer: usize, each: &mut dyn FnMut(FileInfo)) {
        self.walk(PathId::ROOT, &mut |p| {
            if let Some(e) = self.state_at(p, layer).filter(|e| e.is_present()) {
                let mut info = self.info(p, e, None);
                if info.kind == EntryKind::Hardlink {
                    // In a filesystem a hard link is simply another name for a file.
                    info.kind = EntryKind::File;
                    info.hardlink_to = Some(std::mem::take(&mut info.linkname));
                }
                each(info);
                true
            } else {
                false
            }
        });
    }

    /// Depth-first over paths in name order; `visit` returns whether to descend.
    fn walk(&self, from: PathId, visit: &mut dyn FnMut(PathId) -> bool) {
        let mut stack: Vec<PathId> = self
            .children(from)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        while let Some(p) = stack.pop() {
            if visit(p) {
                let before = stack.len();
                stack.extend(self.children(p));
                stack[before..].reverse();
            }
        }
    }

    /// What layer `layer` did, in path order: each path with its change (unchanged included).
    pub fn changes(&self, layer: usize) -> Vec<FileInfo> {
        let mut items: Vec<(String, FileInfo)> = self
            .layer_paths(layer)
            .filter_map(|p| {
                let e = self.event_in(p, layer)?;
                let info = if e.change == Change::Deleted {
                    // Show what was deleted: the state before this layer.
                    let before = if layer == 0 {
                        None
                    } else {
                        self.state_at(p, layer - 1)
                    };
                    let mut info =
                        before.map_or_else(|| self.info(p, e, None), |b| self.info(p, b, None));
                    info.layer = layer + 1;
                    info.change = Some(Change::Deleted);
                    info
                } else {
                    self.info(p, e, Some(e.change))
                };
                Some((info.path.clone(), info))
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.into_iter().map(|(_, i)| i).collect()
    }

    /// Wasted space and the largest files.
    pub fn waste(&self) -> WasteReport {
        WasteWalk::new(self).finish(self)
    }

    /// Number of layers.
    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// A layer's size as docker counts it (`docker history`'s SIZE, the parts of `docker image
    /// inspect`'s `Size`): what the layer holds once applied to disk, as moby's
    /// `directory.Size` walks a layer's diff — regular files by their content size, each
    /// hard-linked inode once, symlinks by the length of their target, directories, devices
    /// and whiteouts 0. Not the tar's size: headers, padding and a layer that only deletes
    /// (0 B in docker, 1.5 kB or more of tar) are what podman shows instead.
    pub fn docker_size(&self, layer: usize) -> u64 {
        let Some(index) = self.layers.get(layer) else {
            return 0;
        };
        // A path written twice in one tar is on disk once, as its last entry. By the layer's
        // own path ids, dense: no hashing, 4 bytes a path (a million-entry layer took 100 ms
        // and 40 MiB with a HashMap).
        let mut last = vec![u32::MAX; index.paths.len()];
        for (i, e) in index.entries.iter().enumerate() {
            if let Some(slot) = last.get_mut(e.path.index()) {
                *slot = i as u32;
            }
        }
        last.iter()
            .filter(|&&i| i != u32::MAX)
            .map(|&i| {
                let e = &index.entries[i as usize];
                match e.kind {
                    EntryKind::File => e.size,
                    EntryKind::Symlink => index.link(e).map_or(0, |t| t.len() as u64),
                    // A hard link is its target's inode, counted with the target.
                    _ => 0,
                }
            })
            .sum()
    }

    /// Counts of added, modified and deleted paths in a layer.
    pub fn change_counts(&self, layer: usize) -> ChangeCounts {
        let mut c = ChangeCounts::default();
        for p in self.layer_paths(layer) {
            match self.event_in(p, layer).map(|e| e.change) {
                Some(Change::Added) => c.added += 1,
                Some(Change::Modified) => c.modified += 1,
                Some(Change::Deleted) => c.deleted += 1,
                Some(Change::Unchanged) => c.unchanged += 1,
                None => {}
            }
        }
        c
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    pub added: u64,
    pub modified: u64,
    pub deleted: u64,
    pub unchanged: u64,
}

struct Builder<'a> {
    paths: &'a PathTable,
    layers: &'a [LayerIndex],
    children: &'a [u32],
    child_starts: &'a [u32],
    m: &'a mut Merge,
}

/// Paths deleted by the layer being applied: the index of the Deleted event, and what was
/// there before it.
type DeletedHere = std::collections::HashMap<u32, (usize, Present)>;

impl Builder<'_> {
    fn push(&mut self, p: u32, e: Event) {
        self.m.last[p as usize] = self.m.pending.len() as u32;
        self.m.pending.push((p, e));
    }

    /// Layer `l`'s whiteouts, applied before its entries.
    fn apply_whiteouts(&mut self, l: usize, map: &[u32]) {
        let lu = l as u16;
        let layer = &self.layers[l];
        let mut deleted_here = std::mem::take(&mut self.m.deleted_here);
        // 1. Opaque directories hide what lower layers put below them.
        for w in layer.whiteouts.iter().filter(|w| w.opaque) {
            let dir = map[w.target.index()];
            let cause = DeletedBy::Opaque(PathId(dir));
            for child in self.kids(dir).to_vec() {
                self.delete_subtree(child, lu, cause, &mut deleted_here);
            }
        }
        // 2. `.wh.NAME` deletes NAME and all below it.
        for w in layer.whiteouts.iter().filter(|w| !w.opaque) {
            let target = map[w.target.index()];
            if self.m.present[target as usize].is_some_and(|p| p.layer < lu) {
                self.delete_subtree(
                    target,
                    lu,
                    DeletedBy::Whiteout(PathId(target)),
                    &mut deleted_here,
                );
            } else if self.m.diagnostics.len() < 200 {
                self.m.diagnostics.push(Diagnostic::about_layer(
                    crate::diagnostic::Severity::Note,
                    "whiteout-of-nothing",
                    crate::LayerIdx::new(l),
                    format!(
                        "`{}` deletes `{}`, which no lower layer has",
                        layer.paths.path(w.entry_path),
                        self.paths.path(PathId(target))
                    ),
                ));
            }
        }
        self.m.deleted_here = deleted_here;
    }

    /// Entries `range` of layer `l`, its whiteouts applied.
    fn apply_entries(&mut self, l: usize, map: &[u32], range: std::ops::Range<usize>) {
        let lu = l as u16;
        let layers = self.layers;
        let mut deleted_here = std::mem::take(&mut self.m.deleted_here);
        // 3. The layer's entries (a later duplicate wins, as when extracting).
        for (i, e) in layers[l].entries[range.clone()].iter().enumerate() {
            let i = range.start + i;
            let p = map[e.path.index()];
            self.ensure_parents(p, lu, &mut deleted_here);
            let is_dir = e.kind == EntryKind::Dir;
            let event = match self.m.present[p as usize] {
                Some(prev) if prev.layer == lu => {
                    // A duplicate in the same layer: it replaces the earlier one's entry.
                    let at = self.m.last[p as usize] as usize;
                    self.m.pending[at].1.entry = i as u32;
                    self.m.present[p as usize] = Some(Present {
                        layer: lu,
                        entry: i as u32,
                        is_dir,
                    });
                    continue;
                }
                Some(prev) => {
                    if prev.is_dir && !is_dir {
                        // A non-directory over a directory replaces its whole subtree.
                        for child in self.kids(p).to_vec() {
                            self.delete_subtree(
                                child,
                                lu,
                                DeletedBy::Replaced(PathId(p)),
                                &mut deleted_here,
                            );
                        }
                    }
                    let change = if self.same(prev, l, e) {
                        Change::Unchanged
                    } else {
                        Change::Modified
                    };
                    Event {
                        layer: lu,
                        change,
                        entry: i as u32,
                        deleted_by: None,
                    }
                }
                None => match deleted_here.remove(&p) {
                    Some((at, before)) => {
                        // Deleted and put back in this layer: one change against what was there.
                        let change = if self.same(before, l, e) {
                            Change::Unchanged
                        } else {
                            Change::Modified
                        };
                        self.m.pending[at].1 = Event {
                            layer: lu,
                            change,
                            entry: i as u32,
                            deleted_by: None,
                        };
                        self.m.present[p as usize] = Some(Present {
                            layer: lu,
                            entry: i as u32,
                            is_dir,
                        });
                        continue;
                    }
                    None => Event {
                        layer: lu,
                        change: Change::Added,
                        entry: i as u32,
                        deleted_by: None,
                    },
                },
            };
            self.m.present[p as usize] = Some(Present {
                layer: lu,
                entry: i as u32,
                is_dir,
            });
            self.push(p, event);
        }
        self.m.deleted_here = deleted_here;
    }

    fn kids(&self, p: u32) -> &[u32] {
        &self.children
            [self.child_starts[p as usize] as usize..self.child_starts[p as usize + 1] as usize]
    }

    /// Whether entry `e` of layer `l` is the same as what `prev` points at.
    fn same(&self, prev: Present, l: usize, e: &Entry) -> bool {
        if prev.entry == NO_ENTRY {
            let owner = self.layers[l].owner(e);
            return e.kind == EntryKind::Dir && e.mode == 0o755 && owner.uid == 0 && owner.gid == 0;
        }
        let pl = prev.layer as usize;
        let a = self.resolve(pl, &self.layers[pl].entries[prev.entry as usize]);
        let b = self.resolve(l, e);
        let (Some((al, a)), Some((bl, b))) = (a, b) else {
            return false;
        };
        let (ao, bo) = (self.layers[al].owner(a), self.layers[bl].owner(b));
        a.kind == b.kind
            && a.mode == b.mode
            && (ao.uid, ao.gid) == (bo.uid, bo.gid)
            && (a.kind != EntryKind::File || (a.size == b.size && a.content_hash == b.content_hash))
            && (a.kind != EntryKind::Symlink || self.layers[al].link(a) == self.layers[bl].link(b))
    }

    /// Follows a hard link to its target entry in the same layer.
    fn resolve<'e>(&'e self, l: usize, e: &'e Entry) -> Option<(usize, &'e Entry)> {
        let index = &self.layers[l];
        let mut current = e;
        for _ in 0..16 {
            if current.kind != EntryKind::Hardlink {
                return Some((l, current));
            }
            let target = index.paths.lookup(index.link(current)?)?;
            current = index.entries.iter().rev().find(|x| x.path == target)?;
        }
        None
    }

    /// Parents of `p` must be directories: create implied ones, and replace a lower
    /// non-directory in the way.
    fn ensure_parents(&mut self, p: u32, lu: u16, deleted_here: &mut DeletedHere) {
        let mut chain = Vec::new();
        let mut cur = self.paths.parent(PathId(p));
        while let Some(c) = cur {
            if c == PathId::ROOT {
                break;
            }
            match self.m.present[c.index()] {
                Some(pr) if pr.is_dir => break,
                _ => chain.push(c.0),
            }
            cur = self.paths.parent(c);
        }
        for &c in chain.iter().rev() {
            let change = match self.m.present[c as usize] {
                Some(_) => Change::Modified, // a lower non-directory becomes a directory
                None => {
                    if let Some((at, _)) = deleted_here.remove(&c) {
                        self.m.pending[at].1 = Event {
                            layer: lu,
                            change: Change::Modified,
                            entry: NO_ENTRY,
                            deleted_by: None,
                        };
                        self.m.present[c as usize] = Some(Present {
                            layer: lu,
                            entry: NO_ENTRY,
                            is_dir: true,
                        });
                        continue;
                    }
                    Change::Added
                }
            };
            self.m.present[c as usize] = Some(Present {
                layer: lu,
                entry: NO_ENTRY,
                is_dir: true,
            });
            self.push(
                c,
                Event {
                    layer: lu,
                    change,
                    entry: NO_ENTRY,
                    deleted_by: None,
                },
            );
        }
    }

    /// Deletes `p` and everything present below it that lower layers put there.
    fn delete_subtree(
        &mut self,
        p: u32,
        lu: u16,
        cause: DeletedBy,
        deleted_here: &mut DeletedHere,
    ) {
        let mut stack = vec![p];
        while let Some(q) = stack.pop() {
            match self.m.present[q as usize] {
                Some(pr) if pr.layer < lu => {
                    self.m.present[q as usize] = None;
                    deleted_here.insert(q, (self.m.pending.len(), pr));
                    self.push(
                        q,
                        Event {
                            layer: lu,
                            change: Change::Deleted,
                            entry: NO_ENTRY,
                            deleted_by: Some(cause),
                        },
                    );
                    if pr.is_dir {
                        stack.extend_from_slice(self.kids(q));
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The whiteout rules, one line a case: layers are lists of entries (`dir/`, `file=content`,
    //! `link->target`), the expectation what the merged filesystem holds after the last layer
    //! and what the last layer did.

    use super::*;
    use crate::layer::LayerScanner;
    use crate::limits::Limits;

    /// A layer tar from entries: `path/` a directory, `path->target` a symlink, `path=bytes`
    /// (or `path`) a file.
    pub(crate) fn layer(entries: &[&str]) -> LayerIndex {
        let mut b = tar::Builder::new(Vec::new());
        for spec in entries {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            if let Some((path, target)) = spec.split_once("->") {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_link_name(target).unwrap_or_else(|e| panic!("{e}"));
                h.set_cksum();
                b.append_data(&mut h, path, &[][..])
                    .unwrap_or_else(|e| panic!("{e}"));
            } else if spec.ends_with('/') {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_cksum();
                b.append_data(&mut h, spec, &[][..])
                    .unwrap_or_else(|e| panic!("{e}"));
            } else {
                let (path, data) = spec.split_once('=').unwrap_or((spec, ""));
                h.set_size(data.len() as u64);
                h.set_cksum();
                b.append_data(&mut h, path, data.as_bytes())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&b.into_inner().unwrap_or_else(|e| panic!("{e}")));
        s.finish().index
    }

    /// The tree of `layers`: the merged filesystem after the last (`dir/`, `file`, `link ->`)
    /// must be `merged`, and the last layer's changes (`A path`, `M`, `U`, `D`) `changes`.
    #[track_caller]
    fn check(layers: &[&[&str]], merged: &[&str], changes: &[&str]) {
        let tree = ImageTree::build(layers.iter().map(|l| layer(l)).collect());
        let last = layers.len() - 1;
        let got: Vec<String> = tree
            .merged(last)
            .iter()
            .map(|f| match f.kind {
                EntryKind::Dir => format!("{}/", f.path),
                EntryKind::Symlink => format!("{} -> {}", f.path, f.linkname),
                _ => f.path.clone(),
            })
            .collect();
        assert_eq!(got, merged, "merged after layer {}", last + 1);
        let got: Vec<String> = tree
            .changes(last)
            .iter()
            .map(|f| format!("{} {}", f.change.map_or('?', Change::letter), f.path))
            .collect();
        assert_eq!(got, changes, "changes of layer {}", last + 1);
    }

    #[test]
    fn the_image_table_starts_as_the_first_layer_s_and_interns_the_rest_once() {
        let layers = vec![
            layer(&["a/", "a/b=1", "a/c/", "a/c/d=2", "e=3"]),
            layer(&["a/.wh.c", "a/b=2", "f/", "f/g=1", "e=3"]),
            layer(&["f/g=2", "h->a/b", "a/c/"]),
        ];
        let first_ids: Vec<String> = layers[0]
            .paths
            .ids()
            .map(|id| layers[0].paths.path(id))
            .collect();
        let tree = ImageTree::build(layers.clone());
        // The first layer's ids are the image's.
        let ids: Vec<String> = tree
            .paths
            .ids()
            .take(first_ids.len())
            .map(|id| tree.paths.path(id))
            .collect();
        assert_eq!(ids, first_ids);
        // Every layer's path maps to the image path of the same name, each there once.
        for (l, index) in layers.iter().enumerate() {
            for local in index.paths.ids() {
                let global = tree.global(l, local);
                assert_eq!(
                    tree.paths.path(global),
                    index.paths.path(local),
                    "layer {}",
                    l + 1
                );
                assert_eq!(tree.paths.lookup(&index.paths.path(local)), Some(global));
            }
        }
        assert_eq!(tree.paths.validate(), Ok(()));
        let all: std::collections::BTreeSet<String> = tree
            .paths
            .ids()
            .skip(1)
            .map(|id| tree.paths.path(id))
            .collect();
        // The whiteout's own path too: the layer's evidence of the deletion.
        let want = ["a", "a/.wh.c", "a/b", "a/c", "a/c/d", "e", "f", "f/g", "h"];
        assert_eq!(all.into_iter().collect::<Vec<_>>(), want);
        // Indexes that crossed a worker boundary (their lookups not rebuilt) build the same
        // tree, the image's lookups included.
        let moved: Vec<LayerIndex> = layers
            .iter()
            .map(|l| postcard::from_bytes(&postcard::to_allocvec(l).unwrap()).unwrap())
            .collect();
        let one = ImageTree::build(vec![moved[0].clone()]);
        let again = ImageTree::build(moved);
        assert_eq!(again.merged(2), tree.merged(2));
        assert_eq!(again.paths.lookup("f/g"), tree.paths.lookup("f/g"));
        // A one-layer image's tree builds no lookups until a path is looked up by name.
        assert!(!one.paths.has_lookups());
        assert_eq!(
            one.merged(0),
            ImageTree::build(vec![layers[0].clone()]).merged(0)
        );
        assert!(!one.paths.has_lookups());
        assert_eq!(
            one.paths.lookup("a/c/d").map(|p| one.paths.path(p)),
            Some("a/c/d".into())
        );
        assert!(one.paths.has_lookups());
        // Its table is its layer's, shared, not copied, and counted once in its heap; an image
        // of several layers has its own.
        assert!(Arc::ptr_eq(&one.paths, &one.layers[0].paths));
        assert_eq!(one.heap().paths, 0);
        assert!(one.heap().layer_indexes >= one.paths.heap_bytes() as u64);
        assert!(
            tree.layers
                .iter()
                .all(|l| !Arc::ptr_eq(&l.paths, &tree.paths))
        );
        assert!(tree.heap().paths >= tree.paths.heap_bytes() as u64);
    }

    /// Layers with waste of every kind (a file overwritten, one deleted, a directory made
    /// opaque) and more files than [`LARGEST_FILES`], so that the largest are trimmed across
    /// pieces.
    pub(crate) fn wasteful_layers() -> Vec<LayerIndex> {
        let sizes: Vec<String> = (0..150)
            .map(|i| format!("big/f{i:03}={}", "x".repeat((i * 7) % 50 + 1)))
            .collect();
        let mut first = vec!["a/", "a/b=1", "a/c/", "a/c/d=22", "e=333", "z/", "z/q=1"];
        first.extend(sizes.iter().map(String::as_str));
        vec![
            layer(&first),
            layer(&["a/.wh.c", "a/b=22", "e=4444", "big/f007=y"]),
            layer(&["z/.wh..wh..opq", "z/r=1", "e=55555"]),
        ]
    }

    #[test]
    fn the_waste_found_a_piece_at_a_time_is_the_waste_found_at_once() {
        let tree = ImageTree::build(wasteful_layers());
        let whole = tree.waste();
        assert!(
            whole.wasted_bytes > 0 && whole.wasted_paths.len() >= 4,
            "{whole:?}"
        );
        assert_eq!(whole.largest_files.len(), LARGEST_FILES);
        for budget in [1, 2, 7, 1000] {
            let mut walk = WasteWalk::new(&tree);
            let mut pieces = 1;
            while !walk.work(&tree, budget) {
                pieces += 1;
                assert!(pieces < 10_000, "budget {budget}: the walk never ends");
            }
            if budget == 1 {
                assert_eq!(pieces, tree.paths.len(), "one path a piece");
            }
            assert_eq!(walk.finish(&tree), whole, "budget {budget}");
        }
        // Another tree than its own is not walked further, and nothing panics.
        let other = ImageTree::build(vec![layer(&["a=1"])]);
        let mut walk = WasteWalk::new(&tree);
        walk.work(&tree, 100);
        assert!(walk.work(&other, 1));
        assert!(walk.finish(&other).largest_files.is_empty());
    }

    #[test]
    fn a_tree_built_a_piece_at_a_time_is_the_tree_built_at_once() {
        // Whiteouts, an opaque directory, a path deleted and put back, a file over a directory,
        // a duplicate in one layer, an empty (missing) layer: every stage has work to cut.
        let layers = vec![
            layer(&[
                "a/", "a/b=1", "a/c/", "a/c/d=2", "e=3", "x/", "x/y=1", "z/", "z/q=1",
            ]),
            LayerIndex {
                paths: Arc::new(PathTable::new()),
                ..LayerIndex::default()
            },
            layer(&[
                "a/.wh.c", "a/c/", "a/c/d=2", "a/b=2", "x=file", "e=3", "e=4", "m/n/o=1",
            ]),
            layer(&["z/.wh..wh..opq", "z/r=1", "f/g=2", "h->a/b", "a/c/"]),
        ];
        let whole = ImageTree::build(layers.clone());
        let bytes = |t: &ImageTree| postcard::to_allocvec(t).unwrap_or_else(|e| panic!("{e}"));
        for budget in [1, 2, 3, 7, 1000] {
            let mut b = TreeBuilder::new(layers.clone());
            let mut pieces = 1;
            while !b.work(budget) {
                pieces += 1;
                assert!(pieces < 10_000, "budget {budget}: the build never ends");
            }
            // No piece does much more than it was asked to: a directory's children are
            // sorted in one (the root's seven are the most here), a path's events counted in
            // one (three at most).
            assert!(
                b.largest_step <= budget + 8,
                "budget {budget}: a piece took {} steps",
                b.largest_step
            );
            let tree = b.finish();
            assert_eq!(bytes(&tree), bytes(&whole), "budget {budget}");
            if budget == 1 {
                // One step a call: more calls than the paths there are.
                assert!(pieces > whole.paths.len(), "{pieces} pieces");
            }
        }
        // An unbounded budget is the whole build in one call, even of no layers.
        let mut b = TreeBuilder::new(layers);
        assert!(b.work(usize::MAX));
        assert_eq!(bytes(&b.finish()), bytes(&whole));
        let mut b = TreeBuilder::new(Vec::new());
        assert!(b.work(usize::MAX));
        assert_eq!(b.finish().n_layers(), 0);
    }

    #[test]
    fn whiteouts() {
        // `.wh.X` deletes X and everything below it, from lower layers.
        check(
            &[&["a/", "a/b=1", "a/c/", "a/c/d=2", "e=3"], &["a/.wh.c"]],
            &["a/", "a/b", "e"],
            &["D a/c", "D a/c/d"],
        );
        // A file deleted and put back in one layer is one modified event.
        check(&[&["x=1"], &[".wh.x", "x=2"]], &["x"], &["M x"]);
        // Put back identical: unchanged.
        check(&[&["x=1"], &[".wh.x", "x=1"]], &["x"], &["U x"]);
        // A whiteout of nothing deletes nothing.
        check(&[&["x=1"], &[".wh.y"]], &["x"], &[]);
        // Written again with the same bytes: unchanged; with others: modified.
        check(
            &[&["f=1", "g=1"], &["f=1", "g=2"]],
            &["f", "g"],
            &["U f", "M g"],
        );
    }

    #[test]
    fn opaque_directories() {
        // Hides what lower layers put below it...
        check(
            &[
                &["d/", "d/old=1", "d/sub/", "d/sub/x=1"],
                &["d/", "d/.wh..wh..opq", "d/new=2"],
            ],
            &["d/", "d/new"],
            &["U d", "A d/new", "D d/old", "D d/sub", "D d/sub/x"],
        );
        // ...but keeps what its own layer put there, before the marker or after it.
        check(
            &[&["d/", "d/old=1"], &["d/", "d/mine=2", "d/.wh..wh..opq"]],
            &["d/", "d/mine"],
            &["U d", "A d/mine", "D d/old"],
        );
        // Nothing outside it is touched.
        check(
            &[&["d/", "d/old=1", "e=1"], &["d/", "d/.wh..wh..opq"]],
            &["d/", "e"],
            &["U d", "D d/old"],
        );
    }

    #[test]
    fn a_non_directory_over_a_directory() {
        // A file where a directory was drops the directory's subtree.
        check(
            &[&["d/", "d/f=1", "d/g/", "d/g/h=1"], &["d=file"]],
            &["d"],
            &["M d", "D d/f", "D d/g", "D d/g/h"],
        );
        // So does a symlink.
        check(
            &[&["d/", "d/f=1"], &["d->elsewhere"]],
            &["d -> elsewhere"],
            &["M d", "D d/f"],
        );
        // And a directory where a file was replaces it.
        check(
            &[&["d=1"], &["d/", "d/f=2"]],
            &["d/", "d/f"],
            &["M d", "A d/f"],
        );
    }
}
