//! The operating system, from `etc/os-release` (usually a symlink to `../usr/lib/os-release`,
//! which is read when `etc/os-release` is missing): os-release(5), shell-style `KEY=value`
//! lines. Its `ID` and `VERSION_ID` make the `distro` qualifier of package URLs
//! (`distro=debian-12`).

use serde::{Deserialize, Serialize};

pub const PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OsRelease {
    /// `debian`, `alpine`, `fedora`, `ubuntu`, …
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version_codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pretty_name: Option<String>,
    /// `ID_LIKE`, space-separated in the file.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub id_like: Vec<String>,
    /// The path it was read from.
    pub path: String,
}

impl OsRelease {
    /// `debian-12`, as package URLs' `distro` qualifier.
    pub fn distro(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{v}", self.id),
            None => self.id.clone(),
        }
    }
}

/// Parses an os-release file; `None` without an `ID` (os-release(5) says it then defaults to
/// `linux`, which names nothing useful).
pub fn parse(text: &str, path: &str) -> Option<OsRelease> {
    let mut os = OsRelease {
        path: path.to_owned(),
        ..OsRelease::default()
    };
    for line in text.lines().take(1000) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        match k.trim() {
            "ID" => os.id = v,
            "VERSION_ID" => os.version_id = Some(v).filter(|s| !s.is_empty()),
            "VERSION_CODENAME" => os.version_codename = Some(v).filter(|s| !s.is_empty()),
            "NAME" => os.name = Some(v).filter(|s| !s.is_empty()),
            "PRETTY_NAME" => os.pretty_name = Some(v).filter(|s| !s.is_empty()),
            "ID_LIKE" => os.id_like = v.split_whitespace().map(str::to_owned).collect(),
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

/// A shell-quoted value: `"…"` with backslash escapes, `'…'` as is, or bare.
fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.to_owned()
    } else {
        v.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: Option<(&str, Option<&str>, &str)>) {
        let got = parse(text, "etc/os-release");
        assert_eq!(
            got.as_ref()
                .map(|o| (o.id.as_str(), o.version_id.as_deref(), o.distro())),
            expect.map(|(a, b, c)| (a, b, c.to_owned()))
        );
    }

    #[test]
    fn os_release() {
        check(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
            Some(("debian", Some("12"), "debian-12")),
        );
        check(
            "ID='alpine'\nVERSION_ID=3.20.0\n",
            Some(("alpine", Some("3.20.0"), "alpine-3.20.0")),
        );
        check("ID=arch\n", Some(("arch", None, "arch")));
        check("# nothing\nNAME=x\n", None);
        check("ID=\"a\\\"b\"", Some(("a\"b", None, "a\"b")));
    }
}
