//! How image layers work, told with the image at hand: a guided walk for workshops. Each
//! lesson points at something real in this image (a digest being checked, a whiteout and the
//! file it hides, the bytes a deletion did not free) and says where to look.
//!
//! When the image has no example of something, the lesson says so and names the sample that
//! has one, rather than inventing it.

use crate::Analysis;
use crate::equivalents::{Origin, Topic, equivalents, layer_blob_command, layer_list_command};
use crate::history::History;
use crate::image::Image;
use crate::paths::PathId;
use crate::tar::EntryKind;
use crate::text::format_bytes;
use crate::tree::{Change, ImageTree};
use serde::{Deserialize, Serialize};

/// Which view a lesson is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    Overview,
    History,
    Raw,
    Layers,
    Waste,
    Compare,
}

/// Where in the view to look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Focus {
    /// 1-based layer.
    pub layer: Option<usize>,
    pub path: Option<String>,
    /// Show that layer's changes rather than the merged filesystem.
    pub changes: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Stable name: `image`, `digests`, `tags`, `history`, `copy-on-write`, `whiteouts`,
    /// `deletions`, `sharing`.
    pub id: String,
    pub title: String,
    pub place: Place,
    pub focus: Option<Focus>,
    /// Plain sentences about this image.
    pub paragraphs: Vec<String>,
    /// The shell command that shows the same thing.
    pub try_it: Option<String>,
}

fn short(d: &str) -> String {
    let (algo, hex) = d.split_once(':').unwrap_or(("sha256", d));
    format!("{algo}:{}…", &hex[..hex.len().min(12)])
}

fn lesson(
    id: &str,
    title: &str,
    place: Place,
    focus: Option<Focus>,
    paragraphs: Vec<String>,
    try_it: Option<String>,
) -> Lesson {
    Lesson {
        id: id.into(),
        title: title.into(),
        place,
        focus,
        paragraphs,
        try_it,
    }
}

/// The command `equivalents` gives `tool` for `topic`, as the lesson's "Try it".
fn command(
    image: &Image,
    origin: &Origin,
    topic: Topic,
    tool: &str,
    path: Option<&str>,
) -> Option<String> {
    equivalents(image, origin, topic, None, path)
        .into_iter()
        .find(|e| e.tool == tool)
        .map(|e| e.command)
}

/// The walk, in order. `analysis` is the layers once read (some lessons need them); `origin`
/// names the image in the commands to try, as the user has it (their file, their reference).
pub fn lessons(
    image: &Image,
    history: &History,
    analysis: Option<&Analysis>,
    origin: &Origin,
) -> Vec<Lesson> {
    let examples = analysis.map(|a| Examples::of(&a.tree, &a.tree.waste()));
    lessons_with(image, history, analysis.zip(examples.as_ref()), origin)
}

/// What the lessons show of an image's layers, found once per tree (every path walked: 47-86
/// ms for a million in wasm), so the lessons can be told again (a layer verified) for nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examples {
    /// A file changed by a later layer: its path, the upper and the lower layer (0-based).
    modified: Option<(String, (usize, usize))>,
    /// A whiteout: its layer, its own path, the path it deletes, and the 1-based layer that
    /// had that path last.
    whiteout: Option<(usize, String, String, Option<usize>)>,
    /// An opaque directory: its layer and path.
    opaque: Option<(usize, String)>,
    /// A file added and deleted later: its path, both layers, its size.
    dead: Option<(String, (usize, usize, u64))>,
    wasted_bytes: u64,
    total_file_bytes: u64,
}

impl Examples {
    /// The examples of `tree`, whose waste is `waste`.
    pub fn of(tree: &ImageTree, waste: &crate::tree::WasteReport) -> Examples {
        ExamplesWalk::new(tree).finish(tree, waste)
    }
}

