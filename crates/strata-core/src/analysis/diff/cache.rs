//! "Why did the cache break?": two builds of one Dockerfile compared step by step, as a
//! builder's layer cache sees them. A builder reuses a step's cached result only while every
//! step before it was reused too, so the report is a boundary: the steps (and the layers they
//! made) both builds share at the same position — the same instruction, the same creation time,
//! the same layer by diff_id — then the first step that differs, why it differs, and what was
//! rebuilt after it (every later layer, whatever it holds).
//!
//! Where the history shows it, a reordering hint: later steps whose instruction is the same in
//! both builds were rebuilt only because they come after the broken one; if they do not read
//! what it adds, putting them before it keeps them cached ("put what changes most last").
//! A builder's cache is keyed by more than the config records (build arguments, the base's
//! digest, BuildKit's file checksums), so the reasons say what the images show, and no more.

use super::{Input, LayerRef, layer_ref};
use crate::history::HistoryRow;
use crate::text::{clip, count, format_bytes};
use crate::tree::Change;
use serde::{Deserialize, Serialize};

/// Why the first differing step differs, from what the two configs and layers record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The same COPY/ADD, but the checksum of what it copies (`file:…`, `dir:…`) differs.
    InputChanged,
    /// The instruction itself is different.
    InstructionChanged,
    /// The same instruction made a different layer (its inputs changed where the history does
    /// not record them: BuildKit's COPY, a downloaded file, a build argument).
    OutputChanged,
    /// The same instruction and the same layer, created at another time: the step ran again
    /// (`--no-cache`, another machine, a cleared cache) and happened to make the same bytes.
    Rerun,
    /// B has a step here that A does not.
    StepAdded,
    /// A has a step here that B does not.
    StepRemoved,
    /// Neither image records a history: the layers differ here.
    LayerChanged,
}

/// The step where the second build stopped reusing the first's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheBreak {
    /// 1-based build step (the config's history, oldest first); `None` without a history.
    pub step: Option<usize>,
    /// The step as A and B record it (`None`: that build has no such step).
    pub created_by_a: Option<String>,
    pub created_by_b: Option<String>,
    /// 1-based layer of B this step made (`None` for a step that makes no layer).
    pub layer: Option<usize>,
    pub reason: BreakReason,
    /// A sentence on why, with the evidence.
    pub explanation: String,
    /// A few of the paths B's layer of this step added or changed (what later steps might read).
    pub paths: Vec<String>,
}

/// A layer-making step after the break that is the same instruction in both builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnchangedStep {
    /// 1-based build step.
    pub step: usize,
    /// 1-based layer of B.
    pub layer: usize,
    pub created_by: String,
    /// B's stored bytes for it.
    pub size: u64,
    /// Its layer came out byte for byte the same (diff_id) as A's: it did not depend on the
    /// change at all.
    pub same_bytes: bool,
}

/// The reordering that would have kept more layers cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorderHint {
    pub steps: Vec<UnchangedStep>,
    /// Stored bytes of those steps' layers in B: what moving them would have kept.
    pub kept_bytes: u64,
    pub text: String,
}

/// The cache report of B against A.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheReport {
    /// `history` (steps compared) or `layers` (one image has no history: layers compared).
    pub basis: String,
    /// Build steps both builds share from the start.
    pub reused_steps: usize,
    /// B's layers 1..=reused_layers are A's (same position, same step, same diff_id).
    pub reused_layers: usize,
    /// Stored bytes of those layers.
    pub reused_bytes: u64,
    /// `None`: B reused every step of A and has no other (the same build).
    pub broke_at: Option<CacheBreak>,
    /// B's layers from the break on: rebuilt, whatever they hold.
    pub rebuilt: Vec<LayerRef>,
    pub rebuilt_bytes: u64,
    /// Of the rebuilt layers, those that came out the same bytes as A's at that position
    /// (stored once anyway).
    pub rebuilt_identical: usize,
    pub reorder: Option<ReorderHint>,
    /// One sentence: "layers 1–2 reused; the cache broke at step 3, `…`: …".
    pub summary: String,
}

