//! Debian and Ubuntu: dpkg's database. `var/lib/dpkg/status` holds one stanza per package
//! (deb-control(5) syntax: `Package`, `Version`, `Architecture`, `Status`, `Source`,
//! `Installed-Size` in KiB); distroless images have no `status` but one file per package in
//! `var/lib/dpkg/status.d/` (with `NAME.md5sums` beside it listing the files). The files a
//! package installed are in `var/lib/dpkg/info/NAME.list` (or `NAME:ARCH.list` for
//! `Multi-Arch: same` packages), one absolute path a line, directories included.
//!
//! Only packages whose `Status` ends in `installed` count, as `dpkg-query -W -f '${db:Status-Abbrev}'`
//! shows `ii`: a package removed but for its configuration files (`rc`, `config-files`) is
//! gone from the image as far as its files go.

use super::model::{Package, field, first_line, rfc822_stanzas};

/// Where dpkg keeps its database.
pub const STATUS: &str = "var/lib/dpkg/status";
pub const STATUS_D: &str = "var/lib/dpkg/status.d/";
pub const INFO: &str = "var/lib/dpkg/info/";

/// What a path in a layer is to dpkg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpkgFile {
    Status,
    /// A distroless `status.d/NAME` stanza.
    StatusD,
    /// `info/NAME[:ARCH].list`: the package's files.
    List {
        package: String,
    },
    /// `status.d/NAME.md5sums` (distroless) or `info/NAME.md5sums`: files with their md5.
    Md5sums {
        package: String,
    },
}

pub fn classify(path: &str) -> Option<DpkgFile> {
    if path == STATUS {
        return Some(DpkgFile::Status);
    }
    if let Some(name) = path.strip_prefix(STATUS_D) {
        if name.contains('/') || name.is_empty() || name.starts_with('.') {
            return None;
        }
        return Some(match name.strip_suffix(".md5sums") {
            Some(p) => DpkgFile::Md5sums {
                package: p.to_owned(),
            },
            None => DpkgFile::StatusD,
        });
    }
    if let Some(name) = path.strip_prefix(INFO)
        && !name.contains('/')
        && let Some(p) = name.strip_suffix(".list")
        && !p.is_empty()
    {
        return Some(DpkgFile::List {
            package: p.to_owned(),
        });
    }
    None
}

/// The installed packages of a `status` file (or one `status.d` stanza, where a missing
/// `Status` means installed). Returns them and how many stanzas were not installed.
pub fn parse_status(text: &str, status_d: bool, max: usize) -> (Vec<Package>, usize) {
    let mut out = Vec::new();
    let mut not_installed = 0;
    rfc822_stanzas(text, max, &mut |f| {
        let Some(name) = field(f, "Package") else {
            return;
        };
        let installed = match field(f, "Status") {
            // `want flag status`: the status word is the last.
            Some(s) => s.split_whitespace().last() == Some("installed"),
            None => status_d,
        };
        if !installed {
            not_installed += 1;
            return;
        }
        let source = field(f, "Source").map(|s| {
            // `Source: name (version)` when the source version differs.
            s.split_whitespace().next().unwrap_or("").to_owned()
        });
        out.push(Package {
            name,
            version: field(f, "Version").unwrap_or_default(),
            arch: field(f, "Architecture"),
            source: source.filter(|s| !s.is_empty()),
            installed_size: field(f, "Installed-Size")
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(|kib| kib.saturating_mul(1024)),
            summary: field(f, "Description").map(|d| first_line(&d)),
            ..Package::default()
        });
    });
    (out, not_installed)
}

/// The paths of a `.list` file.
pub fn parse_list(text: &str, max: usize) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with('/') && *l != "/" && *l != "/.")
        .take(max)
        .map(str::to_owned)
        .collect()
}

/// The paths of an `md5sums` file (`<md5>  <path relative to />`), made absolute.
pub fn parse_md5sums(text: &str, max: usize) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let (_, path) = l.split_once(char::is_whitespace)?;
            let path = path.trim_start();
            (!path.is_empty()).then(|| format!("/{}", path.trim_start_matches('/')))
        })
        .take(max)
        .collect()
}

/// The `.list` name of a package: `NAME` or, for Multi-Arch: same packages, `NAME:ARCH`. Both
/// are tried, as dpkg does.
pub fn list_names(p: &Package) -> [String; 2] {
    [
        p.name.clone(),
        format!("{}:{}", p.name, p.arch.as_deref().unwrap_or("")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, status_d: bool, expect: &[(&str, &str, Option<&str>)], skipped: usize) {
        let (got, not) = parse_status(text, status_d, 1000);
        let got: Vec<(&str, &str, Option<&str>)> = got
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.arch.as_deref()))
            .collect();
        assert_eq!(got, expect);
        assert_eq!(not, skipped);
    }

    #[test]
    fn status() {
        check("", false, &[], 0);
        check(
            "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\n\n\
             Package: b\nStatus: deinstall ok config-files\nVersion: 1\n\n\
             Package: c\nStatus: hold ok installed\nVersion: 3\nArchitecture: all\n",
            false,
            &[("a", "1:2.0-1", Some("amd64")), ("c", "3", Some("all"))],
            1,
        );
        // distroless: no Status field.
        check(
            "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            true,
            &[("tzdata", "2024a-0+deb12u1", Some("all"))],
            0,
        );
        check("Package: x\nVersion: 1\n", false, &[], 1);
    }

    #[test]
    fn fields() {
        let (p, _) = parse_status(
            "Package: libc6\nStatus: install ok installed\nSource: glibc (2.36-9)\nInstalled-Size: 12\nDescription: GNU C Library\n more\n",
            false,
            10,
        );
        assert_eq!(p[0].source.as_deref(), Some("glibc"));
        assert_eq!(p[0].installed_size, Some(12 * 1024));
        assert_eq!(p[0].summary.as_deref(), Some("GNU C Library"));
    }

    #[test]
    fn paths() {
        assert_eq!(classify("var/lib/dpkg/status"), Some(DpkgFile::Status));
        assert_eq!(
            classify("var/lib/dpkg/info/libc6:amd64.list"),
            Some(DpkgFile::List {
                package: "libc6:amd64".into()
            })
        );
        assert_eq!(classify("var/lib/dpkg/info/libc6.md5sums"), None);
        assert_eq!(
            classify("var/lib/dpkg/status.d/base.md5sums"),
            Some(DpkgFile::Md5sums {
                package: "base".into()
            })
        );
        assert_eq!(
            classify("var/lib/dpkg/status.d/base"),
            Some(DpkgFile::StatusD)
        );
        assert_eq!(classify("var/lib/dpkg/status-old"), None);
        assert_eq!(
            parse_list("/.\n/usr\n/usr/bin/ls\n\n", 10),
            ["/usr", "/usr/bin/ls"]
        );
        assert_eq!(
            parse_md5sums("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\n", 10),
            ["/usr/bin/x"]
        );
    }
}
