//! Which kind of archive a file is, decided from its content (never its name), and the images
//! it holds.
//!
//! - `manifest.json` holding an array: a `docker save` archive (Docker ≤ 24, podman and skopeo
//!   `docker-archive:`). With `oci-layout` and `index.json` beside it: Docker 25+ or a
//!   containerd export, read through the OCI layout (it has the manifest digests and platforms)
//!   and named by `manifest.json`'s `RepoTags`.
//! - `oci-layout` and `index.json` alone: an OCI image layout (`skopeo copy oci-archive:`,
//!   `podman save --format oci-archive`, a tarred `oci:` directory).
//! - `manifest.json` holding an object and a `version` file: a skopeo `dir:` copy, tarred up.
//!
//! A tarred-up directory (`tar -cf x.tar mydir/`) has every path under one folder; that folder
//! is found and used as the root.

use crate::diagnostic::Diagnostic;
use crate::digest::Digest;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{
    Descriptor, Document, MediaKind, Platform, classify_media_type, parse_document, parse_json,
};
use crate::registry::Reference;
use crate::source::{ReadAt, read_vec_at};
use crate::tar::{ArchiveEntries, ArchiveEntry, normalise, scan_archive};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveFormat {
    /// `docker save` (Docker ≤ 24), `podman save`, `skopeo copy docker-archive:`.
    DockerArchive,
    /// Docker 25+ `docker save` and containerd exports: an OCI layout plus `manifest.json`.
    DockerOciArchive,
    /// An OCI image layout: `oci-archive:`, `podman save --format oci-archive`, `oci:` tarred.
    OciLayout,
    /// A skopeo `dir:` copy (or `podman save --format docker-dir`), tarred.
    SkopeoDir,
    /// Not an archive: an image read from a registry.
    Registry,
}

impl ArchiveFormat {
    pub fn label(self) -> &'static str {
        match self {
            ArchiveFormat::DockerArchive => "docker-archive (docker save)",
            ArchiveFormat::DockerOciArchive => {
                "docker save with OCI layout (Docker 25+ / containerd)"
            }
            ArchiveFormat::OciLayout => "OCI image layout",
            ArchiveFormat::SkopeoDir => "skopeo dir: copy",
            ArchiveFormat::Registry => "registry",
        }
    }
}

/// One `manifest.json` entry of a `docker save` archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerSaveEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
    /// Docker 25+: descriptors of layers, keyed by digest.
    #[serde(
        rename = "LayerSources",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub layer_sources: Option<BTreeMap<String, Descriptor>>,
}

/// What an image in the archive starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageTarget {
    /// A `manifest.json` entry: a config and layer files, no manifest blob.
    DockerSave(DockerSaveEntry),
    /// A descriptor from `index.json` (or a skopeo dir's manifest): a manifest or an index.
    Descriptor(Descriptor),
}

/// One image a user can pick in an archive (several for `docker save a b`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveImage {
    /// Tags, as `docker images` shows them (`alpine:3.20`).
    pub names: Vec<String>,
    pub target: ImageTarget,
}

impl ArchiveImage {
    /// The digest of what the image starts from: a manifest or index digest, or for a
    /// `docker save` entry the config digest (the image ID).
    pub fn target_digest(&self) -> Option<Digest> {
        match &self.target {
            ImageTarget::Descriptor(d) => d.digest().ok(),
            ImageTarget::DockerSave(e) => digest_from_path(&e.config),
        }
    }

    /// The layers as the archive stores them, bottom first: a `docker save` entry's layer files
    /// (by digest when named by one, as skopeo, podman and docker name them; by path
    /// otherwise). Two entries listing the same one share that stored layer. Empty for an
    /// image reached through a descriptor (its manifest, not read here, lists them).
    pub fn stored_layers(&self) -> Vec<String> {
        match &self.target {
            ImageTarget::DockerSave(e) => e
                .layers
                .iter()
                .map(|l| digest_from_path(l).map_or_else(|| l.clone(), |d| d.to_string()))
                .collect(),
            ImageTarget::Descriptor(_) => Vec::new(),
        }
    }

