//! The SBOMs an image carries (BuildKit's SBOM attestation, an in-toto SBOM under cosign's
//! `.att`, cosign's `.sbom`, an SBOM referrer) set beside the packages Strata read from its
//! layers: which packages only the SBOM lists, which only the layers hold, and which both name
//! at different versions. The matching is [`crate::supply_chain::sbom::compare_packages`]'s
//! (package-URL type and name); this file turns the package report into that list and the
//! answer into what the Packages view, the Supply chain view and the CLI print, each
//! difference pointing back at the package it names.

use crate::packages::{Ecosystem, PackageIdx, PackageReport};
use crate::supply_chain::SupplyChain;
use crate::supply_chain::sbom::{self, Sbom, compare_packages};
use serde::Serialize;
use std::collections::HashMap;

/// A package the SBOM lists and the layers do not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A package the layers hold and the SBOM does not list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// In the package report (the Packages view opens it).
    pub id: PackageIdx,
    /// As the Packages view names it (`libc6:amd64`).
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
}

/// A package both name, at different versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Differs {
    pub id: PackageIdx,
    pub name: String,
    /// `None`: the SBOM gives no version.
    pub sbom_version: Option<String>,
    pub layers_version: String,
}

/// One SBOM compared with the layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SbomComparison {
    /// The manifest holding the SBOM, and how it was found (`attestation manifest in the
    /// index`, `cosign tag sha256-….sbom`).
    pub artifact: String,
    /// The blob holding it (a manifest may hold several SBOMs, one a layer).
    pub layer: String,
    pub found: String,
    /// `SPDX-2.3`, `CycloneDX 1.6`.
    pub format: String,
    /// The tools the SBOM says wrote it.
    pub creators: Vec<String>,
    pub sbom_packages: usize,
    /// The final image's packages, as the layers hold them.
    pub layer_packages: usize,
    pub same: usize,
    pub only_in_sbom: Vec<Listed>,
    pub only_in_layers: Vec<Found>,
    pub version_differs: Vec<Differs>,
}

impl SbomComparison {
    /// How many packages the two disagree on.
    pub fn differences(&self) -> usize {
        self.only_in_sbom.len() + self.only_in_layers.len() + self.version_differs.len()
    }

    /// `12 the same, 1 only in the SBOM, 2 only in the layers, 1 at another version`.
    pub fn summary(&self) -> String {
        if self.sbom_packages == 0 && self.layer_packages == 0 {
            return "neither the SBOM nor the layers list a package".into();
        }
        let mut parts = vec![format!("{} the same", self.same)];
        if !self.only_in_sbom.is_empty() {
            parts.push(format!("{} only in the SBOM", self.only_in_sbom.len()));
        }
        if !self.only_in_layers.is_empty() {
            parts.push(format!("{} only in the layers", self.only_in_layers.len()));
        }
        if !self.version_differs.is_empty() {
            parts.push(format!("{} at another version", self.version_differs.len()));
        }
        parts.join(", ")
    }
}

/// The final image's packages as an SBOM would list them (the package manager's name, not
/// the table's `name:arch`; Strata's package URL), each with its index in the report.
pub fn layer_packages(report: &PackageReport) -> Vec<(PackageIdx, sbom::Package)> {
    report
        .final_packages()
        .map(|(id, p)| {
            (
                id,
                sbom::Package {
                    name: p.package.name.clone(),
                    version: Some(p.package.version.clone()),
                    purl: Some(p.purl.clone()),
                    license: p.package.license.clone(),
                },
            )
        })
        .collect()
}

/// Compares one SBOM with the final image's packages.
pub fn compare(
    report: &PackageReport,
    (artifact, layer): (&str, &str),
    found: &str,
    s: &Sbom,
) -> SbomComparison {
    let ours = layer_packages(report);
    let list: Vec<sbom::Package> = ours.iter().map(|(_, p)| p.clone()).collect();
    // The comparison answers with the packages themselves; their package URL (one per name,
    // version and architecture) leads back to the report's entry.
    let by_purl: HashMap<&str, PackageIdx> = ours
        .iter()
        .rev()
        .filter_map(|(id, p)| Some((p.purl.as_deref()?, *id)))
        .collect();
    let id_of = |p: &sbom::Package| p.purl.as_deref().and_then(|u| by_purl.get(u).copied());
    let name_of = |id: PackageIdx, p: &sbom::Package| {
        report
            .get(id)
            .map_or_else(|| p.name.clone(), super::packages::display_name)
    };
    let c = compare_packages(&s.packages, &list);
    let mut only_in_layers: Vec<Found> = c
        .only_in_layers
        .iter()
        .filter_map(|p| {
            let id = id_of(p)?;
            let inst = report.get(id)?;
            Some(Found {
                id,
                name: name_of(id, p),
                version: inst.package.version.clone(),
                ecosystem: inst.ecosystem,
            })
        })
        .collect();
    only_in_layers.sort_by_key(|a| a.name.to_lowercase());
    let mut version_differs: Vec<Differs> = c
        .version_differs
        .iter()
        .filter_map(|(theirs, ours)| {
            let id = id_of(ours)?;
            Some(Differs {
                id,
                name: name_of(id, ours),
                sbom_version: theirs.version.clone(),
                layers_version: ours.version.clone().unwrap_or_default(),
            })
        })
        .collect();
    version_differs.sort_by_key(|a| a.name.to_lowercase());
    let mut only_in_sbom: Vec<Listed> = c
        .only_in_sbom
        .into_iter()
        .map(|p| Listed {
            name: p.name,
            version: p.version,
            purl: p.purl,
        })
        .collect();
    only_in_sbom.sort_by_key(|a| a.name.to_lowercase());
    SbomComparison {
        artifact: artifact.to_owned(),
        layer: layer.to_owned(),
        found: found.to_owned(),
        format: s.format.clone(),
        creators: s.creators.clone(),
        sbom_packages: s.packages.len(),
        layer_packages: list.len(),
        same: c.same,
        only_in_sbom,
        only_in_layers,
        version_differs,
    }
}

