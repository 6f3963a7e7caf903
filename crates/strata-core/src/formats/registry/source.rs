//! A registry image's layer blobs as a [`ReadAt`]: reading at an offset of the
//! [`VirtualBlobs`] address space is an HTTP `Range` request on the blob there, sent through
//! the host's transport (ureq in the CLI, synchronous XHR in a browser worker). The engine then
//! scans layers and reads files exactly as it does from an archive.
//!
//! Requests cost round trips, so reads are shaped: a read that continues where the last one
//! ended fetches [`WINDOW`] bytes ahead (a layer scan costs one request per 8 MiB), any other
//! read (a magic number, a gzip trailer, a file's first page) fetches [`SMALL_WINDOW`] at most.
//! Fetched windows stay in a byte-bounded LRU cache, so opening a file after its layer was
//! scanned often costs no request at all; blobs are content-addressed, so a cached window can
//! never be stale.

use super::{Fetch, HttpRequest, HttpResponse, RegistrySession, VirtualBlobs, fetch};
use crate::error::Error;
use crate::source::{ReadAt, SourceError};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// Bytes fetched per request when reading sequentially.
pub const WINDOW: u64 = 8 << 20;
/// Bytes fetched for a read that does not continue the last one.
pub const SMALL_WINDOW: u64 = 64 << 10;

/// Fetched windows, least recently used first, within a byte budget.
#[derive(Debug, Default)]
struct WindowCache {
    windows: VecDeque<(u64, Vec<u8>)>,
    bytes: u64,
    budget: u64,
}

impl WindowCache {
    /// Copies from the window holding `offset`, if one does.
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Option<usize> {
        let i = self
            .windows
            .iter()
            .rposition(|(start, bytes)| offset >= *start && offset < start + bytes.len() as u64)?;
        let (start, bytes) = &self.windows[i];
        let from = usize::try_from(offset - start).ok()?;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        if i + 1 != self.windows.len()
            && let Some(w) = self.windows.remove(i)
        {
            self.windows.push_back(w);
        }
        Some(n)
    }

    fn insert(&mut self, start: u64, bytes: Vec<u8>) {
        self.bytes += bytes.len() as u64;
        self.windows.push_back((start, bytes));
        // The newest window stays even when it alone exceeds the budget: the read needs it.
        while self.bytes > self.budget && self.windows.len() > 1 {
            if let Some((_, old)) = self.windows.pop_front() {
                self.bytes -= old.len() as u64;
            }
        }
    }
}

/// What reading from the registry has cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    pub requests: u64,
    pub bytes: u64,
    pub cache_hits: u64,
}

/// An image's layer blobs, read by range from the registry through `transport`.
pub struct RegistrySource<T> {
    session: RefCell<RegistrySession>,
    blobs: VirtualBlobs,
    transport: RefCell<T>,
    /// Seconds since the Unix epoch, for token lifetimes (the engine has no clock).
    clock: fn() -> u64,
    cache: RefCell<WindowCache>,
    /// Where the last fetched window ended: a read there is sequential.
    last_end: Cell<Option<u64>>,
    stats: Cell<FetchStats>,
}

impl<T> std::fmt::Debug for RegistrySource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrySource")
            .field("reference", &self.session.borrow().reference.canonical())
            .field("blobs", &self.blobs.blobs.len())
            .field("stats", &self.stats.get())
            .finish_non_exhaustive()
    }
}

