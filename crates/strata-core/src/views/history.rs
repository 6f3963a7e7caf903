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
    /// `RUN`, `ENV`, `COPY`…
    pub instruction: String,
    /// The rest of the line.
    pub arguments: String,
}

/// The Dockerfile the history implies: `/bin/sh -c #(nop) ` stripped from metadata steps,
/// `RUN` restored before shell commands, buildkit's `RUN |n ARG=… /bin/sh -c` unwrapped.
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
                instruction,
                arguments,
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
    split_instruction(s).unwrap_or_else(|| ("RUN".into(), s.to_owned()))
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
