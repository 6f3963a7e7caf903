//! `strata packages`: what is installed in an image and by which layer, from the engine's
//! package analysis (`strata_core::packages`), as a table, JSON, or an SBOM (SPDX 2.3 or
//! CycloneDX 1.6 JSON), with the SBOMs the image carries (BuildKit's attestations, cosign's
//! `.sbom`, SBOM referrers: `strata supply-chain`'s lookup) compared with what the layers hold;
//! and the package section of `strata diff`. This file reads the bytes the
//! engine asks for (`read_ranges` over each layer's blob) and prints; the engine decides.

use crate::open::{ImageArgs, Opened};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde::Serialize;
use std::io::Write;
use strata_core::Analysis;
use strata_core::history::History;
use strata_core::layer::content::read_ranges;
use strata_core::packages::{
    self, Direction, Ecosystem, PackageDiff, PackageIdx, PackageInstance, PackageReport,
    SbomSubject, UnownedFile,
};
use strata_core::sbom_comparison::SbomComparison;
use strata_core::text::format_bytes;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum PackagesFormat {
    /// For people
    Table,
    /// Strata's report, for scripts
    Json,
    /// SPDX 2.3 JSON
    SpdxJson,
    /// CycloneDX 1.6 JSON
    CyclonedxJson,
}

/// Runs the package analysis over an opened image: the engine asks, this reads. `captured`:
/// the database files the layer scans kept (empty: everything is read again).
pub fn report(
    opened: &Opened,
    analysis: &Analysis,
    history: &History,
    captured: &[Vec<strata_core::layer::scan::Captured>],
) -> Result<PackageReport> {
    if opened.is_snapshot() {
        bail!(
            "a snapshot holds no file contents, so its package databases cannot be read; open the image it was made from"
        );
    }
    let layers = &opened.image.layers;
    Ok(packages::analyse_packages(
        &analysis.tree,
        history,
        &opened.limits,
        captured,
        &mut |layer, ranges| {
            let Some(blob) = layers.get(layer).and_then(|l| l.location) else {
                return ranges
                    .iter()
                    .map(|_| {
                        Err(strata_core::Error::Invalid {
                            what: format!("layer {}", layer + 1),
                            detail: "its blob is missing from the archive".into(),
                        })
                    })
                    .collect();
            };
            let compression = layers[layer]
                .compression
                .unwrap_or(strata_core::Compression::None);
            read_ranges(&opened.source, blob, compression, ranges)
        },
    ))
}

/// `strata packages IMAGE [--layer N] [--format …]`.
pub fn run(a: &ImageArgs, layer: Option<usize>, format: PackagesFormat) -> Result<i32> {
    let mut opened = a.open()?;
    if opened.is_snapshot() {
        bail!(
            "a snapshot holds no file contents, so its package databases cannot be read; open the image it was made from"
        );
    }
    // The layers are read once: the scan keeps the database files as they stream by.
    let (analysis, captured) = strata_core::scan_image_capturing(
        &mut opened.image,
        &opened.source,
        &opened.limits,
        Some(packages::CAPTURE),
        &mut |_, _, _| true,
    )?;
    let sizes: Vec<Option<u64>> = opened
        .image
        .layers
        .iter()
        .map(|l| l.uncompressed_size)
        .collect();
    let history = strata_core::history::history(&opened.image, &sizes);
    let r = report(&opened, &analysis, &history, &captured)?;
    let damage = analysis.damage(&opened.image);
    let n = analysis.tree.n_layers();
    let at = match layer {
        Some(l) if l == 0 || l > n => bail!("--layer {l}: the image has {n} layers (1 to {n})"),
        Some(l) => l,
        None => n,
    };
    // The SBOMs the image carries, set beside the final image's packages (not for a list after
    // an earlier layer, nor for Strata's own SBOM output).
    let sboms = match (format, layer) {
        (PackagesFormat::Table | PackagesFormat::Json, None) => sbom_comparisons(a, &r),
        _ => Ok(Vec::new()),
    };
    let mut o = std::io::stdout().lock();
    match format {
        PackagesFormat::Json => {
            let mut view = JsonReport::new(&r, &analysis, at, layer);
            view.sboms = match &sboms {
                Ok(list) => Some(list.as_slice()),
                Err(e) => {
                    eprintln!("strata: the image's SBOMs could not be looked up: {e:#}");
                    None
                }
            };
            serde_json::to_writer_pretty(&mut o, &view)?;
            writeln!(o)?;
        }
        PackagesFormat::SpdxJson | PackagesFormat::CyclonedxJson => {
            if layer.is_some() {
                bail!(
                    "an SBOM describes the whole image: --layer goes with --format table or json"
                );
            }
            let subject = subject(a, &opened);
            let doc = if format == PackagesFormat::SpdxJson {
                packages::sbom::spdx(&r, &subject)
            } else {
                packages::sbom::cyclonedx(&r, &subject)
            };
            serde_json::to_writer_pretty(&mut o, &doc)?;
            writeln!(o)?;
        }
        PackagesFormat::Table => {
            table(&mut o, &r, at, layer)?;
            match &sboms {
                Ok(list) => sbom_table(&mut o, list)?,
                Err(e) => eprintln!("strata: the image's SBOMs could not be looked up: {e:#}"),
            }
        }
    }
    drop(o);
    // A damaged image: what could be read is printed, then exit 3 (as every layer command).
    Ok(crate::output::finish(&damage))
}

