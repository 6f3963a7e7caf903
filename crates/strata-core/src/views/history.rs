//! `docker image history`, and the Dockerfile it implies.
//!
//! The config's `history` has one entry per build step; those marked `empty_layer` (ENV, CMD,
//! LABEL…) made no layer, the others map onto the layers in order. Rows are newest first, as
//! docker prints them; IMAGE is the image ID on the top row and `<missing>` elsewhere (the
//! intermediate images are not in an archive or a registry).

use crate::diagnostic::Diagnostic;
use crate::image::Image;
use crate::model::HistoryEntry;
use crate::text::format_bytes_si;
use serde::{Deserialize, Serialize};

/// One row of `docker history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Position in the config's history (0 = oldest).
    pub history_index: usize,
    /// The 0-based layer this step made, `None` for empty-layer steps.
    pub layer: Option<usize>,
    /// `sha256:…` on the newest row, `<missing>` elsewhere.
    pub image: String,
    pub created: Option<String>,
    pub created_by: String,
    pub comment: String,
    pub author: String,
    pub empty_layer: bool,
    /// Uncompressed size of the layer in bytes (0 for empty-layer steps); `None` if unknown.
    pub size: Option<u64>,
}

/// The rows, newest first, and anything odd about how history and layers line up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub rows: Vec<HistoryRow>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Builds the history of `image`. `layer_sizes[i]` is layer i's uncompressed size, if known.
pub fn history(image: &Image, layer_sizes: &[Option<u64>]) -> History {
    let entries: Vec<HistoryEntry> = image.parsed_config.history.clone().unwrap_or_default();
    let mut diagnostics = Vec::new();
    let mut rows = Vec::with_capacity(entries.len());
    let mut next_layer = 0usize;
    for (i, h) in entries.iter().enumerate() {
        let empty = h.empty_layer == Some(true);
        let layer = if empty {
            None
        } else if next_layer < image.layers.len() {
            next_layer += 1;
            Some(next_layer - 1)
        } else {
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic::warning(
                    "history-mismatch",
                    "config",
                    format!(
                        "the history has more layer-making steps than the image's {} layers; the extra ones have no layer",
                        image.layers.len()
                    ),
                ));
            }
            None
        };
        rows.push(HistoryRow {
            history_index: i,
            layer,
            image: "<missing>".into(),
            created: h.created.clone(),
            created_by: h.created_by.clone().unwrap_or_default(),
            comment: h.comment.clone().unwrap_or_default(),
            author: h.author.clone().unwrap_or_default(),
            empty_layer: empty,
            size: match layer {
                None => Some(0),
                Some(l) => layer_sizes.get(l).copied().flatten(),
            },
        });
    }
    if next_layer < image.layers.len() {
        diagnostics.push(Diagnostic::warning(
            "history-mismatch",
            "config",
            format!(
                "the history names {next_layer} layer-making steps but the image has {} layers; the last {} have no history",
                image.layers.len(),
                image.layers.len() - next_layer
            ),
        ));
    }
    rows.reverse();
    if let Some(top) = rows.first_mut() {
        top.image = image.id().to_string();
    }
    History { rows, diagnostics }
}

/// Seconds since 1970 of an RFC 3339 time (`2023-11-14T22:13:20Z`, with fractions and
/// offsets), for relative times. `None` if it does not parse.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r.get(1..3)?.parse::<i64>().ok()? * 3600
                + r.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// `2 years ago`, as docker's go-units `HumanDuration` says it (`now` from the host).
pub fn relative_time(then: i64, now: i64) -> String {
    let secs = now - then;
    if secs < 0 {
        return "in the future".into();
    }
    let d = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        s if s < 1 => "Less than a second ago".into(),
        1 => "1 second ago".into(),
        s if s < 60 => d(s, "second"),
        s if s < 60 * 60 => {
            let m = s / 60;
            if m == 1 {
                "About a minute ago".into()
            } else {
                d(m, "minute")
            }
        }
        s if s < 48 * 3600 => {
            let h = (s as f64 / 3600.0).round() as i64;
            if h == 1 {
                "About an hour ago".into()
            } else {
                d(h, "hour")
            }
        }
        s if s < 7 * 24 * 3600 * 2 => d(s / 86_400, "day"),
        s if s < 30 * 24 * 3600 * 3 => d(s / (7 * 86_400), "week"),
        s if s < 365 * 24 * 3600 * 2 => d(s / (30 * 86_400), "month"),
        s => d(s / (365 * 86_400), "year"),
    }
}

