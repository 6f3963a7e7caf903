//! What a worker answers, made from the engine's results without touching the browser, so the
//! loader's tests (`src/loader/tests.rs`) get exactly the responses a worker sends: the
//! archive's listing, a loaded image, a registry image opened (pinned, with its listing), a
//! supply chain looked up, a file read, the package analysis.

use crate::protocol::{
    ArchiveListing, ErrorInfo, ListedImage, RegistryAccess, Response, browser_error,
};
use crate::protocol::{Arrived, JobId, Request};
use strata_core::history::History;
use strata_core::layer::LayerIndex;
use strata_core::layer::content::RangeRequest;
use strata_core::layer::scan::Captured;
use strata_core::packages::PackageReport;
use strata_core::supply_chain::{Options, PublicKey, SupplyChain};
use strata_core::tree::ImageTree;
use strata_core::{
    Archive, BlobLocation, Image, Limits, ManifestPick, ReadAt, load_image, overview,
};
use strata_core::{Compression, LayerIdx, LayerScan};

/// The archive's images, so the page can offer a choice when there are several.
pub fn listing(archive: &Archive, file_name: String, file_size: u64) -> ArchiveListing {
    ArchiveListing {
        file_name,
        file_size,
        format: archive.format.label().to_owned(),
        images: archive
            .images
            .iter()
            .map(|i| ListedImage {
                label: i.label(),
                names: i.names.clone(),
                digest: i.target_digest().map(|d| d.to_string()),
                layers: i.stored_layers(),
            })
            .collect(),
    }
}

/// Image `image_number` of the archive (`manifest` picks a platform by digest), with its
/// overview; `bytes_read` says how much of the archive was read by then.
pub fn load(
    archive: &Archive,
    source: &dyn ReadAt,
    bytes_read: &dyn Fn() -> u64,
    image_number: usize,
    manifest: Option<&str>,
    limits: &Limits,
) -> Response {
    let pick = match manifest.map(strata_core::Digest::parse) {
        None => ManifestPick::Default,
        Some(Ok(d)) => ManifestPick::Digest(d),
        Some(Err(e)) => {
            return Response::Failed {
                job: None,
                error: browser_error("That platform does not exist.", e),
            };
        }
    };
    match load_image(archive, source, image_number, &pick, limits) {
        Ok(image) => {
            let ov = overview(&image);
            Response::Loaded {
                image: Box::new(image),
                overview: Box::new(ov),
                image_number,
                bytes_read: bytes_read(),
            }
        }
        Err(e) => Response::Failed {
            job: None,
            error: ErrorInfo::from(&e),
        },
    }
}

/// A registry image, opened through `access` (which says whether it took the proxy): how it
/// is reached from now on (pinned to its digest), its listing, and the image.
pub fn registry_opened(image: Image, mut access: RegistryAccess) -> Vec<Response> {
    // What the header shows: the reference as resolved, before pinning.
    let display = strata_core::registry::parse_user_reference(&access.reference)
        .map(|(r, _)| r.canonical())
        .unwrap_or_else(|_| access.reference.clone());
    // Pinned, so a link opens this image even after the tag moves.
    if let Some(pinned) = strata_core::registry::pin_user_reference(&access.reference, &image) {
        access.reference = pinned;
    }
    let listing = ArchiveListing {
        file_name: display.clone(),
        file_size: image.stored_size(),
        format: registry_format(&access).into(),
        images: vec![ListedImage {
            label: display,
            names: image.repo_tags.clone(),
            digest: Some(image.index.as_ref().map_or_else(
                || image.manifest.digest.to_string(),
                |i| i.digest.to_string(),
            )),
            layers: Vec::new(),
        }],
    };
    let ov = overview(&image);
    vec![
        Response::RegistryOpened { access },
        Response::Opened { listing },
        Response::Loaded {
            image: Box::new(image),
            overview: Box::new(ov),
            image_number: 0,
            bytes_read: 0,
        },
    ]
}

/// How a registry image was reached, as the page says it.
pub fn registry_format(access: &RegistryAccess) -> &'static str {
    if access.via_proxy {
        "registry, through strata serve's proxy"
    } else {
        "registry, directly"
    }
}

