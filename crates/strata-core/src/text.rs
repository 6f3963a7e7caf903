//! Small text helpers shared by view models and messages: byte sizes as people read them, and
//! clipping hostile strings before they go into a message.

/// Sizes as `docker history` and `docker images` print them: SI units and Go's `%.3g`
/// (go-units `HumanSizeWithPrecision(size, 3)`), so `1048576` is `1.05MB`.
pub fn format_bytes_si(n: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", format_g(value, 3), UNITS[unit])
}

/// `1.5 MiB`-style sizes with binary units, for the app.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else if value >= 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// Go's `%.{precision}g` for a non-negative value: `precision` significant digits, trailing
/// zeros dropped, and the exponent form where Go uses it (`1e+03` when 999.6 rounds up).
pub fn format_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.log10().floor() as i32;
    let p = precision as i32;
    // Round to `precision` significant digits first: rounding may carry into a new digit.
    let scale = 10f64.powi(p - 1 - exp);
    let rounded = (v * scale).round() / scale;
    let exp = if rounded > 0.0 {
        rounded.log10().floor() as i32
    } else {
        exp
    };
    if exp < -4 || exp >= p {
        let mantissa = rounded / 10f64.powi(exp);
        let m = trim_zeros(format!("{mantissa:.prec$}", prec = (p - 1).max(0) as usize));
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = (p - 1 - exp).max(0) as usize;
    trim_zeros(format!("{rounded:.decimals$}"))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// `2023-11-14 22:13:20` (UTC) for seconds since 1970, as `tar --full-time -tv` prints them.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `-rwsr-xr-x`, as `ls -l` shows a mode (setuid/setgid/sticky as s/S and t/T).
pub fn mode_string(kind: crate::tar::EntryKind, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(kind.letter());
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let special =
        |x: u32, special: u32, lower: char, upper: char| match (mode & x != 0, mode & special != 0)
        {
            (true, true) => lower,
            (false, true) => upper,
            (true, false) => 'x',
            (false, false) => '-',
        };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(0o001, 0o1000, 't', 'T'));
    s
}

/// Shows bidirectional control characters (U+202A–U+202E, U+2066–U+2069) as visible
/// `⟨U+202E⟩` markers: a label or file name cannot then reorder what is shown around it
/// ("Trojan Source"). Everything else is left as is.
pub fn reveal_bidi(s: &str) -> std::borrow::Cow<'_, str> {
    let is_control = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_control(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Efficiency as a percentage that never rounds 99.9999% up to 100%.
pub fn format_percent(share: f64) -> String {
    let p = share * 100.0;
    if share >= 1.0 {
        return "100%".into();
    }
    // One decimal, more when that would look like 100%.
    let mut decimals = 1usize;
    while decimals < 6 && 100.0 - p < 10f64.powi(-(decimals as i32)) {
        decimals += 1;
    }
    let floored = (p * 10f64.powi(decimals as i32)).floor() / 10f64.powi(decimals as i32);
    format!("{floored:.decimals$}%")
}

/// At most `max` characters of `s`, with `…` when cut; control characters shown escaped.
pub fn clip(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `1 layer`, `3 layers`: a count with its noun (regular plurals only).
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A JSON document re-indented for reading (two spaces, one member per line, as `jq .` lays it
/// out), changing whitespace outside strings only: keys keep their order and every string,
/// escape and number keeps its exact spelling, so removing the whitespace again gives the
/// original's tokens. Input that is not JSON still comes out whole (reformatted as far as it
/// goes); this is for showing, never for parsing.
pub fn pretty_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                // An empty object or array stays on one line: `{}`, `[]`.
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A sentence cut into prose and `code` spans (Markdown's single backticks), so a view can set
/// the code in a code face instead of showing the backticks. An unpaired backtick is prose.
pub fn code_spans(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        if open > 0 {
            out.push((false, &rest[..open]));
        }
        out.push((true, &rest[open + 1..open + 1 + len]));
        rest = &rest[open + len + 2..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pretty_json_changes_only_whitespace_outside_strings() {
        let raw = r#"{"b":1,"a":[],"c":{"x":"y, {z}: \"q\"","e":[1.50,2e3]},"d":{}}"#;
        let pretty = super::pretty_json(raw);
        assert_eq!(
            pretty,
            "{\n  \"b\": 1,\n  \"a\": [],\n  \"c\": {\n    \"x\": \"y, {z}: \\\"q\\\"\",\n    \"e\": [\n      1.50,\n      2e3\n    ]\n  },\n  \"d\": {}\n}\n"
        );
        // Whitespace out of strings removed again: the original, token for token.
        let mut back = String::new();
        let mut in_string = false;
        let mut escaped = false;
        for c in pretty.chars() {
            if in_string {
                back.push(c);
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
            } else if !c.is_ascii_whitespace() {
                in_string = c == '"';
                back.push(c);
            }
        }
        assert_eq!(back, raw);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(68719476736), "68,719,476,736");
    }

    #[test]
    fn code_spans_pair_backticks_and_leave_a_lone_one() {
        use super::code_spans;
        assert_eq!(
            code_spans("run `sh -c x` as `root`."),
            [
                (false, "run "),
                (true, "sh -c x"),
                (false, " as "),
                (true, "root"),
                (false, ".")
            ]
        );
        assert_eq!(code_spans("a ` b"), [(false, "a ` b")]);
        assert_eq!(code_spans("`x`"), [(true, "x")]);
        assert_eq!(code_spans(""), Vec::<(bool, &str)>::new());
    }

    use super::*;

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count(1, "layer"), "1 layer");
        assert_eq!(count(0, "step"), "0 steps");
        assert_eq!(count(3, "step"), "3 steps");
    }

    #[test]
    fn si_sizes_match_docker() {
        assert_eq!(format_bytes_si(0), "0B");
        assert_eq!(format_bytes_si(999), "999B");
        assert_eq!(format_bytes_si(1000), "1kB");
        assert_eq!(format_bytes_si(1_048_576), "1.05MB");
        assert_eq!(format_bytes_si(5_860_000), "5.86MB");
        assert_eq!(format_bytes_si(77_800_000), "77.8MB");
        assert_eq!(format_bytes_si(123_456_789_012), "123GB");
        assert_eq!(format_bytes_si(999_700), "1e+03kB");
        assert_eq!(format_g(0.000_012_34, 3), "1.23e-05");
    }

    #[test]
    fn binary_sizes() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(50 << 20), "50.0 MiB");
    }

    #[test]
    fn times_and_modes() {
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        use crate::tar::EntryKind;
        assert_eq!(mode_string(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryKind::File, 0o2640), "-rw-r-S---");
        assert_eq!(mode_string(EntryKind::Symlink, 0o777), "lrwxrwxrwx");
    }

    #[test]
    fn bidi_is_revealed_and_percentages_do_not_lie() {
        assert_eq!(reveal_bidi("plain"), "plain");
        assert_eq!(reveal_bidi("a\u{202e}b"), "a⟨U+202E⟩b");
        assert_eq!(format_percent(1.0), "100%");
        assert_eq!(format_percent(0.374_655), "37.4%");
        assert_eq!(format_percent(0.999_985_7), "99.998%");
    }

    #[test]
    fn clip_cuts_and_escapes() {
        assert_eq!(clip("abc", 2), "ab…");
        assert_eq!(clip("a\nb", 10), "a\\nb");
    }
}
