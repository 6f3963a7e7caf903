//! SBOMs: SPDX 2.x JSON (`spdxVersion`, `packages[]`) and CycloneDX JSON (`bomFormat`,
//! `components[]`, nested), whether attached bare (cosign's `.sbom` tag, an OCI referrer with
//! `artifactType` `application/spdx+json`) or as the predicate of an in-toto statement
//! (BuildKit's `--sbom`, `cosign attest --type spdxjson`). Each becomes one package list, so a
//! Packages view can set it beside what the layers hold ([`compare_packages`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document";
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";

/// Whether a predicate type or media type is an SBOM this module reads.
pub fn is_sbom_predicate(predicate_type: &str) -> bool {
    predicate_type.starts_with(SPDX_PREDICATE) || predicate_type.starts_with(CYCLONEDX_PREDICATE)
}

/// Whether a layer's media type is an SBOM file (cosign `.sbom`, SBOM referrers).
pub fn is_sbom_media_type(media_type: &str) -> bool {
    let mt = media_type.split(';').next().unwrap_or("").trim();
    matches!(
        mt,
        "text/spdx+json"
            | "application/spdx+json"
            | "text/spdx"
            | "application/vnd.cyclonedx+json"
            | "application/vnd.cyclonedx"
    )
}

/// One package an SBOM lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: Option<String>,
    /// The package URL (`pkg:deb/debian/bash@5.2.15-2?arch=amd64`), when given.
    pub purl: Option<String>,
    pub license: Option<String>,
}

impl Package {
    /// The purl's type (`deb`, `apk`, `npm`, `pypi`, `golang`), which says which package
    /// manager's database in the layers it should appear in.
    pub fn ecosystem(&self) -> Option<&str> {
        let rest = self.purl.as_deref()?.strip_prefix("pkg:")?;
        rest.split('/').next().filter(|t| !t.is_empty())
    }

    fn key(&self) -> (String, String) {
        (
            self.ecosystem().unwrap_or("").to_ascii_lowercase(),
            self.name.to_ascii_lowercase(),
        )
    }
}

/// An SBOM, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    /// `SPDX-2.3`, `CycloneDX 1.5`.
    pub format: String,
    pub name: Option<String>,
    pub created: Option<String>,
    /// The tools that wrote it (`Tool: syft-1.0`, `buildkit`).
    pub creators: Vec<String>,
    pub packages: Vec<Package>,
}

/// Reads an SPDX 2.x or CycloneDX JSON document.
pub fn read_sbom(bytes: &[u8], limits: &crate::Limits) -> Result<Sbom, String> {
    read_sbom_at(bytes, false, limits)
}

/// Reads the SBOM that is the `predicate` of an in-toto statement, from the statement's bytes.
pub fn read_sbom_predicate(statement: &[u8], limits: &crate::Limits) -> Result<Sbom, String> {
    read_sbom_at(statement, true, limits)
}

/// Parses `T` from the document, or from its `predicate` member when `nested`, without
/// building the rest of the statement.
fn parse_at<T: serde::de::DeserializeOwned>(bytes: &[u8], nested: bool) -> serde_json::Result<T> {
    #[derive(Deserialize)]
    struct Nested<T> {
        predicate: T,
    }
    if nested {
        serde_json::from_slice::<Nested<T>>(bytes).map(|n| n.predicate)
    } else {
        serde_json::from_slice(bytes)
    }
}

fn read_sbom_at(bytes: &[u8], nested: bool, limits: &crate::Limits) -> Result<Sbom, String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "spdxVersion")]
        spdx_version: Option<String>,
        #[serde(rename = "bomFormat")]
        bom_format: Option<String>,
        #[serde(rename = "@context")]
        context: Option<serde_json::Value>,
    }
    // The size and depth limits first; then the typed reads.
    crate::model::parse_json::<serde::de::IgnoredAny>("the SBOM", bytes, limits)
        .map_err(|e| e.to_string())?;
    let probe: Probe = parse_at(bytes, nested).map_err(|e| format!("the SBOM: {e}"))?;
    if let Some(version) = probe.spdx_version {
        return read_spdx(bytes, nested, version);
    }
    if probe.bom_format.as_deref() == Some("CycloneDX") {
        return read_cyclonedx(bytes, nested);
    }
    if probe.context.is_some() {
        return Err("SPDX 3 (JSON-LD) documents are not read yet".into());
    }
    Err("neither an SPDX 2 document (`spdxVersion`) nor a CycloneDX one (`bomFormat`)".into())
}

