//! `strata`, the native face of the engine: inspect image archives from a shell, and serve the
//! web app. All I/O lives here; the meaning of the bytes lives in strata-core.

mod file_source;
mod open;
mod serve;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use open::ImageArgs;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Inspect container images: archives from docker, podman and skopeo, in a shell or in the browser",
    after_help = "IMAGE is an archive written by `docker save`, `podman save` or `skopeo copy` \
(docker-archive, oci-archive, a tarred OCI layout or dir: copy), or an OCI layout directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// What an image is: tags, IDs, digests, platform, layers, config
    Overview(FormatArgs),
    /// The raw manifest (or, with --index, the index), byte for byte, like `crane manifest`
    Manifest {
        #[command(flatten)]
        image: ImageArgs,
        /// Print the index the manifest was chosen from instead
        #[arg(long)]
        index: bool,
    },
    /// The raw image config, byte for byte, like `crane config`
    Config {
        #[command(flatten)]
        image: ImageArgs,
    },
    /// List the images (and platforms) an archive holds
    Images(FormatArgs),
    /// Serve the built web app on this machine
    Serve {
        /// Address to listen on; port 0 picks a free port (the chosen address is printed)
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// The folder `trunk build --release` wrote
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
    },
}

#[derive(Args)]
struct FormatArgs {
    #[command(flatten)]
    image: ImageArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Format {
    Table,
    Json,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Overview(a) => overview(&a),
        Command::Manifest { image, index } => {
            raw(&image, if index { Raw::Index } else { Raw::Manifest })
        }
        Command::Config { image } => raw(&image, Raw::Config),
        Command::Images(a) => images(&a),
        Command::Serve { addr, dist } => serve::run(serve::ServeOptions { addr, dist }),
    };
    if let Err(e) = result {
        eprintln!("strata: {e:#}");
        std::process::exit(2);
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn overview(a: &FormatArgs) -> Result<()> {
    let opened = a.image.open()?;
    let ov = strata_core::overview(&opened.image);
    if a.format == Format::Json {
        return print_json(&ov);
    }
    let mut out = std::io::stdout().lock();
    let tags = if ov.repo_tags.is_empty() {
        "<none>".to_owned()
    } else {
        ov.repo_tags.join(", ")
    };
    writeln!(out, "Format:     {}", ov.format)?;
    writeln!(out, "Tags:       {tags}")?;
    writeln!(out, "Image ID:   {}", ov.image_id)?;
    writeln!(
        out,
        "Manifest:   {}{}",
        ov.manifest_digest,
        if ov.manifest_synthesized {
            " (derived, as skopeo/podman derive it)"
        } else {
            ""
        }
    )?;
    if let Some(i) = &ov.index_digest {
        writeln!(out, "Index:      {i}")?;
    }
    writeln!(out, "Platform:   {}", ov.platform)?;
    writeln!(out, "Created:    {}", ov.created.as_deref().unwrap_or("-"))?;
    if let Some(a) = &ov.author {
        writeln!(out, "Author:     {a}")?;
    }
    writeln!(
        out,
        "Layers:     {} ({} stored)",
        ov.n_layers, ov.stored_size_text
    )?;
    for l in &ov.layers {
        let digest = l.digest.as_deref().unwrap_or("-");
        let comp = l.compression.map_or("missing", |c| c.name());
        writeln!(
            out,
            "  {:>3}  {digest}  {:>10}  {comp}",
            l.number, l.size_text
        )?;
    }
    writeln!(
        out,
        "History:    {} entries ({} empty layers)",
        ov.n_history, ov.n_empty_history
    )?;
    if let Some(u) = &ov.user {
        writeln!(out, "User:       {u}")?;
    }
    if let Some(e) = &ov.entrypoint {
        writeln!(out, "Entrypoint: {}", serde_json::to_string(e)?)?;
    }
    if let Some(c) = &ov.cmd {
        writeln!(out, "Cmd:        {}", serde_json::to_string(c)?)?;
    }
    if let Some(w) = &ov.working_dir {
        writeln!(out, "WorkingDir: {w}")?;
    }
    for e in &ov.env {
        writeln!(out, "Env:        {e}")?;
    }
    for (k, v) in &ov.labels {
        writeln!(out, "Label:      {k}={v}")?;
    }
    for d in &ov.diagnostics {
        writeln!(out, "{:?}: {}: {}", d.severity, d.subject, d.message)?;
    }
    Ok(())
}

enum Raw {
    Manifest,
    Index,
    Config,
}

fn raw(a: &ImageArgs, which: Raw) -> Result<()> {
    let opened = a.open()?;
    let bytes = match which {
        Raw::Manifest => &opened.image.manifest.bytes,
        Raw::Config => &opened.image.config.bytes,
        Raw::Index => match &opened.image.index {
            Some(i) => &i.bytes,
            None => anyhow::bail!("this image was not chosen from an index"),
        },
    };
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    Ok(())
}

fn images(a: &FormatArgs) -> Result<()> {
    let listing = a.image.list()?;
    if a.format == Format::Json {
        return print_json(&listing);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Format: {}", listing.format)?;
    for img in &listing.images {
        writeln!(
            out,
            "{:>3}  {}  {}",
            img.number,
            img.digest.as_deref().unwrap_or("-"),
            img.label
        )?;
        for c in &img.platforms {
            let note = if c.available {
                ""
            } else {
                "  (not in this archive)"
            };
            writeln!(out, "       {}  {}{note}", c.digest, c.label)?;
            for att in &c.attestations {
                writeln!(out, "         attestation {att}")?;
            }
        }
    }
    Ok(())
}
