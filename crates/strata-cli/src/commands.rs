//! The subcommands' output: tables shaped like docker's, tar's and dive's, or JSON for
//! scripts. The engine computes; this file only prints.

use crate::exit;
use crate::open::ImageArgs;
use crate::open::Opened;
use crate::output::{all_diagnostics, finish, out, out_buffered, print_json, print_table};
use crate::{Format, Like};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::io::Write;
use strata_core::history::{
    DockerHistoryJson, history as history_of, parse_rfc3339, relative_time,
};
use strata_core::paths::PathId;
use strata_core::tar::EntryKind;
use strata_core::text::{format_bytes, format_bytes_si, format_time, mode_string};
use strata_core::tree::{Change, FileInfo, ImageTree};
use strata_core::{Analysis, Diagnostic};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn overview(a: &ImageArgs, format: Format, verify: bool) -> Result<i32> {
    let mut opened = a.open()?;
    let mut extra = Vec::new();
    let mut verified = None;
    let mut code = exit::OK;
    if verify {
        let analysis = opened.analyse()?;
        code = finish(&analysis.damage(&opened.image));
        extra = analysis.diagnostics;
        let scans: Vec<_> = analysis.scans.iter().flatten().collect();
        verified = Some((
            scans.len(),
            scans.iter().map(|s| s.entries).sum::<usize>(),
            scans.iter().map(|s| s.tar_size).sum::<u64>(),
        ));
    }
    let mut ov = strata_core::overview(&opened.image);
    ov.diagnostics.extend(extra);
    if format == Format::Json {
        print_json(&ov)?;
        return Ok(code);
    }
    let mut o = out();
    let tags = if ov.repo_tags.is_empty() {
        "<none>".to_owned()
    } else {
        ov.repo_tags.join(", ")
    };
    writeln!(o, "Format:     {}", ov.format)?;
    if let Some(t) = &ov.artifact {
        writeln!(
            o,
            "Artifact:   {t} (an OCI artifact, not a container image: `strata manifest` and `strata config` show it)"
        )?;
    }
    writeln!(o, "Tags:       {tags}")?;
    writeln!(o, "Image ID:   {}", ov.image_id)?;
    let derived = if ov.manifest_synthesized {
        " (derived, as skopeo/podman derive it)"
    } else {
        ""
    };
    writeln!(o, "Manifest:   {}{derived}", ov.manifest_digest)?;
    if let Some(i) = &ov.index_digest {
        writeln!(o, "Index:      {i}")?;
    }
    writeln!(o, "Platform:   {}", ov.platform)?;
    writeln!(o, "Created:    {}", ov.created.as_deref().unwrap_or("-"))?;
    if let Some(a) = &ov.author {
        writeln!(o, "Author:     {a}")?;
    }
    writeln!(
        o,
        "Layers:     {} ({} stored)",
        ov.n_layers, ov.stored_size_text
    )?;
    for l in &ov.layers {
        let digest = l.digest.as_deref().unwrap_or("-");
        let comp = l.compression.map_or("missing", |c| c.label());
        writeln!(
            o,
            "  {:>3}  {digest}  {:>10}  {comp}",
            l.number, l.size_text
        )?;
    }
    writeln!(
        o,
        "History:    {} entries ({} empty layers)",
        ov.n_history, ov.n_empty_history
    )?;
    if let Some(u) = &ov.user {
        writeln!(o, "User:       {u}")?;
    }
    if let Some(e) = &ov.entrypoint {
        writeln!(o, "Entrypoint: {}", serde_json::to_string(e)?)?;
    }
    if let Some(c) = &ov.cmd {
        writeln!(o, "Cmd:        {}", serde_json::to_string(c)?)?;
    }
    if let Some(w) = &ov.working_dir {
        writeln!(o, "WorkingDir: {w}")?;
    }
    for e in &ov.env {
        writeln!(o, "Env:        {e}")?;
    }
    for (k, v) in &ov.labels {
        writeln!(o, "Label:      {k}={v}")?;
    }
    for d in &ov.diagnostics {
        writeln!(o, "{:?}: {}: {}", d.severity, d.subject, d.message)?;
    }
    if let Some((layers, entries, bytes)) = verified {
        let errors = ov
            .diagnostics
            .iter()
            .filter(|d| d.severity == strata_core::Severity::Error)
            .count();
        let outcome = if errors == 0 {
            "every digest and diff_id matches".to_owned()
        } else {
            format!("{errors} error(s) above")
        };
        writeln!(
            o,
            "Verified:   {layers} layers read ({entries} entries, {bytes} bytes of tar): {outcome}"
        )?;
    }
    Ok(code)
}

