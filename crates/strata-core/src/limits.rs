//! Named bounds on untrusted input (invariant 4). Exceeding one is
//! [`crate::Error::LimitExceeded`] (or, for one entry of a layer, a diagnostic) naming the limit
//! and its value, never a panic, a hang or an out-of-memory. Hosts may raise them: the CLI with
//! `--limit NAME=VALUE`, the app in its settings. ARCHITECTURE.md lists them with their reasons.

use crate::error::Error;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest JSON document read whole (manifest.json, index.json, a manifest, a config).
    pub max_json_bytes: u64,
    /// Deepest nesting of JSON arrays and objects.
    pub max_json_depth: u64,
    /// Most entries in the outer archive tar.
    pub max_archive_entries: u64,
    /// Largest PAX extended header or GNU long-name record.
    pub max_tar_meta_bytes: u64,
    /// Most images listed in one archive or index.
    pub max_images: u64,
    /// Most layers in one image.
    pub max_layers: u64,
    /// Deepest chain of indexes pointing at indexes.
    pub max_index_depth: u64,
    /// Most entries in one layer.
    pub max_layer_entries: u64,
    /// Most entries in all layers of one image together.
    pub max_image_entries: u64,
    /// Longest path in a layer, in bytes (Linux's PATH_MAX is 4096).
    pub max_path_bytes: u64,
    /// Most components in one path.
    pub max_path_depth: u64,
    /// Most uncompressed bytes in one layer.
    pub max_layer_bytes: u64,
    /// Most uncompressed bytes per compressed byte, checked once a layer has produced more than
    /// 64 MiB, not counting up to 1 GiB of zero-filled file contents. Real layers compress 2:1
    /// to 20:1; a multi-member gzip of zeros reaches 1000:1 and zstd far more, so 250:1 stops
    /// bombs early. Zeros inside files are let through because real images have them: the
    /// `lastlog` that `useradd` writes for a large UID, `dd if=/dev/zero` in a workshop's
    /// "deleting does not shrink the image" demo, preallocated database files.
    pub max_decompression_ratio: u64,
    /// Most registry requests in flight at once.
    pub max_concurrent_fetches: u64,
    /// Largest signature, attestation or SBOM blob read whole (supply chain view).
    pub max_attestation_bytes: u64,
    /// Most manifests the supply chain lookup reads for one image (referrers, attestation
    /// manifests, cosign tags).
    pub max_referrers: u64,
    /// Largest package database or package metadata file read whole (dpkg `status`, an
    /// `rpmdb.sqlite`, a `METADATA`, a jar's central directory).
    pub max_package_db_bytes: u64,
    /// Most files the package analysis reads (databases, metadata, executables and jars probed).
    pub max_package_files: u64,
    /// Most packages read from one database or binary.
    pub max_packages: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 16 << 20,
            max_json_depth: 128,
            max_archive_entries: 1_000_000,
            max_tar_meta_bytes: 1 << 20,
            max_images: 10_000,
            max_layers: 1_000,
            max_index_depth: 8,
            max_layer_entries: 1 << 20,
            max_image_entries: 1 << 22,
            max_path_bytes: 4096,
            max_path_depth: 1024,
            max_layer_bytes: 64 << 30,
            max_decompression_ratio: 250,
            max_concurrent_fetches: 6,
            max_attestation_bytes: 32 << 20,
            max_referrers: 256,
            max_package_db_bytes: 128 << 20,
            max_package_files: 200_000,
            max_packages: 100_000,
        }
    }
}

/// Output past which the decompression ratio is checked.
pub const RATIO_CHECK_AFTER: u64 = 64 << 20;

/// Zero-filled file contents not counted towards [`RATIO_CHECK_AFTER`]: a layer may hold this
/// much of them before its ratio is checked at all. A bomb built as a tar of one huge
/// zero-filled file is still stopped, after about 1 GiB (seconds of work, no memory).
pub const ZERO_FILL_ALLOWANCE: u64 = 1 << 30;

