//! `strata serve`'s registry proxy, for registries that send no CORS headers (Docker Hub among
//! them): the page asks `/proxy/<scheme>/<host[:port]>/v2/…` and the proxy asks the registry.
//!
//! It is narrow on purpose, because anything that can reach this port could use it:
//! - GET and HEAD only, of `/v2/…` paths, or of a token endpoint that a registry named in a
//!   `WWW-Authenticate` challenge this proxy passed on;
//! - only public addresses: a target that is (or resolves to) a loopback, private, link-local,
//!   CGNAT, multicast or unspecified address is refused, unless the user started the server
//!   with `--allow-registry HOST[:PORT]` for it (a local registry is a legitimate target). The
//!   check is made again when connecting (a resolver that filters), so DNS rebinding between
//!   the check and the connection gains nothing;
//! - plain `http` only for `--allow-registry` hosts;
//! - redirects (blob storage) are followed here, each hop checked the same way, and the
//!   `Authorization` header is dropped when a hop leaves the registry's host;
//! - requests must name this server in `Host` (no DNS rebinding of the proxy itself) and must
//!   not come from another site (`Sec-Fetch-Site`);
//! - only `Accept`, `Authorization` and `Range` are forwarded (never cookies); only the
//!   headers the protocol needs come back, and the registry's challenge comes back as
//!   [`CHALLENGE_HEADER`], not `WWW-Authenticate`: a same-origin 401 with a `Basic` challenge
//!   would make the browser open its own login prompt (and a synchronous request in a worker
//!   would wait on it forever);
//! - bodies are streamed, never buffered; timeouts on connecting and on every read; at most
//!   [`MAX_ACTIVE`] requests at once;
//! - the log line has the method, status and path, never the query (token requests carry the
//!   account name there) or any header.

use std::collections::VecDeque;
use std::io::{Cursor, Read};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata_core::registry::{Challenge, parse_www_authenticate, resolve_url};
use tiny_http::{Header, Method, Request, Response};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Proxied requests in flight at once; more get 503 and `Retry-After`.
pub const MAX_ACTIVE: usize = 16;
/// Redirect hops followed for one request.
const MAX_HOPS: usize = 5;
/// Token endpoints remembered from challenges.
const MAX_REALMS: usize = 64;

/// The header the registry's `WWW-Authenticate` challenge comes back under.
pub const CHALLENGE_HEADER: &str = "X-Strata-WWW-Authenticate";

/// Response headers passed back to the page.
const PASSED_BACK: &[&str] = &[
    "Content-Type",
    "Content-Range",
    "Accept-Ranges",
    "Docker-Content-Digest",
    "Docker-Distribution-Api-Version",
    "WWW-Authenticate",
    "Link",
    "ETag",
    "Cache-Control",
];

/// Request headers passed on to the registry.
const PASSED_ON: &[&str] = &["Accept", "Authorization", "Range"];

/// How long the proxy waits, and how much it passes on.
#[derive(Debug, Clone, Copy)]
pub struct ProxyLimits {
    /// For the registry to connect and to start answering; also between two reads of a body.
    pub timeout: Duration,
    /// The most bytes one answer may carry (a layer blob, at most).
    pub max_body: u64,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        ProxyLimits {
            timeout: Duration::from_secs(30),
            max_body: 64 << 30,
        }
    }
}

/// A body that ends with an error past `left` bytes: the page gets a cut answer (and a
/// digest mismatch), never an endless stream.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One more byte would be over: stop the stream here.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(
                    "the registry's answer is over the proxy's size cap",
                )),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Which targets may be private: `--allow-registry` entries.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// (lowercase host, port or any)
    allowed: Vec<(String, Option<u16>)>,
}