/// [`Examples::of`] found a piece at a time (a million paths took up to 86 ms in wasm, one
/// task of the page's): [`ExamplesWalk::work`] visits about `budget` paths of the tree it was
/// made for and says whether it is done; [`ExamplesWalk::finish`] visits the rest and says
/// what it found. It borrows nothing, so a host can keep it across tasks beside the tree.
#[derive(Debug)]
pub struct ExamplesWalk {
    /// How many paths the tree has: a different tree is not walked.
    paths: usize,
    /// The next path to visit, by id (the root, 0, has no events).
    next: usize,
    modified: Option<(String, (usize, usize))>,
    dead: Option<(String, (usize, usize, u64))>,
}

impl ExamplesWalk {
    /// A walk of `tree`, not started.
    pub fn new(tree: &ImageTree) -> ExamplesWalk {
        ExamplesWalk {
            paths: tree.paths.len(),
            next: 1,
            modified: None,
            dead: None,
        }
    }

    /// Visits about `budget` paths (at least one); true once both examples are found or every
    /// path is visited. Given another tree than its own, it visits nothing more.
    pub fn work(&mut self, tree: &ImageTree, budget: usize) -> bool {
        if tree.paths.len() != self.paths {
            self.next = self.paths;
        }
        let end = self.paths.min(self.next.saturating_add(budget.max(1)));
        // One walk for both (each was a walk of every path of its own, and finds nothing in an
        // image of one layer).
        while self.next < end && !(self.modified.is_some() && self.dead.is_some()) {
            let id = PathId(self.next as u32);
            self.next += 1;
            let tl = tree.timeline(id);
            for (i, e) in tl.iter().enumerate() {
                if self.modified.is_none()
                    && e.change == Change::Modified
                    && i > 0
                    && tree.entry(e).is_some_and(|x| x.kind == EntryKind::File)
                {
                    self.modified = Some((
                        tree.paths.path(id),
                        (e.layer as usize, tl[i - 1].layer as usize),
                    ));
                }
                // The events first: most paths are never deleted, and their entries are then
                // not read at all.
                if self.dead.is_none()
                    && let Some(deleted) = tl[i + 1..].iter().find(|l| l.change == Change::Deleted)
                    && let Some(entry) = tree
                        .entry(e)
                        .filter(|x| x.kind == EntryKind::File && x.size > 0)
                {
                    self.dead = Some((
                        tree.paths.path(id),
                        (e.layer as usize, deleted.layer as usize, entry.size),
                    ));
                }
            }
        }
        self.next >= self.paths || (self.modified.is_some() && self.dead.is_some())
    }

    /// Visits the paths still to visit and says what the walk found, with the whiteouts of
    /// `tree`'s layers (a look at each layer's list) and `waste`, `tree`'s waste.
    pub fn finish(mut self, tree: &ImageTree, waste: &crate::tree::WasteReport) -> Examples {
        while !self.work(tree, usize::MAX) {}
        let whiteout = (0..tree.n_layers()).find_map(|l| {
            let index = &tree.layers[l];
            index.whiteouts.iter().find(|w| !w.opaque).map(|w| {
                let target = index.paths.path(w.target);
                // By the layer's own id, not by name: a lookup by name builds the image's
                // lookup tables, a hash of every path.
                let lower = tree
                    .timeline(tree.global(l, w.target))
                    .iter()
                    .rev()
                    .find(|e| (e.layer as usize) < l && e.is_present())
                    .map(|e| e.layer as usize + 1);
                (l, index.paths.path(w.entry_path), target, lower)
            })
        });
        let opaque = (0..tree.n_layers()).find_map(|l| {
            let index = &tree.layers[l];
            index
                .whiteouts
                .iter()
                .find(|w| w.opaque)
                .map(|w| (l, index.paths.path(w.target)))
        });
        Examples {
            modified: self.modified,
            whiteout,
            opaque,
            dead: self.dead,
            wasted_bytes: waste.wasted_bytes,
            total_file_bytes: waste.total_file_bytes,
        }
    }
}

