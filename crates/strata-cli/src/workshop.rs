//! `strata workshop pack DIR`: a teacher's folder — the built app (`--dist`, what `trunk build
//! --release` wrote), the chosen samples, the exercise files, and a start page (`workshop.html`)
//! listing the exercises with links that open each one (the fragment names the exercise, never
//! its answer). Any static file server serves it, or `strata serve --dist DIR`; the service
//! worker caches the app, the samples, the exercise files and the start page on the first visit,
//! so it works offline after that. Exercise files are checked with the engine's parser before
//! they are packed, and listed in `exercises/index.json`, which the page reads beside the
//! built-in course; a link names an exercise by id alone, so ids are unique across the pack.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use strata_core::Limits;
use strata_core::exercises::{self, ExerciseFile, ImageChoice};

pub struct PackOptions {
    pub dir: PathBuf,
    pub dist: PathBuf,
    pub exercises: Vec<PathBuf>,
    pub samples: Vec<String>,
}

/// Text for HTML: every character that could open markup escaped.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path, skip: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        if path == skip {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&path, &target, skip)?;
        } else {
            std::fs::copy(&path, &target)
                .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        }
    }
    Ok(())
}

pub fn pack(o: &PackOptions) -> Result<i32> {
    if !o.dist.join("index.html").is_file() || !o.dist.join("sw.js").is_file() {
        bail!(
            "{} is not the built app (no index.html and sw.js): run `trunk build --release` and pass its dist/ with --dist",
            o.dist.display()
        );
    }
    if o.dir.exists() && std::fs::read_dir(&o.dir)?.next().is_some() {
        bail!(
            "{} exists and is not empty: the pack goes in a new folder",
            o.dir.display()
        );
    }
    // The exercise files, checked as the page will read them.
    let mut files: Vec<(String, ExerciseFile, Vec<u8>)> =
        vec![("built-in".into(), exercises::course(), Vec::new())];
    for (i, f) in o.exercises.iter().enumerate() {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let parsed = exercises::parse(&bytes, &Limits::default())
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        for (j, e) in parsed.exercises.iter().enumerate() {
            if let Some((earlier, _, _)) = files
                .iter()
                .find(|(_, file, _)| file.exercises.iter().any(|x| x.id == e.id))
            {
                bail!(
                    "{}: exercises[{j}].id: `{}` is already the id of an exercise in {earlier} (a link names an exercise by id alone)",
                    f.display(),
                    e.id
                );
            }
        }
        files.push((format!("exercises-{}.json", i + 1), parsed, bytes));
    }
    // The samples: those named, or all of the app's.
    let index_path = o.dist.join("samples/index.json");
    let index: Vec<Value> = serde_json::from_slice(
        &std::fs::read(&index_path).with_context(|| format!("reading {}", index_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", index_path.display()))?;
    let chosen: Vec<Value> = if o.samples.is_empty() {
        index
    } else {
        let mut out = Vec::new();
        for name in &o.samples {
            match index
                .iter()
                .find(|s| s["file"].as_str() == Some(name.as_str()))
            {
                Some(s) => out.push(s.clone()),
                None => bail!(
                    "--sample {name}: not one of the app's samples ({})",
                    index
                        .iter()
                        .filter_map(|s| s["file"].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        out
    };
    let samples_dir = o.dist.join("samples");
    copy_tree(&o.dist, &o.dir, &samples_dir)?;
    std::fs::create_dir_all(o.dir.join("samples"))?;
    for s in &chosen {
        let file = s["file"].as_str().unwrap_or_default();
        std::fs::copy(samples_dir.join(file), o.dir.join("samples").join(file))
            .with_context(|| format!("copying sample {file}"))?;
    }
    std::fs::write(
        o.dir.join("samples/index.json"),
        serde_json::to_vec_pretty(&chosen)?,
    )?;
    std::fs::create_dir_all(o.dir.join("exercises"))?;
    let mut packed = Vec::new();
    for (name, _, bytes) in files.iter().filter(|(_, _, b)| !b.is_empty()) {
        std::fs::write(o.dir.join("exercises").join(name), bytes)?;
        packed.push(name.clone());
    }
    // What the page loads beside the built-in course (and the service worker caches).
    std::fs::write(
        o.dir.join("exercises/index.json"),
        serde_json::to_vec(&packed)?,
    )?;
    // The start page: plain HTML, no script (the app's CSP allows none inline), every string escaped.
    let have = |e: &exercises::Exercise| match &e.image {
        ImageChoice::Sample(s) => chosen
            .iter()
            .any(|c| c["file"].as_str() == Some(s.as_str())),
        _ => true,
    };
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Workshop — Strata</title>\n<link rel=\"stylesheet\" href=\"strata.css\">\n</head>\n<body>\n<main class=\"workshop-start\" id=\"workshop\">\n<h1>Workshop</h1>\n<p>Open a sample from <a href=\"index.html\" id=\"workshop-app\">the app's start page</a>, then an exercise: the tab checks your answers, and nothing is sent anywhere.</p>\n",
    );
    for (name, file, _) in &files {
        html.push_str(&format!(
            "<section class=\"card\" data-file=\"{}\">\n<h2>{}</h2>\n<ol>\n",
            escape(name),
            escape(&file.title)
        ));
        for e in file.exercises.iter().filter(|e| have(e)) {
            let image = match &e.image {
                ImageChoice::Sample(s) | ImageChoice::ImageId(s) | ImageChoice::Reference(s) => s,
            };
            let title = format!(
                "<a class=\"exercise\" data-exercise=\"{id}\" href=\"index.html#/overview?exercise={id}\">{}</a>",
                escape(&e.title),
                id = escape(&e.id)
            );
            html.push_str(&format!(
                "<li>{title} <span class=\"note\">on <code>{}</code></span></li>\n",
                escape(image)
            ));
        }
        html.push_str("</ol>\n</section>\n");
    }
    html.push_str("</main>\n</body>\n</html>\n");
    std::fs::write(o.dir.join("workshop.html"), html)?;
    println!(
        "{}: the app, {} sample(s), {} exercise file(s); start page {}",
        o.dir.display(),
        chosen.len(),
        files.len(),
        o.dir.join("workshop.html").display()
    );
    Ok(crate::exit::OK)
}