    /// A one-line label: names, or the short digest when untagged.
    pub fn label(&self) -> String {
        if self.names.is_empty() {
            self.target_digest().map_or_else(
                || "<untagged>".into(),
                |d| format!("<untagged> {}", d.short()),
            )
        } else {
            self.names.join(", ")
        }
    }
}

/// What an archive holds: its format, its entries, and its images.
#[derive(Debug, Clone)]
pub struct Archive {
    pub format: ArchiveFormat,
    /// The folder all paths are under (`""` for most archives).
    pub root: String,
    pub entries: ArchiveEntries,
    pub images: Vec<ArchiveImage>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the archive's structure: tar headers, then the small JSON documents that list images.
/// `progress` receives the offset reached in the archive.
pub fn open_archive<S: ReadAt + ?Sized>(
    source: &S,
    limits: &Limits,
    progress: &mut dyn FnMut(u64),
) -> Result<Archive, Error> {
    let entries = scan_archive(source, limits, progress)?;
    let mut diagnostics = Vec::new();
    if entries.end == crate::tar::TarEnd::NoMarker {
        diagnostics.push(Diagnostic::note(
            "tar-no-end-marker",
            "archive",
            "the tar ends without its end-of-archive blocks; every entry in it is complete",
        ));
    }
    let root = find_root(&entries);
    let mut archive = Archive {
        format: ArchiveFormat::OciLayout,
        root,
        entries,
        images: Vec::new(),
        diagnostics,
    };
    let has_oci = archive.entry("oci-layout").is_some() && archive.entry("index.json").is_some();
    let manifest_json = match archive.entry("manifest.json") {
        Some(_) => {
            Some(archive.read_file(source, "manifest.json", "the archive layout", limits)?)
        }
        None => None,
    };
    let is_array = manifest_json
        .as_ref()
        .is_some_and(|b| b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'['));
    if let (Some(bytes), true) = (&manifest_json, is_array) {
        let docker = parse_json::<Vec<DockerSaveEntry>>(
            &archive.display_path("manifest.json"),
            bytes,
            limits,
        )
        .and_then(|docker| {
            if docker.len() as u64 > limits.max_images {
                return Err(limits.exceeded(
                    "max_images",
                    format!("manifest.json lists {} images", docker.len()),
                ));
            }
            Ok(docker)
        });
        if has_oci {
            // Docker 25+ writes both descriptions of the same images. Either may be unusable
            // (Docker 25.0 wrote `"manifests": null` in index.json for some images): open the
            // image from the one that reads, and say what was ignored and why.
            archive.format = ArchiveFormat::DockerOciArchive;
            match (archive.read_oci_index(source, limits), docker) {
                (Ok(images), Ok(docker)) => {
                    archive.images = images;
                    attach_repo_tags(&mut archive, source, &docker, limits);
                    if archive.images.is_empty() {
                        archive.images = docker_images(docker);
                    }
                }
                (Err(e), Ok(docker)) if !docker.is_empty() => {
                    archive.diagnostics.push(Diagnostic::warning(
                        "index-json-ignored",
                        archive.display_path("index.json"),
                        format!(
                            "ignored: {e}; the images are read from manifest.json, as docker load does \
                             (Docker 25.0 wrote index.json so for some images)"
                        ),
                    ));
                    archive.images = docker_images(docker);
                }
                (Ok(images), Err(e)) if !images.is_empty() => {
                    archive.diagnostics.push(Diagnostic::warning(
                        "manifest-json-ignored",
                        archive.display_path("manifest.json"),
                        format!(
                            "ignored: {e}; the images are read from index.json, as an OCI layout \
                             (their tags, which only manifest.json names, are unknown)"
                        ),
                    ));
                    archive.images = images;
                }
                (Err(e), _) | (Ok(_), Err(e)) => return Err(e),
            }
        } else {
            archive.format = ArchiveFormat::DockerArchive;
            archive.images = docker_images(docker?);
        }
    } else if has_oci {
        archive.format = ArchiveFormat::OciLayout;
        archive.images = archive.read_oci_index(source, limits)?;
    } else if let (Some(bytes), true) = (&manifest_json, archive.entry("version").is_some()) {
        archive.format = ArchiveFormat::SkopeoDir;
        let media_type = match parse_document("manifest.json", bytes, "", limits)? {
            Document::Index(i) => i
                .media_type
                .unwrap_or_else(|| crate::model::media_type::OCI_INDEX.into()),
            Document::Manifest(m) => m
                .media_type
                .unwrap_or_else(|| crate::model::media_type::OCI_MANIFEST.into()),
            _ => {
                return Err(Error::BadManifest {
                    path: "manifest.json".into(),
                    detail: "a skopeo dir's manifest.json must be an image manifest or index"
                        .into(),
                });
            }
        };
        archive.images = vec![ArchiveImage {
            names: Vec::new(),
            target: ImageTarget::Descriptor(Descriptor {
                media_type,
                digest: Digest::sha256_of(bytes).to_string(),
                size: bytes.len() as i64,
                ..Descriptor::default()
            }),
        }];
    } else {
        let sample = archive.entries.sample_paths(5);
        let found = if sample.is_empty() {
            String::new()
        } else {
            format!(" (it starts with {})", sample.join(", "))
        };
        return Err(Error::NotAnImage {
            n_entries: archive.entries.entries.len(),
            found,
        });
    }
    if archive.images.is_empty() {
        return Err(Error::BadManifest {
            path: archive.display_path(if has_oci {
                "index.json"
            } else {
                "manifest.json"
            }),
            detail: "it lists no images".into(),
        });
    }
    Ok(archive)
}

