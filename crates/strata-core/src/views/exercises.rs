//! Exercises a workshop's tab checks: a small JSON file names an image and asks questions whose
//! answers come from that image (its tree, history and config), never from an answer key the
//! author typed. [`parse`] reads the file, bounded like every untrusted document
//! ([`crate::model::parse_json`]) and walked by hand so each error names its field
//! (`exercises[2].question.path: …`); [`check`] derives the answer, compares the student's,
//! and explains with the image's evidence and a "show me" target (view, layer, path).
//!
//! Every string here (titles, prompts, paths) is the author's or the image's: hosts render it as
//! text, never as markup. The format is documented in README.md ("Exercises").

use crate::history::History;
use crate::image::Image;
use crate::lessons::Place;
use crate::limits::Limits;
use crate::text::{clip, format_bytes};
use crate::tree::{Change, ImageTree};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `format` an exercise file declares.
pub const FORMAT: &str = "strata-exercises/1";
/// Bounds on what a file may hold, beyond the JSON size and depth limits.
pub const MAX_EXERCISES: usize = 200;
pub const MAX_TEXT_CHARS: usize = 2000;

/// The image an exercise is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageChoice {
    /// A bundled sample, by file name (`waste-demo.docker.tar`).
    Sample(String),
    /// The student's own archive, which must hold this image ID.
    ImageId(String),
    /// A registry image pinned by digest (`registry/app@sha256:…`).
    Reference(String),
}

/// What is asked; each kind's answer is derived from the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Question {
    /// Which layer added / modified / deleted `path`? Answer: a layer number.
    LayerOfPath { path: String, change: Change },
    /// How many bytes did deleting `path` save? Answer: bytes (a deletion saves none).
    DeletionSaved { path: String },
    /// What is the image ID, and why? Answer: the ID (12 or more hex digits).
    ImageId,
    /// Which build steps made no layer? Answer: step numbers.
    EmptySteps,
    /// Which consecutive RUN steps could be one? Answer: step numbers.
    ChainableRuns,
    /// Which path wastes the most bytes? Answer: a path.
    MostWasted,
    /// Which tags of the archive name the same image (as `tag`, or the one group of tags that
    /// share an ID when `tag` is absent)? Answer: tags.
    TagsShareImageId { tag: Option<String> },
    /// Which layers of image `a` does image `b` (both of the archive, by tag) share? Answer:
    /// layer numbers of `a`.
    SharedLayers { a: String, b: String },
}

/// What a question's answer is: the host's input widget and what selecting in a view sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Layer,
    Bytes,
    Digest,
    Steps,
    Path,
    /// Image names (tags).
    Tags,
    /// Layer numbers.
    Layers,
}

impl Question {
    pub fn answer_kind(&self) -> AnswerKind {
        match self {
            Question::LayerOfPath { .. } => AnswerKind::Layer,
            Question::DeletionSaved { .. } => AnswerKind::Bytes,
            Question::ImageId => AnswerKind::Digest,
            Question::EmptySteps | Question::ChainableRuns => AnswerKind::Steps,
            Question::MostWasted => AnswerKind::Path,
            Question::TagsShareImageId { .. } => AnswerKind::Tags,
            Question::SharedLayers { .. } => AnswerKind::Layers,
        }
    }

