//! An image with its layers read: every layer scanned (digest and diff_id checked), the tree
//! built, and the image's sizes made exact.

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::image::Image;
use crate::layer::decode::Compression;
use crate::layer::scan::{CaptureRule, Captured, scan_layer_capturing};
use crate::layer::{LayerIndex, LayerScan};
use crate::layer_idx::LayerIdx;
use crate::limits::Limits;
use crate::source::ReadAt;
use crate::tree::{ImageTree, TreeBuilder};

/// The code of a digest check that could not be made.
const UNCHECKED: &str = "digest-unchecked";

/// Where a layer stands, as the overview shows it ([`Analysis::layer_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    /// Its blob is not in the archive.
    Missing,
    /// A digest or diff_id mismatch, or damage met while reading it (the first one's message).
    Damaged(String),
    /// Its digest could not be checked (why).
    Unchecked(String),
    /// Indexed; the sha256 of its blob is still being computed.
    Checking,
    /// The blob's sha256 and the uncompressed tar's match what the image declares.
    Verified,
}

/// The layers of an image, read.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Per layer; `None` when the blob is missing.
    pub scans: Vec<Option<LayerScanSummary>>,
    /// Shared: an analysis is copied when a later digest check adds to it, the tree is not.
    pub tree: std::rc::Rc<ImageTree>,
    /// Digest mismatches, damaged layers, and the tree's own notes.
    pub diagnostics: Vec<Diagnostic>,
}

/// A scan without its index (which moved into the tree).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerScanSummary {
    pub compression: Compression,
    /// `None` while an uncompressed layer's digest is still to be checked (see
    /// [`Analysis::verified`]).
    pub digest: Option<crate::Digest>,
    pub diff_id: Option<crate::DiffId>,
    pub stored_size: u64,
    pub tar_size: u64,
    pub entries: usize,
    pub error: Option<crate::error::ErrorReport>,
}

/// Compares a scan with what the manifest and config declare: the damage it met, and each
/// digest it computed (one left for later is not compared; [`Analysis::verified`] does).
pub fn verify_layer(image: &Image, i: usize, scan: &LayerScanSummary) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(e) = &scan.error {
        out.push(Diagnostic::about_layer(
            Severity::Error,
            "layer-damaged",
            LayerIdx::new(i),
            format!(
                "{} ({} files were read before the damage)",
                e.detail, scan.entries
            ),
        ));
    }
    out.extend(check_digests(image, i, scan));
    out
}

fn check_digests(image: &Image, i: usize, scan: &LayerScanSummary) -> Vec<Diagnostic> {
    let layer = &image.layers[i];
    let subject = LayerIdx::new(i);
    let mut out = Vec::new();
    let Some(digest) = &scan.digest else {
        return out;
    };
    let uncompressed = scan.compression == Compression::None;
    if let Some(want) = layer.digest.as_ref().filter(|d| d.is_verifiable())
        && want != digest
    {
        out.push(Diagnostic::about_layer(
            Severity::Error,
            "digest-mismatch",
            subject,
            format!("the manifest names the blob {want}, but its bytes hash to {digest}"),
        ));
    }
    if let (Some(want), Some(got)) = (&layer.diff_id, &scan.diff_id) {
        // For an uncompressed layer the digest and the diff_id are the same hash: say it once.
        let said = uncompressed
            && layer
                .digest
                .as_ref()
                .is_some_and(|d| d.as_str() == want.as_str() && d != digest);
        if want != got && !said {
            out.push(Diagnostic::about_layer(
                Severity::Error,
                "diff-id-mismatch",
                subject,
                format!(
                    "the config's diff_id is {want}, but the uncompressed layer hashes to {got}"
                ),
            ));
        }
    }
    out
}

/// The tree of layer indexes (in layer order; `None` for a missing blob, an empty layer), as
/// [`analyse`] builds it: a host that builds it again elsewhere (the web app's package worker)
/// gets the same path ids.
pub fn build_tree(indexes: Vec<Option<LayerIndex>>) -> ImageTree {
    ImageTree::build(with_empty(indexes))
}

