//! `strata serve` probed as an attacker would (issue 19), each test inside a network namespace
//! of its own with only loopback (see `common::serve::netns`): scripted registries play hostile
//! upstreams, canary listeners on loopback aliases (127.0.0.2, 127.0.0.3, ::1…) must see no
//! connection, and `/proc/<pid>/status` tells the server's peak memory and threads.
//!
//! One test per point of the issue, numbered like it: bodies streamed with bounded memory
//! (1), the cap counting bodies until they end (2), upstream framing (3), content types (4),
//! addresses (5), paths (6), head limits (7), redirects, realms and self-calls (8), log lines
//! (9), and the smaller ones (10); then the timeouts and the graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::serve::{Reply, Serve, netns, read_head, request, status_of};
use socket2::{Domain, Socket, Type};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a scripted upstream does with a request: (path, head) and the socket to answer on.
type Script = Arc<dyn Fn(&str, &str, &mut TcpStream) + Send + Sync>;

/// A scripted registry that records the request heads it was sent.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    fn start(bind: &str, script: Script) -> Upstream {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (log, script) = (Arc::clone(&log), Arc::clone(&script));
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    // Keep-alive: answer every request on the connection.
                    loop {
                        let mut head = String::new();
                        loop {
                            let mut line = String::new();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            head.push_str(&line);
                        }
                        log.lock().unwrap().push(head.clone());
                        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                        script(&path, &head, &mut stream);
                    }
                });
            }
        });
        Upstream { addr, seen }
    }

    fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.split_whitespace().nth(1).unwrap_or("").to_owned())
            .collect()
    }

    fn allow(&self) -> String {
        self.addr.to_string()
    }
}

/// A complete answer with a length.
fn answer(s: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(body);
}

/// A listener that must never be reached: it counts connections.
struct Canary {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Canary {
    fn on(addr: SocketAddr) -> Option<Canary> {
        let listener = TcpListener::bind(addr).ok()?;
        let hits = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&hits);
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                drop(s);
            }
        });
        Some(Canary { addr, hits })
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Canaries on one port of several loopback addresses; checked to work, then reset.
fn canaries() -> (u16, Vec<Canary>) {
    for _ in 0..20 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut all = Vec::new();
        let mut ok = true;
        for ip in ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.255.255.254"] {
            match Canary::on(SocketAddr::new(ip.parse().unwrap(), port)) {
                Some(c) => all.push(c),
                None => ok = false,
            }
        }
        if !ok {
            continue;
        }
        match Canary::on(SocketAddr::new("::1".parse().unwrap(), port)) {
            Some(c) => all.push(c),
            None => println!("note: no IPv6 loopback here; no canary on [::1]"),
        }
        // Each canary really listens: a direct connection counts.
        for c in &all {
            drop(TcpStream::connect_timeout(&c.addr, Duration::from_secs(2)).unwrap());
        }
        let started = Instant::now();
        while all.iter().any(|c| c.hits() == 0) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        for c in &all {
            assert_eq!(c.hits(), 1, "canary {} does not count", c.addr);
            c.hits.store(0, Ordering::SeqCst);
        }
        return (port, all);
    }
    panic!("no port free on every loopback address");
}

#[track_caller]
fn assert_no_canary_hit(canaries: &[Canary]) {
    for c in canaries {
        assert_eq!(c.hits(), 0, "something connected to the canary {}", c.addr);
    }
}

/// A client connection from a chosen loopback address (another client than 127.0.0.1).
fn connect_from(src: &str, dst: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let src: SocketAddr = format!("{src}:0").parse().unwrap();
    socket.bind(&src.into()).unwrap();
    socket.connect(&dst.into()).unwrap();
    let s: TcpStream = socket.into();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// `GET /` from another loopback address: status and how long it took.
fn app_answers_from(src: &str, serve: &Serve) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = connect_from(src, serve.addr);
    s.write_all(request(serve.addr, "GET", "/", &[]).as_bytes())
        .unwrap();
    let (head, _) = read_head(&mut s);
    (status_of(&head), started.elapsed())
}

/// Waits until the server has no open connection from `client` (as `/proc/net/tcp` of this
/// namespace shows it: no socket on the server's port to that address that is established or
/// waiting to close), then a little more for the connection's task to give its place back.
fn wait_closed(serve: &Serve, client: &str) {
    let ip: std::net::Ipv4Addr = client.parse().unwrap();
    let hex = |ip: std::net::Ipv4Addr| format!("{:08X}", u32::from_le_bytes(ip.octets()));
    let local = format!(
        "{}:{:04X}",
        hex("127.0.0.1".parse().unwrap()),
        serve.addr.port()
    );
    let started = Instant::now();
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        let open = table.lines().skip(1).any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3
                && f[1] == local
                && f[2].starts_with(&hex(ip))
                && (f[3] == "01" || f[3] == "08")
        });
        if !open {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{client} stays connected"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
}

fn digest(name: &str) -> String {
    format!("sha256:{name}")
}

/// Reads and counts a body to its end; returns (bytes, whether it was chunked).
fn drain(s: &mut TcpStream, mut already: Vec<u8>, chunked: bool) -> u64 {
    let mut buf = vec![0u8; 1 << 16];
    if !chunked {
        let mut n = already.len() as u64;
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return n,
                Ok(k) => n += k as u64,
            }
        }
    }
    // Chunked: parse sizes as they come.
    let mut total = 0u64;
    loop {
        while let Some(i) = already.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&already[..i]).to_string();
            let size = u64::from_str_radix(line.trim(), 16).unwrap_or(0);
            if size == 0 {
                return total;
            }
            let need = i + 2 + size as usize + 2;
            while already.len() < need {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => return total,
                    Ok(k) => already.extend_from_slice(&buf[..k]),
                }
            }
            total += size;
            already.drain(..need);
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return total,
            Ok(k) => already.extend_from_slice(&buf[..k]),
        }
    }
}

