//! Findings from the image itself, each with its evidence: what a reviewer of a Dockerfile or
//! `dive` user would point at. Config-level findings need only the config; file-level ones
//! need the layers read (the [`ImageTree`]).
//!
//! Each finding names what it saw (layer, path, bytes) so a reader can check it, and says what
//! to do instead. None is an error: an image may have reasons.

use crate::history::History;
use crate::image::Image;
use crate::paths::PathId;
use crate::tar::EntryKind;
use crate::tree::{Change, ImageTree};
use serde::{Deserialize, Serialize};

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hint {
    /// Stable name: `latest-tag`, `chainable-runs`, `package-cache`, `deleted-later`,
    /// `secret-file`, `root-user`, `log-files`, `build-artefact`.
    pub code: String,
    /// What was found, in one sentence.
    pub title: String,
    /// What to do about it.
    pub advice: String,
    pub evidence: Vec<Evidence>,
    /// Bytes concerned (0 when not about bytes), to sort by.
    pub bytes: u64,
}

/// One thing seen: a path in a layer, a history step, a setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// 1-based layer.
    pub layer: Option<usize>,
    pub path: Option<String>,
    pub bytes: Option<u64>,
    pub note: String,
}

/// Evidence items listed per finding (the rest are counted in the title).
const MAX_EVIDENCE: usize = 20;

/// Package-manager caches: (path prefix, what it is).
const CACHES: &[(&str, &str)] = &[
    ("var/lib/apt/lists/", "apt package lists"),
    ("var/cache/apt/", "apt's package cache"),
    ("var/cache/apk/", "apk's package cache"),
    ("var/cache/yum/", "yum's cache"),
    ("var/cache/dnf/", "dnf's cache"),
    ("var/cache/zypp/", "zypper's cache"),
    ("root/.cache/pip/", "pip's cache"),
    ("root/.npm/", "npm's cache"),
    ("root/.cache/yarn/", "yarn's cache"),
    ("usr/local/share/.cache/yarn/", "yarn's cache"),
    ("root/.cache/go-build/", "Go's build cache"),
    ("root/.cargo/registry/", "cargo's registry cache"),
];

/// Files that usually hold secrets, by name.
fn secret_kind(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    // Public certificates ship in every distribution: only private-looking places count.
    let public_certs = [
        "etc/ssl/",
        "usr/share/",
        "usr/lib/",
        "usr/local/lib/",
        "etc/pki/",
        "etc/ca-certificates",
    ]
    .iter()
    .any(|p| path.starts_with(p));
    match name {
        ".env" => Some("an environment file"),
        n if n.starts_with(".env.") && !n.ends_with(".example") && !n.ends_with(".sample") => {
            Some("an environment file")
        }
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" => Some("an SSH private key"),
        ".git-credentials" => Some("git credentials"),
        ".netrc" => Some("a .netrc with passwords"),
        ".npmrc" | ".pypirc" => Some("a package registry config (often with a token)"),
        "credentials" if path.contains(".aws/") => Some("AWS credentials"),
        "config.json" if path.contains(".docker/") => Some("docker registry credentials"),
        n if !public_certs
            && (n.ends_with(".pem")
                || n.ends_with(".key")
                || n.ends_with(".p12")
                || n.ends_with(".pfx")) =>
        {
            Some("a key or certificate file")
        }
        n if n.ends_with(".kdbx") => Some("a password database"),
        ".pgpass" | ".htpasswd" | "htpasswd" => Some("a password file"),
        n if n.ends_with(".ppk") => Some("a PuTTY private key"),
        // `secret.txt`, `client_secret.json`, `credentials.yaml`: named for what they hold.
        // Not code (Python's `secrets.py`) and not in the places distributions ship files.
        // (Case-blind without lowering a copy: this runs for every file of the image.)
        n if !public_certs && !is_code(n) && {
            let b = n.as_bytes();
            b.windows(6).any(|w| w.eq_ignore_ascii_case(b"secret"))
                || n.eq_ignore_ascii_case("credentials")
                || b.get(..12)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"credentials."))
        } =>
        {
            Some("a file named for a secret")
        }
        _ => None,
    }
}