/// The indexes, an empty one for each layer that has none.
fn with_empty(indexes: Vec<Option<LayerIndex>>) -> Vec<LayerIndex> {
    indexes
        .into_iter()
        .map(|i| {
            i.unwrap_or_else(|| LayerIndex {
                paths: std::sync::Arc::new(crate::paths::PathTable::new()),
                ..LayerIndex::default()
            })
        })
        .collect()
}

/// Builds the analysis from scans (in layer order; `None` for missing blobs).
pub fn analyse(image: &mut Image, scans: Vec<Option<LayerScan>>) -> Analysis {
    Analysing::new(image, scans).finish()
}

/// An [`Analysis`] built a piece at a time (its tree is most of the work: [`TreeBuilder`]), so
/// a host with one thread can build a large image's between frames.
pub struct Analysing {
    scans: Vec<Option<LayerScanSummary>>,
    diagnostics: Vec<Diagnostic>,
    tree: TreeBuilder,
}

impl Analysing {
    /// The scans checked against the image (what `image` learns of its layers from them is
    /// set now: their compression and sizes); the tree still to build.
    pub fn new(image: &mut Image, scans: Vec<Option<LayerScan>>) -> Analysing {
        let mut diagnostics = Vec::new();
        let mut indexes = Vec::with_capacity(scans.len());
        let mut summaries = Vec::with_capacity(scans.len());
        for (i, scan) in scans.into_iter().enumerate() {
            match scan {
                Some(scan) => {
                    diagnostics.extend(crate::image::learn_compression(image, i, scan.compression));
                    let summary = LayerScanSummary {
                        compression: scan.compression,
                        digest: scan.digest,
                        diff_id: scan.diff_id,
                        stored_size: scan.stored_size,
                        tar_size: scan.tar_size,
                        entries: scan.index.entries.len(),
                        error: scan.error,
                    };
                    diagnostics.extend(verify_layer(image, i, &summary));
                    for d in &scan.index.diagnostics {
                        let mut d = d.clone();
                        d.subject = format!("layer {}: {}", i + 1, d.subject);
                        diagnostics.push(d);
                    }
                    if summary.error.is_none() {
                        image.layers[i].measured(summary.tar_size);
                    }
                    summaries.push(Some(summary));
                    indexes.push(Some(scan.index));
                }
                None => {
                    summaries.push(None);
                    indexes.push(None);
                }
            }
        }
        Analysing {
            scans: summaries,
            diagnostics,
            tree: TreeBuilder::new(with_empty(indexes)),
        }
    }

    /// About `budget` steps of the tree ([`TreeBuilder::work`]); true once it is built.
    pub fn work(&mut self, budget: usize) -> bool {
        self.tree.work(budget)
    }

    /// The analysis, the rest of its tree built first.
    pub fn finish(self) -> Analysis {
        let tree = self.tree.finish();
        let mut diagnostics = self.diagnostics;
        diagnostics.extend(tree.diagnostics.iter().cloned());
        Analysis {
            scans: self.scans,
            tree: std::rc::Rc::new(tree),
            diagnostics,
        }
    }
}

