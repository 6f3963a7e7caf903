//! The Registry v2 / OCI distribution protocol, sans I/O: this module builds requests and
//! reads responses; hosts send them (the CLI with a blocking client, the app's workers with
//! `fetch` or XHR, the tests with recorded answers). No clock: hosts pass `now` (seconds).
//!
//! - [`Reference`]: `nginx` is `docker.io/library/nginx:latest`, at `registry-1.docker.io`.
//! - [`RegistrySession`]: one repository: manifest, blob and tag requests with every manifest
//!   media type in `Accept`, the `WWW-Authenticate` challenge (Bearer realm/service/scope, or
//!   Basic), anonymous and credentialed tokens, redirects, `Docker-Content-Digest` checks.
//! - [`VirtualBlobs`]: an image's layer blobs seen as one address space, so a host that reads
//!   ranges of blobs (HTTP `Range`) gives the engine a [`crate::ReadAt`] like an archive's.

use crate::digest::Digest;
use crate::error::Error;
use crate::model::media_type;
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

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        error: Option<String>,
    },
    Basic {
        realm: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or
/// `Basic realm="…"` (RFC 7235: quoted strings with escapes, several challenges in one header).
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, Error> {
    let bad = |why: &str| Error::Invalid {
        what: "the registry's WWW-Authenticate header".into(),
        detail: why.to_owned(),
    };
    if header.len() > 8192 {
        return Err(bad("it is over 8 KiB"));
    }
    let b = header.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && !b" \t,=\"".contains(&b[*i]) {
            *i += 1;
        }
        String::from_utf8_lossy(&b[start..*i]).into_owned()
    };
    skip_ws(&mut i);
    while i < b.len() {
        let scheme = token(&mut i);
        if scheme.is_empty() {
            return Err(bad("a challenge has no scheme"));
        }
        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            skip_ws(&mut i);
            let save = i;
            let key = token(&mut i);
            if key.is_empty() || i >= b.len() || b[i] != b'=' {
                i = save; // the next challenge's scheme
                break;
            }
            i += 1;
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = Vec::new();
                loop {
                    match b.get(i) {
                        None => return Err(bad("a quoted value is not closed")),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            if let Some(&c) = b.get(i + 1) {
                                v.push(c);
                            }
                            i += 2;
                        }
                        Some(&c) => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                String::from_utf8_lossy(&v).into_owned()
            } else {
                token(&mut i)
            };
            params.push((key.to_ascii_lowercase(), value));
        }
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => out.push(Challenge::Bearer {
                realm: get("realm").ok_or_else(|| bad("a Bearer challenge has no realm"))?,
                service: get("service"),
                scope: get("scope"),
                error: get("error"),
            }),
            "basic" => out.push(Challenge::Basic {
                realm: get("realm"),
            }),
            _ => {} // other schemes: ignored
        }
        skip_ws(&mut i);
    }
    if out.is_empty() {
        return Err(bad("it offers neither Bearer nor Basic authentication"));
    }
    Ok(out)
}

/// A user name and password (or token), held in memory only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in a debug log.
        write!(f, "Credentials({}, ***)", self.username)
    }
}

/// An HTTP request for the host to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response the host received (the body may be empty for HEAD or streamed blobs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to fetch from a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fetch {
    /// A manifest or index by tag or digest.
    Manifest(String),
    /// A blob by digest, optionally a byte range of it.
    Blob {
        digest: Digest,
        range: Option<(u64, u64)>,
    },
    /// A page of the tag list (`last`: the tag to continue after).
    Tags { last: Option<String> },
}

/// What the host should do after a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The response is the answer.
    Done,
    /// Get a token: send this request, give its answer to
    /// [`RegistrySession::on_token_response`], then ask [`RegistrySession::request`] again.
    Token(HttpRequest),
    /// Ask [`RegistrySession::request`] again (credentials changed the authorization).
    Retry,
    /// Follow a redirect: send this (no `Authorization`: blob storage is another host).
    Redirect(HttpRequest),
    Fail(Error),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Auth {
    None,
    Basic,
    Bearer { token: String, expires_at: u64 },
}

/// One repository of one registry.
#[derive(Debug, Clone)]
pub struct RegistrySession {
    pub reference: Reference,
    /// `https://registry-1.docker.io`, `http://127.0.0.1:5000`, or a proxy's prefix.
    pub base: String,
    credentials: Option<Credentials>,
    auth: Auth,
    /// Authentication attempts for the current request, so a registry that refuses every
    /// token cannot loop the host forever.
    attempts: u8,
}

/// Every manifest and index media type: without the OCI ones a registry answers 404 for OCI
/// manifests, without the list types it picks a platform itself.
pub fn accept_header() -> String {
    media_type::ALL_MANIFESTS.join(", ")
}