/// The answer to a `ReadEntry` request: the file's bytes out of its layer blob, which is at
/// `blob` in `source`.
pub fn read_entry(source: &dyn ReadAt, blob: BlobLocation, request: Request) -> Response {
    let Request::ReadEntry {
        job,
        compression,
        file,
        offset,
        len,
        ..
    } = request
    else {
        return Response::Failed {
            job: request.job(),
            error: browser_error("Not a file read.", format!("{request:?}")),
        };
    };
    let mut bytes = Vec::new();
    let result = strata_core::layer::content::read_entry(
        source,
        blob,
        compression,
        &file,
        (offset, len),
        &mut |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        },
    );
    match result {
        Ok(()) => Response::Content {
            job,
            offset,
            total: file.entry.size,
            bytes,
        },
        Err(e) => Response::Failed {
            job: Some(job),
            error: ErrorInfo::from(&e),
        },
    }
}

/// The answer to a `SupplyChain` request: `key` (a PEM public key) is read first — when it
/// cannot be, the lookup is made without it and the answer says why — then `look` runs with
/// the options (in the archive, or in the registry).
pub fn supply_chain(
    lookup: u64,
    key: Option<&str>,
    now: u64,
    look: impl FnOnce(&Options) -> Result<SupplyChain, ErrorInfo>,
) -> Response {
    let (key, key_error) = match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => (None, None),
        Some(pem) => match PublicKey::from_pem(pem) {
            Ok(k) => (Some(k), None),
            Err(e) => (None, Some(e)),
        },
    };
    let options = Options {
        key,
        artifact_type: None,
        now,
    };
    Response::SupplyChain {
        lookup,
        result: look(&options).map(Box::new),
        key_error,
    }
}

/// A supply chain looked up in an open archive.
pub fn supply_chain_in_archive(
    archive: &Archive,
    source: &dyn ReadAt,
    image: &Image,
    options: &Options,
    limits: &Limits,
) -> SupplyChain {
    strata_core::supply_chain::from_archive(archive, source, image, options, limits)
}

/// How the package worker reads what the scans did not keep: ranges of files of one layer
/// (0-based), whose blob is compressed as its scan found.
pub type ReadLayer<'a> =
    dyn FnMut(usize, Compression, &[RangeRequest]) -> Vec<Result<Vec<u8>, strata_core::Error>> + 'a;

/// The package worker's input for one job, gathered as the page forwards each layer scan
/// (`PackageScan`: its `LayerScan` then the files it kept, postcard): each is decoded when it
/// comes, while the other layers are still read, and the tree is built once the last is in,
/// while the page builds its own from the same indexes (the same path ids, so the page can
/// look owners up in its tree).
#[derive(Debug)]
pub struct PackageInput {
    job: JobId,
    indexes: Vec<Option<LayerIndex>>,
    captured: Vec<Vec<Captured>>,
    compressions: Vec<Compression>,
    waiting: usize,
    tree: Option<ImageTree>,
    /// The first scan that could not be read: the analysis fails with it.
    error: Option<ErrorInfo>,
}

impl PackageInput {
    /// Job `job`'s input, for an image of `layers` layers of which `expected` have a scan.
    pub fn new(job: JobId, layers: usize, expected: usize) -> PackageInput {
        let mut input = PackageInput {
            job,
            indexes: (0..layers).map(|_| None).collect(),
            captured: vec![Vec::new(); layers],
            compressions: vec![Compression::None; layers],
            waiting: expected,
            tree: None,
            error: None,
        };
        input.tree_when_complete();
        input
    }

    /// Job `job`'s input in the worker's `slot`, a new one if it holds another job's (which
    /// is dropped: its run is over).
    pub fn of_job(
        slot: &mut Option<PackageInput>,
        job: JobId,
        layers: usize,
        expected: usize,
    ) -> &mut PackageInput {
        if !matches!(slot, Some(input) if input.job == job) {
            *slot = None;
        }
        slot.get_or_insert_with(|| PackageInput::new(job, layers, expected))
    }

    /// Job `job`'s input, taken for its analysis (an image whose layers are all missing sent
    /// no scan: nothing to wait for).
    pub fn take_job(slot: &mut Option<PackageInput>, job: JobId, layers: usize) -> PackageInput {
        match slot.take() {
            Some(input) if input.job == job => input,
            _ => PackageInput::new(job, layers, 0),
        }
    }

