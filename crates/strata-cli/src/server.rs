//! The HTTP server under `strata serve`: hyper's HTTP/1 over tokio, with the limits a server
//! that anything on the network may reach needs, and the routing between the static app
//! ([`crate::serve`]) and the registry proxy ([`crate::proxy`]).
//!
//! - Heads are bounded before they are parsed: request line and headers together at most
//!   `--max-header-bytes` (431), at most [`MAX_HEADERS`] headers (431), a request target at
//!   most [`MAX_URL_BYTES`] (414), all of the head within `--header-timeout` (hyper closes the
//!   connection; the same timer closes a keep-alive connection that sends nothing more).
//! - Connections: at most `--max-connections`, and `--max-connections-per-client` from one
//!   address; past either, a 503 and the connection closed. One request at a time on each
//!   (HTTP/1: a pipelined request waits in the bounded head buffer).
//! - Responses in flight: at most `--max-requests`, each counted until its body has ended (or
//!   the client left), not until its head is written — a slow body holds its place. Past it, 503.
//!   The proxy has its own, smaller, cap ([`crate::proxy::ProxyLimits::max_active`]).
//! - Time: a connection on which no byte moves either way for `--idle-timeout` is closed; one
//!   response, its body included, takes at most `--request-timeout`.
//! - Bodies stream with bounded memory whatever the client's HTTP version: hyper writes a body
//!   of unknown length chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 ones, and
//!   asks the body for more only once the socket took what it had.
//! - `Host` must name this server: the address it listens on (`localhost` too when that is a
//!   loopback or every address; any IP literal when it listens on every address: a DNS
//!   rebinding page sends a name, never an IP), or a `--public-host`. Else 403.
//! - SIGINT or SIGTERM: stop accepting, let each connection finish its response (keep-alive
//!   ones close), wait at most `--shutdown-grace`, exit 0.
//! - One log line per request: method, status and path, control characters escaped
//!   ([`crate::http::log_request`]).

use crate::http::{self, MAX_URL_BYTES, Permits, Response, Tracked};
use crate::proxy::{Policy, Proxy, ProxyLimits, split_authority};
use crate::serve::{App, content_security_policy};
use anyhow::{Context, Result};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Most request headers accepted (hyper answers 431 past it).
pub const MAX_HEADERS: usize = 64;
/// Connections past a cap that still get a 503 written, at once (the rest are just closed).
const MAX_TURNED_AWAY: usize = 64;

/// Everything `strata serve` was told.
#[derive(Debug)]
pub struct ServeOptions {
    pub addr: String,
    pub dist: PathBuf,
    /// `--allow-registry HOST[:PORT]`: private hosts the proxy may reach.
    pub allow_registry: Vec<String>,
    /// `--direct-registry HOST[:PORT]`: plain-HTTP registries the page may ask directly.
    pub direct_registry: Vec<String>,
    /// `--public-host NAME[:PORT]`: names this server is reached by besides its address.
    pub public_host: Vec<String>,
    pub proxy: ProxyLimits,
    pub limits: ServerLimits,
}

/// The server's own limits (the proxy's are [`ProxyLimits`]).
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub max_requests: usize,
    pub max_header_bytes: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 512,
            max_connections_per_client: 128,
            max_requests: 256,
            max_header_bytes: 16 << 10,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What every connection shares.
struct Shared {
    app: Arc<App>,
    proxy: Proxy,
    hosts: Hosts,
    limits: ServerLimits,
    requests: Arc<Semaphore>,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(options: ServeOptions) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(16)
        .thread_name("strata-serve")
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let grace = options.limits.shutdown_grace;
    let result = runtime.block_on(serve(options));
    // Whatever is still running after the grace period is cut.
    runtime.shutdown_timeout(grace);
    result
}