impl RegistrySession {
    /// `base`: how to reach the registry (`https://host`, `http://host` for `--insecure`, or a
    /// proxy prefix that forwards to it).
    pub fn new(reference: Reference, base: String, credentials: Option<Credentials>) -> Self {
        RegistrySession {
            reference,
            base: base.trim_end_matches('/').to_owned(),
            credentials,
            auth: Auth::None,
            attempts: 0,
        }
    }

    /// `https://{api host}` (or `http://` when insecure).
    pub fn default_base(reference: &Reference, insecure: bool) -> String {
        format!(
            "{}://{}",
            if insecure { "http" } else { "https" },
            reference.api_host()
        )
    }

    fn registry(&self) -> String {
        self.reference.domain.clone()
    }

    /// The `Authorization` header value in force, if any (hosts hand it to pool workers).
    pub fn authorization(&self) -> Option<String> {
        match (&self.auth, &self.credentials) {
            (Auth::Bearer { token, .. }, _) => Some(format!("Bearer {token}")),
            (Auth::Basic, Some(c)) => Some(format!(
                "Basic {}",
                base64(&format!("{}:{}", c.username, c.password))
            )),
            _ => None,
        }
    }

    /// Uses a token another session obtained (a worker given the page's token).
    pub fn set_bearer(&mut self, token: String, expires_at: u64) {
        self.auth = Auth::Bearer { token, expires_at };
    }

    /// The token in force and when it expires, to share with workers.
    pub fn bearer(&self) -> Option<(String, u64)> {
        match &self.auth {
            Auth::Bearer { token, expires_at } => Some((token.clone(), *expires_at)),
            _ => None,
        }
    }

    pub fn url(&self, fetch: &Fetch) -> String {
        let name = &self.reference.repository;
        match fetch {
            Fetch::Manifest(r) => format!("{}/v2/{name}/manifests/{r}", self.base),
            Fetch::Blob { digest, .. } => format!("{}/v2/{name}/blobs/{digest}", self.base),
            Fetch::Tags { last: None } => format!("{}/v2/{name}/tags/list?n=1000", self.base),
            Fetch::Tags { last: Some(l) } => format!(
                "{}/v2/{name}/tags/list?n=1000&last={}",
                self.base,
                url_encode(l)
            ),
        }
    }

    /// The request for `fetch`, with the authorization in force (an expired token is dropped:
    /// the registry will challenge again).
    pub fn request(&mut self, fetch: &Fetch, now: u64) -> HttpRequest {
        if let Auth::Bearer { expires_at, .. } = self.auth
            && now >= expires_at
        {
            self.auth = Auth::None;
        }
        let mut headers = Vec::new();
        match fetch {
            Fetch::Manifest(_) => headers.push(("Accept".to_owned(), accept_header())),
            Fetch::Blob {
                range: Some((from, to)),
                ..
            } => headers.push(("Range".to_owned(), format!("bytes={from}-{to}"))),
            _ => {}
        }
        if let Some(a) = self.authorization() {
            headers.push(("Authorization".to_owned(), a));
        }
        HttpRequest {
            method: "GET".into(),
            url: self.url(fetch),
            headers,
        }
    }