impl Limits {
    /// The names hosts accept in `--limit NAME=VALUE` and in settings, with their defaults.
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("max_json_bytes", self.max_json_bytes),
            ("max_json_depth", self.max_json_depth),
            ("max_archive_entries", self.max_archive_entries),
            ("max_tar_meta_bytes", self.max_tar_meta_bytes),
            ("max_images", self.max_images),
            ("max_layers", self.max_layers),
            ("max_index_depth", self.max_index_depth),
            ("max_layer_entries", self.max_layer_entries),
            ("max_image_entries", self.max_image_entries),
            ("max_path_bytes", self.max_path_bytes),
            ("max_path_depth", self.max_path_depth),
            ("max_layer_bytes", self.max_layer_bytes),
            ("max_decompression_ratio", self.max_decompression_ratio),
            ("max_concurrent_fetches", self.max_concurrent_fetches),
            ("max_attestation_bytes", self.max_attestation_bytes),
            ("max_referrers", self.max_referrers),
            ("max_package_db_bytes", self.max_package_db_bytes),
            ("max_package_files", self.max_package_files),
            ("max_packages", self.max_packages),
        ]
    }

    /// A limit's name as a person reads it ("Layer size"); the `max_…` name stays the key the
    /// CLI's `--limit` takes.
    pub fn title(name: &str) -> &'static str {
        match name {
            "max_json_bytes" => "JSON document size",
            "max_json_depth" => "JSON nesting depth",
            "max_archive_entries" => "Entries in the archive",
            "max_tar_meta_bytes" => "Tar metadata record size",
            "max_images" => "Images in an archive",
            "max_layers" => "Layers in an image",
            "max_index_depth" => "Nested indexes",
            "max_layer_entries" => "Entries in a layer",
            "max_image_entries" => "Entries in an image",
            "max_path_bytes" => "Path length",
            "max_path_depth" => "Path depth",
            "max_layer_bytes" => "Layer size (uncompressed)",
            "max_decompression_ratio" => "Decompression ratio",
            "max_concurrent_fetches" => "Registry downloads at once",
            "max_attestation_bytes" => "Attestation size",
            "max_referrers" => "Referrers per image",
            "max_package_db_bytes" => "Package database size",
            "max_package_files" => "Files read for packages",
            "max_packages" => "Packages per database",
            _ => "",
        }
    }

    /// A limit's value as a person reads it: bytes in KiB/MiB/GiB, a ratio as "1000 : 1",
    /// counts with thousands separated.
    pub fn show(name: &str, value: u64) -> String {
        if name.ends_with("_bytes") {
            crate::text::format_bytes(value)
        } else if name == "max_decompression_ratio" {
            format!("{} : 1", crate::text::thousands(value))
        } else {
            crate::text::thousands(value)
        }
    }

    /// What each limit bounds, in a sentence, for settings and help.
    pub fn describe(name: &str) -> &'static str {
        match name {
            "max_json_bytes" => {
                "Largest JSON document read whole (manifest.json, index.json, a manifest, a config), in bytes."
            }
            "max_json_depth" => "Deepest nesting of JSON arrays and objects.",
            "max_archive_entries" => "Most entries in the archive's own tar.",
            "max_tar_meta_bytes" => "Largest PAX extended header or GNU long name, in bytes.",
            "max_images" => "Most images listed in one archive or index.",
            "max_layers" => "Most layers in one image.",
            "max_index_depth" => "Deepest chain of indexes pointing at indexes.",
            "max_layer_entries" => "Most entries (files, directories, links) in one layer.",
            "max_image_entries" => "Most entries in all layers of one image together.",
            "max_path_bytes" => "Longest path in a layer, in bytes.",
            "max_path_depth" => "Most components in one path.",
            "max_layer_bytes" => "Most uncompressed bytes in one layer.",
            "max_decompression_ratio" => {
                "Most uncompressed bytes per compressed byte (checked after 64 MiB, not counting up to 1 GiB of zero-filled files such as a big lastlog): stops decompression bombs."
            }
            "max_concurrent_fetches" => "Most registry requests (layer downloads) at once.",
            "max_attestation_bytes" => {
                "Largest signature, attestation or SBOM read whole for the supply chain view, in bytes."
            }
            "max_referrers" => {
                "Most signatures, attestations and other referrers read for one image."
            }
            "max_package_db_bytes" => {
                "Largest package database or metadata file read whole (dpkg status, rpmdb.sqlite, a jar's directory), in bytes."
            }
            "max_package_files" => {
                "Most files the package analysis reads: databases, metadata, and executables and jars it probes."
            }
            "max_packages" => "Most packages read from one database or binary.",
            _ => "",
        }
    }

    /// Sets one limit by name; unknown names are an error that lists the known ones.
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), Error> {
        let slot = match name {
            "max_json_bytes" => &mut self.max_json_bytes,
            "max_json_depth" => &mut self.max_json_depth,
            "max_archive_entries" => &mut self.max_archive_entries,
            "max_tar_meta_bytes" => &mut self.max_tar_meta_bytes,
            "max_images" => &mut self.max_images,
            "max_layers" => &mut self.max_layers,
            "max_index_depth" => &mut self.max_index_depth,
            "max_layer_entries" => &mut self.max_layer_entries,
            "max_image_entries" => &mut self.max_image_entries,
            "max_path_bytes" => &mut self.max_path_bytes,
            "max_path_depth" => &mut self.max_path_depth,
            "max_layer_bytes" => &mut self.max_layer_bytes,
            "max_decompression_ratio" => &mut self.max_decompression_ratio,
            "max_concurrent_fetches" => &mut self.max_concurrent_fetches,
            "max_attestation_bytes" => &mut self.max_attestation_bytes,
            "max_referrers" => &mut self.max_referrers,
            "max_package_db_bytes" => &mut self.max_package_db_bytes,
            "max_package_files" => &mut self.max_package_files,
            "max_packages" => &mut self.max_packages,
            _ => {
                let known: Vec<&str> = self.named().into_iter().map(|(n, _)| n).collect();
                return Err(Error::Invalid {
                    what: format!("limit `{name}`"),
                    detail: format!("no such limit; known limits: {}", known.join(", ")),
                });
            }
        };
        *slot = value;
        Ok(())
    }

    /// The error for exceeding `limit` (a field name) with `detail` saying by what.
    pub fn exceeded(&self, limit: &'static str, detail: impl Into<String>) -> Error {
        let value = self
            .named()
            .into_iter()
            .find(|(n, _)| *n == limit)
            .map_or(0, |(_, v)| v);
        Error::LimitExceeded {
            limit,
            value,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_limit_can_be_set_back() {
        let mut limits = Limits::default();
        for (name, value) in Limits::default().named() {
            limits.set(name, value + 1).unwrap();
        }
        for ((_, a), (_, b)) in limits.named().into_iter().zip(Limits::default().named()) {
            assert_eq!(a, b + 1);
        }
        assert_eq!(limits.set("max_nonsense", 1).unwrap_err().kind(), "invalid");
    }

    #[test]
    fn every_limit_has_words_and_a_readable_value() {
        for (name, value) in Limits::default().named() {
            assert!(!Limits::title(name).is_empty(), "{name} has no title");
            assert!(
                !Limits::describe(name).is_empty(),
                "{name} has no description"
            );
            assert!(!Limits::show(name, value).is_empty());
        }
        assert_eq!(Limits::show("max_layer_bytes", 68719476736), "64.0 GiB");
        assert_eq!(Limits::show("max_layers", 1000), "1,000");
    }

    #[test]
    fn exceeded_names_limit_and_value() {
        let err = Limits::default().exceeded("max_layers", "the manifest lists 5000 layers");
        assert_eq!(
            err.to_string(),
            "limit `max_layers` exceeded: the manifest lists 5000 layers (the limit is 1000)"
        );
    }
}
