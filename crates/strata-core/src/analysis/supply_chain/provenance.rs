//! SLSA provenance, v0.2 (`https://slsa.dev/provenance/v0.2`) and v1
//! (`https://slsa.dev/provenance/v1`), read into one summary a person can take in: who built
//! it (builder), how (build type, frontend, build arguments), from what (source repository and
//! commit, the materials / resolved dependencies with their digests), when, and the Dockerfile
//! itself when BuildKit recorded it (`mode=max`: `source.infos[].data`, base64). The fields are
//! where the SLSA specs and BuildKit's "SLSA definitions" put them; the whole statement stays
//! beside the summary for anything this leaves out.

use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
/// BuildKit's extension keys for its own metadata (v0.2, v1).
const BUILDKIT_METADATA_V02: &str = "https://mobyproject.org/buildkit@v1#metadata";
const BUILDKIT_METADATA_V1: &str = "buildkit_metadata";

/// Whether a predicate type is SLSA provenance this module reads.
pub fn is_provenance(predicate_type: &str) -> bool {
    matches!(predicate_type, SLSA_V02 | SLSA_V1)
        || predicate_type.starts_with("https://slsa.dev/provenance/v1")
}

/// A build input with its digests (a base image, a git repository, a downloaded file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub uri: String,
    /// Algorithm → hex, as written (`sha256`, `sha1` for git commits).
    pub digest: BTreeMap<String, String>,
}

impl Material {
    pub fn sha256(&self) -> Option<Digest> {
        Digest::from_sha256_hex(self.digest.get("sha256")?)
    }
}

/// A provenance statement, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `v0.2` or `v1`.
    pub slsa_version: String,
    pub builder: Option<String>,
    pub build_type: Option<String>,
    /// `dockerfile.v0`, `gateway.v0`, …
    pub frontend: Option<String>,
    /// The repository the build came from (configSource, or BuildKit's `vcs.source`).
    pub source_repository: Option<String>,
    /// Its commit (configSource's sha1, or BuildKit's `vcs.revision`).
    pub source_commit: Option<String>,
    /// The file that defined the build (`Dockerfile`).
    pub config_path: Option<String>,
    pub materials: Vec<Material>,
    /// `--build-arg`s (BuildKit's `build-arg:` request arguments), by name.
    pub build_args: BTreeMap<String, String>,
    /// Other request arguments (`target`, `label:…`, `source`).
    pub options: BTreeMap<String, String>,
    pub invocation_id: Option<String>,
    pub started_on: Option<String>,
    pub finished_on: Option<String>,
    pub reproducible: Option<bool>,
    pub hermetic: Option<bool>,
    /// The Dockerfile's text, when BuildKit recorded it (provenance `mode=max`).
    pub dockerfile: Option<String>,
    /// What was recorded that the summary could not read (kept short).
    pub notes: Vec<String>,
}

