//! What is installed, and by which layer: the package databases an image carries, read back
//! by range from the layers the tree already indexed, turned into a [`PackageReport`] — the
//! packages after every layer, what each layer added, removed and upgraded (with its history
//! step and the bytes each package's files take in it), each file's owner, findings, and SBOMs
//! ([`sbom`]).
//!
//! One file per format: [`dpkg`] (Debian, Ubuntu, distroless), [`apk`] (Alpine), [`rpm`]
//! (SQLite, Berkeley DB and ndb rpmdbs, RPM headers), [`python`] (dist-info, egg-info),
//! [`npm`] (node_modules), [`elf`] (Go build info, `cargo auditable`), [`maven`] (jars),
//! [`os_release`]. [`scan`] decides what to read and parses it; [`report`] makes the layers'
//! story of it; [`version`] orders versions as each package manager does.
//!
//! The engine does no I/O: a host hands it the tree and a way to read ranges of files.
//! [`analyse_packages`] drives the whole thing with a closure that reads one layer's ranges;
//! hosts that answer by message (the web app's workers) drive [`PackageScan`] themselves:
//! `requests()` → read each layer's ranges (`layer::content::read_ranges`) → `answer()`,
//! until `is_done()`, then `finish()`.

pub mod apk;
pub mod dpkg;
pub mod elf;
pub mod maven;
pub mod model;
pub mod npm;
pub mod os_release;
pub mod probe;
pub mod python;
pub mod report;
pub mod rpm;
pub mod sbom;
pub mod scan;
pub mod version;

pub use model::{Ecosystem, Package};
pub use os_release::OsRelease;
pub use report::{
    Direction, FileOwner, LayerPackages, PackageDiff, PackageIdx, PackageInstance, PackageReport,
    UnownedFile, VersionChange, compare,
};
pub use sbom::SbomSubject;
pub use scan::{PackageScan, ReadRequest};

use crate::error::Error;
use crate::history::History;
use crate::layer::content::RangeRequest;
use crate::limits::Limits;
use crate::tree::ImageTree;

/// How a host reads for [`analyse_packages`]: ranges of files of one layer (0-based), each
/// answered in order.
pub type ReadLayer<'a> = dyn FnMut(usize, &[RangeRequest]) -> Vec<Result<Vec<u8>, Error>> + 'a;

/// Most rounds of reads (databases, then up to six rounds of probes): a bound, not a target.
const MAX_ROUNDS: usize = 16;

/// The package analysis of an image, start to end. `read(layer, ranges)` reads ranges of files
/// of one layer (0-based) and answers each, in order: a host implements it with
/// [`crate::layer::content::read_ranges`] over the layer's blob.
pub fn analyse_packages(
    tree: &ImageTree,
    history: &History,
    limits: &Limits,
    read: &mut ReadLayer<'_>,
) -> PackageReport {
    let mut scan = PackageScan::new(tree, limits);
    for _ in 0..MAX_ROUNDS {
        if scan.is_done() {
            break;
        }
        let requests = scan.requests().to_vec();
        let mut answers = Vec::with_capacity(requests.len());
        let mut at = 0;
        while at < requests.len() {
            let layer = requests[at].layer;
            let end = at
                + requests[at..]
                    .iter()
                    .take_while(|r| r.layer == layer)
                    .count();
            let ranges: Vec<RangeRequest> =
                requests[at..end].iter().map(|r| r.range.clone()).collect();
            let mut got = read(layer, &ranges);
            got.truncate(ranges.len());
            while got.len() < ranges.len() {
                got.push(Err(Error::Invalid {
                    what: format!("layer {}", layer + 1),
                    detail: "the host did not answer a read".into(),
                }));
            }
            answers.extend(got);
            at = end;
        }
        scan.answer(tree, answers);
    }
    scan.finish(tree, history)
}
