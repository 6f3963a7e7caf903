//! View models for the layer explorer: which paths a layer shows and how, directory sizes,
//! the flattened list of rows a virtual list renders, filters, file details, the layer list and
//! the treemap. Computed here (natively testable, the same in the app) so components only
//! render.

use crate::history::HistoryRow;
use crate::paths::PathId;
use crate::tar::EntryKind;
use crate::text::mode_string;
use crate::tree::{Change, DeletedBy, ImageTree};
use serde::{Deserialize, Serialize};

/// The two ways of looking at a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewMode {
    /// Only what this layer changed (with the directories that lead there).
    Changes,
    /// The whole filesystem up to this layer, with this layer's changes marked.
    Merged,
}

const SHOWN: u8 = 1;
const DIR: u8 = 2;
const OPAQUE: u8 = 4;
/// Shown only as the way to something shown (changes mode).
const CONTEXT: u8 = 8;

/// One layer seen one way: per path, whether it shows, its change, its (aggregated) size.
#[derive(Debug, Clone)]
pub struct LayerView {
    pub layer: usize,
    pub mode: ViewMode,
    flags: Vec<u8>,
    change: Vec<Option<Change>>,
    size: Vec<u64>,
    /// Number of shown paths (the root excluded).
    pub n_shown: usize,
}

impl LayerView {
    pub fn new(tree: &ImageTree, layer: usize, mode: ViewMode) -> LayerView {
        let n = tree.paths.len();
        let mut flags = vec![0u8; n];
        let mut change = vec![None; n];
        let mut size = vec![0u64; n];
        for w in tree.layers[layer].whiteouts.iter().filter(|w| w.opaque) {
            flags[tree.global(layer, w.target).index()] |= OPAQUE;
        }
        for id in tree.paths.ids().skip(1) {
            let p = id.index();
            let here = tree.event_in(id, layer);
            change[p] = here.map(|e| e.change);
            let shown = match mode {
                ViewMode::Merged => {
                    tree.exists_at(id, layer) || here.is_some_and(|e| e.change == Change::Deleted)
                }
                ViewMode::Changes => here.is_some_and(|e| e.change != Change::Unchanged),
            };
            if !shown {
                continue;
            }
            flags[p] |= SHOWN;
            // What it is: for a deletion, what was there before.
            let ev = match here {
                Some(e) if e.change == Change::Deleted => {
                    if layer > 0 {
                        tree.state_at(id, layer - 1)
                    } else {
                        None
                    }
                }
                _ => tree.state_at(id, layer),
            };
            if let Some(ev) = ev {
                match tree.entry(ev) {
                    Some(e) if e.kind == EntryKind::Dir => flags[p] |= DIR,
                    Some(e) if e.kind == EntryKind::File => size[p] = e.size,
                    Some(e) if e.kind == EntryKind::Hardlink => {
                        size[p] = tree
                            .hardlink_target(ev.layer as usize, e)
                            .map_or(0, |t| t.size);
                    }
                    Some(_) => {}
                    None => flags[p] |= DIR, // an implied directory
                }
            }
        }
        // Directories that lead to shown paths are shown too (as context in changes mode),
        // and sizes add up to the root. Children have higher ids than their parents.
        for id in tree
            .paths
            .ids()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let p = id.index();
            if flags[p] & SHOWN == 0 {
                continue;
            }
            if let Some(parent) = tree.paths.parent(id) {
                let q = parent.index();
                if flags[q] & SHOWN == 0 {
                    flags[q] |= SHOWN | DIR | CONTEXT;
                }
                flags[q] |= DIR;
                // What a layer deleted does not count in what is there; it adds up only in
                // a deleted directory (which shows what it held).
                let deleted = |i: usize| change[i] == Some(Change::Deleted);
                if !deleted(p) || deleted(q) {
                    size[q] += size[p];
                }
            }
        }
        let n_shown = flags.iter().skip(1).filter(|f| **f & SHOWN != 0).count();
        LayerView {
            layer,
            mode,
            flags,
            change,
            size,
            n_shown,
        }
    }

    pub fn shown(&self, p: PathId) -> bool {
        self.flags[p.index()] & SHOWN != 0
    }

    pub fn is_dir(&self, p: PathId) -> bool {
        self.flags[p.index()] & DIR != 0
    }

    pub fn is_context(&self, p: PathId) -> bool {
        self.flags[p.index()] & CONTEXT != 0
    }

    pub fn is_opaque(&self, p: PathId) -> bool {
        self.flags[p.index()] & OPAQUE != 0
    }

    pub fn change(&self, p: PathId) -> Option<Change> {
        self.change[p.index()]
    }

    /// A file's size, or a directory's total (what is below it and shown).
    pub fn size(&self, p: PathId) -> u64 {
        self.size[p.index()]
    }

    /// Shown children of `p`, sorted.
    pub fn children(&self, tree: &ImageTree, p: PathId, sort: Sort) -> Vec<PathId> {
        let mut kids: Vec<PathId> = tree.children(p).filter(|c| self.shown(*c)).collect();
        if sort == Sort::Size {
            kids.sort_by(|a, b| {
                self.size(*b)
                    .cmp(&self.size(*a))
                    .then_with(|| tree.paths.name(*a).cmp(tree.paths.name(*b)))
            });
        }
        kids
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Name,
    Size,
}