impl<T> RegistrySource<T>
where
    T: FnMut(&HttpRequest) -> Result<HttpResponse, Error>,
{
    /// `cache_budget`: bytes of fetched windows kept for later reads.
    pub fn new(
        session: RegistrySession,
        blobs: VirtualBlobs,
        transport: T,
        clock: fn() -> u64,
        cache_budget: u64,
    ) -> Self {
        RegistrySource {
            session: RefCell::new(session),
            blobs,
            transport: RefCell::new(transport),
            clock,
            cache: RefCell::new(WindowCache {
                budget: cache_budget,
                ..WindowCache::default()
            }),
            last_end: Cell::new(None),
            stats: Cell::new(FetchStats::default()),
        }
    }

    pub fn stats(&self) -> FetchStats {
        self.stats.get()
    }

    pub fn blobs(&self) -> &VirtualBlobs {
        &self.blobs
    }

    /// The session, with whatever token it holds now.
    pub fn session(&self) -> RegistrySession {
        self.session.borrow().clone()
    }

    fn fetch_window(&self, offset: u64, asked: usize) -> Result<(u64, Vec<u8>), Error> {
        let (digest, within, left) = self.blobs.locate(offset).ok_or_else(|| Error::Invalid {
            what: "a registry read".into(),
            detail: format!("no layer blob at offset {offset}"),
        })?;
        let sequential = self.last_end.get() == Some(offset);
        let ahead = if sequential || (within == 0 && asked as u64 >= SMALL_WINDOW) {
            WINDOW
        } else {
            SMALL_WINDOW
        };
        let want = left.min((asked as u64).max(ahead)).max(1);
        let what = Fetch::Blob {
            digest: digest.clone(),
            range: Some((within, within + want - 1)),
        };
        let response = {
            let mut session = self.session.borrow_mut();
            let mut transport = self.transport.borrow_mut();
            fetch(&mut session, &what, (self.clock)(), &mut *transport)?
        };
        let body = if response.status == 206 {
            response.body
        } else {
            // A server that ignores Range sends the whole blob: keep the part asked for.
            let from = usize::try_from(within).unwrap_or(usize::MAX);
            let to = usize::try_from(within + want).unwrap_or(usize::MAX);
            response
                .body
                .get(from..to.min(response.body.len()))
                .unwrap_or(&[])
                .to_vec()
        };
        if body.is_empty() {
            return Err(Error::Registry {
                registry: self.session.borrow().reference.domain.clone(),
                status: response.status,
                detail: format!("no bytes of {digest} at offset {within}"),
            });
        }
        let mut stats = self.stats.get();
        stats.requests += 1;
        stats.bytes += body.len() as u64;
        self.stats.set(stats);
        self.last_end.set(Some(offset + body.len() as u64));
        Ok((offset, body))
    }
}