pub fn images(a: &ImageArgs, format: Format) -> Result<i32> {
    let listing = a.list()?;
    if format == Format::Json {
        return print_json(&listing);
    }
    let mut o = out();
    writeln!(o, "Format: {}", listing.format)?;
    for img in &listing.images {
        writeln!(
            o,
            "{:>3}  {}  {}",
            img.number,
            img.digest.as_deref().unwrap_or("-"),
            img.label
        )?;
        for c in &img.platforms {
            let note = if c.available {
                ""
            } else {
                "  (not in this archive)"
            };
            writeln!(o, "       {}  {}{note}", c.digest, c.label)?;
            for att in &c.attestations {
                writeln!(o, "         attestation {att}")?;
            }
        }
    }
    Ok(0)
}

pub fn tags(a: &ImageArgs, format: Format) -> Result<i32> {
    let tags = a.tags()?;
    if format == Format::Json {
        return print_json(&tags);
    }
    let mut o = out();
    for t in &tags {
        writeln!(o, "{t}")?;
    }
    Ok(0)
}

/// Findings from the image, with evidence (`strata hints`). Reads every layer.
pub fn hints(a: &ImageArgs, format: Format) -> Result<i32> {
    let mut opened = a.open()?;
    let (analysis, h) = opened.analyse_with_history()?;
    let mut all = strata_core::hints::config_hints(&opened.image, &h, None);
    all.extend(strata_core::hints::file_hints(&analysis.tree));
    // The package findings (installed then removed: still shipped; executables no package
    // owns), read from the databases the layers hold: a snapshot has no file contents.
    if opened.is_snapshot() {
        eprintln!(
            "strata: a snapshot holds no file contents: the package findings are not checked"
        );
    } else {
        all.extend(crate::packages::report(&opened, &analysis, &h, &[])?.hints);
    }
    if format == Format::Json {
        #[derive(Serialize)]
        struct HintsOut<'a> {
            hints: &'a [strata_core::hints::Hint],
            diagnostics: Vec<Diagnostic>,
        }
        print_json(&HintsOut {
            hints: &all,
            diagnostics: all_diagnostics(&opened.image, &analysis),
        })?;
        return Ok(finish(&analysis.damage(&opened.image)));
    }
    let mut o = out();
    if all.is_empty() {
        writeln!(o, "No findings.")?;
    }
    for hint in &all {
        crate::output::write_hint(&mut o, hint)?;
    }
    drop(o);
    Ok(finish(&analysis.damage(&opened.image)))
}

/// Saves the inspection as a snapshot file (`strata snapshot`): everything but file contents.
pub fn snapshot(a: &ImageArgs, output: Option<&std::path::Path>) -> Result<i32> {
    let mut opened = a.open()?;
    let analysis = opened.analyse()?;
    let name = a
        .path
        .file_name()
        .map_or_else(|| a.path.to_string_lossy(), |n| n.to_string_lossy())
        .into_owned();
    let format = opened.image.format.label();
    // Written from the analysis in place (the page's way), not from a copy of every index.
    let body = strata_core::snapshot::body_of(&name, format, &opened.image, &analysis)?;
    let bytes = strata_core::snapshot::compress(&body)?;
    let out = output.map_or_else(
        || std::path::PathBuf::from(format!("{name}.{}", strata_core::snapshot::EXTENSION)),
        std::path::Path::to_path_buf,
    );
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    let stored = opened.image.stored_size().max(1);
    eprintln!(
        "strata: {} written: {} ({:.2}% of the image's {} stored)",
        out.display(),
        strata_core::text::format_bytes(bytes.len() as u64),
        bytes.len() as f64 * 100.0 / stored as f64,
        strata_core::text::format_bytes(stored)
    );
    Ok(finish(&analysis.damage(&opened.image)))
}

/// Compares two images (`strata diff A B`): shared layers, config, history, files.
/// The unified diffs of the changed text files both images hold (`strata diff --content`).
fn content_diffs(
    d: &strata_core::diff::ImageDiff,
    (oa, aa): (&Opened, &Analysis),
    (ob, ab): (&Opened, &Analysis),
) -> Vec<ContentDiff> {
    let max = strata_core::diff::MAX_TEXT_DIFF_BYTES;
    let read = |o: &Opened, a: &Analysis, path: &str| -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        read_file(o, a, path, None, Some(max), &mut bytes).ok()?;
        Some(bytes)
    };
    d.files
        .iter()
        .filter(|f| {
            f.change == "changed"
                && f.kind == EntryKind::File
                && f.what.iter().any(|w| w == "content")
        })
        .filter_map(|f| {
            let too_big = f.a_size.unwrap_or(0) > max || f.b_size.unwrap_or(0) > max;
            if too_big {
                return Some(ContentDiff {
                    path: f.path.clone(),
                    diff: None,
                    note: Some(format!(
                        "over {} a side: not read",
                        strata_core::text::format_bytes(max)
                    )),
                });
            }
            let (x, y) = (read(oa, aa, &f.path)?, read(ob, ab, &f.path)?);
            Some(match strata_core::diff::text_diff(&f.path, &x, &y) {
                Some(diff) => ContentDiff {
                    path: f.path.clone(),
                    diff: Some(diff),
                    note: None,
                },
                None => ContentDiff {
                    path: f.path.clone(),
                    diff: None,
                    note: Some("not text: the bytes differ".into()),
                },
            })
        })
        .collect()
}

