//! One image, resolved: its index (if it was chosen from one), manifest, config and layers,
//! with where each layer's bytes lie. Made from a few small reads, whatever the archive's size,
//! so the overview, history and inspect views are ready before any layer is read.

use crate::archive::{
    Archive, ArchiveFormat, ImageTarget, ManifestChoice, default_choice, digest_from_path,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::digest::{DiffId, Digest};
use crate::error::Error;
use crate::layer::decode::Compression;
use crate::layer_idx::LayerIdx;
use crate::limits::Limits;
use crate::model::{
    Descriptor, Document, ImageConfig, ImageManifest, MediaKind, Platform, RawJson, media_type,
    parse_document, parse_json,
};
use crate::source::{ReadAt, read_exact_at};
use serde::{Deserialize, Serialize};

/// Where a blob's bytes are in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobLocation {
    pub offset: u64,
    pub len: u64,
}

/// One layer of the image, before its content is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// 0-based position in the image (the `rootfs.diff_ids` order).
    pub index: usize,
    /// Path of the blob in the archive, or its digest for a registry.
    pub path: String,
    pub media_type: Option<String>,
    /// The digest the blob's bytes must have: the descriptor's, or for an uncompressed layer
    /// without a descriptor (`docker save`), its diff_id.
    pub digest: Option<Digest>,
    /// The config's `rootfs.diff_ids[index]`: the digest of the uncompressed tar.
    pub diff_id: Option<DiffId>,
    /// The size the descriptor declares.
    pub declared_size: Option<u64>,
    /// Where the blob is; `None` when it is missing from the archive.
    pub location: Option<BlobLocation>,
    /// From the blob's first bytes; `None` when the blob is missing.
    pub compression: Option<Compression>,
    /// Size of the uncompressed tar: exact for uncompressed layers and after a scan; before a
    /// scan, read from the gzip trailer or the zstd frame header when they say.
    pub uncompressed_size: Option<u64>,
    /// Whether `uncompressed_size` is known exactly (not taken from a trailer or header).
    pub uncompressed_size_exact: bool,
}

impl Layer {
    /// The stored size: the blob's, or the declared one when the blob is missing.
    pub fn size(&self) -> Option<u64> {
        self.location.map(|l| l.len).or(self.declared_size)
    }

    /// Records the uncompressed size a complete read of the layer measured (exact, unlike a
    /// trailer's or header's).
    pub fn measured(&mut self, tar_size: u64) {
        self.uncompressed_size = Some(tar_size);
        self.uncompressed_size_exact = true;
    }
}

/// An image resolved from an archive (or a registry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub format: ArchiveFormat,
    /// Tags (`RepoTags`).
    pub repo_tags: Vec<String>,
    /// The index the manifest was chosen from, when there was one.
    pub index: Option<RawJson>,
    /// The manifests the index offered (empty without an index).
    pub choices: Vec<ManifestChoice>,
    /// Which of `choices` this is.
    pub chosen: Option<usize>,
    /// The image manifest. For a `docker save` archive, which has none, the Docker v2 schema 2
    /// manifest that skopeo and podman derive from it (see `manifest_synthesized`).
    pub manifest: RawJson,
    pub manifest_synthesized: bool,
    pub manifest_media_type: String,
    /// The config as stored; its digest is the image ID.
    pub config: RawJson,
    #[serde(skip)]
    pub parsed_config: ImageConfig,
    pub layers: Vec<Layer>,
    pub platform: Platform,
    pub diagnostics: Vec<Diagnostic>,
    /// What the manifest is when it is not a container image: an OCI artifact's type (a Helm
    /// chart, a signature, an SBOM, a WASM module…), from its `artifactType`, its config's
    /// media type, or its layers' (see [`artifact_type`]). Such an image has no filesystem:
    /// its manifest and config are shown raw, and reading its layers as tars is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// The type of an OCI artifact, or `None` for a container image: a manifest with an
/// `artifactType`, or whose config is not an image config (`application/vnd.oci.image.config.v1+json`
/// or Docker's), or with a layer that is not a tar (cosign signatures use an image config with
/// a `simplesigning` layer).
pub fn artifact_type(manifest: &ImageManifest) -> Option<String> {
    if let Some(t) = &manifest.artifact_type {
        return Some(t.clone());
    }
    let config = manifest.config.media_type.as_str();
    if !config.is_empty() && config != media_type::OCI_CONFIG && config != media_type::DOCKER_CONFIG
    {
        return Some(config.to_owned());
    }
    manifest
        .layers
        .iter()
        .map(|l| l.media_type.as_str())
        .find(|t| !t.is_empty() && !t.contains("tar"))
        .map(str::to_owned)
}

