//! Registries from a worker: the engine's sans-I/O protocol over synchronous `XMLHttpRequest`
//! (allowed in workers, and what the engine's synchronous `ReadAt` needs), directly when the
//! registry sends CORS headers, else through `strata serve`'s proxy when the page came from it.
//!
//! A CORS refusal and an unreachable host look the same from here (a network error without
//! detail), so the message names both and says how to fix either.

use crate::platform::blob_source::js_text;
use crate::protocol::{ErrorInfo, RegistryAccess, RegistryBlob};
use strata_core::registry::source::RegistrySource;
use strata_core::registry::{
    HttpRequest, HttpResponse, Opened, Reference, RegistrySession, VirtualBlobs, list_tags,
    open_image, parse_user_reference,
};
use strata_core::{Digest, Error, Limits, ManifestPick};
use web_sys::{XmlHttpRequest, XmlHttpRequestResponseType};

/// The header strata serve's proxy passes a registry's `WWW-Authenticate` under.
const PROXIED_CHALLENGE: &str = "X-Strata-WWW-Authenticate";

/// What the proxy's refusals start with.
const PROXY_REFUSAL: &[u8] = b"strata serve proxy:";

/// Seconds since the Unix epoch (token lifetimes).
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The boxed transport a worker's [`RegistrySource`] owns.
pub type Transport = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, Error>>;

/// A registry image's layer blob as the engine reads it.
pub type BlobReader = RegistrySource<Transport>;

/// `https://host/v2/…` → `{proxy}/https/host/v2/…`.
pub fn through_proxy(proxy: &str, url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{proxy}/{scheme}/{rest}"),
        None => url.to_owned(),
    }
}

