//! The CLI's registry transport: a blocking HTTP client (ureq, rustls) under the engine's
//! sans-I/O protocol. The engine's [`RegistrySource`] turns it into a `ReadAt` over the layer
//! blobs (ranged reads, read-ahead, a bounded cache).

use std::io::Read;
use std::time::Duration;
use strata_core::Error;
use strata_core::registry::{HttpRequest, HttpResponse, RegistrySession, VirtualBlobs};

/// Largest response body read whole (manifests and configs are far smaller).
const MAX_BODY: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    /// For messages: the registry's name.
    registry: String,
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Http {
    pub fn new(registry: &str) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0) // the protocol follows redirects itself, without credentials
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent("strata")
            .build()
            .into();
        Http {
            agent,
            registry: registry.to_owned(),
        }
    }

    /// Sends a request; the body is read up to `limit` bytes (more is an error, not a hang).
    pub fn send(&self, request: &HttpRequest, limit: u64) -> Result<HttpResponse, Error> {
        let net = |e: String| Error::Network {
            registry: self.registry.clone(),
            detail: e,
        };
        let mut builder = match request.method.as_str() {
            "HEAD" => self.agent.head(&request.url),
            _ => self.agent.get(&request.url),
        };
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        let mut response = builder.call().map_err(|e| net(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| net(e.to_string()))?;
        if body.len() as u64 > limit {
            return Err(net(format!(
                "the answer to {} is larger than {limit} bytes",
                request.url
            )));
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// The transport the engine's protocol functions take.
    pub fn transport(&self) -> impl FnMut(&HttpRequest) -> Result<HttpResponse, Error> + '_ {
        move |r| self.send(r, MAX_BODY)
    }
}

/// An image's layer blobs, read by range from the registry (the engine's reader over ureq).
pub type RegistrySource = strata_core::registry::source::RegistrySource<Transport>;

/// The boxed transport a [`RegistrySource`] owns.
pub type Transport = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, Error>>;

/// Layer windows kept for later reads: `cat` after a scan reads from memory.
const CACHE_BUDGET: u64 = 256 << 20;

pub fn registry_source(
    http: Http,
    session: RegistrySession,
    blobs: VirtualBlobs,
) -> RegistrySource {
    let transport: Transport = Box::new(move |r: &HttpRequest| http.send(r, MAX_BODY));
    RegistrySource::new(session, blobs, transport, now, CACHE_BUDGET)
}
