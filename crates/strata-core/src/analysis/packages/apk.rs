//! Alpine: apk's installed database, `lib/apk/db/installed` (apk-tools' "installed database"
//! format): one stanza per package, separated by blank lines, each line `K:value` with a
//! one-letter key: `P` name, `V` version, `A` architecture, `I` installed size in bytes, `L`
//! license, `o` origin (the source package), `T` description; `F` a directory (relative to
//! `/`) and each `R` after it a file in that directory, which is how apk records what a
//! package owns.

use super::model::Package;

pub const INSTALLED: &str = "lib/apk/db/installed";

/// The packages of an `installed` file, at most `max`.
pub fn parse_installed(text: &str, max: usize) -> Vec<Package> {
    let mut out = Vec::new();
    let mut current: Option<Package> = None;
    let mut dir = String::new();
    let finish = |p: Option<Package>, out: &mut Vec<Package>| {
        if let Some(p) = p.filter(|p| !p.name.is_empty())
            && out.len() < max
        {
            out.push(p);
        }
    };
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            finish(current.take(), &mut out);
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let p = current.get_or_insert_with(Package::default);
        match key {
            "P" => p.name = value.to_owned(),
            "V" => p.version = value.to_owned(),
            "A" => p.arch = Some(value.to_owned()),
            "I" => p.installed_size = value.parse().ok(),
            "L" => p.license = Some(value.to_owned()).filter(|l| !l.is_empty()),
            "o" => p.source = Some(value.to_owned()).filter(|o| !o.is_empty()),
            "T" => p.summary = Some(super::model::first_line(value)),
            "F" => {
                dir = value.trim_matches('/').to_owned();
                p.files.push(format!("/{dir}"));
            }
            "R" => p.files.push(if dir.is_empty() {
                format!("/{value}")
            } else {
                format!("/{dir}/{value}")
            }),
            _ => {}
        }
    }
    finish(current.take(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: &[(&str, &str, &[&str])]) {
        let got = parse_installed(text, 100);
        let got: Vec<(&str, &str, Vec<&str>)> = got
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.files.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let want: Vec<(&str, &str, Vec<&str>)> = expect
            .iter()
            .map(|(n, v, f)| (*n, *v, f.to_vec()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn installed() {
        check("", &[]);
        check(
            "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\n\
             P:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\nR:securetty\n",
            &[
                (
                    "musl",
                    "1.2.4-r2",
                    &[
                        "/lib",
                        "/lib/ld-musl-x86_64.so.1",
                        "/lib/libc.musl-x86_64.so.1",
                    ],
                ),
                (
                    "busybox",
                    "1.36.1-r5",
                    &["/bin", "/bin/busybox", "/etc", "/etc/securetty"],
                ),
            ],
        );
        // A stanza without a name is not a package.
        check("V:1\n\nP:a\nV:2\n", &[("a", "2", &[])]);
        let p = parse_installed("P:a\nV:1\nI:4096\no:src\nL:GPL-2.0-only\n", 1);
        assert_eq!(p[0].installed_size, Some(4096));
        assert_eq!(p[0].source.as_deref(), Some("src"));
        assert_eq!(p[0].license.as_deref(), Some("GPL-2.0-only"));
    }
}