async fn serve(options: ServeOptions) -> Result<()> {
    let limits = options.limits;
    anyhow::ensure!(
        limits.max_header_bytes >= 8192,
        "--max-header-bytes {}: must be at least 8192",
        limits.max_header_bytes
    );
    let policy = Policy::new(&options.allow_registry)?;
    let mut plain_http: Vec<(String, Option<u16>)> = policy.allowed().to_vec();
    for d in &options.direct_registry {
        let parsed = split_authority(d)
            .ok_or_else(|| anyhow::anyhow!("--direct-registry {d}: expected HOST or HOST:PORT"))?;
        plain_http.push(parsed);
    }
    let mut public = Vec::new();
    for p in &options.public_host {
        let parsed = split_authority(p)
            .ok_or_else(|| anyhow::anyhow!("--public-host {p}: expected NAME or NAME:PORT"))?;
        public.push(parsed);
    }
    let app = Arc::new(App::new(
        &options.dist,
        content_security_policy(&plain_http),
    )?);
    let listener = TcpListener::bind(&options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let bound = listener
        .local_addr()
        .context("the listening socket has no address")?;
    let proxy = Proxy::new(policy, bound, options.proxy)?;
    println!(
        "strata serve: http://{bound}/ serving {}",
        app.dist().display()
    );
    std::io::stdout().flush()?;
    for a in &options.allow_registry {
        eprintln!("strata serve: the registry proxy may reach {a}");
    }
    let shared = Arc::new(Shared {
        app,
        proxy,
        hosts: Hosts { bound, public },
        limits,
        requests: Arc::new(Semaphore::new(limits.max_requests.max(1))),
    });
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let turned_away = Arc::new(Semaphore::new(MAX_TURNED_AWAY));
    let per_client: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(64 << 10))
        .max_headers(MAX_HEADERS);
    let graceful = GracefulShutdown::new();
    let mut stop = Box::pin(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, most likely: wait, do not spin.
                    eprintln!("strata serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            signal = &mut stop => {
                eprintln!("strata serve: {signal}: finishing the answers under way (at most {} s)", limits.shutdown_grace.as_secs());
                break;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = Arc::clone(&connections).try_acquire_owned() else {
            turn_away(
                stream,
                &turned_away,
                "too many connections (--max-connections)",
            );
            continue;
        };
        let Some(client_slot) =
            ClientSlot::take(&per_client, peer.ip(), limits.max_connections_per_client)
        else {
            turn_away(
                stream,
                &turned_away,
                "too many connections from this address (--max-connections-per-client)",
            );
            continue;
        };
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let shared = Arc::clone(&shared);
        let service = service_fn(move |request: Request<Incoming>| {
            let shared = Arc::clone(&shared);
            async move { Ok::<_, std::convert::Infallible>(route(&shared, request).await) }
        });
        let connection = graceful.watch(builder.serve_connection(io, service));
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            let _slots = (slot, client_slot);
            tokio::select! {
                result = connection => {
                    if let Err(e) = result
                        && !e.is_incomplete_message()
                    {
                        // hyper's own words: no request bytes in them.
                        eprintln!("strata serve: a connection from {} ended: {e}", peer.ip());
                    }
                }
                () = activity.idle_for(idle) => {}
            }
        });
    }
    // No new connection from here on (not even into the backlog).
    drop(listener);
    match tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => eprintln!("strata serve: stopped"),
        Err(_) => eprintln!(
            "strata serve: stopped; answers still under way after {} s were cut",
            limits.shutdown_grace.as_secs()
        ),
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, naming which.
async fn shutdown_signal() -> &'static str {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        () = terminate => "SIGTERM",
    }
}

/// Answers a connection over a cap with a 503 (reading what the client sent first, briefly,
/// so that the answer is not lost to a reset) and closes it.
fn turn_away(mut stream: TcpStream, budget: &Arc<Semaphore>, why: &'static str) {
    if let Ok(peer) = stream.peer_addr() {
        eprintln!("strata serve: 503 a connection from {}: {why}", peer.ip());
    }
    let Ok(permit) = Arc::clone(budget).try_acquire_owned() else {
        return; // dropped: closed at once
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut buf = [0u8; 4096];
        let _ = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
        )
        .await;
        let body = format!("strata serve: {why}; retry\n");
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        })
        .await;
    });
}