    /// Layer `layer`'s scan, as it arrived on the page.
    pub fn add(&mut self, layer: LayerIdx, arrived: &Arrived) {
        let i = layer.get();
        let damaged = |detail: String| {
            browser_error(
                &format!(
                    "Layer {}'s index reached the package worker damaged.",
                    i + 1
                ),
                detail,
            )
        };
        let decoded = match self.indexes.get(i) {
            None => Err(damaged(format!(
                "the image has {} layers",
                self.indexes.len()
            ))),
            Some(Some(_)) => Err(damaged("its scan arrived twice".into())),
            // A worker's are always in its memory: `wire::decode_request` copies them in.
            Some(None) => {
                postcard::take_from_bytes::<LayerScan>(arrived.here().unwrap_or_default())
                    .and_then(|(scan, rest)| {
                        let kept: Vec<Captured> = if rest.is_empty() {
                            Vec::new()
                        } else {
                            postcard::from_bytes(rest)?
                        };
                        Ok((scan, kept))
                    })
                    .map_err(|e| damaged(e.to_string()))
            }
        };
        match decoded {
            Ok((scan, kept)) => {
                self.compressions[i] = scan.compression;
                self.indexes[i] = Some(scan.index);
                self.captured[i] = kept;
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self.waiting = self.waiting.saturating_sub(1);
        self.tree_when_complete();
    }

    fn tree_when_complete(&mut self) {
        if self.waiting == 0 && self.tree.is_none() && self.error.is_none() {
            self.tree = Some(strata_core::build_tree(std::mem::take(&mut self.indexes)));
        }
    }

    /// The answer to `AnalysePackages`: the kept package databases are parsed, and the rest
    /// is read through `read`.
    pub fn analyse(
        self,
        history: &History,
        limits: &Limits,
        read: &mut ReadLayer<'_>,
    ) -> Result<PackageReport, ErrorInfo> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let Some(tree) = self.tree else {
            return Err(browser_error(
                "The package analysis started before every layer's index was in.",
                format!("{} layer scans still to come", self.waiting),
            ));
        };
        let compressions = self.compressions;
        Ok(strata_core::packages::analyse_packages(
            &tree,
            history,
            limits,
            &self.captured,
            &mut |layer, ranges| {
                let c = compressions
                    .get(layer)
                    .copied()
                    .unwrap_or(Compression::None);
                read(layer, c, ranges)
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        History {
            rows: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn no_reads(
        _: usize,
        _: Compression,
        r: &[RangeRequest],
    ) -> Vec<Result<Vec<u8>, strata_core::Error>> {
        panic!("nothing to read: {} ranges", r.len())
    }

    #[test]
    fn a_damaged_or_doubled_scan_fails_the_analysis_naming_its_layer() {
        let mut input = PackageInput::new(1, 2, 2);
        input.add(LayerIdx::new(1), &Arrived::new(vec![0xff; 3]));
        input.add(LayerIdx::new(1), &Arrived::new(Vec::new()));
        let e = input
            .analyse(&history(), &Limits::default(), &mut no_reads)
            .unwrap_err();
        assert_eq!(
            e.summary,
            "Layer 2's index reached the package worker damaged."
        );
        // A layer the image does not have.
        let mut input = PackageInput::new(1, 1, 1);
        input.add(LayerIdx::new(3), &Arrived::new(Vec::new()));
        let e = input
            .analyse(&history(), &Limits::default(), &mut no_reads)
            .unwrap_err();
        assert!(e.detail.contains("has 1 layers"), "{e:?}");
    }

    #[test]
    fn the_analysis_waits_for_every_scan_or_says_it_did_not() {
        let input = PackageInput::new(1, 3, 2);
        let e = input
            .analyse(&history(), &Limits::default(), &mut no_reads)
            .unwrap_err();
        assert!(e.detail.contains("2 layer scans still to come"), "{e:?}");
        // Another job's scans are dropped, not mixed in.
        let mut slot = Some(PackageInput::new(1, 2, 1));
        PackageInput::of_job(&mut slot, 1, 2, 1).add(LayerIdx::new(0), &Arrived::new(vec![0xff]));
        assert!(PackageInput::of_job(&mut slot, 2, 2, 1).error.is_none());
        let e = PackageInput::take_job(&mut slot, 2, 2)
            .analyse(&history(), &Limits::default(), &mut no_reads)
            .unwrap_err();
        assert!(e.detail.contains("1 layer scans still to come"), "{e:?}");
        // No layer has a blob: nothing to wait for, an empty report.
        let report = PackageInput::new(1, 3, 0)
            .analyse(&history(), &Limits::default(), &mut no_reads)
            .unwrap();
        assert_eq!(report.packages.len(), 0);
    }
}
