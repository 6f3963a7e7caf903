//! `strata`, the native face of the engine: inspect image archives from a shell, and serve the
//! web app. All I/O lives here; the meaning of the bytes lives in strata-core.

mod cache;
mod ci;
mod commands;
mod dir_source;
mod dive_ci;
mod exit;
mod file_source;
mod http;
mod open;
mod output;
mod packages;
mod parallel_scan;
mod proxy;
mod registry_source;
mod serve;
mod server;
mod supply_chain;
mod workshop;

use clap::{Args, Parser, Subcommand, ValueEnum};
use open::ImageArgs;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Inspect container images: archives from docker, podman and skopeo, in a shell or in the browser",
    after_help = "IMAGE is an archive written by `docker save`, `podman save` or `skopeo copy` \
(docker-archive, oci-archive, a tarred OCI layout or dir: copy), an OCI layout or dir: \
directory, a Strata snapshot (every command but `cat`), or a registry reference \
(`alpine:3.20`, `localhost:5000/app@sha256:…`; --username with --password-stdin for \
private registries, --insecure for plain HTTP).\n\
Exit codes: 0 success; 1 a `ci` rule failed; 2 an error (usage, an IMAGE that cannot be \
opened); 3 the image is damaged (a layer blob missing, unreadable or not matching its digest: \
what could be read is printed first), or for `supply-chain --key`, a signature or attestation \
did not verify with the key (or none did)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// What an image is: tags, IDs, digests, platform, layers, config
    Overview {
        #[command(flatten)]
        out: FormatArgs,
        /// Also read every layer: check digests and diff_ids, count files
        #[arg(long)]
        verify: bool,
    },
    /// The images (and platforms) an archive holds
    Images(FormatArgs),
    /// Like `docker image inspect`: a JSON array with one object (`Size` as docker counts
    /// it, which reads every layer; `--like podman` for the layer tars' sizes, which does not)
    Inspect {
        #[command(flatten)]
        out: FormatArgs,
        #[arg(long, value_enum, default_value_t = Like::Docker)]
        like: Like,
    },
    /// Like `docker image history`: one row per build step, newest first; SIZE as docker counts
    /// it (the bytes of a layer's files: reads every layer), or with `--like podman` as podman
    /// does (the layer tar's size: reads none)
    History {
        #[command(flatten)]
        out: FormatArgs,
        /// Do not truncate CREATED BY
        #[arg(long)]
        no_trunc: bool,
        #[arg(long, value_enum, default_value_t = Like::Docker)]
        like: Like,
    },
    /// The Dockerfile the history implies, in valid Dockerfile syntax whatever builder recorded
    /// it (`#` lines say what the history lost)
    Dockerfile {
        #[command(flatten)]
        image: ImageArgs,
        /// The base image (an archive, directory or reference): when its layers are IMAGE's
        /// first layers, it is the FROM and its own steps are left out
        #[arg(long, value_name = "IMAGE")]
        base: Option<PathBuf>,
    },
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
    /// List files: the final filesystem, a layer's entries, or a layer's changes
    Ls {
        #[command(flatten)]
        out: FormatArgs,
        /// A layer (1-based): its entries as `tar -tvf` lists them, minus whiteouts; with
        /// --merged, the filesystem up to that layer
        #[arg(long)]
        layer: Option<usize>,
        /// The merged filesystem (the default without --layer)
        #[arg(long)]
        merged: bool,
        /// Only what the layer added, modified or deleted
        #[arg(long)]
        changes_only: bool,
    },
    /// Write a file's bytes to standard output
    Cat {
        #[command(flatten)]
        image: ImageArgs,
        /// The path in the image (`/etc/os-release` or `etc/os-release`)
        file: String,
        /// Read it as it is after this layer (1-based) instead of in the final filesystem
        #[arg(long)]
        layer: Option<usize>,
    },
    /// Every layer that touched a path, with what it did and the step that did it
    Timeline {
        #[command(flatten)]
        out: FormatArgs,
        /// The path in the image
        file: String,
    },
    /// Wasted space and efficiency, with dive's CI rules (flags, or a `.dive-ci` file judged on
    /// dive's own numbers); exit code 1 when a rule fails, 3 when the image is damaged
    Ci {
        #[command(flatten)]
        out: FormatArgs,
        /// Fail below this efficiency (0..1); dive's `lowestEfficiency` (default 0.9)
        #[arg(long)]
        lowest_efficiency: Option<f64>,
        /// Fail above this many wasted bytes; dive's `highestWastedBytes` (off by default)
        #[arg(long)]
        highest_wasted_bytes: Option<u64>,
        /// Fail above this share (0..1) of wasted bytes in user layers; dive's
        /// `highestUserWastedPercent` (default 0.1)
        #[arg(long)]
        highest_user_wasted_percent: Option<f64>,
        /// dive's rules file (default: `.dive-ci` in the working directory, when there is
        /// one); its rules are judged on dive's numbers, flags override it
        #[arg(long, value_name = "FILE")]
        ci_config: Option<PathBuf>,
    },
    /// Findings from the image, with evidence: latest tag, root user, chainable RUNs, package
    /// caches, files deleted later, secret-looking files, logs, large artefacts
    Hints(FormatArgs),
    /// Installed packages by layer (dpkg, apk, rpm, Python, npm, Go, Rust, Maven): what each
    /// layer added, removed and upgraded, file owners, findings; or an SBOM
    Packages {
        #[command(flatten)]
        image: ImageArgs,
        /// The packages after this layer (1-based), and this layer's changes only
        #[arg(long)]
        layer: Option<usize>,
        /// `table`, `json`, or an SBOM: `spdx-json` (SPDX 2.3), `cyclonedx-json` (CycloneDX 1.6)
        #[arg(long, value_enum, default_value_t = packages::PackagesFormat::Table)]
        format: packages::PackagesFormat,
    },
    /// Save the inspection as a snapshot file: manifests, config, every layer's file index, no
    /// file contents; the web app opens it offline with every view but file contents
    Snapshot {
        #[command(flatten)]
        image: ImageArgs,
        /// Where to write it (default: IMAGE's name + .strata, in the current directory)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Compare two images: shared layers, config and history differences, and the files of
    /// their final filesystems (added, removed, changed), like container-diff or diffoci
    Diff {
        /// The first image (archive, directory or reference)
        a: PathBuf,
        /// The second image
        b: PathBuf,
        /// Which image of A, when A holds several (a tag, an ID prefix or a number)
        #[arg(long = "image-a", value_name = "NAME")]
        image_a: Option<String>,
        /// Which image of B, when B holds several; to compare two images of one archive, give
        /// it as both A and B with --image-a and --image-b
        #[arg(long = "image-b", value_name = "NAME")]
        image_b: Option<String>,
        /// Which platform of A's index (os/arch[/variant] or a manifest digest)
        #[arg(long = "platform-a", value_name = "PLATFORM")]
        platform_a: Option<String>,
        /// Which platform of B's index
        #[arg(long = "platform-b", value_name = "PLATFORM")]
        platform_b: Option<String>,
        /// Ignore timestamps and file owners, and the config's creation date (diffoci's --semantic)
        #[arg(long)]
        semantic: bool,
        /// Also show a unified diff of each changed text file (up to 1 MiB a side), read from
        /// both images
        #[arg(long)]
        content: bool,
        /// `table` for people, `json` for scripts
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Talk to registries over plain HTTP (localhost and 127.0.0.1 always are)
        #[arg(long)]
        insecure: bool,
    },
    /// The tags of a registry repository, like `crane ls` (IMAGE is a reference)
    Tags(FormatArgs),
    /// Signatures, attestations (SLSA provenance, SBOMs) and referrers, and what was checked;
    /// exit code 3 when a signature checked with --key does not verify
    SupplyChain {
        #[command(flatten)]
        out: FormatArgs,
        /// A public key (PEM, ECDSA P-256 or Ed25519: cosign.pub) to verify key-based
        /// signatures and DSSE attestations with
        #[arg(long, value_name = "PEM")]
        key: Option<PathBuf>,
        /// Only referrers of this artifact type (the Referrers API's filter)
        #[arg(long)]
        artifact_type: Option<String>,
    },
    /// How long reading each layer takes and how much memory its index uses (for benchmarks)
    Stats(FormatArgs),
    /// Serve the built web app on this machine, with a registry proxy for registries that send
    /// no CORS headers
    Serve(Box<ServeArgs>),
    /// Workshops: `strata workshop pack DIR` writes a teacher's folder
    #[command(subcommand)]
    Workshop(WorkshopCommand),
}