/// The row as `docker history --format json` prints it, plus `SizeBytes` and `EmptyLayer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerHistoryJson {
    #[serde(rename = "ID")]
    pub id: String,
    pub created_at: String,
    pub created_since: String,
    pub created_by: String,
    pub size: String,
    pub comment: String,
    pub size_bytes: Option<u64>,
    pub empty_layer: bool,
}

impl HistoryRow {
    pub fn to_docker_json(&self, now: i64) -> DockerHistoryJson {
        let t = self.created.as_deref().and_then(parse_rfc3339);
        DockerHistoryJson {
            id: self.image.clone(),
            created_at: self.created.clone().unwrap_or_default(),
            created_since: t.map_or_else(|| "N/A".into(), |t| relative_time(t, now)),
            created_by: self.created_by.clone(),
            size: self.size.map_or_else(|| "?".into(), format_bytes_si),
            comment: self.comment.clone(),
            size_bytes: self.size,
            empty_layer: self.empty_layer,
        }
    }
}

/// One instruction of the reconstructed Dockerfile, tied to its history row and layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerfileLine {
    pub history_index: usize,
    pub layer: Option<usize>,
    /// `RUN`, `ENV`, `COPY`… (empty for a step kept only as a comment).
    pub instruction: String,
    /// The rest of the line, in valid Dockerfile syntax.
    pub arguments: String,
    /// What the history lost or changed about this step, said in a `#` line before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The Dockerfile an image's history implies: `FROM` and the steps after it, each in valid
/// Dockerfile syntax whatever builder recorded it (docker's legacy builder writes Go values:
/// `CMD ["a" "b"]`, `VOLUME [/data]`, `HEALTHCHECK &{["CMD" "x"] "30s" …}`, unquoted LABEL
/// and ENV values; BuildKit `RUN |2 A=1 B=2 /bin/sh -c …`; buildah and kaniko docker's forms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dockerfile {
    /// `FROM`'s argument: the base image when the image names it, else `scratch`.
    pub from: String,
    /// Why `from` is what it is.
    pub from_comment: String,
    pub lines: Vec<DockerfileLine>,
}

impl Dockerfile {
    /// The file as text, ready to save and build (`#` lines say what was lost).
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str("# Reconstructed by Strata from the image's history.\n");
        out.push_str(&format!("# {}\n", self.from_comment));
        out.push_str(&format!("FROM {}\n", self.from));
        for l in &self.lines {
            if let Some(c) = &l.comment {
                for line in c.lines() {
                    out.push_str(&format!("# {line}\n"));
                }
            }
            if !l.instruction.is_empty() {
                out.push_str(&format!("{} {}\n", l.instruction, l.arguments));
            }
        }
        out
    }
}

/// The Dockerfile of `image` from its history (rows newest first, as [`history`] makes them).
/// The base is what the image names: the `org.opencontainers.image.base.name` label, or the
/// `FROM NAME` buildah writes in the comment of the first step it built; the base image's own
/// steps are then left out. Without either, every step is listed after `FROM scratch`.
pub fn dockerfile_of(image: &Image, history: &History) -> Dockerfile {
    dockerfile_with_base(image, history, None)
}

/// [`dockerfile_of`], with a candidate base image (`name`, image): when its layers are the
/// first layers of `image` (same diff_ids, in order), it is the `FROM`, and its steps are left
/// out. Docker's legacy builder and BuildKit record no base; this is how one is recognised.
pub fn dockerfile_with_base(
    image: &Image,
    history: &History,
    base: Option<(&str, &Image)>,
) -> Dockerfile {
    if let Some((name, b)) = base
        && let Some(d) = from_known_base(image, history, name, b)
    {
        return d;
    }
    dockerfile_named(image, history)
}