    /// The question in words, when the author gave no prompt.
    pub fn text(&self) -> String {
        match self {
            Question::LayerOfPath { path, change } => {
                let verb = match change {
                    Change::Added => "added",
                    Change::Modified => "changed",
                    Change::Deleted => "deleted",
                    _ => "changed the type of",
                };
                format!("Which layer {verb} {path}?")
            }
            Question::DeletionSaved { path } => {
                format!("A later step deleted {path}. How many bytes smaller did that make the image?")
            }
            Question::ImageId => "What is this image's ID?".into(),
            Question::EmptySteps => "Which build steps made no layer? (step numbers, oldest first)".into(),
            Question::ChainableRuns => {
                "Which consecutive RUN steps could have been one RUN? (step numbers)".into()
            }
            Question::MostWasted => {
                "Which path wastes the most bytes (shipped, but hidden or deleted by a later layer)?".into()
            }
            Question::TagsShareImageId { tag: Some(t) } => {
                format!("Which tags of this archive name the same image as {t}? (all of them, {t} too)")
            }
            Question::TagsShareImageId { tag: None } => {
                "Which tags of this archive name one and the same image?".into()
            }
            Question::SharedLayers { a, b } => {
                format!("Which layers of {a} does {b} share? (layer numbers of {a})")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    /// Stable, `[a-z0-9-]`, unique in its file: what a link's fragment carries.
    pub id: String,
    pub title: String,
    pub image: ImageChoice,
    pub question: Question,
    /// The author's wording, shown as text; the question's own when absent.
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseFile {
    pub title: String,
    pub exercises: Vec<Exercise>,
}

/// Why an exercise file was refused: the field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatError {
    /// `exercises[2].question.path`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

fn err(field: &str, message: impl Into<String>) -> FormatError {
    FormatError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, FormatError> {
    v.as_object().ok_or_else(|| err(field, "must be an object"))
}

fn only(o: &Map<String, Value>, field: &str, known: &[&str]) -> Result<(), FormatError> {
    match o.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(err(
            &format!("{field}.{}", clip(k, 40)),
            format!("unknown field (known: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn text(o: &Map<String, Value>, field: &str, key: &str) -> Result<Option<String>, FormatError> {
    let f = format!("{field}.{key}");
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT_CHARS => {
            Err(err(&f, format!("longer than {MAX_TEXT_CHARS} characters")))
        }
        Some(Value::String(s)) if s.chars().any(|c| c.is_control() && c != '\n') => {
            Err(err(&f, "holds control characters"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(&f, "must be a string")),
    }
}

fn required(o: &Map<String, Value>, field: &str, key: &str) -> Result<String, FormatError> {
    text(o, field, key)?.ok_or_else(|| err(&format!("{field}.{key}"), "is missing"))
}

fn path_field(o: &Map<String, Value>, field: &str) -> Result<String, FormatError> {
    let p = required(o, field, "path")?;
    let norm = p.trim_matches('/');
    if norm.is_empty()
        || norm
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(err(
            &format!("{field}.path"),
            "must be an absolute path like /etc/motd (no empty, `.` or `..` parts)",
        ));
    }
    Ok(format!("/{norm}"))
}

/// An image's name as an archive lists it (`localhost/app:1.0`): a reference's characters only.
fn image_name(s: &str, field: &str) -> Result<String, FormatError> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(err(
            field,
            "must be an image's name as the archive lists it, like localhost/app:1.0",
        ))
    }
}

fn image_choice(v: &Value, field: &str) -> Result<ImageChoice, FormatError> {
    let o = object(v, field)?;
    only(o, field, &["sample", "image_id", "reference"])?;
    if o.len() != 1 {
        return Err(err(
            field,
            "must name exactly one of sample, image_id, reference",
        ));
    }
    if let Some(s) = text(o, field, "sample")? {
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && !s.starts_with('.');
        return if ok {
            Ok(ImageChoice::Sample(s))
        } else {
            Err(err(
                &format!("{field}.sample"),
                "must be a sample's file name, like waste-demo.docker.tar",
            ))
        };
    }
    if let Some(id) = text(o, field, "image_id")? {
        return crate::Digest::parse(&id)
            .map(|d| ImageChoice::ImageId(d.to_string()))
            .map_err(|_| {
                err(
                    &format!("{field}.image_id"),
                    "must be sha256:<64 hex digits>",
                )
            });
    }
    let r = required(o, field, "reference")?;
    let pinned = r
        .rsplit_once('@')
        .is_some_and(|(name, d)| !name.is_empty() && crate::Digest::parse(d).is_ok());
    if pinned {
        Ok(ImageChoice::Reference(r))
    } else {
        Err(err(
            &format!("{field}.reference"),
            "must be pinned by digest: name@sha256:<64 hex digits>",
        ))
    }
}

fn question(v: &Value, field: &str) -> Result<Question, FormatError> {
    let o = object(v, field)?;
    let kind = required(o, field, "kind")?;
    let q = match kind.as_str() {
        "layer_of_path" => {
            only(o, field, &["kind", "path", "change"])?;
            let change = match required(o, field, "change")?.as_str() {
                "added" => Change::Added,
                "modified" => Change::Modified,
                "deleted" => Change::Deleted,
                _ => {
                    return Err(err(
                        &format!("{field}.change"),
                        "must be added, modified or deleted",
                    ));
                }
            };
            Question::LayerOfPath {
                path: path_field(o, field)?,
                change,
            }
        }
        "deletion_saved" => {
            only(o, field, &["kind", "path"])?;
            Question::DeletionSaved {
                path: path_field(o, field)?,
            }
        }
        "tags_share_image_id" => {
            only(o, field, &["kind", "tag"])?;
            Question::TagsShareImageId {
                tag: text(o, field, "tag")?
                    .map(|t| image_name(&t, &format!("{field}.tag")))
                    .transpose()?,
            }
        }
        "shared_layers" => {
            only(o, field, &["kind", "a", "b"])?;
            let a = image_name(&required(o, field, "a")?, &format!("{field}.a"))?;
            let b = image_name(&required(o, field, "b")?, &format!("{field}.b"))?;
            if a == b {
                return Err(err(&format!("{field}.b"), "must name another image than a"));
            }
            Question::SharedLayers { a, b }
        }
        "image_id" | "empty_steps" | "chainable_runs" | "most_wasted" => {
            only(o, field, &["kind"])?;
            match kind.as_str() {
                "image_id" => Question::ImageId,
                "empty_steps" => Question::EmptySteps,
                "chainable_runs" => Question::ChainableRuns,
                _ => Question::MostWasted,
            }
        }
        other => {
            return Err(err(
                &format!("{field}.kind"),
                format!(
                    "unknown kind `{}` (known: layer_of_path, deletion_saved, image_id, empty_steps, chainable_runs, most_wasted, tags_share_image_id, shared_layers)",
                    clip(other, 40)
                ),
            ));
        }
    };
    Ok(q)
}

/// Reads an exercise file (untrusted: bounded, every field checked).
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<ExerciseFile, FormatError> {
    let v: Value =
        crate::model::parse_json("exercises", bytes, limits).map_err(|e| err("", e.to_string()))?;
    let o = object(&v, "")?;
    only(o, "", &["format", "title", "exercises"])
        .map_err(|e| err(e.field.trim_start_matches('.'), e.message))?;
    let root = |e: FormatError| err(e.field.trim_start_matches('.'), e.message);
    match text(o, "", "format").map_err(root)? {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(err(
                "format",
                format!("is `{}`; this Strata reads `{FORMAT}`", clip(&f, 40)),
            ));
        }
        None => return Err(err("format", format!("is missing (`{FORMAT}`)"))),
    }
    let title = required(o, "", "title").map_err(root)?;
    let list = o
        .get("exercises")
        .and_then(Value::as_array)
        .ok_or_else(|| err("exercises", "must be a list"))?;
    if list.is_empty() || list.len() > MAX_EXERCISES {
        return Err(err(
            "exercises",
            format!("must hold 1 to {MAX_EXERCISES} exercises"),
        ));
    }
    let mut exercises: Vec<Exercise> = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let field = format!("exercises[{i}]");
        let eo = object(e, &field)?;
        only(eo, &field, &["id", "title", "image", "question", "prompt"])?;
        let id = required(eo, &field, "id")?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(
                &format!("{field}.id"),
                "must be 1 to 64 of a-z, 0-9 and -",
            ));
        }
        if exercises.iter().any(|x| x.id == id) {
            return Err(err(&format!("{field}.id"), format!("`{id}` is used twice")));
        }
        let image = image_choice(
            eo.get("image").unwrap_or(&Value::Null),
            &format!("{field}.image"),
        )?;
        let question = question(
            eo.get("question").unwrap_or(&Value::Null),
            &format!("{field}.question"),
        )?;
        exercises.push(Exercise {
            title: text(eo, &field, "title")?.unwrap_or_else(|| question.text()),
            prompt: text(eo, &field, "prompt")?,
            id,
            image,
            question,
        });
    }
    Ok(ExerciseFile { title, exercises })
}

/// The built-in course, on the bundled samples (`course.json` beside this file; every one of
/// its exercises is solved on its sample by the tests below).
pub fn course() -> ExerciseFile {
    // The file is ours and tested: a parse failure is a bug caught by the tests, so the page
    // gets an empty course rather than a panic.
    parse(include_bytes!("course.json"), &Limits::default()).unwrap_or_else(|e| ExerciseFile {
        title: format!("the built-in course does not parse: {e}"),
        exercises: Vec::new(),
    })
}

/// A student's progress, kept in the tab (localStorage) and exported as a small file for the
/// teacher: per exercise, how many answers were checked and whether one was right. Never an
/// answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub format: String,
    pub exercises: std::collections::BTreeMap<String, Attempts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    pub tries: u32,
    pub right: bool,
}

impl Progress {
    /// What storage held; anything unreadable or oversized (storage is the user's to edit)
    /// starts afresh.
    pub fn parse(stored: &str) -> Progress {
        let limits = Limits {
            max_json_bytes: 64 * 1024,
            ..Limits::default()
        };
        crate::model::parse_json::<Progress>("progress", stored.as_bytes(), &limits)
            .ok()
            .filter(|p| p.format == "strata-progress/1" && p.exercises.len() <= MAX_EXERCISES * 4)
            .unwrap_or_default()
    }

