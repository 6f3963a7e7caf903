//! The package list as a software bill of materials: package URLs (purl-spec: `pkg:TYPE/
//! NAMESPACE/NAME@VERSION?QUALIFIERS`, percent-encoded, qualifiers sorted), SPDX 2.3 JSON and
//! CycloneDX 1.6 JSON. Each package carries the layer it came from (its diff_id) and the step
//! that made it: SPDX in `sourceInfo`, CycloneDX in `strata:*` properties.
//!
//! Licenses: a declared license that is an SPDX expression over the identifiers below goes in
//! as is; anything else (rpm's `GPLv2+`, free text) becomes an SPDX `LicenseRef-` with the text
//! kept in `hasExtractedLicensingInfos`, and a CycloneDX license `name`. No time is read: the
//! host passes the document's creation time.

use super::model::{Ecosystem, Package};
use super::os_release::OsRelease;
use super::python::normalise_name;
use super::report::{PackageInstance, PackageReport};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What the host knows about the image the SBOM describes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomSubject {
    /// How the user named it (a tag, a file name).
    pub name: String,
    /// The image ID (`sha256:…` of the config).
    pub image_id: String,
    /// Per layer (0-based), its diff_id when known.
    pub diff_ids: Vec<Option<String>>,
    /// RFC 3339, UTC (`2026-12-01T10:00:00Z`): the host's clock.
    pub created: String,
    /// `strata-cli 0.1.0`, as the creator tool.
    pub tool: String,
    pub tool_version: String,
}

/// purl-spec's percent-encoding: everything but unreserved characters.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The package URL of a package of `ecosystem`; `os` names the distribution of OS packages.
pub fn purl(ecosystem: Ecosystem, p: &Package, os: Option<&OsRelease>) -> String {
    let mut namespace: Vec<String> = Vec::new();
    let mut name = p.name.clone();
    let mut version = p.version.clone();
    let mut q: BTreeMap<&str, String> = BTreeMap::new();
    match ecosystem {
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
            let default = match ecosystem {
                Ecosystem::Deb => "debian",
                Ecosystem::Apk => "alpine",
                _ => "redhat",
            };
            namespace.push(os.map_or(default.to_owned(), |o| o.id.clone()));
            if let Some(a) = &p.arch {
                q.insert("arch", a.clone());
            }
            if let Some(o) = os {
                q.insert("distro", o.distro());
            }
            if ecosystem == Ecosystem::Rpm
                && let Some(e) = p.epoch
            {
                // rpm's epoch is a qualifier, not part of the version.
                q.insert("epoch", e.to_string());
                version = version
                    .split_once(':')
                    .map_or(version.clone(), |(_, v)| v.to_owned());
            }
            if let Some(s) = &p.source
                && ecosystem != Ecosystem::Rpm
                && s != &p.name
            {
                q.insert("upstream", s.clone());
            }
        }
        Ecosystem::Python => name = normalise_name(&p.name),
        Ecosystem::Npm => {
            if let Some((scope, n)) = p.name.split_once('/') {
                namespace.push(scope.to_owned());
                name = n.to_owned();
            }
        }
        Ecosystem::Go => {
            let mut parts: Vec<&str> = p.name.split('/').collect();
            name = parts.pop().unwrap_or("").to_owned();
            namespace = parts.into_iter().map(str::to_owned).collect();
            if version == "(devel)" {
                version.clear();
            }
        }
        Ecosystem::Cargo => {}
        Ecosystem::Maven => {
            if let Some(g) = &p.namespace {
                namespace.push(g.clone());
            }
        }
    }
    let mut out = format!("pkg:{}/", ecosystem.purl_type());
    for ns in namespace.iter().filter(|n| !n.is_empty()) {
        out.push_str(&enc(ns));
        out.push('/');
    }
    out.push_str(&enc(&name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&enc(&version));
    }
    let qs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    if !qs.is_empty() {
        out.push('?');
        out.push_str(&qs.join("&"));
    }
    out
}

/// SPDX license identifiers the SBOMs pass through as they are (the common ones; others become
/// `LicenseRef-`s, which every validator accepts).
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "MS-PL",
    "NCSA",
    "OFL-1.1",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "Unicode-DFS-2016",
    "Unicode-3.0",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];
const SPDX_EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "OpenSSL-exception",
];

