//! Finding what sits next to an image, lazily (only when the Supply chain view asks: the
//! overview's requests stay the manifests and the config).
//!
//! In an archive ([`from_archive`]): the attestation manifests the image's index groups under
//! the chosen manifest (`vnd.docker.reference.type: attestation-manifest`), the index's
//! artifacts whose `subject` is the image, and the descriptors of `index.json` that are
//! referrers (a `subject`) or that carry cosign's and the referrers tag schema's names
//! (`org.opencontainers.image.ref.name: sha256-<hex>.sig`, `oras cp -r` and `cosign save`
//! layouts).
//!
//! In a registry ([`from_registry`]), for the manifest digest and then the index digest, in
//! this order: `GET /v2/<name>/referrers/<digest>` (OCI distribution 1.1; `?artifactType=` when
//! asked); when the registry answers 404 (no Referrers API, as distribution 2.8), the tag
//! schema's index `GET /v2/<name>/manifests/sha256-<hex>`; then cosign's tags
//! `sha256-<hex>.sig`, `.att`, `.sbom`. Each manifest found is then fetched by digest, and the
//! layers that hold signatures, statements and SBOMs as blobs.

use super::cosign::{digest_of_tag, tag_for};
use super::keys::PublicKey;
use super::read::{Collector, Store};
use super::report::{FoundBy, Subject, SupplyChain};
use crate::archive::{Archive, ArchiveFormat};
use crate::diagnostic::Diagnostic;
use crate::digest::Digest;
use crate::error::Error;
use crate::image::Image;
use crate::limits::Limits;
use crate::model::{Descriptor, Document, MediaKind, classify_media_type, parse_document};
use crate::registry::{Fetch, RegistrySession, Transport, fetch};
use crate::source::{ReadAt, read_vec_at};

/// What the host asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A public key to verify key-based signatures and DSSE envelopes with.
    pub key: Option<PublicKey>,
    /// Only referrers of this artifact type (the Referrers API's `artifactType` filter).
    pub artifact_type: Option<String>,
    /// Seconds since the epoch, for expiry (the engine has no clock).
    pub now: u64,
}

/// The digests a supply chain is about: the manifest, and the index it was chosen from.
pub fn subjects_of(image: &Image) -> Vec<Subject> {
    let mut out = vec![Subject {
        digest: image.manifest.digest.clone(),
        role: "manifest".into(),
    }];
    if let Some(index) = &image.index {
        out.push(Subject {
            digest: index.digest.clone(),
            role: "index".into(),
        });
    }
    out
}

struct ArchiveStore<'a, S: ?Sized> {
    archive: &'a Archive,
    source: &'a S,
    limits: &'a Limits,
}

impl<S: ReadAt + ?Sized> Store for ArchiveStore<'_, S> {
    fn manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, Error> {
        let bytes = self.read(digest, self.limits.max_json_bytes, "max_json_bytes")?;
        check_digest(digest, &bytes)?;
        Ok(bytes)
    }

    fn blob(&mut self, digest: &Digest, _size: u64) -> Result<Vec<u8>, Error> {
        self.read(
            digest,
            self.limits.max_attestation_bytes,
            "max_attestation_bytes",
        )
    }
}

impl<S: ReadAt + ?Sized> ArchiveStore<'_, S> {
    fn read(&self, digest: &Digest, limit: u64, name: &'static str) -> Result<Vec<u8>, Error> {
        let path = self.archive.blob_path(digest);
        let entry = self
            .archive
            .blob(digest)
            .ok_or_else(|| Error::MissingFile {
                path: path.clone(),
                referenced_by: "a referrer".into(),
            })?;
        if entry.size > limit {
            return Err(self
                .limits
                .exceeded(name, format!("`{path}` is {} bytes", entry.size)));
        }
        read_vec_at(
            self.source,
            entry.data_offset,
            entry.size,
            &format!("`{path}`"),
        )
    }
}

fn check_digest(digest: &Digest, bytes: &[u8]) -> Result<(), Error> {
    let actual = Digest::sha256_of(bytes);
    if digest.is_verifiable() && &actual != digest {
        return Err(Error::Invalid {
            what: format!("manifest {digest}"),
            detail: format!("its bytes hash to {actual}"),
        });
    }
    Ok(())
}