    /// Reads a response to [`RegistrySession::request`]: done, authenticate, follow, or fail
    /// with an error naming the registry and the reference.
    pub fn on_response(&mut self, fetch: &Fetch, response: &HttpResponse) -> Step {
        match response.status {
            200 | 206 => {
                self.attempts = 0;
                if let Fetch::Manifest(r) = fetch
                    && let Err(e) = self.check_manifest_digest(r, response)
                {
                    return Step::Fail(e);
                }
                Step::Done
            }
            301 | 302 | 303 | 307 | 308 => match response.header("Location") {
                Some(location) => {
                    let url = resolve_url(&self.url(fetch), location);
                    let mut headers = Vec::new();
                    if let Fetch::Blob {
                        range: Some((a, b)),
                        ..
                    } = fetch
                    {
                        headers.push(("Range".to_owned(), format!("bytes={a}-{b}")));
                    }
                    Step::Redirect(HttpRequest {
                        method: "GET".into(),
                        url,
                        headers,
                    })
                }
                None => Step::Fail(self.error(response, "a redirect without a Location")),
            },
            401 => {
                self.attempts += 1;
                if self.attempts > 2 {
                    return Step::Fail(Error::RegistryAuth {
                        registry: self.registry(),
                        detail: match self.credentials {
                            Some(_) => "the registry refused the credentials given".into(),
                            None => "the registry wants credentials (give a user name and password or token)".into(),
                        },
                    });
                }
                let Some(header) = response.header("WWW-Authenticate") else {
                    return Step::Fail(Error::RegistryAuth {
                        registry: self.registry(),
                        detail: "401 without a WWW-Authenticate challenge".into(),
                    });
                };
                let challenges = match parse_www_authenticate(header) {
                    Ok(c) => c,
                    Err(e) => return Step::Fail(e),
                };
                match challenges.into_iter().next() {
                    Some(Challenge::Basic { .. }) => {
                        if self.credentials.is_none() || self.auth == Auth::Basic {
                            return Step::Fail(Error::RegistryAuth {
                                registry: self.registry(),
                                detail: if self.credentials.is_none() {
                                    "the registry wants a user name and password".into()
                                } else {
                                    "the registry refused the user name and password".into()
                                },
                            });
                        }
                        self.auth = Auth::Basic;
                        Step::Retry
                    }
                    Some(Challenge::Bearer {
                        realm,
                        service,
                        scope,
                        ..
                    }) => {
                        let scope = scope.unwrap_or_else(|| {
                            format!("repository:{}:pull", self.reference.repository)
                        });
                        let mut url = realm.clone();
                        let mut sep = if url.contains('?') { '&' } else { '?' };
                        if let Some(s) = &service {
                            url.push_str(&format!("{sep}service={}", url_encode(s)));
                            sep = '&';
                        }
                        url.push_str(&format!("{sep}scope={}", url_encode(&scope)));
                        let mut headers = Vec::new();
                        if let Some(c) = &self.credentials {
                            headers.push((
                                "Authorization".to_owned(),
                                format!(
                                    "Basic {}",
                                    base64(&format!("{}:{}", c.username, c.password))
                                ),
                            ));
                        }
                        Step::Token(HttpRequest {
                            method: "GET".into(),
                            url,
                            headers,
                        })
                    }
                    None => Step::Fail(Error::RegistryAuth {
                        registry: self.registry(),
                        detail: "no usable challenge".into(),
                    }),
                }
            }
            403 => Step::Fail(Error::RegistryAuth {
                registry: self.registry(),
                detail: format!("access denied: {}", registry_message(&response.body)),
            }),
            404 => Step::Fail(Error::RegistryNotFound {
                reference: match fetch {
                    Fetch::Manifest(r) => format!(
                        "{}/{}:{r}",
                        self.reference.domain, self.reference.repository
                    )
                    .replace(":sha256:", "@sha256:"),
                    Fetch::Blob { digest, .. } => format!(
                        "blob {digest} of {}/{}",
                        self.reference.domain, self.reference.repository
                    ),
                    Fetch::Tags { .. } => {
                        format!("{}/{}", self.reference.domain, self.reference.repository)
                    }
                },
                detail: registry_message(&response.body),
            }),
            429 => Step::Fail(self.error(
                response,
                "too many requests: the registry rate-limits this address",
            )),
            _ => Step::Fail(self.error(response, &registry_message(&response.body))),
        }
    }

    fn error(&self, response: &HttpResponse, detail: &str) -> Error {
        Error::Registry {
            registry: self.registry(),
            status: response.status,
            detail: crate::text::clip(detail, 300),
        }
    }

    /// Reads the token endpoint's answer (`token` or `access_token`, `expires_in`).
    pub fn on_token_response(&mut self, response: &HttpResponse, now: u64) -> Result<(), Error> {
        if response.status == 401 || response.status == 403 {
            return Err(Error::RegistryAuth {
                registry: self.registry(),
                detail: match self.credentials {
                    Some(_) => "the token service refused the credentials given".into(),
                    None => format!(
                        "the token service refused an anonymous token: {}",
                        registry_message(&response.body)
                    ),
                },
            });
        }
        if response.status != 200 {
            return Err(self.error(
                response,
                &format!(
                    "the token service answered: {}",
                    registry_message(&response.body)
                ),
            ));
        }
        #[derive(Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let answer: TokenAnswer = serde_json::from_slice(&response.body)
            .map_err(|e| self.error(response, &format!("the token answer is not JSON: {e}")))?;
        let token = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.error(response, "the token answer has no token"))?;
        // Refresh a little early; tokens without an expiry last 60 s (distribution's default).
        let lifetime = answer.expires_in.unwrap_or(60).max(10);
        self.auth = Auth::Bearer {
            token,
            expires_at: now + lifetime - 5,
        };
        Ok(())
    }

    /// A manifest's digest must be what was asked for (by digest) and what the registry says
    /// (`Docker-Content-Digest`).
    fn check_manifest_digest(&self, asked: &str, response: &HttpResponse) -> Result<(), Error> {
        let actual = Digest::sha256_of(&response.body);
        if let Ok(want) = Digest::parse(asked)
            && want.is_verifiable()
            && want != actual
        {
            return Err(Error::Registry {
                registry: self.registry(),
                status: response.status,
                detail: format!("asked for manifest {want}, received bytes that hash to {actual}"),
            });
        }
        if let Some(header) = response.header("Docker-Content-Digest")
            && let Ok(said) = Digest::parse(header.trim())
            && said.is_verifiable()
            && said != actual
        {
            return Err(Error::Registry {
                registry: self.registry(),
                status: response.status,
                detail: format!(
                    "the Docker-Content-Digest header says {said}, the manifest hashes to {actual}"
                ),
            });
        }
        Ok(())
    }
}

