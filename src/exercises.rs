//! The Exercises panel's view model, kept out of the component so it is tested natively: which
//! exercises the page offers (the built-in course, then a teacher's pack's own files, listed in
//! `exercises/index.json` beside the app), which of them are about the open image, the subject
//! the engine checks an answer against, and what selecting in a view answers with (the layer
//! picked in the Layers view's list, the file picked in the explorer: both are in the route).

use crate::protocol::ArchiveListing;
use crate::route::Route;
use crate::state::{Explorer, Session};
use strata_core::Limits;
use strata_core::exercises::{self, AnswerKind, Exercise, ExerciseFile, Listed, Subject, Verdict};

/// What a pack lists its exercise files in (the app's own build ships it empty).
pub const PACK_INDEX: &str = "exercises/index.json";
/// The most a pack's index and each of its files may be: exercise files are a few KiB.
pub const MAX_PACK_BYTES: u64 = 1024 * 1024;
/// How many files a pack's index may list.
pub const MAX_PACK_FILES: usize = 50;

/// The file names a pack's index lists: bare names of `.json` files in `exercises/` (never a
/// path elsewhere, never a URL).
pub fn pack_index(bytes: &[u8]) -> Result<Vec<String>, String> {
    let limits = Limits {
        max_json_bytes: MAX_PACK_BYTES,
        ..Limits::default()
    };
    let names: Vec<String> = strata_core::model::parse_json(PACK_INDEX, bytes, &limits)
        .map_err(|e| format!("{PACK_INDEX}: {e}"))?;
    if names.len() > MAX_PACK_FILES {
        return Err(format!(
            "{PACK_INDEX}: lists {} files; at most {MAX_PACK_FILES}",
            names.len()
        ));
    }
    for (i, n) in names.iter().enumerate() {
        let ok = n.len() <= 100
            && n.ends_with(".json")
            && !n.starts_with('.')
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(format!(
                "{PACK_INDEX}[{i}]: must be a file name like exercises-1.json"
            ));
        }
    }
    Ok(names)
}

/// Every exercise the page offers, in order: the built-in course's, then each packed file's.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub files: Vec<ExerciseFile>,
    /// What could not be loaded (a packed file that does not parse, an id already taken),
    /// said with the file and field.
    pub problems: Vec<String>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue {
            files: vec![exercises::course()],
            problems: Vec::new(),
        }
    }
}

impl Catalogue {
    /// Adds a packed file, read as the engine reads any exercise file. An exercise whose id
    /// an earlier file has is left out (a link names an exercise by id alone) and said so.
    pub fn add_packed(&mut self, name: &str, bytes: &[u8]) {
        let mut file = match exercises::parse(bytes, &Limits::default()) {
            Ok(f) => f,
            Err(e) => {
                self.problems.push(format!("exercises/{name}: {e}"));
                return;
            }
        };
        let mut kept = Vec::new();
        for e in std::mem::take(&mut file.exercises) {
            if self.find(&e.id).is_some() {
                self.problems.push(format!(
                    "exercises/{name}: exercise `{}` has the id of an earlier one and is left out",
                    e.id
                ));
            } else {
                kept.push(e);
            }
        }
        file.exercises = kept;
        self.files.push(file);
    }

    pub fn all(&self) -> impl Iterator<Item = &Exercise> {
        self.files.iter().flat_map(|f| f.exercises.iter())
    }

    pub fn find(&self, id: &str) -> Option<&Exercise> {
        self.all().find(|e| e.id == id)
    }

    /// The exercises about the open image (any image of a sample archive, by its file name).
    pub fn about<'a>(&'a self, session: &'a Session) -> Vec<&'a Exercise> {
        self.all().filter(|e| is_about(e, session)).collect()
    }