fn from_known_base(
    image: &Image,
    history: &History,
    name: &str,
    base: &Image,
) -> Option<Dockerfile> {
    let ids = |i: &Image| -> Option<Vec<crate::DiffId>> {
        i.layers.iter().map(|l| l.diff_id.clone()).collect()
    };
    let (mine, theirs) = (ids(image)?, ids(base)?);
    if theirs.is_empty() || theirs.len() > mine.len() || mine[..theirs.len()] != theirs[..] {
        return None;
    }
    let base_steps = base.parsed_config.history.as_ref().map_or(0, Vec::len);
    let mut d = dockerfile_named(image, history);
    let mut rows: Vec<&HistoryRow> = history.rows.iter().collect();
    rows.reverse();
    let own: std::collections::HashSet<usize> = rows
        .iter()
        .skip(base_steps)
        .map(|r| r.history_index)
        .collect();
    d.lines.retain(|l| own.contains(&l.history_index));
    d.from = crate::archive::short_name(name);
    d.from_comment = format!(
        "The base image: this image begins with its layers ({}); its steps ({}) are left out.",
        theirs.len(),
        base_steps
    );
    Some(d)
}

fn dockerfile_named(image: &Image, history: &History) -> Dockerfile {
    let mut rows: Vec<&HistoryRow> = history.rows.iter().collect();
    rows.reverse(); // oldest first
    let label = image
        .parsed_config
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get("org.opencontainers.image.base.name"))
        .filter(|n| !n.trim().is_empty())
        .cloned();
    // buildah: the first step of a build says `FROM <base>`, later ones `FROM <parent's id>`.
    let buildah = rows.iter().enumerate().find_map(|(i, r)| {
        let name = r.comment.strip_prefix("FROM ")?.trim();
        let hex_id = name.len() >= 12 && name.chars().all(|c| c.is_ascii_hexdigit());
        (!name.is_empty() && !hex_id).then(|| (i, name.to_owned()))
    });
    let (from, from_comment, start) = match (label, buildah) {
        (_, Some((i, name))) => (
            name.clone(),
            format!(
                "The base image, as the builder recorded it (the base's own {} before it are left out).",
                crate::text::count(i, "step")
            ),
            i,
        ),
        (Some(name), None) => (
            name,
            "The base image, from the org.opencontainers.image.base.name label; the steps below may include the base's own.".to_owned(),
            0,
        ),
        (None, None) => (
            "scratch".to_owned(),
            "The image does not name its base: every step is listed, the base image's included.".to_owned(),
            0,
        ),
    };
    let mut lines = Vec::new();
    let mut args_declared: Vec<String> = Vec::new();
    for r in rows.into_iter().skip(start) {
        if r.created_by.trim().is_empty() {
            continue;
        }
        let (instruction, arguments) = instruction_of(&r.created_by);
        let mut step = translate(&instruction, &arguments);
        // BuildKit records the build arguments a RUN saw: declare them, with their values.
        for (k, v) in build_args(&r.created_by) {
            if !args_declared.contains(&k) {
                lines.push(DockerfileLine {
                    history_index: r.history_index,
                    layer: None,
                    instruction: "ARG".into(),
                    arguments: format!("{k}={}", quote_value(&v)),
                    comment: None,
                });
                args_declared.push(k);
            }
        }
        step.history_index = r.history_index;
        step.layer = r.layer;
        lines.push(step);
    }
    Dockerfile {
        from,
        from_comment,
        lines,
    }
}

/// The Dockerfile's instructions, oldest first (every step: see [`dockerfile_of`] for the
/// whole file with its base).
pub fn dockerfile(history: &History) -> Vec<DockerfileLine> {
    let mut rows: Vec<&HistoryRow> = history.rows.iter().collect();
    rows.reverse(); // oldest first
    rows.into_iter()
        .filter(|r| !r.created_by.is_empty())
        .map(|r| {
            let (instruction, arguments) = instruction_of(&r.created_by);
            DockerfileLine {
                history_index: r.history_index,
                layer: r.layer,
                ..translate(&instruction, &arguments)
            }
        })
        .collect()
}