#[derive(Serialize)]
struct ContentDiff {
    path: String,
    /// `diff -u` of the two versions, when both are text.
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

pub fn diff(
    a: &ImageArgs,
    b: &ImageArgs,
    format: Format,
    semantic: bool,
    content: bool,
) -> Result<i32> {
    let load = |args: &ImageArgs| -> Result<_> {
        let mut opened = args.open()?;
        let (analysis, h) = opened.analyse_with_history()?;
        Ok((opened, analysis, h))
    };
    let (oa, aa, ha) = load(a)?;
    let (ob, ab, hb) = load(b)?;
    let mut damage = aa.damage(&oa.image);
    damage.extend(ab.damage(&ob.image));
    let (na, nb) = (a.path.to_string_lossy(), b.path.to_string_lossy());
    let mut d = strata_core::diff::diff(
        &strata_core::diff::Input {
            name: &na,
            image: &oa.image,
            history: &ha,
            tree: &aa.tree,
        },
        &strata_core::diff::Input {
            name: &nb,
            image: &ob.image,
            history: &hb,
            tree: &ab.tree,
        },
        strata_core::diff::DiffOptions { semantic },
    );
    let diffs = if content && !oa.is_snapshot() && !ob.is_snapshot() {
        content_diffs(&d, (&oa, &aa), (&ob, &ab))
    } else {
        Vec::new()
    };
    d.packages = crate::packages::compare_images((&oa, &aa, &ha), (&ob, &ab, &hb))?;
    if format == Format::Json {
        #[derive(Serialize)]
        struct DiffOut<'a> {
            #[serde(flatten)]
            diff: &'a strata_core::diff::ImageDiff,
            diagnostics: DiffDiagnostics,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            content_diffs: &'a [ContentDiff],
        }
        #[derive(Serialize)]
        struct DiffDiagnostics {
            a: Vec<Diagnostic>,
            b: Vec<Diagnostic>,
        }
        print_json(&DiffOut {
            diff: &d,
            content_diffs: &diffs,
            diagnostics: DiffDiagnostics {
                a: all_diagnostics(&oa.image, &aa),
                b: all_diagnostics(&ob.image, &ab),
            },
        })?;
        return Ok(finish(&damage));
    }
    let mut o = out();
    writeln!(o, "A: {} ({})", d.a.name, d.a.id)?;
    writeln!(o, "B: {} ({})", d.b.name, d.b.id)?;
    // Only the same blob is stored once; the same content in another blob is stored twice.
    let same_blob = d.shared_layers.iter().filter(|s| s.by == "digest").count();
    let recompressed = d.shared_layers.len() - same_blob;
    let shared = if recompressed == 0 {
        format!("{} stored once", format_bytes(d.summary.shared_bytes))
    } else {
        format!(
            "{same_blob} the same blob: {} stored once; {recompressed} the same content in another blob: stored twice",
            format_bytes(d.summary.shared_bytes)
        )
    };
    writeln!(
        o,
        "Layers: {} shared ({shared}), {} only in A, {} only in B",
        d.shared_layers.len(),
        d.only_a_layers.len(),
        d.only_b_layers.len()
    )?;
    for s in &d.shared_layers {
        let how = if s.by == "digest" {
            "the same blob".to_owned()
        } else {
            format!(
                "the same content, stored as {} in B",
                s.b.digest.as_deref().unwrap_or("-")
            )
        };
        writeln!(
            o,
            "  = A{} B{}  {}  ({how})",
            s.a.layer,
            s.b.layer,
            s.a.digest.as_deref().unwrap_or("-")
        )?;
    }
    for l in &d.only_a_layers {
        writeln!(
            o,
            "  - A{}  {}",
            l.layer,
            l.digest.as_deref().unwrap_or("-")
        )?;
    }
    for l in &d.only_b_layers {
        writeln!(
            o,
            "  + B{}  {}",
            l.layer,
            l.digest.as_deref().unwrap_or("-")
        )?;
    }
    crate::cache::print(&mut o, &d.cache)?;
    writeln!(o, "Config: {} differences", d.config.len())?;
    for c in &d.config {
        writeln!(
            o,
            "  {}: {} -> {}",
            c.key,
            c.a.as_deref().unwrap_or("(none)"),
            c.b.as_deref().unwrap_or("(none)")
        )?;
    }
    writeln!(
        o,
        "History: {} steps in common, then {} only in A, {} only in B",
        d.history.common,
        d.history.only_a.len(),
        d.history.only_b.len()
    )?;
    for s in &d.history.only_a {
        writeln!(o, "  - {}", strata_core::text::clip(s, 100))?;
    }
    for s in &d.history.only_b {
        writeln!(o, "  + {}", strata_core::text::clip(s, 100))?;
    }
    writeln!(
        o,
        "Files: {} added, {} removed, {} changed, {}{} bytes",
        d.summary.added,
        d.summary.removed,
        d.summary.changed,
        if d.summary.size_delta >= 0 { "+" } else { "" },
        d.summary.size_delta
    )?;
    for f in &d.files {
        let mark = match f.change.as_str() {
            "added" => "+",
            "removed" => "-",
            _ => "~",
        };
        let what = if f.what.is_empty() {
            String::new()
        } else {
            format!("  ({})", f.what.join(", "))
        };
        let size = if f.kind == EntryKind::File {
            format!("  {:+}", f.delta)
        } else {
            format!("  ({})", f.kind.name())
        };
        writeln!(o, "  {mark} /{}{size}{what}", f.path)?;
    }
    crate::packages::print_diff(&mut o, d.packages.as_ref())?;
    for c in &diffs {
        match (&c.diff, &c.note) {
            (Some(diff), _) => write!(o, "{diff}")?,
            (None, Some(note)) => {
                writeln!(o, "Binary files A/{0} and B/{0} differ ({note})", c.path)?
            }
            (None, None) => {}
        }
    }
    drop(o);
    Ok(finish(&damage))
}

