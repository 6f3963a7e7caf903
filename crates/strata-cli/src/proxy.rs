//! `strata serve`'s registry proxy, for registries that send no CORS headers (Docker Hub among
//! them): the page asks `/proxy/<scheme>/<host[:port]>/v2/…` and the proxy asks the registry.
//!
//! It is narrow on purpose, because anything that can reach this port could use it:
//! - GET and HEAD only, of the distribution API's paths ([`api_endpoint`]: `/v2/`,
//!   `/v2/<name>/manifests/<reference>`, `/v2/<name>/blobs/<digest>`, `/v2/<name>/tags/list`,
//!   `/v2/<name>/referrers/<digest>`), or of a token endpoint that a registry named in a
//!   `WWW-Authenticate` challenge this proxy passed on. No segment may hold `..`, `;`, a
//!   backslash or any percent-escape (so no `%2e`, `%2f`, `%5c` and no double encoding);
//! - only public addresses ([`is_public`]): a target that is (or resolves to) an address in any
//!   IANA special-purpose range — loopback, private, link-local, CGNAT, benchmarking,
//!   documentation, reserved, multicast, and every IPv6 form that embeds one of them
//!   (IPv4-compatible, -mapped, -translated, 6to4, Teredo, NAT64) — is refused, unless the user
//!   started the server with `--allow-registry HOST[:PORT]` for it (a local registry is a
//!   legitimate target). The check is made when connecting (the connector resolves, checks and
//!   connects to the checked addresses), so DNS rebinding gains nothing; and the proxy never
//!   connects to its own listening address, nor answers a request that already went through it;
//! - plain `http` only for `--allow-registry` hosts;
//! - redirects are followed here, each hop checked the same way: from a blob request to a blob
//!   store's path (any host the policy allows, segments checked), from any other request only
//!   to the same kind of API path; `Authorization` goes only to the same origin's API paths;
//! - token endpoints are remembered only when the realm is public `https`, on the challenging
//!   registry's own origin, or on an allowed host named by an allowed registry;
//! - only `Accept`, `Authorization` and `Range` are forwarded (never cookies); only the
//!   headers the protocol needs come back, never the upstream's framing (`Content-Length`,
//!   `Transfer-Encoding`, `Connection`…): an answer with both a length and a transfer coding,
//!   or any other doubtful framing, is refused. The registry's challenge comes back as
//!   [`CHALLENGE_HEADER`], not `WWW-Authenticate`: a same-origin 401 with a `Basic` challenge
//!   would make the browser open its own login prompt;
//! - the content type is the proxy's choice ([`content_type`]): registry media types and JSON
//!   where the protocol has them, `application/octet-stream` otherwise, blobs as attachments,
//!   and every answer carries a `sandbox` Content-Security-Policy: a registry can never make
//!   the app's origin render a page or run a script;
//! - bodies stream with bounded memory; timeouts on connecting, on the answer and between two
//!   reads of a body; at most [`ProxyLimits::max_active`] answers at once, bodies counted until
//!   they end (past it, after [`QUEUE_WAIT`], 503).
//!
//! The request and response plumbing is [`crate::http`]'s; the server calls [`Proxy::handle`].

use crate::http::{self, BoxError, Response, SANDBOX_POLICY, set};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::collections::VecDeque;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use strata_core::registry::{Challenge, parse_www_authenticate, resolve_url};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Redirect hops followed for one request.
const MAX_HOPS: usize = 5;
/// Token endpoints remembered from challenges.
const MAX_REALMS: usize = 64;
/// Largest token answer passed on (a JWT is a few KiB).
const MAX_TOKEN_BODY: u64 = 1 << 20;
/// Largest response head accepted from a registry.
const MAX_UPSTREAM_HEAD: usize = 64 << 10;
/// How long a request waits for one of the [`ProxyLimits::max_active`] places before a 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// The header the registry's `WWW-Authenticate` challenge comes back under.
pub const CHALLENGE_HEADER: &str = "x-strata-www-authenticate";

/// Response headers passed back to the page (its content type is chosen, not passed).
const PASSED_BACK: &[&str] = &[
    "content-range",
    "accept-ranges",
    "docker-content-digest",
    "docker-distribution-api-version",
    "link",
    "etag",
    "cache-control",
    // The Referrers API says which artifactType filter it applied (OCI distribution 1.1).
    "oci-filters-applied",
];

/// Request headers passed on to the registry.
const PASSED_ON: &[&str] = &["accept", "authorization", "range"];

/// Query keys of a token request (the distribution spec's token flow).
const TOKEN_KEYS: &[&str] = &["service", "scope", "account", "client_id", "offline_token"];

/// How long the proxy waits, how much it passes on, how many answers at once.
#[derive(Debug, Clone, Copy)]
pub struct ProxyLimits {
    /// For the registry to connect and to start answering; also between two reads of a body.
    pub timeout: Duration,
    /// The most bytes one answer may carry (a layer blob, at most).
    pub max_body: u64,
    /// Proxied answers in flight at once, each counted until its body ends.
    pub max_active: usize,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        ProxyLimits {
            timeout: Duration::from_secs(30),
            max_body: 64 << 30,
            max_active: 32,
        }
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

    /// The allowed hosts and ports, as parsed.
    pub fn allowed(&self) -> &[(String, Option<u16>)] {
        &self.allowed
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
            "{host} is (or resolves to) {}, an address of this machine, a private network or \
             another special-purpose range; start strata serve with --allow-registry {host}:{port} \
             to reach a registry there",
            bad.ip()
        ))
    }
}

