//! The OCI and Docker documents an image is made of, named as the specs name them:
//! [`Descriptor`], [`ImageManifest`], [`ImageIndex`], [`ImageConfig`], [`Platform`].
//!
//! Every field real documents omit is optional, unknown fields are ignored (not rejected), and
//! the raw bytes of each document are kept beside the parsed form ([`RawJson`]) so the raw view
//! is byte-exact and digests can be checked.

use crate::digest::{DiffId, Digest};
use crate::error::Error;
use crate::limits::Limits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Media types of the OCI image spec and Docker's distribution formats.
pub mod media_type {
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    pub const DOCKER_MANIFEST_V1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    pub const DOCKER_LAYER_FOREIGN_GZIP: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    pub const DOCKER_LAYER_ZSTD: &str = "application/vnd.docker.image.rootfs.diff.tar.zstd";

    /// Every manifest and index type, for a registry's `Accept` header: without the OCI ones a
    /// registry answers 404 for OCI manifests, and without the list types it picks one platform.
    pub const ALL_MANIFESTS: [&str; 5] = [
        OCI_INDEX,
        OCI_MANIFEST,
        DOCKER_MANIFEST_LIST,
        DOCKER_MANIFEST,
        DOCKER_MANIFEST_V1_SIGNED,
    ];
}

/// What a media type says a blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaKind {
    Index,
    Manifest,
    Config,
    Layer,
    /// Docker schema 1: obsolete, shown but not opened.
    Schema1,
    /// Anything else (artifacts, signatures, SBOMs): kept and labelled.
    Other,
}

pub fn classify_media_type(mt: &str) -> MediaKind {
    use media_type::*;
    match mt {
        OCI_INDEX | DOCKER_MANIFEST_LIST => MediaKind::Index,
        OCI_MANIFEST | DOCKER_MANIFEST => MediaKind::Manifest,
        OCI_CONFIG | DOCKER_CONFIG => MediaKind::Config,
        DOCKER_MANIFEST_V1 | DOCKER_MANIFEST_V1_SIGNED => MediaKind::Schema1,
        _ if mt.starts_with("application/vnd.oci.image.layer.")
            || mt.starts_with("application/vnd.docker.image.rootfs.") =>
        {
            MediaKind::Layer
        }
        _ => MediaKind::Other,
    }
}

/// A reference to a blob: what it is, its digest and its size (OCI image spec, "Descriptors").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// Kept as written; [`Descriptor::digest`] validates it.
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    pub fn digest(&self) -> Result<Digest, String> {
        Digest::parse(&self.digest)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// Docker's buildx attestation manifests: `vnd.docker.reference.type: attestation-manifest`
    /// (platform unknown/unknown), describing the manifest named by `vnd.docker.reference.digest`.
    pub fn is_attestation(&self) -> bool {
        self.annotation("vnd.docker.reference.type") == Some("attestation-manifest")
    }

    /// The declared size as a byte count; negative sizes (hostile) are `None`.
    pub fn size(&self) -> Option<u64> {
        u64::try_from(self.size).ok()
    }
}

/// os/architecture/variant, as in an index's descriptors and in a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `os/arch[/variant]`, as `--platform` takes it.
    pub fn spec(&self) -> String {
        let mut s = format!("{}/{}", self.os, self.architecture);
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            s.push('/');
            s.push_str(v);
        }
        s
    }

    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.architecture == "unknown"
    }

    /// Whether `spec` (`os/arch[/variant]`) picks this platform. A spec without a variant
    /// matches any variant.
    pub fn matches(&self, spec: &str) -> bool {
        let mut parts = spec.split('/');
        let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
        os == Some(self.os.as_str())
            && arch == Some(self.architecture.as_str())
            && variant.is_none_or(|v| self.variant.as_deref() == Some(v))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.spec())?;
        if let Some(v) = self.os_version.as_deref().filter(|v| !v.is_empty()) {
            write!(f, " ({v})")?;
        }
        Ok(())
    }
}