const BIG: u64 = 300_000_000;

/// A request's status, and its connection while its body streams.
type Started = (u16, Option<TcpStream>);

/// Writes `BIG` bytes of zeros after `head`.
fn big_body(s: &mut TcpStream, head: &str) {
    let _ = s.write_all(head.as_bytes());
    let chunk = vec![0u8; 1 << 16];
    let mut left = BIG;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        if s.write_all(&chunk[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
}

#[test]
fn point_01_a_300_mb_body_streams_to_http_1_0_and_te_identity_clients_in_bounded_memory() {
    if !netns::inside(
        "point_01_a_300_mb_body_streams_to_http_1_0_and_te_identity_clients_in_bounded_memory",
    ) {
        return;
    }
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|path, _, s| match path {
            "/v2/x/blobs/sha256:with-length" => {
                big_body(
                    s,
                    &format!("HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n"),
                );
            }
            "/v2/x/blobs/sha256:until-close" => {
                big_body(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            _ => answer(s, 404, &[], b"{}"),
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let base = serve.proc_status("VmRSS");
    let resettable = serve.reset_peak();
    for (version, blob, te, want_chunked) in [
        ("HTTP/1.0", "with-length", None, false),
        ("HTTP/1.0", "until-close", None, false),
        ("HTTP/1.1", "until-close", Some("identity"), true),
    ] {
        let started = Instant::now();
        let mut s = serve.connect();
        let mut req = format!(
            "GET /proxy/http/{}/v2/x/blobs/{} {version}\r\nHost: {}\r\n",
            up.allow(),
            digest(blob),
            serve.addr
        );
        if let Some(te) = te {
            req.push_str(&format!("TE: {te}\r\nConnection: close\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let (head, rest) = read_head(&mut s);
        assert_eq!(status_of(&head), 200, "{version} {blob}: {head}");
        let lower = head.to_ascii_lowercase();
        let chunked = lower.contains("transfer-encoding: chunked");
        assert_eq!(chunked, want_chunked, "{version} {blob}: {head}");
        if version == "HTTP/1.0" {
            assert!(!lower.contains("transfer-encoding"), "{head}");
            if blob == "with-length" {
                assert!(lower.contains(&format!("content-length: {BIG}")), "{head}");
            }
        }
        let n = drain(&mut s, rest, chunked);
        assert_eq!(n, BIG, "{version} {blob}: the body came whole");
        let peak_kib = serve.proc_status("VmHWM");
        println!(
            "{version} {blob} (TE {te:?}): {BIG} bytes in {:.1} s; server peak RSS {} KiB (RSS at start {base} KiB{})",
            started.elapsed().as_secs_f64(),
            peak_kib,
            if resettable {
                ", peak reset before"
            } else {
                ""
            }
        );
        assert!(
            peak_kib < 64 * 1024,
            "{version} {blob}: the server's peak RSS is {peak_kib} KiB (limit 64 MiB): the body was buffered"
        );
    }
}

#[test]
fn point_02_the_proxy_cap_counts_bodies_until_they_end_and_the_app_still_answers() {
    if !netns::inside(
        "point_02_the_proxy_cap_counts_bodies_until_they_end_and_the_app_still_answers",
    ) {
        return;
    }
    // A registry that sends one byte a second, up to 60.
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|path, _, s| {
            if path == "/v2/x/blobs/sha256:slow" {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n");
                for _ in 0..60 {
                    if s.write_all(b"z").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            } else {
                answer(s, 404, &[], b"{}");
            }
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow(), "--max-proxied", "16"]);
    let path = format!("/proxy/http/{}/v2/x/blobs/{}", up.allow(), digest("slow"));
    let results: Arc<Mutex<Vec<Started>>> = Arc::default();
    let mut handles = Vec::new();
    for _ in 0..30 {
        let (addr, path, results) = (serve.addr, path.clone(), Arc::clone(&results));
        handles.push(std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            s.write_all(request(addr, "GET", &path, &[]).as_bytes())
                .unwrap();
            let (head, _) = read_head(&mut s);
            let status = status_of(&head);
            // Keep the streaming ones open: their bodies go on.
            results
                .lock()
                .unwrap()
                .push((status, (status == 200).then_some(s)));
        }));
        std::thread::sleep(Duration::from_millis(50));
    }
    // While up to 16 bodies trickle and 14 requests wait for a place, the app answers.
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let (status, took) = app_answers_from("127.0.0.9", &serve);
        assert_eq!(status, 200);
        slowest = slowest.max(took);
        std::thread::sleep(Duration::from_millis(200));
    }
    for h in handles {
        h.join().unwrap();
    }
    let statuses: Vec<u16> = results.lock().unwrap().iter().map(|r| r.0).collect();
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let busy = statuses.iter().filter(|&&s| s == 503).count();
    println!(
        "30 slow bodies: {ok} streaming, {busy} got 503; GET / took at most {} ms meanwhile",
        slowest.as_millis()
    );
    assert_eq!((ok, busy), (16, 14), "{statuses:?}");
    assert!(slowest < Duration::from_secs(1), "GET / took {slowest:?}");
    // Still streaming, still counted: one more waits and gets 503.
    let (status, took) = {
        let started = Instant::now();
        (serve.get(&path).status, started.elapsed())
    };
    assert_eq!(status, 503, "a 17th body while 16 stream");
    assert!(
        took >= Duration::from_millis(900),
        "it waited for a place: {took:?}"
    );
    // The clients leave: their places come back.
    results.lock().unwrap().clear();
    let started = Instant::now();
    loop {
        let mut s = serve.connect();
        s.write_all(request(serve.addr, "GET", &path, &[]).as_bytes())
            .unwrap();
        let (head, _) = read_head(&mut s);
        if status_of(&head) == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the places of closed bodies did not come back"
        );
    }
    // --max-requests counts every answer the same way.
    let small = Serve::start(&["--allow-registry", &up.allow(), "--max-requests", "3"]);
    let streams: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = small.connect();
            s.write_all(request(small.addr, "GET", &path, &[]).as_bytes())
                .unwrap();
            let (head, _) = read_head(&mut s);
            assert_eq!(status_of(&head), 200);
            s
        })
        .collect();
    assert_eq!(
        small.get("/").status,
        503,
        "a 4th answer while 3 bodies stream"
    );
    drop(streams);
}

#[test]
fn point_03_upstream_framing_is_refused_or_rewritten_never_passed_on() {
    if !netns::inside("point_03_upstream_framing_is_refused_or_rewritten_never_passed_on") {
        return;
    }
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|path, _, s| {
            let raw: &[u8] = match path {
                // The length covers the first chunk; the rest is a second response.
                "/v2/x/manifests/cl-and-te" => b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 21\r\n\r\n<script>evil</script>",
                "/v2/x/manifests/te-and-cl" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "/v2/x/manifests/two-lengths" => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                "/v2/x/manifests/te-gzip" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                "/v2/x/manifests/te-identity" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nConnection: close\r\n\r\nhello",
                "/v2/x/manifests/bad-length" => b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
                "/v2/x/manifests/hop-by-hop" => b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 2\r\nConnection: keep-alive, X-Evil\r\nKeep-Alive: timeout=1\r\nX-Evil: 1\r\nTrailer: X-T\r\nUpgrade: h2c\r\nSet-Cookie: a=b\r\nProxy-Authenticate: Basic\r\nStrict-Transport-Security: max-age=1\r\nDocker-Content-Digest: sha256:abc\r\n\r\n{}",
                "/v2/x/blobs/sha256:chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n4\r\nBLOB\r\n0\r\nX-T: 1\r\n\r\n",
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            };
            let _ = s.write_all(raw);
            let _ = s.shutdown(std::net::Shutdown::Both);
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    for tag in [
        "cl-and-te",
        "te-and-cl",
        "two-lengths",
        "te-gzip",
        "te-identity",
        "bad-length",
    ] {
        let r = serve.get(&url(&format!("/v2/x/manifests/{tag}")));
        assert_eq!(r.status, 502, "{tag}: {}", r.head);
        let whole = format!("{}\r\n\r\n{}", r.head, String::from_utf8_lossy(&r.body));
        assert_eq!(
            whole.matches("HTTP/1.").count(),
            1,
            "{tag}: a second response:\n{whole}"
        );
        assert!(
            !whole.contains("<script>") && !whole.contains("hello"),
            "{tag}: {whole}"
        );
    }
    // Hop-by-hop and other headers stay behind; the length is the proxy's own.
    let r = serve.get(&url("/v2/x/manifests/hop-by-hop"));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"{}".as_slice()),
        "{}",
        r.head
    );
    let lower = r.head.to_ascii_lowercase();
    for h in [
        "keep-alive",
        "x-evil",
        "trailer",
        "upgrade",
        "set-cookie",
        "proxy-authenticate",
        "strict-transport-security",
        "transfer-encoding",
    ] {
        assert!(
            !lower.contains(&format!("\r\n{h}:")),
            "{h} was passed on:\n{}",
            r.head
        );
    }
    assert_eq!(r.header("content-length").as_deref(), Some("2"));
    assert_eq!(
        r.header("docker-content-digest").as_deref(),
        Some("sha256:abc")
    );
    // A chunked body is re-framed (to an HTTP/1.0 client: until close), trailers dropped.
    let r = serve.raw(
        format!(
            "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n",
            url("/v2/x/blobs/sha256:chunked"),
            serve.addr
        )
        .as_bytes(),
    );
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"BLOB".as_slice()),
        "{}",
        r.head
    );
    assert!(!r.head.to_ascii_lowercase().contains("x-t"), "{}", r.head);
}