/// What to show: a path substring or regex, change kinds, a minimum size.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Matched against the full path (`usr/bin/env`), case-insensitively for substrings.
    pub text: String,
    pub regex: Option<regex_lite::Regex>,
    /// Only these changes (empty: any).
    pub changes: Vec<Change>,
    pub min_size: u64,
}

impl Filter {
    /// Builds a filter; a bad regex is an error message for the user.
    pub fn new(
        text: &str,
        regex: bool,
        changes: Vec<Change>,
        min_size: u64,
    ) -> Result<Filter, String> {
        let compiled = if regex && !text.is_empty() {
            Some(
                regex_lite::RegexBuilder::new(text)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("not a valid regular expression: {e}"))?,
            )
        } else {
            None
        };
        Ok(Filter {
            text: text.to_lowercase(),
            regex: compiled,
            changes,
            min_size,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.changes.is_empty() && self.min_size == 0
    }

    fn matches(&self, path: &str, change: Option<Change>, size: u64, is_dir: bool) -> bool {
        if !self.changes.is_empty() && !change.is_some_and(|c| self.changes.contains(&c)) {
            return false;
        }
        if self.min_size > 0 && (is_dir || size < self.min_size) {
            return false;
        }
        if self.text.is_empty() {
            return true;
        }
        match &self.regex {
            Some(r) => r.is_match(path),
            None => path.to_lowercase().contains(&self.text),
        }
    }
}

/// One row of the flattened tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub path: PathId,
    pub depth: u16,
    pub expanded: bool,
    pub has_children: bool,
    /// With a filter: whether this row itself matched (else it leads to a match).
    pub matched: bool,
}