const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

fn instruction_of(created_by: &str) -> (String, String) {
    let s = created_by.trim();
    if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        let rest = rest.trim_start();
        return split_instruction(rest).unwrap_or_else(|| ("#".into(), rest.to_owned()));
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c ") {
        return ("RUN".into(), rest.trim().to_owned());
    }
    // BuildKit: `RUN /bin/sh -c … # buildkit`, with build args as `|2 A=1 B=2 /bin/sh -c …`.
    if let Some(rest) = s.strip_prefix("RUN ") {
        let rest = rest.strip_suffix(" # buildkit").unwrap_or(rest);
        let rest = strip_build_args(rest);
        let rest = rest.strip_prefix("/bin/sh -c ").unwrap_or(rest);
        return ("RUN".into(), rest.to_owned());
    }
    if let Some(rest) = s.strip_prefix('|') {
        let rest = strip_build_args(&format!("|{rest}")).to_owned();
        let rest = rest.strip_prefix("/bin/sh -c ").unwrap_or(&rest).to_owned();
        return ("RUN".into(), rest);
    }
    if let Some((i, a)) = split_instruction(s) {
        let a = a
            .strip_suffix("# buildkit")
            .map_or(a.clone(), |a| a.trim_end().to_owned());
        return (i, a);
    }
    ("RUN".into(), s.to_owned())
}

fn split_instruction(s: &str) -> Option<(String, String)> {
    let (word, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
    let upper = word.to_ascii_uppercase();
    INSTRUCTIONS
        .contains(&upper.as_str())
        .then(|| (upper, rest.trim().to_owned()))
}

/// `|2 A=1 B=2 cmd` → `cmd`.
fn strip_build_args(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('|') else {
        return s;
    };
    let Some((count, mut rest)) = rest.split_once(' ') else {
        return s;
    };
    let Ok(n) = count.parse::<usize>() else {
        return s;
    };
    for _ in 0..n {
        match rest.split_once(' ') {
            Some((_, r)) => rest = r,
            None => return s,
        }
    }
    rest
}

/// BuildKit's `RUN |2 A=1 B=2 /bin/sh -c …`: the build arguments and their values.
fn build_args(created_by: &str) -> Vec<(String, String)> {
    let s = created_by.trim();
    let s = s.strip_prefix("RUN ").unwrap_or(s);
    let Some(rest) = s.strip_prefix('|') else {
        return Vec::new();
    };
    let Some((count, mut rest)) = rest.split_once(' ') else {
        return Vec::new();
    };
    let Ok(n) = count.parse::<usize>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let Some((kv, r)) = rest.split_once(' ') else {
            return out;
        };
        if let Some((k, v)) = kv.split_once('=')
            && is_name(k)
        {
            out.push((k.to_owned(), v.to_owned()));
        }
        rest = r;
    }
    out
}

fn is_name(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
}

/// One step in valid Dockerfile syntax, and what the history lost about it.
fn translate(instruction: &str, arguments: &str) -> DockerfileLine {
    let line = |instruction: &str, arguments: String, comment: Option<String>| DockerfileLine {
        history_index: 0,
        layer: None,
        instruction: instruction.to_owned(),
        arguments,
        comment,
    };
    let a = arguments.trim();
    match instruction {
        "#" => line(
            "",
            String::new(),
            Some(format!("a step without an instruction: {a}")),
        ),
        "CMD" | "ENTRYPOINT" | "SHELL" | "VOLUME" if a.starts_with('[') => {
            match exec_form(a, instruction == "VOLUME") {
                Some(list) => line(instruction, json_list(&list), None),
                None => line(instruction, a.to_owned(), None),
            }
        }
        "RUN" if a.starts_with('[') => match exec_form(a, false) {
            Some(list) => line("RUN", json_list(&list), None),
            None => line("RUN", a.to_owned(), None),
        },
        "RUN" if a.contains('\n') => {
            // A newline ends an instruction: the exec form keeps the script as it ran.
            let list = vec!["/bin/sh".to_owned(), "-c".to_owned(), a.to_owned()];
            line("RUN", json_list(&list), None)
        }
        "HEALTHCHECK" if a.starts_with("&{") => match healthcheck(a) {
            Some(h) => line("HEALTHCHECK", h, None),
            None => line(
                "",
                String::new(),
                Some(format!(
                    "HEALTHCHECK, recorded in a form Strata cannot read: {a}"
                )),
            ),
        },
        "LABEL" | "ENV" => line(instruction, key_values(a), None),
        "COPY" | "ADD" => copy(instruction, a),
        "ONBUILD" | "MAINTAINER" | "ARG" | "EXPOSE" | "STOPSIGNAL" | "USER" | "WORKDIR"
        | "HEALTHCHECK" | "FROM" => line(instruction, a.to_owned(), None),
        _ => line(instruction, a.replace('\n', " "), None),
    }
}

