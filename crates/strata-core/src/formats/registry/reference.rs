//! Image references as people type them and as docker normalises them: `nginx` is
//! `docker.io/library/nginx:latest`, served by `registry-1.docker.io`; what a link carries for a
//! registry image (the reference pinned to the digest it resolved to).

use crate::digest::Digest;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// A parsed image reference, normalised as docker does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `localhost:5000`.
    pub domain: String,
    /// `library/nginx`, `org/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

const DOCKER_HUB: &str = "docker.io";

fn bad_ref(s: &str, why: &str) -> Error {
    Error::Invalid {
        what: format!("the image reference `{}`", crate::text::clip(s, 120)),
        detail: why.to_owned(),
    }
}

impl Reference {
    /// Parses `[domain/]path[:tag][@digest]` with docker's rules: the first component is a
    /// registry when it has a `.` or a `:` or is `localhost`; Docker Hub names get `library/`
    /// when they have one component; the tag defaults to `latest` without a digest.
    pub fn parse(s: &str) -> Result<Reference, Error> {
        let s = s.trim();
        if s.is_empty() || s.len() > 512 {
            return Err(bad_ref(s, "it must be 1 to 512 characters"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d).map_err(|e| bad_ref(s, &e))?)),
            None => (s, None),
        };
        // A tag is after the last `:` that follows the last `/` (a port's `:` comes before it).
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_owned())),
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return Err(bad_ref(
                    s,
                    "a tag is letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`",
                ));
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let domain = if domain == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            domain
        };
        if domain
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        {
            return Err(bad_ref(
                s,
                "the registry host has characters a host name cannot have",
            ));
        }
        let path = if domain == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        for component in path.split('/') {
            let ok = !component.is_empty()
                && component
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && component
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && component
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(bad_ref(
                    s,
                    "repository names are lowercase letters, digits and separators (`.`, `_`, `-`) between them",
                ));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        Ok(Reference {
            domain,
            repository: path,
            tag,
            digest,
        })
    }

    /// The host the API answers on: `registry-1.docker.io` for Docker Hub.
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.domain
        }
    }

    /// What to ask the manifest endpoint for: the digest if there is one, else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// `docker.io/library/nginx:1.27` (with `@digest` when there is one).
    pub fn canonical(&self) -> String {
        let mut s = format!("{}/{}", self.domain, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d.as_str());
        }
        s
    }

    /// The same image pinned to a manifest digest: what a shared link carries.
    pub fn pinned(&self, digest: &Digest) -> Reference {
        Reference {
            digest: Some(digest.clone()),
            ..self.clone()
        }
    }

    /// `nginx:1.27`, as `docker images` names it.
    pub fn familiar(&self) -> String {
        crate::archive::short_name(&self.canonical())
    }
}

/// What a person types: `nginx:1.27`, `docker://nginx:1.27`, `https://ghcr.io/org/app:1`, or
/// `http://registry.lan:5000/app:1` for a registry that speaks plain HTTP. Returns the reference
/// and whether to use plain HTTP: when asked for, and for registries on this machine
/// (`localhost`, `127.x`, `[::1]`), which is what docker and skopeo assume too.
pub fn parse_user_reference(s: &str) -> Result<(Reference, bool), Error> {
    let s = s.trim();
    let (rest, http) = if let Some(r) = s.strip_prefix("http://") {
        (r, true)
    } else if let Some(r) = s.strip_prefix("https://") {
        (r, false)
    } else {
        (s.strip_prefix("docker://").unwrap_or(s), false)
    };
    let reference = Reference::parse(rest)?;
    let host = reference.domain.split(':').next().unwrap_or("");
    let local =
        host == "localhost" || host.starts_with("127.") || reference.domain.starts_with("[::1]");
    Ok((reference, http || local))
}

/// What a shared link carries for a registry image: the reference as typed, pinned to what it
/// resolved to (the index, or the manifest) so the link opens this image after the tag moves,
/// keeping an explicit `http://`. `None` when `typed` is not a reference.
pub fn pin_user_reference(typed: &str, image: &crate::image::Image) -> Option<String> {
    let (reference, _) = parse_user_reference(typed).ok()?;
    let top = image
        .index
        .as_ref()
        .map_or(&image.manifest.digest, |i| &i.digest);
    let pinned = reference.pinned(top).canonical();
    Some(if typed.trim_start().starts_with("http://") {
        format!("http://{pinned}")
    } else {
        pinned
    })
}
