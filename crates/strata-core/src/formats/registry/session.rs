//! One repository of one registry, as a sans-I/O state machine: [`RegistrySession::request`]
//! builds the next request (every manifest media type in `Accept`, the current authorization),
//! [`RegistrySession::on_response`] reads the answer and says what to do next (done, get a
//! token, retry, follow a redirect without credentials, fail), and [`fetch`] drives it through
//! a host's transport.
//!
//! Besides manifests, blobs and tags, it asks for an image's referrers (OCI distribution 1.1,
//! `GET /v2/<name>/referrers/<digest>`, optionally `?artifactType=`): the supply chain view's
//! lookups ([`crate::supply_chain`]) are these requests, made only when that view asks.

use super::auth::{Challenge, Credentials, base64, parse_www_authenticate};
use super::http::{HttpRequest, HttpResponse, Transport, resolve_url, url_encode};
use super::reference::Reference;
use crate::digest::Digest;
use crate::error::Error;
use crate::model::media_type;
use serde::{Deserialize, Serialize};

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
    /// The manifests whose `subject` is `digest` (OCI distribution 1.1 Referrers API),
    /// answered as an image index; `artifact_type` asks the registry to filter (it says in
    /// `OCI-Filters-Applied` whether it did).
    Referrers {
        digest: Digest,
        artifact_type: Option<String>,
    },
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
            Fetch::Referrers {
                digest,
                artifact_type: None,
            } => format!("{}/v2/{name}/referrers/{digest}", self.base),
            Fetch::Referrers {
                digest,
                artifact_type: Some(t),
            } => format!(
                "{}/v2/{name}/referrers/{digest}?artifactType={}",
                self.base,
                url_encode(t)
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
            Fetch::Referrers { .. } => {
                headers.push(("Accept".to_owned(), media_type::OCI_INDEX.to_owned()));
            }
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
                    Fetch::Referrers { digest, .. } => format!(
                        "the referrers of {}/{}@{digest}",
                        self.reference.domain, self.reference.repository
                    ),
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

/// The registry's error JSON (`{"errors":[{"code":…,"message":…}]}`), or the body's start.
pub(super) fn registry_message(body: &[u8]) -> String {
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
