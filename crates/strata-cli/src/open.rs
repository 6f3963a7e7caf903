//! Turning the IMAGE argument (and `--image`, `--platform`, `--limit`) into an opened image.
//! An archive is read through [`FileSource`], by range; an OCI layout or `dir:` directory
//! through [`DirSource`], which shows the engine the tar of it.

use crate::dir_source::DirSource;
use crate::file_source::FileSource;
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use strata_core::{
    Analysis, Archive, Digest, Image, Limits, ManifestPick, ReadAt, SourceError, load_image,
    open_archive, scan_image, scan_layer,
};

/// A file or a directory, read the same way.
#[derive(Debug)]
pub enum Source {
    File(FileSource),
    Dir(DirSource),
}

impl Source {
    pub fn open(path: &std::path::Path) -> Result<Source> {
        if path.is_dir() {
            Ok(Source::Dir(DirSource::open(path)?))
        } else {
            Ok(Source::File(FileSource::open(path)?))
        }
    }
}

impl ReadAt for Source {
    fn len(&self) -> u64 {
        match self {
            Source::File(f) => f.len(),
            Source::Dir(d) => d.len(),
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        match self {
            Source::File(f) => f.read_at(offset, buf),
            Source::Dir(d) => d.read_at(offset, buf),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// An image archive (or OCI layout directory)
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
}

#[derive(Debug)]
pub struct Opened {
    pub source: Source,
    pub image: Image,
    pub limits: Limits,
}

impl Opened {
    /// Reads every layer: digests checked, files indexed, the tree built.
    pub fn analyse(&mut self) -> Result<Analysis> {
        Ok(scan_image(
            &mut self.image,
            &self.source,
            &self.limits,
            &mut |_, _, _| true,
        )?)
    }

    /// Makes every layer's uncompressed size exact, reading only the layers whose size the
    /// gzip trailer or zstd header did not give.
    pub fn exact_sizes(&mut self) -> Result<Vec<Option<u64>>> {
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
                    layer.uncompressed_size = Some(scan.tar_size);
                    layer.uncompressed_size_exact = true;
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

    fn open_archive(&self) -> Result<(Source, Archive, Limits)> {
        let limits = self.limits()?;
        let source = Source::open(&self.path)?;
        let archive = open_archive(&source, &limits, &mut |_| {})
            .with_context(|| format!("{}", self.path.display()))?;
        Ok((source, archive, limits))
    }

    pub fn open(&self) -> Result<Opened> {
        let (source, archive, limits) = self.open_archive()?;
        let index = match &self.image {
            Some(wanted) => archive.find_image(wanted)?,
            None => 0,
        };
        let pick = match &self.platform {
            None => ManifestPick::Default,
            Some(p) if p.starts_with("sha256:") => ManifestPick::Digest(
                Digest::parse(p).map_err(|e| anyhow::anyhow!("--platform: {e}"))?,
            ),
            Some(p) => ManifestPick::Platform(p.clone()),
        };
        let image = load_image(&archive, &source, index, &pick, &limits)
            .with_context(|| format!("{}", self.path.display()))?;
        Ok(Opened {
            source,
            image,
            limits,
        })
    }

    /// What `strata images` prints: every image and, for indexes, every platform.
    pub fn list(&self) -> Result<Listing> {
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
                platforms: choices
                    .iter()
                    .map(|c| ListedPlatform {
                        label: c.label(),
                        digest: c.descriptor.digest.clone(),
                        available: c.available,
                        attestations: c.attestations.iter().map(|a| a.digest.clone()).collect(),
                    })
                    .collect(),
            });
        }
        Ok(Listing {
            format: archive.format.label().to_owned(),
            images,
        })
    }
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