/// The rows a virtual list shows: shown paths in tree order, below expanded directories only;
/// with a filter, the matches and the directories that lead to them (all open).
pub fn rows(
    tree: &ImageTree,
    view: &LayerView,
    is_expanded: &dyn Fn(PathId) -> bool,
    filter: &Filter,
    sort: Sort,
) -> Vec<Row> {
    let mut out = Vec::new();
    if filter.is_empty() {
        let mut stack: Vec<(PathId, u16)> = view
            .children(tree, PathId::ROOT, sort)
            .into_iter()
            .rev()
            .map(|p| (p, 0))
            .collect();
        while let Some((p, depth)) = stack.pop() {
            let has_children = view.is_dir(p) && tree.children(p).any(|c| view.shown(c));
            let expanded = has_children && is_expanded(p);
            out.push(Row {
                path: p,
                depth,
                expanded,
                has_children,
                matched: true,
            });
            if expanded {
                stack.extend(
                    view.children(tree, p, sort)
                        .into_iter()
                        .rev()
                        .map(|c| (c, depth + 1)),
                );
            }
        }
        return out;
    }
    // Which paths match, and which lead to a match: one pass building full paths.
    let n = tree.paths.len();
    let mut hit = vec![0u8; n]; // 1: matches, 2: has a match below
    let mut path = String::new();
    let mut stack: Vec<(PathId, usize, bool)> =
        tree.children(PathId::ROOT).map(|c| (c, 0, false)).collect();
    while let Some((p, len, leave)) = stack.pop() {
        if leave {
            if hit[p.index()] != 0
                && let Some(parent) = tree.paths.parent(p)
            {
                hit[parent.index()] |= 2;
            }
            continue;
        }
        if !view.shown(p) {
            continue;
        }
        path.truncate(len);
        if len > 0 {
            path.push('/');
        }
        path.push_str(tree.paths.name(p));
        if filter.matches(&path, view.change(p), view.size(p), view.is_dir(p))
            && !view.is_context(p)
        {
            hit[p.index()] |= 1;
        }
        stack.push((p, len, true));
        let here = path.len();
        stack.extend(tree.children(p).map(|c| (c, here, false)));
    }
    let mut stack: Vec<(PathId, u16)> = view
        .children(tree, PathId::ROOT, sort)
        .into_iter()
        .filter(|p| hit[p.index()] != 0)
        .rev()
        .map(|p| (p, 0))
        .collect();
    while let Some((p, depth)) = stack.pop() {
        let below = hit[p.index()] & 2 != 0;
        out.push(Row {
            path: p,
            depth,
            expanded: below,
            has_children: below,
            matched: hit[p.index()] & 1 != 0,
        });
        if below {
            stack.extend(
                view.children(tree, p, sort)
                    .into_iter()
                    .filter(|c| hit[c.index()] != 0)
                    .rev()
                    .map(|c| (c, depth + 1)),
            );
        }
    }
    out
}

/// What a row shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowInfo {
    pub name: String,
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: String,
    pub change: Option<Change>,
    pub opaque: bool,
    pub context: bool,
    /// For a deletion: the 1-based layer that deleted it.
    pub deleted_in: Option<usize>,
    pub link: Option<String>,
}

pub fn row_info(tree: &ImageTree, view: &LayerView, p: PathId) -> RowInfo {
    let change = view.change(p);
    let deleted = change == Some(Change::Deleted);
    let ev = if deleted && view.layer > 0 {
        tree.state_at(p, view.layer - 1)
    } else {
        tree.state_at(p, view.layer)
    };
    let entry = ev.and_then(|e| tree.entry(e));
    let kind = entry.map_or(EntryKind::Dir, |e| e.kind);
    let link = match (entry, ev) {
        (Some(e), Some(ev)) if matches!(e.kind, EntryKind::Symlink | EntryKind::Hardlink) => {
            tree.layers[ev.layer as usize].link(e).map(str::to_owned)
        }
        _ => None,
    };
    RowInfo {
        name: tree.paths.name(p).to_owned(),
        path: tree.paths.path(p),
        kind,
        size: view.size(p),
        mode: mode_string(kind, entry.map_or(0o755, |e| u32::from(e.mode))),
        change,
        opaque: view.is_opaque(p),
        context: view.is_context(p),
        deleted_in: deleted.then_some(view.layer + 1),
        link,
    }
}

/// Everything about one path: its state in a layer and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDetails {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: String,
    pub mode_octal: String,
    pub uid: u32,
    pub gid: u32,
    pub uname: String,
    pub gname: String,
    pub mtime: i64,
    pub link: Option<String>,
    /// For a hard link, the path whose data it shares.
    pub hardlink_to: Option<String>,
    pub timeline: Vec<TimelineItem>,
    /// Whether its content can be read (a regular file, or a hard link to one).
    pub readable: bool,
    /// The layer (0-based) and entry to read the content from.
    pub content_layer: Option<usize>,
    pub content_entry: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    /// 1-based.
    pub layer: usize,
    pub change: Change,
    pub created_by: String,
    pub size: u64,
    pub detail: Option<String>,
    /// What the path is after this step (`None` once deleted).
    pub kind: Option<EntryKind>,
    /// What it was before, when this step changed its type (a file replaced by a directory):
    /// such a change is a replacement, not an edit of the same file.
    pub replaced: Option<EntryKind>,
}