/// Sends one request and returns the response: the host's transport (a blocking client in the
/// CLI, synchronous XHR in a worker, recorded answers in tests). Network failures are
/// [`Error::Network`].
pub type Transport<'a> = dyn FnMut(&HttpRequest) -> Result<HttpResponse, Error> + 'a;

/// Fetches one thing, through challenges, tokens and redirects.
pub fn fetch(
    session: &mut RegistrySession,
    what: &Fetch,
    now: u64,
    send: &mut Transport<'_>,
) -> Result<HttpResponse, Error> {
    let mut request = session.request(what, now);
    for _ in 0..8 {
        let response = send(&request)?;
        match session.on_response(what, &response) {
            Step::Done => return Ok(response),
            Step::Retry => request = session.request(what, now),
            Step::Token(token_request) => {
                let answer = send(&token_request)?;
                session.on_token_response(&answer, now)?;
                request = session.request(what, now);
            }
            Step::Redirect(r) => request = r,
            Step::Fail(e) => return Err(e),
        }
    }
    Err(Error::Registry {
        registry: session.reference.domain.clone(),
        status: 0,
        detail: "too many redirects or challenges".into(),
    })
}

/// Every tag of the repository, following `Link` pages (at most 100 pages).
pub fn list_tags(
    session: &mut RegistrySession,
    now: u64,
    send: &mut Transport<'_>,
) -> Result<Vec<String>, Error> {
    let mut all = Vec::new();
    let mut last = None;
    for _ in 0..100 {
        let response = fetch(session, &Fetch::Tags { last: last.clone() }, now, send)?;
        let (tags, next) = parse_tags(&response)?;
        all.extend(tags);
        match next {
            Some(n) if Some(&n) != last.as_ref() => last = Some(n),
            _ => break,
        }
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// What a reference points at, fetched: an image, or an index to choose from.
#[derive(Debug, Clone)]
pub struct Opened {
    pub image: crate::image::Image,
    /// The layer blobs as one address space for [`crate::ReadAt`].
    pub blobs: VirtualBlobs,
}

/// Opens an image from a registry: the manifest (through the index when there is one, picking a
/// platform as for archives), then the config. Fetches no layer blob.
pub fn open_image(
    session: &mut RegistrySession,
    pick: &crate::image::ManifestPick,
    limits: &crate::limits::Limits,
    now: u64,
    send: &mut Transport<'_>,
) -> Result<Opened, Error> {
    use crate::image::{Parts, assemble, parse_manifest};
    use crate::model::{Document, MediaKind, RawJson, classify_media_type, parse_document};
    let target = session.reference.target();
    let top = fetch(session, &Fetch::Manifest(target.clone()), now, send)?;
    check_size(&top.body, limits, "the manifest")?;
    let content_type = top
        .header("Content-Type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let repo = format!(
        "{}/{}",
        session.reference.domain, session.reference.repository
    );
    let mut diagnostics = Vec::new();
    let mut index = None;
    let mut choices = Vec::new();
    let mut chosen = None;
    let (manifest_bytes, manifest_desc) =
        match parse_document(&target, &top.body, &content_type, limits)? {
            Document::Index(idx) => {
                let leaves: Vec<(crate::model::Descriptor, bool)> =
                    idx.manifests.iter().map(|d| (d.clone(), true)).collect();
                choices = crate::archive::group_attestations(leaves);
                let i = crate::image::pick_choice(&choices, pick)?;
                chosen = Some(i);
                let desc = choices[i].descriptor.clone();
                if classify_media_type(&desc.media_type) == MediaKind::Index {
                    return Err(Error::BadManifest {
                        path: target,
                        detail: "an index inside an index: open that index's digest directly"
                            .into(),
                    });
                }
                index = Some(RawJson::new(
                    format!("{repo}@{}", Digest::sha256_of(&top.body)),
                    top.body.clone(),
                ));
                let d = desc.digest().map_err(|e| Error::BadManifest {
                    path: target.clone(),
                    detail: e,
                })?;
                let m = fetch(session, &Fetch::Manifest(d.to_string()), now, send)?;
                check_size(&m.body, limits, "the manifest")?;
                (m.body, desc)
            }
            _ => {
                let desc = crate::model::Descriptor {
                    media_type: content_type.clone(),
                    digest: Digest::sha256_of(&top.body).to_string(),
                    size: top.body.len() as i64,
                    ..Default::default()
                };
                (top.body, desc)
            }
        };
    let manifest_digest = Digest::sha256_of(&manifest_bytes);
    let path = format!("{repo}@{manifest_digest}");
    let manifest = parse_manifest(
        &path,
        &manifest_bytes,
        &manifest_desc,
        limits,
        &mut diagnostics,
    )?;
    let config_digest = manifest.config.digest().map_err(|e| Error::BadManifest {
        path: path.clone(),
        detail: format!("config: {e}"),
    })?;
    let config = fetch(
        session,
        &Fetch::Blob {
            digest: config_digest.clone(),
            range: None,
        },
        now,
        send,
    )?;
    check_size(&config.body, limits, "the config")?;
    if config_digest.is_verifiable() && Digest::sha256_of(&config.body) != config_digest {
        diagnostics.push(crate::diagnostic::Diagnostic::error(
            "digest-mismatch",
            "config",
            format!(
                "the manifest names the config {config_digest}, but its bytes hash to {}",
                Digest::sha256_of(&config.body)
            ),
        ));
    }
    let layers: Vec<(Digest, u64)> = manifest
        .layers
        .iter()
        .filter_map(|d| Some((d.digest().ok()?, d.size()?)))
        .collect();
    let blobs = VirtualBlobs::new(&layers);
    let tag = session
        .reference
        .tag
        .as_ref()
        .map(|t| format!("{repo}:{t}"));
    let parts = Parts {
        format: crate::archive::ArchiveFormat::Registry,
        repo_tags: tag.into_iter().collect(),
        index,
        choices,
        chosen,
        manifest_media_type: manifest_desc.media_type.clone(),
        manifest: RawJson::new(path, manifest_bytes),
        config: RawJson::new(format!("{repo}@{config_digest}"), config.body),
        diagnostics,
    };
    let mut image = assemble(parts, &manifest, limits, &|d: &Digest| {
        let loc = blobs
            .blobs
            .iter()
            .find(|(x, _, _)| x == d)
            .map(|(_, at, len)| crate::image::BlobLocation {
                offset: *at,
                len: *len,
            });
        (d.to_string(), loc)
    })?;
    // Compression from the media type: reading a blob's first bytes would be a blob request.
    for layer in &mut image.layers {
        layer.compression = layer
            .media_type
            .as_deref()
            .and_then(crate::image::Compression::from_media_type)
            .or(Some(crate::image::Compression::Gzip));
    }
    Ok(Opened { image, blobs })
}

fn check_size(body: &[u8], limits: &crate::limits::Limits, what: &str) -> Result<(), Error> {
    if body.len() as u64 > limits.max_json_bytes {
        return Err(limits.exceeded("max_json_bytes", format!("{what} is {} bytes", body.len())));
    }
    Ok(())
}

/// Tags from a tag-list page, and the `last` to ask for the next page (from `Link`).
pub fn parse_tags(response: &HttpResponse) -> Result<(Vec<String>, Option<String>), Error> {
    #[derive(Deserialize)]
    struct TagList {
        tags: Option<Vec<String>>,
    }
    let list: TagList = serde_json::from_slice(&response.body).map_err(|e| Error::Invalid {
        what: "the registry's tag list".into(),
        detail: e.to_string(),
    })?;
    let mut tags = list.tags.unwrap_or_default();
    tags.sort();
    let next = response.header("Link").and_then(next_link).and_then(|url| {
        url.split(['?', '&'])
            .find_map(|p| p.strip_prefix("last="))
            .map(url_decode)
    });
    Ok((tags, next))
}

/// `<url>; rel="next"` → url.
pub fn next_link(link: &str) -> Option<String> {
    for part in link.split(',') {
        let (url, params) = part.split_once(';')?;
        if params.contains("rel=\"next\"") || params.contains("rel=next") {
            return Some(
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned(),
            );
        }
    }
    None
}

/// The registry's error JSON (`{"errors":[{"code":…,"message":…}]}`), or the body's start.
fn registry_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        code: Option<String>,
        message: Option<String>,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        let parts: Vec<String> = e
            .errors
            .iter()
            .map(|i| {
                format!(
                    "{}{}",
                    i.code.as_deref().unwrap_or(""),
                    i.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if !parts.is_empty() {
            return crate::text::clip(&parts.join("; "), 300);
        }
    }
    crate::text::clip(
        String::from_utf8_lossy(&body[..body.len().min(300)]).trim(),
        200,
    )
}

/// A `Location` relative to the URL it answered (absolute, scheme-relative `//host/…`,
/// absolute-path or relative).
pub fn resolve_url(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let origin_end = base.find("://").map_or(0, |i| i + 3);
    if location.starts_with("//") {
        return format!("{}{location}", &base[..origin_end.saturating_sub(2)]);
    }
    let host_end = base[origin_end..]
        .find('/')
        .map_or(base.len(), |i| origin_end + i);
    if location.starts_with('/') {
        format!("{}{location}", &base[..host_end])
    } else {
        let dir_end = base.rfind('/').unwrap_or(base.len());
        format!("{}/{location}", &base[..dir_end])
    }
}

pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or(""), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding (for `Authorization: Basic`).
pub fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// An image's layer blobs laid end to end, so that reading "the archive" at an offset means
/// reading a range of one blob. The host implements [`crate::ReadAt`] with [`VirtualBlobs::locate`]
/// and HTTP `Range` requests; the engine then scans layers and reads files as from an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualBlobs {
    /// (digest, offset of its first byte, size), in layer order.
    pub blobs: Vec<(Digest, u64, u64)>,
}

impl VirtualBlobs {
    pub fn new(layers: &[(Digest, u64)]) -> VirtualBlobs {
        let mut at = 0u64;
        let blobs = layers
            .iter()
            .map(|(d, size)| {
                let start = at;
                at = at.saturating_add(*size);
                (d.clone(), start, *size)
            })
            .collect();
        VirtualBlobs { blobs }
    }

    pub fn len(&self) -> u64 {
        self.blobs.last().map_or(0, |(_, start, size)| start + size)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Which blob holds `offset`, the offset within it, and the bytes left in that blob.
    pub fn locate(&self, offset: u64) -> Option<(&Digest, u64, u64)> {
        let i = self
            .blobs
            .partition_point(|(_, start, _)| *start <= offset)
            .checked_sub(1)?;
        let (d, start, size) = &self.blobs[i];
        (offset < start + size).then(|| (d, offset - start, start + size - offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_references_say_when_to_use_plain_http() {
        let t = |s: &str| {
            let (r, http) = parse_user_reference(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            (r.canonical(), http)
        };
        assert_eq!(t("nginx"), ("docker.io/library/nginx:latest".into(), false));
        assert_eq!(
            t(" docker://alpine:3.20 "),
            ("docker.io/library/alpine:3.20".into(), false)
        );
        assert_eq!(t("localhost:5000/a:1"), ("localhost:5000/a:1".into(), true));
        assert_eq!(t("127.0.0.1:5000/a:1"), ("127.0.0.1:5000/a:1".into(), true));
        assert_eq!(
            t("http://registry.lan:5000/a:1"),
            ("registry.lan:5000/a:1".into(), true)
        );
        assert_eq!(t("https://ghcr.io/o/a:1"), ("ghcr.io/o/a:1".into(), false));
        assert!(parse_user_reference("http://").is_err());
    }

    #[test]
    fn references_normalise_like_docker() {
        let check = |s: &str, canonical: &str, host: &str| {
            let r = Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(r.canonical(), canonical, "{s}");
            assert_eq!(r.api_host(), host, "{s}");
        };
        check(
            "nginx",
            "docker.io/library/nginx:latest",
            "registry-1.docker.io",
        );
        check(
            "nginx:1.27",
            "docker.io/library/nginx:1.27",
            "registry-1.docker.io",
        );
        check(
            "user/app",
            "docker.io/user/app:latest",
            "registry-1.docker.io",
        );
        check(
            "index.docker.io/library/alpine:3.20",
            "docker.io/library/alpine:3.20",
            "registry-1.docker.io",
        );
        check(
            "localhost:5000/a/b:tag",
            "localhost:5000/a/b:tag",
            "localhost:5000",
        );
        check("localhost/app", "localhost/app:latest", "localhost");
        check(
            "127.0.0.1:5000/app:v1.2-rc_3",
            "127.0.0.1:5000/app:v1.2-rc_3",
            "127.0.0.1:5000",
        );
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        check(
            &format!("ghcr.io/org/app@{d}"),
            &format!("ghcr.io/org/app@{d}"),
            "ghcr.io",
        );
        check(
            &format!("ghcr.io/org/app:1@{d}"),
            &format!("ghcr.io/org/app:1@{d}"),
            "ghcr.io",
        );
        assert_eq!(
            Reference::parse("nginx:1.27").unwrap().familiar(),
            "nginx:1.27"
        );
        for bad in [
            "",
            "UPPER/case",
            "a//b",
            "app:",
            "app:-tag",
            "app@sha256:123",
            "-lead",
            "trail-",
            "a b",
            "ex ample.com/x",
            "x:y:z",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn www_authenticate_parses() {
        let c = parse_www_authenticate(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#).unwrap();
        assert_eq!(
            c,
            vec![Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
                error: None
            }]
        );
        let c =
            parse_www_authenticate(r#"Basic realm="Registry \"Realm\"", Bearer realm=x"#).unwrap();
        assert_eq!(
            c[0],
            Challenge::Basic {
                realm: Some("Registry \"Realm\"".into())
            }
        );
        assert_eq!(
            c[1],
            Challenge::Bearer {
                realm: "x".into(),
                service: None,
                scope: None,
                error: None
            }
        );
        assert!(parse_www_authenticate("Bearer service=x").is_err());
        assert!(parse_www_authenticate("Negotiate abc").is_err());
        assert!(parse_www_authenticate(r#"Bearer realm="unclosed"#).is_err());
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            body: body.to_vec(),
        }
    }

    /// The anonymous token flow, as Docker Hub answers (recorded).
    #[test]
    fn anonymous_bearer_flow() {
        let r = Reference::parse("nginx:1.27").unwrap();
        let mut s = RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
        let fetch = Fetch::Manifest("1.27".into());
        let req = s.request(&fetch, 1000);
        assert_eq!(
            req.url,
            "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"
        );
        let accept = req.header("Accept").unwrap();
        for mt in media_type::ALL_MANIFESTS {
            assert!(accept.contains(mt), "{mt}");
        }
        assert_eq!(req.header("Authorization"), None);
        let challenge = resp(
            401,
            &[(
                "www-authenticate",
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
            )],
            br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
        );
        let Step::Token(t) = s.on_response(&fetch, &challenge) else {
            panic!()
        };
        assert_eq!(
            t.url,
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull"
        );
        assert_eq!(t.header("Authorization"), None);
        s.on_token_response(
            &resp(200, &[], br#"{"token":"abc","expires_in":300}"#),
            1000,
        )
        .unwrap();
        let req = s.request(&fetch, 1001);
        assert_eq!(req.header("Authorization"), Some("Bearer abc"));
        let body = br#"{"schemaVersion":2}"#;
        let digest = Digest::sha256_of(body).to_string();
        assert_eq!(
            s.on_response(
                &fetch,
                &resp(200, &[("Docker-Content-Digest", &digest)], body)
            ),
            Step::Done
        );
        // A lying Docker-Content-Digest is refused.
        let lie = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        assert!(matches!(
            s.on_response(&fetch, &resp(200, &[("Docker-Content-Digest", lie)], body)),
            Step::Fail(_)
        ));
        // Expired tokens are dropped.
        assert_eq!(s.request(&fetch, 2000).header("Authorization"), None);
    }

    #[test]
    fn basic_auth_and_wrong_credentials() {
        let r = Reference::parse("127.0.0.1:5001/private/app:1").unwrap();
        let creds = Credentials {
            username: "alice".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{creds:?}").contains("s3cret"));
        let mut s = RegistrySession::new(
            r.clone(),
            RegistrySession::default_base(&r, true),
            Some(creds),
        );
        let fetch = Fetch::Manifest("1".into());
        assert_eq!(
            s.request(&fetch, 0).url,
            "http://127.0.0.1:5001/v2/private/app/manifests/1"
        );
        let challenge = resp(
            401,
            &[("WWW-Authenticate", r#"Basic realm="Registry Realm""#)],
            b"",
        );
        assert_eq!(s.on_response(&fetch, &challenge), Step::Retry);
        assert_eq!(
            s.request(&fetch, 0).header("Authorization"),
            Some("Basic YWxpY2U6czNjcmV0")
        );
        let Step::Fail(e) = s.on_response(&fetch, &challenge) else {
            panic!()
        };
        assert!(
            e.to_string()
                .contains("authentication failed for 127.0.0.1:5001"),
            "{e}"
        );
        // Without credentials, it says what is missing.
        let mut anon =
            RegistrySession::new(r.clone(), RegistrySession::default_base(&r, true), None);
        let Step::Fail(e) = anon.on_response(&fetch, &challenge) else {
            panic!()
        };
        assert!(
            e.to_string().contains("wants a user name and password"),
            "{e}"
        );
    }

    #[test]
    fn not_found_redirects_and_tags() {
        let r = Reference::parse("localhost:5000/app:nope").unwrap();
        let mut s = RegistrySession::new(r.clone(), "http://localhost:5000".into(), None);
        let fetch = Fetch::Manifest("nope".into());
        let Step::Fail(e) = s.on_response(
            &fetch,
            &resp(
                404,
                &[],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        ) else {
            panic!()
        };
        assert_eq!(e.kind(), "registry-not-found");
        assert!(
            e.to_string().contains("localhost:5000/app:nope")
                && e.to_string().contains("MANIFEST_UNKNOWN"),
            "{e}"
        );
        let d = Digest::sha256_of(b"x");
        let blob = Fetch::Blob {
            digest: d.clone(),
            range: Some((0, 99)),
        };
        let Step::Redirect(req) = s.on_response(
            &blob,
            &resp(307, &[("Location", "https://storage.example/b?sig=1")], b""),
        ) else {
            panic!()
        };
        assert_eq!(req.url, "https://storage.example/b?sig=1");
        assert_eq!(req.header("Range"), Some("bytes=0-99"));
        assert_eq!(
            req.header("Authorization"),
            None,
            "credentials never follow a redirect"
        );
        let (tags, next) = parse_tags(&resp(
            200,
            &[("Link", r#"</v2/app/tags/list?last=b%2Bc&n=2>; rel="next""#)],
            br#"{"name":"app","tags":["z","a"]}"#,
        ))
        .unwrap();
        assert_eq!(tags, ["a", "z"]);
        assert_eq!(next.as_deref(), Some("b+c"));
        assert_eq!(
            s.url(&Fetch::Tags { last: next }),
            "http://localhost:5000/v2/app/tags/list?n=1000&last=b%2Bc"
        );
    }

    /// A whole open, answered by recorded responses: anonymous token, an index with two
    /// platforms and an attestation, the amd64 manifest, the config. No layer blob is asked for.
    #[test]
    fn opens_an_image_through_an_index_without_fetching_layers() {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"history":[{"created_by":"x"}]}"#;
        let layer = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{layer}","size":1000}}]}}"#,
            media_type::OCI_MANIFEST,
            media_type::OCI_CONFIG,
            Digest::sha256_of(config),
            config.len(),
            media_type::OCI_LAYER_GZIP
        );
        let md = Digest::sha256_of(manifest.as_bytes());
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{md}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{}","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":5,"platform":{{"architecture":"arm64","os":"linux"}}}},{{"mediaType":"{}","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":5,"platform":{{"architecture":"unknown","os":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"{md}"}}}}]}}"#,
            media_type::OCI_INDEX,
            media_type::OCI_MANIFEST,
            manifest.len(),
            media_type::OCI_MANIFEST,
            media_type::OCI_MANIFEST
        );
        let asked = std::cell::RefCell::new(Vec::new());
        let mut send = |r: &HttpRequest| -> Result<HttpResponse, Error> {
            asked.borrow_mut().push(r.url.clone());
            let authed = r.header("Authorization") == Some("Bearer t0k");
            Ok(match r.url.as_str() {
                u if u.starts_with("https://auth.example/token") => {
                    resp(200, &[], br#"{"token":"t0k"}"#)
                }
                _ if !authed => resp(
                    401,
                    &[(
                        "WWW-Authenticate",
                        r#"Bearer realm="https://auth.example/token",service="reg""#,
                    )],
                    b"",
                ),
                u if u.ends_with("/manifests/1.0") => resp(
                    200,
                    &[("Content-Type", media_type::OCI_INDEX)],
                    index.as_bytes(),
                ),
                u if u.ends_with(&format!("/manifests/{md}")) => resp(
                    200,
                    &[("Content-Type", media_type::OCI_MANIFEST)],
                    manifest.as_bytes(),
                ),
                u if u.ends_with(&format!("/blobs/{}", Digest::sha256_of(config))) => {
                    resp(200, &[], config)
                }
                _ => resp(404, &[], b""),
            })
        };
        let r = Reference::parse("reg.example/team/app:1.0").unwrap();
        let mut session =
            RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
        let opened = open_image(
            &mut session,
            &crate::image::ManifestPick::Default,
            &crate::limits::Limits::default(),
            0,
            &mut send,
        )
        .unwrap();
        let image = opened.image;
        assert_eq!(image.manifest.digest, md);
        assert_eq!(image.platform.spec(), "linux/amd64");
        assert_eq!(image.choices.len(), 2, "the attestation is not a platform");
        assert_eq!(image.choices[0].attestations.len(), 1);
        assert_eq!(image.repo_tags, ["reg.example/team/app:1.0"]);
        assert_eq!(
            image.layers[0].location,
            Some(crate::image::BlobLocation {
                offset: 0,
                len: 1000
            })
        );
        assert_eq!(opened.blobs.len(), 1000);
        assert!(
            !asked.borrow().iter().any(|u| u.contains(layer)),
            "no layer blob was fetched: {asked:?}"
        );
        // The arm64 manifest is not in this recording: picking it fails with a clear error.
        let mut session =
            RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
        let err = open_image(
            &mut session,
            &crate::image::ManifestPick::Platform("linux/arm64".into()),
            &crate::limits::Limits::default(),
            0,
            &mut send,
        )
        .unwrap_err();
        assert_eq!(err.kind(), "registry-not-found");
    }

    #[test]
    fn virtual_blobs_locate_offsets() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let v = VirtualBlobs::new(&[(a.clone(), 10), (b.clone(), 5)]);
        assert_eq!(v.len(), 15);
        assert_eq!(v.locate(0), Some((&a, 0, 10)));
        assert_eq!(v.locate(9), Some((&a, 9, 1)));
        assert_eq!(v.locate(10), Some((&b, 0, 5)));
        assert_eq!(v.locate(15), None);
    }
}