/// The IPv4 address an IPv6 address stands for, where it embeds one that routing or a
/// translator would reach: IPv4-compatible (`::a.b.c.d`), IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:AABB:CCDD::`),
/// ISATAP interface identifiers (`…:5efe:a.b.c.d`). Teredo embeds two, see [`teredo_ipv4s`].
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::/96 (compatible; `::` and `::1` are handled as themselves by the caller)
        [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        // ::ffff:0:0/96 (mapped)
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // ::ffff:0:0:0/96 (translated, SIIT)
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(low),
        // 64:ff9b::/96 (NAT64 well-known prefix)
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 2002::/16 (6to4): the IPv4 address follows the prefix
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        // ISATAP: interface identifier 0000:5efe or 0200:5efe, then the IPv4 address
        [_, _, _, _, 0 | 0x200, 0x5efe, _, _] => Some(low),
        _ => None,
    }
}

/// Teredo (`2001:0::/32`): the server's IPv4 address, and the client's (stored inverted).
pub fn teredo_ipv4s(v6: Ipv6Addr) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let s = v6.segments();
    if s[0] != 0x2001 || s[1] != 0 {
        return None;
    }
    let server = Ipv4Addr::new((s[2] >> 8) as u8, s[2] as u8, (s[3] >> 8) as u8, s[3] as u8);
    let client = Ipv4Addr::new(
        !(s[6] >> 8) as u8,
        !s[6] as u8,
        !(s[7] >> 8) as u8,
        !s[7] as u8,
    );
    Some((server, client))
}

/// Whether an address is on the public internet (what a registry on the internet is): not in
/// any range of IANA's IPv4 and IPv6 special-purpose address registries, not multicast, and for
/// an IPv6 address that embeds an IPv4 one, judged by the IPv4 inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    let special = a == 0 // "this network", 0.0.0.0/8
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), 100.64.0.0/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 192 && b == 0 && c == 2) // documentation, TEST-NET-1
        || (a == 192 && b == 31 && c == 196) // AS112-v4
        || (a == 192 && b == 52 && c == 193) // AMT
        || (a == 192 && b == 88 && c == 99) // deprecated 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 192 && b == 175 && c == 48) // direct delegation AS112 service
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || (a == 198 && b == 51 && c == 100) // documentation, TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // documentation, TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !special
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    if v6.is_unspecified() || v6.is_loopback() {
        return false;
    }
    if let Some((server, client)) = teredo_ipv4s(v6) {
        return is_public_v4(server) && is_public_v4(client);
    }
    if let Some(v4) = embedded_ipv4(v6) {
        // 6to4 and ISATAP addresses sit in global prefixes: judge the IPv4 inside and the
        // prefix both (an ISATAP identifier under a ULA prefix is still a ULA).
        let prefix_ok = match s[0] {
            0 | 0x64 | 0x2002 => true,
            _ => is_public_v6_prefix(s),
        };
        return prefix_ok && is_public_v4(v4);
    }
    is_public_v6_prefix(s)
}

/// The IPv6 special-purpose ranges, for an address that embeds no IPv4 one.
fn is_public_v6_prefix(s: [u16; 8]) -> bool {
    // Only global unicast, 2000::/3, can be public at all. Outside it: ::/8 (with the discard
    // prefix 100::/64 and the dummy prefix 100:0:0:1::/64), NAT64 local-use 64:ff9b:1::/48,
    // SRv6 SIDs 5f00::/16, ULA fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast
    // ff00::/8.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    let special = (s[0] == 0x2001 && (s[1] < 0x200 || s[1] == 0xdb8)) // IETF protocol assignments 2001::/23; documentation 2001:db8::/32
        || (s[0] == 0x2620 && s[1] == 0x4f && s[2] == 0x8000) // AS112, 2620:4f:8000::/48
        || (s[0] & 0xfff0 == 0x3ff0) // documentation, 3fff::/20
        || s[0] == 0x2002; // 6to4 always embeds an IPv4 address: never here
    !special
}

/// `host[:port]` → (lowercase host, port). Hosts are DNS names or IP literals (`[v6]`); no
/// user info, no path, nothing else.
pub fn split_authority(a: &str) -> Option<(String, Option<u16>)> {
    if a.is_empty() || a.len() > 255 {
        return None;
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        h.parse::<Ipv6Addr>().ok()?;
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
        // A name whose last label starts with a digit is an IPv4 address (no top-level domain
        // does): only as a.b.c.d, never 2130706433, 0x7f000001, 0177.0.0.1 or 127.1, which
        // resolvers read as 127.0.0.1.
        let last = h.rsplit('.').next().unwrap_or(h);
        if last.bytes().next().is_some_and(|b| b.is_ascii_digit()) && !is_dotted_quad(h) {
            return None;
        }
        (h.to_owned(), port)
    };
    Some((host.to_ascii_lowercase(), port))
}

/// `a.b.c.d`, each a decimal 0–255 without a leading zero.
fn is_dotted_quad(h: &str) -> bool {
    let parts: Vec<&str> = h.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u8>().is_ok()
        })
}

/// What a registry API path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v2/`: the version check.
    Base,
    /// `/v2/<name>/manifests/<reference>`
    Manifest,
    /// `/v2/<name>/blobs/<digest>`
    Blob,
    /// `/v2/<name>/tags/list`
    Tags,
    /// `/v2/<name>/referrers/<digest>`
    Referrers,
}

impl Endpoint {
    /// The query keys this endpoint takes.
    fn query_keys(self) -> &'static [&'static str] {
        match self {
            Endpoint::Tags => &["n", "last"],
            Endpoint::Referrers => &["artifactType"],
            _ => &[],
        }
    }
}