/// Each layer's size as `like` counts it, and the damage met reading them (docker's count
/// reads every layer; podman's only what the blobs' ends declare, else the layer).
fn layer_sizes(opened: &mut Opened, like: Like) -> Result<(Vec<Option<u64>>, i32)> {
    match like {
        Like::Podman => Ok((opened.exact_sizes()?, exit::OK)),
        Like::Docker => {
            let analysis = opened.analyse()?;
            let code = finish(&analysis.damage(&opened.image));
            Ok((analysis.docker_sizes(), code))
        }
    }
}

pub fn inspect(a: &ImageArgs, like: Like) -> Result<i32> {
    let mut opened = a.open()?;
    let (sizes, code) = layer_sizes(&mut opened, like)?;
    let size = sizes.iter().flatten().sum();
    let inspect = match like {
        Like::Docker => strata_core::inspect::inspect(&opened.image, size),
        Like::Podman => strata_core::inspect::inspect_like_podman(&opened.image, size),
    };
    print_json(&[inspect])?;
    Ok(code)
}

pub fn history(a: &ImageArgs, format: Format, no_trunc: bool, like: Like) -> Result<i32> {
    let mut opened = a.open()?;
    let (sizes, code) = layer_sizes(&mut opened, like)?;
    let h = history_of(&opened.image, &sizes);
    let now = now();
    if format == Format::Json {
        let rows: Vec<DockerHistoryJson> = h.rows.iter().map(|r| r.to_docker_json(now)).collect();
        print_json(&rows)?;
        return Ok(code);
    }
    let mut rows = vec![vec![
        "IMAGE".into(),
        "CREATED".into(),
        "CREATED BY".into(),
        "SIZE".into(),
        "COMMENT".into(),
    ]];
    for r in &h.rows {
        let image = if r.image == "<missing>" || no_trunc {
            r.image.clone()
        } else {
            r.image
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect()
        };
        let created = r
            .created
            .as_deref()
            .and_then(parse_rfc3339)
            .map_or_else(|| "N/A".into(), |t| relative_time(t, now));
        let created_by = r.created_by.replace(['\t', '\n'], " ");
        let created_by = if no_trunc || created_by.chars().count() <= 45 {
            created_by
        } else {
            format!("{}…", created_by.chars().take(44).collect::<String>())
        };
        let size = r.size.map_or_else(|| "?".into(), format_bytes_si);
        rows.push(vec![image, created, created_by, size, r.comment.clone()]);
    }
    print_table(&rows)?;
    for d in &h.diagnostics {
        eprintln!("strata: {}: {}", d.subject, d.message);
    }
    Ok(code)
}

