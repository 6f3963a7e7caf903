//! One report of an image, made once for every host: what is known from the manifest and
//! config alone ([`ImageReport`]: history with the sizes the descriptors say, the Dockerfile,
//! `docker image inspect`, the config's findings), and what is known once the layers are read
//! ([`LayersReport`]: the history with docker's and podman's exact sizes, inspect's exact
//! `Size`, every finding, each layer's [`LayerStatus`] and the digests verified). Hosts render
//! these instead of assembling history, hints and statuses themselves.

use crate::analysis::read::{Analysis, LayerStatus};
use crate::digest::Digest;
use crate::hints::{Hint, config_hints, file_hints};
use crate::history::{Dockerfile, History, dockerfile_of, history};
use crate::image::Image;

/// An image before its layers are read.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// `docker history`, layer sizes as the descriptors (or gzip trailers) say.
    pub history: History,
    /// The Dockerfile the history implies.
    pub dockerfile: Dockerfile,
    /// `docker image inspect`'s output (an array of one object).
    pub inspect: serde_json::Value,
    /// Findings from the config and history (the file-level ones need the layers).
    pub hints: Vec<Hint>,
}

impl ImageReport {
    pub fn of(image: &Image) -> ImageReport {
        let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.uncompressed_size).collect();
        let history = history(image, &sizes);
        let size = sizes.iter().flatten().sum();
        ImageReport {
            dockerfile: dockerfile_of(image, &history),
            inspect: serde_json::to_value([crate::inspect::inspect(image, size)])
                .unwrap_or_default(),
            hints: config_hints(image, &history, None),
            history,
        }
    }
}

/// An image with its layers read (`image` as [`crate::analyse`] left it: sizes exact).
#[derive(Debug, Clone)]
pub struct LayersReport {
    /// The history with each layer's size as docker counts it (the bytes of its files).
    pub history: History,
    /// The same with podman's sizes (each layer tar's).
    pub podman_history: History,
    /// `docker image inspect`, its `Size` docker's sum of the layers' sizes.
    pub inspect: serde_json::Value,
    /// Every finding: the config's and the files'.
    pub hints: Vec<Hint>,
    /// Per layer, where it stands.
    pub layer_status: Vec<LayerStatus>,
    /// Per layer, its blob's digest when it was verified.
    pub verified: Vec<Option<Digest>>,
}

impl LayersReport {
    pub fn of(image: &Image, analysis: &Analysis) -> LayersReport {
        Self::with_file_hints(image, analysis, file_hints(&analysis.tree))
    }

    /// [`LayersReport::of`], the file hints found already ([`crate::hints::FileHints`], a
    /// piece at a time).
    pub fn with_file_hints(image: &Image, analysis: &Analysis, files: Vec<Hint>) -> LayersReport {
        let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.uncompressed_size).collect();
        let podman_history = history(image, &sizes);
        // docker's count: the bytes of each layer's files, for the layers that were read whole.
        let docker_sizes = analysis.docker_sizes();
        let history = history(image, &docker_sizes);
        let inspect = serde_json::to_value([crate::inspect::inspect(
            image,
            docker_sizes.iter().flatten().sum(),
        )])
        .unwrap_or_default();
        let mut hints = config_hints(image, &history, None);
        hints.extend(files);
        let layer_status: Vec<LayerStatus> = (0..image.layers.len())
            .map(|i| analysis.layer_status(i))
            .collect();
        let verified = layer_status
            .iter()
            .zip(&analysis.scans)
            .map(|(status, scan)| {
                (*status == LayerStatus::Verified)
                    .then(|| scan.as_ref().and_then(|s| s.digest.clone()))
                    .flatten()
            })
            .collect();
        LayersReport {
            history,
            podman_history,
            inspect,
            hints,
            layer_status,
            verified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, ManifestPick, MemorySource, load_image, open_archive, scan_image};

    const OCI: &[u8] = include_bytes!("../../tests/data/tiny.oci.tar");

    #[test]
    fn before_and_after_the_layers() {
        let source = MemorySource::new(OCI);
        let limits = Limits::default();
        let archive = open_archive(&source, &limits, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
        let mut image = load_image(&archive, &source, 0, &ManifestPick::Default, &limits)
            .unwrap_or_else(|e| panic!("{e}"));
        let before = ImageReport::of(&image);
        assert_eq!(before.inspect.as_array().map(Vec::len), Some(1));
        assert!(!before.history.rows.is_empty());
        let analysis = scan_image(&mut image, &source, &limits, &mut |_, _, _| true)
            .unwrap_or_else(|e| panic!("{e}"));
        let after = LayersReport::of(&image, &analysis);
        assert!(
            after
                .layer_status
                .iter()
                .all(|s| *s == LayerStatus::Verified)
        );
        let digests: Vec<Option<Digest>> = image.layers.iter().map(|l| l.digest.clone()).collect();
        assert_eq!(after.verified, digests);
        assert_eq!(after.history.rows.len(), before.history.rows.len());
    }
}
