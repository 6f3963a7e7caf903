//! `strata ci`: dive's CI mode. Three rules with dive's names and defaults (lowestEfficiency
//! 0.9, highestWastedBytes off, highestUserWastedPercent 0.1), set by flags or by a `.dive-ci`
//! file, plus `imageIntegrity`, which no threshold can pass on a damaged image. A rule set by a
//! flag (or left at its default) is judged on Strata's numbers; a rule from `.dive-ci` on
//! dive's, computed as dive computes them, since its threshold was tuned against those.
//! Exit codes: 0 every rule passed, 1 a rule failed, 3 the image is damaged.

use crate::Format;
use crate::dive_ci::{self, DiveCi, Setting};
use crate::exit;
use crate::open::ImageArgs;
use crate::output::{all_diagnostics, out, print_json, print_table};
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use strata_core::Diagnostic;
use strata_core::dive::DiveNumbers;
use strata_core::text::format_bytes_si;

/// The rules as given on the command line (`None`: not given).
#[derive(Debug, Default)]
pub struct CiFlags {
    pub lowest_efficiency: Option<f64>,
    pub highest_wasted_bytes: Option<u64>,
    pub highest_user_wasted_percent: Option<f64>,
    /// `--ci-config FILE`; without it `.dive-ci` in the working directory, when there is one.
    pub ci_config: Option<PathBuf>,
}

/// Where a rule's threshold came from, which says whose numbers judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Source {
    Flag,
    DiveCi,
    Default,
}

impl Source {
    fn judged_on(self) -> &'static str {
        match self {
            Source::DiveCi => "dive",
            Source::Flag | Source::Default => "strata",
        }
    }
}

#[derive(Serialize)]
struct CiRule {
    name: &'static str,
    status: &'static str,
    detail: String,
    /// `flag`, `dive-ci` or `default` (absent for imageIntegrity).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    /// Whose numbers the rule was judged on: `strata` or `dive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    judged_on: Option<&'static str>,
}

#[derive(Serialize)]
struct CiReport {
    efficiency: f64,
    wasted_bytes: u64,
    user_wasted_percent: f64,
    total_file_bytes: u64,
    /// dive's efficiency for the same image (dive's formula: all N copies of a path count).
    dive_efficiency: f64,
    dive_wasted_bytes: u64,
    dive_user_wasted_percent: f64,
    /// The `.dive-ci` file read, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    ci_config: Option<String>,
    rules: Vec<CiRule>,
    passed: bool,
    /// Whether a layer could not be read or did not verify (then `passed` is false, whatever
    /// the thresholds, and the exit code is 3).
    damaged: bool,
    inefficient_files: Vec<strata_core::tree::WastedPath>,
    diagnostics: Vec<Diagnostic>,
}

/// The `.dive-ci` to read: the one named, or `.dive-ci` here if it exists.
fn read_config(flags: &CiFlags) -> Result<Option<(String, DiveCi)>> {
    let path = match &flags.ci_config {
        Some(p) => p.clone(),
        None if Path::new(".dive-ci").is_file() => PathBuf::from(".dive-ci"),
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("--ci-config {}: cannot read it", path.display()))?;
    let name = path.display().to_string();
    Ok(Some((name.clone(), dive_ci::parse(&name, &text)?)))
}

/// A rule's threshold and its source: the flag, else the file, else dive's default.
fn pick<T: Copy>(
    flag: Option<T>,
    file: Option<Setting<T>>,
    default: Setting<T>,
) -> (Setting<T>, Source) {
    match (flag, file) {
        (Some(v), _) => (Setting::Threshold(v), Source::Flag),
        (None, Some(s)) => (s, Source::DiveCi),
        (None, None) => (default, Source::Default),
    }
}