impl Policy {
    /// Parses `--allow-registry HOST[:PORT]` values.
    pub fn new(allowed: &[String]) -> anyhow::Result<Policy> {
        let mut out = Vec::new();
        for a in allowed {
            let (host, port) = split_authority(a).ok_or_else(|| {
                anyhow::anyhow!("--allow-registry {a}: expected HOST or HOST:PORT")
            })?;
            out.push((host, port));
        }
        Ok(Policy { allowed: out })
    }

    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed
            .iter()
            .any(|(h, p)| *h == host && p.is_none_or(|p| p == port))
    }

    /// Why connecting to `addrs` (what `host` resolved to) is refused, if it is.
    pub fn refuse(&self, host: &str, port: u16, addrs: &[SocketAddr]) -> Option<String> {
        if self.allows(host, port) {
            return None;
        }
        let bad = addrs.iter().find(|a| !is_public(a.ip()))?;
        Some(format!(
            "{host} is (or resolves to) {}, a loopback, private or link-local address; \
             start strata serve with --allow-registry {host}:{port} to reach a registry there",
            bad.ip()
        ))
    }
}

/// Whether an address is on the public internet (what a registry on the internet is).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // CGNAT, 100.64.0.0/10
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || first == 0x64 // NAT64 well-known prefix 64:ff9b::/96 maps to IPv4
                || first & 0xffc0 == 0xfec0 // deprecated site-local
                || (first == 0x2001 && v6.segments()[1] == 0xdb8)) // documentation
        }
    }
}

/// `host[:port]` → (lowercase host, port). Hosts are DNS names or IP literals (`[v6]`); no
/// user info, no path, nothing else.
pub fn split_authority(a: &str) -> Option<(String, Option<u16>)> {
    if a.is_empty() || a.len() > 255 {
        return None;
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        h.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse::<u16>().ok()?),
        };
        (format!("[{h}]"), port)
    } else {
        let (h, port) = match a.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().ok()?)),
            None => (a, None),
        };
        if h.is_empty()
            || !h
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return None;
        }
        (h.to_owned(), port)
    };
    Some((host.to_ascii_lowercase(), port))
}

/// A resolver that refuses what [`Policy`] refuses, at connection time.
#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<Policy>,
    inner: DefaultResolver,
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let host = uri.host().unwrap_or("");
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("http") {
                80
            } else {
                443
            });
        let list: Vec<SocketAddr> = addrs.iter().copied().collect();
        match self.policy.refuse(host, port, &list) {
            None => Ok(addrs),
            Some(why) => Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                why,
            ))),
        }
    }
}

/// A target the page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// From the first `/`, query included.
    pub path_and_query: String,
}

impl Target {
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme,
            self.authority(),
            self.path_and_query
        )
    }

    fn authority(&self) -> String {
        let default = if self.scheme == "http" { 80 } else { 443 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn path(&self) -> &str {
        self.path_and_query
            .split('?')
            .next()
            .unwrap_or(&self.path_and_query)
    }

    /// A registry API request.
    fn is_api(&self) -> bool {
        let p = self.path();
        p == "/v2" || p.starts_with("/v2/")
    }

    /// The (scheme, host, port, path) a token endpoint is remembered by.
    fn realm_key(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority(), self.path())
    }

    /// Parses an absolute `http(s)://` URL (a redirect's `Location`, a challenge's realm).
    pub fn from_url(url: &str) -> Option<Target> {
        let (scheme, rest) = url.split_once("://")?;
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = split_authority(authority)?;
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        Some(Target {
            scheme: scheme.to_owned(),
            port: port.unwrap_or(if scheme == "http" { 80 } else { 443 }),
            host,
            path_and_query: path,
        })
    }
}

/// Parses `/proxy/<scheme>/<host[:port]>/<path>?<query>`; the path must have no dot segments,
/// encoded slashes, backslashes or control characters, and the query no spaces or controls.
pub fn parse_proxy_url(url: &str) -> Result<Target, &'static str> {
    let rest = url.strip_prefix("/proxy/").ok_or("not a proxy path")?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let mut parts = path.splitn(3, '/');
    let scheme = parts.next().unwrap_or("");
    if scheme != "https" && scheme != "http" {
        return Err("the scheme must be https or http");
    }
    let (host, port) = split_authority(parts.next().unwrap_or("")).ok_or("a bad host")?;
    let tail = parts.next().ok_or("no path")?;
    // `/v2/` (the API check) ends in a slash; no other empty segment is allowed.
    crate::serve::safe_path(&format!("/{}", tail.strip_suffix('/').unwrap_or(tail)))?;
    if let Some(q) = query
        && q.bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'#')
    {
        return Err("a bad query string");
    }
    let path_and_query = match query {
        Some(q) => format!("/{tail}?{q}"),
        None => format!("/{tail}"),
    };
    Ok(Target {
        port: port.unwrap_or(if scheme == "http" { 80 } else { 443 }),
        scheme: scheme.to_owned(),
        host,
        path_and_query,
    })
}