fn docker_images(entries: Vec<DockerSaveEntry>) -> Vec<ArchiveImage> {
    entries
        .into_iter()
        .map(|e| ArchiveImage {
            names: e.repo_tags.clone().unwrap_or_default(),
            target: ImageTarget::DockerSave(e),
        })
        .collect()
}

/// Docker 25+ writes `RepoTags` in manifest.json and only annotations in index.json: name the
/// OCI images by the tags of the manifest.json entry with the same config.
fn attach_repo_tags<S: ReadAt + ?Sized>(
    archive: &mut Archive,
    source: &S,
    docker: &[DockerSaveEntry],
    limits: &Limits,
) {
    let mut by_config: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
    for e in docker {
        if let Some(d) = digest_from_path(&e.config) {
            by_config
                .entry(d)
                .or_default()
                .extend(e.repo_tags.clone().unwrap_or_default());
        }
    }
    let targets: Vec<Option<Digest>> = archive
        .images
        .iter()
        .map(ArchiveImage::target_digest)
        .collect();
    for (i, target) in targets.into_iter().enumerate() {
        let Some(target) = target else { continue };
        let configs = archive.config_digests_under(source, &target, limits, 0);
        let tags: Vec<String> = configs
            .iter()
            .filter_map(|c| by_config.get(c))
            .flatten()
            .cloned()
            .collect();
        if !tags.is_empty() {
            let image = &mut archive.images[i];
            image.names = dedup(tags);
        }
    }
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// The folder every path is under, when the archive is a tarred-up directory.
fn find_root(entries: &ArchiveEntries) -> String {
    for marker in ["manifest.json", "index.json", "oci-layout"] {
        if entries.get(marker).is_some() {
            return String::new();
        }
    }
    let mut candidate: Option<&str> = None;
    for e in &entries.entries {
        let top = e.path.split('/').next().unwrap_or("");
        if top.is_empty() {
            continue;
        }
        match candidate {
            None => candidate = Some(top),
            Some(c) if c == top => {}
            Some(_) => return String::new(),
        }
    }
    match candidate {
        Some(c)
            if ["manifest.json", "index.json"]
                .iter()
                .any(|m| entries.get(&format!("{c}/{m}")).is_some()) =>
        {
            format!("{c}/")
        }
        _ => String::new(),
    }
}

/// The digest a blob path names: `blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`, `<hex>`.
pub fn digest_from_path(path: &str) -> Option<Digest> {
    let name = path.rsplit('/').next()?;
    // go-containerregistry's tarballs (`crane pull`, ko, `tarball.Write`) name the config
    // `sha256:<hex>` and keep layers compressed as `<hex>.tar.gz`.
    let name = name.strip_prefix("sha256:").unwrap_or(name);
    let hex = [".json", ".tar.gz", ".tar.zst", ".tgz", ".tar"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name);
    Digest::from_sha256_hex(hex)
}

/// One manifest an image index offers: a platform to choose, with what describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestChoice {
    pub descriptor: Descriptor,
    pub platform: Option<Platform>,
    /// Whether the manifest's blob is in the archive (Docker saves one platform's blobs only).
    pub available: bool,
    /// Attestation manifests that describe this one (grouped here, not offered as platforms).
    pub attestations: Vec<Descriptor>,
    /// What the descriptor is: an image manifest, or an artifact kept and labelled.
    pub kind: MediaKind,
}