pub fn ci(a: &ImageArgs, format: Format, flags: CiFlags) -> Result<i32> {
    let config = read_config(&flags)?;
    let file = config.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
    let mut opened = a.open()?;
    let analysis = opened.analyse()?;
    let damage = analysis.damage(&opened.image);
    let w = analysis.tree.waste();
    let dive: DiveNumbers = strata_core::dive::dive_numbers(&analysis.tree.layers);
    let mut results = vec![CiRule {
        // A damaged image never passes a gate: its numbers describe only what could be read.
        name: "imageIntegrity",
        status: if damage.is_empty() { "PASS" } else { "FAIL" },
        detail: damage
            .iter()
            .map(|d| format!("{}: {}", d.subject, d.message))
            .collect::<Vec<_>>()
            .join("; "),
        source: None,
        judged_on: None,
    }];
    let rule = |name, source: Source, failed: Option<String>| CiRule {
        name,
        status: if failed.is_some() { "FAIL" } else { "PASS" },
        detail: failed.unwrap_or_default(),
        source: Some(source),
        judged_on: Some(source.judged_on()),
    };
    let skip = |name, source: Source| CiRule {
        name,
        status: "SKIP",
        detail: "rule disabled".into(),
        source: Some(source),
        judged_on: None,
    };
    let on_dive = |s: Source| s == Source::DiveCi;

    let (setting, source) = pick(
        flags.lowest_efficiency,
        file.lowest_efficiency,
        Setting::Threshold(0.9),
    );
    results.push(match setting {
        Setting::Disabled => skip("lowestEfficiency", source),
        Setting::Threshold(t) => {
            let e = if on_dive(source) {
                dive.efficiency
            } else {
                w.efficiency
            };
            rule(
                "lowestEfficiency",
                source,
                (e < t).then(|| {
                    format!("image efficiency is too low (efficiency={e:.4} < threshold={t})")
                }),
            )
        }
    });
    let (setting, source) = pick(
        flags.highest_wasted_bytes,
        file.highest_wasted_bytes,
        Setting::Disabled,
    );
    results.push(match setting {
        Setting::Disabled => skip("highestWastedBytes", source),
        Setting::Threshold(t) => {
            let b = if on_dive(source) {
                dive.wasted_bytes
            } else {
                w.wasted_bytes
            };
            rule(
                "highestWastedBytes",
                source,
                (b > t)
                    .then(|| format!("too many bytes wasted (wasted-bytes={b} > threshold={t})")),
            )
        }
    });
    let (setting, source) = pick(
        flags.highest_user_wasted_percent,
        file.highest_user_wasted_percent,
        Setting::Threshold(0.1),
    );
    results.push(match setting {
        Setting::Disabled => skip("highestUserWastedPercent", source),
        Setting::Threshold(t) => {
            let p = if on_dive(source) { dive.user_wasted_percent } else { w.user_wasted_percent };
            // As dive compares: fails when the threshold is below the share (NaN never fails).
            rule("highestUserWastedPercent", source, (t < p).then(|| {
                format!("too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={p:.4} > threshold={t})")
            }))
        }
    });
    let passed = results.iter().all(|r| r.status != "FAIL");
    let code = if !damage.is_empty() {
        exit::DAMAGED
    } else if passed {
        exit::OK
    } else {
        exit::RULE_FAILED
    };
    if format == Format::Json {
        print_json(&CiReport {
            efficiency: w.efficiency,
            wasted_bytes: w.wasted_bytes,
            user_wasted_percent: w.user_wasted_percent,
            total_file_bytes: w.total_file_bytes,
            dive_efficiency: dive.efficiency,
            dive_wasted_bytes: dive.wasted_bytes,
            dive_user_wasted_percent: dive.user_wasted_percent,
            ci_config: config.map(|(n, _)| n),
            rules: results,
            passed,
            damaged: !damage.is_empty(),
            inefficient_files: w.wasted_paths,
            diagnostics: all_diagnostics(&opened.image, &analysis),
        })?;
        return Ok(code);
    }
    let mut o = out();
    if let Some((name, _)) = &config {
        writeln!(o, "  rules from {name} (judged on dive's numbers)")?;
    }
    writeln!(
        o,
        "  efficiency: {:.4} %  (dive: {:.4} %)",
        w.efficiency * 100.0,
        dive.efficiency * 100.0
    )?;
    writeln!(
        o,
        "  wastedBytes: {} bytes ({})  (dive: {} bytes)",
        w.wasted_bytes,
        format_bytes_si(w.wasted_bytes),
        dive.wasted_bytes
    )?;
    writeln!(
        o,
        "  userWastedPercent: {:.4} %  (dive: {:.4} %)",
        w.user_wasted_percent * 100.0,
        dive.user_wasted_percent * 100.0
    )?;
    writeln!(o, "Inefficient Files:")?;
    let mut table = vec![vec![
        "Count".into(),
        "Wasted Space".into(),
        "File Path".into(),
    ]];
    for p in w.wasted_paths.iter().take(20) {
        let copies = p.layers.len() + usize::from(!p.deleted);
        table.push(vec![
            copies.to_string(),
            format_bytes_si(p.wasted_bytes),
            format!("/{}", p.path),
        ]);
    }
    drop(o);
    print_table(&table)?;
    let mut o = out();
    writeln!(o, "Results:")?;
    for r in &results {
        let on = match r.judged_on {
            Some("dive") => " [dive's numbers, from .dive-ci]",
            _ => "",
        };
        if r.detail.is_empty() {
            writeln!(o, "  {}: {}{on}", r.status, r.name)?;
        } else {
            writeln!(o, "  {}: {}: {}{on}", r.status, r.name, r.detail)?;
        }
    }
    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    writeln!(
        o,
        "Result:{} [Total:{}] [Passed:{}] [Failed:{}] [Warn:0] [Skipped:{}]",
        if passed { "PASS" } else { "FAIL" },
        results.len(),
        count("PASS"),
        count("FAIL"),
        count("SKIP")
    )?;
    Ok(code)
}