/// The proxy's state: the HTTP client, the policy, the token endpoints seen.
pub struct Proxy {
    agent: ureq::Agent,
    limits: ProxyLimits,
    policy: Arc<Policy>,
    realms: Mutex<VecDeque<String>>,
    active: AtomicUsize,
    /// Host names this server answers to (`127.0.0.1:8080`, `localhost:8080`, …).
    hosts: Vec<String>,
}

/// What the proxy answers, before it is sent.
pub enum Answer {
    /// A refusal or an error: status and a sentence.
    Refused(u16, String),
    /// The registry's answer, streamed.
    Forwarded {
        status: u16,
        headers: Vec<(String, String)>,
        length: Option<usize>,
        body: Box<dyn Read + Send>,
    },
}

impl Proxy {
    pub fn new(policy: Policy, bound: SocketAddr, limits: ProxyLimits) -> Proxy {
        let policy = Arc::new(policy);
        let config = ureq::Agent::config_builder()
            .max_redirects(0) // followed here, hop by hop, each one checked
            .http_status_as_error(false)
            .proxy(None) // never through an environment proxy: the checks are on the target
            .max_response_header_size(64 << 10)
            .timeout_connect(Some(limits.timeout))
            .timeout_recv_response(Some(limits.timeout))
            .timeout_per_read(Some(limits.timeout))
            .user_agent("strata-serve-proxy")
            .build();
        let resolver = GuardedResolver {
            policy: Arc::clone(&policy),
            inner: DefaultResolver::default(),
        };
        let agent = ureq::Agent::with_parts(config, DefaultConnector::default(), resolver);
        let port = bound.port();
        let mut hosts = vec![
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
            bound.to_string(),
        ];
        if port == 80 {
            hosts.extend(["localhost".into(), "127.0.0.1".into()]);
        }
        Proxy {
            agent,
            limits,
            policy,
            realms: Mutex::new(VecDeque::new()),
            active: AtomicUsize::new(0),
            hosts,
        }
    }

    /// Answers a `/proxy…` request and returns its status, for the log.
    pub fn handle(&self, request: Request) -> u16 {
        let answer = self.answer(&request);
        let security = crate::serve::security_headers();
        let (status, response) = match answer {
            Answer::Refused(status, why) => {
                let body = format!("strata serve proxy: {why}\n").into_bytes();
                let mut r = Response::from_data(body).with_status_code(status);
                for (k, v) in security {
                    add_header(&mut r, k, &v);
                }
                add_header(&mut r, "Content-Type", "text/plain; charset=utf-8");
                if status == 503 {
                    add_header(&mut r, "Retry-After", "1");
                }
                if status == 405 {
                    add_header(&mut r, "Allow", "GET, HEAD");
                }
                if let Err(e) = request.respond(r) {
                    eprintln!("strata serve: proxy: cannot answer: {}", e.kind());
                }
                return status;
            }
            Answer::Forwarded {
                status,
                headers,
                length,
                body,
            } => {
                let mut r = Response::new(status.into(), Vec::new(), body, length, None);
                for (k, v) in security {
                    add_header(&mut r, k, &v);
                }
                for (k, v) in &headers {
                    add_header(&mut r, k, v);
                }
                (status, r)
            }
        };
        if let Err(e) = request.respond(response) {
            eprintln!("strata serve: proxy: the page went away: {}", e.kind());
        }
        status
    }