/// The license as an SPDX expression, if it is one over [`SPDX_IDS`].
pub fn spdx_expression(license: &str) -> Option<String> {
    let spaced = license.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut expect_operand = true;
    let mut depth = 0i32;
    let mut after_with = false;
    for t in tokens {
        match t {
            "(" if expect_operand => depth += 1,
            ")" if !expect_operand => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            "AND" | "OR" | "and" | "or" if !expect_operand => {
                expect_operand = true;
                out.push(t.to_ascii_uppercase());
                continue;
            }
            "WITH" | "with" if !expect_operand => {
                expect_operand = true;
                after_with = true;
                out.push("WITH".into());
                continue;
            }
            id if expect_operand => {
                let list = if after_with {
                    SPDX_EXCEPTIONS
                } else {
                    SPDX_IDS
                };
                let base = id.strip_suffix('+').unwrap_or(id);
                let known = list.iter().find(|k| k.eq_ignore_ascii_case(base))?;
                out.push(if id.ends_with('+') && !after_with {
                    format!("{known}+")
                } else {
                    (*known).to_owned()
                });
                expect_operand = false;
                after_with = false;
                continue;
            }
            _ => return None,
        }
        out.push(t.to_owned());
    }
    (depth == 0 && !expect_operand).then(|| out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// An SPDX id: letters, digits, `.` and `-`.
fn spdx_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn layer_note(p: &PackageInstance, subject: &SbomSubject) -> String {
    let mut s = format!("strata: layer {}", p.layer);
    if let Some(Some(d)) = subject.diff_ids.get(p.layer - 1) {
        s.push_str(&format!(" ({d})"));
    }
    if let Some(step) = &p.step {
        s.push_str(&format!(", step: {}", crate::text::clip(step, 200)));
    }
    s.push_str(&format!(", found in /{}", p.location));
    s
}

/// An SPDX 2.3 JSON document of the final image's packages.
pub fn spdx(report: &PackageReport, subject: &SbomSubject) -> Value {
    let id_hex = subject.image_id.trim_start_matches("sha256:");
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Image",
        "name": subject.name,
        "versionInfo": subject.image_id,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();
    if let Some(os) = &report.os {
        packages.push(json!({
            "SPDXID": "SPDXRef-OperatingSystem",
            "name": os.id,
            "versionInfo": os.version_id.clone().unwrap_or_default(),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "OPERATING-SYSTEM",
            "description": os.pretty_name.clone().unwrap_or_default(),
        }));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": "SPDXRef-OperatingSystem",
        }));
    }
    for (i, p) in report.final_packages() {
        let id = spdx_id(&format!(
            "SPDXRef-Package-{}-{}-{}",
            p.ecosystem.name(),
            i.0,
            p.package.name
        ));
        let declared = match &p.package.license {
            None => "NOASSERTION".to_owned(),
            Some(l) => spdx_expression(l).unwrap_or_else(|| {
                let r = spdx_id(&format!("LicenseRef-{}", l.trim()));
                let r = crate::text::clip(&r, 120).replace('…', "");
                extracted.insert(r.clone(), l.clone());
                r
            }),
        };
        let mut pkg = json!({
            "SPDXID": id,
            "name": match &p.package.namespace {
                Some(ns) => format!("{ns}:{}", p.package.name),
                None => p.package.name.clone(),
            },
            "versionInfo": p.package.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "sourceInfo": layer_note(p, subject),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }],
        });
        if let Some(s) = &p.package.summary {
            pkg["summary"] = json!(s);
        }
        packages.push(pkg);
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": subject.name,
        "documentNamespace": format!("https://strata.invalid/spdx/{}-{}", enc(&subject.name), id_hex),
        "creationInfo": {
            "created": subject.created,
            "creators": [format!("Tool: {}-{}", subject.tool, subject.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    if !extracted.is_empty() {
        doc["hasExtractedLicensingInfos"] = Value::Array(
            extracted
                .into_iter()
                .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text}))
                .collect(),
        );
    }
    doc
}