/// The reconstructed Dockerfile (`strata dockerfile`): reads no layer.
pub fn dockerfile(a: &ImageArgs, base: Option<std::path::PathBuf>) -> Result<i32> {
    let opened = a.open()?;
    opened.image.require_container_image()?;
    let h = history_of(&opened.image, &[]);
    let base = match base {
        Some(path) => {
            let args = ImageArgs {
                path,
                image: None,
                platform: a.platform.clone(),
                limits: a.limits.clone(),
                username: None,
                password_stdin: false,
                insecure: a.insecure,
            };
            let b = args.open()?;
            let name = b
                .image
                .repo_tags
                .first()
                .cloned()
                .unwrap_or_else(|| b.image.id().to_string());
            Some((name, b.image))
        }
        None => None,
    };
    let d = strata_core::history::dockerfile_with_base(
        &opened.image,
        &h,
        base.as_ref().map(|(n, i)| (n.as_str(), i)),
    );
    out().write_all(d.text().as_bytes())?;
    Ok(exit::OK)
}

pub enum Raw {
    Manifest,
    Index,
    Config,
}

pub fn raw(a: &ImageArgs, which: Raw) -> Result<i32> {
    let opened = a.open()?;
    let bytes = match which {
        Raw::Manifest => &opened.image.manifest.bytes,
        Raw::Config => &opened.image.config.bytes,
        Raw::Index => match &opened.image.index {
            Some(i) => &i.bytes,
            None => bail!("this image was not chosen from an index"),
        },
    };
    out().write_all(bytes)?;
    Ok(0)
}

/// `strata ls` rows: the `tar -tvf`-like line, with the change letter when there is one; in
/// JSON, the files and every diagnostic of the image and its layers.
fn print_files(files: &[FileInfo], format: Format, diagnostics: Vec<Diagnostic>) -> Result<()> {
    if format == Format::Json {
        #[derive(Serialize)]
        struct LsOut<'a> {
            files: &'a [FileInfo],
            diagnostics: Vec<Diagnostic>,
        }
        print_json(&LsOut { files, diagnostics })?;
        return Ok(());
    }
    let mut o = out_buffered();
    for f in files {
        print_file(&mut o, f)?;
    }
    o.flush()?;
    Ok(())
}

/// One line of `ls`, as `tar -tv` writes it (with the change letter first).
fn print_file(o: &mut impl Write, f: &FileInfo) -> std::io::Result<()> {
    let mode = mode_string(f.kind, u32::from_str_radix(&f.mode, 8).unwrap_or(0));
    let change = f.change.map_or(' ', Change::letter);
    let link = match f.kind {
        EntryKind::Symlink => format!(" -> {}", f.linkname),
        EntryKind::Hardlink => format!(" link to {}", f.linkname),
        _ => String::new(),
    };
    writeln!(
        o,
        "{change} {mode} {}/{} {:>12} {} {}{link}",
        f.uid,
        f.gid,
        f.size,
        format_time(f.mtime),
        f.path
    )
}

fn layer_number(tree: &ImageTree, n: usize) -> Result<usize> {
    if n == 0 || n > tree.n_layers() {
        bail!("--layer {n}: the image has layers 1 to {}", tree.n_layers());
    }
    Ok(n - 1)
}

pub fn ls(
    a: &ImageArgs,
    format: Format,
    layer: Option<usize>,
    merged: bool,
    changes_only: bool,
) -> Result<i32> {
    let mut opened = a.open()?;
    let analysis = opened.analyse()?;
    let tree = &analysis.tree;
    /// What is listed: one layer's merged filesystem, one layer's changes, or its entries.
    enum Listing {
        Merged(usize),
        Changes(usize),
        Entries(usize),
    }
    let listing = match (layer, merged, changes_only) {
        (None, _, true) => bail!("--changes-only needs --layer N"),
        (Some(n), true, _) => Listing::Merged(layer_number(tree, n)?),
        (None, _, false) => Listing::Merged(tree.n_layers().saturating_sub(1)),
        (Some(n), false, true) => Listing::Changes(layer_number(tree, n)?),
        (Some(n), false, false) => Listing::Entries(layer_number(tree, n)?),
    };
    let files = match listing {
        Listing::Merged(l) if matches!(format, Format::Json) => {
            // Written as the tree is walked, as the table is below: the same bytes as
            // `print_files` writes, without every file's `FileInfo` held first.
            #[derive(Serialize)]
            struct LsOut<'a> {
                files: MergedFiles<'a>,
                diagnostics: Vec<Diagnostic>,
            }
            print_json(&LsOut {
                files: MergedFiles { tree, layer: l },
                diagnostics: all_diagnostics(&opened.image, &analysis),
            })?;
            return Ok(finish(&analysis.damage(&opened.image)));
        }
        Listing::Merged(l) => {
            // The merged filesystem printed as it is walked: a list of every path first took
            // 466 MiB for a million files.
            let mut o = out_buffered();
            let mut failed = None;
            tree.for_each_merged(l, &mut |f| {
                if failed.is_none()
                    && let Err(e) = print_file(&mut o, &f)
                {
                    failed = Some(e);
                }
            });
            if let Some(e) = failed {
                return Err(e.into());
            }
            o.flush()?;
            return Ok(finish(&analysis.damage(&opened.image)));
        }
        Listing::Changes(l) => tree
            .changes(l)
            .into_iter()
            .filter(|f| f.change != Some(Change::Unchanged))
            .collect(),
        Listing::Entries(l) => layer_entries(tree, l),
    };
    print_files(&files, format, all_diagnostics(&opened.image, &analysis))?;
    Ok(finish(&analysis.damage(&opened.image)))
}