/// Sends one request with synchronous XHR; `proxy`, when given, carries it.
pub fn send(
    request: &HttpRequest,
    registry: &str,
    proxy: Option<&str>,
) -> Result<HttpResponse, Error> {
    let network = |detail: String| Error::Network {
        registry: registry.to_owned(),
        detail,
    };
    let url = match proxy {
        Some(p) => through_proxy(p, &request.url),
        None => request.url.clone(),
    };
    let xhr = XmlHttpRequest::new().map_err(|e| network(js_text(&e)))?;
    xhr.open_with_async(&request.method, &url, false)
        .map_err(|e| network(js_text(&e)))?;
    xhr.set_response_type(XmlHttpRequestResponseType::Arraybuffer);
    xhr.set_timeout(60_000);
    for (k, v) in &request.headers {
        xhr.set_request_header(k, v)
            .map_err(|e| network(format!("the header {k}: {}", js_text(&e))))?;
    }
    if xhr.send().is_err() {
        return Err(network(
            "the browser could not read its answer: the registry sends no CORS headers, or cannot be reached"
                .into(),
        ));
    }
    let status = xhr.status().unwrap_or(0);
    let headers = xhr
        .get_all_response_headers()
        .unwrap_or_default()
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            // strata serve's proxy renames the challenge so the browser shows no login prompt.
            let k = k.trim();
            let k = if proxy.is_some() && k.eq_ignore_ascii_case(PROXIED_CHALLENGE) {
                "WWW-Authenticate"
            } else {
                k
            };
            (k.to_owned(), v.trim().to_owned())
        })
        .collect();
    let body = xhr
        .response()
        .ok()
        .filter(|r| !r.is_null() && !r.is_undefined())
        .map(|r| js_sys::Uint8Array::new(&r).to_vec())
        .unwrap_or_default();
    if proxy.is_some() && body.starts_with(PROXY_REFUSAL) {
        return Err(network(String::from_utf8_lossy(&body).trim().to_owned()));
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Whether `proxy` is `strata serve`'s (the page may have come from another server).
fn proxy_answers(proxy: &str) -> bool {
    let probe = HttpRequest {
        method: "GET".into(),
        url: proxy.to_owned(),
        headers: Vec::new(),
    };
    send(&probe, "", None)
        .is_ok_and(|r| r.status == 200 && r.body.windows(12).any(|w| w == b"strata serve"))
}

fn session(access: &RegistryAccess) -> Result<(RegistrySession, String), Error> {
    let (reference, http): (Reference, bool) = parse_user_reference(&access.reference)?;
    let registry = reference.domain.clone();
    let base = RegistrySession::default_base(&reference, http);
    Ok((
        RegistrySession::new(reference, base, access.credentials.clone()),
        registry,
    ))
}

fn transport(access: &RegistryAccess, registry: String) -> Transport {
    let proxy = access.proxy.clone().filter(|_| access.via_proxy);
    Box::new(move |r: &HttpRequest| send(r, &registry, proxy.as_deref()))
}

/// Runs `attempt` directly, and again through the proxy when the browser could not read the
/// registry's answers and a proxy is there. Returns the access that worked.
fn with_fallback<T>(
    access: &RegistryAccess,
    attempt: impl FnMut(&RegistryAccess) -> Result<T, Error>,
) -> Result<(T, RegistryAccess), ErrorInfo> {
    fallback(access, attempt, &proxy_answers)
}

/// The fallback's decision, with the probe of the proxy given (tested without a network): a
/// network error (which is what a CORS refusal looks like from here) on a direct attempt
/// retries through the proxy when `proxy_answers` says it is strata serve's; any other error,
/// or an error through the proxy, is the answer.
pub fn fallback<T>(
    access: &RegistryAccess,
    mut attempt: impl FnMut(&RegistryAccess) -> Result<T, Error>,
    proxy_answers: &dyn Fn(&str) -> bool,
) -> Result<(T, RegistryAccess), ErrorInfo> {
    let mut access = access.clone();
    let first = attempt(&access);
    let registry = parse_user_reference(&access.reference)
        .map(|(r, _)| r.domain)
        .unwrap_or_default();
    match first {
        Ok(v) => return Ok((v, access)),
        Err(Error::Network { .. }) if !access.via_proxy => {}
        Err(e) => return Err(error_info(&e, &access, &registry)),
    }
    if !access.proxy.as_deref().is_some_and(proxy_answers) {
        return Err(cors_error(&registry));
    }
    access.via_proxy = true;
    match attempt(&access) {
        Ok(v) => Ok((v, access)),
        Err(e) => Err(error_info(&e, &access, &registry)),
    }
}

fn error_info(e: &Error, access: &RegistryAccess, registry: &str) -> ErrorInfo {
    if let Error::Network { detail, .. } = e
        && access.via_proxy
        && let Some(why) = detail.strip_prefix("strata serve proxy:")
    {
        return proxy_error(why.trim(), registry);
    }
    ErrorInfo::from(e)
}

/// What strata serve's proxy said, put to the user by what went wrong: a name that does not
/// resolve is not a policy matter, a registry that did not answer is not the proxy's fault, and
/// only an address this machine or a private network holds needs `--allow-registry`.
pub fn proxy_error(why: &str, registry: &str) -> ErrorInfo {
    let (kind, summary, advice) = if why.contains("cannot be resolved") {
        (
            "dns",
            format!("{registry} was not found: the name does not resolve."),
            "strata serve looked the name up and got no address. Check the spelling of the reference, and that \
this machine can resolve it (its DNS, a VPN, /etc/hosts)."
                .to_owned(),
        )
    } else if why.contains("--allow-registry") {
        // Its own words name the flag: an address on this machine or a private network, or
        // plain http, which it carries only to registries it was told about.
        (
            "proxy",
            format!("strata serve's proxy does not reach {registry} unless told to."),
            format!(
                "A registry on this machine or a private network, or one spoken to in plain http, is reached only \
when strata serve is started with --allow-registry {registry}."
            ),
        )
    } else if why.contains("did not answer") {
        (
            "network",
            format!("{registry} did not answer."),
            "The registry may be down, or a firewall or proxy between this machine and it refused the connection."
                .to_owned(),
        )
    } else {
        (
            "proxy",
            format!("strata serve's proxy refused the request to {registry}."),
            "It forwards only the registry API (and token endpoints a registry's challenge names)."
                .to_owned(),
        )
    };
    ErrorInfo {
        kind: kind.into(),
        summary,
        detail: format!("{advice}\n\nstrata serve said: {why}"),
    }
}

fn cors_error(registry: &str) -> ErrorInfo {
    ErrorInfo {
        kind: "cors".into(),
        summary: format!(
            "The browser may not read answers from {registry}: it sends no CORS headers, or it cannot be reached."
        ),
        detail: format!(
            "Most registries (Docker Hub among them) send no CORS headers, so a page cannot call them directly.\n\
To open this image here, either:\n\
  • run `strata serve` and open Strata at the address it prints: its proxy reaches registries the browser may not \
(start it with --allow-registry {registry} for a registry on this machine or a private network); or\n\
  • configure {registry} to send Access-Control-Allow-Origin, Access-Control-Allow-Headers (Authorization, Accept, \
Range) and Access-Control-Expose-Headers (Docker-Content-Digest, WWW-Authenticate, Content-Range, Link).\n\
Or check that the registry's address is right and reachable from this machine."
        ),
    }
}

/// Opens the image (manifest and config only), falling back to the proxy when needed.
pub fn open(
    access: &RegistryAccess,
    manifest: Option<&str>,
    limits: &Limits,
) -> Result<(Opened, RegistryAccess), ErrorInfo> {
    let pick = match manifest.map(Digest::parse) {
        None => ManifestPick::Default,
        Some(Ok(d)) => ManifestPick::Digest(d),
        Some(Err(e)) => {
            return Err(ErrorInfo {
                kind: "invalid".into(),
                summary: "That platform does not exist.".into(),
                detail: e,
            });
        }
    };
    with_fallback(access, |a| {
        let (mut s, registry) = session(a)?;
        let mut t = transport(a, registry);
        open_image(&mut s, &pick, limits, now(), &mut *t)
    })
}

/// The repository's tags, falling back to the proxy when needed.
pub fn tags(access: &RegistryAccess) -> Result<(String, Vec<String>), ErrorInfo> {
    with_fallback(access, |a| {
        let (mut s, registry) = session(a)?;
        let repository = format!("{}/{}", s.reference.domain, s.reference.repository);
        let mut t = transport(a, registry);
        Ok((repository, list_tags(&mut s, now(), &mut *t)?))
    })
    .map(|(v, _)| v)
}

/// The image's signatures, attestations and referrers, asked of the registry the way the image
/// was reached (directly or through the proxy). The engine records each request's failure in
/// the report's lookups; only a reference that does not parse is an error here.
pub fn supply_chain(
    access: &RegistryAccess,
    image: &strata_core::Image,
    options: &strata_core::supply_chain::Options,
    limits: &Limits,
) -> Result<strata_core::supply_chain::SupplyChain, ErrorInfo> {
    let (mut s, registry) = session(access).map_err(|e| ErrorInfo::from(&e))?;
    let mut t = transport(access, registry);
    // A registry without the Referrers API (distribution 2.8, Debian's) answers the unknown
    // route with its router's 404, which carries none of the CORS headers it is configured to
    // send: the browser reports a network error. The image itself was just read directly from
    // this registry, so on that one path the error is taken for what it is, and said.
    let direct = !access.via_proxy;
    let mut unreadable = Vec::new();
    let mut send = |r: &HttpRequest| match t(r) {
        Err(Error::Network { .. }) if direct && r.url.contains("/referrers/") => {
            unreadable.push(r.url.clone());
            Ok(HttpResponse {
                status: 404,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
        other => other,
    };
    let mut report =
        strata_core::supply_chain::from_registry(&mut s, image, options, limits, &mut send);
    for url in unreadable {
        report.diagnostics.push(strata_core::Diagnostic::note(
            "referrers-unreadable",
            "the Referrers API",
            format!("the browser could not read the answer to {url} (it carries no CORS headers, as a registry's 404 for a route it does not know): taken as no Referrers API, so the referrers tag schema was asked instead"),
        ));
    }
    Ok(report)
}

/// One layer blob, read by range (offsets from 0), keeping up to `cache_budget` bytes.
pub fn blob_reader(
    blob: &RegistryBlob,
    len: u64,
    cache_budget: u64,
) -> Result<BlobReader, ErrorInfo> {
    let (s, registry) = session(&blob.access).map_err(|e| ErrorInfo::from(&e))?;
    let t = transport(&blob.access, registry);
    Ok(RegistrySource::new(
        s,
        VirtualBlobs::new(&[(blob.digest.clone(), len)]),
        t,
        now,
        cache_budget,
    ))
}

/// Every layer blob of an opened image, as one `ReadAt` (for a worker that reads them all).
pub fn image_reader(
    access: &RegistryAccess,
    blobs: VirtualBlobs,
    cache_budget: u64,
) -> Result<BlobReader, ErrorInfo> {
    let (s, registry) = session(access).map_err(|e| ErrorInfo::from(&e))?;
    let t = transport(access, registry);
    Ok(RegistrySource::new(s, blobs, t, now, cache_budget))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_refusals_are_told_by_cause() {
        // The words are the proxy's own (crates/strata-cli/src/proxy.rs), as it sends them.
        let dns = proxy_error("nosuch.example cannot be resolved", "nosuch.example");
        assert_eq!(dns.kind, "dns");
        assert!(!dns.detail.contains("--allow-registry"), "{}", dns.detail);
        let private = proxy_error(
            "10.0.0.5 is (or resolves to) 10.0.0.5, an address of this machine, a private network or another special-purpose range; start strata serve with --allow-registry 10.0.0.5:5000 to reach a registry there",
            "10.0.0.5:5000",
        );
        assert_eq!(private.kind, "proxy");
        assert!(private.detail.contains("--allow-registry 10.0.0.5:5000"));
        let plain = proxy_error(
            "plain http is proxied only to hosts given with --allow-registry (not 127.0.0.1:5102)",
            "127.0.0.1:5102",
        );
        assert_eq!(plain.kind, "proxy");
        assert!(plain.detail.contains("--allow-registry 127.0.0.1:5102"));
        let down = proxy_error(
            "r.example:443 did not answer: connection refused",
            "r.example",
        );
        assert_eq!(down.kind, "network");
        assert!(!down.detail.contains("--allow-registry"));
    }

    #[test]
    fn urls_go_through_the_proxy_with_scheme_and_host() {
        assert_eq!(
            through_proxy(
                "http://127.0.0.1:8080/proxy",
                "https://registry-1.docker.io/v2/library/a/manifests/1"
            ),
            "http://127.0.0.1:8080/proxy/https/registry-1.docker.io/v2/library/a/manifests/1"
        );
        assert_eq!(
            through_proxy("/proxy", "http://127.0.0.1:5000/token?scope=x"),
            "/proxy/http/127.0.0.1:5000/token?scope=x"
        );
    }
}