/// `["a", "b"]` (JSON) or docker's legacy `["a" "b"]` (Go quoted strings) or `[a b]` (a Go
/// slice printed bare, as VOLUME is): the strings.
fn exec_form(a: &str, bare: bool) -> Option<Vec<String>> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(a) {
        return Some(list);
    }
    let inner = a.strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    if bare && !inner.starts_with('"') {
        return Some(inner.split_whitespace().map(str::to_owned).collect());
    }
    let mut out = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (s, r) = go_quoted(rest)?;
        out.push(s);
        rest = r.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

/// One Go `%q` string at the start of `s` (`"…"` with backslash escapes): it and the rest.
fn go_quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    'x' => {
                        let h: String = (0..2)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        out.push(char::from(u8::from_str_radix(&h, 16).ok()?));
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
    None
}

fn json_list(list: &[String]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", items.join(", "))
}

/// docker's legacy `HEALTHCHECK &{["CMD" "x"] "30s" "3s" "0s" '\x02'}` (Go's `%v` of the
/// struct: Test, Interval, Timeout, StartPeriod, [StartInterval,] Retries).
fn healthcheck(a: &str) -> Option<String> {
    let inner = a.strip_prefix("&{")?.strip_suffix('}')?;
    let close = inner.find(']')?;
    let test = exec_form(&inner[..=close], false)?;
    let mut rest = inner[close + 1..].trim();
    let mut durations = Vec::new();
    while rest.starts_with('"') {
        let (d, r) = go_quoted(rest)?;
        durations.push(d);
        rest = r.trim();
    }
    let retries: u32 = if let Some(q) = rest.strip_prefix('\'') {
        let q = q.strip_suffix('\'')?;
        match q.strip_prefix("\\x") {
            Some(h) => u32::from_str_radix(h, 16).ok()?,
            None => match q.strip_prefix('\\') {
                Some("a") => 7,
                Some("b") => 8,
                Some("t") => 9,
                Some("n") => 10,
                Some("v") => 11,
                Some("f") => 12,
                Some("r") => 13,
                _ => u32::from(q.chars().next()?),
            },
        }
    } else {
        rest.parse().unwrap_or(0)
    };
    let kind = test.first().map(String::as_str);
    if kind == Some("NONE") {
        return Some("NONE".into());
    }
    let mut flags = Vec::new();
    let names = [
        "--interval",
        "--timeout",
        "--start-period",
        "--start-interval",
    ];
    for (name, d) in names.iter().zip(&durations) {
        if d != "0s" && !d.is_empty() {
            flags.push(format!("{name}={d}"));
        }
    }
    if retries != 0 {
        flags.push(format!("--retries={retries}"));
    }
    let cmd = match kind {
        Some("CMD-SHELL") => format!("CMD {}", test[1..].join(" ")),
        Some("CMD") => format!("CMD {}", json_list(&test[1..])),
        _ => return None,
    };
    flags.push(cmd);
    Some(flags.join(" "))
}