#[test]
fn point_03b_a_kept_alive_connection_the_registry_closed_is_asked_again() {
    if !netns::inside("point_03b_a_kept_alive_connection_the_registry_closed_is_asked_again") {
        return;
    }
    // The registry keeps the first connection alive, then closes it on the next request
    // without an answer (as one does when its idle timeout and the reuse cross): the GET is
    // asked again on a new connection, never turned into a 502.
    let closed = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&closed);
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(move |path, _, s| match path {
            "/v2/x/manifests/second" if count.fetch_add(1, Ordering::SeqCst) == 0 => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            _ => answer(s, 200, &[("Content-Type", "application/json")], b"{}"),
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    for tag in ["first", "second"] {
        let r = serve.get(&url(&format!("/v2/x/manifests/{tag}")));
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"{}".as_slice()),
            "{tag}: {}",
            r.head
        );
    }
    assert_eq!(
        up.paths(),
        [
            "/v2/x/manifests/first",
            "/v2/x/manifests/second",
            "/v2/x/manifests/second"
        ]
    );
}

#[test]
fn point_04_the_proxy_chooses_the_content_type_and_sandboxes_every_answer() {
    if !netns::inside("point_04_the_proxy_chooses_the_content_type_and_sandboxes_every_answer") {
        return;
    }
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|path, _, s| {
            let html = [("Content-Type", "text/html; charset=utf-8")];
            let js = [("Content-Type", "text/javascript")];
            let oci = [("Content-Type", "application/vnd.oci.image.manifest.v1+json")];
            let body = b"<script>alert(1)</script>";
            match path {
                "/v2/x/manifests/html" => answer(s, 200, &html, body),
                "/v2/x/manifests/oci" => answer(s, 200, &oci, b"{}"),
                "/v2/x/blobs/sha256:html" => answer(s, 200, &html, body),
                "/v2/x/blobs/sha256:js" => answer(s, 200, &js, body),
                "/v2/x/tags/list" => answer(s, 200, &html, body),
                "/v2/" => answer(s, 200, &js, b"{}"),
                _ => answer(s, 404, &html, body),
            }
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    for (path, status, ct, attachment) in [
        (
            "/v2/x/manifests/html",
            200,
            "application/octet-stream",
            false,
        ),
        (
            "/v2/x/manifests/oci",
            200,
            "application/vnd.oci.image.manifest.v1+json",
            false,
        ),
        (
            "/v2/x/blobs/sha256:html",
            200,
            "application/octet-stream",
            true,
        ),
        (
            "/v2/x/blobs/sha256:js",
            200,
            "application/octet-stream",
            true,
        ),
        (
            "/v2/x/blobs/sha256:missing",
            404,
            "application/octet-stream",
            true,
        ),
        ("/v2/x/tags/list", 200, "application/json", false),
        ("/v2/", 200, "application/json", false),
        (
            "/v2/x/manifests/missing",
            404,
            "application/octet-stream",
            false,
        ),
    ] {
        let r = serve.get(&url(path));
        assert_eq!(r.status, status, "{path}: {}", r.head);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some(ct),
            "{path}: {}",
            r.head
        );
        assert_eq!(
            r.header("content-disposition").as_deref() == Some("attachment"),
            attachment,
            "{path}: {}",
            r.head
        );
        sandboxed(&r, path);
    }
    // Refusals too, and the probe.
    for path in [
        "/proxy",
        &url("/admin"),
        &url("/v2/..;/x"),
        "/proxy/https/127.0.0.1/v2/",
    ] {
        let r = serve.get(path);
        sandboxed(&r, path);
    }
    // The app's own policy admits scripts from this origin only; nothing the proxy sends can
    // run as one (nosniff + a type that is no script).
}