/// Source code and libraries, named for what they do rather than what they hold.
fn is_code(name: &str) -> bool {
    let exts = [
        ".py", ".pyc", ".js", ".mjs", ".ts", ".go", ".rb", ".rs", ".c", ".h", ".so", ".java",
        ".class", ".html", ".md", ".txt.gz", ".gz", ".pm", ".php", ".sh",
    ];
    exts.iter().any(|e| name.ends_with(e)) || name.contains(".so.")
}

/// Names of build artefacts (archives, objects, packages, dumps).
fn artefact_like(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let exts = [
        ".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst", ".zip", ".7z", ".rar", ".o",
        ".a", ".deb", ".rpm", ".iso", ".img", ".whl", ".egg", ".dmp",
    ];
    exts.iter().any(|e| name.ends_with(e))
        || name == "core"
        || path.starts_with("tmp/")
        || path.starts_with("var/tmp/")
}

/// A file this large in the final filesystem is worth a look whatever its name.
const HUGE_FILE: u64 = 100 << 20;
/// An artefact-looking file this large is worth a look.
const LARGE_ARTEFACT: u64 = 10 << 20;

/// Findings from the config and history (no layer needed).
pub fn config_hints(image: &Image, history: &History, reference_tag: Option<&str>) -> Vec<Hint> {
    let mut out = Vec::new();
    // Tags.
    let tags: Vec<&str> = image
        .repo_tags
        .iter()
        .map(String::as_str)
        .chain(reference_tag)
        .collect();
    // `repo:tag`; a bare `tag` (OCI ref names); or `repo` alone, which means latest.
    let tag_of = |t: &str| -> String {
        match t.rsplit_once(':') {
            Some((_, tag)) if !tag.contains('/') => tag.to_owned(),
            _ if t.contains('/') => "latest".to_owned(),
            _ => t.to_owned(),
        }
    };
    if tags.is_empty() {
        out.push(Hint {
            code: "latest-tag".into(),
            title: "The image has no tag: it is known by its ID only.".into(),
            advice: "Tag releases with a version (app:1.4.2) so deployments name what they run."
                .into(),
            evidence: vec![Evidence {
                layer: None,
                path: None,
                bytes: None,
                note: "no RepoTags".into(),
            }],
            bytes: 0,
        });
    } else if tags.iter().all(|t| tag_of(t) == "latest") {
        out.push(Hint {
            code: "latest-tag".into(),
            title: "The image is tagged `latest` only.".into(),
            advice: "`latest` moves with every push; tag releases with a version (app:1.4.2) and deploy by \
                     version or digest."
                .into(),
            evidence: tags
                .iter()
                .map(|t| Evidence {
                    layer: None,
                    path: None,
                    bytes: None,
                    note: (*t).to_owned(),
                })
                .collect(),
            bytes: 0,
        });
    }
    // Root.
    let user = image
        .parsed_config
        .config
        .as_ref()
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let user_name = user.split(':').next().unwrap_or("");
    if user_name.is_empty() || user_name == "root" || user_name == "0" {
        out.push(Hint {
            code: "root-user".into(),
            title: "Containers from this image run as root.".into(),
            advice:
                "Add a USER with a non-zero UID (USER 65534, or a user the image creates), so a \
                     compromised process is not root in the container."
                    .into(),
            evidence: vec![Evidence {
                layer: None,
                path: None,
                bytes: None,
                note: if user.is_empty() {
                    "config.User is empty".into()
                } else {
                    format!("config.User is {user}")
                },
            }],
            bytes: 0,
        });
    }
    // Consecutive RUN steps, each with its own layer (oldest first).
    let mut runs: Vec<Vec<&crate::history::HistoryRow>> = Vec::new();
    let mut current = Vec::new();
    for row in history.rows.iter().rev() {
        if !row.empty_layer && is_run(&row.created_by) {
            current.push(row);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    for group in runs.into_iter().filter(|g| g.len() >= 2) {
        out.push(Hint {
            code: "chainable-runs".into(),
            title: format!("{} consecutive RUN steps each made a layer.", group.len()),
            advice: "Chained into one RUN (with &&) they make one layer, and files one step deletes are then \
                     not shipped by an earlier one."
                .into(),
            evidence: group
                .iter()
                .map(|r| Evidence {
                    layer: r.layer.map(|l| l + 1),
                    path: None,
                    bytes: r.size,
                    note: crate::text::clip(
                        &r.created_by.split_whitespace().collect::<Vec<_>>().join(" "),
                        160,
                    ),
                })
                .collect(),
            bytes: 0,
        });
    }
    out
}

fn is_run(created_by: &str) -> bool {
    let c = created_by.trim_start();
    if c.contains("#(nop)") {
        return false;
    }
    c.starts_with("RUN ")
        || c.starts_with("/bin/sh -c ")
        || c.starts_with("|") // buildkit's RUN with build args: `|2 A=b /bin/sh -c …`
        || c.starts_with("/bin/bash -c ")
}

/// Findings from the files of every layer.
pub fn file_hints(tree: &ImageTree) -> Vec<Hint> {
    FileHints::new(tree).finish(tree)
}

/// [`file_hints`] found a piece at a time (a million paths took 277 ms in wasm, one task of
/// the page's): [`FileHints::work`] visits about `budget` paths of the tree it was made for
/// and says whether it is done; [`FileHints::finish`] visits the rest and says what it found.
/// It borrows nothing, so a host can keep it across tasks beside the tree.
#[derive(Debug)]
pub struct FileHints {
    /// How many paths the tree has: a different tree is not walked.
    paths: usize,
    caches: Vec<(&'static str, usize, u64, usize)>, // (what, layer, bytes, files)
    deleted: Vec<Evidence>,
    secrets: Vec<Evidence>,
    logs: Vec<Evidence>,
    artefacts: Vec<Evidence>,
    setuid: Vec<Evidence>,
    /// Depth first, each path its parent's and a name (building every path from the root up
    /// was most of the time for a million files): the path being visited, and the paths still
    /// to visit with the length of their parent's path.
    path: String,
    stack: Vec<(PathId, usize)>,
}

impl FileHints {
    /// A walk of `tree`, not started.
    pub fn new(tree: &ImageTree) -> FileHints {
        FileHints {
            paths: tree.paths.len(),
            caches: Vec::new(),
            deleted: Vec::new(),
            secrets: Vec::new(),
            logs: Vec::new(),
            artefacts: Vec::new(),
            setuid: Vec::new(),
            path: String::new(),
            stack: tree.children(PathId::ROOT).map(|c| (c, 0)).collect(),
        }
    }

    /// Visits about `budget` paths (at least one); true once every path is visited. Given
    /// another tree than its own, it visits nothing more.
    pub fn work(&mut self, tree: &ImageTree, budget: usize) -> bool {
        if tree.paths.len() != self.paths {
            self.stack.clear();
        }
        let mut visited = 0;
        while visited < budget.max(1) {
            let Some((id, parent_len)) = self.stack.pop() else {
                break;
            };
            visited += 1;
            self.path.truncate(parent_len);
            if parent_len > 0 {
                self.path.push('/');
            }
            self.path.push_str(tree.paths.name(id));
            let len = self.path.len();
            let path = self.path.as_str();
            self.stack.extend(tree.children(id).map(|c| (c, len)));
            let timeline = tree.timeline(id);
            if timeline.is_empty() {
                continue;
            }
            let last = timeline.len() - 1;
            for (i, e) in timeline.iter().enumerate() {
                let Some(entry) = tree.entry(e).filter(|x| x.kind == EntryKind::File) else {
                    continue;
                };
                let layer = e.layer as usize + 1;
                // Caches, in whichever layer they were written.
                if let Some((_, what)) = CACHES.iter().find(|(prefix, _)| path.starts_with(prefix))
                {
                    match self
                        .caches
                        .iter_mut()
                        .find(|c| c.0 == *what && c.1 == layer)
                    {
                        Some(c) => {
                            c.2 += entry.size;
                            c.3 += 1;
                        }
                        None => self.caches.push((what, layer, entry.size, 1)),
                    }
                }
                // Deleted by a later layer: shipped anyway.
                let deleted_in = timeline[i + 1..]
                    .iter()
                    .find(|later| later.change == Change::Deleted)
                    .map(|d| d.layer as usize + 1);
                let next_is_deletion = timeline
                    .get(i + 1)
                    .is_some_and(|n| n.change == Change::Deleted);
                if next_is_deletion && entry.size > 0 {
                    self.deleted.push(Evidence {
                        layer: Some(layer),
                        path: Some(path.to_owned()),
                        bytes: Some(entry.size),
                        note: format!(
                            "added in layer {layer}, deleted in layer {}",
                            deleted_in.unwrap_or(layer + 1)
                        ),
                    });
                }
                if entry.mode & 0o6000 != 0 {
                    let bits = match (entry.mode & 0o4000 != 0, entry.mode & 0o2000 != 0) {
                        (true, true) => "setuid and setgid",
                        (true, false) => "setuid",
                        _ => "setgid",
                    };
                    self.setuid.push(Evidence {
                        layer: Some(layer),
                        path: Some(path.to_owned()),
                        bytes: Some(entry.size),
                        note: match deleted_in {
                            Some(d) => format!(
                                "{bits} (mode {:04o}); deleted in layer {d}, but still in layer {layer}",
                                entry.mode
                            ),
                            None => {
                                let owner = tree.layers[e.layer as usize].owner(entry);
                                format!("{bits} (mode {:04o}), owner {}:{}", entry.mode, owner.uid, owner.gid)
                            }
                        },
                    });
                }
                if let Some(kind) = secret_kind(path) {
                    self.secrets.push(Evidence {
                        layer: Some(layer),
                        path: Some(path.to_owned()),
                        bytes: Some(entry.size),
                        note: match deleted_in {
                            Some(d) => {
                                format!("{kind}; deleted in layer {d}, but still in layer {layer}")
                            }
                            None => kind.to_owned(),
                        },
                    });
                }
                if i == last && entry.size > 0 {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    if name.ends_with(".log")
                        || (path.starts_with("var/log/") && !name.starts_with("lastlog"))
                    {
                        self.logs.push(Evidence {
                            layer: Some(layer),
                            path: Some(path.to_owned()),
                            bytes: Some(entry.size),
                            note: "a log file in the final filesystem".into(),
                        });
                    }
                    if entry.size >= HUGE_FILE
                        || (entry.size >= LARGE_ARTEFACT && artefact_like(path))
                    {
                        self.artefacts.push(Evidence {
                            layer: Some(layer),
                            path: Some(path.to_owned()),
                            bytes: Some(entry.size),
                            note: if artefact_like(path) {
                                "large, and named like a build artefact".into()
                            } else {
                                "over 100 MiB".into()
                            },
                        });
                    }
                }
            }
        }
        self.stack.is_empty()
    }

    /// What the walk found, the rest of the tree visited first.
    pub fn finish(mut self, tree: &ImageTree) -> Vec<Hint> {
        while !self.work(tree, usize::MAX) {}
        let FileHints {
            mut caches,
            deleted,
            secrets,
            logs,
            artefacts,
            setuid,
            ..
        } = self;
        let mut out = Vec::new();
        if !caches.is_empty() {
            caches.sort_by_key(|c| (std::cmp::Reverse(c.2), c.1, c.0));
            let bytes = caches.iter().map(|c| c.2).sum();
            out.push(Hint {
            code: "package-cache".into(),
            title: format!(
                "Package-manager caches are shipped in the image ({}).",
                crate::text::format_bytes(bytes)
            ),
            advice: "Clean them in the same RUN that fills them (apt-get … && rm -rf /var/lib/apt/lists/*, \
                     apk add --no-cache, pip install --no-cache-dir, npm ci && npm cache clean --force), or \
                     use a cache mount."
                .into(),
            evidence: caches
                .iter()
                .take(MAX_EVIDENCE)
                .map(|(what, layer, b, n)| Evidence {
                    layer: Some(*layer),
                    path: CACHES.iter().find(|c| c.1 == *what).map(|c| c.0.trim_end_matches('/').to_owned()),
                    bytes: Some(*b),
                    note: format!("{what}: {}", crate::text::count(*n, "file")),
                })
                .collect(),
            bytes,
        });
        }
        let mut push = |code: &str, title: String, advice: &str, mut ev: Vec<Evidence>| {
            ev.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
            let bytes = ev.iter().filter_map(|e| e.bytes).sum();
            ev.truncate(MAX_EVIDENCE);
            out.push(Hint {
                code: code.into(),
                title,
                advice: advice.into(),
                evidence: ev,
                bytes,
            });
        };
        if !deleted.is_empty() {
            let bytes: u64 = deleted.iter().filter_map(|e| e.bytes).sum();
            push(
                "deleted-later",
                format!(
                    "{} deleted by a later layer {} shipped anyway ({}).",
                    crate::text::count(deleted.len(), "file"),
                    if deleted.len() == 1 { "is" } else { "are" },
                    crate::text::format_bytes(bytes)
                ),
                "A deletion in a later layer hides a file but does not remove its bytes from the layer that added \
             it: delete in the same step that creates it, or use a multi-stage build.",
                deleted,
            );
        }
        if !secrets.is_empty() {
            push(
                "secret-file",
                format!(
                    "{} that usually hold secrets {} in the layers.",
                    crate::text::count(secrets.len(), "file"),
                    if secrets.len() == 1 { "is" } else { "are" }
                ),
                "Anyone who can pull the image can read every layer, deleted files included. Pass secrets at \
             run time, or with build secrets (RUN --mount=type=secret), and rotate any that shipped.",
                secrets,
            );
        }
        if !setuid.is_empty() {
            push(
                "setuid-files",
                format!(
                    "{} {} setuid or setgid: {} run with {} owner's privileges.",
                    crate::text::count(setuid.len(), "file"),
                    if setuid.len() == 1 { "is" } else { "are" },
                    if setuid.len() == 1 { "it" } else { "they" },
                    if setuid.len() == 1 { "its" } else { "their" },
                ),
                "A setuid or setgid program is a way up for anyone who can run code in the container: keep \
             only those the image needs (chmod u-s,g-s the others in the step that installs them), run \
             as a non-root user, and consider --security-opt no-new-privileges.",
                setuid,
            );
        }
        if !logs.is_empty() {
            push(
                "log-files",
                format!(
                    "{} in the image.",
                    crate::text::count(logs.len(), "log file")
                ),
                "Logs written while building are noise in the image: remove them in the step that writes them, \
             and have the app log to standard output.",
                logs,
            );
        }
        if !artefacts.is_empty() {
            push(
                "build-artefact",
                format!(
                    "{} that may be build artefact{}.",
                    crate::text::count(artefacts.len(), "large file"),
                    if artefacts.len() == 1 { "" } else { "s" }
                ),
                "Archives, objects and downloads needed only to build belong in a build stage: COPY --from the \
             result into the final image.",
                artefacts,
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised_by_name_but_public_certificates_are_not() {
        assert!(secret_kind("root/.ssh/id_rsa").is_some());
        assert!(secret_kind("srv/app/.env").is_some());
        assert!(secret_kind("srv/app/.env.production").is_some());
        assert!(secret_kind("srv/app/.env.example").is_none());
        assert!(secret_kind("root/.ssh/id_rsa.pub").is_none());
        assert!(secret_kind("srv/tls/server.key").is_some());
        assert!(secret_kind("etc/ssl/certs/ca-certificates.pem").is_none());
        assert!(secret_kind("usr/lib/python3/dist-packages/certifi/cacert.pem").is_none());
        assert!(secret_kind("root/.aws/credentials").is_some());
        assert!(secret_kind("srv/credentials").is_some());
        assert!(secret_kind("app/secret.txt").is_some());
        assert!(secret_kind("app/config/client_secret.json").is_some());
        assert!(secret_kind("app/credentials.yaml").is_some());
        assert!(secret_kind("usr/lib/python3.11/secrets.py").is_none());
        assert!(secret_kind("app/lib/secrets.py").is_none());
        assert!(secret_kind("usr/share/doc/secret-tool/copyright").is_none());
    }

    /// A layer of files (`path=size`, `path@mode=size`), by the tar crate, scanned.
    fn layer(files: &[&str]) -> crate::layer::LayerIndex {
        let mut b = tar::Builder::new(Vec::new());
        for spec in files {
            let (path, size) = spec.split_once('=').unwrap_or((spec, "1"));
            let (path, mode) = path.split_once('@').unwrap_or((path, "644"));
            let size: usize = size.parse().unwrap_or_else(|e| panic!("{e}"));
            let mut h = tar::Header::new_gnu();
            h.set_mode(u32::from_str_radix(mode, 8).unwrap_or_else(|e| panic!("{e}")));
            h.set_size(size as u64);
            h.set_cksum();
            b.append_data(&mut h, path, vec![b'x'; size].as_slice())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut s = crate::layer::LayerScanner::new(None, &crate::Limits::default());
        s.push(&b.into_inner().unwrap_or_else(|e| panic!("{e}")));
        s.finish().index
    }

    #[test]
    fn file_hints_found_a_piece_at_a_time_are_those_found_at_once() {
        let tree = ImageTree::build(vec![
            layer(&[
                "var/cache/apt/archives/a.deb=300",
                "root/.ssh/id_rsa=10",
                "usr/bin/su@4755=20",
                "tmp/build.tar.gz=5",
                "var/log/dpkg.log=7",
                "app/big.bin=2",
            ]),
            layer(&["root/.ssh/.wh.id_rsa=0", "var/cache/apt/archives/b.deb=30"]),
        ]);
        let whole = file_hints(&tree);
        let codes: Vec<&str> = whole.iter().map(|h| h.code.as_str()).collect();
        for code in [
            "package-cache",
            "deleted-later",
            "secret-file",
            "setuid-files",
            "log-files",
        ] {
            assert!(codes.contains(&code), "{code} in {codes:?}");
        }
        let json = |h: &[Hint]| serde_json::to_string(h).unwrap_or_else(|e| panic!("{e}"));
        for budget in [1, 2, 5, 1000] {
            let mut walk = FileHints::new(&tree);
            let mut calls = 1;
            while !walk.work(&tree, budget) {
                calls += 1;
                assert!(calls < 1000, "budget {budget}: the walk never ends");
            }
            if budget == 1 {
                assert!(calls >= tree.paths.len() - 1, "{calls} calls");
            }
            assert_eq!(json(&walk.finish(&tree)), json(&whole), "budget {budget}");
        }
        // Another tree than its own is not walked (and nothing panics).
        let other = ImageTree::build(vec![layer(&["a=1"])]);
        let mut walk = FileHints::new(&tree);
        assert!(walk.work(&other, 1));
        assert!(walk.finish(&other).is_empty());
    }

    #[test]
    fn run_steps_are_told_from_metadata_steps() {
        assert!(is_run("/bin/sh -c apt-get update"));
        assert!(is_run("RUN /bin/sh -c make # buildkit"));
        assert!(is_run("|1 VERSION=2 /bin/sh -c make"));
        assert!(!is_run("/bin/sh -c #(nop) COPY file:abc in / "));
        assert!(!is_run("COPY busybox rootfs /"));
        assert!(!is_run("ADD file:abc in /"));
    }

    #[test]
    fn artefacts_by_name_and_place() {
        assert!(artefact_like("srv/build.tar.gz"));
        assert!(artefact_like("tmp/anything"));
        assert!(artefact_like("app/core"));
        assert!(!artefact_like("usr/lib/libc.so.6"));
    }
}