#[derive(Subcommand)]
enum WorkshopCommand {
    /// Write a static folder with the app, the chosen samples and exercises, and a start page
    Pack {
        /// The folder to write (new or empty)
        dir: PathBuf,
        /// The folder `trunk build --release` wrote
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// An exercise file to add (checked first); repeatable
        #[arg(long = "exercises")]
        exercises: Vec<PathBuf>,
        /// A sample of the app to include, by file name (default: all); repeatable
        #[arg(long = "sample")]
        samples: Vec<String>,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed)
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The folder `trunk build --release` wrote
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Let the registry proxy reach this host (HOST or HOST:PORT) although it is on this
    /// machine or a private network (a local registry); repeatable. Plain HTTP is proxied
    /// only to these hosts, and the page may also ask them directly.
    #[arg(long = "allow-registry", value_name = "HOST[:PORT]")]
    allow_registry: Vec<String>,
    /// A plain-HTTP registry that sends CORS headers, which the page may ask directly (the
    /// proxy still does not reach it without --allow-registry); repeatable
    #[arg(long = "direct-registry", value_name = "HOST[:PORT]")]
    direct_registry: Vec<String>,
    /// A name this server is reached by besides its address (behind a reverse proxy or a DNS
    /// name): requests whose Host names anything else are refused; repeatable
    #[arg(long = "public-host", value_name = "NAME[:PORT]")]
    public_host: Vec<String>,
    /// Seconds the proxy waits for a registry to connect, to answer, and between two
    /// reads of a body
    #[arg(long, default_value_t = 30)]
    proxy_timeout: u64,
    /// Most bytes the proxy passes on in one answer
    #[arg(long, default_value_t = 64 << 30)]
    proxy_max_body: u64,
    /// Proxied answers under way at once, each counted until its body ends (past it, after
    /// a second's wait, 503)
    #[arg(long, default_value_t = 32)]
    max_proxied: usize,
    /// Answers under way at once, bodies included (past it, 503)
    #[arg(long, default_value_t = 256)]
    max_requests: usize,
    /// Open connections at once (past it, 503 and closed)
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Open connections at once from one client address
    #[arg(long, default_value_t = 128)]
    max_connections_per_client: usize,
    /// Most bytes of a request line and headers (past it, 431); at least 8192
    #[arg(long, default_value_t = 16384)]
    max_header_bytes: usize,
    /// Seconds a client has to send a request's head (and a keep-alive connection to start
    /// the next one)
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a connection may move no byte either way before it is closed
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
    /// Seconds one answer may take, its body included
    #[arg(long, default_value_t = 600)]
    request_timeout: u64,
    /// Seconds given to answers under way after SIGINT or SIGTERM
    #[arg(long, default_value_t = 10)]
    shutdown_grace: u64,
}