/// `registry/repository` of the archive's first tag (`docker.io/library/alpine`); a bare OCI
/// ref name (`1`, `latest`) names no repository.
fn repository_of_tags(image: &Image) -> Option<String> {
    let tag = image
        .repo_tags
        .iter()
        .find(|t| t.contains(':') || t.contains('/'))?;
    let (r, _) = crate::registry::parse_user_reference(tag).ok()?;
    Some(format!("{}/{}", r.domain, r.repository))
}

/// The supply chain of an image read from an archive.
pub fn from_archive<S: ReadAt + ?Sized>(
    archive: &Archive,
    source: &S,
    image: &Image,
    options: &Options,
    limits: &Limits,
) -> SupplyChain {
    let subjects = subjects_of(image);
    let mut c = Collector::new(
        subjects.clone(),
        repository_of_tags(image),
        options.key.as_ref(),
        limits,
        options.now,
    );
    if image.manifest_synthesized {
        c.lookup(
            "the archive",
            "a docker save archive has no manifests, so nothing in it can be signed or attested; look the image up in its registry",
            0,
        );
        return c.finish();
    }
    let mut store = ArchiveStore {
        archive,
        source,
        limits,
    };
    let manifest = image.manifest.digest.clone();
    // 1. BuildKit's attestation manifests, grouped under the chosen manifest.
    if let Some(chosen) = image.chosen.and_then(|i| image.choices.get(i)) {
        let mut n = 0;
        for desc in chosen.attestations.clone() {
            n += usize::from(read_archive_manifest(
                &mut c,
                &mut store,
                &desc,
                FoundBy::AttestationManifest,
                &manifest,
            ));
        }
        c.lookup(
            "attestation manifests in the image index (vnd.docker.reference.type: attestation-manifest)",
            crate::text::count(n, "attestation manifest"),
            n,
        );
    }
    // 2. The image index's artifacts (no platform): referrers when their subject is the image.
    let mut candidates: Vec<Descriptor> = image
        .choices
        .iter()
        .filter(|ch| {
            ch.platform.is_none() && ch.attestations.is_empty() && !ch.descriptor.is_attestation()
        })
        .map(|ch| ch.descriptor.clone())
        .collect();
    // 3. index.json's other descriptors (OCI layouts): referrers, and cosign / tag-schema names.
    if matches!(
        archive.format,
        ArchiveFormat::OciLayout | ArchiveFormat::DockerOciArchive
    ) && let Ok(bytes) = archive.read_file(source, "index.json", "the OCI layout", limits)
        && let Ok(Document::Index(index)) = parse_document("index.json", &bytes, "", limits)
    {
        candidates.extend(index.manifests);
    }
    let mut by_subject = 0;
    let mut by_tag = 0;
    for desc in candidates {
        let Ok(digest) = desc.digest() else { continue };
        if c.is_subject(&digest) {
            continue;
        }
        if let Some((named, suffix)) = desc
            .annotation("org.opencontainers.image.ref.name")
            .and_then(digest_of_tag)
            && subjects.iter().any(|s| s.digest == named)
        {
            let tag = tag_for(&named, suffix);
            let found = if suffix.is_empty() {
                FoundBy::ReferrersTag { tag }
            } else {
                FoundBy::CosignTag { tag }
            };
            if suffix.is_empty() {
                match store.manifest(&digest) {
                    Ok(bytes) => match c.add_referrers_index(
                        &mut store,
                        &bytes,
                        &named,
                        &found,
                        options.artifact_type.as_deref(),
                        false,
                    ) {
                        Ok(n) => by_tag += n,
                        Err(e) => c.diagnostic(Diagnostic::error(
                            "bad-referrers-index",
                            digest.to_string(),
                            e,
                        )),
                    },
                    Err(e) => c.diagnostic(Diagnostic::error(
                        "missing-referrer",
                        digest.to_string(),
                        e.to_string(),
                    )),
                }
            } else {
                by_tag += usize::from(read_archive_manifest(
                    &mut c, &mut store, &desc, found, &named,
                ));
            }
            continue;
        }
        if !matches!(
            classify_media_type(&desc.media_type),
            MediaKind::Manifest | MediaKind::Index | MediaKind::Other
        ) {
            continue;
        }
        if store.archive.blob(&digest).is_none() {
            continue;
        }
        let Ok(bytes) = store.manifest(&digest) else {
            continue;
        };
        let subject = match parse_document("a referrer", &bytes, &desc.media_type, limits) {
            Ok(Document::Manifest(m)) => m.subject,
            Ok(Document::Index(i)) => i.subject,
            _ => None,
        };
        if let Some(subject) = subject.and_then(|s| s.digest().ok())
            && c.is_subject(&subject)
            && c.add_manifest(&mut store, FoundBy::Subject, &subject, Some(&desc), bytes)
        {
            by_subject += 1;
        }
    }
    c.lookup(
        "manifests in the archive whose subject is this image",
        crate::text::count(by_subject, "referrer"),
        by_subject,
    );
    c.lookup(
        "cosign and referrers tags in index.json (sha256-<hex>.sig, .att, .sbom)",
        crate::text::count(by_tag, "manifest"),
        by_tag,
    );
    c.finish()
}