impl TimelineItem {
    /// The step's effect in words, as the details pane and the CLI show it.
    pub fn describe(&self) -> String {
        let sized = |verb: &str| match self.kind {
            Some(EntryKind::File | EntryKind::Hardlink) | None => {
                format!("{verb}, {}", crate::text::format_bytes(self.size))
            }
            Some(k) => format!("{verb}, {}", noun(k)),
        };
        match (self.change, self.replaced, self.kind) {
            (Change::Deleted, ..) => format!(
                "deleted by {}",
                self.detail.as_deref().unwrap_or("a whiteout")
            ),
            (_, Some(was), Some(now)) => {
                let what = match now {
                    EntryKind::File | EntryKind::Hardlink => {
                        format!("{}, {}", noun(now), crate::text::format_bytes(self.size))
                    }
                    _ => noun(now).to_owned(),
                };
                format!("the {} replaced by a {what}", noun(was))
            }
            (Change::Added, ..) => sized("added"),
            (Change::Modified, ..) => sized("changed"),
            (Change::Unchanged, ..) => "written again, identical".into(),
        }
    }
}

/// An entry type as a sentence names it.
fn noun(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "directory",
        EntryKind::Symlink => "symlink",
        EntryKind::Hardlink => "hard link",
        EntryKind::Char => "character device",
        EntryKind::Block => "block device",
        EntryKind::Fifo => "FIFO",
        EntryKind::Other => "special file",
    }
}

/// Details of `p` as of `layer` (0-based), with its whole timeline.
pub fn details(
    tree: &ImageTree,
    history: &[HistoryRow],
    p: PathId,
    layer: usize,
) -> Option<FileDetails> {
    let ev = tree
        .state_at(p, layer)
        .filter(|e| e.is_present())
        .or_else(|| {
            // Deleted here: show what was deleted.
            if layer > 0 {
                tree.state_at(p, layer - 1)
            } else {
                None
            }
        })?;
    let info = tree.info(p, ev, None);
    let l = ev.layer as usize;
    let entry = tree.entry(ev);
    let (content_layer, content_entry, readable, hardlink_to) = match entry {
        Some(e) if e.kind == EntryKind::File => (Some(l), ev.entry(), true, None),
        Some(e) if e.kind == EntryKind::Hardlink => {
            let target = tree.hardlink_target(l, e);
            let index = &tree.layers[l];
            let i = target.and_then(|t| index.entries.iter().position(|x| std::ptr::eq(x, t)));
            (Some(l), i, i.is_some(), index.link(e).map(str::to_owned))
        }
        _ => (None, None, false, None),
    };
    let created_by = |layer: usize| {
        history
            .iter()
            .find(|r| r.layer == Some(layer))
            .map(|r| r.created_by.clone())
            .unwrap_or_default()
    };
    let mut before: Option<EntryKind> = None;
    let timeline = tree
        .timeline(p)
        .iter()
        .map(|e| {
            let kind = e.is_present().then(|| tree.info(p, e, None).kind);
            let replaced = match (before, kind) {
                (Some(was), Some(now)) if was != now && e.change != Change::Added => Some(was),
                _ => None,
            };
            before = kind;
            (e, kind, replaced)
        })
        .map(|(e, kind, replaced)| TimelineItem {
            layer: e.layer as usize + 1,
            change: e.change,
            created_by: created_by(e.layer as usize),
            size: tree.entry(e).map_or(0, |x| x.size),
            kind,
            replaced,
            detail: e.deleted_by.map(|d| match d {
                DeletedBy::Whiteout(w) if w == p => "a whiteout (.wh.) of this path".to_owned(),
                DeletedBy::Whiteout(w) => format!("a whiteout of /{}", tree.paths.path(w)),
                DeletedBy::Opaque(d) => format!(
                    "the opaque directory /{} (.wh..wh..opq)",
                    tree.paths.path(d)
                ),
                DeletedBy::Replaced(r) => format!("/{} became a non-directory", tree.paths.path(r)),
            }),
        })
        .collect();
    Some(FileDetails {
        path: info.path,
        kind: info.kind,
        size: info.size,
        mode: mode_string(info.kind, u32::from_str_radix(&info.mode, 8).unwrap_or(0)),
        mode_octal: info.mode,
        uid: info.uid,
        gid: info.gid,
        uname: info.uname,
        gname: info.gname,
        mtime: info.mtime,
        link: (!info.linkname.is_empty() && info.kind == EntryKind::Symlink)
            .then_some(info.linkname),
        hardlink_to,
        timeline,
        readable,
        content_layer,
        content_entry,
    })
}

