//! `strata`, the native face of the engine: inspect image archives from a shell, and serve the
//! web app. All I/O lives here; the meaning of the bytes lives in strata-core.

mod file_source;
mod serve;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use file_source::FileSource;
use std::io::Write;
use std::path::PathBuf;
use strata_core::{Limits, block_on_ready, check_layer, format_bytes, load_overview, open_archive};

#[derive(Parser)]
#[command(name = "strata", version, about = "Inspect container images: archives from docker/podman/skopeo, in a shell or in the browser")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what an image archive holds: tags, image ID, platform, layers, config
    Overview {
        /// An image archive (`docker save`, `podman save`, `skopeo copy docker-archive:`/`oci-archive:`)
        image: PathBuf,
        /// Which image of a multi-image archive (0-based, in archive order)
        #[arg(long, default_value_t = 0)]
        image_index: usize,
        /// Stream every layer through sha256 and check it against its digest
        #[arg(long)]
        verify: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the built web app (a Trunk `dist/` folder) on this machine
    Serve {
        /// Address to listen on; port 0 picks a free port (the chosen address is printed)
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// The folder `trunk build --release` wrote
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Overview { image, image_index, verify, format } => overview(&image, image_index, verify, format),
        Command::Serve { addr, dist } => serve::run(&addr, &dist),
    }
}

fn overview(path: &std::path::Path, image_index: usize, verify: bool, format: Format) -> Result<()> {
    let source = FileSource::open(path)?;
    let limits = Limits::default();
    let what = path.display();
    let run = async {
        let archive = open_archive(&source, &limits, &mut |_| {}).await?;
        let mut overview = load_overview(&source, &archive, image_index, &limits).await?;
        if verify {
            for layer in overview.layers.clone() {
                if let Some(check) = check_layer(&source, &layer, 4 << 20, &mut |_| {}).await? {
                    overview.diagnostics.extend(check.diagnostic());
                    overview.layers[layer.index].declared_digest.get_or_insert(check.digest);
                }
            }
        }
        Ok::<_, strata_core::Error>(overview)
    };
    let overview = block_on_ready(run)
        .context("internal error: a file read did not complete synchronously")?
        .with_context(|| format!("cannot read {what}"))?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &overview)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "Format:      {}", overview.format)?;
    writeln!(out, "Tags:        {}", if overview.repo_tags.is_empty() { "<none>".into() } else { overview.repo_tags.join(", ") })?;
    writeln!(out, "Image ID:    {}", overview.image_id)?;
    if let Some(d) = &overview.manifest_digest {
        writeln!(out, "Manifest:    {d}")?;
    }
    writeln!(out, "Platform:    {}", overview.platform)?;
    writeln!(out, "Created:     {}", overview.created.as_deref().unwrap_or("-"))?;
    writeln!(out, "Layers:      {} ({})", overview.layers.len(), format_bytes(overview.total_size))?;
    for l in &overview.layers {
        let digest = l.declared_digest.as_ref().map_or("-".to_string(), ToString::to_string);
        writeln!(out, "  {:>3}  {digest}  {}", l.index, l.size.map_or("missing".into(), format_bytes))?;
    }
    if let Some(cmd) = &overview.cmd {
        writeln!(out, "Cmd:         {cmd:?}")?;
    }
    if let Some(ep) = &overview.entrypoint {
        writeln!(out, "Entrypoint:  {ep:?}")?;
    }
    for e in &overview.env {
        writeln!(out, "Env:         {e}")?;
    }
    for (k, v) in &overview.labels {
        writeln!(out, "Label:       {k}={v}")?;
    }
    for d in &overview.diagnostics {
        writeln!(out, "{:?}: {}: {}", d.severity, d.subject, d.message)?;
    }
    Ok(())
}