impl Image {
    /// Refuses what needs a filesystem when the image is an artifact (exit 2 in the CLI).
    pub fn require_container_image(&self) -> Result<(), Error> {
        match &self.artifact {
            Some(t) => Err(Error::Invalid {
                what: format!("image {}", self.manifest.digest),
                detail: format!(
                    "an OCI artifact of type {t}, not a container image: it has no filesystem \
                     to list (its manifest and config are shown as they are)"
                ),
            }),
            None => Ok(()),
        }
    }

    /// The image ID: sha256 of the config bytes, as docker and podman print it.
    pub fn id(&self) -> &Digest {
        &self.config.digest
    }

    /// Re-parses the config after the image crossed a worker boundary (it is not serialised).
    pub fn restore_config(&mut self) {
        self.parsed_config = serde_json::from_slice(&self.config.bytes).unwrap_or_default();
    }

    /// Sum of stored layer sizes (what a pull downloads for an archive's compressed layers).
    pub fn stored_size(&self) -> u64 {
        self.layers.iter().filter_map(Layer::size).sum()
    }
}

/// Which manifest to open in an image that has an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ManifestPick {
    /// `linux/amd64` where present, else the first real platform.
    #[default]
    Default,
    /// `os/arch[/variant]`.
    Platform(String),
    /// A manifest digest.
    Digest(Digest),
}

/// Resolves image `image` of the archive: reads its index (if any), manifest and config, and
/// locates its layers. Never reads a layer's content beyond its first bytes.
pub fn load_image<S: ReadAt + ?Sized>(
    archive: &Archive,
    source: &S,
    image: usize,
    pick: &ManifestPick,
    limits: &Limits,
) -> Result<Image, Error> {
    let entry = archive.image(image)?;
    let mut diagnostics = archive.diagnostics.clone();
    match &entry.target {
        ImageTarget::DockerSave(save) => load_docker_save(
            archive,
            source,
            entry.names.clone(),
            save,
            limits,
            diagnostics,
        ),
        ImageTarget::Descriptor(top) => {
            let top_digest = top.digest().map_err(|e| Error::BadManifest {
                path: "index.json".into(),
                detail: e,
            })?;
            let mut index = None;
            let mut choices = Vec::new();
            let mut chosen = None;
            let mut manifest_desc = top.clone();
            if classify(top) == MediaKind::Index {
                let bytes = archive.read_blob(
                    source,
                    &top_digest,
                    "index.json",
                    limits,
                    &mut diagnostics,
                )?;
                index = Some(RawJson::new(archive.blob_path(&top_digest), bytes));
                choices = archive.manifest_choices(source, image, limits, &mut diagnostics)?;
                let i = pick_choice(&choices, pick)?;
                chosen = Some(i);
                manifest_desc = choices[i].descriptor.clone();
            } else if let ManifestPick::Digest(d) = pick
                && d != &top_digest
            {
                return Err(Error::NoSuchImage {
                    wanted: format!("manifest {d}"),
                    available: top_digest.to_string(),
                });
            }
            let digest = manifest_desc.digest().map_err(|e| Error::BadManifest {
                path: "index".into(),
                detail: e,
            })?;
            let bytes =
                archive.read_blob(source, &digest, "the index", limits, &mut diagnostics)?;
            let path = if archive.blob(&digest).is_some() {
                archive.blob_path(&digest)
            } else {
                "manifest.json".into()
            };
            let manifest = parse_manifest(&path, &bytes, &manifest_desc, limits, &mut diagnostics)?;
            let config_digest = manifest.config.digest().map_err(|e| Error::BadManifest {
                path: path.clone(),
                detail: format!("config: {e}"),
            })?;
            let config_bytes = archive.read_blob(
                source,
                &config_digest,
                "the manifest",
                limits,
                &mut diagnostics,
            )?;
            let config = RawJson::new(archive.blob_path(&config_digest), config_bytes);
            let parts = Parts {
                format: archive.format,
                repo_tags: entry.names.clone(),
                index,
                choices,
                chosen,
                manifest_media_type: manifest_desc.media_type.clone(),
                manifest: RawJson::new(path, bytes),
                config,
                diagnostics,
            };
            let mut image = assemble(parts, &manifest, limits, &|d: &Digest| {
                (
                    archive.blob_path(d),
                    archive.blob(d).map(|b| BlobLocation {
                        offset: b.data_offset,
                        len: b.size,
                    }),
                )
            })?;
            finish_layers(&mut image, source)?;
            Ok(image)
        }
    }
}