/// Reads a SLSA provenance predicate of either version.
pub fn read_provenance(predicate_type: &str, predicate: &Value) -> Provenance {
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut p = Provenance::default();
    let (config_source, request, buildkit, materials);
    if predicate_type == SLSA_V02 {
        p.slsa_version = "v0.2".into();
        p.builder = s(predicate.pointer("/builder/id"));
        p.build_type = s(predicate.get("buildType"));
        config_source = predicate.pointer("/invocation/configSource");
        request = predicate.pointer("/invocation/parameters");
        let metadata = predicate.get("metadata");
        p.invocation_id = s(metadata.and_then(|m| m.get("buildInvocationId")))
            .or_else(|| s(metadata.and_then(|m| m.get("buildInvocationID"))));
        p.started_on = s(metadata.and_then(|m| m.get("buildStartedOn")));
        p.finished_on = s(metadata.and_then(|m| m.get("buildFinishedOn")));
        p.reproducible = metadata
            .and_then(|m| m.get("reproducible"))
            .and_then(Value::as_bool);
        p.hermetic = metadata
            .and_then(|m| m.get("https://mobyproject.org/buildkit@v1#hermetic"))
            .and_then(Value::as_bool);
        buildkit = metadata.and_then(|m| m.get(BUILDKIT_METADATA_V02));
        materials = predicate.get("materials");
    } else {
        p.slsa_version = "v1".into();
        let definition = predicate.get("buildDefinition");
        let run = predicate.get("runDetails");
        p.builder = s(run.and_then(|r| r.pointer("/builder/id")));
        p.build_type = s(definition.and_then(|d| d.get("buildType")));
        config_source = definition.and_then(|d| d.pointer("/externalParameters/configSource"));
        request = definition.and_then(|d| d.pointer("/externalParameters/request"));
        let metadata = run.and_then(|r| r.get("metadata"));
        p.invocation_id = s(metadata.and_then(|m| m.get("invocationID")))
            .or_else(|| s(metadata.and_then(|m| m.get("invocationId"))));
        p.started_on = s(metadata.and_then(|m| m.get("startedOn")));
        p.finished_on = s(metadata.and_then(|m| m.get("finishedOn")));
        p.reproducible = metadata
            .and_then(|m| m.get("buildkit_reproducible"))
            .and_then(Value::as_bool);
        p.hermetic = metadata
            .and_then(|m| m.get("buildkit_hermetic"))
            .and_then(Value::as_bool);
        buildkit = metadata.and_then(|m| {
            m.get(BUILDKIT_METADATA_V1)
                .or_else(|| m.get(BUILDKIT_METADATA_V02))
        });
        materials = definition.and_then(|d| d.get("resolvedDependencies"));
    }
    if let Some(cs) = config_source {
        p.source_repository = s(cs.get("uri"));
        p.source_commit = s(cs.pointer("/digest/sha1"))
            .or_else(|| s(cs.pointer("/digest/gitCommit")))
            .or_else(|| s(cs.pointer("/digest/sha256")));
        p.config_path = s(cs.get("entryPoint")).or_else(|| s(cs.get("path")));
    }
    if let Some(req) = request {
        p.frontend = s(req.get("frontend"));
        if let Some(args) = req.get("args").and_then(Value::as_object) {
            for (k, v) in args {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match k.strip_prefix("build-arg:") {
                    Some(name) => {
                        p.build_args.insert(name.to_owned(), v);
                    }
                    None => {
                        p.options.insert(k.clone(), v);
                    }
                }
            }
        }
    }
    if let Some(bk) = buildkit {
        // `vcs` is what the client said (not checked by BuildKit): used when configSource is
        // a local directory and names no repository.
        if p.source_repository.is_none() {
            p.source_repository = s(bk.pointer("/vcs/source"));
        }
        if p.source_commit.is_none() {
            p.source_commit = s(bk.pointer("/vcs/revision"));
        }
        if let Some(infos) = bk.pointer("/source/infos").and_then(Value::as_array) {
            let dockerfile = infos.iter().find(|i| {
                i.get("language").and_then(Value::as_str) == Some("Dockerfile")
                    || i.get("filename")
                        .and_then(Value::as_str)
                        .is_some_and(|f| f.ends_with("Dockerfile"))
            });
            if let Some(data) = dockerfile
                .and_then(|i| i.get("data"))
                .and_then(Value::as_str)
            {
                match super::encoding::base64(data, "the recorded Dockerfile") {
                    Ok(bytes) => p.dockerfile = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    Err(e) => p.notes.push(e),
                }
            }
        }
    }
    if let Some(list) = materials.and_then(Value::as_array) {
        for m in list {
            let digest = m
                .get("digest")
                .and_then(Value::as_object)
                .map(|d| {
                    d.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            p.materials.push(Material {
                uri: s(m.get("uri")).unwrap_or_default(),
                digest,
            });
        }
    }
    if p.builder.is_none() && p.build_type.is_none() && p.materials.is_empty() {
        p.notes.push(format!(
            "the predicate has none of the SLSA {} fields (builder, buildType, materials)",
            p.slsa_version
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(predicate_type: &str, predicate: Value, expect: &[(&str, &str)]) {
        let p = read_provenance(predicate_type, &predicate);
        let got = serde_json::to_value(&p).unwrap();
        for (pointer, want) in expect {
            let v = got.pointer(pointer).unwrap_or(&Value::Null);
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            assert_eq!(&v, want, "{pointer} in {got:#}");
        }
    }

    /// The fields where BuildKit's documentation ("SLSA definitions") shows them.
    #[test]
    fn buildkit_provenance_of_both_versions() {
        let dockerfile = super::super::encoding::to_base64(b"FROM alpine\nRUN true\n");
        check(
            SLSA_V02,
            json!({
                "builder": {"id": "https://github.com/docker/buildx/actions/runs/1"},
                "buildType": "https://mobyproject.org/buildkit@v1",
                "materials": [{"uri": "pkg:docker/alpine@3.17?platform=linux%2Famd64", "digest": {"sha256": "8914eb54f968791faf6a8638949e480fef81e697984fba772b3976835194c6d4"}}],
                "invocation": {
                    "configSource": {"uri": "https://github.com/moby/buildkit.git#refs/tags/v0.11.0", "digest": {"sha1": "4b220de5058abfd01ff619c9d2ff6b09a049bea0"}, "entryPoint": "Dockerfile"},
                    "parameters": {"frontend": "dockerfile.v0", "args": {"build-arg:VERSION": "1.2", "target": "release"}}
                },
                "metadata": {
                    "buildInvocationID": "rpv7a389uzil5lqmrgwhijwjz",
                    "buildStartedOn": "2021-11-17T15:00:00Z",
                    "reproducible": false,
                    "https://mobyproject.org/buildkit@v1#metadata": {"source": {"infos": [{"filename": "Dockerfile", "language": "Dockerfile", "data": dockerfile}]}}
                }
            }),
            &[
                ("/slsa_version", "v0.2"),
                (
                    "/builder",
                    "https://github.com/docker/buildx/actions/runs/1",
                ),
                (
                    "/source_repository",
                    "https://github.com/moby/buildkit.git#refs/tags/v0.11.0",
                ),
                ("/source_commit", "4b220de5058abfd01ff619c9d2ff6b09a049bea0"),
                ("/config_path", "Dockerfile"),
                ("/frontend", "dockerfile.v0"),
                ("/build_args/VERSION", "1.2"),
                ("/options/target", "release"),
                (
                    "/materials/0/digest/sha256",
                    "8914eb54f968791faf6a8638949e480fef81e697984fba772b3976835194c6d4",
                ),
                ("/invocation_id", "rpv7a389uzil5lqmrgwhijwjz"),
                ("/dockerfile", "FROM alpine\nRUN true\n"),
                ("/reproducible", "false"),
            ],
        );
        check(
            SLSA_V1,
            json!({
                "buildDefinition": {
                    "buildType": "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
                    "externalParameters": {
                        "configSource": {"path": "Dockerfile"},
                        "request": {"frontend": "gateway.v0", "args": {"build-arg:A": "b", "source": "docker/dockerfile:1"}}
                    },
                    "resolvedDependencies": [{"uri": "pkg:docker/docker/dockerfile@1", "digest": {"sha256": "9ba7531bd80fb0a858632727cf7a112fbfd19b17e94c4e84ced81e24ef1a0dbc"}}]
                },
                "runDetails": {
                    "builder": {"id": "https://ci.example/run/7"},
                    "metadata": {
                        "invocationID": "x1",
                        "startedOn": "2024-01-01T00:00:00Z",
                        "finishedOn": "2024-01-01T00:01:00Z",
                        "buildkit_hermetic": true,
                        "buildkit_metadata": {"vcs": {"source": "https://git.example/app.git", "revision": "0123456789abcdef0123456789abcdef01234567"}}
                    }
                }
            }),
            &[
                ("/slsa_version", "v1"),
                ("/builder", "https://ci.example/run/7"),
                ("/source_repository", "https://git.example/app.git"),
                ("/source_commit", "0123456789abcdef0123456789abcdef01234567"),
                ("/config_path", "Dockerfile"),
                ("/build_args/A", "b"),
                ("/options/source", "docker/dockerfile:1"),
                ("/materials/0/uri", "pkg:docker/docker/dockerfile@1"),
                ("/finished_on", "2024-01-01T00:01:00Z"),
                ("/hermetic", "true"),
                ("/dockerfile", "null"),
            ],
        );
        check(
            SLSA_V1,
            json!({"unexpected": 1}),
            &[(
                "/notes/0",
                "the predicate has none of the SLSA v1 fields (builder, buildType, materials)",
            )],
        );
    }
}