    fn answer(&self, request: &Request) -> Answer {
        let url = request.url();
        if url == "/proxy" || url == "/proxy/" {
            // How the page learns that a proxy is here.
            return Answer::Forwarded {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                length: None,
                body: Box::new(Cursor::new(b"{\"proxy\":\"strata serve\"}\n".to_vec())),
            };
        }
        let method = request.method();
        if !matches!(method, Method::Get | Method::Head) {
            return Answer::Refused(405, "only GET and HEAD are proxied".into());
        }
        let host = header(request, "Host").unwrap_or("").to_ascii_lowercase();
        if !self.hosts.contains(&host) {
            return Answer::Refused(
                403,
                "the Host header does not name this server (open Strata at the address strata serve printed)".into(),
            );
        }
        if let Some(site) = header(request, "Sec-Fetch-Site")
            && site != "same-origin"
            && site != "none"
        {
            return Answer::Refused(403, "requests from other sites are not proxied".into());
        }
        let target = match parse_proxy_url(url) {
            Ok(t) => t,
            Err(why) => return Answer::Refused(400, format!("bad proxy path: {why}")),
        };
        if !target.is_api() && !self.is_realm(&target) {
            return Answer::Refused(
                403,
                "only registry API paths (/v2/…) and the token endpoints registries name are proxied".into(),
            );
        }
        if let Some(why) = self.check(&target) {
            return Answer::Refused(403, why);
        }
        if self.active.fetch_add(1, Ordering::SeqCst) >= MAX_ACTIVE {
            self.active.fetch_sub(1, Ordering::SeqCst);
            return Answer::Refused(503, "too many proxied requests at once; retry".into());
        }
        let answer = self.forward(request, &target, *method == Method::Head);
        self.active.fetch_sub(1, Ordering::SeqCst);
        answer
    }

    fn is_realm(&self, target: &Target) -> bool {
        let key = target.realm_key();
        self.realms
            .lock()
            .map(|r| r.contains(&key))
            .unwrap_or(false)
    }

    /// Refuses plain HTTP to hosts the user did not allow, and private addresses.
    fn check(&self, target: &Target) -> Option<String> {
        if target.scheme == "http" && !self.policy.allows(&target.host, target.port) {
            return Some(format!(
                "plain http is proxied only to hosts given with --allow-registry (not {})",
                target.authority()
            ));
        }
        let bare = target.host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match (bare, target.port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(_) => return Some(format!("{} cannot be resolved", target.host)),
        };
        if addrs.is_empty() {
            return Some(format!("{} cannot be resolved", target.host));
        }
        self.policy.refuse(&target.host, target.port, &addrs)
    }

    fn remember_realms(&self, registry: &Target, header: &str) {
        let Ok(challenges) = parse_www_authenticate(header) else {
            return;
        };
        for c in challenges {
            if let Challenge::Bearer { realm, .. } = c
                && let Some(t) = Target::from_url(&realm)
                && (t.scheme == "https" || self.policy.allows(&t.host, t.port))
            {
                let key = t.realm_key();
                if let Ok(mut realms) = self.realms.lock()
                    && !realms.contains(&key)
                {
                    if realms.len() >= MAX_REALMS {
                        realms.pop_front();
                    }
                    realms.push_back(key);
                }
            }
        }
        let _ = registry;
    }