    /// Counts one checked answer to exercise `id`.
    pub fn record(&mut self, id: &str, correct: bool) {
        self.format = "strata-progress/1".into();
        let a = self.exercises.entry(id.to_owned()).or_default();
        a.tries = a.tries.saturating_add(1);
        a.right |= correct;
    }

    pub fn is_done(&self, id: &str) -> bool {
        self.exercises.get(id).is_some_and(|a| a.right)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Where "Show me" goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowMe {
    pub place: Place,
    /// 1-based layer.
    pub layer: Option<usize>,
    pub path: Option<String>,
}

/// The answer derived from the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    /// The answer as the student would type it.
    pub answer: String,
    /// Why, with the image's evidence.
    pub explanation: String,
    pub show_me: ShowMe,
}

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub correct: bool,
    /// What was wrong with the answer (empty when right), then the explanation.
    pub message: String,
    pub explanation: String,
    pub show_me: ShowMe,
}

/// What the checks read from an image.
pub struct Subject<'a> {
    pub image: &'a Image,
    pub history: &'a History,
    /// `None` until the layers are read: questions about files need it.
    pub tree: Option<&'a ImageTree>,
    /// Every image of the archive the image came from, as the archive lists them: tag and
    /// shared-layer questions read these.
    pub archive: &'a [Listed],
}

/// One image of an archive, as the archive lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub names: Vec<String>,
    /// What the image starts from: for a `docker save` entry the config digest (the image ID),
    /// otherwise its manifest or index digest.
    pub digest: Option<String>,
    /// Its layers as stored, bottom first ([`crate::archive::ArchiveImage::stored_layers`]);
    /// empty when the archive reaches it through a manifest.
    pub layers: Vec<String>,
}

/// The archive's images, for [`Subject::archive`].
pub fn listed(archive: &crate::archive::Archive) -> Vec<Listed> {
    archive
        .images
        .iter()
        .map(|i| Listed {
            names: i.names.clone(),
            digest: i.target_digest().map(|d| d.to_string()),
            layers: i.stored_layers(),
        })
        .collect()
}

/// `localhost/strata/app:1.0` answers to itself and to `app:1.0` (its last path part).
fn names_match(name: &str, given: &str) -> bool {
    name == given || name.rsplit('/').next() == Some(given)
}

fn find_listed<'a>(archive: &'a [Listed], name: &str) -> Result<&'a Listed, String> {
    archive
        .iter()
        .find(|l| l.names.iter().any(|n| names_match(n, name)))
        .ok_or_else(|| {
            format!(
                "this archive has no image named {name} (it has {})",
                clip(&all_names(archive).join(", "), 200)
            )
        })
}

fn all_names(archive: &[Listed]) -> Vec<String> {
    archive.iter().flat_map(|l| l.names.clone()).collect()
}

/// Tags of every image with `digest`, in the archive's order.
fn names_of(archive: &[Listed], digest: &str) -> Vec<String> {
    archive
        .iter()
        .filter(|l| l.digest.as_deref() == Some(digest))
        .flat_map(|l| l.names.clone())
        .collect()
}

fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    &hex[..hex.len().min(12)]
}

fn show(place: Place, layer: Option<usize>, path: Option<&str>) -> ShowMe {
    ShowMe {
        place,
        layer,
        path: path.map(|p| p.trim_start_matches('/').to_owned()),
    }
}

/// Whether the image in hand is the one the exercise names (a sample by its file name; an
/// image ID or pinned reference by the image's own digests).
pub fn matches(
    choice: &ImageChoice,
    image: &Image,
    sample: Option<&str>,
    manifest_digest: Option<&str>,
) -> bool {
    match choice {
        ImageChoice::Sample(s) => sample == Some(s.as_str()),
        ImageChoice::ImageId(id) => image.id().to_string() == *id,
        ImageChoice::Reference(r) => r
            .rsplit_once('@')
            .is_some_and(|(_, d)| manifest_digest == Some(d) || image.id().to_string() == d),
    }
}

