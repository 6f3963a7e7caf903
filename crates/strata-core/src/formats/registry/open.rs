//! Opening an image from a registry: the manifest (through the index when there is one,
//! picking a platform as for archives), then the config. No layer blob is fetched here; the
//! layers are read later by range through [`super::source::RegistrySource`].

use super::blobs::VirtualBlobs;
use super::http::Transport;
use super::session::{Fetch, RegistrySession, fetch};
use crate::digest::Digest;
use crate::error::Error;

/// What a reference points at, fetched: an image, or an index to choose from.
#[derive(Debug, Clone)]
pub struct Opened {
    pub image: crate::image::Image,
    /// The layer blobs as one address space for [`crate::ReadAt`].
    pub blobs: VirtualBlobs,
}

/// Opens an image from a registry: the manifest (through the index when there is one, picking a
/// platform as for archives), then the config. Fetches no layer blob.
pub fn open_image(
    session: &mut RegistrySession,
    pick: &crate::image::ManifestPick,
    limits: &crate::limits::Limits,
    now: u64,
    send: &mut Transport<'_>,
) -> Result<Opened, Error> {
    use crate::image::{Parts, assemble, parse_manifest};
    use crate::model::{Document, MediaKind, RawJson, classify_media_type, parse_document};
    let target = session.reference.target();
    let top = fetch(session, &Fetch::Manifest(target.clone()), now, send)?;
    check_size(&top.body, limits, "the manifest")?;
    let content_type = top
        .header("Content-Type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let repo = format!(
        "{}/{}",
        session.reference.domain, session.reference.repository
    );
    let mut diagnostics = Vec::new();
    let mut index = None;
    let mut choices = Vec::new();
    let mut chosen = None;
    let (manifest_bytes, manifest_desc) =
        match parse_document(&target, &top.body, &content_type, limits)? {
            Document::Index(idx) => {
                let leaves: Vec<(crate::model::Descriptor, bool)> =
                    idx.manifests.iter().map(|d| (d.clone(), true)).collect();
                choices = crate::archive::group_attestations(leaves);
                let i = crate::image::pick_choice(&choices, pick)?;
                chosen = Some(i);
                let desc = choices[i].descriptor.clone();
                if classify_media_type(&desc.media_type) == MediaKind::Index {
                    return Err(Error::BadManifest {
                        path: target,
                        detail: "an index inside an index: open that index's digest directly"
                            .into(),
                    });
                }
                index = Some(RawJson::new(
                    format!("{repo}@{}", Digest::sha256_of(&top.body)),
                    top.body.clone(),
                ));
                let d = desc.digest().map_err(|e| Error::BadManifest {
                    path: target.clone(),
                    detail: e,
                })?;
                let m = fetch(session, &Fetch::Manifest(d.to_string()), now, send)?;
                check_size(&m.body, limits, "the manifest")?;
                (m.body, desc)
            }
            _ => {
                let desc = crate::model::Descriptor {
                    media_type: content_type.clone(),
                    digest: Digest::sha256_of(&top.body).to_string(),
                    size: top.body.len() as i64,
                    ..Default::default()
                };
                (top.body, desc)
            }
        };
    let manifest_digest = Digest::sha256_of(&manifest_bytes);
    let path = format!("{repo}@{manifest_digest}");
    let manifest = parse_manifest(
        &path,
        &manifest_bytes,
        &manifest_desc,
        limits,
        &mut diagnostics,
    )?;
    let config_digest = manifest.config.digest().map_err(|e| Error::BadManifest {
        path: path.clone(),
        detail: format!("config: {e}"),
    })?;
    let config = fetch(
        session,
        &Fetch::Blob {
            digest: config_digest.clone(),
            range: None,
        },
        now,
        send,
    )?;
    check_size(&config.body, limits, "the config")?;
    if config_digest.is_verifiable() && Digest::sha256_of(&config.body) != config_digest {
        diagnostics.push(crate::diagnostic::Diagnostic::error(
            "digest-mismatch",
            "config",
            format!(
                "the manifest names the config {config_digest}, but its bytes hash to {}",
                Digest::sha256_of(&config.body)
            ),
        ));
    }
    let layers: Vec<(Digest, u64)> = manifest
        .layers
        .iter()
        .filter_map(|d| Some((d.digest().ok()?, d.size()?)))
        .collect();
    let blobs = VirtualBlobs::new(&layers);
    let tag = session
        .reference
        .tag
        .as_ref()
        .map(|t| format!("{repo}:{t}"));
    let parts = Parts {
        format: crate::archive::ArchiveFormat::Registry,
        repo_tags: tag.into_iter().collect(),
        index,
        choices,
        chosen,
        manifest_media_type: manifest_desc.media_type.clone(),
        manifest: RawJson::new(path, manifest_bytes),
        config: RawJson::new(format!("{repo}@{config_digest}"), config.body),
        diagnostics,
    };
    let mut image = assemble(parts, &manifest, limits, &|d: &Digest| {
        let loc = blobs
            .blobs
            .iter()
            .find(|(x, _, _)| x == d)
            .map(|(_, at, len)| crate::image::BlobLocation {
                offset: *at,
                len: *len,
            });
        (d.to_string(), loc)
    })?;
    // Compression from the media type: reading a blob's first bytes would be a blob request.
    for layer in &mut image.layers {
        layer.compression = layer
            .media_type
            .as_deref()
            .and_then(crate::layer::decode::Compression::from_media_type)
            .or(Some(crate::layer::decode::Compression::Gzip));
    }
    Ok(Opened { image, blobs })
}

pub(super) fn check_size(
    body: &[u8],
    limits: &crate::limits::Limits,
    what: &str,
) -> Result<(), Error> {
    if body.len() as u64 > limits.max_json_bytes {
        return Err(limits.exceeded("max_json_bytes", format!("{what} is {} bytes", body.len())));
    }
    Ok(())
}