/// Whitespace-normalised, as `history_diff` compares steps.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `created_by` with the copy checksums (`file:<hex>`, `dir:<hex>`, `multi:<hex>`) blanked,
/// and whether there were any: two COPYs equal but for these copied different files.
fn without_checksums(s: &str) -> (String, bool) {
    let mut any = false;
    let words: Vec<String> = s
        .split_whitespace()
        .map(|w| {
            for p in ["file:", "dir:", "multi:"] {
                if let Some(hex) = w.strip_prefix(p)
                    && hex.len() >= 32
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    any = true;
                    return format!("{p}…");
                }
            }
            w.to_owned()
        })
        .collect();
    (words.join(" "), any)
}

/// What a step is shown as: its instruction, clipped.
fn shown(created_by: &str) -> String {
    let s = norm(created_by);
    let s = if let Some(nop) = s.strip_prefix("/bin/sh -c #(nop) ") {
        nop.to_owned()
    } else if let Some(run) = s.strip_prefix("/bin/sh -c ") {
        format!("RUN {run}")
    } else {
        s
    };
    // A copy checksum is 64 hex digits of noise to a reader: 12 tell two apart.
    let s: Vec<String> = s
        .split(' ')
        .map(|w| match w.split_once(':') {
            Some((p @ ("file" | "dir" | "multi"), hex))
                if hex.len() > 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                format!("{p}:{}…", &hex[..12])
            }
            _ => w.to_owned(),
        })
        .collect();
    clip(&s.join(" "), 80)
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn same_layer(a: &Input<'_>, la: Option<usize>, b: &Input<'_>, lb: Option<usize>) -> bool {
    match (la, lb) {
        (None, None) => true,
        (Some(i), Some(j)) => match (a.image.layers.get(i), b.image.layers.get(j)) {
            (Some(x), Some(y)) => match (&x.diff_id, &y.diff_id) {
                (Some(p), Some(q)) => p == q,
                _ => x.digest.is_some() && x.digest == y.digest,
            },
            _ => false,
        },
        _ => false,
    }
}

fn same_step(a: &Input<'_>, x: &HistoryRow, b: &Input<'_>, y: &HistoryRow) -> bool {
    norm(&x.created_by) == norm(&y.created_by)
        && x.created == y.created
        && x.empty_layer == y.empty_layer
        && same_layer(a, x.layer, b, y.layer)
}

fn reason(
    a: &Input<'_>,
    x: Option<&HistoryRow>,
    b: &Input<'_>,
    y: Option<&HistoryRow>,
) -> (BreakReason, String) {
    match (x, y) {
        (None, Some(_)) => (
            BreakReason::StepAdded,
            "the second build has a step the first does not: nothing after it could come from the first build's cache".into(),
        ),
        (Some(_), None) => (
            BreakReason::StepRemoved,
            "the first build has a step here the second does not".into(),
        ),
        (Some(x), Some(y)) if norm(&x.created_by) != norm(&y.created_by) => {
            let (ca, any_a) = without_checksums(&x.created_by);
            let (cb, any_b) = without_checksums(&y.created_by);
            if ca == cb && (any_a || any_b) {
                (
                    BreakReason::InputChanged,
                    "its input changed: the same instruction copies files with a different checksum, so the builder could not reuse its cached layer".into(),
                )
            } else {
                (
                    BreakReason::InstructionChanged,
                    "the instruction itself changed, so the builder had no cached result for it".into(),
                )
            }
        }
        (Some(x), Some(y)) if !same_layer(a, x.layer, b, y.layer) => (
            BreakReason::OutputChanged,
            "the same instruction made a different layer: what it read changed (the files a COPY copies, a download, a build argument) though the history does not record it".into(),
        ),
        (Some(_), Some(_)) => (
            BreakReason::Rerun,
            "the same instruction and the same layer, but created at another time: the step ran again instead of coming from the cache (--no-cache, another machine, a cleared cache)".into(),
        ),
        (None, None) => (BreakReason::LayerChanged, String::new()),
    }
}