#[track_caller]
fn sandboxed(r: &Reply, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(csp.starts_with("sandbox"), "{what}: CSP {csp:?}");
    assert!(csp.contains("default-src 'none'"), "{what}: CSP {csp:?}");
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
}

#[test]
fn point_05_special_purpose_addresses_and_embedded_ipv4_are_refused_before_any_connection() {
    if !netns::inside(
        "point_05_special_purpose_addresses_and_embedded_ipv4_are_refused_before_any_connection",
    ) {
        return;
    }
    let (port, canaries) = canaries();
    let serve = Serve::start(&[]);
    // Each names a canary (127.0.0.2 is 7f00:0002) or a special-purpose range; none is allowed.
    let hosts = [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
        "127.255.255.254",
        "localhost",
        "[::1]",
        "[::127.0.0.2]",
        "[::7f00:2]",
        "[::ffff:127.0.0.2]",
        "[::ffff:7f00:2]",
        "[::ffff:0:127.0.0.2]",
        "[64:ff9b::127.0.0.2]",
        "[64:ff9b::7f00:2]",
        "[64:ff9b:1::7f00:2]",
        "[64:ff9b:1:ffff::7f00:2]",
        "[2002:7f00:2::]",
        "[2002:7f00:2::1]",
        "[2001:0:808:808::80ff:fffd]",
        "[2001:0:7f00:2::]",
        "[2606:4700::5efe:7f00:2]",
        "[2606:4700::200:5efe:7f00:2]",
        "0.0.0.0",
        "[::]",
        "[::ffff:0.0.0.0]",
        "198.18.0.1",
        "198.19.255.254",
        "100.64.0.1",
        "192.0.0.1",
        "192.0.0.170",
        "240.0.0.1",
        "255.255.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "192.0.2.1",
        "198.51.100.1",
        "203.0.113.1",
        "192.88.99.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "[2001:db8::1]",
        "[3fff::1]",
        "[fd00::1]",
        "[fe80::1]",
        "[fec0::1]",
        "[ff02::1]",
        "[100::1]",
        "[2001:2::1]",
        "[5f00::1]",
        "[64:ff9b::c612:1]",
        "[2002:c612:1::]",
        "[::ffff:198.18.0.1]",
    ];
    for host in hosts {
        for scheme in ["https", "http"] {
            let path = format!("/proxy/{scheme}/{host}:{port}/v2/");
            let r = serve.get(&path);
            assert_eq!(
                r.status,
                403,
                "{path}: {}\n{}",
                r.head,
                String::from_utf8_lossy(&r.body)
            );
        }
    }
    // Names that resolvers read as an IPv4 address are no host names at all.
    for host in [
        "2130706434",
        "0x7f000002",
        "0177.0.0.2",
        "127.2",
        "127.0.0.02",
        "017700000002",
    ] {
        let r = serve.get(&format!("/proxy/https/{host}:{port}/v2/"));
        assert_eq!(r.status, 400, "{host}: {}", r.head);
    }
    assert_no_canary_hit(&canaries);
}