/// Which API endpoint `path` is, by the distribution spec's grammar; `None` when it is none.
pub fn api_endpoint(path: &str) -> Option<Endpoint> {
    if path == "/v2/" {
        return Some(Endpoint::Base);
    }
    let parts: Vec<&str> = path.strip_prefix("/v2/")?.split('/').collect();
    let n = parts.len();
    if n < 3 {
        return None;
    }
    let name = &parts[..n - 2];
    if name.join("/").len() > 255 || !name.iter().all(|c| is_name_component(c)) {
        return None;
    }
    match (parts[n - 2], parts[n - 1]) {
        ("manifests", r) if is_tag(r) || is_digest(r) => Some(Endpoint::Manifest),
        ("blobs", d) if is_digest(d) => Some(Endpoint::Blob),
        ("tags", "list") => Some(Endpoint::Tags),
        ("referrers", d) if is_digest(d) => Some(Endpoint::Referrers),
        _ => None,
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_name_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || b"._-".contains(&x))
}

/// `algorithm:encoded`, algorithm `[a-z0-9]+([+._-][a-z0-9]+)*`, encoded `[a-zA-Z0-9=_-]+`.
fn is_digest(d: &str) -> bool {
    let Some((alg, enc)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.split(['+', '.', '_', '-']).all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    alg_ok
        && !enc.is_empty()
        && enc.len() <= 256
        && enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
}

/// Why a proxied path is refused before any grammar: every segment non-empty (a trailing
/// slash, as in `/v2/`, aside) and of unreserved characters and `:@+=` only — so no `..`, no `;`,
/// no backslash, no percent-escape of any kind (and so no double encoding).
pub fn check_segments(path: &str) -> Result<(), &'static str> {
    let rest = path.strip_prefix('/').ok_or("the path must start with /")?;
    // A trailing slash (`/v2/`) is no segment.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    for seg in rest.split('/') {
        if seg.is_empty() {
            return Err("empty path segment");
        }
        if seg.contains("..") || seg == "." {
            return Err("dot segment");
        }
        if seg.contains('%') {
            return Err("percent-encoding in the path (a registry path needs none)");
        }
        if seg.contains(';') {
            return Err("a ; in the path");
        }
        if !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:@+=".contains(&b))
        {
            return Err("a character a registry path does not use");
        }
    }
    Ok(())
}

/// A blob store's path (where a blob request may be redirected): segments like
/// [`check_segments`], plus the sub-delimiters object stores use (not `;`) and percent-escapes
/// other than of `.`, `/`, `\`, `%` and control characters.
pub fn check_store_path(path: &str) -> Result<(), &'static str> {
    let rest = path.strip_prefix('/').ok_or("the path must start with /")?;
    for seg in rest.split('/') {
        if seg.is_empty() {
            return Err("empty path segment");
        }
        if seg.contains("..") || seg == "." {
            return Err("dot segment");
        }
        let b = seg.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let hex = b.get(i + 1..i + 3).ok_or("a bad percent-escape")?;
                    let hex = std::str::from_utf8(hex).map_err(|_| "a bad percent-escape")?;
                    let v = u8::from_str_radix(hex, 16).map_err(|_| "a bad percent-escape")?;
                    if matches!(v, b'.' | b'/' | b'\\' | b'%') || v < 0x20 || v == 0x7f {
                        return Err(
                            "an encoded dot, slash, backslash, percent or control character",
                        );
                    }
                    i += 3;
                }
                x if x.is_ascii_alphanumeric() || b"-._~:@+=!$&'()*,".contains(&x) => i += 1,
                _ => return Err("a character a blob store path does not use"),
            }
        }
    }
    Ok(())
}

/// A query of `key=value` pairs with keys from `keys` (or `extra`) and values of unreserved
/// characters, `:/+,@=` and well-formed percent-escapes.
fn check_query(query: &str, keys: &[&str], extra: &[String]) -> Result<(), &'static str> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !keys.contains(&k) && !extra.iter().any(|e| e == k) {
            return Err("a query parameter this endpoint does not take");
        }
        let b = v.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let ok = b
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                if !ok {
                    return Err("a bad percent-escape in the query");
                }
                i += 3;
            } else if b[i].is_ascii_alphanumeric() || b"-._~:/+,@=".contains(&b[i]) {
                i += 1;
            } else {
                return Err("a character a registry query does not use");
            }
        }
    }
    Ok(())
}

/// A target the page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// From the first `/`, without the query.
    pub path: String,
    pub query: Option<String>,
}

impl Target {
    pub fn url(&self) -> String {
        match &self.query {
            Some(q) => format!("{}://{}{}?{q}", self.scheme, self.authority(), self.path),
            None => format!("{}://{}{}", self.scheme, self.authority(), self.path),
        }
    }

    fn authority(&self) -> String {
        let default = if self.scheme == "http" { 80 } else { 443 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn same_origin(&self, other: &Target) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }

    /// The (scheme, host, port, path) a token endpoint is remembered by.
    fn realm_key(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority(), self.path)
    }

    /// Parses an absolute `http(s)://` URL (a redirect's `Location`, a challenge's realm); the
    /// fragment is dropped.
    pub fn from_url(url: &str) -> Option<Target> {
        let url = url.split('#').next().unwrap_or(url);
        let (scheme, rest) = url.split_once("://")?;
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = split_authority(authority)?;
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q.to_owned())),
            None => (path_and_query, None),
        };
        if path
            .bytes()
            .chain(query.iter().flat_map(|q| q.bytes()))
            .any(|b| !(0x21..0x7f).contains(&b))
        {
            return None;
        }
        Some(Target {
            scheme: scheme.to_owned(),
            port: port.unwrap_or(if scheme == "http" { 80 } else { 443 }),
            host,
            path: path.to_owned(),
            query,
        })
    }
}

