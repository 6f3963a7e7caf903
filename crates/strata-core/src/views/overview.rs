//! The overview of one image: what the first screen shows. Built from the [`Image`] alone (the
//! manifest and config), so it is ready after a few small reads, whatever the archive's size.

use crate::archive::short_name;
use crate::diagnostic::Diagnostic;
use crate::image::Image;
use crate::layer::decode::Compression;
use crate::text::format_bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub format: String,
    pub repo_tags: Vec<String>,
    /// `name@manifest-digest` for each tag's repository.
    pub repo_digests: Vec<String>,
    pub image_id: String,
    pub manifest_digest: String,
    pub manifest_media_type: String,
    /// True for `docker save` archives: the manifest is derived, as skopeo and podman derive it.
    pub manifest_synthesized: bool,
    pub index_digest: Option<String>,
    pub platform: String,
    pub created: Option<String>,
    pub author: Option<String>,
    pub docker_version: Option<String>,
    pub comment: Option<String>,
    pub n_layers: usize,
    pub n_history: usize,
    pub n_empty_history: usize,
    /// Sum of the layer blobs as stored.
    pub stored_size: u64,
    pub stored_size_text: String,
    pub layers: Vec<OverviewLayer>,
    pub user: Option<String>,
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub stop_signal: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// The artifact's type when the manifest is not a container image (a Helm chart, a
    /// signature, an SBOM): the page and the CLI say so and show it raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewLayer {
    /// 1-based, as people count layers.
    pub number: usize,
    pub digest: Option<String>,
    pub diff_id: Option<String>,
    pub media_type: Option<String>,
    pub compression: Option<Compression>,
    pub size: Option<u64>,
    pub size_text: String,
    pub missing: bool,
}

/// RepoDigests: each tagged repository `@` the manifest digest, for an image whose manifest is
/// its own (a registry's, an OCI layout's). None for a `docker save` archive, which carries no
/// manifest: the one skopeo and podman derive is not what a registry would serve (the same
/// image pushed gets another digest), and `docker image inspect` after `docker load` lists none.
pub fn repo_digests(image: &Image) -> Vec<String> {
    if image.manifest_synthesized {
        return Vec::new();
    }
    podman_repo_digests(image)
}

/// RepoDigests as podman shows them: each tagged repository `@` the manifest digest, the
/// derived one too.
pub fn podman_repo_digests(image: &Image) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in &image.repo_tags {
        if let Some(d) = repo_digest(tag, image.manifest.digest.as_str())
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

/// `repo:tag` → `repo@digest`. `None` for a bare OCI `ref.name` such as `1` or `latest` (what
/// `skopeo copy … oci-archive:FILE:latest` writes): a tag with no repository has no digest
/// reference, and `latest@sha256:…` would name an image called "latest".
fn repo_digest(tag: &str, digest: &str) -> Option<String> {
    if !tag.contains(['/', ':', '@']) {
        return None;
    }
    Some(format!("{}@{digest}", repository_of(tag)))
}

/// `docker.io/library/alpine:3.20` → `docker.io/library/alpine` (strips the tag, keeps a port).
pub fn repository_of(tag: &str) -> &str {
    let name = tag.split('@').next().unwrap_or(tag);
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    }
}

pub fn overview(image: &Image) -> Overview {
    let c = &image.parsed_config;
    let cc = c.config.clone().unwrap_or_default();
    let history = c.history.clone().unwrap_or_default();
    let layers = image
        .layers
        .iter()
        .map(|l| OverviewLayer {
            number: l.index + 1,
            digest: l.digest.as_ref().map(ToString::to_string),
            diff_id: l.diff_id.as_ref().map(ToString::to_string),
            media_type: l.media_type.clone().filter(|m| !m.is_empty()),
            compression: l.compression,
            size: l.size(),
            size_text: l.size().map_or_else(|| "?".into(), format_bytes),
            missing: l.location.is_none(),
        })
        .collect();
    Overview {
        format: image.format.label().into(),
        repo_tags: image.repo_tags.iter().map(|t| short_name(t)).collect(),
        repo_digests: repo_digests(image),
        image_id: image.id().to_string(),
        manifest_digest: image.manifest.digest.to_string(),
        manifest_media_type: image.manifest_media_type.clone(),
        manifest_synthesized: image.manifest_synthesized,
        index_digest: image.index.as_ref().map(|i| i.digest.to_string()),
        platform: image.platform.to_string(),
        created: c.created.clone(),
        author: c.author.clone().filter(|a| !a.is_empty()),
        docker_version: c.docker_version.clone().filter(|a| !a.is_empty()),
        comment: c.comment.clone().filter(|a| !a.is_empty()),
        n_layers: image.layers.len(),
        n_history: history.len(),
        n_empty_history: history
            .iter()
            .filter(|h| h.empty_layer == Some(true))
            .count(),
        stored_size: image.stored_size(),
        stored_size_text: format_bytes(image.stored_size()),
        layers,
        user: cc.user.filter(|u| !u.is_empty()),
        env: cc.env.unwrap_or_default(),
        cmd: cc.cmd,
        entrypoint: cc.entrypoint,
        working_dir: cc.working_dir.filter(|w| !w.is_empty()),
        labels: cc.labels.unwrap_or_default(),
        exposed_ports: cc
            .exposed_ports
            .map(|m| m.into_keys().collect())
            .unwrap_or_default(),
        volumes: cc
            .volumes
            .map(|m| m.into_keys().collect())
            .unwrap_or_default(),
        stop_signal: cc.stop_signal,
        diagnostics: image.diagnostics.clone(),
        artifact: image.artifact.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_keep_ports() {
        assert_eq!(
            repository_of("docker.io/library/alpine:3.20"),
            "docker.io/library/alpine"
        );
        assert_eq!(repository_of("localhost:5000/app:1"), "localhost:5000/app");
        assert_eq!(repository_of("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository_of("app@sha256:abc"), "app");
    }

    #[test]
    fn a_bare_ref_name_has_no_repo_digest() {
        let d = "sha256:f23a";
        assert_eq!(repo_digest("1", d), None);
        assert_eq!(repo_digest("latest", d), None);
        assert_eq!(
            repo_digest("strata/layers:1", d).unwrap(),
            "strata/layers@sha256:f23a"
        );
        assert_eq!(
            repo_digest("localhost:5000/app", d).unwrap(),
            "localhost:5000/app@sha256:f23a"
        );
        assert_eq!(repo_digest("alpine:3.20", d).unwrap(), "alpine@sha256:f23a");
    }
}