#[test]
fn point_06_only_the_api_grammar_reaches_the_registry() {
    if !netns::inside("point_06_only_the_api_grammar_reaches_the_registry") {
        return;
    }
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|_, _, s| answer(s, 200, &[], b"{}")),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    let d = format!("sha256:{}", "ab".repeat(32));
    for bad in [
        "/v2/..;/admin",
        "/v2/x/..;/manifests/1",
        "/v2/x;a=b/manifests/1",
        "/v2/x/manifests/1;x",
        "/v2/%2e%2e/admin",
        "/v2/%2E%2E/admin",
        "/v2/%252e%252e/admin",
        "/v2/%25252e/admin",
        "/v2/a%2fb/manifests/1",
        "/v2/a%2Fb/manifests/1",
        "/v2/a%252fb/manifests/1",
        "/v2/a%5cb/manifests/1",
        "/v2/a%255cb/manifests/1",
        "/v2/x/manifests/%31",
        "/v2/x/manifests/..",
        "/v2/x/manifests/.",
        "/v2/./x/manifests/1",
        "/v2//x/manifests/1",
        "/v2/x/blobs/sha256:ab/../../admin",
        "/admin",
        "/admin/secret",
        "/v2/_catalog",
        "/v2/x/blobs/uploads/",
        "/v2/X/manifests/1",
        "/v2/x/manifests/-1",
        "/v2/x/blobs/ab",
        "/v2/x/tags/list?n=1&evil=1",
        "/v2/x/manifests/1?x=1",
        "/v2",
        "/v2/x",
        "/token",
        "/v2/x/manifests/1\\..\\admin",
    ] {
        let r = serve.get(&url(bad));
        assert!(r.status == 400 || r.status == 403, "{bad}: {}", r.head);
    }
    assert_eq!(
        up.paths(),
        Vec::<String>::new(),
        "refused paths reached the registry"
    );
    let good = [
        "/v2/".to_owned(),
        "/v2/library/nginx/manifests/1.27".to_owned(),
        format!("/v2/a/b-c/d__e/manifests/{d}"),
        format!("/v2/x/blobs/{d}"),
        "/v2/x/tags/list?n=10&last=v1.0".to_owned(),
        format!("/v2/x/referrers/{d}?artifactType=application%2Fvnd.example"),
    ];
    for g in &good {
        let r = serve.get(&url(g));
        assert_eq!(r.status, 200, "{g}: {}", r.head);
    }
    assert_eq!(
        up.paths(),
        good.to_vec(),
        "the registry saw exactly the API requests, as sent"
    );
}

#[test]
fn point_07_heads_are_bounded_before_parsing_and_half_sent_requests_cost_no_thread() {
    if !netns::inside(
        "point_07_heads_are_bounded_before_parsing_and_half_sent_requests_cost_no_thread",
    ) {
        return;
    }
    let serve = Serve::start(&[
        "--header-timeout",
        "3",
        "--max-connections-per-client",
        "400",
    ]);
    // A request line over the head limit (16 KiB), one over the target limit (4 KiB).
    let r = serve.raw(
        format!(
            "GET /{} HTTP/1.1\r\nHost: {}\r\n\r\n",
            "a".repeat(20_000),
            serve.addr
        )
        .as_bytes(),
    );
    assert!(r.status == 431 || r.status == 414, "{}", r.head);
    let r = serve.raw(
        format!(
            "GET /{} HTTP/1.1\r\nHost: {}\r\n\r\n",
            "a".repeat(5_000),
            serve.addr
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 414, "{}", r.head);
    // Too many headers.
    let many: String = (0..100).map(|i| format!("X-{i}: 1\r\n")).collect();
    let r = serve.raw(format!("GET / HTTP/1.1\r\nHost: {}\r\n{many}\r\n", serve.addr).as_bytes());
    assert_eq!(r.status, 431, "{}", r.head);
    // A 64 MiB header line without a line end: answered and closed after 16 KiB.
    let rss_before = serve.proc_status("VmRSS");
    serve.reset_peak();
    let mut s = serve.connect();
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Big: ", serve.addr).as_bytes())
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0usize;
    for _ in 0..64 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let (head, _) = read_head(&mut s);
    assert_eq!(status_of(&head), 431, "{head}");
    let peak = serve.proc_status("VmHWM");
    println!(
        "64 MiB header line: closed after {} MiB were written; RSS {rss_before} KiB before, peak {peak} KiB",
        sent >> 20
    );
    assert!(
        sent < 64 << 20,
        "the server read all of a 64 MiB header line"
    );
    assert!(
        peak < rss_before + 16 * 1024,
        "peak {peak} KiB against {rss_before} KiB before"
    );
    // 300 half-sent requests: tasks, not threads; the header timeout closes them.
    let threads_before = serve.proc_status("Threads");
    let rss_before = serve.proc_status("VmRSS");
    let half: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = serve.connect();
            s.write_all(format!("GET / HTTP/1.1\r\nHost: {}\r\nX-A: ", serve.addr).as_bytes())
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let threads = serve.proc_status("Threads");
    let rss = serve.proc_status("VmRSS");
    println!(
        "300 half-sent requests: threads {threads_before} -> {threads}, RSS {rss_before} -> {rss} KiB"
    );
    assert!(
        threads <= threads_before + 2,
        "threads {threads_before} -> {threads}"
    );
    assert!(
        rss < rss_before + 32 * 1024,
        "RSS {rss_before} -> {rss} KiB"
    );
    // The app still answers another client meanwhile.
    let (status, took) = app_answers_from("127.0.0.9", &serve);
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
    let started = Instant::now();
    for mut s in half {
        let mut buf = [0u8; 512];
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        // Closed by the server (with or without a 408 first).
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "half-sent requests lived {:?}",
        started.elapsed()
    );
}

#[test]
fn point_07b_connections_are_capped_per_client_and_in_all() {
    if !netns::inside("point_07b_connections_are_capped_per_client_and_in_all") {
        return;
    }
    let serve = Serve::start(&[
        "--max-connections-per-client",
        "8",
        "--max-connections",
        "12",
    ]);
    let held: Vec<TcpStream> = (0..8).map(|_| serve.connect()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let r = serve.get("/");
    assert_eq!(
        r.status, 503,
        "a 9th connection from one client: {}",
        r.head
    );
    assert_eq!(
        app_answers_from("127.0.0.9", &serve).0,
        200,
        "another client is served"
    );
    // That client's connection has closed (its place is back) before the next ones come.
    wait_closed(&serve, "127.0.0.9");
    let more: Vec<TcpStream> = (0..4)
        .map(|_| connect_from("127.0.0.10", serve.addr))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        app_answers_from("127.0.0.11", &serve).0,
        503,
        "past --max-connections:\n{}",
        serve.log()
    );
    drop((held, more));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        serve.get("/").status,
        200,
        "places come back when connections close"
    );
}