/// [`lessons`], told with the layers' examples found already ([`Examples::of`]).
pub fn lessons_with(
    image: &Image,
    history: &History,
    analysis: Option<(&Analysis, &Examples)>,
    origin: &Origin,
) -> Vec<Lesson> {
    let n = image.layers.len();
    let config = image.parsed_config.config.clone().unwrap_or_default();
    let name = image
        .repo_tags
        .first()
        .cloned()
        .unwrap_or_else(|| short(image.id().as_str()));
    let mut out = Vec::new();

    // 1. An image is layers plus a config.
    let cmd = config
        .entrypoint
        .iter()
        .flatten()
        .chain(config.cmd.iter().flatten())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    out.push(lesson(
        "image",
        "An image is a stack of layers and a config",
        Place::Overview,
        None,
        vec![
            format!(
                "{name} is {} ({} stored) and one {}-byte JSON config. Each layer is a tar archive of files; \
                 stacked in order they make the container's filesystem.",
                crate::text::count(n, "layer"),
                format_bytes(image.stored_size()),
                image.config.bytes.len()
            ),
            format!(
                "The config says how to run it (here: run `{}` as user {}) and lists the layers by the digest of their \
                 uncompressed content (rootfs.diff_ids). The manifest ties the config and the layer blobs together.",
                if cmd.is_empty() { "nothing set".to_owned() } else { cmd },
                config.user.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| "root".into())
            ),
        ],
        command(image, origin, Topic::Raw, "skopeo", None).map(|c| format!("{c}   # the manifest")),
    ));

    // 2. Content addressing, shown being checked.
    let first = image.layers.first();
    let checked = analysis.and_then(|(a, _)| a.scans.first().cloned().flatten());
    let mut p = vec![
        "Every blob is named by the sha256 of its bytes: its digest. Change one byte and the name changes, so a \
         name can be checked, and two identical blobs are one."
            .to_owned(),
    ];
    match (first, &checked) {
        (Some(l), Some(s)) if s.digest.is_none() => p.push(format!(
            "Layer 1 is named {}. Strata has read its {} and is hashing them now, to check that name and the \
             config's diff_id.",
            l.digest.as_ref().map_or_else(|| "-".into(), |d| short(d.as_str())),
            format_bytes(s.stored_size),
        )),
        (Some(l), Some(s)) => p.push(format!(
            "Layer 1 is named {}. Strata hashed its {} and got {} — {}. The uncompressed tar hashes to its diff_id, {} \
             — {}.",
            l.digest.as_ref().map_or_else(|| "-".into(), |d| short(d.as_str())),
            format_bytes(s.stored_size),
            s.digest.as_ref().map_or_else(|| "-".into(), |d| short(d.as_str())),
            if l.digest.is_some() && l.digest == s.digest { "the same ✓" } else { "NOT the same ✗" },
            s.diff_id.as_ref().map_or_else(|| "-".into(), |d| short(d.as_str())),
            if s.diff_id.is_some() && s.diff_id == l.diff_id { "as the config says ✓" } else { "not what the config says ✗" }
        )),
        (Some(l), None) => p.push(format!(
            "Layer 1 is named {}. When the layers are read, Strata hashes every byte and checks that name.",
            l.digest.as_ref().map_or_else(|| "-".into(), |d| short(d.as_str()))
        )),
        _ => {}
    }
    p.push(format!(
        "The image ID, {}, is the digest of the config: same config, same ID, wherever the image is.",
        short(image.id().as_str())
    ));
    out.push(lesson(
        "digests",
        "Layers are named by their content",
        Place::Overview,
        None,
        p,
        // The blob as stored, hashed: its name.
        layer_blob_command(image, origin, 0).map(|c| format!("{c} | sha256sum")),
    ));

    // 3. Tags are pointers.
    out.push(lesson(
        "tags",
        "A tag is a name that points at an image",
        Place::Raw,
        None,
        vec![
            if image.repo_tags.is_empty() {
                format!("This image has no tag: it is {} and nothing else.", image.id())
            } else {
                format!("{} point{} at image {}.", image.repo_tags.join(", "), if image.repo_tags.len() == 1 { "s" } else { "" }, short(image.id().as_str()))
            },
            "Build again, push, and the tag moves to the new image; the old ID still names the old one. Deploy by \
             digest (name@sha256:…) to get exactly what you tested."
                .into(),
        ],
        Some(match origin {
            Origin::Archive { file } => {
                format!("docker load -i {} && docker image ls --digests", crate::equivalents::shell_quote(file))
            }
            Origin::Registry { reference } => format!(
                "docker pull {} && docker image ls --digests",
                crate::equivalents::shell_quote(reference)
            ),
        }),
    ));

    // 4. History: not every step is a layer.
    let empty: Vec<&crate::history::HistoryRow> =
        history.rows.iter().filter(|r| r.empty_layer).collect();
    out.push(lesson(
        "history",
        "Not every build step makes a layer",
        Place::History,
        None,
        vec![
            if empty.is_empty() {
                format!(
                    "This image's history has {} steps, and each made a layer. ENV, LABEL, CMD, USER, EXPOSE and WORKDIR \
                     make none: they only change the config (empty_layer in the history).",
                    history.rows.len()
                )
            } else {
                format!(
                    "This image's history has {} steps; {} of them made no layer: ENV, LABEL, CMD, USER, EXPOSE and WORKDIR \
                     only change the config (empty_layer in the history).",
                    history.rows.len(),
                    empty.len()
                )
            },
            match empty.last() {
                Some(r) => format!("For example: `{}`.", crate::text::clip(&r.created_by.split_whitespace().collect::<Vec<_>>().join(" "), 100)),
                None => "In other images such steps show in the history with a SIZE of 0B and no layer.".into(),
            },
        ],
        command(image, origin, Topic::History, "docker", None),
    ));

    let Some((_, examples)) = analysis else {
        out.push(lesson(
            "copy-on-write",
            "Upper layers hide lower ones",
            Place::Layers,
            None,
            vec!["Read the layers (the Layers view) to see changes, whiteouts and wasted bytes in this image.".into()],
            None,
        ));
        return out;
    };

    // 5. Copy-on-write: a file changed in an upper layer; the old copy stays below.
    let modified = &examples.modified;
    out.push(match modified {
        Some((path, (upper, lower))) => lesson(
            "copy-on-write",
            "Upper layers hide lower ones (copy-on-write)",
            Place::Layers,
            Some(Focus { layer: Some(upper + 1), path: Some(path.clone()), changes: true }),
            vec![
                format!(
                    "/{path} is in layer {} and again, changed, in layer {}. The container sees the upper copy; the lower \
                     one is still in layer {}'s blob.",
                    lower + 1,
                    upper + 1,
                    lower + 1
                ),
                "Changing a file in a container (or a build step) never edits a lower layer: the file is copied up \
                 whole into the new layer, and changed there."
                    .into(),
            ],
            equivalents(image, origin, Topic::Layers, None, Some(path.as_str()))
                .into_iter()
                .map(|e| e.command)
                .find(|c| c.starts_with("strata timeline")),
        ),
        None => lesson(
            "copy-on-write",
            "Upper layers hide lower ones (copy-on-write)",
            Place::Layers,
            None,
            vec!["No file in this image is changed by a later layer. The sample \"Every change a layer can make\" has several.".into()],
            None,
        ),
    });

    // 6. Whiteouts.
    let (whiteout, opaque) = (&examples.whiteout, &examples.opaque);
    out.push(match whiteout {
        Some((layer, entry, target, lower)) => {
            let (layer, lower) = (*layer, *lower);
            let mut p = vec![format!(
                "Layers cannot delete from the layers below them. To delete /{target}, layer {} holds an empty file named \
                 /{entry}: a whiteout. Stacking the layers, it hides /{target}{}.",
                layer + 1,
                lower.map_or_else(String::new, |l| format!(" from layer {l}"))
            )];
            if let Some((ol, dir)) = &opaque {
                p.push(format!(
                    "An opaque whiteout (.wh..wh..opq) hides everything a directory had below: layer {} makes /{dir} opaque.",
                    ol + 1
                ));
            }
            lesson(
                "whiteouts",
                "Deleting is adding a whiteout",
                Place::Layers,
                Some(Focus { layer: Some(layer + 1), path: Some(target.clone()), changes: true }),
                p,
                layer_list_command(image, origin, layer).map(|c| format!("{c} | grep .wh.")),
            )
        }
        None => lesson(
            "whiteouts",
            "Deleting is adding a whiteout",
            Place::Layers,
            None,
            vec!["Nothing is deleted in this image, so it has no whiteout. The sample \"Every change a layer can make\" has them, opaque ones too.".into()],
            None,
        ),
    });

    // 7. Deleting does not shrink.
    let dead = &examples.dead;
    out.push(lesson(
        "deletions",
        "Deleting a file does not make the image smaller",
        Place::Waste,
        dead.as_ref().map(|(path, (added, _, _))| Focus { layer: Some(added + 1), path: Some(path.clone()), changes: true }),
        match &dead {
            Some((path, (added, deleted, size))) => vec![
                format!(
                    "/{path} ({}) was added in layer {} and deleted in layer {}. The container does not see it, but layer {}'s \
                     blob still holds its {}: every pull downloads them.",
                    format_bytes(*size),
                    added + 1,
                    deleted + 1,
                    added + 1,
                    format_bytes(*size)
                ),
                format!(
                    "In all, {} of this image's {} of file bytes are copies a later layer deleted or overwrote. Deleting in the \
                     same step that creates a file (or a multi-stage build) keeps them out.",
                    format_bytes(examples.wasted_bytes),
                    format_bytes(examples.total_file_bytes)
                ),
            ],
            None => vec![format!(
                "No file here is added and later deleted; {} of {} file bytes are overwritten copies. The sample \"Deleting \
                 does not shrink an image\" shows the effect.",
                format_bytes(examples.wasted_bytes),
                format_bytes(examples.total_file_bytes)
            )],
        },
        command(image, origin, Topic::Waste, "strata", None),
    ));

    // 8. Sharing.
    out.push(lesson(
        "sharing",
        "Layers are shared between images",
        Place::Compare,
        None,
        vec![
            format!(
                "Because a layer is named by its content, two images built FROM the same base use the same blob for it: a \
                 registry stores it once and a host pulls it once. This image's first layer, {}, is shared by every image \
                 built on the same base.",
                image.layers.first().and_then(|l| l.digest.as_ref()).map_or_else(|| "-".into(), |d| short(d.as_str()))
            ),
            "Compare this image with another (Compare view) to see which layers they share.".into(),
        ],
        command(image, origin, Topic::Compare(None), "strata", None)
            .map(|c| format!("{c}   # OTHER.tar: another image built on the same base")),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tests::{layer, wasteful_layers};

    #[test]
    fn the_examples_found_a_piece_at_a_time_are_the_examples_found_at_once() {
        // One tree where both path examples are found early, one where neither is (a layer
        // alone: every path is walked).
        for tree in [
            ImageTree::build(wasteful_layers()),
            ImageTree::build(vec![layer(&["a/", "a/b=1", "c=2"])]),
        ] {
            let waste = tree.waste();
            let whole = Examples::of(&tree, &waste);
            for budget in [1, 2, 5, 1000] {
                let mut walk = ExamplesWalk::new(&tree);
                let mut pieces = 1;
                while !walk.work(&tree, budget) {
                    pieces += 1;
                    assert!(pieces < 10_000, "budget {budget}: the walk never ends");
                }
                if budget == 1 && tree.n_layers() == 1 {
                    assert_eq!(
                        pieces,
                        tree.paths.len() - 1,
                        "one path a piece, not the root"
                    );
                }
                assert_eq!(walk.finish(&tree, &waste), whole, "budget {budget}");
            }
        }
        let tree = ImageTree::build(wasteful_layers());
        let found = Examples::of(&tree, &tree.waste());
        assert_eq!(found.modified.as_ref().map(|m| m.0.as_str()), Some("a/b"));
        assert_eq!(found.dead.as_ref().map(|d| d.0.as_str()), Some("a/c/d"));
        assert!(found.whiteout.is_some() && found.opaque.is_some());
    }
}