/// A rectangle of the treemap, in a unit square.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreemapRect {
    pub path: PathId,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub depth: u16,
    pub size: u64,
    pub is_dir: bool,
}

/// A squarified treemap of the view's shown paths under `root`, by size, `max_depth` levels
/// deep, leaving out rectangles smaller than `min_area` of the square.
pub fn treemap(
    tree: &ImageTree,
    view: &LayerView,
    root: PathId,
    max_depth: u16,
    min_area: f64,
) -> Vec<TreemapRect> {
    let mut out = Vec::new();
    layout(
        tree,
        view,
        root,
        (0.0, 0.0, 1.0, 1.0),
        0,
        max_depth,
        min_area,
        &mut out,
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn layout(
    tree: &ImageTree,
    view: &LayerView,
    dir: PathId,
    area: (f64, f64, f64, f64),
    depth: u16,
    max_depth: u16,
    min_area: f64,
    out: &mut Vec<TreemapRect>,
) {
    let mut kids: Vec<(PathId, u64)> = tree
        .children(dir)
        .filter(|c| view.shown(*c) && view.size(*c) > 0)
        .map(|c| (c, view.size(c)))
        .collect();
    kids.sort_by_key(|k| std::cmp::Reverse(k.1));
    let total: u64 = kids.iter().map(|k| k.1).sum();
    if total == 0 {
        return;
    }
    let (_, _, w, h) = area;
    let scale = w * h / total as f64;
    let mut rects = Vec::new();
    squarify(
        &kids.iter().map(|k| k.1 as f64 * scale).collect::<Vec<_>>(),
        area,
        &mut rects,
    );
    for ((p, size), (rx, ry, rw, rh)) in kids.into_iter().zip(rects) {
        if rw * rh < min_area {
            continue;
        }
        let is_dir = view.is_dir(p);
        out.push(TreemapRect {
            path: p,
            x: rx,
            y: ry,
            w: rw,
            h: rh,
            depth,
            size,
            is_dir,
        });
        if is_dir && depth + 1 < max_depth {
            // Leave a margin for the directory's label.
            let pad = (rw.min(rh) * 0.04).min(0.004);
            let label = (rh * 0.12).min(0.018);
            if rw > 2.0 * pad && rh > label + 2.0 * pad {
                layout(
                    tree,
                    view,
                    p,
                    (rx + pad, ry + label, rw - 2.0 * pad, rh - label - pad),
                    depth + 1,
                    max_depth,
                    min_area,
                    out,
                );
            }
        }
    }
}

/// Squarified treemap (Bruls, Huizing, van Wijk): areas (summing to the rectangle's) into
/// rectangles with aspect ratios close to 1.
fn squarify(areas: &[f64], rect: (f64, f64, f64, f64), out: &mut Vec<(f64, f64, f64, f64)>) {
    let (mut x, mut y, mut w, mut h) = rect;
    let mut i = 0;
    while i < areas.len() {
        let side = w.min(h);
        let mut row_end = i + 1;
        let mut best = worst(&areas[i..row_end], side);
        while row_end < areas.len() {
            let next = worst(&areas[i..=row_end], side);
            if next > best {
                break;
            }
            best = next;
            row_end += 1;
        }
        let row = &areas[i..row_end];
        let sum: f64 = row.iter().sum();
        if w >= h {
            let rw = if h > 0.0 { sum / h } else { 0.0 };
            let mut ry = y;
            for a in row {
                let rh = if rw > 0.0 { a / rw } else { 0.0 };
                out.push((x, ry, rw, rh));
                ry += rh;
            }
            x += rw;
            w -= rw;
        } else {
            let rh = if w > 0.0 { sum / w } else { 0.0 };
            let mut rx = x;
            for a in row {
                let rw = if rh > 0.0 { a / rh } else { 0.0 };
                out.push((rx, y, rw, rh));
                rx += rw;
            }
            y += rh;
            h -= rh;
        }
        i = row_end;
    }
}

fn worst(row: &[f64], side: f64) -> f64 {
    let sum: f64 = row.iter().sum();
    let (min, max) = row
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    if sum <= 0.0 || min <= 0.0 {
        return f64::MAX;
    }
    let s2 = side * side;
    (s2 * max / (sum * sum)).max(sum * sum / (s2 * min))
}

/// One line of the layer list: a layer, or an empty-layer history step between layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerListItem {
    /// 0-based layer; `None` for an empty-layer history step.
    pub layer: Option<usize>,
    pub created_by: String,
    pub created: Option<String>,
    pub stored_size: Option<u64>,
    pub uncompressed_size: Option<u64>,
    pub added: u64,
    pub modified: u64,
    pub deleted: u64,
    /// Share of the image's uncompressed size, 0..1.
    pub share: f64,
    pub digest: Option<String>,
}

/// The layer list, oldest first, empty-layer steps in between.
pub fn layer_list(
    tree: &ImageTree,
    image: &crate::image::Image,
    history: &[HistoryRow],
) -> Vec<LayerListItem> {
    let total: u64 = image
        .layers
        .iter()
        .filter_map(|l| l.uncompressed_size)
        .sum();
    let mut rows: Vec<&HistoryRow> = history.iter().collect();
    rows.reverse();
    let mut out = Vec::new();
    let mut seen = vec![false; image.layers.len()];
    let layer_item = |l: usize, created_by: String, created: Option<String>| {
        let c = if l < tree.n_layers() {
            tree.change_counts(l)
        } else {
            Default::default()
        };
        let layer = &image.layers[l];
        LayerListItem {
            layer: Some(l),
            created_by,
            created,
            stored_size: layer.size(),
            uncompressed_size: layer.uncompressed_size,
            added: c.added,
            modified: c.modified,
            deleted: c.deleted,
            share: if total == 0 {
                0.0
            } else {
                layer.uncompressed_size.unwrap_or(0) as f64 / total as f64
            },
            digest: layer.digest.as_ref().map(ToString::to_string),
        }
    };
    for r in rows {
        match r.layer {
            Some(l) if l < image.layers.len() => {
                seen[l] = true;
                out.push(layer_item(l, r.created_by.clone(), r.created.clone()));
            }
            _ => out.push(LayerListItem {
                layer: None,
                created_by: r.created_by.clone(),
                created: r.created.clone(),
                stored_size: None,
                uncompressed_size: None,
                added: 0,
                modified: 0,
                deleted: 0,
                share: 0.0,
                digest: None,
            }),
        }
    }
    for (l, s) in seen.iter().enumerate() {
        if !s {
            out.push(layer_item(l, String::new(), None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::LayerScanner;
    use crate::limits::Limits;

    fn layer(files: &[(&str, &[u8])]) -> crate::layer::LayerIndex {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&b.into_inner().unwrap());
        s.finish().index
    }

    fn tree() -> ImageTree {
        ImageTree::build(vec![
            layer(&[
                ("usr/bin/env", b"env"),
                ("usr/lib/libc.so", &[0u8; 1000]),
                ("etc/passwd", b"root"),
            ]),
            layer(&[
                ("usr/bin/env", b"env2"),
                ("usr/lib/.wh.libc.so", b""),
                ("opt/app/main", &[1u8; 50]),
            ]),
        ])
    }

    fn names(tree: &ImageTree, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                format!(
                    "{}{}",
                    "  ".repeat(r.depth as usize),
                    tree.paths.name(r.path)
                )
            })
            .collect()
    }

    #[test]
    fn merged_and_changes_views() {
        let t = tree();
        let merged = LayerView::new(&t, 1, ViewMode::Merged);
        let all = |_: PathId| true;
        let r = rows(&t, &merged, &all, &Filter::default(), Sort::Name);
        assert_eq!(
            names(&t, &r),
            [
                "etc",
                "  passwd",
                "opt",
                "  app",
                "    main",
                "usr",
                "  bin",
                "    env",
                "  lib",
                "    libc.so"
            ]
        );
        let libc = t.paths.lookup("usr/lib/libc.so").unwrap();
        assert_eq!(
            merged.change(libc),
            Some(Change::Deleted),
            "shown struck through"
        );
        assert_eq!(row_info(&t, &merged, libc).deleted_in, Some(2));
        // Directory sizes add up what is there below them, not what this layer deleted.
        assert_eq!(merged.size(t.paths.lookup("usr").unwrap()), 4);
        let changes = LayerView::new(&t, 1, ViewMode::Changes);
        let r = rows(&t, &changes, &all, &Filter::default(), Sort::Size);
        assert_eq!(
            names(&t, &r),
            [
                "opt",
                "  app",
                "    main",
                "usr",
                "  bin",
                "    env",
                "  lib",
                "    libc.so"
            ]
        );
        assert!(changes.is_context(t.paths.lookup("usr").unwrap()));
        // Collapsed directories hide their children.
        let none = |_: PathId| false;
        assert_eq!(
            rows(&t, &merged, &none, &Filter::default(), Sort::Name).len(),
            3
        );
    }

    #[test]
    fn filters_show_matches_with_their_parents() {
        let t = tree();
        let merged = LayerView::new(&t, 1, ViewMode::Merged);
        let none = |_: PathId| false;
        let f = Filter::new("ENV", false, vec![], 0).unwrap();
        assert_eq!(
            names(&t, &rows(&t, &merged, &none, &f, Sort::Name)),
            ["usr", "  bin", "    env"]
        );
        let f = Filter::new(r"^(etc|opt)/\w+$", true, vec![], 0).unwrap();
        assert_eq!(
            names(&t, &rows(&t, &merged, &none, &f, Sort::Name)),
            ["etc", "  passwd", "opt", "  app"]
        );
        let f = Filter::new("", false, vec![Change::Added], 0).unwrap();
        assert_eq!(
            names(&t, &rows(&t, &merged, &none, &f, Sort::Name)),
            ["opt", "  app", "    main"]
        );
        let f = Filter::new("", false, vec![], 100).unwrap();
        assert_eq!(
            names(&t, &rows(&t, &merged, &none, &f, Sort::Name)),
            ["usr", "  lib", "    libc.so"]
        );
        assert!(Filter::new("(", true, vec![], 0).is_err());
    }

    #[test]
    fn treemap_areas_are_proportional() {
        let areas = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let mut out = Vec::new();
        squarify(&areas, (0.0, 0.0, 6.0, 4.0), &mut out);
        for (a, (_, _, w, h)) in areas.iter().zip(&out) {
            assert!((a - w * h).abs() < 1e-9, "{a} vs {}", w * h);
        }
        let t = tree();
        let merged = LayerView::new(&t, 0, ViewMode::Merged);
        let rects = treemap(&t, &merged, PathId::ROOT, 3, 0.0);
        let top: f64 = rects
            .iter()
            .filter(|r| r.depth == 0)
            .map(|r| r.w * r.h)
            .sum();
        assert!((top - 1.0).abs() < 1e-9);
    }
}