#[test]
fn point_08_redirects_and_realms_keep_the_grammar_and_the_proxy_never_calls_itself() {
    if !netns::inside(
        "point_08_redirects_and_realms_keep_the_grammar_and_the_proxy_never_calls_itself",
    ) {
        return;
    }
    let (cport, canaries) = canaries();
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(move |path, _, s| {
            let loc = |l: String| vec![("Location".to_owned(), l)];
            let challenge = |realm: String| {
                vec![(
                    "WWW-Authenticate".to_owned(),
                    format!("Bearer realm=\"{realm}\",service=\"t\""),
                )]
            };
            let me = s.local_addr().unwrap();
            let (status, headers): (u16, Vec<(String, String)>) =
                match path.split('?').next().unwrap_or("") {
                    "/v2/x/manifests/to-admin" => (307, loc("/admin/secret".into())),
                    "/v2/x/manifests/to-blob-path" => (307, loc("/store/blob".into())),
                    "/v2/x/manifests/to-manifest" => (307, loc("/v2/y/manifests/1".into())),
                    "/v2/x/blobs/sha256:to-store" => (307, loc("/store/blob?sig=1".into())),
                    "/v2/x/blobs/sha256:to-dotdot" => (307, loc("/store/..;/admin".into())),
                    "/v2/x/blobs/sha256:to-encoded" => (307, loc("/store/%2e%2e/admin".into())),
                    "/v2/x/blobs/sha256:to-canary" => {
                        (307, loc(format!("http://127.0.0.2:{cport}/store/blob")))
                    }
                    "/v2/x/blobs/sha256:to-canary-v6" => (
                        307,
                        loc(format!("https://[::ffff:127.0.0.2]:{cport}/store/blob")),
                    ),
                    "/v2/x/manifests/realm-admin" => {
                        (401, challenge(format!("http://{me}/admin;x")))
                    }
                    "/v2/x/manifests/realm-dotdot" => {
                        (401, challenge(format!("http://{me}/a/../admin")))
                    }
                    "/v2/x/manifests/realm-canary" => {
                        (401, challenge(format!("http://127.0.0.2:{cport}/token")))
                    }
                    "/v2/x/manifests/realm-good" => (401, challenge(format!("http://{me}/token"))),
                    "/store/blob" | "/admin/secret" | "/token" | "/v2/y/manifests/1" => (
                        200,
                        vec![("Content-Type".to_owned(), "text/html".to_owned())],
                    ),
                    _ => (404, vec![]),
                };
            let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\nok");
            let _ = s.write_all(out.as_bytes());
        }),
    );
    let serve = Serve::start(&["--allow-registry", &up.allow()]);
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    let auth = [("Authorization", "Bearer secret-token")];
    // A manifest request may only be redirected to a manifest path.
    for tag in ["to-admin", "to-blob-path"] {
        let r = serve.send("GET", &url(&format!("/v2/x/manifests/{tag}")), &auth);
        assert_eq!(r.status, 403, "{tag}: {}", r.head);
    }
    let r = serve.send("GET", &url("/v2/x/manifests/to-manifest"), &auth);
    assert_eq!(r.status, 200, "{}", r.head);
    // A blob request may go to a blob store's path, without the credentials.
    let r = serve.send("GET", &url("/v2/x/blobs/sha256:to-store"), &auth);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"ok".as_slice()),
        "{}",
        r.head
    );
    for bad in ["to-dotdot", "to-encoded", "to-canary", "to-canary-v6"] {
        let r = serve.send("GET", &url(&format!("/v2/x/blobs/sha256:{bad}")), &auth);
        assert_eq!(r.status, 403, "{bad}: {}", r.head);
    }
    let seen = up.seen.lock().unwrap().clone();
    assert!(!seen.iter().any(|h| h.contains("/admin")), "{seen:#?}");
    for h in &seen {
        let lower = h.to_ascii_lowercase();
        let path = h.split_whitespace().nth(1).unwrap_or("");
        assert_eq!(
            lower.contains("authorization"),
            path.starts_with("/v2/"),
            "credentials go to the API's paths only: {h}"
        );
    }
    // Realms: a token endpoint with a `;`, a dot segment, or on a host nobody allowed is
    // never remembered; a good one is, and takes only token parameters.
    for (tag, token) in [
        (
            "realm-admin",
            format!("/proxy/http/{}/admin;x?service=t", up.allow()),
        ),
        (
            "realm-dotdot",
            format!("/proxy/http/{}/admin?service=t", up.allow()),
        ),
        (
            "realm-canary",
            format!("/proxy/http/127.0.0.2:{cport}/token?service=t"),
        ),
    ] {
        assert_eq!(
            serve.get(&url(&format!("/v2/x/manifests/{tag}"))).status,
            401
        );
        let r = serve.get(&token);
        assert!(r.status == 400 || r.status == 403, "{tag}: {}", r.head);
    }
    assert_eq!(serve.get(&url("/v2/x/manifests/realm-good")).status, 401);
    assert_eq!(serve.get(&url("/token?service=t&evil=1")).status, 400);
    let r = serve.get(&url("/token?service=t&scope=repository%3Ax%3Apull"));
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(!seen.iter().any(|h| h.contains("/admin")));
    assert_no_canary_hit(&canaries);

    // Allowed everything on 127.0.0.1 (no port), or localhost: still never itself.
    let me = Serve::start(&[
        "--allow-registry",
        "127.0.0.1",
        "--allow-registry",
        "localhost",
    ]);
    let port = me.addr.port();
    for host in ["127.0.0.1", "localhost"] {
        let r = me.get(&format!("/proxy/http/{host}:{port}/v2/"));
        assert_eq!(r.status, 403, "{host}: {}", r.head);
        assert!(
            String::from_utf8_lossy(&r.body).contains("itself"),
            "{host}"
        );
    }
    let proxied_lines = me
        .log()
        .lines()
        .filter(|l| l.contains("/proxy/http/"))
        .count();
    assert_eq!(
        proxied_lines,
        2,
        "one log line per request, no recursion:\n{}",
        me.log()
    );
}

