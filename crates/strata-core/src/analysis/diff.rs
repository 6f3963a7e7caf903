//! Two images compared: which layers they share (stored once by a registry, pulled once by a
//! daemon: the point of content addressing), how their configs and histories differ, and a
//! file-level diff of their final filesystems. `semantic` ignores what differs between two
//! builds of the same thing (timestamps, owners, the creation date), as diffoci's
//! `--semantic` does.

pub mod cache;

use crate::history::History;
use crate::image::Image;
use crate::tar::EntryKind;
use crate::tree::{FileInfo, ImageTree};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Ignore timestamps and owners (files), and the creation date (config).
    pub semantic: bool,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    pub name: String,
    pub id: String,
    pub layers: usize,
    pub stored_size: u64,
}

/// A layer as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// 1-based.
    pub layer: usize,
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub size: u64,
}

/// A layer in both images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedLayer {
    pub a: LayerRef,
    pub b: LayerRef,
    /// `digest`: the same blob (stored once); `diff_id`: the same content compressed
    /// differently (stored twice).
    pub by: String,
}

/// A config field that differs (absent on one side: `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub key: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Build steps: the common start, then each side's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryDiff {
    pub common: usize,
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
}

/// A path that differs between the final filesystems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// `added` (only in B), `removed` (only in A), `changed`.
    pub change: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub a_size: Option<u64>,
    pub b_size: Option<u64>,
    /// b_size − a_size (absent sides count 0).
    pub delta: i64,
    /// For `changed`: `content`, `type`, `mode`, `owner`, `mtime`, `link`.
    pub what: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageDiff {
    pub a: Side,
    pub b: Side,
    pub semantic: bool,
    pub shared_layers: Vec<SharedLayer>,
    pub only_a_layers: Vec<LayerRef>,
    pub only_b_layers: Vec<LayerRef>,
    pub config: Vec<FieldChange>,
    pub history: HistoryDiff,
    pub files: Vec<FileChange>,
    pub summary: DiffSummary,
    /// Where B stopped reusing A's build cache ([`cache::cache_report`]).
    #[serde(default)]
    pub cache: cache::CacheReport,
    /// Packages added, removed and changed, when the host read both images' package
    /// databases ([`crate::packages::compare`]); the tree alone cannot say.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub packages: Option<crate::packages::PackageDiff>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Bytes of files, B minus A.
    pub size_delta: i64,
    /// Stored bytes of the layers the two share by digest.
    pub shared_bytes: u64,
}

/// What one image brings to the comparison.
pub struct Input<'a> {
    pub name: &'a str,
    pub image: &'a Image,
    pub history: &'a History,
    pub tree: &'a ImageTree,
}

fn layer_ref(image: &Image, i: usize) -> LayerRef {
    let l = &image.layers[i];
    LayerRef {
        layer: i + 1,
        digest: l.digest.as_ref().map(ToString::to_string),
        diff_id: l.diff_id.as_ref().map(ToString::to_string),
        size: l
            .location
            .map_or(l.declared_size.unwrap_or(0), |loc| loc.len),
    }
}

fn side(input: &Input<'_>) -> Side {
    Side {
        name: input.name.to_owned(),
        id: input.image.id().to_string(),
        layers: input.image.layers.len(),
        stored_size: input.image.stored_size(),
    }
}