impl Analysis {
    /// Each layer's size as docker counts it ([`ImageTree::docker_size`]), for the layers that
    /// were read whole; `None` for a missing or damaged one.
    pub fn docker_sizes(&self) -> Vec<Option<u64>> {
        self.scans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_ref()
                    .filter(|s| s.error.is_none())
                    .map(|_| self.tree.docker_size(i))
            })
            .collect()
    }

    /// What keeps the image from being what its manifest and config say: every error among
    /// the image's own diagnostics (a missing blob, a config that does not match) and the
    /// layers' (unreadable, cut short, a digest that does not match, entries that could not be
    /// applied). Empty for an intact image. Hosts that read layers fail on it: the CLI exits
    /// with its "damaged" code after printing what it could, the page shows each in red.
    pub fn damage<'a>(&'a self, image: &'a Image) -> Vec<&'a Diagnostic> {
        image
            .diagnostics
            .iter()
            .chain(&self.diagnostics)
            .filter(|d| d.severity == crate::Severity::Error)
            .collect()
    }

    /// Where layer `i` stands: missing, damaged (a digest or diff_id mismatch, a damaged
    /// blob), its digest not checkable, still being checked, or verified. Read from the
    /// diagnostics' typed [`Diagnostic::layer`], never from their text.
    pub fn layer_status(&self, i: usize) -> LayerStatus {
        let Some(Some(scan)) = self.scans.get(i) else {
            return LayerStatus::Missing;
        };
        let layer = Some(LayerIdx::new(i));
        let errors = || {
            self.diagnostics
                .iter()
                .filter(move |d| d.layer == layer && d.severity == Severity::Error)
        };
        if let Some(d) = errors().find(|d| d.code != UNCHECKED) {
            return LayerStatus::Damaged(d.message.clone());
        }
        if let Some(d) = errors().next() {
            return LayerStatus::Unchecked(d.message.clone());
        }
        if scan.digest.is_none() {
            return LayerStatus::Checking;
        }
        LayerStatus::Verified
    }

    /// Layers whose digest is still being checked (their index is shown already): those
    /// [`Analysis::unverified`] whose check has not given up.
    pub fn checking(&self) -> Vec<usize> {
        self.unverified()
            .into_iter()
            .filter(|&i| {
                let layer = Some(LayerIdx::new(i));
                !self
                    .diagnostics
                    .iter()
                    .any(|d| d.code == UNCHECKED && d.layer == layer)
            })
            .collect()
    }

    /// Records that layer `i`'s digest could not be checked (its blob could not be read
    /// again): `why` says what stopped it.
    pub fn unchecked(&mut self, i: usize, why: &str) {
        self.diagnostics.push(Diagnostic::about_layer(
            Severity::Error,
            UNCHECKED,
            LayerIdx::new(i),
            format!("its digest could not be checked: {why}"),
        ));
    }

    /// Layers whose digest is still to be checked (their scan deferred it).
    pub fn unverified(&self) -> Vec<usize> {
        self.scans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_ref().is_some_and(|s| s.digest.is_none()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Records the sha256 of uncompressed layer `i`'s blob, computed after its scan: its digest
    /// and its diff_id both, compared with the manifest's and the config's like a scan's.
    pub fn verified(&mut self, image: &Image, i: usize, digest: crate::Digest) {
        let Some(Some(scan)) = self.scans.get_mut(i) else {
            return;
        };
        if scan.digest.is_some() || scan.compression != Compression::None {
            return;
        }
        if scan.error.is_none() {
            scan.diff_id = Some(crate::DiffId::from_uncompressed_digest(&digest));
        }
        scan.digest = Some(digest);
        let found = check_digests(image, i, scan);
        self.diagnostics.extend(found);
    }
}

/// Scans every present layer of `image` from `source`, in order. `progress(layer, done, total)`
/// gets compressed bytes read; returning `false` cancels.
pub fn scan_image<S: ReadAt + ?Sized>(
    image: &mut Image,
    source: &S,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, u64, u64) -> bool,
) -> Result<Analysis, Error> {
    scan_image_capturing(image, source, limits, None, progress).map(|(a, _)| a)
}

/// [`scan_image`], keeping per layer the files `capture` picks (the package databases, for
/// [`crate::packages::analyse_packages`], so they need no second pass over the layers).
pub fn scan_image_capturing<S: ReadAt + ?Sized>(
    image: &mut Image,
    source: &S,
    limits: &Limits,
    capture: Option<CaptureRule>,
    progress: &mut dyn FnMut(usize, u64, u64) -> bool,
) -> Result<(Analysis, Vec<Vec<Captured>>), Error> {
    let mut scans = Vec::with_capacity(image.layers.len());
    let mut captured = Vec::with_capacity(image.layers.len());
    let mut total_entries = 0u64;
    for (i, layer) in image.layers.iter().enumerate() {
        let Some(loc) = layer.location else {
            scans.push(None);
            captured.push(Vec::new());
            continue;
        };
        let (scan, kept) =
            scan_layer_capturing(source, loc.offset, loc.len, limits, capture, &mut |done| {
                progress(i, done, loc.len)
            })?;
        captured.push(kept);
        total_entries += scan.index.entries.len() as u64;
        if total_entries > limits.max_image_entries {
            return Err(limits.exceeded(
                "max_image_entries",
                format!(
                    "the image's layers hold more than {} entries",
                    limits.max_image_entries
                ),
            ));
        }
        scans.push(Some(scan));
    }
    Ok((analyse(image, scans), captured))
}