impl<T> ReadAt for RegistrySource<T>
where
    T: FnMut(&HttpRequest) -> Result<HttpResponse, Error>,
{
    fn len(&self) -> u64 {
        self.blobs.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if buf.is_empty() || offset >= self.blobs.len() {
            return Ok(0);
        }
        if let Some(n) = self.cache.borrow_mut().read(offset, buf) {
            let mut stats = self.stats.get();
            stats.cache_hits += 1;
            self.stats.set(stats);
            return Ok(n);
        }
        let (start, bytes) = self
            .fetch_window(offset, buf.len())
            .map_err(|e| SourceError(e.to_string()))?;
        let n = buf.len().min(bytes.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        self.cache.borrow_mut().insert(start, bytes);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Digest;
    use crate::registry::Reference;

    /// A registry in memory that honours Range and counts requests.
    fn blob_server(
        blobs: Vec<(Digest, Vec<u8>)>,
        log: Log,
    ) -> impl FnMut(&HttpRequest) -> Result<HttpResponse, Error> {
        move |r: &HttpRequest| {
            let range = r.header("Range").unwrap_or("").to_owned();
            log.borrow_mut().push((r.url.clone(), range.clone()));
            let (_, bytes) = blobs
                .iter()
                .find(|(d, _)| r.url.ends_with(&format!("/blobs/{d}")))
                .ok_or(Error::Network {
                    registry: "test".into(),
                    detail: "no such blob".into(),
                })?;
            let (a, b) = range
                .strip_prefix("bytes=")
                .and_then(|s| s.split_once('-'))
                .map(|(a, b)| {
                    (
                        a.parse::<usize>().unwrap_or(0),
                        b.parse::<usize>().unwrap_or(0),
                    )
                })
                .unwrap_or((0, bytes.len() - 1));
            Ok(HttpResponse {
                status: 206,
                headers: vec![],
                body: bytes[a..=b.min(bytes.len() - 1)].to_vec(),
            })
        }
    }

    type Log = std::rc::Rc<RefCell<Vec<(String, String)>>>;
    type TestTransport = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, Error>>;

    fn source(sizes: &[usize], budget: u64) -> (RegistrySource<TestTransport>, Vec<Vec<u8>>, Log) {
        let contents: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| (0..*n).map(|j| (j * 7 + i) as u8).collect())
            .collect();
        let blobs: Vec<(Digest, Vec<u8>)> = contents
            .iter()
            .map(|c| (Digest::sha256_of(c), c.clone()))
            .collect();
        let layout: Vec<(Digest, u64)> = blobs
            .iter()
            .map(|(d, b)| (d.clone(), b.len() as u64))
            .collect();
        let log = std::rc::Rc::new(RefCell::new(Vec::new()));
        let reference =
            Reference::parse("127.0.0.1:5000/t/image:1").unwrap_or_else(|e| panic!("{e}"));
        let session = RegistrySession::new(reference, "http://127.0.0.1:5000".into(), None);
        let s = RegistrySource::new(
            session,
            VirtualBlobs::new(&layout),
            Box::new(blob_server(blobs, log.clone())) as TestTransport,
            || 0,
            budget,
        );
        (s, contents, log)
    }

    #[test]
    fn reads_cross_blobs_and_match_the_bytes() {
        let (s, contents, _) = source(&[100_000, 3, 70_000], 1 << 30);
        let all: Vec<u8> = contents.concat();
        assert_eq!(s.len(), all.len() as u64);
        let mut got = Vec::new();
        let mut buf = vec![0u8; 10_000];
        while (got.len() as u64) < s.len() {
            let n = s.read_at(got.len() as u64, &mut buf).unwrap_or(0);
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, all);
    }

    #[test]
    fn small_random_reads_fetch_small_windows_and_sequential_reads_large_ones() {
        let (s, contents, log) = source(&[20 << 20], 1 << 30);
        let mut magic = [0u8; 4];
        assert_eq!(s.read_at(0, &mut magic).ok(), Some(4));
        assert_eq!(&magic, &contents[0][..4]);
        let mut trailer = [0u8; 4];
        assert_eq!(s.read_at((20 << 20) - 4, &mut trailer).ok(), Some(4));
        assert_eq!(log.borrow()[0].1, format!("bytes=0-{}", SMALL_WINDOW - 1));
        assert_eq!(
            log.borrow()[1].1,
            format!("bytes={}-{}", (20 << 20) - 4, (20 << 20) - 1)
        );
        // A scan from the start: the first 64 KiB are cached, then 8 MiB windows.
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0u64;
        while at < 20 << 20 {
            let n = s.read_at(at, &mut buf).unwrap_or(0) as u64;
            assert!(n > 0);
            at += n;
        }
        let requests = log.borrow().len();
        assert!(
            requests <= 2 + 1 + 3,
            "{requests} requests: {:?}",
            log.borrow()
        );
        assert!(s.stats().cache_hits > 0);
    }

    #[test]
    fn the_cache_stays_within_its_budget_and_serves_repeated_reads() {
        let (s, _, log) = source(&[1 << 20, 1 << 20], 128 << 10);
        let mut b = [0u8; 16];
        for offset in [0u64, 1 << 20, 0, 1 << 20] {
            s.read_at(offset, &mut b).ok();
        }
        // Two 64 KiB windows fit the budget: the repeats are hits.
        assert_eq!(log.borrow().len(), 2);
        s.read_at(500_000, &mut b).ok();
        s.read_at(0, &mut b).ok();
        assert_eq!(log.borrow().len(), 4, "the oldest window was evicted");
        assert!(s.cache.borrow().bytes <= 128 << 10);
    }
}
