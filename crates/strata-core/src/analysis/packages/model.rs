//! What a package is, whatever database it came from: the [`Ecosystem`] that names it, and the
//! [`Package`] every reader returns (name, version, architecture, license, the files it says it
//! installed). Readers fill what their format has and leave the rest `None`; the report and the
//! SBOM read only this type, so a new reader needs nothing else.

use serde::{Deserialize, Serialize};

/// The package manager or language ecosystem a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian and Ubuntu: dpkg's `status`, distroless `status.d`.
    Deb,
    /// Alpine: `lib/apk/db/installed`.
    Apk,
    /// Fedora, RHEL, SUSE: rpmdb (SQLite, Berkeley DB, ndb).
    Rpm,
    /// Python distributions (`*.dist-info`, `*.egg-info`).
    Python,
    /// Node packages (`node_modules/**/package.json`).
    Npm,
    /// Go modules, from a binary's build info.
    Go,
    /// Rust crates, from a `cargo auditable` binary.
    Cargo,
    /// Java artefacts, from `pom.properties` inside jars.
    Maven,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 8] = [
        Ecosystem::Deb,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::Python,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::Cargo,
        Ecosystem::Maven,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Python => "python",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Maven => "maven",
        }
    }

    /// The package-url type (purl-spec `PURL-TYPES.rst`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Python => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "golang",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Maven => "maven",
        }
    }

    /// Whether the operating system's package manager owns these (their file lists are what
    /// "owned by a package" means for the unowned-executables finding and the Go/Rust probes).
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }

    pub fn parse(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// One package as a database or binary describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// As the package manager prints it: dpkg's `[epoch:]upstream[-revision]`, rpm's
    /// `[epoch:]version-release`, a Go module's `v1.2.3`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arch: Option<String>,
    /// Maven's groupId; a Go module's path is its name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    /// As declared (an SPDX expression or free text).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub license: Option<String>,
    /// The source package (dpkg `Source`, rpm `SOURCERPM`, apk origin).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// rpm's epoch, for package URLs (it is also in `version`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub epoch: Option<u64>,
    /// What the database declares, in bytes (dpkg's `Installed-Size` is KiB, converted).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub installed_size: Option<u64>,
    /// One line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// Files the package manager says it installed, as written there (absolute, or relative to
    /// the metadata's directory for Python); resolved against the image's tree later.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub files: Vec<String>,
    /// Go and Cargo: the main module or root crate of the binary (the others are its
    /// dependencies).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub main: bool,
}

impl Package {
    /// A copy with no file list (the report keeps files as owners).
    pub(crate) fn clone_without_files(p: &Package) -> Package {
        Package {
            name: p.name.clone(),
            version: p.version.clone(),
            arch: p.arch.clone(),
            namespace: p.namespace.clone(),
            license: p.license.clone(),
            source: p.source.clone(),
            epoch: p.epoch,
            installed_size: p.installed_size,
            summary: p.summary.clone(),
            files: Vec::new(),
            main: p.main,
        }
    }
}

/// Parses RFC 822-style stanzas (dpkg's `status`, Python's `METADATA`): `Name: value` lines,
/// continuation lines starting with a space or tab, stanzas separated by blank lines. Calls
/// `stanza` with each stanza's fields (names as written, values with continuation lines joined
/// by `\n`). Stops after `max` stanzas.
/// One stanza's fields, as [`rfc822_stanzas`] hands them over.
pub(crate) type Fields<'a> = [(&'a str, String)];

pub(crate) fn rfc822_stanzas(text: &str, max: usize, stanza: &mut dyn FnMut(&Fields<'_>)) -> usize {
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut n = 0;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !fields.is_empty() {
                if n >= max {
                    return n;
                }
                stanza(&fields);
                n += 1;
                fields.clear();
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim_start());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim(), v.trim().to_owned()));
        }
    }
    if !fields.is_empty() && n < max {
        stanza(&fields);
        n += 1;
    }
    n
}

/// The value of field `name` (case-insensitive), if present and not empty.
pub(crate) fn field(fields: &[(&str, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// The first line of a value, for summaries.
pub(crate) fn first_line(v: &str) -> String {
    crate::text::clip(v.lines().next().unwrap_or("").trim(), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: &[&[(&str, &str)]]) {
        let mut got = Vec::new();
        rfc822_stanzas(text, 100, &mut |f| {
            got.push(
                f.iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect::<Vec<_>>(),
            );
        });
        let want: Vec<Vec<(String, String)>> = expect
            .iter()
            .map(|s| {
                s.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect()
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stanzas() {
        check("", &[]);
        check("A: 1\nB: 2\n", &[&[("A", "1"), ("B", "2")]]);
        check("A: 1\n\n\nA: 2", &[&[("A", "1")], &[("A", "2")]]);
        check(
            "Description: one\n two\n .\n three\r\n",
            &[&[("Description", "one\ntwo\n.\nthree")]],
        );
        check(" orphan continuation\nA: x:y\n", &[&[("A", "x:y")]]);
    }
}