/// Flattens a config into `key → value` (objects by dotted keys; `Env` by variable).
fn flatten(v: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if key == "rootfs" || key == "history" {
                    continue;
                }
                if key.ends_with("config.Env") || key == "config.Env" {
                    for e in v.as_array().into_iter().flatten() {
                        let s = e.as_str().unwrap_or_default();
                        let (name, value) = s.split_once('=').unwrap_or((s, ""));
                        out.insert(format!("{key}.{name}"), value.to_owned());
                    }
                    continue;
                }
                flatten(v, &key, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn config_changes(a: &Image, b: &Image, semantic: bool) -> Vec<FieldChange> {
    let parse = |i: &Image| {
        serde_json::from_slice::<serde_json::Value>(&i.config.bytes).unwrap_or_default()
    };
    let (mut fa, mut fb) = (BTreeMap::new(), BTreeMap::new());
    flatten(&parse(a), "", &mut fa);
    flatten(&parse(b), "", &mut fb);
    let mut keys: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !(semantic && (k.as_str() == "created" || k.ends_with(".created"))))
        .filter_map(|k| {
            let (x, y) = (fa.get(k), fb.get(k));
            (x != y).then(|| FieldChange {
                key: k.clone(),
                a: x.cloned(),
                b: y.cloned(),
            })
        })
        .collect()
}

fn history_diff(a: &History, b: &History) -> HistoryDiff {
    // Build order (oldest first); rows are newest first.
    let steps = |h: &History| -> Vec<String> {
        h.rows
            .iter()
            .rev()
            .map(|r| {
                r.created_by
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let (sa, sb) = (steps(a), steps(b));
    let common = sa.iter().zip(&sb).take_while(|(x, y)| x == y).count();
    HistoryDiff {
        common,
        only_a: sa[common..].to_vec(),
        only_b: sb[common..].to_vec(),
    }
}

/// A path's state in a final filesystem, with what decides "changed".
struct State {
    info: FileInfo,
    content: u64,
}

fn final_files(tree: &ImageTree) -> BTreeMap<String, State> {
    let mut out = BTreeMap::new();
    if tree.n_layers() == 0 {
        return out;
    }
    let last = tree.n_layers() - 1;
    for info in tree.merged(last) {
        let content = tree
            .paths
            .lookup(&info.path)
            .and_then(|p| tree.state_at(p, last))
            .and_then(|e| {
                let entry = tree.entry(e)?;
                let layer = e.layer as usize;
                Some(match entry.kind {
                    EntryKind::Hardlink => tree
                        .hardlink_target(layer, entry)
                        .map_or(0, |t| t.content_hash),
                    _ => entry.content_hash,
                })
            })
            .unwrap_or(0);
        out.insert(info.path.clone(), State { info, content });
    }
    out
}

fn file_changes(a: &ImageTree, b: &ImageTree, semantic: bool) -> Vec<FileChange> {
    let (fa, fb) = (final_files(a), final_files(b));
    let mut out = Vec::new();
    let mut ia = fa.iter().peekable();
    let mut ib = fb.iter().peekable();
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        match order {
            std::cmp::Ordering::Less => {
                let Some((p, s)) = ia.next() else { break };
                out.push(FileChange {
                    path: p.clone(),
                    change: "removed".into(),
                    kind: s.info.kind,
                    a_size: Some(s.info.size),
                    b_size: None,
                    delta: -(s.info.size as i64),
                    what: Vec::new(),
                });
            }
            std::cmp::Ordering::Greater => {
                let Some((p, s)) = ib.next() else { break };
                out.push(FileChange {
                    path: p.clone(),
                    change: "added".into(),
                    kind: s.info.kind,
                    a_size: None,
                    b_size: Some(s.info.size),
                    delta: s.info.size as i64,
                    what: Vec::new(),
                });
            }
            std::cmp::Ordering::Equal => {
                let (Some((p, x)), Some((_, y))) = (ia.next(), ib.next()) else {
                    break;
                };
                let (i, j) = (&x.info, &y.info);
                let mut what = Vec::new();
                if i.kind != j.kind {
                    what.push("type");
                }
                if i.kind == EntryKind::File && (x.content != y.content || i.size != j.size) {
                    what.push("content");
                }
                if i.mode != j.mode {
                    what.push("mode");
                }
                if !semantic && (i.uid != j.uid || i.gid != j.gid) {
                    what.push("owner");
                }
                if !semantic && i.mtime != j.mtime && i.kind != EntryKind::Dir {
                    what.push("mtime");
                }
                if i.linkname != j.linkname || i.hardlink_to != j.hardlink_to {
                    what.push("link");
                }
                if !what.is_empty() {
                    out.push(FileChange {
                        path: p.clone(),
                        change: "changed".into(),
                        kind: j.kind,
                        a_size: Some(i.size),
                        b_size: Some(j.size),
                        delta: j.size as i64 - i.size as i64,
                        what: what.into_iter().map(str::to_owned).collect(),
                    });
                }
            }
        }
    }
    out
}

/// Compares image A with image B.
pub fn diff(a: &Input<'_>, b: &Input<'_>, options: DiffOptions) -> ImageDiff {
    // Layers: the same blob (digest) first, then the same content (diff_id).
    let mut shared = Vec::new();
    let mut used_b = vec![false; b.image.layers.len()];
    let mut only_a = Vec::new();
    for (i, la) in a.image.layers.iter().enumerate() {
        let by_digest = b
            .image
            .layers
            .iter()
            .enumerate()
            .find(|(j, lb)| !used_b[*j] && la.digest.is_some() && la.digest == lb.digest);
        let found = by_digest.map(|(j, _)| (j, "digest")).or_else(|| {
            b.image
                .layers
                .iter()
                .enumerate()
                .find(|(j, lb)| !used_b[*j] && la.diff_id.is_some() && la.diff_id == lb.diff_id)
                .map(|(j, _)| (j, "diff_id"))
        });
        match found {
            Some((j, by)) => {
                used_b[j] = true;
                shared.push(SharedLayer {
                    a: layer_ref(a.image, i),
                    b: layer_ref(b.image, j),
                    by: by.into(),
                });
            }
            None => only_a.push(layer_ref(a.image, i)),
        }
    }
    let only_b = (0..b.image.layers.len())
        .filter(|j| !used_b[*j])
        .map(|j| layer_ref(b.image, j))
        .collect();
    let files = file_changes(a.tree, b.tree, options.semantic);
    let count = |c: &str| files.iter().filter(|f| f.change == c).count();
    let summary = DiffSummary {
        added: count("added"),
        removed: count("removed"),
        changed: count("changed"),
        size_delta: files.iter().map(|f| f.delta).sum(),
        shared_bytes: shared
            .iter()
            .filter(|s| s.by == "digest")
            .map(|s| s.a.size)
            .sum(),
    };
    ImageDiff {
        a: side(a),
        b: side(b),
        semantic: options.semantic,
        shared_layers: shared,
        only_a_layers: only_a,
        only_b_layers: only_b,
        config: config_changes(a.image, b.image, options.semantic),
        history: history_diff(a.history, b.history),
        files,
        summary,
        cache: cache::cache_report(a, b),
        packages: None,
    }
}

/// The most bytes of each side a content diff reads (larger files are said to differ, not shown).
pub const MAX_TEXT_DIFF_BYTES: u64 = 1 << 20;

/// A unified diff (`diff -u`, 3 lines of context) of two versions of a text file at `path`;
/// `None` when either side is not text (a NUL byte, or not UTF-8) or they are the same.
pub fn text_diff(path: &str, a: &[u8], b: &[u8]) -> Option<String> {
    fn text(x: &[u8]) -> Option<&str> {
        if x.contains(&0) {
            return None;
        }
        std::str::from_utf8(x).ok()
    }
    let (ta, tb) = (text(a)?, text(b)?);
    if ta == tb {
        return None;
    }
    let diff = similar::TextDiff::from_lines(ta, tb);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("A/{path}"), &format!("B/{path}"))
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_diffs_are_unified_and_binary_files_have_none() {
        let d = text_diff("etc/motd", b"hello\nworld\n", b"hello\nthere\n").unwrap();
        assert_eq!(
            d,
            "--- A/etc/motd\n+++ B/etc/motd\n@@ -1,2 +1,2 @@\n hello\n-world\n+there\n"
        );
        assert_eq!(text_diff("x", b"same\n", b"same\n"), None);
        assert_eq!(text_diff("bin", b"\x7fELF\0\x01", b"\x7fELF\0\x02"), None);
        assert_eq!(text_diff("latin1", b"caf\xe9", b"cafe"), None);
    }
    use crate::{Limits, MemorySource, scan_layer};

    /// A one-layer tree from (path, content, mtime, uid) files.
    fn tree(files: &[(&str, &str, u64, u64)]) -> ImageTree {
        let mut b = tar::Builder::new(Vec::new());
        for (path, content, mtime, uid) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(content.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(*mtime);
            h.set_uid(*uid);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append_data(&mut h, path, content.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = b.into_inner().unwrap_or_else(|e| panic!("{e}"));
        let len = bytes.len() as u64;
        let source = MemorySource::new(bytes);
        let scan = scan_layer(&source, 0, len, &Limits::default(), &mut |_| true)
            .unwrap_or_else(|e| panic!("{e}"));
        ImageTree::build(vec![scan.index])
    }

    #[test]
    fn semantic_ignores_timestamps_and_owners_but_not_content() {
        let a = tree(&[
            ("same.txt", "x", 1, 0),
            ("touched.txt", "y", 1, 0),
            ("chowned.txt", "z", 1, 0),
            ("edited.txt", "a", 1, 0),
            ("gone.txt", "g", 1, 0),
        ]);
        let b = tree(&[
            ("same.txt", "x", 1, 0),
            ("touched.txt", "y", 999, 0),
            ("chowned.txt", "z", 1, 1000),
            ("edited.txt", "b", 1, 0),
            ("new.txt", "nn", 1, 0),
        ]);
        let summary = |files: &[FileChange]| -> Vec<String> {
            files
                .iter()
                .map(|f| format!("{} {} {}", f.change, f.path, f.what.join("+")))
                .collect()
        };
        assert_eq!(
            summary(&file_changes(&a, &b, false)),
            [
                "changed chowned.txt owner",
                "changed edited.txt content",
                "removed gone.txt ",
                "added new.txt ",
                "changed touched.txt mtime"
            ]
        );
        assert_eq!(
            summary(&file_changes(&a, &b, true)),
            [
                "changed edited.txt content",
                "removed gone.txt ",
                "added new.txt "
            ]
        );
        let f = file_changes(&a, &b, true);
        assert_eq!(f.iter().map(|f| f.delta).sum::<i64>(), 1);
    }
}
