//! `docker image inspect`: the same field names, nesting and order, from the config, the
//! archive's tags and the manifest digest.
//!
//! Left out because an archive or a registry cannot know them (see ARCHITECTURE.md):
//! `GraphDriver` (where a daemon stored the layers) and `Metadata.LastTagTime` (when a daemon
//! tagged it). `RepoDigests`: each tagged repository at the manifest digest, none for a
//! `docker save` archive (as docker after `docker load`: it has no registry manifest). `Size`:
//! the sum of the layers' sizes as the host counts them — docker's (the bytes of the files,
//! [`crate::tree::ImageTree::docker_size`]) or podman's (the layer tars).

use crate::archive::short_name;
use crate::image::Image;
use crate::overview::{podman_repo_digests, repo_digests};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One element of the array `docker image inspect` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerInspect {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_config: Option<ContainerConfigJson>,
    pub docker_version: String,
    pub author: String,
    pub config: ContainerConfigJson,
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub variant: String,
    pub os: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub os_version: String,
    pub size: u64,
    #[serde(rename = "RootFS")]
    pub root_fs: RootFsJson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFsJson {
    #[serde(rename = "Type")]
    pub kind: String,
    pub layers: Vec<String>,
}

/// Docker's `container.Config`, in its field order, zero values included as docker prints
/// them; `omitempty` fields only when set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfigJson {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<Value>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Value,
    pub cmd: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<Value>,
    pub image: String,
    pub volumes: Value,
    pub working_dir: String,
    pub entrypoint: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_disabled: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<Value>,
    pub on_build: Value,
    pub labels: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<Value>,
}

impl ContainerConfigJson {
    fn from_value(v: Option<&Value>) -> Self {
        let get = |k: &str| v.and_then(|o| o.get(k)).filter(|x| !x.is_null()).cloned();
        let string = |k: &str| {
            get(k)
                .and_then(|x| x.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let boolean = |k: &str| get(k).and_then(|x| x.as_bool()).unwrap_or(false);
        ContainerConfigJson {
            hostname: string("Hostname"),
            domainname: string("Domainname"),
            user: string("User"),
            attach_stdin: boolean("AttachStdin"),
            attach_stdout: boolean("AttachStdout"),
            attach_stderr: boolean("AttachStderr"),
            exposed_ports: get("ExposedPorts"),
            tty: boolean("Tty"),
            open_stdin: boolean("OpenStdin"),
            stdin_once: boolean("StdinOnce"),
            env: get("Env").unwrap_or(Value::Null),
            cmd: get("Cmd").unwrap_or(Value::Null),
            healthcheck: get("Healthcheck"),
            args_escaped: get("ArgsEscaped"),
            image: string("Image"),
            volumes: get("Volumes").unwrap_or(Value::Null),
            working_dir: string("WorkingDir"),
            entrypoint: get("Entrypoint").unwrap_or(Value::Null),
            network_disabled: get("NetworkDisabled"),
            mac_address: get("MacAddress"),
            on_build: get("OnBuild").unwrap_or(Value::Null),
            labels: get("Labels").unwrap_or(Value::Null),
            stop_signal: get("StopSignal"),
            stop_timeout: get("StopTimeout"),
            shell: get("Shell"),
        }
    }
}

/// The inspect object for `image`; `size` is the sum of uncompressed layer sizes if known.
pub fn inspect(image: &Image, size: u64) -> DockerInspect {
    inspect_as(image, size, repo_digests(image))
}

/// What `podman image inspect` shows where it differs from docker: RepoDigests at the manifest
/// digest even for a `docker save` archive (the one containers/image derives for it); `size`
/// is the caller's (podman's, the layer tars).
pub fn inspect_like_podman(image: &Image, size: u64) -> DockerInspect {
    inspect_as(image, size, podman_repo_digests(image))
}

fn inspect_as(image: &Image, size: u64, repo_digests: Vec<String>) -> DockerInspect {
    let config: Value = serde_json::from_slice(&image.config.bytes).unwrap_or(Value::Null);
    let s = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let diff_ids = config
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    DockerInspect {
        id: image.id().to_string(),
        repo_tags: image.repo_tags.iter().map(|t| short_name(t)).collect(),
        repo_digests,
        parent: String::new(),
        // docker falls back to the last history entry's comment (moby's image inspect).
        comment: Some(s("comment"))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| {
                config
                    .get("history")
                    .and_then(Value::as_array)
                    .and_then(|h| h.last())
                    .and_then(|h| h.get("comment"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            }),
        created: s("created"),
        container: config.get("container").filter(|c| !c.is_null()).cloned(),
        container_config: config
            .get("container_config")
            .filter(|c| !c.is_null())
            .map(|c| ContainerConfigJson::from_value(Some(c))),
        docker_version: s("docker_version"),
        author: s("author"),
        config: ContainerConfigJson::from_value(config.get("config")),
        architecture: s("architecture"),
        variant: s("variant"),
        os: s("os"),
        os_version: s("os.version"),
        size,
        root_fs: RootFsJson {
            kind: config
                .get("rootfs")
                .and_then(|r| r.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("layers")
                .to_owned(),
            layers: diff_ids,
        },
    }
}