fn read_spdx(bytes: &[u8], nested: bool, version: String) -> Result<Sbom, String> {
    #[derive(Deserialize)]
    struct Doc {
        name: Option<String>,
        #[serde(rename = "creationInfo", default)]
        creation: Option<Creation>,
        #[serde(default)]
        packages: Vec<SpdxPackage>,
    }
    #[derive(Deserialize)]
    struct Creation {
        created: Option<String>,
        #[serde(default)]
        creators: Vec<String>,
    }
    #[derive(Deserialize)]
    struct SpdxPackage {
        #[serde(default)]
        name: String,
        #[serde(rename = "versionInfo")]
        version: Option<String>,
        #[serde(rename = "licenseConcluded")]
        license_concluded: Option<String>,
        #[serde(rename = "licenseDeclared")]
        license_declared: Option<String>,
        #[serde(rename = "externalRefs", default)]
        external_refs: Vec<ExternalRef>,
    }
    #[derive(Deserialize)]
    struct ExternalRef {
        #[serde(rename = "referenceType", default)]
        kind: String,
        #[serde(rename = "referenceLocator", default)]
        locator: String,
    }
    let doc: Doc = parse_at(bytes, nested).map_err(|e| format!("the SPDX document: {e}"))?;
    let meaningful = |l: Option<String>| l.filter(|l| l != "NOASSERTION" && l != "NONE");
    let packages = doc
        .packages
        .into_iter()
        .map(|p| Package {
            purl: p
                .external_refs
                .into_iter()
                .find(|r| r.kind == "purl")
                .map(|r| r.locator),
            license: meaningful(p.license_concluded).or(meaningful(p.license_declared)),
            name: p.name,
            version: p.version,
        })
        .collect();
    let creation = doc.creation;
    Ok(Sbom {
        format: version,
        name: doc.name,
        created: creation.as_ref().and_then(|c| c.created.clone()),
        creators: creation.map(|c| c.creators).unwrap_or_default(),
        packages,
    })
}