impl ManifestChoice {
    pub fn label(&self) -> String {
        match (&self.platform, self.kind) {
            (Some(p), _) => p.to_string(),
            (None, MediaKind::Manifest) => "unknown platform".into(),
            (None, _) => format!("artifact {}", self.descriptor.media_type),
        }
    }
}

impl Archive {
    /// The entry at `path` under the archive's root.
    pub fn entry(&self, path: &str) -> Option<&ArchiveEntry> {
        self.entries
            .get(&format!("{}{}", self.root, normalise(path)))
    }

    fn display_path(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// Reads a whole (small) file, following links, bounded by `max_json_bytes`.
    pub fn read_file<S: ReadAt + ?Sized>(
        &self,
        source: &S,
        path: &str,
        referenced_by: &str,
        limits: &Limits,
    ) -> Result<Vec<u8>, Error> {
        let full = self.display_path(&normalise(path));
        let entry = self.entries.resolve(&full, referenced_by)?;
        if entry.size > limits.max_json_bytes {
            return Err(limits.exceeded(
                "max_json_bytes",
                format!("`{full}` is {} bytes", entry.size),
            ));
        }
        read_vec_at(source, entry.data_offset, entry.size, &format!("`{full}`"))
    }

    /// The archive path of a blob: `blobs/<alg>/<hex>` in OCI layouts, `<hex>` in skopeo dirs.
    pub fn blob_path(&self, digest: &Digest) -> String {
        match self.format {
            // containers/image's dir transport: blobs by bare hex, and the manifests of a
            // list's instances as `<hex>.manifest.json` (buildah manifest push … dir:).
            ArchiveFormat::SkopeoDir => {
                let instance = format!("{}.manifest.json", digest.hex());
                if self.entry(digest.hex()).is_none() && self.entry(&instance).is_some() {
                    instance
                } else {
                    digest.hex().to_owned()
                }
            }
            _ => format!("blobs/{}/{}", digest.algorithm(), digest.hex()),
        }
    }

    /// The blob's entry, following links; `None` if it is not in the archive.
    pub fn blob(&self, digest: &Digest) -> Option<&ArchiveEntry> {
        let full = self.display_path(&self.blob_path(digest));
        self.entries.resolve(&full, "").ok()
    }

    /// Reads a manifest, index or config blob by descriptor, bounded and digest-checked. A
    /// skopeo dir's top manifest is `manifest.json` itself.
    pub fn read_blob<S: ReadAt + ?Sized>(
        &self,
        source: &S,
        digest: &Digest,
        referenced_by: &str,
        limits: &Limits,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Vec<u8>, Error> {
        let path = if self.format == ArchiveFormat::SkopeoDir && self.blob(digest).is_none() {
            "manifest.json".to_owned()
        } else {
            self.blob_path(digest)
        };
        let bytes = self.read_file(source, &path, referenced_by, limits)?;
        if digest.is_verifiable() {
            let actual = Digest::sha256_of(&bytes);
            if &actual != digest {
                diagnostics.push(Diagnostic::error(
                    "digest-mismatch",
                    self.display_path(&path),
                    format!("{referenced_by} names it {digest}, but its bytes hash to {actual}"),
                ));
            }
        }
        Ok(bytes)
    }

    /// index.json's images: each top-level descriptor, with descriptors of the same digest
    /// (several tags of one image) merged. Attestations and artifacts at the top are skipped.
    fn read_oci_index<S: ReadAt + ?Sized>(
        &mut self,
        source: &S,
        limits: &Limits,
    ) -> Result<Vec<ArchiveImage>, Error> {
        let bytes = self.read_file(source, "index.json", "the OCI layout", limits)?;
        let index = match parse_document(&self.display_path("index.json"), &bytes, "", limits)? {
            Document::Index(i) => i,
            _ => {
                return Err(Error::BadManifest {
                    path: self.display_path("index.json"),
                    detail: "it is not an image index (no `manifests` list)".into(),
                });
            }
        };
        if index.manifests.len() as u64 > limits.max_images {
            return Err(limits.exceeded(
                "max_images",
                format!("index.json lists {} manifests", index.manifests.len()),
            ));
        }
        let mut images: Vec<ArchiveImage> = Vec::new();
        for desc in index.manifests {
            if desc.is_attestation() {
                continue;
            }
            if let Err(e) = desc.digest() {
                self.diagnostics.push(Diagnostic::error(
                    "bad-digest",
                    "index.json",
                    format!("a descriptor is skipped: {e}"),
                ));
                continue;
            }
            let mut names = Vec::new();
            if let Some(n) = desc.annotation("io.containerd.image.name") {
                names.push(short_name(n));
            } else if let Some(n) = desc.annotation("org.opencontainers.image.ref.name") {
                names.push(n.to_owned());
            }
            if let Some(existing) = images.iter_mut().find(
                |i| matches!(&i.target, ImageTarget::Descriptor(d) if d.digest == desc.digest),
            ) {
                for n in names {
                    if !existing.names.contains(&n) {
                        existing.names.push(n);
                    }
                }
                continue;
            }
            images.push(ArchiveImage {
                names,
                target: ImageTarget::Descriptor(desc),
            });
        }
        // Artifacts beside images (a signature or SBOM an `oras cp -r` or BuildKit put in the
        // layout, each naming its `artifactType`) are not images to choose from; an archive
        // that holds only artifacts still opens them.
        let is_artifact = |i: &ArchiveImage| matches!(&i.target, ImageTarget::Descriptor(d) if d.artifact_type.is_some());
        if images.iter().any(|i| !is_artifact(i)) {
            images.retain(|i| !is_artifact(i));
        }
        Ok(images)
    }

    /// Config digests reachable from a manifest or index digest (for naming), best effort.
    fn config_digests_under<S: ReadAt + ?Sized>(
        &self,
        source: &S,
        digest: &Digest,
        limits: &Limits,
        depth: u64,
    ) -> Vec<Digest> {
        if depth > limits.max_index_depth || self.blob(digest).is_none() {
            return Vec::new();
        }
        let mut sink = Vec::new();
        let Ok(bytes) = self.read_blob(source, digest, "index.json", limits, &mut sink) else {
            return Vec::new();
        };
        match parse_document(&self.blob_path(digest), &bytes, "", limits) {
            Ok(Document::Manifest(m)) => m.config.digest().ok().into_iter().collect(),
            Ok(Document::Index(i)) => i
                .manifests
                .iter()
                .filter_map(|d| d.digest().ok())
                .flat_map(|d| self.config_digests_under(source, &d, limits, depth + 1))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The manifests an image offers. For a single manifest (or a `docker save` entry) that is
    /// one choice; for an index, every platform manifest reachable through nested indexes,
    /// with attestation manifests grouped under the manifest they describe.
    pub fn manifest_choices<S: ReadAt + ?Sized>(
        &self,
        source: &S,
        image: usize,
        limits: &Limits,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Vec<ManifestChoice>, Error> {
        let img = self.image(image)?;
        let ImageTarget::Descriptor(desc) = &img.target else {
            return Ok(Vec::new()); // docker save entries have one platform, no manifest
        };
        let mut leaves = Vec::new();
        self.collect_manifests(source, desc.clone(), 0, limits, diagnostics, &mut leaves)?;
        Ok(group_attestations(leaves))
    }

    fn collect_manifests<S: ReadAt + ?Sized>(
        &self,
        source: &S,
        desc: Descriptor,
        depth: u64,
        limits: &Limits,
        diagnostics: &mut Vec<Diagnostic>,
        out: &mut Vec<(Descriptor, bool)>,
    ) -> Result<(), Error> {
        let Ok(digest) = desc.digest() else {
            diagnostics.push(Diagnostic::error(
                "bad-digest",
                "index",
                format!(
                    "descriptor skipped: digest `{}` is malformed",
                    crate::text::clip(&desc.digest, 80)
                ),
            ));
            return Ok(());
        };
        let kind = classify_media_type(&desc.media_type);
        let present =
            self.blob(&digest).is_some() || (self.format == ArchiveFormat::SkopeoDir && depth == 0);
        if !present {
            out.push((desc, false));
            return Ok(());
        }
        if kind == MediaKind::Layer || kind == MediaKind::Config {
            out.push((desc, true));
            return Ok(());
        }
        let bytes = self.read_blob(source, &digest, "an image index", limits, diagnostics)?;
        match parse_document(&self.blob_path(&digest), &bytes, &desc.media_type, limits)? {
            Document::Index(index) => {
                if depth >= limits.max_index_depth {
                    return Err(limits.exceeded(
                        "max_index_depth",
                        format!("indexes nest more than {} deep at {digest} (an index that points to itself?)", limits.max_index_depth),
                    ));
                }
                if index.manifests.len() as u64 > limits.max_images {
                    return Err(limits.exceeded(
                        "max_images",
                        format!("{digest} lists {} manifests", index.manifests.len()),
                    ));
                }
                for child in index.manifests {
                    if child.digest == desc.digest {
                        diagnostics.push(Diagnostic::error(
                            "index-loop",
                            digest.to_string(),
                            "the index lists itself; that entry is skipped",
                        ));
                        continue;
                    }
                    self.collect_manifests(source, child, depth + 1, limits, diagnostics, out)?;
                }
            }
            _ => out.push((desc, true)),
        }
        Ok(())
    }

    pub fn image(&self, image: usize) -> Result<&ArchiveImage, Error> {
        self.images.get(image).ok_or_else(|| Error::NoSuchImage {
            wanted: format!("number {image}"),
            available: self
                .images
                .iter()
                .map(ArchiveImage::label)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }

    /// Picks an image by name as docker resolves one (`app` is `app:latest` is
    /// `docker.io/library/app:latest` is `index.docker.io/library/app:latest`; `user/app` is
    /// `docker.io/user/app`; `app@sha256:…` names the image by digest), by ID or digest
    /// prefix, or by position.
    pub fn find_image(&self, wanted: &str) -> Result<usize, Error> {
        let hex = wanted.strip_prefix("sha256:").unwrap_or(wanted);
        for (i, img) in self.images.iter().enumerate() {
            if img.names.iter().any(|n| names_match(n, wanted))
                || img.matches_pinned_reference(wanted)
            {
                return Ok(i);
            }
        }
        if hex.len() >= 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<usize> = self
                .images
                .iter()
                .enumerate()
                .filter(|(_, img)| {
                    img.target_digest()
                        .is_some_and(|d| d.hex().starts_with(hex))
                })
                .map(|(i, _)| i)
                .collect();
            if hits.len() == 1 {
                return Ok(hits[0]);
            }
        }
        if let Ok(n) = wanted.parse::<usize>()
            && n < self.images.len()
        {
            return Ok(n);
        }
        Err(Error::NoSuchImage {
            wanted: format!("`{}`", crate::text::clip(wanted, 100)),
            available: self
                .images
                .iter()
                .map(ArchiveImage::label)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// Whether two image names mean the same image, as docker compares them: each normalised
/// (implicit `:latest`, `docker.io/library/` for official images, `index.docker.io` as
/// `docker.io`), and compared as written when either is not a reference at all.
pub fn names_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (Reference::parse(a), Reference::parse(b)) {
        (Ok(a), Ok(b)) => a.canonical() == b.canonical(),
        _ => false,
    }
}

impl ArchiveImage {
    /// `name@sha256:…`: this image, when the digest is what it starts from (its manifest or
    /// index, or for a `docker save` entry its ID) and the name is one of its names (or it has
    /// none).
    fn matches_pinned_reference(&self, wanted: &str) -> bool {
        let Ok(r) = Reference::parse(wanted) else {
            return false;
        };
        let (Some(digest), Some(target)) = (&r.digest, self.target_digest()) else {
            return false;
        };
        let repository_of = |n: &str| Reference::parse(n).ok().map(|n| (n.domain, n.repository));
        *digest == target
            && (self.names.is_empty()
                || self
                    .names
                    .iter()
                    .any(|n| repository_of(n) == Some((r.domain.clone(), r.repository.clone()))))
    }
}

/// Attestation manifests name the manifest they describe in `vnd.docker.reference.digest`:
/// attach them there. Those whose subject is absent stay as choices of their own, labelled.
pub fn group_attestations(leaves: Vec<(Descriptor, bool)>) -> Vec<ManifestChoice> {
    let mut choices: Vec<ManifestChoice> = Vec::new();
    let mut orphans = Vec::new();
    for (desc, available) in &leaves {
        if desc.is_attestation() {
            continue;
        }
        let kind = match classify_media_type(&desc.media_type) {
            MediaKind::Other if desc.media_type.is_empty() => MediaKind::Manifest,
            k => k,
        };
        choices.push(ManifestChoice {
            platform: desc.platform.clone(),
            descriptor: desc.clone(),
            available: *available,
            attestations: Vec::new(),
            kind,
        });
    }
    for (desc, available) in leaves {
        if !desc.is_attestation() {
            continue;
        }
        let subject = desc
            .annotation("vnd.docker.reference.digest")
            .map(str::to_owned);
        match choices
            .iter_mut()
            .find(|c| Some(&c.descriptor.digest) == subject.as_ref())
        {
            Some(c) => c.attestations.push(desc),
            None => orphans.push(ManifestChoice {
                platform: None,
                descriptor: desc,
                available,
                attestations: Vec::new(),
                kind: MediaKind::Other,
            }),
        }
    }
    choices.extend(orphans);
    choices
}

/// `docker.io/library/alpine:3.20` → `alpine:3.20`, `docker.io/org/app:1` → `org/app:1`, as
/// `docker images` shows names. Other registries keep their host.
pub fn short_name(name: &str) -> String {
    let rest = name
        .strip_prefix("docker.io/")
        .or_else(|| name.strip_prefix("index.docker.io/"))
        .unwrap_or(name);
    rest.strip_prefix("library/").unwrap_or(rest).to_owned()
}

/// Picks the default manifest among choices: `linux/amd64` where present and available, else
/// the first available real platform, else the first available manifest.
pub fn default_choice(choices: &[ManifestChoice]) -> Option<usize> {
    let usable = |c: &&ManifestChoice| c.available && c.kind == MediaKind::Manifest;
    let real = |c: &ManifestChoice| c.platform.as_ref().is_some_and(|p| !p.is_unknown());
    choices
        .iter()
        .position(|c| {
            usable(&c)
                && c.platform
                    .as_ref()
                    .is_some_and(|p| p.matches("linux/amd64"))
        })
        .or_else(|| choices.iter().position(|c| usable(&c) && real(c)))
        .or_else(|| choices.iter().position(|c| usable(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_docker_resolves_them() {
        #[track_caller]
        fn check(a: &str, b: &str, same: bool) {
            assert_eq!(names_match(a, b), same, "{a} vs {b}");
            assert_eq!(names_match(b, a), same, "{b} vs {a}");
        }
        check("app", "app:latest", true);
        check("app", "docker.io/library/app:latest", true);
        check("app", "index.docker.io/library/app:latest", true);
        check("emptyimage", "emptyimage:latest", true);
        check("user/app:1", "docker.io/user/app:1", true);
        check("user/app:1", "index.docker.io/user/app:1", true);
        check("localhost:5000/app:1", "localhost:5000/app:1", true);
        check("app:1", "app:2", false);
        check("app", "library/app:2", false);
        check("user/app", "app", false);
        check("ghcr.io/org/app:1", "org/app:1", false);
        check("localhost/strata/base:1", "strata/base:1", false);
        check("Not A Reference", "Not A Reference", true);
        check("Not A Reference", "not", false);
    }

    #[test]
    fn short_names_like_docker_images() {
        assert_eq!(short_name("docker.io/library/alpine:3.20"), "alpine:3.20");
        assert_eq!(
            short_name("docker.io/strata/fixture:1.0"),
            "strata/fixture:1.0"
        );
        assert_eq!(short_name("ghcr.io/org/app:1"), "ghcr.io/org/app:1");
    }

    #[test]
    fn digests_from_paths() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for p in [
            format!("blobs/sha256/{hex}"),
            format!("{hex}.json"),
            format!("{hex}.tar"),
            format!("{hex}.tar.gz"),
            format!("sha256:{hex}"),
            hex.to_owned(),
        ] {
            assert_eq!(
                digest_from_path(&p).map(|d| d.hex().to_owned()),
                Some(hex.to_owned()),
                "{p}"
            );
        }
        assert_eq!(digest_from_path("abc/layer.tar"), None);
    }

    #[test]
    fn attestations_are_grouped_under_their_subject() {
        let d = |digest: &str, plat: Option<(&str, &str)>, att_of: Option<&str>| Descriptor {
            media_type: crate::model::media_type::OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 1,
            platform: plat.map(|(os, a)| Platform {
                os: os.into(),
                architecture: a.into(),
                ..Default::default()
            }),
            annotations: att_of.map(|s| {
                BTreeMap::from([
                    (
                        "vnd.docker.reference.type".to_owned(),
                        "attestation-manifest".to_owned(),
                    ),
                    ("vnd.docker.reference.digest".to_owned(), s.to_owned()),
                ])
            }),
            ..Default::default()
        };
        let leaves = vec![
            (d("A", Some(("linux", "amd64")), None), true),
            (d("B", Some(("linux", "arm64")), None), false),
            (d("C", Some(("unknown", "unknown")), Some("A")), true),
            (d("D", Some(("unknown", "unknown")), Some("B")), true),
        ];
        let choices = group_attestations(leaves);
        assert_eq!(choices.len(), 2);
        assert_eq!(choices[0].attestations.len(), 1);
        assert_eq!(choices[1].attestations[0].digest, "D");
        assert_eq!(default_choice(&choices), Some(0));
    }
}