/// One request: the checks every request passes, then the proxy or the app, then the log line.
async fn route(shared: &Shared, request: Request<Incoming>) -> Response {
    let started = Instant::now();
    let (parts, _body) = request.into_parts(); // a GET or HEAD carries no body; none is read
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let path = target.split('?').next().unwrap_or("").to_owned();
    let is_proxy = path == "/proxy" || path.starts_with("/proxy/");
    let refusal = |status: StatusCode, why: &str| {
        let mut r = http::text(status, why);
        let policy = if is_proxy {
            http::SANDBOX_POLICY
        } else {
            // Not the app's page: nothing in it needs more.
            "default-src 'none'; frame-ancestors 'none'"
        };
        http::security_headers(r.headers_mut(), policy);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            http::set(r.headers_mut(), "retry-after", "1");
        }
        r
    };
    let response = if target.len() > MAX_URL_BYTES {
        refusal(StatusCode::URI_TOO_LONG, "request target too long")
    } else if !shared.hosts.allows(&parts) {
        refusal(
            StatusCode::FORBIDDEN,
            "the Host header does not name this server (open Strata at the address strata serve \
printed, or start it with --public-host NAME)",
        )
    } else {
        match Arc::clone(&shared.requests).try_acquire_owned() {
            Err(_) => refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many answers under way (--max-requests); retry",
            ),
            Ok(permit) => {
                let response = if is_proxy {
                    shared
                        .proxy
                        .handle(&parts.method, &target, &parts.headers)
                        .await
                } else {
                    shared
                        .app
                        .handle(&parts.method, &target, &parts.headers)
                        .await
                };
                let (head, body) = response.into_parts();
                let seconds = shared.limits.request_timeout.as_secs();
                let body = Tracked::wrap(
                    body,
                    started + shared.limits.request_timeout,
                    seconds,
                    Permits::of(vec![permit]),
                );
                hyper::Response::from_parts(head, body)
            }
        }
    };
    http::log_request(&parts.method, response.status(), &path);
    response
}

/// The names this server answers to.
struct Hosts {
    bound: SocketAddr,
    /// `--public-host` (name, port or any).
    public: Vec<(String, Option<u16>)>,
}

impl Hosts {
    /// Whether the request's `Host` (and an absolute-form target's authority) names this server.
    fn allows(&self, parts: &hyper::http::request::Parts) -> bool {
        let Some(host) = http::header(&parts.headers, "host") else {
            return false;
        };
        if parts.headers.get_all("host").iter().count() > 1 {
            return false;
        }
        if let Some(authority) = parts.uri.authority()
            && !authority.as_str().eq_ignore_ascii_case(host)
        {
            return false;
        }
        self.names(host)
    }

    fn names(&self, host: &str) -> bool {
        let Some((name, port)) = split_authority(host) else {
            return false;
        };
        if self
            .public
            .iter()
            .any(|(n, p)| *n == name && p.is_none_or(|p| Some(p) == port))
        {
            return true;
        }
        if port.unwrap_or(80) != self.bound.port() {
            return false;
        }
        let bound_ip = self.bound.ip();
        let literal: Option<IpAddr> = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok();
        match literal {
            Some(ip) => ip == bound_ip || bound_ip.is_unspecified(),
            None => name == "localhost" && (bound_ip.is_loopback() || bound_ip.is_unspecified()),
        }
    }
}

/// A connection's place under `--max-connections-per-client`, given back on drop.
struct ClientSlot {
    table: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl ClientSlot {
    fn take(
        table: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        max: usize,
    ) -> Option<ClientSlot> {
        let mut t = table.lock().ok()?;
        let n = t.entry(ip).or_insert(0);
        if *n >= max.max(1) {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut t) = self.table.lock()
            && let Some(n) = t.get_mut(&self.ip)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(&self.ip);
            }
        }
    }
}

/// When a byte last moved on a connection, either way.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A socket that records activity.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_this_server_only() {
        let sa = |s: &str| -> SocketAddr { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        let loopback = Hosts {
            bound: sa("127.0.0.1:8080"),
            public: vec![
                ("strata.example".into(), None),
                ("other.example".into(), Some(443)),
            ],
        };
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "strata.example",
            "strata.example:8443",
            "other.example:443",
        ] {
            assert!(loopback.names(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1:8081",
            "127.0.0.1",
            "127.0.0.2:8080",
            "2130706433:8080",
            "[::1]:8080",
            "localhost.:8080",
            "other.example",
            "",
            "127.0.0.1:8080@evil",
        ] {
            assert!(!loopback.names(bad), "{bad}");
        }
        let every = Hosts {
            bound: sa("0.0.0.0:80"),
            public: vec![],
        };
        assert!(every.names("192.168.1.20"));
        assert!(every.names("localhost"));
        assert!(every.names("[fe80::1]:80"));
        assert!(!every.names("rebind.evil.example"));
        assert!(!every.names("192.168.1.20:8080"));
    }
}