/// Parses `/proxy/<scheme>/<host[:port]>/<path>?<query>`; the path must pass
/// [`check_segments`], and the query hold no space, control character or `#`.
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
    let tail = format!("/{}", parts.next().ok_or("no path")?);
    check_segments(&tail)?;
    if let Some(q) = query
        && q.bytes().any(|b| !(0x21..0x7f).contains(&b) || b == b'#')
    {
        return Err("a bad query string");
    }
    Ok(Target {
        port: port.unwrap_or(if scheme == "http" { 80 } else { 443 }),
        scheme: scheme.to_owned(),
        host,
        path: tail,
        query: query.map(str::to_owned),
    })
}

/// The content type the proxy answers with: never the registry's word alone. Manifests keep a
/// registry media type (`application/vnd.….v1+json`, `application/json`); referrers are an
/// index; tags, the version check, tokens and JSON error bodies are `application/json`;
/// everything else (blobs above all) is `application/octet-stream`.
pub fn content_type(endpoint: Option<Endpoint>, status: u16, upstream: Option<&str>) -> String {
    let upstream = upstream
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_json = upstream == "application/json" || is_registry_json(&upstream);
    let ok = (200..300).contains(&status);
    let chosen = match endpoint {
        None => "application/json", // a token endpoint
        Some(Endpoint::Blob) if ok => "application/octet-stream",
        Some(Endpoint::Manifest) if ok && is_json => return upstream,
        Some(Endpoint::Manifest) if ok => "application/octet-stream",
        Some(Endpoint::Referrers)
            if ok && upstream == strata_core::model::media_type::OCI_INDEX =>
        {
            strata_core::model::media_type::OCI_INDEX
        }
        Some(Endpoint::Base | Endpoint::Tags | Endpoint::Referrers) => "application/json",
        _ if is_json => "application/json",
        _ => "application/octet-stream",
    };
    chosen.to_owned()
}

/// `application/vnd.<token>+json` (and the signed v1 manifest's `+prettyjws`): the media types
/// of registry documents.
fn is_registry_json(t: &str) -> bool {
    let Some(sub) = t.strip_prefix("application/vnd.") else {
        return false;
    };
    let Some(body) = sub
        .strip_suffix("+json")
        .or_else(|| sub.strip_suffix("+prettyjws"))
    else {
        return false;
    };
    !body.is_empty()
        && body.len() < 120
        && body
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_+".contains(&b))
}

/// A refusal by the connector (a policy refusal, not a network failure).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Whether connecting to `target` would reach the listener at `listen` (this server).
fn is_self(target: SocketAddr, listen: SocketAddr) -> bool {
    if target.port() != listen.port() {
        return false;
    }
    let canonical = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (t, l) = (canonical(target.ip()), canonical(listen.ip()));
    // Connecting to 0.0.0.0 or :: reaches this machine.
    t == l
        || t.is_unspecified()
        // Listening on every address: any address of this machine (one we can bind) is us.
        || (l.is_unspecified() && std::net::UdpSocket::bind((t, 0)).is_ok())
}

/// Resolves, checks what the name resolved to against the [`Policy`] and this server's own
/// address, and connects to the checked addresses only (so a DNS answer that changes between
/// a check and a connection gains nothing).
#[derive(Clone)]
struct Guarded {
    policy: Arc<Policy>,
    listen: SocketAddr,
    timeout: Duration,
}

impl tower_service::Service<Uri> for Guarded {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let host = uri.host().ok_or("no host")?.to_ascii_lowercase();
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("http") {
                    80
                } else {
                    443
                });
            let bare = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let addrs: Vec<SocketAddr> =
                match tokio::time::timeout(this.timeout, tokio::net::lookup_host((bare, port)))
                    .await
                {
                    Ok(Ok(a)) => a.collect(),
                    Ok(Err(_)) | Err(_) => {
                        return Err(
                            Box::new(Refused(format!("{host} cannot be resolved"))) as BoxError
                        );
                    }
                };
            if addrs.is_empty() {
                return Err(Box::new(Refused(format!("{host} cannot be resolved"))));
            }
            if let Some(why) = this.policy.refuse(&host, port, &addrs) {
                return Err(Box::new(Refused(why)));
            }
            if addrs.iter().any(|a| is_self(*a, this.listen)) {
                return Err(Box::new(Refused(format!(
                    "{host}:{port} is this strata serve itself; the proxy does not call itself"
                ))));
            }
            let mut last: BoxError = "no address to connect to".into();
            for a in addrs {
                match tokio::time::timeout(this.timeout, TcpStream::connect(a)).await {
                    Ok(Ok(s)) => {
                        let _ = s.set_nodelay(true);
                        return Ok(TokioIo::new(s));
                    }
                    Ok(Err(e)) => last = Box::new(e),
                    Err(_) => last = "connecting timed out".into(),
                }
            }
            Err(last)
        })
    }
}

/// A token endpoint a challenge named.
#[derive(Debug, Clone)]
struct Realm {
    key: String,
    /// The keys of the realm's own query, which token requests repeat.
    own_keys: Vec<String>,
}

/// The proxy's state: the HTTP client, the policy, the token endpoints seen, the places.
pub struct Proxy {
    client: Client<HttpsConnector<Guarded>, Empty<Bytes>>,
    limits: ProxyLimits,
    policy: Arc<Policy>,
    realms: Mutex<VecDeque<Realm>>,
    active: Arc<Semaphore>,
    /// Sent in `Via` on every request the proxy makes: a request that comes back with it went
    /// through this proxy already (a loop through some other name for this machine).
    loop_token: String,
}

/// What went wrong, as the page is told: a status and a sentence.
struct Refusal(StatusCode, String);