/// The image's SBOMs (looked up as `strata supply-chain` does, without a key), each compared
/// with the final image's packages.
fn sbom_comparisons(a: &ImageArgs, r: &PackageReport) -> Result<Vec<SbomComparison>> {
    let options = strata_core::supply_chain::Options {
        key: None,
        artifact_type: None,
        now: crate::registry_source::now(),
    };
    let chain = crate::supply_chain::look_up(a, &options)?;
    Ok(strata_core::sbom_comparison::comparisons(r, &chain))
}

/// Each SBOM beside the layers, after the table: what agrees, then every difference.
fn sbom_table(o: &mut impl Write, list: &[SbomComparison]) -> Result<()> {
    use strata_core::text::{count, reveal_bidi};
    for c in list {
        writeln!(o)?;
        writeln!(
            o,
            "SBOM {} in {} ({}): {}; the layers: {}",
            reveal_bidi(&c.format),
            c.artifact,
            c.found,
            count(c.sbom_packages, "package"),
            count(c.layer_packages, "package")
        )?;
        writeln!(o, "  {}", c.summary())?;
        for p in &c.only_in_sbom {
            writeln!(
                o,
                "  only in the SBOM:   {} {} {}",
                reveal_bidi(&p.name),
                reveal_bidi(p.version.as_deref().unwrap_or("-")),
                reveal_bidi(p.purl.as_deref().unwrap_or(""))
            )?;
        }
        for p in &c.only_in_layers {
            writeln!(
                o,
                "  only in the layers: {} {} ({})",
                reveal_bidi(&p.name),
                reveal_bidi(&p.version),
                p.ecosystem.name()
            )?;
        }
        for d in &c.version_differs {
            writeln!(
                o,
                "  another version:    {}: the SBOM says {}, the layers hold {}",
                reveal_bidi(&d.name),
                reveal_bidi(d.sbom_version.as_deref().unwrap_or("no version")),
                reveal_bidi(&d.layers_version)
            )?;
        }
    }
    Ok(())
}

fn subject(a: &ImageArgs, opened: &Opened) -> SbomSubject {
    let name = opened.image.repo_tags.first().cloned().unwrap_or_else(|| {
        a.path
            .file_name()
            .map_or_else(|| a.path.to_string_lossy(), |n| n.to_string_lossy())
            .into_owned()
    });
    // SOURCE_DATE_EPOCH makes the document reproducible, as build tools do.
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    SbomSubject {
        name,
        image_id: opened.image.id().to_string(),
        diff_ids: opened
            .image
            .layers
            .iter()
            .map(|l| l.diff_id.as_ref().map(ToString::to_string))
            .collect(),
        created: format!(
            "{}Z",
            strata_core::text::format_time(secs).replace(' ', "T")
        ),
        tool: "strata".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    }
}