/// The merged filesystem after a layer, serialized as a sequence of `FileInfo` as the tree is
/// walked ([`ImageTree::for_each_merged`]).
struct MergedFiles<'a> {
    tree: &'a ImageTree,
    layer: usize,
}

impl Serialize for MergedFiles<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        self.tree.for_each_merged(self.layer, &mut |f| {
            if failed.is_none()
                && let Err(e) = seq.serialize_element(&f)
            {
                failed = Some(e);
            }
        });
        match failed {
            Some(e) => Err(e),
            None => seq.end(),
        }
    }
}

/// A layer's entries in tar order, whiteouts left out, each with its change.
fn layer_entries(tree: &ImageTree, l: usize) -> Vec<FileInfo> {
    let index = &tree.layers[l];
    index
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let path = tree.global(l, e.path);
            let change = tree.event_in(path, l).map(|ev| ev.change);
            let ev = strata_core::tree::Event {
                layer: l as u16,
                change: change.unwrap_or(Change::Added),
                entry: i as u32,
                deleted_by: None,
            };
            let mut info = tree.info(path, &ev, change);
            // As tar lists it: a hard link has no size of its own.
            if e.kind == EntryKind::Hardlink {
                info.size = 0;
            }
            info
        })
        .collect()
}

/// Finds `path` after layer `l`, following symlinks inside the image as a container would.
fn resolve(tree: &ImageTree, path: &str, l: usize) -> Result<(PathId, strata_core::tree::Event)> {
    let mut current = strata_core::paths::normalise_layer_path(path)
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?
        .unwrap_or_default();
    for _ in 0..40 {
        let id = tree
            .paths
            .lookup(&current)
            .with_context(|| format!("{path}: no such file in the image"))?;
        let ev = *tree
            .state_at(id, l)
            .filter(|e| e.is_present())
            .with_context(|| {
                format!(
                    "{path}: no such file in the image (deleted in layer {})",
                    tree.state_at(id, l).map_or(0, |e| e.layer as usize + 1)
                )
            })?;
        let entry = tree.entry(&ev);
        match entry.map(|e| e.kind) {
            Some(EntryKind::Symlink) => {
                let target = tree.layers[ev.layer as usize]
                    .link(entry.context("no entry")?)
                    .unwrap_or("");
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    current
                        .rsplit_once('/')
                        .map_or(String::new(), |(d, _)| format!("{d}/"))
                };
                current = strata_core::paths::normalise_layer_path(&format!("{base}{target}"))
                    .map_err(|_| {
                        anyhow::anyhow!("{path}: its symlink target `{target}` leaves the image")
                    })?
                    .unwrap_or_default();
            }
            _ => return Ok((id, ev)),
        }
    }
    bail!("{path}: too many levels of symbolic links")
}

pub fn cat(a: &ImageArgs, path: &str, layer: Option<usize>) -> Result<i32> {
    let mut opened = a.open()?;
    let analysis = opened.analyse()?;
    let damage = analysis.damage(&opened.image);
    let result = cat_file(&opened, &analysis, path, layer);
    not_found_in_damage(result, &damage)
}

/// A command's result on an image that may be damaged: a path it could not find in a damaged
/// image may be in the part that could not be read, so that is damage (exit 3), not a mistake.
fn not_found_in_damage(result: Result<()>, damage: &[&Diagnostic]) -> Result<i32> {
    match result {
        Err(e) if !damage.is_empty() => {
            eprintln!("strata: {e:#}");
            Ok(finish(damage))
        }
        Err(e) => Err(e),
        Ok(()) => Ok(finish(damage)),
    }
}

fn cat_file(
    opened: &crate::open::Opened,
    analysis: &Analysis,
    path: &str,
    layer: Option<usize>,
) -> Result<()> {
    read_file(opened, analysis, path, layer, None, &mut out())
}

