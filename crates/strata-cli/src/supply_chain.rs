//! `strata supply-chain IMAGE [--key PEM] [--format json]`: an image's signatures,
//! attestations and referrers, with every check the engine made and how it came out. For a
//! registry image it asks, in this order and only now: the Referrers API, its tag schema when
//! the registry has no API, cosign's `.sig`/`.att`/`.sbom` tags, then each manifest found and its
//! blobs; an archive is searched for attestation manifests, referrers and cosign tags.
//!
//! Exit codes ([`crate::exit`]): 0 when the lookup ran (whatever it found), 2 on an error, and 3
//! (`DAMAGED`: the image did not verify) when `--key` was given and a signature or attestation
//! checked with it did not verify, or none did.

use crate::Format;
use crate::open::{ImageArgs, Source};
use crate::registry_source::{Http, now};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use strata_core::supply_chain::{
    Check, KeyOutcome, Options, Outcome, PublicKey, SupplyChain, from_archive, from_registry,
};

pub fn run(
    args: &ImageArgs,
    key: Option<&Path>,
    artifact_type: Option<String>,
    format: Format,
) -> Result<i32> {
    let key = match key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("--key {}: cannot read it", path.display()))?;
            Some(
                PublicKey::from_pem(&pem)
                    .map_err(|e| anyhow::anyhow!("--key {}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    let options = Options {
        key,
        artifact_type,
        now: now(),
    };
    let report = look_up(args, &options)?;
    if format == Format::Json {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, &report)?;
        writeln!(o)?;
    } else {
        print_table(&report)?;
    }
    Ok(match report.key_outcome() {
        Some(KeyOutcome::Failed(reasons)) => {
            eprintln!(
                "strata: not verified with the key given: {}",
                reasons.join("; ")
            );
            crate::exit::DAMAGED
        }
        _ => crate::exit::OK,
    })
}

/// The lookup, as this command and `strata packages` (for the image's SBOMs) make it.
pub(crate) fn look_up(args: &ImageArgs, options: &Options) -> Result<SupplyChain> {
    let opened = args.open()?;
    match &opened.source {
        Source::Registry(r) => {
            let mut session = r.session();
            let http = Http::new(&session.reference.domain);
            Ok(from_registry(
                &mut session,
                &opened.image,
                options,
                &opened.limits,
                &mut http.transport(),
            ))
        }
        Source::Snapshot(_) => anyhow::bail!(
            "{}: a snapshot keeps no signatures or attestations: look up the image it was made from",
            args.path.display()
        ),
        Source::File(_) | Source::Dir(_) => {
            // The archive itself is needed (its index.json and blobs), not only the image.
            let (source, archive, limits) = args.open_archive()?;
            Ok(from_archive(
                &archive,
                &source,
                &opened.image,
                options,
                &limits,
            ))
        }
    }
}

fn mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "ok",
        Outcome::Failed => "FAILED",
        Outcome::Warning => "warning",
        Outcome::NotChecked => "not checked",
    }
}

fn print_checks(o: &mut impl Write, checks: &[Check]) -> Result<()> {
    for c in checks {
        writeln!(o, "    [{}] {}: {}", mark(c.outcome), c.what, c.detail)?;
    }
    Ok(())
}