fn read_cyclonedx(bytes: &[u8], nested: bool) -> Result<Sbom, String> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "specVersion")]
        spec_version: Option<String>,
        metadata: Option<Metadata>,
        #[serde(default)]
        components: Vec<Component>,
    }
    #[derive(Deserialize)]
    struct Metadata {
        timestamp: Option<String>,
        tools: Option<serde_json::Value>,
        component: Option<Component>,
    }
    #[derive(Deserialize)]
    struct Component {
        #[serde(default)]
        name: String,
        version: Option<String>,
        purl: Option<String>,
        #[serde(default)]
        licenses: Vec<serde_json::Value>,
        #[serde(default)]
        components: Vec<Component>,
    }
    fn flatten(list: Vec<Component>, out: &mut Vec<Package>) {
        for c in list {
            let license = c.licenses.iter().find_map(|l| {
                l.get("expression")
                    .or_else(|| l.pointer("/license/id"))
                    .or_else(|| l.pointer("/license/name"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            });
            out.push(Package {
                name: c.name,
                version: c.version,
                purl: c.purl,
                license,
            });
            flatten(c.components, out);
        }
    }
    let doc: Doc = parse_at(bytes, nested).map_err(|e| format!("the CycloneDX document: {e}"))?;
    let mut packages = Vec::new();
    flatten(doc.components, &mut packages);
    let metadata = doc.metadata;
    // `tools` is an array (1.4) or an object with `components` (1.5).
    let creators = metadata
        .as_ref()
        .and_then(|m| m.tools.as_ref())
        .map(|t| {
            let list = t
                .get("components")
                .and_then(|c| c.as_array())
                .or_else(|| t.as_array());
            list.into_iter()
                .flatten()
                .filter_map(|tool| {
                    let name = tool.get("name")?.as_str()?;
                    Some(match tool.get("version").and_then(|v| v.as_str()) {
                        Some(v) => format!("{name}-{v}"),
                        None => name.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Sbom {
        format: format!("CycloneDX {}", doc.spec_version.unwrap_or_default())
            .trim_end()
            .to_owned(),
        name: metadata
            .as_ref()
            .and_then(|m| m.component.as_ref())
            .map(|c| c.name.clone()),
        created: metadata.and_then(|m| m.timestamp),
        creators,
        packages,
    })
}

/// An SBOM's packages set beside the packages found in the layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageComparison {
    /// Listed by the SBOM, not found in the layers.
    pub only_in_sbom: Vec<Package>,
    /// Found in the layers, not listed by the SBOM.
    pub only_in_layers: Vec<Package>,
    /// Both, at different versions: (the SBOM's, the layers').
    pub version_differs: Vec<(Package, Package)>,
    /// Both, at the same version.
    pub same: usize,
}

/// Compares an SBOM's packages with those a Packages view found in the layers, by ecosystem
/// (the purl type) and name; a package without a purl matches by name alone.
pub fn compare_packages(sbom: &[Package], layers: &[Package]) -> PackageComparison {
    let mut theirs: BTreeMap<(String, String), &Package> = BTreeMap::new();
    for p in layers {
        theirs.insert(p.key(), p);
    }
    let mut by_name: BTreeMap<String, &Package> = BTreeMap::new();
    for p in layers {
        by_name.entry(p.name.to_ascii_lowercase()).or_insert(p);
    }
    let mut out = PackageComparison::default();
    let mut matched = std::collections::BTreeSet::new();
    for p in sbom {
        let hit = theirs.get(&p.key()).copied().or_else(|| {
            (p.ecosystem().is_none())
                .then(|| by_name.get(&p.name.to_ascii_lowercase()).copied())
                .flatten()
        });
        match hit {
            Some(l) => {
                matched.insert(l.key());
                if l.version == p.version {
                    out.same += 1;
                } else {
                    out.version_differs.push((p.clone(), l.clone()));
                }
            }
            None => out.only_in_sbom.push(p.clone()),
        }
    }
    out.only_in_layers = layers
        .iter()
        .filter(|l| !matched.contains(&l.key()))
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, version, purl)
    type Listed<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

    #[track_caller]
    fn check(doc: &str, expect: Result<(&str, &[Listed<'_>]), &str>) {
        match (read_sbom(doc.as_bytes(), &crate::Limits::default()), expect) {
            (Ok(s), Ok((format, packages))) => {
                assert_eq!(s.format, format);
                let got: Vec<Listed<'_>> = s
                    .packages
                    .iter()
                    .map(|p| (p.name.as_str(), p.version.as_deref(), p.purl.as_deref()))
                    .collect();
                assert_eq!(got, packages);
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn spdx_and_cyclonedx_package_lists() {
        check(
            r#"{"spdxVersion":"SPDX-2.3","name":"img","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: syft-1.0"]},
               "packages":[{"name":"busybox","versionInfo":"1.36.1-r2","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/alpine/busybox@1.36.1-r2"}]},
                           {"name":"img","SPDXID":"SPDXRef-DocumentRoot"}]}"#,
            Ok((
                "SPDX-2.3",
                &[
                    (
                        "busybox",
                        Some("1.36.1-r2"),
                        Some("pkg:apk/alpine/busybox@1.36.1-r2"),
                    ),
                    ("img", None, None),
                ],
            )),
        );
        check(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":{"components":[{"name":"trivy","version":"0.50"}]}},
               "components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0",
                              "components":[{"name":"inner","version":"2"}]}]}"#,
            Ok((
                "CycloneDX 1.5",
                &[
                    ("left-pad", Some("1.3.0"), Some("pkg:npm/left-pad@1.3.0")),
                    ("inner", Some("2"), None),
                ],
            )),
        );
        check(
            r#"{"@context":"https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}"#,
            Err("SPDX 3"),
        );
        check(r#"{"hello":1}"#, Err("neither an SPDX 2 document"));
        let statement = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","predicate":{"spdxVersion":"SPDX-2.3","packages":[{"name":"a","versionInfo":"1"}]}}"#;
        let s = read_sbom_predicate(statement, &crate::Limits::default()).unwrap();
        assert_eq!((s.format.as_str(), s.packages.len()), ("SPDX-2.3", 1));
    }

    #[test]
    fn comparison_by_ecosystem_and_name() {
        let p = |name: &str, version: &str, purl: Option<&str>| Package {
            name: name.into(),
            version: Some(version.into()),
            purl: purl.map(str::to_owned),
            license: None,
        };
        let sbom = [
            p("bash", "5.2", Some("pkg:deb/debian/bash@5.2")),
            p("zlib", "1.2", Some("pkg:deb/debian/zlib@1.2")),
            p("gone", "1", Some("pkg:deb/debian/gone@1")),
        ];
        let layers = [
            p("bash", "5.2", Some("pkg:deb/debian/bash@5.2")),
            p("zlib", "1.3", Some("pkg:deb/debian/zlib@1.3")),
            p("extra", "9", Some("pkg:deb/debian/extra@9")),
        ];
        let c = compare_packages(&sbom, &layers);
        assert_eq!(c.same, 1);
        assert_eq!(c.version_differs.len(), 1);
        assert_eq!(c.only_in_sbom[0].name, "gone");
        assert_eq!(c.only_in_layers[0].name, "extra");
    }
}