/// A UUID-shaped serial number derived from the image ID (the same image gives the same
/// serial; CycloneDX asks for a UUID, not a random one).
fn serial(image_id: &str) -> String {
    let hex: String = image_id
        .trim_start_matches("sha256:")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    let mut h: Vec<char> = hex.chars().collect();
    h[12] = '5';
    h[16] = match h[16].to_digit(16).unwrap_or(0) & 0x3 {
        0 => '8',
        1 => '9',
        2 => 'a',
        _ => 'b',
    };
    let s: String = h.into_iter().collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// A CycloneDX 1.6 JSON document of the final image's packages.
pub fn cyclonedx(report: &PackageReport, subject: &SbomSubject) -> Value {
    let mut components = Vec::new();
    if let Some(os) = &report.os {
        components.push(json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id,
            "version": os.version_id.clone().unwrap_or_default(),
            "description": os.pretty_name.clone().unwrap_or_default(),
        }));
    }
    for (i, p) in report.final_packages() {
        let mut c = json!({
            "type": if matches!(p.ecosystem, Ecosystem::Go | Ecosystem::Cargo) && p.package.main { "application" } else { "library" },
            "bom-ref": format!("pkg-{}", i.0),
            "name": p.package.name,
            "version": p.package.version,
            "purl": p.purl,
        });
        if let Some(ns) = &p.package.namespace {
            c["group"] = json!(ns);
        }
        if let Some(s) = &p.package.summary {
            c["description"] = json!(s);
        }
        if let Some(l) = &p.package.license {
            c["licenses"] = match spdx_expression(l) {
                Some(e) if SPDX_IDS.contains(&e.as_str()) => json!([{"license": {"id": e}}]),
                Some(e) => json!([{"expression": e}]),
                None => json!([{"license": {"name": l}}]),
            };
        }
        let mut props = vec![
            json!({"name": "strata:ecosystem", "value": p.ecosystem.name()}),
            json!({"name": "strata:layer", "value": p.layer.to_string()}),
            json!({"name": "strata:location", "value": format!("/{}", p.location)}),
        ];
        if let Some(Some(d)) = subject.diff_ids.get(p.layer - 1) {
            props.push(json!({"name": "strata:layer:diffID", "value": d}));
        }
        if let Some(s) = &p.step {
            props.push(json!({"name": "strata:step", "value": s}));
        }
        c["properties"] = Value::Array(props);
        components.push(c);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial(&subject.image_id),
        "version": 1,
        "metadata": {
            "timestamp": subject.created,
            "tools": {"components": [{"type": "application", "name": subject.tool, "version": subject.tool_version}]},
            "component": {"type": "container", "bom-ref": "image", "name": subject.name, "version": subject.image_id},
        },
        "components": components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(e: Ecosystem, p: Package, os: Option<&OsRelease>, want: &str) {
        assert_eq!(purl(e, &p, os), want);
    }

    fn pkg(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ..Package::default()
        }
    }

    #[test]
    fn purls() {
        let debian = OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsRelease::default()
        };
        check(
            Ecosystem::Deb,
            Package {
                arch: Some("amd64".into()),
                source: Some("glibc".into()),
                ..pkg("libc6", "2.36-9+deb12u4")
            },
            Some(&debian),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        );
        check(
            Ecosystem::Deb,
            pkg("x", "1:2.0"),
            None,
            "pkg:deb/debian/x@1%3A2.0",
        );
        check(
            Ecosystem::Rpm,
            Package {
                arch: Some("x86_64".into()),
                epoch: Some(1),
                ..pkg("openssl", "1:3.0.7-27.el9")
            },
            None,
            "pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&epoch=1",
        );
        check(
            Ecosystem::Python,
            pkg("Foo_Bar", "1.0"),
            None,
            "pkg:pypi/foo-bar@1.0",
        );
        check(
            Ecosystem::Npm,
            pkg("@babel/core", "7.0.0"),
            None,
            "pkg:npm/%40babel/core@7.0.0",
        );
        check(
            Ecosystem::Go,
            pkg("github.com/a/b", "v1.2.3"),
            None,
            "pkg:golang/github.com/a/b@v1.2.3",
        );
        check(
            Ecosystem::Go,
            pkg("example.com/app", "(devel)"),
            None,
            "pkg:golang/example.com/app",
        );
        check(
            Ecosystem::Cargo,
            pkg("itoa", "1.0.11"),
            None,
            "pkg:cargo/itoa@1.0.11",
        );
        check(
            Ecosystem::Maven,
            Package {
                namespace: Some("org.example".into()),
                ..pkg("demo", "1.2.3")
            },
            None,
            "pkg:maven/org.example/demo@1.2.3",
        );
        check(
            Ecosystem::Apk,
            Package {
                arch: Some("x86_64".into()),
                ..pkg("musl", "1.2.4-r2")
            },
            None,
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
        );
    }

    #[test]
    fn expressions() {
        let check =
            |l: &str, want: Option<&str>| assert_eq!(spdx_expression(l).as_deref(), want, "{l}");
        check("MIT", Some("MIT"));
        check("mit", Some("MIT"));
        check("MIT OR Apache-2.0", Some("MIT OR Apache-2.0"));
        check(
            "(MIT OR Apache-2.0) AND BSD-3-Clause",
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause"),
        );
        check(
            "GPL-2.0-only WITH Classpath-exception-2.0",
            Some("GPL-2.0-only WITH Classpath-exception-2.0"),
        );
        check("GPLv2+", None);
        check("MIT OR", None);
        check("(MIT", None);
        check("BSD License", None);
        check("", None);
        assert_eq!(
            serial("sha256:0123456789abcdef0123456789abcdef0123"),
            "urn:uuid:01234567-89ab-5def-8123-456789abcdef"
        );
    }
}