fn read_archive_manifest<S: ReadAt + ?Sized>(
    c: &mut Collector<'_>,
    store: &mut ArchiveStore<'_, S>,
    desc: &Descriptor,
    found: FoundBy,
    refers_to: &Digest,
) -> bool {
    let digest = match desc.digest() {
        Ok(d) => d,
        Err(e) => {
            c.diagnostic(Diagnostic::error("bad-digest", "supply chain", e));
            return false;
        }
    };
    match store.manifest(&digest) {
        Ok(bytes) => c.add_manifest(store, found, refers_to, Some(desc), bytes),
        Err(e) => {
            c.diagnostic(Diagnostic::warning(
                "missing-referrer",
                digest.to_string(),
                format!("it is named but cannot be read: {e}"),
            ));
            false
        }
    }
}

struct RegistryStore<'a, 'b> {
    session: &'a mut RegistrySession,
    send: &'a mut Transport<'b>,
    now: u64,
    limits: &'a Limits,
}

impl Store for RegistryStore<'_, '_> {
    fn manifest(&mut self, digest: &Digest) -> Result<Vec<u8>, Error> {
        let r = fetch(
            self.session,
            &Fetch::Manifest(digest.to_string()),
            self.now,
            self.send,
        )?;
        if r.body.len() as u64 > self.limits.max_json_bytes {
            return Err(self.limits.exceeded(
                "max_json_bytes",
                format!("manifest {digest} is {} bytes", r.body.len()),
            ));
        }
        Ok(r.body)
    }

    fn blob(&mut self, digest: &Digest, _size: u64) -> Result<Vec<u8>, Error> {
        let what = Fetch::Blob {
            digest: digest.clone(),
            range: None,
        };
        let r = fetch(self.session, &what, self.now, self.send)?;
        if r.body.len() as u64 > self.limits.max_attestation_bytes {
            return Err(self.limits.exceeded(
                "max_attestation_bytes",
                format!("blob {digest} is {} bytes", r.body.len()),
            ));
        }
        Ok(r.body)
    }
}

impl RegistryStore<'_, '_> {
    fn get(&mut self, what: &Fetch) -> Result<crate::registry::HttpResponse, Error> {
        fetch(self.session, what, self.now, self.send)
    }

    fn path(&self, what: &Fetch) -> String {
        let url = self.session.url(what);
        let base = self.session.base.len();
        url.get(base..).unwrap_or(&url).to_owned()
    }
}

/// Whether an error means "the registry has no such thing" (404), not a failure.
fn not_found(e: &Error) -> bool {
    matches!(e, Error::RegistryNotFound { .. })
}

/// Whether a failed Referrers API request means the registry does not implement it.
fn no_referrers_api(e: &Error) -> bool {
    not_found(e)
        || matches!(
            e,
            Error::Registry {
                status: 400 | 405 | 501,
                ..
            }
        )
}