/// Writes the bytes of the file at `path` (after `layer`, or in the final filesystem) to
/// `sink`: at most `max` bytes when given. Symlinks are followed inside the image.
pub(crate) fn read_file(
    opened: &crate::open::Opened,
    analysis: &Analysis,
    path: &str,
    layer: Option<usize>,
    max: Option<u64>,
    sink: &mut dyn Write,
) -> Result<()> {
    let tree = &analysis.tree;
    let l = match layer {
        Some(n) => layer_number(tree, n)?,
        None => tree.n_layers().saturating_sub(1),
    };
    let (_, ev) = resolve(tree, path, l)?;
    let layer_no = ev.layer as usize;
    let entry = tree
        .entry(&ev)
        .with_context(|| format!("{path}: is a directory"))?;
    let entry = tree
        .hardlink_target(layer_no, entry)
        .with_context(|| format!("{path}: a hard link whose target is not in its layer"))?;
    if entry.kind != EntryKind::File {
        bail!("{path}: is a {}, not a file", entry.kind.name());
    }
    if opened.is_snapshot() {
        bail!(
            "{path}: a snapshot holds no file contents (only each file's size, mode, owner and hash); open the image it was made from"
        );
    }
    let blob = opened.image.layers[layer_no]
        .location
        .context("the layer's blob is missing")?;
    let compression = opened.image.layers[layer_no]
        .compression
        .unwrap_or(strata_core::Compression::None);
    let index = &tree.layers[layer_no];
    let i = index
        .entries
        .iter()
        .position(|e| std::ptr::eq(e, entry))
        .unwrap_or(0);
    strata_core::layer::content::read_entry(
        &opened.source,
        blob,
        compression,
        &strata_core::layer::content::StoredFile::of(index, i),
        (0, max),
        &mut |chunk| {
            sink.write_all(chunk)
                .map_err(|e| strata_core::Error::Invalid {
                    what: "standard output".into(),
                    detail: e.to_string(),
                })
        },
    )?;
    Ok(())
}

#[derive(Serialize)]
struct TimelineRow {
    layer: usize,
    change: Change,
    #[serde(rename = "type")]
    kind: Option<EntryKind>,
    size: u64,
    mode: String,
    created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_by: Option<String>,
}

pub fn timeline(a: &ImageArgs, format: Format, path: &str) -> Result<i32> {
    let mut opened = a.open()?;
    let analysis = opened.analyse()?;
    let tree = &analysis.tree;
    let sizes: Vec<Option<u64>> = opened
        .image
        .layers
        .iter()
        .map(|l| l.uncompressed_size)
        .collect();
    let h = history_of(&opened.image, &sizes);
    let created_by = |l: usize| {
        h.rows
            .iter()
            .find(|r| r.layer == Some(l))
            .map(|r| r.created_by.clone())
            .unwrap_or_default()
    };
    let norm = strata_core::paths::normalise_layer_path(path)
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?
        .unwrap_or_default();
    let damage = analysis.damage(&opened.image);
    let id = tree.paths.lookup(&norm);
    if id.is_none() {
        if damage.is_empty() {
            bail!("{path}: no layer touches this path");
        }
        // It may be in what could not be read: an empty timeline, and the damage.
        eprintln!("strata: {path}: no layer that could be read touches this path");
    }
    let events = id.map(|id| (id, tree.timeline(id)));
    let rows: Vec<TimelineRow> = events
        .iter()
        .flat_map(|(id, events)| events.iter().map(move |e| (*id, e)))
        .map(|(id, e)| {
            let info = tree.info(id, e, Some(e.change));
            TimelineRow {
                layer: e.layer as usize + 1,
                change: e.change,
                kind: (e.change != Change::Deleted).then_some(info.kind),
                size: if e.change == Change::Deleted {
                    0
                } else {
                    info.size
                },
                mode: if e.change == Change::Deleted {
                    String::new()
                } else {
                    info.mode
                },
                created_by: created_by(e.layer as usize),
                deleted_by: e.deleted_by.map(|d| match d {
                    strata_core::tree::DeletedBy::Whiteout(p) => {
                        format!("whiteout of {}", tree.paths.path(p))
                    }
                    strata_core::tree::DeletedBy::Opaque(p) => {
                        format!("opaque directory {}", tree.paths.path(p))
                    }
                    strata_core::tree::DeletedBy::Replaced(p) => {
                        format!("{} replaced by a non-directory", tree.paths.path(p))
                    }
                }),
            }
        })
        .collect();
    if format == Format::Json {
        #[derive(Serialize)]
        struct TimelineOut<'a> {
            path: String,
            events: &'a [TimelineRow],
            diagnostics: Vec<Diagnostic>,
        }
        print_json(&TimelineOut {
            path: format!("/{norm}"),
            events: &rows,
            diagnostics: all_diagnostics(&opened.image, &analysis),
        })?;
        return Ok(finish(&damage));
    }
    let mut table = vec![vec![
        "LAYER".into(),
        "CHANGE".into(),
        "TYPE".into(),
        "SIZE".into(),
        "MODE".into(),
        "CREATED BY".into(),
    ]];
    for r in &rows {
        let by = match &r.deleted_by {
            Some(d) => format!("({d}) {}", r.created_by),
            None => r.created_by.clone(),
        };
        table.push(vec![
            r.layer.to_string(),
            r.change.name().into(),
            r.kind.map_or("-", EntryKind::name).into(),
            format_bytes(r.size),
            r.mode.clone(),
            by.chars().take(100).collect(),
        ]);
    }
    print_table(&table)?;
    Ok(finish(&damage))
}