/// The registry's answer to forward, after redirects.
struct Upstream {
    status: StatusCode,
    headers: HeaderMap,
    body: Incoming,
    endpoint: Option<Endpoint>,
    target: Target,
}

impl Proxy {
    /// A proxy that reaches what `policy` allows and never `listen`, this server's address.
    pub fn new(policy: Policy, listen: SocketAddr, limits: ProxyLimits) -> anyhow::Result<Proxy> {
        let policy = Arc::new(policy);
        let guarded = Guarded {
            policy: Arc::clone(&policy),
            listen,
            timeout: limits.timeout,
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| anyhow::anyhow!("cannot set up TLS for the registry proxy: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(guarded);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            // Enough kept-alive connections for every place: a busy registry is not
            // reconnected to for each answer.
            .pool_max_idle_per_host(limits.max_active.max(1))
            .http1_max_buf_size(MAX_UPSTREAM_HEAD.max(8192))
            .http1_max_headers(128)
            .set_host(true)
            .build(https);
        let nonce = std::collections::hash_map::RandomState::new();
        let loop_token = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = nonce.build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.write_u32(std::process::id());
            format!("strata-serve-{:016x}", h.finish())
        };
        Ok(Proxy {
            client,
            limits,
            policy,
            realms: Mutex::new(VecDeque::new()),
            active: Arc::new(Semaphore::new(limits.max_active.max(1))),
            loop_token,
        })
    }

    /// Answers a `/proxy…` request; the permit of a forwarded answer goes with its body, which
    /// the server wraps further.
    pub async fn handle(&self, method: &Method, target: &str, headers: &HeaderMap) -> Response {
        let mut response = match self.answer(method, target, headers).await {
            Ok(r) => r,
            Err(Refusal(status, why)) => {
                let mut r = http::text(status, &format!("strata serve proxy: {why}"));
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    set(r.headers_mut(), "retry-after", "1");
                }
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    set(r.headers_mut(), "allow", "GET, HEAD");
                }
                r
            }
        };
        http::security_headers(response.headers_mut(), SANDBOX_POLICY);
        response
    }

    async fn answer(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Response, Refusal> {
        let refuse = |status: StatusCode, why: &str| Err(Refusal(status, why.to_owned()));
        if method != Method::GET && method != Method::HEAD {
            return refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD are proxied",
            );
        }
        if url == "/proxy" || url == "/proxy/" {
            // How the page learns that a proxy is here.
            let mut r = hyper::Response::new(http::full(&b"{\"proxy\":\"strata serve\"}\n"[..]));
            set(r.headers_mut(), "content-type", "application/json");
            return Ok(r);
        }
        if headers
            .get_all("via")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains(&self.loop_token)))
        {
            return refuse(
                StatusCode::LOOP_DETECTED,
                "this request already went through this proxy (a loop)",
            );
        }
        if let Some(site) = http::header(headers, "sec-fetch-site")
            && site != "same-origin"
            && site != "none"
        {
            return refuse(
                StatusCode::FORBIDDEN,
                "requests from other sites are not proxied",
            );
        }
        let target = match parse_proxy_url(url) {
            Ok(t) => t,
            Err(why) => return refuse(StatusCode::BAD_REQUEST, &format!("bad proxy path: {why}")),
        };
        let endpoint = api_endpoint(&target.path);
        match endpoint {
            Some(e) => {
                if let Some(q) = &target.query
                    && let Err(why) = check_query(q, e.query_keys(), &[])
                {
                    return refuse(StatusCode::BAD_REQUEST, &format!("bad proxy path: {why}"));
                }
            }
            None => {
                let Some(realm) = self.realm(&target) else {
                    return refuse(
                        StatusCode::FORBIDDEN,
                        "only registry API paths (/v2/, /v2/<name>/manifests|blobs|tags|referrers/…) \
                         and the token endpoints registries name are proxied",
                    );
                };
                if let Some(q) = &target.query
                    && let Err(why) = check_query(q, TOKEN_KEYS, &realm.own_keys)
                {
                    return refuse(
                        StatusCode::BAD_REQUEST,
                        &format!("bad token request: {why}"),
                    );
                }
            }
        }
        if let Some(why) = self.check_scheme(&target) {
            return Err(Refusal(StatusCode::FORBIDDEN, why));
        }
        let permit = match tokio::time::timeout(
            QUEUE_WAIT,
            Arc::clone(&self.active).acquire_owned(),
        )
        .await
        {
            Ok(Ok(p)) => p,
            _ => {
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!(
                        "{} proxied answers are under way (--max-proxied); retry",
                        self.limits.max_active
                    ),
                );
            }
        };
        let head = method == Method::HEAD;
        let up = self.forward(headers, target, endpoint, head).await?;
        self.respond(up, head, permit)
    }

    /// Plain HTTP only to hosts the user allowed.
    fn check_scheme(&self, target: &Target) -> Option<String> {
        (target.scheme == "http" && !self.policy.allows(&target.host, target.port)).then(|| {
            format!(
                "plain http is proxied only to hosts given with --allow-registry (not {})",
                target.authority()
            )
        })
    }

    fn realm(&self, target: &Target) -> Option<Realm> {
        let key = target.realm_key();
        self.realms
            .lock()
            .ok()?
            .iter()
            .find(|r| r.key == key)
            .cloned()
    }

    /// Remembers the token endpoints in a challenge from `registry`, where the rules allow.
    fn remember_realms(&self, registry: &Target, header: &str) {
        let Ok(challenges) = parse_www_authenticate(header) else {
            return;
        };
        for c in challenges {
            let Challenge::Bearer { realm, .. } = c else {
                continue;
            };
            let Some(t) = Target::from_url(&realm) else {
                continue;
            };
            if check_segments(&t.path).is_err() {
                continue;
            }
            let allowed = |t: &Target| self.policy.allows(&t.host, t.port);
            let ok = if t.same_origin(registry) {
                t.scheme == "https" || allowed(&t)
            } else if allowed(&t) {
                // A private token server, named by a registry the user allowed as well.
                allowed(registry)
            } else {
                // A public one (the connector checks its addresses).
                t.scheme == "https"
            };
            if !ok {
                continue;
            }
            let own_keys = t
                .query
                .iter()
                .flat_map(|q| q.split('&'))
                .map(|p| p.split('=').next().unwrap_or("").to_owned())
                .collect();
            let key = t.realm_key();
            if let Ok(mut realms) = self.realms.lock()
                && !realms.iter().any(|r| r.key == key)
            {
                if realms.len() >= MAX_REALMS {
                    realms.pop_front();
                }
                realms.push_back(Realm { key, own_keys });
            }
        }
    }

    /// Sends the request, following redirects hop by hop.
    async fn forward(
        &self,
        incoming: &HeaderMap,
        first: Target,
        endpoint: Option<Endpoint>,
        head: bool,
    ) -> Result<Upstream, Refusal> {
        let mut target = first.clone();
        let mut send_auth = true;
        for _hop in 0..=MAX_HOPS {
            let url = target.url();
            let uri: Uri = url.parse().map_err(|_| {
                Refusal(StatusCode::BAD_REQUEST, "a target that is not a URL".into())
            })?;
            let request = || {
                let mut request = hyper::Request::new(Empty::<Bytes>::new());
                *request.method_mut() = if head { Method::HEAD } else { Method::GET };
                *request.uri_mut() = uri.clone();
                let h = request.headers_mut();
                for name in PASSED_ON {
                    if *name == "authorization" && !send_auth {
                        continue;
                    }
                    for v in incoming.get_all(*name) {
                        h.append(*name, v.clone());
                    }
                }
                set(h, "user-agent", "strata-serve-proxy");
                set(h, "via", &format!("1.1 {}", self.loop_token));
                request
            };
            let send = || tokio::time::timeout(self.limits.timeout, self.client.request(request()));
            let mut sent = send().await;
            // A kept-alive connection the registry closed as it was reused answers nothing: the
            // request is a GET or HEAD, so it is asked once more, on a new connection.
            if matches!(&sent, Ok(Err(e)) if closed_before_answer(e)) {
                sent = send().await;
            }
            let response = match sent {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(describe(&target, &e)),
                Err(_) => {
                    return Err(Refusal(
                        StatusCode::BAD_GATEWAY,
                        format!(
                            "{} did not answer within {} s (--proxy-timeout)",
                            target.authority(),
                            self.limits.timeout.as_secs()
                        ),
                    ));
                }
            };
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED && endpoint.is_some() {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Refusal(
                            StatusCode::BAD_GATEWAY,
                            "a redirect without a Location".into(),
                        )
                    })?;
                let next = Target::from_url(&resolve_url(&url, location)).ok_or_else(|| {
                    Refusal(
                        StatusCode::BAD_GATEWAY,
                        "a redirect to a URL that is not http(s)".into(),
                    )
                })?;
                self.check_redirect(&first, endpoint, &next)?;
                // Credentials are for the registry's API, not for its blob storage.
                send_auth =
                    send_auth && next.same_origin(&target) && api_endpoint(&next.path).is_some();
                target = next;
                continue;
            }
            let (parts, body) = response.into_parts();
            return Ok(Upstream {
                status,
                headers: parts.headers,
                body,
                endpoint,
                target,
            });
        }
        Err(Refusal(
            StatusCode::BAD_GATEWAY,
            format!("more than {MAX_HOPS} redirects"),
        ))
    }

    /// Where a redirect may lead: the same kind of API path, or from a blob to a blob store;
    /// plain HTTP only to allowed hosts (addresses are the connector's).
    fn check_redirect(
        &self,
        first: &Target,
        endpoint: Option<Endpoint>,
        next: &Target,
    ) -> Result<(), Refusal> {
        let refused = |why: String| {
            Err(Refusal(
                StatusCode::FORBIDDEN,
                format!("{} redirected elsewhere, refused: {why}", first.authority()),
            ))
        };
        if let Some(why) = self.check_scheme(next) {
            return refused(why);
        }
        if let Some(q) = &next.query
            && q.bytes().any(|b| !(0x21..0x7f).contains(&b))
        {
            return refused("a bad query string".into());
        }
        let grammar = if endpoint == Some(Endpoint::Blob) {
            check_store_path(&next.path)
        } else if api_endpoint(&next.path) == endpoint {
            check_segments(&next.path)
        } else {
            Err("a path that is not the same registry API endpoint")
        };
        match grammar {
            Ok(()) => Ok(()),
            Err(why) => refused(why.into()),
        }
    }

    /// The answer to the page: status, chosen headers, the body streamed with the permit.
    fn respond(
        &self,
        up: Upstream,
        head: bool,
        permit: OwnedSemaphorePermit,
    ) -> Result<Response, Refusal> {
        let who = up.target.authority();
        let bad = |why: &str| Err(Refusal(StatusCode::BAD_GATEWAY, format!("{who} {why}")));
        let lengths: Vec<&HeaderValue> = up.headers.get_all("content-length").iter().collect();
        let codings: Vec<&HeaderValue> = up.headers.get_all("transfer-encoding").iter().collect();
        if !lengths.is_empty() && !codings.is_empty() {
            return bad(
                "answered with both Content-Length and Transfer-Encoding (ambiguous framing), refused",
            );
        }
        if lengths.len() > 1 {
            return bad("answered with more than one Content-Length, refused");
        }
        if !codings.is_empty() {
            let all: Vec<String> = codings
                .iter()
                .flat_map(|v| v.to_str().unwrap_or("?").split(','))
                .map(|c| c.trim().to_ascii_lowercase())
                .collect();
            if all != ["chunked"] {
                return bad("answered with a Transfer-Encoding other than chunked, refused");
            }
        }
        let length = match lengths.first() {
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or_else(|| {
                        Refusal(
                            StatusCode::BAD_GATEWAY,
                            format!("{who} sent a bad Content-Length"),
                        )
                    })?,
            ),
            None => None,
        };
        let cap = if up.endpoint.is_none() {
            MAX_TOKEN_BODY.min(self.limits.max_body)
        } else {
            self.limits.max_body
        };
        if let Some(l) = length
            && l > cap
        {
            return bad(&format!(
                "answered with {l} bytes, over the proxy's cap of {cap}"
            ));
        }
        let mut out = HeaderMap::new();
        for name in PASSED_BACK {
            for v in up.headers.get_all(*name) {
                out.append(*name, v.clone());
            }
        }
        for v in up.headers.get_all("www-authenticate") {
            if let Ok(text) = v.to_str() {
                self.remember_realms(&up.target, text);
            }
            out.append(CHALLENGE_HEADER, v.clone());
        }
        let ct = content_type(
            up.endpoint,
            up.status.as_u16(),
            http::header(&up.headers, "content-type"),
        );
        set(&mut out, "content-type", &ct);
        if up.endpoint == Some(Endpoint::Blob) {
            set(&mut out, "content-disposition", "attachment");
        }
        let body = if head {
            if let Some(l) = length {
                set(&mut out, "content-length", &l.to_string());
            }
            drop(permit);
            http::empty()
        } else {
            Streamed {
                inner: up.body,
                left: cap,
                timeout: self.limits.timeout,
                timer: Box::pin(tokio::time::sleep(self.limits.timeout)),
                waiting: false,
                _permit: permit,
            }
            .boxed_unsync()
        };
        let mut r = hyper::Response::new(body);
        *r.status_mut() = up.status;
        *r.headers_mut() = out;
        Ok(r)
    }
}