fn ecosystem_counts<'a>(it: impl Iterator<Item = &'a PackageInstance>) -> String {
    let mut counts: Vec<(Ecosystem, usize)> = Vec::new();
    for p in it {
        match counts.iter_mut().find(|(e, _)| *e == p.ecosystem) {
            Some((_, c)) => *c += 1,
            None => counts.push((p.ecosystem, 1)),
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(e, c)| format!("{} {c}", e.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn name_of(p: &PackageInstance) -> String {
    strata_core::package_view::display_name(p)
}

fn table(o: &mut impl Write, r: &PackageReport, at: usize, layer: Option<usize>) -> Result<()> {
    if let Some(os) = &r.os {
        writeln!(
            o,
            "OS: {}",
            os.pretty_name.as_deref().unwrap_or(&os.distro())
        )?;
    }
    let present: Vec<(PackageIdx, &PackageInstance)> = r.present_at(at).collect();
    let counts = ecosystem_counts(present.iter().map(|(_, p)| *p));
    match layer {
        Some(l) => writeln!(o, "Packages after layer {l}: {} ({counts})", present.len())?,
        None => writeln!(o, "Packages: {} ({counts})", present.len())?,
    }
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "VERSION".into(),
        "TYPE".into(),
        "LAYER".into(),
        "SIZE".into(),
        "LICENSE".into(),
    ]];
    for (id, p) in &present {
        // A Python distribution a deb installed: its files' bytes are the deb's.
        let under = layer
            .is_none()
            .then(|| strata_core::package_view::counted_under(r, *id))
            .flatten()
            .and_then(|o| r.get(o));
        rows.push(vec![
            name_of(p),
            p.package.version.clone(),
            p.ecosystem.name().into(),
            p.layer.to_string(),
            match under {
                _ if p.n_files == 0 => "-".into(),
                Some(o) => format!("in {}", name_of(o)),
                None => format_bytes(p.bytes),
            },
            p.package.license.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    crate::output::write_table(o, &rows)?;
    writeln!(o)?;
    writeln!(o, "Changes by layer:")?;
    for lp in &r.layers {
        if layer.is_some_and(|l| l != lp.layer) {
            continue;
        }
        let step = lp
            .step
            .as_deref()
            .map_or(String::new(), |s| strata_core::text::clip(s, 80));
        writeln!(
            o,
            "  layer {}: +{} -{} ~{}, {} of package files   {step}",
            lp.layer,
            lp.added.len(),
            lp.removed.len(),
            lp.changed.len(),
            format_bytes(lp.package_bytes)
        )?;
        let show = |i: PackageIdx| {
            r.get(i).map_or_else(String::new, |p| {
                format!(
                    "{} {} ({})",
                    name_of(p),
                    p.package.version,
                    p.ecosystem.name()
                )
            })
        };
        for &i in &lp.added {
            writeln!(o, "      + {}", show(i))?;
        }
        for &i in &lp.removed {
            writeln!(o, "      - {}", show(i))?;
        }
        for c in &lp.changed {
            if let (Some(a), Some(b)) = (r.get(c.from), r.get(c.to)) {
                writeln!(
                    o,
                    "      ~ {} {} -> {} ({}, {})",
                    name_of(b),
                    a.package.version,
                    b.package.version,
                    direction(c.direction),
                    b.ecosystem.name()
                )?;
            }
        }
    }
    if layer.is_none() {
        for h in &r.hints {
            writeln!(o)?;
            crate::output::write_hint(o, h)?;
        }
    }
    for d in &r.diagnostics {
        eprintln!("strata: {}: {}", d.subject, d.message);
    }
    Ok(())
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
        Direction::Same => "same version",
    }
}

/// The JSON view: the packages present after the layer asked for (the final image by
/// default), each with its files as paths; the layers' changes by name.
#[derive(Serialize)]
struct JsonReport<'a> {
    os: Option<&'a packages::OsRelease>,
    /// The layer (1-based) the package list is of.
    layer: usize,
    packages: Vec<JsonPackage<'a>>,
    /// Every version that was ever in the image, with the layer that removed it: the history
    /// `packages` is the end of.
    history: Vec<JsonPackage<'a>>,
    layers: Vec<JsonLayer<'a>>,
    unowned_executables: &'a [UnownedFile],
    findings: &'a [strata_core::hints::Hint],
    diagnostics: &'a [strata_core::Diagnostic],
    /// The image's own SBOMs compared with `packages` (the final image's only; `null` when
    /// they could not be looked up).
    #[serde(skip_serializing_if = "Option::is_none")]
    sboms: Option<&'a [SbomComparison]>,
}

#[derive(Serialize)]
struct JsonPackage<'a> {
    id: u32,
    #[serde(flatten)]
    package: &'a PackageInstance,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<String>,
}

#[derive(Serialize)]
struct JsonLayer<'a> {
    layer: usize,
    step: Option<&'a str>,
    added: Vec<u32>,
    removed: Vec<u32>,
    changed: Vec<JsonChange<'a>>,
    package_bytes: u64,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    from: u32,
    to: u32,
    name: &'a str,
    from_version: &'a str,
    to_version: &'a str,
    direction: Direction,
}

impl<'a> JsonReport<'a> {
    fn new(r: &'a PackageReport, analysis: &Analysis, at: usize, layer: Option<usize>) -> Self {
        let tree = &analysis.tree;
        let mut files: Vec<Vec<String>> = vec![Vec::new(); r.packages.len()];
        for o in &r.owners {
            if let Some(f) = files.get_mut(o.package.index()) {
                f.push(tree.paths.path(o.path));
            }
        }
        let mut files = files.into_iter();
        let all: Vec<(u32, &PackageInstance, Vec<String>)> = r
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, p, files.next().unwrap_or_default()))
            .collect();
        let packages = all
            .iter()
            .filter(|(_, p, _)| p.present_at(at))
            .map(|(id, p, f)| JsonPackage {
                id: *id,
                package: p,
                files: f.clone(),
            })
            .collect();
        let history = all
            .iter()
            .map(|(id, p, _)| JsonPackage {
                id: *id,
                package: p,
                files: Vec::new(),
            })
            .collect();
        let layers = r
            .layers
            .iter()
            .filter(|lp| layer.is_none_or(|l| l == lp.layer))
            .map(|lp| JsonLayer {
                layer: lp.layer,
                step: lp.step.as_deref(),
                added: lp.added.iter().map(|i| i.0).collect(),
                removed: lp.removed.iter().map(|i| i.0).collect(),
                changed: lp
                    .changed
                    .iter()
                    .filter_map(|c| {
                        let (a, b) = (r.get(c.from)?, r.get(c.to)?);
                        Some(JsonChange {
                            from: c.from.0,
                            to: c.to.0,
                            name: &b.package.name,
                            from_version: &a.package.version,
                            to_version: &b.package.version,
                            direction: c.direction,
                        })
                    })
                    .collect(),
                package_bytes: lp.package_bytes,
            })
            .collect();
        JsonReport {
            sboms: None,
            os: r.os.as_ref(),
            layer: at,
            packages,
            history,
            layers,
            unowned_executables: &r.unowned_executables,
            findings: &r.hints,
            diagnostics: &r.diagnostics,
        }
    }
}