#[test]
fn point_09_one_log_line_per_request_with_control_characters_escaped() {
    if !netns::inside("point_09_one_log_line_per_request_with_control_characters_escaped") {
        return;
    }
    let serve = Serve::start(&["--header-timeout", "1"]);
    let host = serve.addr.to_string();
    let attempts: Vec<Vec<u8>> = vec![
        format!("GET /a\nstrata serve: GET 200 /forged HTTP/1.1\r\nHost: {host}\r\n\r\n")
            .into_bytes(),
        format!("GET /a\rstrata serve: GET 200 /forged HTTP/1.1\r\nHost: {host}\r\n\r\n")
            .into_bytes(),
        format!("GET /\x1b[2J\x1b]0;owned\x07 HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        format!("GET /\u{202e}txt.exe HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        format!("GET /%1b%5b2J%0astrata HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        format!("G\x1bET / HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        format!("GET /ok HTTP/1.1\r\nHost: {host}\r\nX-Inject: a\x1b[2J\r\n\r\n").into_bytes(),
        format!("GET /proxy/http/a\x1b[2J/v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        b"GET / HTTP/1.1\r\nHost: \x1b[2J\r\n\r\n".to_vec(),
    ];
    for a in &attempts {
        serve.raw(a);
    }
    std::thread::sleep(Duration::from_millis(300));
    let log = serve.log();
    println!("{log}");
    for line in log.lines() {
        assert!(
            line.starts_with("strata serve: "),
            "a line not written by the server: {line:?}"
        );
        assert!(
            !line.chars().any(char::is_control),
            "a control character in {line:?}"
        );
        assert!(!line.contains('\u{202e}'), "a bidi control in {line:?}");
        assert!(!line.contains("GET 200 /forged"), "a forged line: {line:?}");
    }
    // What got through the parser is logged with its escapes shown, not obeyed.
    assert!(log.contains("GET 400 /%1b%5b2J%0astrata"), "{log}");
    assert!(log.contains("GET 404 /\\u{202e}txt.exe"), "{log}");
}

#[test]
fn point_10_dotfiles_host_etags_and_the_connect_policy() {
    if !netns::inside("point_10_dotfiles_host_etags_and_the_connect_policy") {
        return;
    }
    let serve = Serve::start_at(
        "127.0.0.1:0",
        &[
            "--public-host",
            "strata.example",
            "--allow-registry",
            "127.0.0.1:5000",
            "--direct-registry",
            "127.0.0.1:5001",
        ],
        |dist| {
            std::fs::create_dir_all(dist.join(".git")).unwrap();
            std::fs::write(dist.join(".git/config"), "[remote] url=SECRET").unwrap();
            std::fs::write(dist.join(".env"), "TOKEN=SECRET").unwrap();
            std::fs::create_dir_all(dist.join("sub/.hidden")).unwrap();
            std::fs::write(dist.join("sub/.hidden/x.js"), "SECRET").unwrap();
            std::fs::write(dist.join("sub/.npmrc"), "SECRET").unwrap();
            std::fs::write(dist.join("app.js"), "console.log('strata');\n".repeat(100)).unwrap();
        },
    );
    for path in [
        "/.git/config",
        "/.env",
        "/sub/.hidden/x.js",
        "/sub/.npmrc",
        "/%2egit/config",
        "/.git/",
    ] {
        let r = serve.get(path);
        assert!(r.status == 404 || r.status == 400, "{path}: {}", r.head);
        assert!(
            !String::from_utf8_lossy(&r.body).contains("SECRET"),
            "{path}"
        );
    }
    // Host: this server's address, localhost, a --public-host; nothing else.
    let port = serve.addr.port();
    for (host, want) in [
        (format!("127.0.0.1:{port}"), 200),
        (format!("localhost:{port}"), 200),
        ("strata.example".to_owned(), 200),
        (format!("strata.example:{port}"), 200),
        (format!("rebind.evil.example:{port}"), 403),
        ("evil.example".to_owned(), 403),
        (format!("127.0.0.1:{}", port.wrapping_add(1)), 403),
        (format!("127.0.0.2:{port}"), 403),
    ] {
        for path in ["/", "/proxy"] {
            let r = serve.send("GET", path, &[("Host", &host)]);
            assert_eq!(r.status, want, "Host {host} {path}: {}", r.head);
        }
    }
    let r = serve.raw(format!("GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(
        r.status, 403,
        "absolute-form target naming another host: {}",
        r.head
    );
    let r = serve.raw(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 403, "no Host at all: {}", r.head);
    // ETags differ per encoding; each validates only its own.
    let plain = serve.get("/app.js");
    let gz = serve.send("GET", "/app.js", &[("Accept-Encoding", "gzip")]);
    assert_eq!((plain.status, gz.status), (200, 200));
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    let (tag_plain, tag_gz) = (plain.header("etag").unwrap(), gz.header("etag").unwrap());
    assert_ne!(tag_plain, tag_gz);
    let revalidate = |tag: &str, gzip: bool| {
        let mut h = vec![("If-None-Match", tag)];
        if gzip {
            h.push(("Accept-Encoding", "gzip"));
        }
        serve.send("GET", "/app.js", &h).status
    };
    assert_eq!(revalidate(&tag_plain, false), 304);
    assert_eq!(revalidate(&tag_gz, true), 304);
    assert_eq!(
        revalidate(&tag_gz, false),
        200,
        "a gzip tag does not validate the identity body"
    );
    assert_eq!(
        revalidate(&tag_plain, true),
        200,
        "an identity tag does not validate the gzip body"
    );
    // connect-src: this origin, https:, and the plain-HTTP registries named; no local wildcard.
    let csp = plain.header("content-security-policy").unwrap();
    let connect = csp
        .split(';')
        .find(|d| d.trim().starts_with("connect-src"))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        connect,
        "connect-src 'self' https: http://127.0.0.1:5000 http://127.0.0.1:5001"
    );
}

#[test]
fn point_11_idle_total_and_head_timeouts_and_a_graceful_shutdown() {
    if !netns::inside("point_11_idle_total_and_head_timeouts_and_a_graceful_shutdown") {
        return;
    }
    let up = Upstream::start(
        "127.0.0.1:0",
        Arc::new(|path, _, s| match path {
            "/v2/x/blobs/sha256:slow" | "/v2/x/blobs/sha256:five" => {
                let n = if path.ends_with("five") { 5 } else { 40 };
                let _ = s.write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").as_bytes(),
                );
                for _ in 0..n {
                    if s.write_all(b"z").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            "/v2/x/blobs/sha256:big" => big_body(
                s,
                &format!("HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n"),
            ),
            _ => answer(s, 404, &[], b"{}"),
        }),
    );
    let url = |p: &str| format!("/proxy/http/{}{p}", up.allow());
    // Total: a body that would take 40 s is cut at 4 (the registry sends a byte a second, so
    // neither idle timeout nor the proxy's read timeout ends it).
    let total = Serve::start(&["--allow-registry", &up.allow(), "--request-timeout", "4"]);
    let started = Instant::now();
    let r = total.get(&url("/v2/x/blobs/sha256:slow"));
    let took = started.elapsed();
    assert_eq!(r.status, 200);
    assert!(
        r.body.len() < 40 && took < Duration::from_secs(7),
        "{} bytes in {took:?}",
        r.body.len()
    );
    // Idle: a client that takes nothing of a big body is dropped once nothing moves for 2 s.
    let serve = Serve::start(&[
        "--allow-registry",
        &up.allow(),
        "--idle-timeout",
        "2",
        "--header-timeout",
        "2",
    ]);
    let mut s = serve.connect();
    s.write_all(request(serve.addr, "GET", &url("/v2/x/blobs/sha256:big"), &[]).as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let started = Instant::now();
    let got = {
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break n,
                Ok(k) => n += k as u64,
            }
        }
    };
    assert!(
        got < BIG / 2,
        "an idle connection stayed open ({got} bytes read)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Head: a request that never ends its head is closed after 2 s.
    let mut s = serve.connect();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x").unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // Graceful: SIGTERM while a 5 s body streams; it finishes, new connections are refused,
    // the server exits 0.
    let mut serve = Serve::start(&["--allow-registry", &up.allow(), "--shutdown-grace", "10"]);
    let addr = serve.addr;
    let path = url("/v2/x/blobs/sha256:five");
    let streaming = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(request(addr, "GET", &path, &[]).as_bytes())
            .unwrap();
        common::serve::read_reply(&mut s)
    });
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    serve.terminate();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "still accepting after SIGTERM"
    );
    let status = serve
        .wait_exit(Duration::from_secs(12))
        .expect("the server did not exit");
    let r = streaming.join().unwrap();
    assert!(status.success(), "exit {status:?}: {}", serve.log());
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"zzzzz".as_slice()),
        "the answer under way finished"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(serve.log().contains("SIGTERM"), "{}", serve.log());
    // A grace period that ends first cuts what is left.
    let mut serve = Serve::start(&["--allow-registry", &up.allow(), "--shutdown-grace", "1"]);
    let mut s = serve.connect();
    s.write_all(request(serve.addr, "GET", &url("/v2/x/blobs/sha256:slow"), &[]).as_bytes())
        .unwrap();
    let _ = read_head(&mut s);
    let started = Instant::now();
    serve.terminate();
    assert!(
        serve
            .wait_exit(Duration::from_secs(5))
            .is_some_and(|s| s.success())
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