/// A failure in a sentence, without URLs (they may carry tokens): a policy refusal is a 403,
/// the rest a 502.
/// Whether the connection closed after the request was sent and before any answer came
/// (hyper's "connection closed before message completed").
fn closed_before_answer(e: &hyper_util::client::legacy::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = s.source();
    }
    false
}

fn describe(target: &Target, e: &hyper_util::client::legacy::Error) -> Refusal {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut words = Vec::new();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Refusal(StatusCode::FORBIDDEN, r.0.clone());
        }
        // The legacy client's own words ("client error (Connect)") say little.
        if s.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_none()
        {
            words.push(s.to_string());
        }
        source = s.source();
    }
    let detail = if words.is_empty() {
        "the connection failed".to_owned()
    } else {
        words.join(": ")
    };
    Refusal(
        StatusCode::BAD_GATEWAY,
        format!("{} did not answer: {detail}", target.authority()),
    )
}

/// A registry's body as it streams through: at most `left` bytes, at most `timeout` between
/// two pieces while the client waits for one, trailers dropped; the proxy's permit is held
/// until it ends.
struct Streamed {
    inner: Incoming,
    left: u64,
    timeout: Duration,
    timer: Pin<Box<Sleep>>,
    waiting: bool,
    _permit: OwnedSemaphorePermit,
}