    /// The title the panel shows: the course's, or the pack's beside it.
    pub fn title(&self) -> String {
        self.files
            .iter()
            .map(|f| f.title.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

pub fn is_about(e: &Exercise, session: &Session) -> bool {
    exercises::matches(
        &e.image,
        &session.image,
        Some(&session.listing.file_name),
        None,
    )
}

/// The archive's images as the exercises read them.
pub fn listed(listing: &ArchiveListing) -> Vec<Listed> {
    listing
        .images
        .iter()
        .map(|i| Listed {
            names: i.names.clone(),
            digest: i.digest.clone(),
            layers: i.layers.clone(),
        })
        .collect()
}

/// Checks `answer` to `e` against the open image (its layers, once read).
pub fn check(
    e: &Exercise,
    session: &Session,
    explorer: Option<&Explorer>,
    answer: &str,
) -> Result<Verdict, String> {
    let archive = listed(&session.listing);
    let subject = Subject {
        image: &session.image,
        history: explorer.map_or(&session.history, |x| &x.history),
        tree: explorer.map(|x| x.analysis.tree.as_ref()),
        archive: &archive,
    };
    exercises::check(&e.question, &subject, answer)
}

/// An answer taken from what is selected in a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The button's words: `Answer with the selected layer (3)`.
    pub label: String,
    pub answer: String,
}

/// What selecting answers with, for a question of `kind`: the layer selected in the Layers
/// view (or its layer list), or the file selected in the explorer. `None` when nothing of that
/// kind is selected, or when the answer is not one layer or one path.
pub fn selection(kind: AnswerKind, route: &Route) -> Option<Selection> {
    match kind {
        AnswerKind::Layer => route.layer.map(|l| Selection {
            label: format!("Answer with the selected layer ({})", l.number()),
            answer: l.number().to_string(),
        }),
        AnswerKind::Path => route.path.as_ref().map(|p| Selection {
            label: format!("Answer with the selected file (/{p})"),
            answer: format!("/{p}"),
        }),
        _ => None,
    }
}

/// What the start page says when a link opens an exercise and no image is open yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub id: String,
    pub title: String,
    /// The bundled sample it is about, when it is one this build carries (one click opens it).
    pub sample: Option<String>,
    /// Otherwise, the image it is about (an image ID or a pinned reference), in words.
    pub image: String,
}

pub fn linked(c: &Catalogue, route: &Route, carried: &[String]) -> Option<Linked> {
    let e = c.find(route.exercise.as_deref()?)?;
    let (sample, image) = match &e.image {
        exercises::ImageChoice::Sample(s) => (carried.contains(s).then(|| s.clone()), s.clone()),
        exercises::ImageChoice::ImageId(s) | exercises::ImageChoice::Reference(s) => {
            (None, s.clone())
        }
    };
    Some(Linked {
        id: e.id.clone(),
        title: e.title.clone(),
        sample,
        image,
    })
}

/// The samples the catalogue's exercises are about (for "open one of …").
pub fn samples(c: &Catalogue) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = c
        .all()
        .filter_map(|e| match &e.image {
            exercises::ImageChoice::Sample(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::LayerIdx;

    #[test]
    fn a_packs_index_names_files_beside_it_only() {
        assert_eq!(
            pack_index(br#"["exercises-1.json","week-2.json"]"#),
            Ok(vec!["exercises-1.json".into(), "week-2.json".into()])
        );
        assert_eq!(pack_index(b"[]"), Ok(vec![]));
        for bad in [
            r#"["../secret.json"]"#,
            r#"["https://evil.example/x.json"]"#,
            r#"[".hidden.json"]"#,
            r#"["notes.txt"]"#,
        ] {
            let e = pack_index(bad.as_bytes()).err().unwrap_or_default();
            assert!(e.starts_with("exercises/index.json[0]: "), "{bad}: {e}");
        }
        assert!(pack_index(b"{").is_err());
        assert!(pack_index("[\"a.json\",".repeat(60).as_bytes()).is_err());
    }

    fn packed(id: &str, title: &str) -> String {
        format!(
            r#"{{"format":"strata-exercises/1","title":"{title}","exercises":[{{"id":"{id}","image":{{"sample":"tags.docker.tar"}},"question":{{"kind":"tags_share_image_id"}}}}]}}"#
        )
    }

    #[test]
    fn packed_files_join_the_course_and_ids_stay_unique() {
        let mut c = Catalogue::default();
        let built_in = c.all().count();
        assert!(built_in > 0 && c.problems.is_empty());
        c.add_packed(
            "exercises-1.json",
            packed("week-2-tags", "Week 2").as_bytes(),
        );
        assert_eq!(c.all().count(), built_in + 1);
        assert!(c.find("week-2-tags").is_some());
        assert!(c.title().ends_with(" · Week 2"));
        // The built-in course has `two-tags`: a packed one with that id is left out, said so.
        c.add_packed("exercises-2.json", packed("two-tags", "Again").as_bytes());
        assert_eq!(c.all().count(), built_in + 1);
        assert!(c.problems[0].contains("exercises/exercises-2.json: exercise `two-tags`"));
        // A malformed file is said with its field, and the rest still loads.
        c.add_packed(
            "bad.json",
            br#"{"format":"strata-exercises/1","title":"t","exercises":[{"id":"x"}]}"#,
        );
        assert!(
            c.problems[1].starts_with("exercises/bad.json: exercises[0].image"),
            "{:?}",
            c.problems
        );
        assert!(samples(&c).contains(&"tags.docker.tar".to_owned()));
    }

    #[test]
    fn a_link_to_an_exercise_names_its_sample() {
        let c = Catalogue::default();
        let route = Route {
            exercise: Some("two-tags".into()),
            ..Route::default()
        };
        let carried = vec!["tags.docker.tar".to_owned()];
        let l = linked(&c, &route, &carried).unwrap_or_else(|| panic!("not found"));
        assert_eq!(l.sample.as_deref(), Some("tags.docker.tar"));
        assert_eq!(l.title, "A tag is a pointer");
        // A pack without that sample: said, not offered.
        assert_eq!(linked(&c, &route, &[]).and_then(|l| l.sample), None);
        let none = Route {
            exercise: Some("nope".into()),
            ..Route::default()
        };
        assert_eq!(linked(&c, &none, &carried), None);
    }

    #[test]
    fn selecting_a_layer_or_a_file_answers_questions_of_that_kind() {
        let route = Route {
            layer: LayerIdx::from_number(3),
            path: Some("data/del.txt".into()),
            ..Route::default()
        };
        assert_eq!(
            selection(AnswerKind::Layer, &route),
            Some(Selection {
                label: "Answer with the selected layer (3)".into(),
                answer: "3".into()
            })
        );
        assert_eq!(
            selection(AnswerKind::Path, &route).map(|s| s.answer),
            Some("/data/del.txt".into())
        );
        assert_eq!(selection(AnswerKind::Steps, &route), None);
        assert_eq!(selection(AnswerKind::Layer, &Route::default()), None);
    }
}
