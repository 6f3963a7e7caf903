//! Turning the IMAGE argument (and `--image`, `--platform`, `--limit`, credentials) into an
//! opened image. IMAGE is a file (an archive, read by range through [`FileSource`]), a
//! directory (an OCI layout or `dir:` copy, through [`DirSource`]), or else a registry
//! reference (`nginx:1.27`, `localhost:5000/app@sha256:…`), whose layer blobs are read by HTTP
//! range through [`RegistrySource`]. The engine sees the same [`ReadAt`] in every case. A
//! Strata snapshot file opens too: its image and layer indexes stand in for the archive, and
//! only reading a file's bytes is refused (a snapshot holds none).

use crate::dir_source::DirSource;
use crate::file_source::FileSource;
use crate::registry_source::{Http, RegistrySource, now, registry_source};
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;
use strata_core::registry::{
    Credentials, Reference, RegistrySession, list_tags, open_image, parse_user_reference,
};
use strata_core::{
    Analysis, Archive, Digest, Image, LayerScan, Limits, ManifestPick, ReadAt, SourceError,
    load_image, open_archive, scan_image, scan_layer,
};

/// A file, a directory, a registry or a snapshot, read the same way.
#[derive(Debug)]
pub enum Source {
    File(FileSource),
    Dir(DirSource),
    Registry(Box<RegistrySource>),
    /// A snapshot file: every layer's scan, read from the file; no blob bytes to read.
    Snapshot(Vec<Option<LayerScan>>),
}

