//! The commands that show the same thing without Strata: `docker image history --no-trunc`,
//! `docker image inspect`, `skopeo inspect --config`, `crane manifest`, `tar -tvf` on a layer…
//! and the `strata` command for each view. Teaching a workshop, the point is that Strata
//! shows nothing the standard tools cannot; the commands are the proof.

use crate::archive::ArchiveFormat;
use crate::image::Image;
use crate::layer::decode::Compression;
use serde::{Deserialize, Serialize};

/// Which view the commands are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    Overview,
    History,
    Dockerfile,
    Inspect,
    Raw,
    Layers,
    Waste,
    /// Against another image, named as the commands take it.
    Compare(Option<String>),
    /// Signatures, attestations and referrers.
    SupplyChain,
    /// The installed packages, by layer, and an SBOM.
    Packages,
}

/// One equivalent command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivalent {
    /// `docker`, `podman`, `skopeo`, `crane`, `tar`, `dive`, `strata`.
    pub tool: String,
    pub command: String,
    /// What it shows, or what to run first.
    pub note: String,
}

/// Where the image came from, as the commands must name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An archive: its file name as the user has it.
    Archive { file: String },
    /// A registry reference (`docker.io/library/alpine:3.20`).
    Registry { reference: String },
}

/// Quotes for a POSIX shell when needed.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@=+,%".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn eq(tool: &str, command: String, note: &str) -> Equivalent {
    Equivalent {
        tool: tool.into(),
        command,
        note: note.into(),
    }
}

/// The command that writes layer `n`'s blob (as stored: compressed or not) to stdout: read
/// out of the archive, out of a `dir:` copy, or from the registry.
pub fn layer_blob_command(image: &Image, origin: &Origin, n: usize) -> Option<String> {
    let l = image.layers.get(n)?;
    Some(match origin {
        Origin::Archive { file } if image.format == ArchiveFormat::SkopeoDir => {
            format!("cat {}", shell_quote(&format!("{file}/{}", l.path)))
        }
        Origin::Archive { file } => {
            format!("tar -xOf {} {}", shell_quote(file), shell_quote(&l.path))
        }
        Origin::Registry { reference } => {
            let repo = reference.split('@').next().unwrap_or(reference);
            let repo = match repo.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => r,
                _ => repo,
            };
            let digest = l.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
            format!("crane blob {}", shell_quote(&format!("{repo}@{digest}")))
        }
    })
}

/// The command that lists layer `n`'s entries as tar sees them.
pub fn layer_list_command(image: &Image, origin: &Origin, n: usize) -> Option<String> {
    let list = match image.layers.get(n)?.compression {
        Some(Compression::Gzip) => "tar -tvzf -",
        Some(Compression::Zstd) => "zstd -dc | tar -tvf -",
        _ => "tar -tvf -",
    };
    Some(format!(
        "{} | {list}",
        layer_blob_command(image, origin, n)?
    ))
}

/// How docker and podman name the image once loaded (or pulled): the reference, its first
/// tag as docker prints it, or its short ID; quoted for a shell.
pub fn docker_name(image: &Image, origin: &Origin) -> String {
    match origin {
        Origin::Registry { reference } => shell_quote(reference),
        Origin::Archive { .. } => image
            .repo_tags
            .first()
            .map(|t| shell_quote(&crate::archive::short_name(t)))
            .unwrap_or_else(|| image.id().as_str().chars().skip(7).take(12).collect()),
    }
}