/// Steps oldest first: (1-based step, row).
fn steps(history: &History) -> Vec<(usize, &crate::history::HistoryRow)> {
    history
        .rows
        .iter()
        .rev()
        .enumerate()
        .map(|(i, r)| (i + 1, r))
        .collect()
}

fn is_run(created_by: &str) -> bool {
    let s = created_by.trim();
    (s.starts_with("/bin/sh -c ") && !s.contains("#(nop)")) || s.starts_with("RUN ")
}

/// Derives the answer to `q` from the image. `Err`: the exercise does not fit this image (a
/// path it does not hold), said in words.
pub fn solve(q: &Question, s: &Subject<'_>) -> Result<Solution, String> {
    let need_tree = || {
        s.tree
            .ok_or_else(|| "the layers are still being read".to_owned())
    };
    match q {
        Question::LayerOfPath { path, change } => {
            let tree = need_tree()?;
            let id = tree
                .paths
                .lookup(path)
                .ok_or_else(|| format!("this image has no {path} in any layer"))?;
            let events = tree.timeline(id);
            let e = events
                .iter()
                .find(|e| e.change == *change)
                .ok_or_else(|| format!("no layer of this image {} {path}", change.name()))?;
            let layer = usize::from(e.layer) + 1;
            let story: Vec<String> = events
                .iter()
                .map(|e| format!("layer {} {}", usize::from(e.layer) + 1, e.change.name()))
                .collect();
            let step = s
                .history
                .rows
                .iter()
                .find(|r| r.layer == Some(layer - 1))
                .map(|r| {
                    format!(
                        " Its step: `{}`.",
                        clip(
                            &r.created_by
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" "),
                            120
                        )
                    )
                })
                .unwrap_or_default();
            Ok(Solution {
                answer: layer.to_string(),
                explanation: format!(
                    "{path}'s timeline in this image: {}. Layer {layer} {} it.{step}",
                    story.join(", "),
                    change.name()
                ),
                show_me: ShowMe {
                    place: Place::Layers,
                    layer: Some(layer),
                    path: Some(path.trim_start_matches('/').to_owned()),
                },
            })
        }
        Question::DeletionSaved { path } => {
            let tree = need_tree()?;
            let id = tree
                .paths
                .lookup(path)
                .ok_or_else(|| format!("this image has no {path} in any layer"))?;
            let events = tree.timeline(id);
            let del = events
                .iter()
                .find(|e| e.change == Change::Deleted)
                .ok_or_else(|| format!("no layer of this image deletes {path}"))?;
            let before = events
                .iter()
                .filter(|e| e.layer < del.layer && e.change != Change::Deleted)
                .filter_map(|e| tree.entry(e).map(|en| (usize::from(e.layer) + 1, en.size)))
                .collect::<Vec<_>>();
            let shipped: u64 = before.iter().map(|(_, b)| b).sum();
            let held = before
                .iter()
                .map(|(l, b)| format!("layer {l} holds {} ({b} bytes)", format_bytes(*b)))
                .collect::<Vec<_>>()
                .join(", ");
            let first = before.first().map(|(l, _)| *l);
            Ok(Solution {
                answer: "0".into(),
                explanation: format!(
                    "0 bytes: layer {} deletes {path} with a whiteout (an empty marker file), which hides the file from the merged filesystem but cannot change the layers below it, which are content-addressed and read-only. {}: {} still shipped with every pull.",
                    usize::from(del.layer) + 1,
                    sentence_case(&held),
                    format_bytes(shipped)
                ),
                show_me: show(Place::Layers, first, Some(path)),
            })
        }
        Question::ImageId => {
            let id = s.image.id().to_string();
            Ok(Solution {
                answer: id.clone(),
                explanation: format!(
                    "The image ID is {id}: the sha256 of the image's config JSON (its descriptor in the manifest names that digest). The config lists every layer's diff_id, so the ID changes whenever any layer or setting does; a tag only points at it."
                ),
                show_me: show(Place::Raw, None, None),
            })
        }
        Question::EmptySteps => {
            let empty: Vec<usize> = steps(s.history)
                .into_iter()
                .filter(|(_, r)| r.empty_layer)
                .map(|(i, _)| i)
                .collect();
            let list = empty
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let shown = steps(s.history)
                .into_iter()
                .filter(|(_, r)| r.empty_layer)
                .map(|(i, r)| {
                    format!(
                        "{i} `{}`",
                        clip(
                            r.created_by
                                .trim()
                                .trim_start_matches("/bin/sh -c #(nop)")
                                .trim(),
                            60
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok(Solution {
                answer: list,
                explanation: format!(
                    "The history marks {} as empty_layer: they only change the config (environment, command, user, labels), so they add no layer and 0 B: {shown}.",
                    crate::text::count(empty.len(), "step")
                ),
                show_me: show(Place::History, None, None),
            })
        }
        Question::ChainableRuns => {
            let mut best: Vec<usize> = Vec::new();
            let mut current: Vec<usize> = Vec::new();
            for (i, r) in steps(s.history) {
                if !r.empty_layer && is_run(&r.created_by) {
                    current.push(i);
                } else {
                    current.clear();
                }
                if current.len() >= 2 && current.len() > best.len() {
                    best = current.clone();
                }
            }
            if best.is_empty() {
                return Err("this image has no two consecutive RUN steps".into());
            }
            Ok(Solution {
                answer: best
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                explanation: format!(
                    "Steps {} are RUNs one after another, each making its own layer. Chained with && in one RUN they make one layer, and a file one command deletes is then never stored by an earlier one.",
                    best.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                show_me: show(Place::History, None, None),
            })
        }
        Question::MostWasted => {
            let tree = need_tree()?;
            let waste = tree.waste();
            let top = waste
                .wasted_paths
                .iter()
                .max_by_key(|w| w.wasted_bytes)
                .ok_or_else(|| "this image wastes no bytes".to_owned())?;
            let path = format!("/{}", top.path.trim_start_matches('/'));
            Ok(Solution {
                answer: path.clone(),
                explanation: format!(
                    "{path} wastes {} ({} bytes): copies in layer(s) {} that a later layer {}. The image wastes {} in all.",
                    format_bytes(top.wasted_bytes),
                    top.wasted_bytes,
                    top.layers
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    if top.deleted { "deletes" } else { "overwrites" },
                    format_bytes(waste.wasted_bytes)
                ),
                show_me: show(Place::Waste, top.layers.first().copied(), Some(&path)),
            })
        }
        Question::TagsShareImageId { tag } => {
            let digest = match tag {
                Some(t) => find_listed(s.archive, t)?
                    .digest
                    .clone()
                    .ok_or_else(|| format!("the archive names no digest for {t}"))?,
                None => {
                    let mut shared: Vec<&str> = Vec::new();
                    for l in s.archive {
                        if let Some(d) = l.digest.as_deref()
                            && !shared.contains(&d)
                            && names_of(s.archive, d).len() >= 2
                        {
                            shared.push(d);
                        }
                    }
                    match shared.as_slice() {
                        [d] => (*d).to_owned(),
                        [] => return Err("no two tags of this archive name one image".into()),
                        _ => {
                            return Err(
                                "several images of this archive have more than one tag: the exercise must name one (tag)".into(),
                            );
                        }
                    }
                }
            };
            let names = names_of(s.archive, &digest);
            let others: Vec<String> = s
                .archive
                .iter()
                .filter(|l| l.digest.as_deref() != Some(digest.as_str()))
                .flat_map(|l| {
                    l.names.iter().map(|n| {
                        format!(
                            "{n} names {}",
                            short_digest(l.digest.as_deref().unwrap_or("?"))
                        )
                    })
                })
                .collect();
            let rest = if others.is_empty() {
                String::new()
            } else {
                format!(" Other tags: {}.", others.join(", "))
            };
            Ok(Solution {
                answer: names.join(", "),
                explanation: format!(
                    "{} all name the image {}: the archive lists them for one config, so they are one image with one ID, stored once. A tag is only a pointer: pushing a new build under one of them moves that tag alone, which is why a moving tag like latest tells a production server nothing about what it runs (pin a version or a digest).{rest}",
                    and_names(&names),
                    short_digest(&digest)
                ),
                show_me: show(Place::Overview, None, None),
            })
        }
        Question::SharedLayers { a, b } => {
            let (la, lb) = (find_listed(s.archive, a)?, find_listed(s.archive, b)?);
            if la.layers.is_empty() || lb.layers.is_empty() {
                return Err(
                    "this archive does not list its images' layers (only a docker save archive does)".into(),
                );
            }
            let shared: Vec<usize> = la
                .layers
                .iter()
                .enumerate()
                .filter(|(_, l)| lb.layers.contains(l))
                .map(|(i, _)| i + 1)
                .collect();
            let list = shared
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let evidence = shared
                .iter()
                .map(|&n| format!("layer {n} {}", short_digest(&la.layers[n - 1])))
                .collect::<Vec<_>>()
                .join(", ");
            let prefix = shared.iter().enumerate().all(|(i, &n)| n == i + 1);
            let after = if prefix && !shared.is_empty() && shared.len() < la.layers.len() {
                format!(
                    " From layer {} on, each image has its own: a layer is reused only while every layer below it is, which is also how a builder's cache works: the first step whose input changed ends the sharing, so put what changes most (the app's source) last.",
                    shared.len() + 1
                )
            } else {
                String::new()
            };
            let answer = if shared.is_empty() {
                "none".to_owned()
            } else {
                list.clone()
            };
            Ok(Solution {
                explanation: if shared.is_empty() {
                    format!("{a} and {b} share no layer: the archive lists no layer file for both.")
                } else {
                    format!(
                        "{a} and {b} share {}: {evidence}. The archive lists the same layer file, named by its content's digest, for both, so it is stored once and pulled once.{after}",
                        crate::text::count(shared.len(), "layer")
                    )
                },
                answer,
                show_me: show(Place::Layers, shared.last().copied(), None),
            })
        }
    }
}

/// `a, b and c`.
fn and_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `layer 4 holds …` as the start of a sentence.
fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn numbers(s: &str) -> Option<Vec<u64>> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_start_matches(['#', 'B', 'b'])
                .replace('_', "")
                .parse()
                .ok()
        })
        .collect()
}

/// Checks a student's answer (typed, or sent by selecting a layer or file in a view).
pub fn check(q: &Question, s: &Subject<'_>, answer: &str) -> Result<Verdict, String> {
    let sol = solve(q, s)?;
    let a = answer.trim();
    let (correct, why) = match q.answer_kind() {
        AnswerKind::Layer | AnswerKind::Bytes => {
            let given = a
                .trim_start_matches("layer ")
                .trim_end_matches(" bytes")
                .trim_end_matches('B')
                .trim();
            match given.replace([',', '_'], "").parse::<u64>() {
                Ok(n) => (n.to_string() == sol.answer, format!("not {n}")),
                Err(_) => (false, "answer with a number".to_owned()),
            }
        }
        AnswerKind::Digest => {
            let hex = a.trim_start_matches("sha256:").to_ascii_lowercase();
            let want = sol.answer.trim_start_matches("sha256:");
            if hex.len() < 12 {
                (false, "give at least 12 hex digits of the ID".to_owned())
            } else {
                (
                    want.starts_with(&hex),
                    "that is not this image's ID".to_owned(),
                )
            }
        }
        AnswerKind::Steps => {
            let want = numbers(&sol.answer).unwrap_or_default();
            match numbers(a) {
                Some(mut n) => {
                    n.sort_unstable();
                    n.dedup();
                    (n == want, "not those steps".to_owned())
                }
                None => (false, "answer with step numbers, like 2, 3".to_owned()),
            }
        }
        AnswerKind::Path => {
            let norm = |p: &str| p.trim().trim_matches('/').to_owned();
            (norm(a) == norm(&sol.answer), "not that path".to_owned())
        }
        AnswerKind::Tags => {
            let want: Vec<&str> = sol.answer.split(", ").collect();
            let given: Vec<&str> = a
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .collect();
            // Each tag given is one of the archive's (full, or its last path part).
            let names = all_names(s.archive);
            let resolved: Option<Vec<&str>> = given
                .iter()
                .map(|g| names.iter().find(|n| names_match(n, g)).map(String::as_str))
                .collect();
            match resolved {
                None | Some(_) if given.is_empty() => (
                    false,
                    "answer with tags, like app:1.0, app:latest".to_owned(),
                ),
                None => (false, "that is not a tag of this archive".to_owned()),
                Some(mut r) => {
                    r.sort_unstable();
                    r.dedup();
                    let mut w = want.clone();
                    w.sort_unstable();
                    (r == w, "not those tags".to_owned())
                }
            }
        }
        AnswerKind::Layers => {
            if sol.answer == "none" {
                (a.eq_ignore_ascii_case("none"), "they share none".to_owned())
            } else {
                let want = numbers(&sol.answer).unwrap_or_default();
                match numbers(a.trim_start_matches("layers").trim_start_matches("layer")) {
                    Some(mut n) if !n.is_empty() => {
                        n.sort_unstable();
                        n.dedup();
                        (n == want, "not those layers".to_owned())
                    }
                    _ => (false, "answer with layer numbers, like 1, 2".to_owned()),
                }
            }
        }
    };
    Ok(Verdict {
        correct,
        message: if correct {
            "Right.".into()
        } else {
            format!("Not quite: {}.", clip(&why, 80))
        },
        explanation: sol.explanation,
        show_me: sol.show_me,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManifestPick, MemorySource, load_image, open_archive, scan_image};

    const WASTE: &[u8] = include_bytes!("../../../../www/samples/waste-demo.docker.tar");
    const CLEAN: &[u8] = include_bytes!("../../../../www/samples/clean.docker.tar");
    const LAYERS: &[u8] = include_bytes!("../../../../www/samples/layers.docker.tar");
    const TAGS: &[u8] = include_bytes!("../../../../www/samples/tags.docker.tar");
    const SHARED: &[u8] = include_bytes!("../../../../www/samples/shared-base.docker.tar");
    const BUILDS: &[u8] = include_bytes!("../../../../www/samples/cache-builds.docker.tar");

    #[test]
    fn the_course_solves_on_its_samples_and_refuses_wrong_answers() {
        let course = parse(include_bytes!("course.json"), &Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(course, super::course());
        for e in &course.exercises {
            let ImageChoice::Sample(sample) = &e.image else {
                panic!("{}: not a sample", e.id)
            };
            let bytes = match sample.as_str() {
                "waste-demo.docker.tar" => WASTE,
                "clean.docker.tar" => CLEAN,
                "layers.docker.tar" => LAYERS,
                "tags.docker.tar" => TAGS,
                "shared-base.docker.tar" => SHARED,
                "cache-builds.docker.tar" => BUILDS,
                other => panic!("{}: unknown sample {other}", e.id),
            };
            with_image(bytes, |s| {
                assert!(matches(&e.image, s.image, Some(sample), None));
                let sol = solve(&e.question, s).unwrap_or_else(|m| panic!("{}: {m}", e.id));
                let right = check(&e.question, s, &sol.answer).unwrap_or_else(|m| panic!("{m}"));
                assert!(right.correct, "{}: {right:?}", e.id);
                assert!(!right.explanation.is_empty());
                let wrong = match e.question.answer_kind() {
                    AnswerKind::Layer | AnswerKind::Bytes => "999",
                    AnswerKind::Digest => "sha256:0123456789ab",
                    AnswerKind::Steps => "1",
                    AnswerKind::Path => "/etc/passwd",
                    AnswerKind::Tags => "localhost/strata/nope:1",
                    AnswerKind::Layers => "999",
                };
                let v = check(&e.question, s, wrong).unwrap_or_else(|m| panic!("{m}"));
                assert!(!v.correct, "{}: {wrong} accepted", e.id);
            });
        }
    }

    fn with_image<T>(bytes: &[u8], f: impl FnOnce(&Subject<'_>) -> T) -> T {
        let limits = Limits::default();
        let source = MemorySource::new(bytes.to_vec());
        let archive = open_archive(&source, &limits, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
        let mut image = load_image(&archive, &source, 0, &ManifestPick::Default, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        let analysis = scan_image(&mut image, &source, &limits, &mut |_, _, _| true)
            .unwrap_or_else(|e| panic!("{e}"));
        let sizes: Vec<Option<u64>> = (0..image.layers.len())
            .map(|i| Some(analysis.tree.docker_size(i)))
            .collect();
        let history = crate::history::history(&image, &sizes);
        let archive = listed(&archive);
        f(&Subject {
            image: &image,
            history: &history,
            tree: Some(&analysis.tree),
            archive: &archive,
        })
    }

    #[track_caller]
    fn refused(json: &str, field: &str) {
        match parse(json.as_bytes(), &Limits::default()) {
            Err(e) => assert_eq!(e.field, field, "{e}"),
            Ok(f) => panic!("accepted: {f:?}"),
        }
    }

    fn file(exercise: &str) -> String {
        format!(r#"{{"format":"strata-exercises/1","title":"t","exercises":[{exercise}]}}"#)
    }

    #[test]
    fn progress_counts_tries_and_survives_storage() {
        let mut p = Progress::parse("garbage");
        p.record("whiteout", false);
        p.record("whiteout", true);
        p.record("whiteout", false);
        assert!(p.is_done("whiteout") && !p.is_done("image-id"));
        let again = Progress::parse(&p.to_json());
        assert_eq!(again, p);
        assert_eq!(again.exercises["whiteout"].tries, 3);
        assert_eq!(Progress::parse(&"[".repeat(100_000)), Progress::default());
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_field() {
        refused("[]", "");
        refused(
            r#"{"format":"strata-exercises/9","title":"t","exercises":[]}"#,
            "format",
        );
        refused(
            &file(r#"{"id":"A B","image":{"sample":"x.tar"},"question":{"kind":"image_id"}}"#),
            "exercises[0].id",
        );
        refused(
            &file(r#"{"id":"a","image":{"sample":"../x.tar"},"question":{"kind":"image_id"}}"#),
            "exercises[0].image.sample",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"reference":"alpine:3.20"},"question":{"kind":"image_id"}}"#,
            ),
            "exercises[0].image.reference",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"layer_of_path","path":"/a/../b","change":"added"}}"#,
            ),
            "exercises[0].question.path",
        );
        refused(
            &file(r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"nope"}}"#),
            "exercises[0].question.kind",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"image_id"},"answer":"1"}"#,
            ),
            "exercises[0].answer",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"image_id"},"prompt":"\u0007"}"#,
            ),
            "exercises[0].prompt",
        );
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        refused(&deep, "");
        // Markup is kept as the text it is: hosts render it as text.
        let ok = parse(
            file(r#"{"id":"a","title":"<script>x()</script>","image":{"sample":"x.tar"},"question":{"kind":"image_id"}}"#).as_bytes(),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.exercises[0].title, "<script>x()</script>");
    }

    #[test]
    fn answers_come_from_the_image() {
        with_image(WASTE, |s| {
            let tree = s.tree.unwrap_or_else(|| panic!("tree"));
            // The file the image's own timeline says layer N added.
            let id = tree
                .paths
                .lookup("srv/data.bin")
                .unwrap_or_else(|| panic!("no data.bin"));
            let first = usize::from(tree.timeline(id)[0].layer) + 1;
            let q = Question::LayerOfPath {
                path: "/srv/data.bin".into(),
                change: Change::Added,
            };
            assert!(
                check(&q, s, &first.to_string())
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            assert!(
                !check(&q, s, &(first + 1).to_string())
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            let q = Question::LayerOfPath {
                path: "/srv/data.bin".into(),
                change: Change::Modified,
            };
            let v = check(&q, s, "3").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v.correct, usize::from(tree.timeline(id)[1].layer) + 1 == 3);
            // A deletion saves nothing; the explanation names the bytes still shipped.
            let q = Question::DeletionSaved {
                path: "/tmp/download.tar.gz".into(),
            };
            let v = check(&q, s, "0").unwrap_or_else(|e| panic!("{e}"));
            assert!(v.correct && v.explanation.contains("whiteout"), "{v:?}");
            assert!(
                v.explanation
                    .contains(". Layer 4 holds 977 KiB (1000000 bytes)"),
                "{v:?}"
            );
            assert!(
                !check(&q, s, "1000000")
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            // The ID is the config's digest.
            let id = s.image.config.digest.to_string();
            assert!(
                check(&Question::ImageId, s, &id[7..19])
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            assert!(
                !check(&Question::ImageId, s, "sha256:000000000000")
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            // Empty steps, from the history's own marks.
            let empty: Vec<String> = steps(s.history)
                .into_iter()
                .filter(|(_, r)| r.empty_layer)
                .map(|(i, _)| i.to_string())
                .collect();
            assert!(!empty.is_empty());
            assert!(
                check(&Question::EmptySteps, s, &empty.join(" "))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            assert!(
                !check(&Question::EmptySteps, s, "1")
                    .unwrap_or_else(|e| panic!("{e}"))
                    .correct
            );
            // The chainable RUNs are the hints' own group.
            let hint = crate::hints::config_hints(s.image, s.history, None);
            let group = hint
                .iter()
                .find(|h| h.code == "chainable-runs")
                .unwrap_or_else(|| panic!("no chainable-runs hint"));
            let sol = solve(&Question::ChainableRuns, s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                numbers(&sol.answer).map(|n| n.len()),
                Some(group.evidence.len())
            );
            // The most wasted path is the waste report's.
            let w = tree.waste();
            let top = w
                .wasted_paths
                .iter()
                .max_by_key(|p| p.wasted_bytes)
                .unwrap_or_else(|| panic!("no waste"));
            let v = check(&Question::MostWasted, s, &format!("/{}", top.path))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(v.correct && v.show_me.place == Place::Waste);
            // A path the image does not hold is the exercise's fault, said so.
            let q = Question::DeletionSaved {
                path: "/nope".into(),
            };
            assert!(check(&q, s, "0").is_err());
        });
    }

    /// The entries a `podman save -m` archive's manifest.json lists (config, tags, layer
    /// files), read with the `tar` crate and serde as the documented format, not through the
    /// engine.
    fn repo_tags(bytes: &[u8]) -> Vec<(String, Vec<String>, Vec<String>)> {
        let mut t = tar::Archive::new(bytes);
        let mut text = Vec::new();
        for e in t.entries().unwrap_or_else(|e| panic!("{e}")) {
            let mut e = e.unwrap_or_else(|e| panic!("{e}"));
            if e.path()
                .is_ok_and(|p| p.to_string_lossy() == "manifest.json")
            {
                std::io::Read::read_to_end(&mut e, &mut text).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let m: Vec<Value> = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{e}"));
        m.iter()
            .map(|e| {
                let strs = |k: &str| -> Vec<String> {
                    e[k].as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                (
                    e["Config"].as_str().unwrap_or_default().to_owned(),
                    strs("RepoTags"),
                    strs("Layers"),
                )
            })
            .collect()
    }

    #[test]
    fn tags_that_share_an_image_id_are_the_archives_own() {
        let entries = repo_tags(TAGS);
        assert_eq!(entries.len(), 1, "podman wrote one entry for one image");
        let tags = &entries[0].1;
        assert_eq!(tags.len(), 2);
        with_image(TAGS, |s| {
            for q in [
                Question::TagsShareImageId { tag: None },
                Question::TagsShareImageId {
                    tag: Some(tags[1].clone()),
                },
            ] {
                let v = check(&q, s, &tags.join(", ")).unwrap_or_else(|e| panic!("{e}"));
                assert!(v.correct, "{v:?}");
                // The ID named is the config's digest (the file podman named by it).
                let hex = entries[0].0.trim_end_matches(".json");
                assert!(v.explanation.contains(&hex[..12]), "{v:?}");
                assert!(v.explanation.contains("latest"), "{v:?}");
                // Short names answer too; one tag alone is not the answer.
                let short: Vec<&str> = tags.iter().filter_map(|t| t.rsplit('/').next()).collect();
                assert!(
                    check(&q, s, &short.join(" "))
                        .unwrap_or_else(|e| panic!("{e}"))
                        .correct
                );
                assert!(
                    !check(&q, s, &tags[0])
                        .unwrap_or_else(|e| panic!("{e}"))
                        .correct
                );
                let v = check(&q, s, "alpine:3.20").unwrap_or_else(|e| panic!("{e}"));
                assert!(!v.correct && v.message.contains("not a tag"), "{v:?}");
            }
            let q = Question::TagsShareImageId {
                tag: Some("nope:1".into()),
            };
            assert!(check(&q, s, "x").is_err_and(|e| e.contains("no image named nope:1")));
        });
        // Where every image has one tag, there is no group to find.
        with_image(SHARED, |s| {
            assert!(solve(&Question::TagsShareImageId { tag: None }, s).is_err());
        });
    }

    #[test]
    fn shared_layers_are_the_layer_files_both_entries_list() {
        for bytes in [SHARED, BUILDS] {
            let entries = repo_tags(bytes);
            assert_eq!(entries.len(), 2);
            let (a, b) = (&entries[0], &entries[1]);
            // What podman stored once: the layer files both entries list, as layer numbers of a.
            let want: Vec<String> =
                a.2.iter()
                    .enumerate()
                    .filter(|(_, l)| b.2.contains(l))
                    .map(|(i, _)| (i + 1).to_string())
                    .collect();
            assert!(!want.is_empty() && want.len() < a.2.len());
            with_image(bytes, |s| {
                let q = Question::SharedLayers {
                    a: a.1[0].clone(),
                    b: b.1[0].clone(),
                };
                let v = check(&q, s, &want.join(", ")).unwrap_or_else(|e| panic!("{e}"));
                assert!(v.correct, "{v:?}");
                assert!(v.explanation.contains(&a.2[0][..12]), "{v:?}");
                assert!(v.explanation.contains("put what changes most"), "{v:?}");
                assert_eq!(v.show_me.layer, want.last().and_then(|l| l.parse().ok()));
                assert!(
                    !check(&q, s, "1").unwrap_or_else(|e| panic!("{e}")).correct || want == ["1"]
                );
                assert!(
                    !check(&q, s, "none")
                        .unwrap_or_else(|e| panic!("{e}"))
                        .correct
                );
                let nope = Question::SharedLayers {
                    a: a.1[0].clone(),
                    b: "nope:1".into(),
                };
                assert!(check(&nope, s, "1").is_err());
            });
        }
    }

    /// README's complete example parses, and every exercise in it solves on its sample.
    #[test]
    fn the_readme_example_is_a_working_exercise_file() {
        let readme = include_str!("../../../../README.md");
        let start = readme
            .find("An exercise file:\n\n```json\n")
            .unwrap_or_else(|| panic!("README has no example"));
        let body = &readme[start..];
        let body = &body[body.find('{').unwrap_or(0)..];
        let example = &body[..body.find("```").unwrap_or(body.len())];
        let f = parse(example.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let kinds: Vec<AnswerKind> = f
            .exercises
            .iter()
            .map(|e| e.question.answer_kind())
            .collect();
        assert!(kinds.contains(&AnswerKind::Tags) && kinds.contains(&AnswerKind::Layers));
        for e in &f.exercises {
            let bytes = match &e.image {
                ImageChoice::Sample(s) if s == "waste-demo.docker.tar" => WASTE,
                ImageChoice::Sample(s) if s == "tags.docker.tar" => TAGS,
                ImageChoice::Sample(s) if s == "shared-base.docker.tar" => SHARED,
                other => panic!("{}: {other:?}", e.id),
            };
            with_image(bytes, |s| {
                solve(&e.question, s).unwrap_or_else(|m| panic!("{}: {m}", e.id));
            });
        }
    }

    #[test]
    fn the_new_kinds_are_refused_naming_the_field() {
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"shared_layers","a":"x:1"}}"#,
            ),
            "exercises[0].question.b",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"shared_layers","a":"x:1","b":"x:1"}}"#,
            ),
            "exercises[0].question.b",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"shared_layers","a":"<b>x</b>","b":"y"}}"#,
            ),
            "exercises[0].question.a",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"tags_share_image_id","tag":"a b"}}"#,
            ),
            "exercises[0].question.tag",
        );
        refused(
            &file(
                r#"{"id":"a","image":{"sample":"x.tar"},"question":{"kind":"tags_share_image_id","answer":"x"}}"#,
            ),
            "exercises[0].question.answer",
        );
    }
}