/// Paths B's layer `layer` (0-based) added or modified, files first, at most five.
fn layer_paths(b: &Input<'_>, layer: usize) -> Vec<String> {
    if layer >= b.tree.n_layers() {
        return Vec::new();
    }
    let mut changes: Vec<_> = b
        .tree
        .changes(layer)
        .into_iter()
        .filter(|f| matches!(f.change, Some(Change::Added | Change::Modified)))
        .collect();
    changes.sort_by_key(|f| (f.kind == crate::tar::EntryKind::Dir, f.path.clone()));
    changes
        .into_iter()
        .take(5)
        .map(|f| format!("/{}", f.path.trim_start_matches('/')))
        .collect()
}

fn layers_phrase(n: usize) -> String {
    match n {
        0 => "no layer reused".into(),
        1 => "layer 1 reused".into(),
        n => format!("layers 1–{n} reused"),
    }
}

/// The cache report of build B against build A.
pub fn cache_report(a: &Input<'_>, b: &Input<'_>) -> CacheReport {
    let steps =
        |i: &Input<'_>| -> Vec<HistoryRow> { i.history.rows.iter().rev().cloned().collect() };
    let (sa, sb) = (steps(a), steps(b));
    let size_b = |j: usize| layer_ref(b.image, j).size;
    let n_b = b.image.layers.len();
    let (basis, reused_steps, reused_layers, broke_at) = if sa.is_empty() || sb.is_empty() {
        let k = (0..n_b.min(a.image.layers.len()))
            .take_while(|&i| same_layer(a, Some(i), b, Some(i)))
            .count();
        let broke = (k < n_b || k < a.image.layers.len()).then(|| CacheBreak {
            step: None,
            created_by_a: None,
            created_by_b: None,
            layer: (k < n_b).then_some(k + 1),
            reason: BreakReason::LayerChanged,
            explanation: format!(
                "layer {} differs (no history to say which step made it)",
                k + 1
            ),
            paths: layer_paths(b, k),
        });
        ("layers", 0, k, broke)
    } else {
        let k = sa
            .iter()
            .zip(&sb)
            .take_while(|(x, y)| same_step(a, x, b, y))
            .count();
        let reused_layers = sb[..k].iter().filter(|r| r.layer.is_some()).count();
        let broke = (k < sa.len() || k < sb.len()).then(|| {
            let (x, y) = (sa.get(k), sb.get(k));
            let (reason, explanation) = reason(a, x, b, y);
            let layer = y.and_then(|r| r.layer);
            CacheBreak {
                step: Some(k + 1),
                created_by_a: x.map(|r| r.created_by.clone()),
                created_by_b: y.map(|r| r.created_by.clone()),
                layer: layer.map(|l| l + 1),
                reason,
                explanation,
                paths: layer.map(|l| layer_paths(b, l)).unwrap_or_default(),
            }
        });
        ("history", k, reused_layers, broke)
    };
    let reused_bytes = (0..reused_layers.min(n_b)).map(size_b).sum();
    let rebuilt: Vec<LayerRef> = (reused_layers.min(n_b)..n_b)
        .map(|j| layer_ref(b.image, j))
        .collect();
    let rebuilt_bytes = rebuilt.iter().map(|l| l.size).sum();
    let rebuilt_identical = rebuilt
        .iter()
        .filter(|l| same_layer(a, Some(l.layer - 1), b, Some(l.layer - 1)))
        .count();
    let reorder = broke_at.as_ref().and_then(|br| {
        let step = br.step?;
        if !matches!(
            br.reason,
            BreakReason::InputChanged | BreakReason::InstructionChanged | BreakReason::OutputChanged
        ) {
            return None;
        }
        let unchanged: Vec<UnchangedStep> = sb
            .iter()
            .enumerate()
            .skip(step)
            .filter_map(|(i, y)| {
                let x = sa.get(i)?;
                let l = y.layer?;
                (norm(&x.created_by) == norm(&y.created_by)).then(|| UnchangedStep {
                    step: i + 1,
                    layer: l + 1,
                    created_by: y.created_by.clone(),
                    size: size_b(l),
                    same_bytes: same_layer(a, x.layer, b, y.layer),
                })
            })
            .collect();
        if unchanged.is_empty() {
            return None;
        }
        let kept_bytes = unchanged.iter().map(|u| u.size).sum();
        let list = and_list(
            &unchanged
                .iter()
                .map(|u| format!("step {} (`{}`)", u.step, shown(&u.created_by)))
                .collect::<Vec<_>>(),
        );
        let what = if br.paths.is_empty() {
            String::new()
        } else {
            format!(" ({})", br.paths.join(", "))
        };
        let mut text = format!(
            "{list} {} the same in both builds but {} rebuilt ({}, {}) only because {} after step {step}. If {} not read what step {step} adds{what}, moving {} before it would have kept {} cached: put what changes most last.",
            if unchanged.len() == 1 { "is" } else { "are" },
            if unchanged.len() == 1 { "was" } else { "were" },
            count(unchanged.len(), "layer"),
            format_bytes(kept_bytes),
            if unchanged.len() == 1 { "it comes" } else { "they come" },
            if unchanged.len() == 1 { "it does" } else { "they do" },
            if unchanged.len() == 1 { "it" } else { "them" },
            if unchanged.len() == 1 { "it" } else { "them" },
        );
        let same: Vec<String> = unchanged
            .iter()
            .filter(|u| u.same_bytes)
            .map(|u| format!("step {}", u.step))
            .collect();
        if !same.is_empty() {
            text.push_str(&format!(
                " {} even made the same bytes as in the first build: {} not depend on the change.",
                and_list(&same),
                if same.len() == 1 { "it did" } else { "they did" }
            ));
        }
        Some(ReorderHint {
            steps: unchanged,
            kept_bytes,
            text,
        })
    });
    let summary = match &broke_at {
        None => format!(
            "{}: the second build reused every step of the first",
            layers_phrase(reused_layers)
        ),
        Some(br) => {
            let at = match (br.step, &br.created_by_b, &br.created_by_a) {
                (Some(s), Some(c), _) | (Some(s), None, Some(c)) => {
                    format!("the cache broke at step {s}, `{}`", shown(c))
                }
                _ => format!("the cache broke at layer {}", reused_layers + 1),
            };
            let after = if rebuilt.is_empty() {
                "no layer after it".to_owned()
            } else {
                format!(
                    "every layer after it was rebuilt ({}, {})",
                    count(rebuilt.len(), "layer"),
                    format_bytes(rebuilt_bytes)
                )
            };
            format!("{}; {at}: {after}", layers_phrase(reused_layers))
        }
    };
    CacheReport {
        basis: basis.into(),
        reused_steps,
        reused_layers,
        reused_bytes,
        broke_at,
        rebuilt,
        rebuilt_bytes,
        rebuilt_identical,
        reorder,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_checksums_are_told_from_instructions() {
        let (a, any) = without_checksums(
            "/bin/sh -c #(nop) COPY file:46315d5c0407ed2082680e227d6deaa85aed57e3cc3b43485f97bf9b43588fc2 in /app/app.py ",
        );
        assert!(any);
        assert_eq!(a, "/bin/sh -c #(nop) COPY file:… in /app/app.py");
        assert!(!without_checksums("RUN echo file:abc").1);
        assert_eq!(shown("/bin/sh -c apt-get   update"), "RUN apt-get update");
        assert_eq!(shown("/bin/sh -c #(nop) ENV A=1"), "ENV A=1");
        assert_eq!(shown("COPY busybox rootfs /"), "COPY busybox rootfs /");
        assert_eq!(
            shown(
                "/bin/sh -c #(nop) COPY file:46315d5c0407ed2082680e227d6deaa85aed57e3cc3b43485f97bf9b43588fc2 in /app/app.py "
            ),
            "COPY file:46315d5c0407… in /app/app.py"
        );
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