/// The documents of an image, however they were obtained (an archive, a registry).
#[derive(Debug)]
pub struct Parts {
    pub format: ArchiveFormat,
    pub repo_tags: Vec<String>,
    pub index: Option<RawJson>,
    pub choices: Vec<ManifestChoice>,
    pub chosen: Option<usize>,
    /// The media type the descriptor gave (manifests may lack their own).
    pub manifest_media_type: String,
    pub manifest: RawJson,
    pub config: RawJson,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses an image manifest, checking its declared size; an index, a schema 1 manifest or
/// anything else is an error that says which.
pub fn parse_manifest(
    path: &str,
    bytes: &[u8],
    desc: &Descriptor,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<ImageManifest, Error> {
    if let Some(declared) = desc.size()
        && declared != bytes.len() as u64
    {
        diagnostics.push(Diagnostic::error(
            "size-mismatch",
            path.to_owned(),
            format!(
                "the descriptor says {declared} bytes, the manifest is {} bytes",
                bytes.len()
            ),
        ));
    }
    let manifest = match parse_document(path, bytes, &desc.media_type, limits)? {
        Document::Manifest(m) => m,
        Document::Index(_) => {
            return Err(Error::BadManifest {
                path: path.to_owned(),
                detail: "expected an image manifest, found an index".into(),
            });
        }
        Document::Schema1 => {
            return Err(Error::BadManifest {
                path: path.to_owned(),
                detail: "Docker schema 1 manifests are obsolete and not supported; convert with `skopeo copy --format v2s2`".into(),
            });
        }
        Document::Other => {
            return Err(Error::BadManifest {
                path: path.to_owned(),
                detail: "it is neither a manifest nor an index".into(),
            });
        }
    };
    // An artifact (a config or layers that are not an image's) is said once, by `assemble`.
    Ok(manifest)
}

/// Builds the [`Image`] from its documents; `locate` names and locates each layer blob.
pub fn assemble(
    parts: Parts,
    manifest: &ImageManifest,
    limits: &Limits,
    locate: &dyn Fn(&Digest) -> (String, Option<BlobLocation>),
) -> Result<Image, Error> {
    let Parts {
        format,
        repo_tags,
        index,
        choices,
        chosen,
        manifest_media_type,
        manifest: raw,
        config,
        mut diagnostics,
    } = parts;
    if let Some(declared) = manifest.config.size()
        && declared != config.bytes.len() as u64
    {
        diagnostics.push(Diagnostic::error(
            "size-mismatch",
            "config",
            format!(
                "the manifest says {declared} bytes, the config is {} bytes",
                config.bytes.len()
            ),
        ));
    }
    let artifact = artifact_type(manifest);
    let parsed_config: ImageConfig = parse_json(&config.source, &config.bytes, limits)
        .unwrap_or_else(|e| {
            // An artifact's config is whatever its type says, not an image config.
            if artifact.is_none() {
                diagnostics.push(Diagnostic::error("bad-config", "config", e.to_string()));
            }
            ImageConfig::default()
        });
    if let Some(t) = &artifact {
        diagnostics.push(Diagnostic::note(
            "artifact",
            "manifest",
            format!(
                "an OCI artifact of type {}, not a container image",
                crate::text::clip(t, 100)
            ),
        ));
    }
    if manifest.layers.len() as u64 > limits.max_layers {
        return Err(limits.exceeded(
            "max_layers",
            format!("the manifest lists {} layers", manifest.layers.len()),
        ));
    }
    let diff_ids = parsed_config.rootfs.clone().unwrap_or_default().diff_ids();
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (i, desc) in manifest.layers.iter().enumerate() {
        let digest = desc.digest().ok();
        let (path, location) = match &digest {
            Some(d) => locate(d),
            None => (desc.digest.clone(), None),
        };
        layers.push(Layer {
            index: i,
            path,
            media_type: Some(desc.media_type.clone()),
            digest,
            diff_id: diff_ids.get(i).cloned().flatten(),
            declared_size: desc.size(),
            location,
            compression: None,
            uncompressed_size: None,
            uncompressed_size_exact: false,
        });
    }
    let mut platform = platform_of(&parsed_config);
    if let Some(p) = chosen.and_then(|i| choices[i].platform.clone())
        && platform.os.is_empty()
    {
        platform = p;
    }
    Ok(Image {
        format,
        repo_tags,
        index,
        choices,
        chosen,
        manifest_media_type: manifest.media_type.clone().unwrap_or(manifest_media_type),
        manifest: raw,
        manifest_synthesized: false,
        config,
        parsed_config,
        layers,
        platform,
        diagnostics,
        artifact,
    })
}

fn classify(d: &Descriptor) -> MediaKind {
    classify_media_type_str(&d.media_type)
}

fn classify_media_type_str(mt: &str) -> MediaKind {
    crate::model::classify_media_type(mt)
}

/// Picks a manifest among an index's choices (for registries as for archives).
pub fn pick_choice(choices: &[ManifestChoice], pick: &ManifestPick) -> Result<usize, Error> {
    let available = || {
        choices
            .iter()
            .map(ManifestChoice::label)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let i = match pick {
        ManifestPick::Default => default_choice(choices),
        ManifestPick::Platform(spec) => choices
            .iter()
            .position(|c| c.available && c.platform.as_ref().is_some_and(|p| p.matches(spec)))
            .or_else(|| {
                choices
                    .iter()
                    .position(|c| c.platform.as_ref().is_some_and(|p| p.matches(spec)))
            }),
        ManifestPick::Digest(d) => choices
            .iter()
            .position(|c| c.descriptor.digest == d.as_str()),
    };
    let i = i.ok_or_else(|| Error::NoSuchImage {
        wanted: match pick {
            ManifestPick::Default => "with a platform".into(),
            ManifestPick::Platform(p) => format!("for platform {p}"),
            ManifestPick::Digest(d) => format!("with manifest {d}"),
        },
        available: available(),
    })?;
    if !choices[i].available {
        return Err(Error::MissingFile {
            path: format!(
                "blobs/sha256/{}",
                choices[i].descriptor.digest.trim_start_matches("sha256:")
            ),
            referenced_by: format!(
                "the index (for {}; this archive holds the blobs of other platforms only)",
                choices[i].label()
            ),
        });
    }
    Ok(i)
}

fn platform_of(config: &ImageConfig) -> Platform {
    Platform {
        os: config.os.clone().unwrap_or_default(),
        architecture: config.architecture.clone().unwrap_or_default(),
        variant: config.variant.clone().filter(|v| !v.is_empty()),
        os_version: config.os_version.clone().filter(|v| !v.is_empty()),
        os_features: None,
    }
}

fn load_docker_save<S: ReadAt + ?Sized>(
    archive: &Archive,
    source: &S,
    repo_tags: Vec<String>,
    save: &crate::archive::DockerSaveEntry,
    limits: &Limits,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Image, Error> {
    let config_bytes = archive.read_file(source, &save.config, "manifest.json", limits)?;
    let config = RawJson::new(save.config.clone(), config_bytes);
    if let Some(named) = digest_from_path(&save.config)
        && named != config.digest
    {
        diagnostics.push(Diagnostic::error(
            "digest-mismatch",
            save.config.clone(),
            format!(
                "the config's name says {named}, but its bytes hash to {}",
                config.digest
            ),
        ));
    }
    let parsed_config: ImageConfig = parse_json(&config.source, &config.bytes, limits)
        .unwrap_or_else(|e| {
            diagnostics.push(Diagnostic::error("bad-config", "config", e.to_string()));
            ImageConfig::default()
        });
    if save.layers.len() as u64 > limits.max_layers {
        return Err(limits.exceeded(
            "max_layers",
            format!("manifest.json lists {} layers", save.layers.len()),
        ));
    }
    let diff_ids = parsed_config.rootfs.clone().unwrap_or_default().diff_ids();
    let sources = save.layer_sources.clone().unwrap_or_default();
    let mut layers = Vec::with_capacity(save.layers.len());
    for (i, path) in save.layers.iter().enumerate() {
        let named = digest_from_path(path);
        let desc = named.as_ref().and_then(|d| sources.get(d.as_str()));
        let location = match archive
            .entries
            .resolve(&format!("{}{path}", archive.root), "manifest.json")
        {
            Ok(e) => Some(BlobLocation {
                offset: e.data_offset,
                len: e.size,
            }),
            Err(e) => {
                diagnostics.push(Diagnostic::about_layer(
                    Severity::Error,
                    "missing-blob",
                    LayerIdx::new(i),
                    format!("its blob is missing from the archive: {e}"),
                ));
                None
            }
        };
        layers.push(Layer {
            index: i,
            path: path.clone(),
            media_type: desc.map(|d| d.media_type.clone()),
            digest: desc.and_then(|d| d.digest().ok()).or(named),
            diff_id: diff_ids.get(i).cloned().flatten(),
            declared_size: desc.and_then(Descriptor::size),
            location,
            compression: None,
            uncompressed_size: None,
            uncompressed_size_exact: false,
        });
    }
    let platform = platform_of(&parsed_config);
    let mut image = Image {
        format: archive.format,
        repo_tags,
        index: None,
        choices: Vec::new(),
        chosen: None,
        manifest: RawJson::new("manifest.json", Vec::new()),
        manifest_synthesized: true,
        manifest_media_type: media_type::DOCKER_MANIFEST.into(),
        config,
        parsed_config,
        layers,
        platform,
        diagnostics,
        // `docker save` archives hold container images only.
        artifact: None,
    };
    finish_layers(&mut image, source)?;
    image.manifest = RawJson::new("manifest.json", synthesize_manifest(&image));
    Ok(image)
}

/// The Docker v2 schema 2 manifest containers/image (skopeo, podman) derives for a
/// `docker save` archive: config and layers as descriptors, each layer named by its diff_id
/// with the size of its tar, serialised as Go's `json.Marshal` does (no spaces, this key order).
/// Its digest is what `skopeo inspect` and `podman images --digests` show for the archive.
fn synthesize_manifest(image: &Image) -> Vec<u8> {
    use serde_json::json;
    let layers: Vec<serde_json::Value> = image
        .layers
        .iter()
        .map(|l| {
            let digest = l.diff_id.as_ref().map(|d| d.to_string()).or_else(|| l.digest.as_ref().map(|d| d.to_string()));
            json!({"mediaType": media_type::DOCKER_LAYER_GZIP, "size": l.size().unwrap_or(0), "digest": digest.unwrap_or_default()})
        })
        .collect();
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": media_type::DOCKER_MANIFEST,
        "config": {"mediaType": media_type::DOCKER_CONFIG, "size": image.config.bytes.len(), "digest": image.config.digest.to_string()},
        "layers": layers,
    });
    // serde_json's `preserve_order` is off: build the text by hand to keep Go's key order.
    go_json(&doc)
}

/// Serialises with keys in the order Go's struct tags give for manifests and descriptors.
fn go_json(v: &serde_json::Value) -> Vec<u8> {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                const ORDER: [&str; 6] = [
                    "schemaVersion",
                    "mediaType",
                    "config",
                    "layers",
                    "size",
                    "digest",
                ];
                out.push('{');
                let mut first = true;
                for key in ORDER.iter().filter(|k| map.contains_key(**k)) {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&serde_json::Value::String((*key).to_owned()).to_string());
                    out.push(':');
                    write(&map[*key], out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s.into_bytes()
}

/// The gzip trailer's ISIZE: the uncompressed size modulo 4 GiB of the last member (every
/// tool writes one member; sizes are refined when the layer is read).
fn gzip_isize<S: ReadAt + ?Sized>(source: &S, loc: BlobLocation) -> Result<Option<u64>, Error> {
    if loc.len < 18 {
        return Ok(None);
    }
    let mut t = [0u8; 4];
    read_exact_at(source, loc.offset + loc.len - 4, &mut t, "a gzip trailer")?;
    Ok(Some(u64::from(u32::from_le_bytes(t))))
}

/// The zstd frame header's content size, when the (first) frame declares it.
fn zstd_content_size<S: ReadAt + ?Sized>(
    source: &S,
    loc: BlobLocation,
) -> Result<Option<u64>, Error> {
    let mut h = [0u8; 18];
    let n = usize::try_from(loc.len.min(18)).unwrap_or(0);
    read_exact_at(source, loc.offset, &mut h[..n], "a zstd frame header")?;
    Ok(crate::layer::decode::zstd_frame_content_size(&h[..n]))
}

/// Sniffs the compression of each layer whose size is not known yet and fills in its
/// uncompressed size from what the blob's ends declare (the gzip trailer, the zstd frame
/// header): a few bytes per layer and nothing else. A registry image's layers start without
/// either, since a blob request is not free and the overview needs neither; archives get both
/// when they are loaded.
pub fn trailer_sizes<S: ReadAt + ?Sized>(image: &mut Image, source: &S) -> Result<(), Error> {
    let mut diagnostics = Vec::new();
    for layer in &mut image.layers {
        if layer.uncompressed_size.is_none() {
            sniff_layer(layer, source, &mut diagnostics)?;
        }
    }
    image.diagnostics.extend(diagnostics);
    Ok(())
}

/// What a layer's media type says does not bind its bytes: skopeo labels the plain tar layers
/// it pushes from a docker-archive `tar.gzip`, and docker-archive has no media types at all.
fn media_type_mismatch(layer: &Layer, sniffed: Compression) -> Option<Diagnostic> {
    let claimed = layer
        .media_type
        .as_deref()
        .and_then(Compression::from_media_type)?;
    (claimed != sniffed).then(|| {
        Diagnostic::about_layer(
            Severity::Warning,
            "media-type-mismatch",
            LayerIdx::new(layer.index),
            format!(
                "the media type says {} but the blob is {}; it is read as what it is",
                claimed.describe(),
                sniffed.describe()
            ),
        )
    })
}

/// Reads a layer's first bytes (and, compressed, its trailer or frame header): its real
/// compression, its uncompressed size where the format declares one, and the digest of an
/// uncompressed layer, which is its diff_id.
fn sniff_layer<S: ReadAt + ?Sized>(
    layer: &mut Layer,
    source: &S,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let Some(loc) = layer.location else {
        return Ok(());
    };
    let mut magic = [0u8; 4];
    let n = usize::try_from(loc.len.min(4)).unwrap_or(0);
    read_exact_at(
        source,
        loc.offset,
        &mut magic[..n],
        &format!("layer {}", layer.index + 1),
    )?;
    let sniffed = Compression::sniff(&magic[..n]);
    layer.compression = Some(sniffed);
    layer.uncompressed_size_exact = sniffed == Compression::None;
    layer.uncompressed_size = match sniffed {
        Compression::None => Some(loc.len),
        Compression::Gzip => gzip_isize(source, loc)?,
        Compression::Zstd => zstd_content_size(source, loc)?,
    };
    diagnostics.extend(media_type_mismatch(layer, sniffed));
    if layer.digest.is_none() && sniffed == Compression::None {
        layer.digest = layer.diff_id.as_ref().map(DiffId::as_uncompressed_digest);
    }
    Ok(())
}

/// Records what reading a layer found its compression to be, where that differs from what was
/// assumed (a registry layer's compression is first taken from its media type), and says so
/// when the media type was wrong.
pub fn learn_compression(image: &mut Image, i: usize, found: Compression) -> Option<Diagnostic> {
    let layer = &mut image.layers[i];
    if layer.compression == Some(found) {
        return None;
    }
    layer.compression = Some(found);
    media_type_mismatch(layer, found)
}

/// Sniffs each present layer's compression from its first bytes, fills in digests of
/// uncompressed layers from their diff_ids, and checks the layers against the config.
fn finish_layers<S: ReadAt + ?Sized>(image: &mut Image, source: &S) -> Result<(), Error> {
    let n_diff_ids = image
        .parsed_config
        .rootfs
        .as_ref()
        .map_or(0, |r| r.diff_ids.len());
    // An artifact's config has no rootfs: its "layers" are blobs, not filesystem changes.
    if n_diff_ids != image.layers.len() && image.artifact.is_none() {
        image.diagnostics.push(Diagnostic::error(
            "layer-count-mismatch",
            "config",
            format!(
                "the config lists {n_diff_ids} diff_ids but the {} lists {} layers",
                if image.manifest_synthesized {
                    "archive"
                } else {
                    "manifest"
                },
                image.layers.len()
            ),
        ));
    }
    for layer in &mut image.layers {
        sniff_layer(layer, source, &mut image.diagnostics)?;
        let Some(loc) = layer.location else { continue };
        if let Some(declared) = layer.declared_size
            && declared != loc.len
        {
            image.diagnostics.push(Diagnostic::about_layer(
                Severity::Error,
                "size-mismatch",
                LayerIdx::new(layer.index),
                format!(
                    "the descriptor says {declared} bytes, the blob is {} bytes",
                    loc.len
                ),
            ));
        }
    }
    for layer in &image.layers {
        if layer.location.is_none()
            && !image
                .diagnostics
                .iter()
                .any(|d| d.layer == Some(LayerIdx::new(layer.index)))
        {
            image.diagnostics.push(Diagnostic::about_layer(
                Severity::Error,
                "missing-blob",
                LayerIdx::new(layer.index),
                format!("its blob `{}` is not in the archive", layer.path),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Which image `load_image` opens and what it knows of its layers before reading them, one
    //! line a case: a fixture, the image number and manifest pick, and what comes out.

    use super::*;
    use crate::{MemorySource, open_archive};

    const DOCKER: &[u8] = include_bytes!("../../tests/data/tiny.docker.tar");
    const OCI: &[u8] = include_bytes!("../../tests/data/tiny.oci.tar");
    const OCI_ZSTD: &[u8] = include_bytes!("../../tests/data/tiny.oci-zstd.tar");

    /// What a case expects: the manifest derived or stored, each layer's compression (`-`
    /// none, `g` gzip, `z` zstd), or the error's kind.
    enum Want {
        Image {
            synthesized: bool,
            compression: &'static str,
        },
        Fails(&'static str),
    }

    /// The manifest digest of a fixture's default image.
    fn manifest_digest(archive: &[u8]) -> Digest {
        match load(archive, 0, &ManifestPick::Default) {
            Ok(image) => image.manifest.digest,
            Err(e) => panic!("{e}"),
        }
    }

    fn load(archive: &[u8], number: usize, pick: &ManifestPick) -> Result<Image, Error> {
        let source = MemorySource::new(archive.to_vec());
        let limits = Limits::default();
        let opened = open_archive(&source, &limits, &mut |_| {})?;
        load_image(&opened, &source, number, pick, &limits)
    }

    #[track_caller]
    fn check(archive: &[u8], number: usize, pick: ManifestPick, want: Want) {
        let got = load(archive, number, &pick);
        match (got, want) {
            (
                Ok(image),
                Want::Image {
                    synthesized,
                    compression,
                },
            ) => {
                assert_eq!(image.manifest_synthesized, synthesized, "manifest derived");
                let got: String = image
                    .layers
                    .iter()
                    .map(|l| match l.compression {
                        Some(Compression::None) => '-',
                        Some(Compression::Gzip) => 'g',
                        Some(Compression::Zstd) => 'z',
                        None => '?',
                    })
                    .collect();
                assert_eq!(got, compression, "layer compression, sniffed");
                assert!(image.layers.iter().all(|l| l.location.is_some()));
                assert!(image.diagnostics.is_empty(), "{:?}", image.diagnostics);
            }
            (Err(e), Want::Fails(kind)) => assert_eq!(e.kind(), kind, "{e}"),
            (Ok(image), Want::Fails(kind)) => panic!("opened {}, not {kind}", image.id()),
            (Err(e), Want::Image { .. }) => panic!("failed: {e}"),
        }
    }

    #[test]
    fn which_image_and_what_is_known_before_the_layers() {
        use ManifestPick::{Default, Digest as ByDigest};
        let image = |synthesized, compression| Want::Image {
            synthesized,
            compression,
        };
        // docker save has no manifest: the one containers/image derives.
        check(DOCKER, 0, Default, image(true, "--"));
        check(OCI, 0, Default, image(false, "gg"));
        check(OCI_ZSTD, 0, Default, image(false, "zz"));
        // A manifest picked by its digest; another digest is no image of this archive.
        check(OCI, 0, ByDigest(manifest_digest(OCI)), image(false, "gg"));
        check(
            OCI,
            0,
            ByDigest(manifest_digest(DOCKER)),
            Want::Fails("no-such-image"),
        );
        // An image number the archive does not have.
        check(OCI, 3, Default, Want::Fails("no-such-image"));
    }
}