#[cfg(test)]
mod tests {
    //! What reading an image's layers says of each layer, one line a case: a fixture, a change
    //! to its bytes (at an offset inside a layer's blob), and each layer's status and the codes
    //! of the diagnostics about it.

    use super::*;
    use crate::{ManifestPick, MemorySource, load_image, open_archive};

    const DOCKER: &[u8] = include_bytes!("../../tests/data/tiny.docker.tar");
    const OCI: &[u8] = include_bytes!("../../tests/data/tiny.oci.tar");

    /// How a case damages the archive: flips a bit of the byte `at` bytes into layer `layer`'s
    /// blob.
    struct Flip {
        layer: usize,
        at: u64,
    }

    /// Reads `archive` (after `flip`, when given) and checks each layer's status (`V`erified,
    /// `D`amaged) and the codes of the diagnostics about whole layers, in layer order.
    #[track_caller]
    fn check(archive: &[u8], flip: Option<Flip>, statuses: &str, codes: &[&str]) {
        let limits = Limits::default();
        let pristine = MemorySource::new(archive.to_vec());
        let opened =
            open_archive(&pristine, &limits, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
        let image = load_image(&opened, &pristine, 0, &ManifestPick::Default, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut bytes = archive.to_vec();
        if let Some(f) = flip {
            let blob = image.layers[f.layer]
                .location
                .unwrap_or_else(|| panic!("no blob"));
            let i = usize::try_from(blob.offset + f.at).unwrap_or_else(|e| panic!("{e}"));
            bytes[i] ^= 0x20;
        }
        let mut image = image;
        let analysis = scan_image(
            &mut image,
            &MemorySource::new(bytes),
            &limits,
            &mut |_, _, _| true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: String = (0..image.layers.len())
            .map(|i| match analysis.layer_status(i) {
                LayerStatus::Verified => 'V',
                LayerStatus::Damaged(_) => 'D',
                LayerStatus::Unchecked(_) => 'U',
                LayerStatus::Checking => 'C',
                LayerStatus::Missing => 'M',
            })
            .collect();
        assert_eq!(got, statuses, "statuses");
        let got: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter_map(|d| d.layer.map(|l| format!("{l}:{}", d.code)))
            .collect();
        assert_eq!(got, codes, "diagnostics about layers");
    }

    #[test]
    fn layer_statuses() {
        check(DOCKER, None, "VV", &[]);
        check(OCI, None, "VV", &[]);
        // A byte of the second header in an uncompressed layer: the tar breaks there, and the
        // digest (which is its diff_id) is wrong; the next layer's whiteout then finds nothing.
        check(
            DOCKER,
            Some(Flip { layer: 0, at: 513 }),
            "DV",
            &[
                "1:layer-damaged",
                "1:digest-mismatch",
                "2:whiteout-of-nothing",
            ],
        );
        check(
            DOCKER,
            Some(Flip { layer: 1, at: 513 }),
            "VD",
            &["2:layer-damaged", "2:digest-mismatch"],
        );
        // In a gzip layer the stream itself breaks: damaged, and its digest wrong too.
        check(
            OCI,
            Some(Flip { layer: 0, at: 20 }),
            "DV",
            &[
                "1:layer-damaged",
                "1:digest-mismatch",
                "2:whiteout-of-nothing",
            ],
        );
    }

    #[test]
    fn a_digest_that_could_not_be_checked() {
        let limits = Limits::default();
        let source = MemorySource::new(DOCKER);
        let opened = open_archive(&source, &limits, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
        let mut image = load_image(&opened, &source, 0, &ManifestPick::Default, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut analysis = scan_image(&mut image, &source, &limits, &mut |_, _, _| true)
            .unwrap_or_else(|e| panic!("{e}"));
        analysis.unchecked(1, "the file is gone");
        assert_eq!(analysis.layer_status(0), LayerStatus::Verified);
        assert!(
            matches!(analysis.layer_status(1), LayerStatus::Unchecked(m) if m.contains("gone"))
        );
        assert!(analysis.checking().is_empty());
    }
}