/// The package section of `strata diff`: `None` when either side is a snapshot (no contents).
pub fn compare_images(
    a: (&Opened, &Analysis, &History),
    b: (&Opened, &Analysis, &History),
) -> Result<Option<PackageDiff>> {
    if a.0.is_snapshot() || b.0.is_snapshot() {
        return Ok(None);
    }
    let ra = report(a.0, a.1, a.2, &[]).context("reading A's packages")?;
    let rb = report(b.0, b.1, b.2, &[]).context("reading B's packages")?;
    Ok(Some(packages::compare(&ra, &rb)))
}

/// Prints the package section of `strata diff`'s table.
pub fn print_diff(o: &mut impl Write, d: Option<&PackageDiff>) -> Result<()> {
    let Some(d) = d else {
        writeln!(
            o,
            "Packages: not compared (a snapshot holds no file contents)"
        )?;
        return Ok(());
    };
    writeln!(
        o,
        "Packages: {} added, {} removed, {} changed",
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    )?;
    for p in &d.added {
        writeln!(o, "  + {} {} ({})", p.name, p.version, p.ecosystem.name())?;
    }
    for p in &d.removed {
        writeln!(o, "  - {} {} ({})", p.name, p.version, p.ecosystem.name())?;
    }
    for c in &d.changed {
        writeln!(
            o,
            "  ~ {} {} -> {} ({}, {})",
            c.name,
            c.from,
            c.to,
            direction(c.direction),
            c.ecosystem.name()
        )?;
    }
    Ok(())
}
