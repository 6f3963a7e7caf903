//! Python distributions: the core metadata (PEP 566 / 643, RFC 822 fields `Name`, `Version`,
//! `License`, `License-Expression`, `Summary`) of a wheel install (`NAME-VER.dist-info/METADATA`,
//! with `RECORD` beside it listing the files as CSV `path,hash,size`, relative to the
//! site-packages directory, PEP 376) or of an egg install (`NAME.egg-info/PKG-INFO` with
//! `installed-files.txt`, relative to the egg-info directory, or a single `NAME.egg-info` file
//! written by distutils).

use super::model::{Package, field, first_line, rfc822_stanzas};

/// What a path is to Python's packaging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonFile {
    /// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or a `*.egg-info` file.
    Metadata,
    /// `*.dist-info/RECORD`.
    Record,
    /// `*.egg-info/installed-files.txt`.
    InstalledFiles,
}

pub fn classify(path: &str, is_file: bool) -> Option<PythonFile> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let dir_name = dir.rsplit('/').next().unwrap_or(dir);
    if dir_name.ends_with(".dist-info") {
        return match name {
            "METADATA" => Some(PythonFile::Metadata),
            "RECORD" => Some(PythonFile::Record),
            _ => None,
        };
    }
    if dir_name.ends_with(".egg-info") {
        return match name {
            "PKG-INFO" => Some(PythonFile::Metadata),
            "installed-files.txt" => Some(PythonFile::InstalledFiles),
            _ => None,
        };
    }
    (is_file && name.ends_with(".egg-info") && name.len() > ".egg-info".len())
        .then_some(PythonFile::Metadata)
}

/// For a metadata path, where its file list is and which directory that list is relative to.
pub fn companion(metadata_path: &str) -> Option<(String, String)> {
    let (dir, name) = metadata_path.rsplit_once('/')?;
    let parent = dir.rsplit_once('/').map_or("", |(p, _)| p);
    match name {
        "METADATA" => Some((format!("{dir}/RECORD"), parent.to_owned())),
        "PKG-INFO" => Some((format!("{dir}/installed-files.txt"), dir.to_owned())),
        _ => None,
    }
}

/// The distribution a metadata file describes (`None` without a name).
pub fn parse_metadata(text: &str) -> Option<Package> {
    let mut out = None;
    // The headers end at the first blank line; the body (the long description) is not parsed.
    rfc822_stanzas(text, 1, &mut |f| {
        let Some(name) = field(f, "Name") else {
            return;
        };
        let license = field(f, "License-Expression")
            .or_else(|| {
                field(f, "License")
                    .filter(|l| l.len() <= 200 && !l.contains('\n') && l != "UNKNOWN")
            })
            .or_else(|| {
                // `Classifier: License :: OSI Approved :: MIT License`
                f.iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("Classifier"))
                    .find_map(|(_, v)| {
                        v.strip_prefix("License :: ")
                            .map(|l| l.rsplit(" :: ").next().unwrap_or(l).to_owned())
                    })
            })
            .filter(|l| l != "UNKNOWN");
        out = Some(Package {
            name,
            version: field(f, "Version").unwrap_or_default(),
            license,
            summary: field(f, "Summary").map(|s| first_line(&s)),
            ..Package::default()
        });
    });
    out
}

/// The paths of a `RECORD` (CSV, the path first, quoted when it holds a comma), made absolute
/// against `base` (the site-packages directory, no leading slash).
pub fn parse_record(text: &str, base: &str, max: usize) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let path = if let Some(rest) = l.strip_prefix('"') {
                // A quoted field: `""` is a quote.
                let mut p = String::new();
                let mut chars = rest.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            p.push('"');
                        } else {
                            break;
                        }
                    } else {
                        p.push(c);
                    }
                }
                p
            } else {
                l.split(',').next().unwrap_or("").to_owned()
            };
            join(base, &path)
        })
        .take(max)
        .collect()
}

/// The lines of `installed-files.txt`, made absolute against `base` (the egg-info directory).
pub fn parse_installed_files(text: &str, base: &str, max: usize) -> Vec<String> {
    text.lines()
        .filter_map(|l| join(base, l.trim_end()))
        .take(max)
        .collect()
}

/// `base/rel` with `.` and `..` resolved, as an absolute path; `None` if empty or above `/`.
pub(crate) fn join(base: &str, rel: &str) -> Option<String> {
    if rel.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    (!parts.is_empty()).then(|| format!("/{}", parts.join("/")))
}

/// PEP 503's normalised name: lowercase, runs of `-`, `_`, `.` as one `-` (pip and purls use it).
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_metadata(text: &str, expect: Option<(&str, &str, Option<&str>)>) {
        let got = parse_metadata(text);
        assert_eq!(
            got.as_ref()
                .map(|p| (p.name.as_str(), p.version.as_str(), p.license.as_deref())),
            expect
        );
    }

    #[test]
    fn metadata() {
        check_metadata(
            "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\nbody: x\n",
            Some(("six", "1.16.0", Some("MIT"))),
        );
        check_metadata(
            "Name: a\nVersion: 1\nLicense-Expression: Apache-2.0\nLicense: long text\n",
            Some(("a", "1", Some("Apache-2.0"))),
        );
        check_metadata(
            "Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\n",
            Some(("a", "1", Some("BSD License"))),
        );
        check_metadata("Version: 1\n", None);
        check_metadata("", None);
    }

    #[test]
    fn records() {
        assert_eq!(
            parse_record(
                "six.py,sha256=x,34549\nsix-1.16.0.dist-info/RECORD,,\n\"odd,name.py\",,1\n../../../bin/tool,sha256=y,10\n",
                "usr/lib/python3/site-packages",
                100
            ),
            [
                "/usr/lib/python3/site-packages/six.py",
                "/usr/lib/python3/site-packages/six-1.16.0.dist-info/RECORD",
                "/usr/lib/python3/site-packages/odd,name.py",
                "/usr/bin/tool",
            ]
        );
        assert_eq!(
            parse_installed_files("../six.py\n./\n", "site/six.egg-info", 10),
            ["/site/six.py", "/site/six.egg-info"]
        );
        assert_eq!(join("a", "../../x"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            classify("s/six-1.16.0.dist-info/METADATA", true),
            Some(PythonFile::Metadata)
        );
        assert_eq!(
            classify("s/six-1.16.0.dist-info/RECORD", true),
            Some(PythonFile::Record)
        );
        assert_eq!(
            classify("s/six.egg-info/PKG-INFO", true),
            Some(PythonFile::Metadata)
        );
        assert_eq!(
            classify("s/six-1.0.egg-info", true),
            Some(PythonFile::Metadata)
        );
        assert_eq!(classify("s/six-1.0.egg-info", false), None);
        assert_eq!(classify("s/six/METADATA", true), None);
        assert_eq!(
            companion("s/x.dist-info/METADATA"),
            Some(("s/x.dist-info/RECORD".into(), "s".into()))
        );
        assert_eq!(normalise_name("Foo_Bar..baz"), "foo-bar-baz");
    }
}