#[derive(Args)]
struct FormatArgs {
    #[command(flatten)]
    image: ImageArgs,
    /// `table` for people, `json` for scripts
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Whose numbers a command reproduces where docker and podman count differently.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Like {
    /// docker: a layer's size is the bytes of the files it holds
    Docker,
    /// podman: a layer's size is its uncompressed tar's
    Podman,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    Table,
    Json,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Overview { out, verify } => commands::overview(&out.image, out.format, verify),
        Command::Images(a) => commands::images(&a.image, a.format),
        Command::Inspect { out, like } => commands::inspect(&out.image, like),
        Command::History {
            out,
            no_trunc,
            like,
        } => commands::history(&out.image, out.format, no_trunc, like),
        Command::Manifest { image, index } => commands::raw(
            &image,
            if index {
                commands::Raw::Index
            } else {
                commands::Raw::Manifest
            },
        ),
        Command::Config { image } => commands::raw(&image, commands::Raw::Config),
        Command::Dockerfile { image, base } => commands::dockerfile(&image, base),
        Command::Ls {
            out,
            layer,
            merged,
            changes_only,
        } => commands::ls(&out.image, out.format, layer, merged, changes_only),
        Command::Cat { image, file, layer } => commands::cat(&image, &file, layer),
        Command::Timeline { out, file } => commands::timeline(&out.image, out.format, &file),
        Command::Ci {
            out,
            lowest_efficiency,
            highest_wasted_bytes,
            highest_user_wasted_percent,
            ci_config,
        } => ci::ci(
            &out.image,
            out.format,
            ci::CiFlags {
                lowest_efficiency,
                highest_wasted_bytes,
                highest_user_wasted_percent,
                ci_config,
            },
        ),
        Command::Hints(a) => commands::hints(&a.image, a.format),
        Command::Packages {
            image,
            layer,
            format,
        } => packages::run(&image, layer, format),
        Command::Snapshot { image, output } => commands::snapshot(&image, output.as_deref()),
        Command::Diff {
            a,
            b,
            image_a,
            image_b,
            platform_a,
            platform_b,
            semantic,
            content,
            format,
            insecure,
        } => {
            let args = |path: PathBuf, image: Option<String>, platform: Option<String>| ImageArgs {
                path,
                image,
                platform,
                limits: Vec::new(),
                username: None,
                password_stdin: false,
                insecure,
            };
            commands::diff(
                &args(a, image_a, platform_a),
                &args(b, image_b, platform_b),
                format,
                semantic,
                content,
            )
        }
        Command::Tags(a) => commands::tags(&a.image, a.format),
        Command::SupplyChain {
            out,
            key,
            artifact_type,
        } => supply_chain::run(&out.image, key.as_deref(), artifact_type, out.format),
        Command::Stats(a) => commands::stats(&a.image, a.format),
        Command::Workshop(WorkshopCommand::Pack {
            dir,
            dist,
            exercises,
            samples,
        }) => workshop::pack(&workshop::PackOptions {
            dir,
            dist,
            exercises,
            samples,
        }),
        Command::Serve(a) => {
            let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
            server::run(server::ServeOptions {
                addr: a.addr,
                dist: a.dist,
                allow_registry: a.allow_registry,
                direct_registry: a.direct_registry,
                public_host: a.public_host,
                proxy: proxy::ProxyLimits {
                    timeout: secs(a.proxy_timeout),
                    max_body: a.proxy_max_body,
                    max_active: a.max_proxied.max(1),
                },
                limits: server::ServerLimits {
                    max_connections: a.max_connections.max(1),
                    max_connections_per_client: a.max_connections_per_client.max(1),
                    max_requests: a.max_requests.max(1),
                    max_header_bytes: a.max_header_bytes,
                    header_timeout: secs(a.header_timeout),
                    idle_timeout: secs(a.idle_timeout),
                    request_timeout: secs(a.request_timeout),
                    shutdown_grace: secs(a.shutdown_grace),
                },
            })
            .map(|()| 0)
        }
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // A closed pipe (`strata ls … | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                std::process::exit(exit::OK);
            }
            eprintln!("strata: {e:#}");
            std::process::exit(exit::ERROR);
        }
    }
}