/// An image manifest: OCI `image.manifest.v1` or Docker v2 schema 2 (same shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: i64,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An image index: OCI `image.index.v1` or a Docker manifest list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageIndex {
    #[serde(rename = "schemaVersion", default)]
    pub schema_version: i64,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The image configuration (OCI `image.config.v1`, Docker `container.image.v1`): what
/// `docker image inspect` and `docker history` are made from. Only what the engine reads is
/// typed; the whole document stays available as JSON for the inspect view.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    #[serde(rename = "os.version")]
    pub os_version: Option<String>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub docker_version: Option<String>,
    pub comment: Option<String>,
    pub config: Option<ContainerConfig>,
    pub rootfs: Option<RootFs>,
    pub history: Option<Vec<HistoryEntry>>,
}

/// The `config` object: how a container from this image runs. Kept as JSON for inspect; these
/// are the fields the overview shows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainerConfig {
    #[serde(rename = "User")]
    pub user: Option<String>,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Cmd")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Entrypoint")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "WorkingDir")]
    pub working_dir: Option<String>,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "ExposedPorts")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Volumes")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "StopSignal")]
    pub stop_signal: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub diff_ids: Vec<String>,
}

impl RootFs {
    /// The diff_ids that parse; a malformed one is `None` at its position.
    pub fn diff_ids(&self) -> Vec<Option<DiffId>> {
        self.diff_ids
            .iter()
            .map(|d| DiffId::parse(d).ok())
            .collect()
    }
}

/// One line of `docker history`. `empty_layer` entries (ENV, CMD, LABEL…) have no layer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct HistoryEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

/// A JSON document as stored: its bytes (for the byte-exact raw view and digest checks), its
/// sha256, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawJson {
    /// Path in the archive, or a URL path for a registry.
    pub source: String,
    pub digest: Digest,
    #[serde(with = "bytes_as_string")]
    pub bytes: Vec<u8>,
}

impl RawJson {
    pub fn new(source: impl Into<String>, bytes: Vec<u8>) -> Self {
        RawJson {
            source: source.into(),
            digest: Digest::sha256_of(&bytes),
            bytes,
        }
    }

    /// The document as text (lossy only for invalid UTF-8, which a valid JSON never has).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Raw documents cross the worker boundary as JSON strings, not arrays of numbers.
mod bytes_as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        String::deserialize(d).map(String::into_bytes)
    }
}