/// LABEL and ENV pairs in valid syntax: each value quoted when it needs to be. docker's legacy
/// builder wrote them unquoted (`LABEL a=b c d=e`), so a pair ends where ` KEY=` begins; the
/// old `ENV KEY value with spaces` form is one pair.
fn key_values(a: &str) -> String {
    if !a.contains('=')
        || a.split_whitespace()
            .next()
            .is_some_and(|w| !w.contains('='))
    {
        // `ENV KEY value…`
        let (k, v) = a.split_once(char::is_whitespace).unwrap_or((a, ""));
        return format!("{k}={}", quote_value(v.trim()));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut rest = a;
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        let mut value_part = &rest[eq + 1..];
        let value = if value_part.starts_with('"') {
            match go_quoted(value_part) {
                Some((v, r)) => {
                    value_part = r;
                    v
                }
                None => std::mem::take(&mut value_part).to_owned(),
            }
        } else {
            // Up to the next ` KEY=` (a word of name characters followed by `=`).
            let mut end = value_part.len();
            let mut search = 0;
            while let Some(sp) = value_part[search..].find(' ') {
                let at = search + sp;
                let next = &value_part[at + 1..];
                let word_end = next.find(['=', ' ']).unwrap_or(next.len());
                if next[word_end..].starts_with('=') && is_name(&next[..word_end]) {
                    end = at;
                    break;
                }
                search = at + 1;
            }
            let v = value_part[..end].to_owned();
            value_part = &value_part[end..];
            v
        };
        pairs.push((key, value));
        rest = value_part.trim_start();
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", quote_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value as a Dockerfile reads it back: bare when it is one plain word, else double-quoted.
fn quote_value(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| !c.is_whitespace() && !"\"'\\$`#".contains(c));
    if plain {
        v.to_owned()
    } else {
        let escaped: String = v
            .chars()
            .flat_map(|c| match c {
                '"' | '\\' | '$' | '`' => vec!['\\', c],
                '\n' => vec!['\\', 'n'],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    }
}

/// COPY and ADD: docker's legacy builder recorded the source as a content hash (`file:<hex> in
/// /dest`, `dir:<hex> in /dest`, `multi:<hex> in /dest`); its name is lost, and the line says so.
fn copy(instruction: &str, a: &str) -> DockerfileLine {
    let mut line = DockerfileLine {
        history_index: 0,
        layer: None,
        instruction: instruction.to_owned(),
        arguments: a.to_owned(),
        comment: None,
    };
    if let Some((source, dest)) = a.split_once(" in ") {
        let source = source.trim();
        let kind = source.split(':').next().unwrap_or("");
        if ["file", "dir", "multi"].contains(&kind) {
            let placeholder = match kind {
                "dir" => ".",
                _ => "./file",
            };
            line.arguments = format!("{placeholder} {}", dest.trim());
            line.comment = Some(format!(
                "the history recorded the source only as {} (a hash of its content): its name is lost, `{placeholder}` stands in",
                crate::text::clip(source, 80)
            ));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.123456789Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_rfc3339("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn relative_times_like_docker() {
        let now = 1_700_000_000;
        assert_eq!(relative_time(now - 30, now), "30 seconds ago");
        assert_eq!(relative_time(now - 3600, now), "About an hour ago");
        assert_eq!(relative_time(now - 5 * 86_400, now), "5 days ago");
        assert_eq!(relative_time(now - 3 * 365 * 86_400, now), "3 years ago");
    }

    #[test]
    fn instructions_from_created_by() {
        let check = |s: &str, i: &str, a: &str| {
            assert_eq!(instruction_of(s), (i.to_owned(), a.to_owned()), "{s}")
        };
        check(
            "/bin/sh -c #(nop)  ENV PATH=/usr/bin",
            "ENV",
            "PATH=/usr/bin",
        );
        check("/bin/sh -c #(nop) WORKDIR /app", "WORKDIR", "/app");
        check("/bin/sh -c apk add curl", "RUN", "apk add curl");
        check("RUN /bin/sh -c make # buildkit", "RUN", "make");
        check(
            "RUN |2 A=1 B=2 /bin/sh -c echo $A # buildkit",
            "RUN",
            "echo $A",
        );
        check("COPY busybox rootfs /", "COPY", "busybox rootfs /");
        check(
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "ADD",
            "file:abc in /",
        );
        check("ENV X=1", "ENV", "X=1");
    }
}