/// The commands for `topic`; `layer` (0-based) and `path` narrow the Layers view's.
pub fn equivalents(
    image: &Image,
    origin: &Origin,
    topic: Topic,
    layer: Option<usize>,
    path: Option<&str>,
) -> Vec<Equivalent> {
    let (transport, strata_image) = match origin {
        Origin::Archive { file } => {
            let t = match image.format {
                ArchiveFormat::OciLayout | ArchiveFormat::DockerOciArchive => "oci-archive",
                ArchiveFormat::SkopeoDir => "dir",
                _ => "docker-archive",
            };
            (format!("{t}:{file}"), shell_quote(file))
        }
        Origin::Registry { reference } => (format!("docker://{reference}"), shell_quote(reference)),
    };
    let skopeo_target = shell_quote(&transport);
    let name = docker_name(image, origin);
    // What to run first, per tool (the file's own name is never rewritten: a file called
    // `x.docker-save.tar` stays that under podman).
    let load = |tool: &str| match origin {
        Origin::Archive { file } if image.format == ArchiveFormat::SkopeoDir => format!(
            "after `skopeo copy dir:{} {tool}-daemon:…` (a directory cannot be loaded)",
            shell_quote(file)
        )
        .replace("podman-daemon:…", "containers-storage:…"),
        Origin::Archive { file } => format!("after `{tool} load -i {}`", shell_quote(file)),
        Origin::Registry { .. } => format!("after `{tool} pull` (downloads every layer)"),
    };
    let mut out = Vec::new();
    match topic {
        Topic::Overview => {
            out.push(eq(
                "skopeo",
                format!("skopeo inspect {skopeo_target}"),
                "digest, tags, layers, labels",
            ));
            out.push(eq(
                "strata",
                format!("strata overview {strata_image}"),
                "this page, in a terminal",
            ));
        }
        Topic::History | Topic::Dockerfile => {
            out.push(eq(
                "docker",
                format!("docker image history --no-trunc {name}"),
                &load("docker"),
            ));
            out.push(eq(
                "podman",
                format!("podman history --no-trunc {name}"),
                &load("podman"),
            ));
            out.push(eq(
                "strata",
                format!("strata history --no-trunc {strata_image}"),
                "without loading it",
            ));
        }
        Topic::Inspect => {
            out.push(eq(
                "docker",
                format!("docker image inspect {name}"),
                &load("docker"),
            ));
            out.push(eq(
                "skopeo",
                format!("skopeo inspect --config {skopeo_target}"),
                "the config it is made from",
            ));
            out.push(eq(
                "strata",
                format!("strata inspect {strata_image}"),
                "without loading it",
            ));
        }
        Topic::Raw => {
            if let Origin::Registry { reference } = origin {
                out.push(eq(
                    "crane",
                    format!("crane manifest {}", shell_quote(reference)),
                    "the manifest, byte for byte",
                ));
                out.push(eq(
                    "crane",
                    format!("crane config {}", shell_quote(reference)),
                    "the config, byte for byte",
                ));
            }
            out.push(eq(
                "skopeo",
                format!("skopeo inspect --raw {skopeo_target}"),
                "the manifest, byte for byte",
            ));
            out.push(eq(
                "skopeo",
                format!("skopeo inspect --raw --config {skopeo_target}"),
                "the config, byte for byte",
            ));
            out.push(eq(
                "strata",
                format!("strata manifest {strata_image}"),
                "also `strata config`",
            ));
        }
        Topic::Layers => {
            let n = layer.unwrap_or(image.layers.len().saturating_sub(1));
            if let Some(list) = layer_list_command(image, origin, n) {
                out.push(eq(
                    "tar",
                    list,
                    &format!("layer {}'s entries, whiteouts (.wh.*) included", n + 1),
                ));
            }
            out.push(eq(
                "strata",
                format!("strata ls {strata_image} --layer {} --changes-only", n + 1),
                "what this layer added, changed and deleted",
            ));
            out.push(eq(
                "strata",
                format!("strata ls {strata_image}"),
                "the final filesystem",
            ));
            if let Some(p) = path.filter(|p| !p.is_empty()) {
                let p = shell_quote(&format!("/{}", p.trim_start_matches('/')));
                out.push(eq(
                    "strata",
                    format!("strata cat {strata_image} {p} --layer {}", n + 1),
                    "this file's bytes",
                ));
                out.push(eq(
                    "strata",
                    format!("strata timeline {strata_image} {p}"),
                    "every layer that touched it",
                ));
            }
        }
        Topic::Compare(other) => {
            let other = other.as_deref().unwrap_or("OTHER.tar");
            let other_target = if other.ends_with(".tar") {
                format!("docker-archive:{other}")
            } else {
                format!("docker://{other}")
            };
            out.push(eq(
                "diffoci",
                format!(
                    "diffoci diff --semantic {skopeo_target} {}",
                    shell_quote(&other_target)
                ),
                "the file and config differences (diffoci's --semantic, as the checkbox)",
            ));
            out.push(eq(
                "strata",
                format!("strata diff {strata_image} {}", shell_quote(other)),
                "this comparison; --semantic and --format json too",
            ));
        }
        Topic::SupplyChain => {
            // cosign, oras and regctl read registries (and OCI layout directories); an archive
            // is unpacked into one first.
            let (target, layout_note) = match origin {
                Origin::Registry { reference } => (shell_quote(reference), String::new()),
                Origin::Archive { .. } => (
                    "oci:image:latest".to_owned(),
                    format!("after `skopeo copy {skopeo_target} oci:image:latest`; "),
                ),
            };
            let (cosign_target, oras_target, regctl_target) = match origin {
                Origin::Registry { .. } => (target.clone(), target.clone(), target.clone()),
                Origin::Archive { .. } => (
                    "--local-image image".to_owned(),
                    "--oci-layout image:latest".to_owned(),
                    "ocidir://image:latest".to_owned(),
                ),
            };
            out.push(eq(
                "cosign",
                format!("cosign verify --key cosign.pub {cosign_target}"),
                &format!("{layout_note}a key-based signature; keyless: --certificate-identity … --certificate-oidc-issuer …"),
            ));
            out.push(eq(
                "cosign",
                format!("cosign download attestation {target}"),
                "the attestations' DSSE envelopes (registries only)",
            ));
            out.push(eq(
                "oras",
                format!("oras discover --format tree {oras_target}"),
                "the referrers, as a tree",
            ));
            out.push(eq(
                "regctl",
                format!("regctl artifact tree {regctl_target}"),
                "referrers and cosign's tags together",
            ));
            if matches!(origin, Origin::Registry { .. }) {
                out.push(eq(
                    "docker",
                    format!("docker buildx imagetools inspect {target} --format '{{{{ json .Provenance }}}}'"),
                    "BuildKit's provenance attestation",
                ));
            }
            out.push(eq(
                "strata",
                format!("strata supply-chain {strata_image} --key cosign.pub"),
                "this view; --format json too",
            ));
        }
        Topic::Packages => {
            let syft_target = match origin {
                Origin::Registry { reference } => format!("registry:{}", shell_quote(reference)),
                Origin::Archive { .. } => skopeo_target.clone(),
            };
            out.push(eq(
                "strata",
                format!("strata packages {strata_image}"),
                "this table, in a terminal (--layer N: after a layer)",
            ));
            out.push(eq(
                "strata",
                format!("strata packages --format spdx-json {strata_image} > sbom.spdx.json"),
                "the SBOM these buttons save (cyclonedx-json too)",
            ));
            out.push(eq(
                "syft",
                format!("syft scan {syft_target}"),
                "the same question, another tool's answer",
            ));
        }
        Topic::Waste => {
            let source = match (origin, image.format) {
                (Origin::Registry { .. }, _) => "--source docker",
                (_, ArchiveFormat::DockerArchive) => "--source docker-archive",
                _ => "--source docker-archive # dive reads docker archives only",
            };
            out.push(eq(
                "dive",
                format!("dive {source} {strata_image}"),
                "the same analysis in a terminal",
            ));
            out.push(eq(
                "strata",
                format!("strata ci {strata_image}"),
                "dive's CI rules; exit code 1 when one fails",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_minimal_and_safe() {
        assert_eq!(shell_quote("image.tar"), "image.tar");
        assert_eq!(shell_quote("my image.tar"), "'my image.tar'");
        assert_eq!(shell_quote("it's.tar"), r"'it'\''s.tar'");
        assert_eq!(shell_quote("$(rm -rf ~).tar"), "'$(rm -rf ~).tar'");
        assert_eq!(shell_quote(""), "''");
    }

    fn empty_image() -> Image {
        serde_json::from_value(serde_json::json!({
            "format": "registry", "repo_tags": [], "index": null, "choices": [], "chosen": null,
            "manifest": {"source": "m", "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bytes": ""},
            "manifest_synthesized": false, "manifest_media_type": "",
            "config": {"source": "c", "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bytes": ""},
            "layers": [], "platform": {"architecture": "", "os": ""}, "diagnostics": []
        }))
        .unwrap()
    }

    #[test]
    fn load_notes_name_the_file_the_user_has() {
        let mut image = empty_image();
        image.format = ArchiveFormat::DockerArchive;
        let file = Origin::Archive {
            file: "bb-dockerbuild.docker-save.tar".into(),
        };
        let notes: Vec<(String, String)> = equivalents(&image, &file, Topic::History, None, None)
            .into_iter()
            .map(|e| (e.tool, e.note))
            .collect();
        assert!(notes.contains(&(
            "docker".into(),
            "after `docker load -i bb-dockerbuild.docker-save.tar`".into()
        )));
        assert!(notes.contains(&(
            "podman".into(),
            "after `podman load -i bb-dockerbuild.docker-save.tar`".into()
        )));
        image.format = ArchiveFormat::SkopeoDir;
        let dir = Origin::Archive {
            file: "copy".into(),
        };
        let notes = equivalents(&image, &dir, Topic::Inspect, None, None);
        assert!(
            notes[0]
                .note
                .contains("skopeo copy dir:copy docker-daemon:"),
            "{}",
            notes[0].note
        );
    }

    #[test]
    fn supply_chain_commands_name_the_image() {
        let image: Image = serde_json::from_value(serde_json::json!({
            "format": "registry", "repo_tags": [], "index": null, "choices": [], "chosen": null,
            "manifest": {"source": "m", "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bytes": ""},
            "manifest_synthesized": false, "manifest_media_type": "",
            "config": {"source": "c", "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bytes": ""},
            "layers": [], "platform": {"architecture": "", "os": ""}, "diagnostics": []
        }))
        .unwrap();
        let reg = Origin::Registry {
            reference: "ghcr.io/o/app:1".into(),
        };
        let got: Vec<String> = equivalents(&image, &reg, Topic::SupplyChain, None, None)
            .into_iter()
            .map(|e| e.command)
            .collect();
        assert_eq!(got[0], "cosign verify --key cosign.pub ghcr.io/o/app:1");
        assert!(got.contains(&"oras discover --format tree ghcr.io/o/app:1".to_owned()));
        assert!(got.contains(&"regctl artifact tree ghcr.io/o/app:1".to_owned()));
        let file = Origin::Archive {
            file: "my app.tar".into(),
        };
        let got = equivalents(&image, &file, Topic::SupplyChain, None, None);
        assert_eq!(
            got[0].command,
            "cosign verify --key cosign.pub --local-image image"
        );
        assert!(
            got[0]
                .note
                .contains("skopeo copy 'docker-archive:my app.tar' oci:image:latest"),
            "{}",
            got[0].note
        );
        assert_eq!(
            got.last().unwrap().command,
            "strata supply-chain 'my app.tar' --key cosign.pub"
        );
    }
}