/// Parses an untrusted JSON document with the size and depth limits applied first, so a
/// 100,000-deep document is a named limit, not a stack overflow.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    path: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<T, Error> {
    if bytes.len() as u64 > limits.max_json_bytes {
        return Err(limits.exceeded(
            "max_json_bytes",
            format!("`{path}` is {} bytes", bytes.len()),
        ));
    }
    let depth = json_depth(bytes);
    // serde_json refuses more than 128 levels by itself; the limit can only lower that.
    if depth > limits.max_json_depth.min(128) {
        return Err(limits.exceeded(
            "max_json_depth",
            format!("`{path}` nests {depth} levels deep"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::BadJson {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// The deepest nesting of `[` and `{` outside strings (stops counting past 1,000,000).
fn json_depth(bytes: &[u8]) -> u64 {
    let (mut depth, mut max, mut in_string, mut escaped) = (0u64, 0u64, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
                if max > 1_000_000 {
                    return max;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A manifest-shaped document of any kind, told apart by its content as well as its media
/// type (umoci writes manifests without `mediaType`).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived, matched at once
pub enum Document {
    Index(ImageIndex),
    Manifest(ImageManifest),
    Schema1,
    /// Valid JSON that is none of the above.
    Other,
}

pub fn parse_document(
    path: &str,
    bytes: &[u8],
    media_type: &str,
    limits: &Limits,
) -> Result<Document, Error> {
    let value: serde_json::Value = parse_json(path, bytes, limits)?;
    let obj = value.as_object();
    let own_mt = obj
        .and_then(|o| o.get("mediaType"))
        .and_then(|m| m.as_str())
        .unwrap_or(media_type);
    let kind = match classify_media_type(own_mt) {
        MediaKind::Other if obj.is_some_and(|o| o.contains_key("manifests")) => MediaKind::Index,
        MediaKind::Other if obj.is_some_and(|o| o.contains_key("config")) => MediaKind::Manifest,
        MediaKind::Other
            if obj
                .and_then(|o| o.get("schemaVersion"))
                .and_then(|v| v.as_i64())
                == Some(1) =>
        {
            MediaKind::Schema1
        }
        k => k,
    };
    let typed = |e: serde_json::Error| Error::BadManifest {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    Ok(match kind {
        MediaKind::Index => Document::Index(serde_json::from_slice(bytes).map_err(typed)?),
        MediaKind::Manifest => Document::Manifest(serde_json::from_slice(bytes).map_err(typed)?),
        MediaKind::Schema1 => Document::Schema1,
        _ => Document::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_media_types() {
        assert_eq!(classify_media_type(media_type::OCI_INDEX), MediaKind::Index);
        assert_eq!(
            classify_media_type(media_type::DOCKER_MANIFEST),
            MediaKind::Manifest
        );
        assert_eq!(
            classify_media_type(media_type::DOCKER_LAYER_GZIP),
            MediaKind::Layer
        );
        assert_eq!(
            classify_media_type("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
            MediaKind::Layer
        );
        assert_eq!(
            classify_media_type("application/vnd.in-toto+json"),
            MediaKind::Other
        );
    }

    #[test]
    fn deep_json_is_a_named_limit_not_a_crash() {
        let deep = "[".repeat(100_000);
        let err = parse_json::<serde_json::Value>("config", deep.as_bytes(), &Limits::default())
            .unwrap_err();
        assert!(err.to_string().contains("max_json_depth"), "{err}");
        let big = vec![b' '; 100];
        let limits = Limits {
            max_json_bytes: 10,
            ..Limits::default()
        };
        let err = parse_json::<serde_json::Value>("x", &big, &limits).unwrap_err();
        assert!(err.to_string().contains("max_json_bytes"), "{err}");
        assert_eq!(json_depth(br#"{"a":"[[[[","b":[{}]}"#), 3);
    }

    #[test]
    fn duplicate_keys_in_a_manifest_are_refused() {
        let doc =
            br#"{"schemaVersion":2,"config":{"digest":"x","size":1},"layers":[],"layers":[]}"#;
        let err = parse_document("m", doc, "", &Limits::default()).unwrap_err();
        assert!(
            err.to_string().contains("duplicate field `layers`"),
            "{err}"
        );
    }

    #[test]
    fn documents_without_media_type_are_told_apart_by_shape() {
        let l = Limits::default();
        assert!(matches!(
            parse_document("i", br#"{"schemaVersion":2,"manifests":[]}"#, "", &l).unwrap(),
            Document::Index(_)
        ));
        assert!(matches!(
            parse_document(
                "m",
                br#"{"schemaVersion":2,"config":{"digest":"sha256:x","size":2}}"#,
                "",
                &l
            )
            .unwrap(),
            Document::Manifest(_)
        ));
        assert!(matches!(
            parse_document("s", br#"{"schemaVersion":1,"fsLayers":[]}"#, "", &l).unwrap(),
            Document::Schema1
        ));
        assert!(matches!(
            parse_document("o", br#"{"hello":1}"#, "", &l).unwrap(),
            Document::Other
        ));
    }

    #[test]
    fn platform_specs() {
        let p = Platform {
            os: "linux".into(),
            architecture: "arm".into(),
            variant: Some("v7".into()),
            ..Default::default()
        };
        assert_eq!(p.spec(), "linux/arm/v7");
        assert!(p.matches("linux/arm"));
        assert!(p.matches("linux/arm/v7"));
        assert!(!p.matches("linux/arm/v6"));
        assert!(!p.matches("linux/amd64"));
    }
}