#[derive(Serialize)]
struct LayerStats {
    layer: usize,
    compression: &'static str,
    stored_bytes: u64,
    tar_bytes: u64,
    entries: usize,
    millis: f64,
    /// Stored megabytes (10^6) per second.
    mb_per_s: f64,
    entries_per_s: f64,
    index_heap_bytes: usize,
    index_bytes_per_entry: f64,
}

#[derive(Serialize)]
struct Stats {
    layers: Vec<LayerStats>,
    diagnostics: Vec<Diagnostic>,
    /// Opening the archive and resolving the image (the overview's cost).
    open_millis: f64,
    scan_millis: f64,
    tree_millis: f64,
    entries: usize,
    paths: usize,
}

pub fn stats(a: &ImageArgs, format: Format) -> Result<i32> {
    let t0 = std::time::Instant::now();
    let mut opened = a.open()?;
    if opened.is_snapshot() {
        bail!("stats times reading the layers, and a snapshot holds none: give it the image");
    }
    let open_millis = t0.elapsed().as_secs_f64() * 1000.0;
    let mut scans = Vec::new();
    let mut layers = Vec::new();
    let t1 = std::time::Instant::now();
    for (i, layer) in opened.image.layers.iter().enumerate() {
        let Some(loc) = layer.location else {
            scans.push(None);
            continue;
        };
        let t = std::time::Instant::now();
        let scan = strata_core::scan_layer(
            &opened.source,
            loc.offset,
            loc.len,
            &opened.limits,
            &mut |_| true,
        )?;
        let millis = t.elapsed().as_secs_f64() * 1000.0;
        let entries = scan.index.entries.len();
        let heap = scan.index.heap_bytes();
        layers.push(LayerStats {
            layer: i + 1,
            compression: scan.compression.name(),
            stored_bytes: scan.stored_size,
            tar_bytes: scan.tar_size,
            entries,
            millis,
            mb_per_s: scan.stored_size as f64 / 1e6 / (millis / 1000.0).max(1e-9),
            entries_per_s: entries as f64 / (millis / 1000.0).max(1e-9),
            index_heap_bytes: heap,
            index_bytes_per_entry: if entries == 0 {
                0.0
            } else {
                heap as f64 / entries as f64
            },
        });
        scans.push(Some(scan));
    }
    let scan_millis = t1.elapsed().as_secs_f64() * 1000.0;
    let t2 = std::time::Instant::now();
    let analysis = strata_core::analyse(&mut opened.image, scans);
    let tree_millis = t2.elapsed().as_secs_f64() * 1000.0;
    let code = finish(&analysis.damage(&opened.image));
    let stats = Stats {
        diagnostics: all_diagnostics(&opened.image, &analysis),
        entries: layers.iter().map(|l| l.entries).sum(),
        paths: analysis.tree.paths.len(),
        layers,
        open_millis,
        scan_millis,
        tree_millis,
    };
    if format == Format::Json {
        print_json(&stats)?;
        return Ok(code);
    }
    let mut table = vec![vec![
        "LAYER".into(),
        "STORED".into(),
        "COMPRESSION".into(),
        "ENTRIES".into(),
        "TIME".into(),
        "MB/S".into(),
        "ENTRIES/S".into(),
        "INDEX".into(),
        "BYTES/ENTRY".into(),
    ]];
    for l in &stats.layers {
        table.push(vec![
            l.layer.to_string(),
            format_bytes(l.stored_bytes),
            l.compression.to_owned(),
            l.entries.to_string(),
            format!("{:.0} ms", l.millis),
            format!("{:.0}", l.mb_per_s),
            format!("{:.0}", l.entries_per_s),
            format_bytes(l.index_heap_bytes as u64),
            format!("{:.1}", l.index_bytes_per_entry),
        ]);
    }
    print_table(&table)?;
    let mut o = out();
    writeln!(
        o,
        "open {:.1} ms, scan {:.0} ms, tree {:.0} ms ({} entries, {} paths)",
        stats.open_millis, stats.scan_millis, stats.tree_millis, stats.entries, stats.paths
    )?;
    Ok(code)
}