fn print_table(r: &SupplyChain) -> Result<()> {
    use strata_core::text::{count, format_time, reveal_bidi};
    let mut o = std::io::stdout().lock();
    for s in &r.subjects {
        writeln!(o, "{:<11} {}", s.role, s.digest)?;
    }
    if let Some(repo) = &r.repository {
        writeln!(o, "{:<11} {}", "repository", repo)?;
    }
    if let Some(k) = &r.key {
        writeln!(o, "{:<11} {}", "key", k.label())?;
    }
    writeln!(o, "{:<11} {}", "badge", reveal_bidi(&r.badge.label()))?;
    writeln!(o)?;
    writeln!(o, "Signatures: {}", r.signatures.len())?;
    for s in &r.signatures {
        writeln!(o, "  {} in {} ({})", s.format, s.artifact, s.found.label())?;
        if let Some(d) = &s.signed_digest {
            writeln!(o, "    names      {}", reveal_bidi(d))?;
        }
        if let Some(d) = &s.docker_reference {
            writeln!(o, "    reference  {}", reveal_bidi(d))?;
        }
        if let Some(who) = &s.signer {
            writeln!(o, "    signer     {}", reveal_bidi(who))?;
        }
        if let Some(c) = &s.certificate {
            if let Some(i) = &c.oidc_issuer {
                writeln!(o, "    issuer     {}", reveal_bidi(i))?;
            }
            for (k, v) in &c.fulcio {
                writeln!(o, "    {k}: {}", reveal_bidi(v))?;
            }
        }
        if let Some(t) = s.signing_time {
            writeln!(o, "    signed     {}", format_time(t))?;
        }
        if let Some(t) = s.expiry {
            writeln!(o, "    expires    {}", format_time(t))?;
        }
        if let Some(t) = &s.transparency_log {
            writeln!(
                o,
                "    tlog       index {}{}",
                t.log_index.map_or("?".into(), |i| i.to_string()),
                t.integrated_time
                    .map(|t| format!(", integrated {}", format_time(t)))
                    .unwrap_or_default()
            )?;
        }
        for (k, v) in &s.annotations {
            writeln!(o, "    {}: {}", reveal_bidi(k), reveal_bidi(v))?;
        }
        writeln!(o, "    {}", reveal_bidi(&s.verification.label()))?;
        print_checks(&mut o, &s.checks)?;
    }
    writeln!(o, "Attestations: {}", r.attestations.len())?;
    for a in &r.attestations {
        let envelope = match &a.envelope {
            Some(e) => format!("DSSE, {}", count(e.signatures, "signature")),
            None => "bare statement".into(),
        };
        writeln!(
            o,
            "  {} ({envelope}) in {} ({})",
            reveal_bidi(&a.predicate_type),
            a.artifact,
            a.found.label()
        )?;
        if let Some(p) = &a.provenance {
            let field = |o: &mut std::io::StdoutLock<'_>, k: &str, v: &Option<String>| {
                v.as_ref()
                    .map_or(Ok(()), |v| writeln!(o, "    {k:<10} {}", reveal_bidi(v)))
            };
            writeln!(o, "    SLSA       {}", p.slsa_version)?;
            field(&mut o, "builder", &p.builder)?;
            field(&mut o, "build type", &p.build_type)?;
            field(&mut o, "source", &p.source_repository)?;
            field(&mut o, "commit", &p.source_commit)?;
            field(&mut o, "config", &p.config_path)?;
            field(&mut o, "frontend", &p.frontend)?;
            field(&mut o, "started", &p.started_on)?;
            field(&mut o, "finished", &p.finished_on)?;
            for (k, v) in &p.build_args {
                writeln!(o, "    build-arg  {}={}", reveal_bidi(k), reveal_bidi(v))?;
            }
            for m in &p.materials {
                let digests: Vec<String> =
                    m.digest.iter().map(|(a, h)| format!("{a}:{h}")).collect();
                writeln!(
                    o,
                    "    material   {} {}",
                    reveal_bidi(&m.uri),
                    digests.join(" ")
                )?;
            }
            if let Some(d) = &p.dockerfile {
                writeln!(o, "    Dockerfile ({}):", count(d.lines().count(), "line"))?;
                for line in d.lines() {
                    writeln!(o, "      {}", reveal_bidi(line))?;
                }
            }
        }
        if let Some(s) = &a.sbom {
            writeln!(
                o,
                "    SBOM       {}, {}",
                s.format,
                count(s.packages.len(), "package")
            )?;
        }
        writeln!(o, "    {}", reveal_bidi(&a.verification.label()))?;
        print_checks(&mut o, &a.checks)?;
    }
    writeln!(o, "SBOMs: {}", r.sboms().count())?;
    for s in r.sboms() {
        writeln!(
            o,
            "  {}{}: {}",
            s.format,
            s.name
                .as_ref()
                .map(|n| format!(" \"{}\"", reveal_bidi(n)))
                .unwrap_or_default(),
            count(s.packages.len(), "package")
        )?;
        for p in s.packages.iter().take(10) {
            writeln!(
                o,
                "    {} {}",
                reveal_bidi(&p.name),
                reveal_bidi(p.version.as_deref().unwrap_or("?"))
            )?;
        }
        if s.packages.len() > 10 {
            writeln!(
                o,
                "    … {} more (--format json lists them)",
                s.packages.len() - 10
            )?;
        }
    }
    let unknown: Vec<_> = r
        .artifacts
        .iter()
        .filter(|a| a.kind == strata_core::supply_chain::ArtifactKind::Unknown)
        .collect();
    writeln!(o, "Other artifacts: {}", unknown.len())?;
    for a in unknown {
        let t = if a.artifact_type.is_empty() {
            "(no artifact type)"
        } else {
            &a.artifact_type
        };
        writeln!(o, "  {} {} ({})", reveal_bidi(t), a.digest, a.found.label())?;
        print_checks(&mut o, &a.checks)?;
    }
    writeln!(o, "Lookups:")?;
    for l in &r.lookups {
        writeln!(o, "  {}: {}", l.what, reveal_bidi(&l.answer))?;
    }
    if !r.diagnostics.is_empty() {
        writeln!(o, "Problems:")?;
        for d in &r.diagnostics {
            writeln!(
                o,
                "  [{}] {}: {}",
                d.code,
                reveal_bidi(&d.subject),
                reveal_bidi(&d.message)
            )?;
        }
    }
    Ok(())
}