/// Every SBOM of the supply chain report compared with the layers: attestations first (as
/// the Supply chain view lists them), then SBOMs attached as files.
pub fn comparisons(report: &PackageReport, chain: &SupplyChain) -> Vec<SbomComparison> {
    let attested = chain.attestations.iter().filter_map(|a| {
        let s = a.sbom.as_ref()?;
        Some(compare(
            report,
            (a.artifact.as_str(), a.layer.as_str()),
            &a.found.label(),
            s,
        ))
    });
    let attached = chain.attached_sboms.iter().map(|a| {
        compare(
            report,
            (a.artifact.as_str(), a.layer.as_str()),
            &a.found.label(),
            &a.sbom,
        )
    });
    attested.chain(attached).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::PackageInstance;

    /// The Packages view's test package, with an OS package's purl.
    fn instance(name: &str, version: &str, e: Ecosystem) -> PackageInstance {
        let mut p = crate::views::packages::tests::instance(name, version, e, 1, 1);
        p.purl = format!("pkg:{}/debian/{name}@{version}?arch=amd64", e.purl_type());
        p
    }

    fn listed(name: &str, version: &str, purl: Option<&str>) -> sbom::Package {
        sbom::Package {
            name: name.into(),
            version: Some(version.into()),
            purl: purl.map(str::to_owned),
            license: None,
        }
    }

    #[test]
    fn each_difference_points_at_its_package() {
        let mut gone = instance("gone", "1", Ecosystem::Deb);
        gone.removed_in = Some(2);
        let report = PackageReport {
            packages: vec![
                instance("bash", "5.2.15-2", Ecosystem::Deb),
                instance("zlib1g", "1:1.2.13", Ecosystem::Deb),
                instance("extra", "9", Ecosystem::Deb),
                gone,
            ],
            ..PackageReport::default()
        };
        let s = Sbom {
            format: "SPDX-2.3".into(),
            name: None,
            created: None,
            creators: vec!["Tool: syft".into()],
            packages: vec![
                listed("bash", "5.2.15-2", Some("pkg:deb/debian/bash@5.2.15-2")),
                listed("zlib1g", "1:1.2.12", Some("pkg:deb/debian/zlib1g@1:1.2.12")),
                listed("gone", "1", Some("pkg:deb/debian/gone@1")),
            ],
        };
        let c = compare(
            &report,
            ("sha256:ab", "sha256:cd"),
            "attestation manifest in the index",
            &s,
        );
        assert_eq!((c.same, c.sbom_packages, c.layer_packages), (1, 3, 3));
        // A package removed by a later layer is not in the final image: the SBOM's is extra.
        assert_eq!(c.only_in_sbom.len(), 1);
        assert_eq!(c.only_in_sbom[0].name, "gone");
        assert_eq!(c.only_in_layers.len(), 1);
        assert_eq!(
            (c.only_in_layers[0].id, c.only_in_layers[0].name.as_str()),
            (PackageIdx(2), "extra:amd64")
        );
        assert_eq!(
            c.version_differs,
            [Differs {
                id: PackageIdx(1),
                name: "zlib1g:amd64".into(),
                sbom_version: Some("1:1.2.12".into()),
                layers_version: "1:1.2.13".into(),
            }]
        );
        assert_eq!(c.differences(), 3);
        assert_eq!(
            c.summary(),
            "1 the same, 1 only in the SBOM, 1 only in the layers, 1 at another version"
        );
        let empty = compare(
            &PackageReport::default(),
            ("", ""),
            "",
            &Sbom {
                packages: vec![],
                ..s
            },
        );
        assert_eq!(
            empty.summary(),
            "neither the SBOM nor the layers list a package"
        );
    }
}