    fn forward(&self, request: &Request, first: &Target, head: bool) -> Answer {
        let mut target = first.clone();
        let mut send_auth = true;
        for _hop in 0..=MAX_HOPS {
            let url = target.url();
            let mut builder = if head {
                self.agent.head(&url)
            } else {
                self.agent.get(&url)
            };
            for name in PASSED_ON {
                if *name == "Authorization" && !send_auth {
                    continue;
                }
                if let Some(v) = header(request, name) {
                    builder = builder.header(*name, v);
                }
            }
            let response = match builder.call() {
                Ok(r) => r,
                Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Answer::Refused(403, e.to_string());
                }
                Err(e) => {
                    return Answer::Refused(
                        502,
                        format!("{} did not answer: {}", target.authority(), error_kind(&e)),
                    );
                }
            };
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) && first.is_api() {
                let Some(location) = response
                    .headers()
                    .get("Location")
                    .and_then(|v| v.to_str().ok())
                else {
                    return Answer::Refused(502, "a redirect without a Location".into());
                };
                let Some(next) = Target::from_url(&resolve_url(&url, location)) else {
                    return Answer::Refused(502, "a redirect to a URL that is not http(s)".into());
                };
                if let Some(why) = self.check(&next) {
                    return Answer::Refused(
                        403,
                        format!("{} redirected elsewhere, refused: {why}", first.authority()),
                    );
                }
                // Credentials are for the registry, not for its blob storage.
                send_auth = send_auth && next.host == target.host && next.port == target.port;
                target = next;
                continue;
            }
            let mut headers = Vec::new();
            for name in PASSED_BACK {
                for v in response.headers().get_all(*name) {
                    if let Ok(v) = v.to_str() {
                        if *name == "WWW-Authenticate" {
                            self.remember_realms(&target, v);
                            headers.push((CHALLENGE_HEADER.to_owned(), v.to_owned()));
                        } else {
                            headers.push(((*name).to_owned(), v.to_owned()));
                        }
                    }
                }
            }
            let length = response
                .headers()
                .get("Content-Length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|l| l as u64 > self.limits.max_body) {
                return Answer::Refused(
                    502,
                    format!(
                        "{} answered with {} bytes, over the proxy's cap of {}",
                        target.authority(),
                        length.unwrap_or(0),
                        self.limits.max_body
                    ),
                );
            }
            let body: Box<dyn Read + Send> = if head {
                Box::new(std::io::empty())
            } else {
                Box::new(Capped {
                    inner: response.into_body().into_reader(),
                    left: self.limits.max_body,
                })
            };
            return Answer::Forwarded {
                status,
                headers,
                length,
                body,
            };
        }
        Answer::Refused(502, format!("more than {MAX_HOPS} redirects"))
    }
}

/// A failure in a few words, without URLs (they may carry tokens).
fn error_kind(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Io(io) => format!("{:?}", io.kind()),
        ureq::Error::Tls(t) => format!("TLS: {t}"),
        ureq::Error::Rustls(_) => "TLS failed".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        _ => "protocol error".into(),
    }
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn add_header<R: Read>(r: &mut Response<R>, name: &str, value: &str) {
    if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        r.add_header(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_paths() {
        let t =
            parse_proxy_url("/proxy/https/registry-1.docker.io/v2/library/nginx/manifests/1.27")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.url(),
            "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"
        );
        assert!(t.is_api());
        let t = parse_proxy_url("/proxy/http/127.0.0.1:5000/v2/a/tags/list?n=10&last=x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.url(), "http://127.0.0.1:5000/v2/a/tags/list?n=10&last=x");
        let t = parse_proxy_url("/proxy/https/[::1]:5000/v2/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.host.as_str(), t.port), ("[::1]", 5000));
        for bad in [
            "/proxy/ftp/host/v2/",
            "/proxy/https/user@host/v2/",
            "/proxy/https/host:99999/v2/",
            "/proxy/https/host/v2/../../etc/passwd",
            "/proxy/https/host/v2/%2e%2e/x",
            "/proxy/https/host/v2/a%2fb",
            "/proxy/https/ho st/v2/",
            "/proxy/https/host",
            "/proxy/https/host/v2/x?a b",
        ] {
            assert!(parse_proxy_url(bad).is_err(), "{bad} should be refused");
        }
        assert!(
            !parse_proxy_url("/proxy/https/host/etc/passwd")
                .map(|t| t.is_api())
                .unwrap_or(true)
        );
    }

    #[test]
    fn private_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(
                !is_public(a.parse().unwrap_or_else(|e| panic!("{a}: {e}"))),
                "{a}"
            );
        }
        for a in ["8.8.8.8", "104.18.1.1", "2606:4700::1111"] {
            assert!(
                is_public(a.parse().unwrap_or_else(|e| panic!("{a}: {e}"))),
                "{a}"
            );
        }
    }

    #[test]
    fn the_allow_list_matches_host_and_port() {
        let p = Policy::new(&["127.0.0.1:5000".into(), "registry.lan".into()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.allows("127.0.0.1", 5000));
        assert!(!p.allows("127.0.0.1", 5001));
        assert!(p.allows("Registry.LAN", 443));
        let local: Vec<SocketAddr> =
            vec!["127.0.0.1:5001".parse().unwrap_or_else(|e| panic!("{e}"))];
        assert!(p.refuse("127.0.0.1", 5001, &local).is_some());
        assert!(p.refuse("127.0.0.1", 5000, &local).is_none());
        assert!(Policy::new(&["http://x".into()]).is_err());
    }
}