/// The supply chain of a registry image. Requests, in order, for the manifest digest and then
/// the index digest: the Referrers API, its tag schema when the API answers 404, then
/// cosign's `.sig`, `.att` and `.sbom` tags; then each manifest found and its blobs. A failed
/// request is a [`crate::supply_chain::Lookup`] that says so; the lookup goes on.
pub fn from_registry(
    session: &mut RegistrySession,
    image: &Image,
    options: &Options,
    limits: &Limits,
    send: &mut Transport<'_>,
) -> SupplyChain {
    let subjects = subjects_of(image);
    let repository = format!(
        "{}/{}",
        session.reference.domain, session.reference.repository
    );
    let mut c = Collector::new(
        subjects.clone(),
        Some(repository),
        options.key.as_ref(),
        limits,
        options.now,
    );
    let mut store = RegistryStore {
        session,
        send,
        now: options.now,
        limits,
    };
    for subject in &subjects {
        let digest = &subject.digest;
        let referrers = Fetch::Referrers {
            digest: digest.clone(),
            artifact_type: options.artifact_type.clone(),
        };
        let what = format!("GET {}", store.path(&referrers));
        match store.get(&referrers) {
            Ok(r) => {
                let filtered = r
                    .header("OCI-Filters-Applied")
                    .is_some_and(|h| h.split(',').any(|f| f.trim() == "artifactType"));
                match c.add_referrers_index(
                    &mut store,
                    &r.body,
                    digest,
                    &FoundBy::ReferrersApi,
                    options.artifact_type.as_deref(),
                    filtered,
                ) {
                    Ok(n) => c.lookup(
                        what,
                        format!("{}: {}", r.status, crate::text::count(n, "referrer")),
                        n,
                    ),
                    Err(e) => c.lookup(what, format!("{}: {e}", r.status), 0),
                }
                if r.header("Link").is_some() {
                    c.diagnostic(Diagnostic::note(
                        "referrers-pages",
                        what_short(digest),
                        "the registry has more pages of referrers; only the first is read",
                    ));
                }
            }
            Err(e) if no_referrers_api(&e) => {
                c.lookup(
                    what,
                    "no Referrers API (404): falls back to the referrers tag schema",
                    0,
                );
                let tag = tag_for(digest, "");
                let fallback = Fetch::Manifest(tag.clone());
                let what = format!("GET {}", store.path(&fallback));
                match store.get(&fallback) {
                    Ok(r) => {
                        let found = FoundBy::ReferrersTag { tag };
                        match c.add_referrers_index(
                            &mut store,
                            &r.body,
                            digest,
                            &found,
                            options.artifact_type.as_deref(),
                            false,
                        ) {
                            Ok(n) => c.lookup(
                                what,
                                format!("{}: {}", r.status, crate::text::count(n, "referrer")),
                                n,
                            ),
                            Err(e) => c.lookup(what, format!("{}: {e}", r.status), 0),
                        }
                    }
                    Err(e) if not_found(&e) => c.lookup(what, "404: no referrers", 0),
                    Err(e) => c.lookup(what, format!("failed: {e}"), 0),
                }
            }
            Err(e) => c.lookup(what, format!("failed: {e}"), 0),
        }
        for suffix in [".sig", ".att", ".sbom"] {
            let tag = tag_for(digest, suffix);
            let manifest = Fetch::Manifest(tag.clone());
            let what = format!("GET {}", store.path(&manifest));
            match store.get(&manifest) {
                Ok(r) => {
                    let n = usize::from(c.add_manifest(
                        &mut store,
                        FoundBy::CosignTag { tag },
                        digest,
                        None,
                        r.body,
                    ));
                    c.lookup(
                        what,
                        format!("{}: {}", r.status, crate::text::count(n, "manifest")),
                        n,
                    );
                }
                Err(e) if not_found(&e) => c.lookup(what, "404: none", 0),
                Err(e) => c.lookup(what, format!("failed: {e}"), 0),
            }
        }
    }
    c.finish()
}

fn what_short(d: &Digest) -> String {
    format!("referrers of {}", d.short())
}