impl hyper::body::Body for Streamed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            if !self.waiting {
                // The clock runs while the client waits for the registry, not while the
                // client is slow to take what it has.
                let deadline = Instant::now() + self.timeout;
                self.timer.as_mut().reset(deadline);
                self.waiting = true;
            }
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    self.waiting = false;
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers are framing: not passed on
                    };
                    let n = data.len() as u64;
                    if n > self.left {
                        return Poll::Ready(Some(Err(
                            "the registry's answer is over the proxy's size cap (--proxy-max-body)"
                                .into(),
                        )));
                    }
                    self.left -= n;
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    if self.timer.as_mut().poll(cx).is_ready() {
                        let s = self.timeout.as_secs();
                        return Poll::Ready(Some(Err(format!(
                            "the registry sent nothing for {s} s (--proxy-timeout)"
                        )
                        .into())));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn ip(a: &str) -> IpAddr {
        a.parse().unwrap_or_else(|e| panic!("{a}: {e}"))
    }

    #[test]
    fn proxy_paths() {
        let t =
            parse_proxy_url("/proxy/https/registry-1.docker.io/v2/library/nginx/manifests/1.27")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.url(),
            "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"
        );
        assert_eq!(api_endpoint(&t.path), Some(Endpoint::Manifest));
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
            "/proxy/https/host/v2/..;/admin",
            "/proxy/https/host/v2/x;a=b/manifests/1",
            "/proxy/https/host/v2/%252e%252e/admin",
            "/proxy/https/host/v2/a%5cb",
            "/proxy/https/host/v2/a\\b",
            "/proxy/https/ho st/v2/",
            "/proxy/https/host",
            "/proxy/https/host/v2/x?a b",
            "/proxy/https/host/v2//x",
            "/proxy/https/2130706433/v2/",
            "/proxy/https/0x7f000001/v2/",
            "/proxy/https/0177.0.0.1/v2/",
            "/proxy/https/127.1/v2/",
            "/proxy/https/127.0.0.01/v2/",
        ] {
            assert!(parse_proxy_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn only_the_distribution_api_grammar_is_an_endpoint() {
        let d = format!("sha256:{}", "a".repeat(64));
        for (path, want) in [
            ("/v2/".to_owned(), Some(Endpoint::Base)),
            (
                "/v2/library/nginx/manifests/1.27".to_owned(),
                Some(Endpoint::Manifest),
            ),
            (format!("/v2/a/b/c/manifests/{d}"), Some(Endpoint::Manifest)),
            (format!("/v2/a/blobs/{d}"), Some(Endpoint::Blob)),
            ("/v2/a-b__c.d/tags/list".to_owned(), Some(Endpoint::Tags)),
            (format!("/v2/a/referrers/{d}"), Some(Endpoint::Referrers)),
            ("/v2".to_owned(), None),
            ("/v2/a".to_owned(), None),
            ("/v2/A/manifests/1".to_owned(), None),
            ("/v2/a/blobs/not-a-digest".to_owned(), None),
            ("/v2/a/blobs/uploads/".to_owned(), None),
            ("/v2/a/manifests/-x".to_owned(), None),
            ("/v2/a/tags/other".to_owned(), None),
            ("/v2/_catalog".to_owned(), None),
            ("/v2/a..b/manifests/1".to_owned(), None),
            ("/v2/a___b/manifests/1".to_owned(), None),
            ("/admin/secret".to_owned(), None),
            ("/v2/token".to_owned(), None),
        ] {
            assert_eq!(api_endpoint(&path), want, "{path}");
        }
        assert!(check_query("n=10&last=abc", Endpoint::Tags.query_keys(), &[]).is_ok());
        assert!(check_query("x=1", Endpoint::Tags.query_keys(), &[]).is_err());
        assert!(check_query("service=a&scope=repository%3Aa%2Fb%3Apull", TOKEN_KEYS, &[]).is_ok());
        assert!(check_query("scope=a%zz", TOKEN_KEYS, &[]).is_err());
    }

    #[test]
    fn blob_store_paths_may_be_encoded_but_never_dot_or_slash() {
        assert!(
            check_store_path("/registry-v2/docker/registry/v2/blobs/sha256/ab/abc/data").is_ok()
        );
        assert!(check_store_path("/bucket/key%3Dvalue").is_ok());
        for bad in [
            "/a/../b",
            "/a/%2e%2e/b",
            "/a%2fb",
            "/a%5cb",
            "/a%252e",
            "/a;b",
            "/a//b",
            "/%00",
        ] {
            assert!(check_store_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            // IPv4 special-purpose registry
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.0.0.2",
            "169.254.169.254",
            "172.16.5.4",
            "172.31.0.1",
            "192.0.0.1",
            "192.0.0.9",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            // IPv6 special-purpose registry
            "::",
            "::1",
            "100::1",
            "100:0:0:1::1",
            "2001::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:db8::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            // IPv6 forms with a non-public IPv4 inside
            "::127.0.0.1",
            "::10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::198.18.0.1",
            "64:ff9b:1::7f00:1",
            "64:ff9b:1::808:808",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2002:c0a8:101::1",
            "2001:0:7f00:1::",
            "2001:0:808:808:0:0:f5ff:fffe",
            "2606:4700::5efe:7f00:1",
            "2606:4700::200:5efe:a00:1",
        ] {
            assert!(!is_public(ip(a)), "{a} counted as public");
        }
        for a in [
            "8.8.8.8",
            "104.18.1.1",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(a)), "{a} counted as private");
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

    #[test]
    fn the_proxy_knows_its_own_address() {
        let sa = |s: &str| -> SocketAddr { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        assert!(is_self(sa("127.0.0.1:8080"), sa("127.0.0.1:8080")));
        assert!(is_self(sa("[::ffff:127.0.0.1]:8080"), sa("127.0.0.1:8080")));
        assert!(is_self(sa("0.0.0.0:8080"), sa("127.0.0.1:8080")));
        assert!(is_self(sa("127.0.0.1:8080"), sa("0.0.0.0:8080")));
        assert!(!is_self(sa("127.0.0.1:8081"), sa("127.0.0.1:8080")));
        assert!(!is_self(sa("127.0.0.2:8080"), sa("127.0.0.1:8080")));
    }

    #[test]
    fn the_content_type_is_chosen_not_passed() {
        use strata_core::model::media_type::{DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
        let ct = |e, s, u| content_type(e, s, u);
        assert_eq!(
            ct(Some(Endpoint::Manifest), 200, Some(OCI_MANIFEST)),
            OCI_MANIFEST
        );
        assert_eq!(
            ct(
                Some(Endpoint::Manifest),
                200,
                Some("application/vnd.docker.distribution.manifest.v2+json; charset=x")
            ),
            DOCKER_MANIFEST
        );
        assert_eq!(
            ct(Some(Endpoint::Manifest), 200, Some("text/html")),
            "application/octet-stream"
        );
        assert_eq!(
            ct(
                Some(Endpoint::Manifest),
                200,
                Some("application/vnd.x+json<script>")
            ),
            "application/octet-stream"
        );
        assert_eq!(
            ct(Some(Endpoint::Blob), 200, Some("text/html")),
            "application/octet-stream"
        );
        assert_eq!(
            ct(Some(Endpoint::Blob), 200, Some("application/json")),
            "application/octet-stream"
        );
        assert_eq!(
            ct(Some(Endpoint::Blob), 404, Some("application/json")),
            "application/json"
        );
        assert_eq!(
            ct(Some(Endpoint::Blob), 404, Some("text/html")),
            "application/octet-stream"
        );
        assert_eq!(
            ct(Some(Endpoint::Tags), 200, Some("text/javascript")),
            "application/json"
        );
        assert_eq!(
            ct(Some(Endpoint::Referrers), 200, Some(OCI_INDEX)),
            OCI_INDEX
        );
        assert_eq!(ct(None, 200, Some("text/html")), "application/json");
    }
}
