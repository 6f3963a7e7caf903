//! `.dive-ci`, dive's CI rules file, read as dive reads it: YAML with a `rules:` section whose
//! values are dive's syntax — ratios (`0.95`, and here also `95%`), sizes as go-humanize
//! parses them (`50kB` is 50,000 bytes, `2MiB` 2,097,152), or `disabled`. A rule that comes
//! from this file is judged on dive's own numbers ([`strata_core::dive`]), since its threshold
//! was tuned against them; a rule given as a flag is judged on Strata's.
//!
//! Only the subset of YAML such files use is read (a mapping of scalars, comments, quotes);
//! anything else is refused with the line that holds it.

use anyhow::{Result, bail};

/// One rule's setting: off, or a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Setting<T> {
    Disabled,
    Threshold(T),
}

/// The rules a `.dive-ci` file sets (`None`: not in the file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiveCi {
    pub lowest_efficiency: Option<Setting<f64>>,
    pub highest_wasted_bytes: Option<Setting<u64>>,
    pub highest_user_wasted_percent: Option<Setting<f64>>,
}

/// Parses a `.dive-ci` file's text; `name` is what errors call it.
pub fn parse(name: &str, text: &str) -> Result<DiveCi> {
    let mut ci = DiveCi::default();
    let mut section: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let Some((key, value)) = line.trim().split_once(':') else {
            bail!(
                "{name}:{line_no}: expected `key: value`, found `{}`",
                line.trim()
            );
        };
        let (key, value) = (key.trim(), unquote(value.trim()));
        if !indented {
            section = Some(key.to_owned());
            if !value.is_empty() {
                // `rules.lowestEfficiency: 0.9` at the top level, as viper also accepts.
                if let Some(rule) = key.strip_prefix("rules.") {
                    set(&mut ci, name, line_no, rule, value)?;
                }
                section = None;
            }
            continue;
        }
        if section.as_deref() == Some("rules") {
            set(&mut ci, name, line_no, key, value)?;
        }
    }
    Ok(ci)
}

fn set(ci: &mut DiveCi, name: &str, line_no: usize, key: &str, value: &str) -> Result<()> {
    let at = || format!("{name}:{line_no}: rules.{key}");
    match key {
        "lowestEfficiency" => {
            ci.lowest_efficiency = Some(ratio(value).map_err(|e| e.context(at()))?)
        }
        "highestWastedBytes" => {
            ci.highest_wasted_bytes = Some(match value {
                "disabled" => Setting::Disabled,
                v => Setting::Threshold(parse_bytes(v).map_err(|e| e.context(at()))?),
            });
        }
        "highestUserWastedPercent" => {
            ci.highest_user_wasted_percent = Some(ratio(value).map_err(|e| e.context(at()))?)
        }
        other => {
            eprintln!("strata: {name}:{line_no}: rules.{other} is not a rule dive has; ignored")
        }
    }
    Ok(())
}

/// A ratio between 0 and 1 (`0.95`, or `95%`), or `disabled`.
fn ratio(value: &str) -> Result<Setting<f64>> {
    if value == "disabled" {
        return Ok(Setting::Disabled);
    }
    let v = match value.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => value.parse::<f64>(),
    }
    .map_err(|_| anyhow::anyhow!("`{value}` is not a ratio (0.95, 95% or disabled)"))?;
    if !(0.0..=1.0).contains(&v) {
        bail!("`{value}` is outside the allowed range 0-1");
    }
    Ok(Setting::Threshold(v))
}

/// A size as go-humanize's `ParseBytes` reads it: a number, optional space, an optional unit
/// (`B`, `kB`/`K`/`KB` 10³, `KiB`/`Ki` 2¹⁰, up to exa), case-insensitive.
pub fn parse_bytes(value: &str) -> Result<u64> {
    let bad = || anyhow::anyhow!("`{value}` is not a size (1000, 50kB, 2MB, 1.5GiB or disabled)");
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(bad()),
    };
    let bytes = number * multiplier;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || line[..i].ends_with([' ', '\t']) => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_go_humanize_reads_them() {
        #[track_caller]
        fn check(s: &str, want: u64) {
            assert_eq!(parse_bytes(s).unwrap(), want, "{s}");
        }
        check("0", 0);
        check("1000", 1000);
        check("50kB", 50_000);
        check("50 KB", 50_000);
        check("2MB", 2_000_000);
        check("2MiB", 2 << 20);
        check("1.5GB", 1_500_000_000);
        check("20mb", 20_000_000);
        check("3K", 3000);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
    }

    #[test]
    fn a_dive_ci_file_sets_the_rules_it_names() {
        let ci = parse(
            ".dive-ci",
            "# dive's own example\nrules:\n  # ratio\n  lowestEfficiency: 0.95\n  highestWastedBytes: \"20MB\"  # size\n  highestUserWastedPercent: disabled\nother:\n  key: value\n",
        )
        .unwrap();
        assert_eq!(ci.lowest_efficiency, Some(Setting::Threshold(0.95)));
        assert_eq!(
            ci.highest_wasted_bytes,
            Some(Setting::Threshold(20_000_000))
        );
        assert_eq!(ci.highest_user_wasted_percent, Some(Setting::Disabled));
        let pct = parse("f", "rules:\n  lowestEfficiency: 95%\n").unwrap();
        assert_eq!(pct.lowest_efficiency, Some(Setting::Threshold(0.95)));
        assert_eq!(pct.highest_wasted_bytes, None);
        let err = parse("f", "rules:\n  lowestEfficiency: 1.5\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("f:2: rules.lowestEfficiency"),
            "{err:#}"
        );
        assert!(parse("f", "rules:\n  nonsense\n").is_err());
    }
}
