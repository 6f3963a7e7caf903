//! The CLI's registry transport: a blocking HTTP client (ureq, rustls) under the engine's
//! sans-I/O protocol, and an image's layer blobs as a [`ReadAt`]: reading at an offset is an
//! HTTP `Range` request on the blob there. A read that continues where the last one ended reads
//! 8 MiB ahead, so a layer scan costs one request per 8 MiB; any other read (a magic number, a
//! gzip trailer) fetches 64 KiB at most, so sniffing a 1 GB layer does not download 8 MiB of it.

use std::cell::RefCell;
use std::io::Read;
use std::time::Duration;
use strata_core::registry::{
    Fetch, HttpRequest, HttpResponse, RegistrySession, VirtualBlobs, fetch,
};
use strata_core::{Error, ReadAt, SourceError};

/// Bytes fetched per blob request when reading sequentially.
const WINDOW: u64 = 8 << 20;
/// Bytes fetched for a read that does not continue the last one.
const SMALL_WINDOW: u64 = 64 << 10;
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

/// An image's layer blobs, read by range from the registry.
#[derive(Debug)]
pub struct RegistrySource {
    http: Http,
    session: RefCell<RegistrySession>,
    blobs: VirtualBlobs,
    /// The last window fetched: (virtual offset of its first byte, bytes).
    window: RefCell<Option<(u64, Vec<u8>)>>,
}

impl RegistrySource {
    pub fn new(http: Http, session: RegistrySession, blobs: VirtualBlobs) -> Self {
        RegistrySource {
            http,
            session: RefCell::new(session),
            blobs,
            window: RefCell::new(None),
        }
    }
}

impl ReadAt for RegistrySource {
    fn len(&self) -> u64 {
        self.blobs.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if buf.is_empty() || offset >= self.blobs.len() {
            return Ok(0);
        }
        let mut sequential = false;
        if let Some((start, bytes)) = &*self.window.borrow() {
            let end = start + bytes.len() as u64;
            if offset >= *start && offset < end {
                let from = (offset - start) as usize;
                let n = buf.len().min(bytes.len() - from);
                buf[..n].copy_from_slice(&bytes[from..from + n]);
                return Ok(n);
            }
            sequential = offset == end;
        }
        let (digest, within, left) = self
            .blobs
            .locate(offset)
            .ok_or_else(|| SourceError(format!("no blob at offset {offset}")))?;
        let ahead = if sequential || (within == 0 && buf.len() as u64 >= SMALL_WINDOW) {
            WINDOW
        } else {
            SMALL_WINDOW
        };
        let want = left.min((buf.len() as u64).max(ahead));
        let what = Fetch::Blob {
            digest: digest.clone(),
            range: Some((within, within + want - 1)),
        };
        let mut session = self.session.borrow_mut();
        let mut send = |r: &HttpRequest| self.http.send(r, want.max(MAX_BODY));
        let response =
            fetch(&mut session, &what, now(), &mut send).map_err(|e| SourceError(e.to_string()))?;
        let bytes = match response.status {
            206 => response.body,
            // A server that ignores Range sends the whole blob: keep the part asked for.
            _ => response
                .body
                .get(within as usize..)
                .unwrap_or(&[])
                .iter()
                .take(want as usize)
                .copied()
                .collect(),
        };
        if bytes.is_empty() {
            return Err(SourceError(format!(
                "the registry returned no bytes of {digest} at {within}"
            )));
        }
        let n = buf.len().min(bytes.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        *self.window.borrow_mut() = Some((offset, bytes));
        Ok(n)
    }
}