impl ReadAt for Source {
    fn len(&self) -> u64 {
        match self {
            Source::File(f) => f.len(),
            Source::Dir(d) => d.len(),
            Source::Registry(r) => r.len(),
            Source::Snapshot(_) => 0,
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        match self {
            Source::File(f) => f.read_at(offset, buf),
            Source::Dir(d) => d.read_at(offset, buf),
            Source::Registry(r) => r.read_at(offset, buf),
            Source::Snapshot(_) => Err(SourceError(
                "a snapshot holds no file contents: open the image it was made from".into(),
            )),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// An image archive, an OCI layout directory, or a registry reference (nginx:1.27)
    pub path: PathBuf,
    /// Which image of a multi-image archive: a tag (`alpine:3.20`), an ID prefix, or a number
    #[arg(long = "image")]
    pub image: Option<String>,
    /// Which platform of an index: os/arch[/variant] (default: linux/amd64 where present,
    /// else the first real platform), or a manifest digest
    #[arg(long)]
    pub platform: Option<String>,
    /// Raise or lower a safety limit: NAME=VALUE (e.g. max_json_bytes=67108864); repeatable
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    pub limits: Vec<String>,
    /// Registry user name (the password or token is read from standard input)
    #[arg(long)]
    pub username: Option<String>,
    /// Read the registry password or token from standard input (never from an argument)
    #[arg(long)]
    pub password_stdin: bool,
    /// Talk to the registry over plain HTTP (localhost and 127.0.0.1 always are)
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug)]
pub struct Opened {
    pub source: Source,
    pub image: Image,
    pub limits: Limits,
}

impl Opened {
    /// Whether IMAGE was a snapshot file (no file contents to read).
    pub fn is_snapshot(&self) -> bool {
        matches!(self.source, Source::Snapshot(_))
    }

    /// Reads every layer: digests checked, files indexed, the tree built. An artifact (not a
    /// container image) is refused: its blobs are not filesystem layers.
    pub fn analyse(&mut self) -> Result<Analysis> {
        self.image.require_container_image()?;
        if let Source::Snapshot(scans) = &self.source {
            return Ok(strata_core::analyse(&mut self.image, scans.clone()));
        }
        // A file or directory: layers on one thread per core. A registry's reads go through
        // one window cache, so its layers are read one after another.
        let parallel: Option<&(dyn ReadAt + Sync)> = match &self.source {
            Source::File(f) => Some(f),
            Source::Dir(d) => Some(d),
            Source::Registry(_) | Source::Snapshot(_) => None,
        };
        if let Some(source) = parallel {
            let scans = crate::parallel_scan::scan_layers(source, &self.image, &self.limits)?;
            return Ok(strata_core::analyse(&mut self.image, scans));
        }
        Ok(scan_image(
            &mut self.image,
            &self.source,
            &self.limits,
            &mut |_, _, _| true,
        )?)
    }

    /// Reads every layer, then the history with the exact layer sizes the scans found.
    pub fn analyse_with_history(&mut self) -> Result<(Analysis, strata_core::history::History)> {
        let analysis = self.analyse()?;
        let sizes: Vec<Option<u64>> = self
            .image
            .layers
            .iter()
            .map(|l| l.uncompressed_size)
            .collect();
        let history = strata_core::history::history(&self.image, &sizes);
        Ok((analysis, history))
    }

    /// Makes every layer's uncompressed size exact, reading only the layers whose size the
    /// gzip trailer or zstd header does not give.
    pub fn exact_sizes(&mut self) -> Result<Vec<Option<u64>>> {
        self.image.require_container_image()?;
        if let Source::Snapshot(scans) = &self.source {
            // The scans measured every layer already: no tree to build for a size.
            for (layer, scan) in self.image.layers.iter_mut().zip(scans) {
                if let Some(scan) = scan.as_ref().filter(|s| s.error.is_none()) {
                    layer.measured(scan.tar_size);
                }
            }
        } else {
            strata_core::image::trailer_sizes(&mut self.image, &self.source)?;
            for layer in &mut self.image.layers {
                if layer.uncompressed_size.is_some() {
                    continue;
                }
                if let Some(loc) = layer.location {
                    let scan =
                        scan_layer(&self.source, loc.offset, loc.len, &self.limits, &mut |_| {
                            true
                        })?;
                    if scan.error.is_none() {
                        layer.measured(scan.tar_size);
                    }
                }
            }
        }
        Ok(self
            .image
            .layers
            .iter()
            .map(|l| l.uncompressed_size)
            .collect())
    }
}

impl ImageArgs {
    pub fn limits(&self) -> Result<Limits> {
        let mut limits = Limits::default();
        for spec in &self.limits {
            let (name, value) = spec
                .split_once('=')
                .with_context(|| format!("--limit {spec}: expected NAME=VALUE"))?;
            let value: u64 = value
                .parse()
                .with_context(|| format!("--limit {spec}: the value must be a number"))?;
            limits.set(name, value)?;
        }
        Ok(limits)
    }

    fn pick(&self) -> Result<ManifestPick> {
        Ok(match &self.platform {
            None => ManifestPick::Default,
            Some(p) if p.starts_with("sha256:") => ManifestPick::Digest(
                Digest::parse(p).map_err(|e| anyhow::anyhow!("--platform: {e}"))?,
            ),
            Some(p) => ManifestPick::Platform(p.clone()),
        })
    }

    /// A registry reference, when IMAGE is neither a file nor a directory.
    fn reference(&self) -> Result<Option<(Reference, bool)>> {
        if self.path.exists() {
            return Ok(None);
        }
        match parse_user_reference(&self.path.to_string_lossy()) {
            Ok(r) => Ok(Some(r)),
            Err(e) => anyhow::bail!(
                "{}: no such file or directory, and not an image reference ({e})",
                self.path.display()
            ),
        }
    }

    fn session(&self, (reference, http): (Reference, bool)) -> Result<RegistrySession> {
        let credentials = match (&self.username, self.password_stdin) {
            (Some(u), true) => {
                let mut password = String::new();
                std::io::stdin()
                    .read_to_string(&mut password)
                    .context("reading the password from standard input")?;
                Some(Credentials {
                    username: u.clone(),
                    password: password.trim_end_matches(['\n', '\r']).to_owned(),
                })
            }
            (Some(_), false) => {
                anyhow::bail!("--username needs --password-stdin (passwords never go in arguments)")
            }
            (None, true) => anyhow::bail!("--password-stdin needs --username"),
            (None, false) => None,
        };
        let base = RegistrySession::default_base(&reference, self.insecure || http);
        Ok(RegistrySession::new(reference, base, credentials))
    }

    pub(crate) fn open_archive(&self) -> Result<(Source, Archive, Limits)> {
        let limits = self.limits()?;
        let source = if self.path.is_dir() {
            Source::Dir(DirSource::open(&self.path)?)
        } else {
            Source::File(FileSource::open(&self.path)?)
        };
        let archive = open_archive(&source, &limits, &mut |_| {})
            .with_context(|| format!("{}", self.path.display()))?;
        Ok((source, archive, limits))
    }

    pub fn open(&self) -> Result<Opened> {
        if let Some(reference) = self.reference()? {
            let limits = self.limits()?;
            let http = Http::new(&reference.0.domain);
            let mut session = self.session(reference.clone())?;
            let opened = open_image(
                &mut session,
                &self.pick()?,
                &limits,
                now(),
                &mut http.transport(),
            )
            .with_context(|| reference.0.canonical())?;
            let source = Source::Registry(Box::new(registry_source(http, session, opened.blobs)));
            return Ok(Opened {
                source,
                image: opened.image,
                limits,
            });
        }
        if let Some(snap) = self.snapshot()? {
            if self.image.is_some() || self.platform.is_some() {
                anyhow::bail!(
                    "{}: a snapshot holds one image and one platform; --image and --platform do not apply",
                    self.path.display()
                );
            }
            return Ok(Opened {
                source: Source::Snapshot(snap.scans),
                image: snap.image,
                limits: self.limits()?,
            });
        }
        let (source, archive, limits) = self.open_archive()?;
        let index = match &self.image {
            Some(wanted) => archive.find_image(wanted)?,
            None if archive.images.len() > 1 => {
                // Judging "the first" of several would answer for an image nobody named.
                let list: Vec<String> = archive
                    .images
                    .iter()
                    .enumerate()
                    .map(|(i, img)| format!("  {i}  {}", img.label()))
                    .collect();
                anyhow::bail!(
                    "{} holds {} images; choose one with --image NAME (a tag, an image ID prefix or the number below; `strata images` lists them):\n{}",
                    self.path.display(),
                    archive.images.len(),
                    list.join("\n")
                );
            }
            None => 0,
        };
        let image = load_image(&archive, &source, index, &self.pick()?, &limits)
            .with_context(|| format!("{}", self.path.display()))?;
        Ok(Opened {
            source,
            image,
            limits,
        })
    }

    /// The snapshot, when IMAGE is a Strata snapshot file (told by its first line).
    fn snapshot(&self) -> Result<Option<strata_core::snapshot::Snapshot>> {
        if !self.path.is_file() {
            return Ok(None);
        }
        let file = FileSource::open(&self.path)?;
        let mut head = [0u8; 16];
        let n = file.read_at(0, &mut head).unwrap_or(0);
        if !strata_core::snapshot::is_snapshot(&head[..n]) {
            return Ok(None);
        }
        let size = file.len();
        if size > strata_core::snapshot::MAX_FILE {
            anyhow::bail!(
                "{}: a snapshot file of {size} bytes is refused (they are a few MB; the limit is {})",
                self.path.display(),
                strata_core::snapshot::MAX_FILE
            );
        }
        let bytes = std::fs::read(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let snap = strata_core::snapshot::decode(&bytes)
            .with_context(|| format!("{}", self.path.display()))?;
        Ok(Some(snap))
    }

    /// The repository's tags (registry references only).
    pub fn tags(&self) -> Result<Vec<String>> {
        let reference = self
            .reference()?
            .context("tags are a registry's: IMAGE must be a reference")?;
        let http = Http::new(&reference.0.domain);
        let mut session = self.session(reference.clone())?;
        list_tags(&mut session, now(), &mut http.transport())
            .with_context(|| reference.0.canonical())
    }

    /// What `strata images` prints: every image and, for indexes, every platform.
    pub fn list(&self) -> Result<Listing> {
        if self.reference()?.is_some() {
            let opened = self.open()?;
            let image = &opened.image;
            return Ok(Listing {
                format: "registry".into(),
                images: vec![ListedImage {
                    number: 0,
                    label: image.repo_tags.join(", "),
                    names: image.repo_tags.clone(),
                    digest: Some(image.index.as_ref().map_or_else(
                        || image.manifest.digest.to_string(),
                        |i| i.digest.to_string(),
                    )),
                    platforms: platforms(&image.choices),
                }],
            });
        }
        if let Some(snap) = self.snapshot()? {
            let image = &snap.image;
            return Ok(Listing {
                format: format!("snapshot of {} ({})", snap.name, snap.format),
                images: vec![ListedImage {
                    number: 0,
                    label: image.repo_tags.join(", "),
                    names: image.repo_tags.clone(),
                    digest: Some(image.manifest.digest.to_string()),
                    platforms: platforms(&image.choices),
                }],
            });
        }
        let (source, archive, limits) = self.open_archive()?;
        let mut images = Vec::new();
        for (i, img) in archive.images.iter().enumerate() {
            let mut diagnostics = Vec::new();
            let choices = archive.manifest_choices(&source, i, &limits, &mut diagnostics)?;
            images.push(ListedImage {
                number: i,
                label: img.label(),
                names: img.names.clone(),
                digest: img.target_digest().map(|d| d.to_string()),
                platforms: platforms(&choices),
            });
        }
        Ok(Listing {
            format: archive.format.label().to_owned(),
            images,
        })
    }
}

fn platforms(choices: &[strata_core::ManifestChoice]) -> Vec<ListedPlatform> {
    choices
        .iter()
        .map(|c| ListedPlatform {
            label: c.label(),
            digest: c.descriptor.digest.clone(),
            available: c.available,
            attestations: c.attestations.iter().map(|a| a.digest.clone()).collect(),
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub format: String,
    pub images: Vec<ListedImage>,
}

#[derive(Debug, Serialize)]
pub struct ListedImage {
    pub number: usize,
    pub label: String,
    pub names: Vec<String>,
    pub digest: Option<String>,
    pub platforms: Vec<ListedPlatform>,
}

#[derive(Debug, Serialize)]
pub struct ListedPlatform {
    pub label: String,
    pub digest: String,
    pub available: bool,
    pub attestations: Vec<String>,
}
