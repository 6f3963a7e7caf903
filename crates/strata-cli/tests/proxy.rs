//! `strata serve`'s registry proxy over real sockets: it forwards registry API requests to the
//! test registries (Debian's docker-registry), and refuses everything else with a 4xx without
//! forwarding anything. A small scripted HTTP server in this file plays a hostile or unusual
//! registry (redirects to private addresses, token challenges, slow answers), and a listener on
//! a port nobody allowed records whether anything reached it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{auth_registry, open_registry, registries};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// What a scripted server saw: request lines and headers, one string per request.
type Seen = Arc<Mutex<Vec<String>>>;

/// A listener that records every request and answers with `script(path, port)`.
/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn scripted_server(script: fn(&str, u16) -> Answer) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                log.lock().unwrap().push(head.clone());
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, headers, body) = script(&path, port);
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let mut stream = stream;
                let _ = stream.write_all(out.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    (port, seen)
}

/// The port nobody allowed: whatever reaches it is a failure.
fn forbidden_port() -> (u16, Seen) {
    scripted_server(|_, _| (200, vec![], b"you should not see this".to_vec()))
}

/// Where the unusual registry's `to-forbidden` redirect points.
static FORBIDDEN: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(9);

/// A registry with unusual manners, for redirects and token challenges. Its port comes as
/// the second argument, so it can point at itself.
fn unusual_registry(path: &str, port: u16) -> Answer {
    let loc = |l: String| vec![("Location".to_owned(), l)];
    let forbidden = FORBIDDEN.load(std::sync::atomic::Ordering::SeqCst);
    match path.split('?').next().unwrap_or("") {
        "/v2/x/blobs/sha256:to-forbidden" => (
            307,
            loc(format!("http://127.0.0.1:{forbidden}/stolen")),
            vec![],
        ),
        "/v2/x/blobs/sha256:to-metadata" => (
            307,
            loc("http://169.254.169.254/latest/meta-data/".into()),
            vec![],
        ),
        "/v2/x/blobs/sha256:to-ten" => (302, loc("https://10.0.0.1/blob".into()), vec![]),
        "/v2/x/blobs/sha256:same-host" => (307, loc("/storage/blob-bytes".into()), vec![]),
        "/v2/x/blobs/sha256:other-host" => (
            307,
            loc(format!("http://localhost:{port}/storage/blob-bytes")),
            vec![],
        ),
        "/storage/blob-bytes" => (200, vec![], b"BLOB".to_vec()),
        "/v2/x/blobs/sha256:loop" => (307, loc("/v2/x/blobs/sha256:loop".into()), vec![]),
        "/v2/x/manifests/challenge" => (
            401,
            vec![(
                "WWW-Authenticate".to_owned(),
                format!(
                    "Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test\",scope=\"repository:x:pull\""
                ),
            )],
            vec![],
        ),
        "/token" => (
            200,
            vec![("Content-Type".to_owned(), "application/json".to_owned())],
            br#"{"token":"T0KEN-9f8e7d"}"#.to_vec(),
        ),
        "/v2/x/manifests/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            (200, vec![], b"{}".to_vec())
        }
        _ => (404, vec![], b"{\"errors\":[]}".to_vec()),
    }
}

struct Serve {
    child: Child,
    addr: String,
    log: PathBuf,
    _dist: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(allow: &[String]) -> Serve {
        Serve::start_with(allow, &[])
    }

    fn start_with(allow: &[String], extra: &[&str]) -> Serve {
        let dir = std::env::temp_dir().join(format!(
            "strata-proxy-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::fs::write(
            dir.join("dist/index.html"),
            "<!doctype html><title>t</title>",
        )
        .unwrap();
        let log = dir.join("serve.log");
        let mut cmd = Command::new(STRATA);
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--dist"])
            .arg(dir.join("dist"));
        for a in allow {
            cmd.args(["--allow-registry", a]);
        }
        cmd.args(extra);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("http://") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "strata serve exited");
        }
        // Keep reading, so the server never writes to a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Serve {
            child,
            addr,
            log,
            _dist: dir,
        }
    }

    /// Sends a raw request; returns (status, headers, body).
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("Host")) {
            req.push_str(&format!("Host: {}\r\n", self.addr));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw.get(split + 4..).unwrap_or(&[]).to_vec();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head, body)
    }

    fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        self.send("GET", path, &[])
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

fn lower(head: &str) -> String {
    head.to_ascii_lowercase()
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    // A body without a length streams chunked to an HTTP/1.1 client.
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..i]).unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&rest[i + 2..i + 2 + size]);
        rest = &rest[i + 2 + size + 2..];
    }
    out
}

#[test]
fn registry_requests_are_forwarded_and_answered() {
    let serve = Serve::start(&[open_registry(), auth_registry()]);
    // The page's probe.
    let (status, _, body) = serve.get("/proxy");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("strata serve"));

    let direct = ureq::get(&format!(
        "http://{}/v2/strata/layers/manifests/oci",
        open_registry()
    ))
    .header("Accept", ACCEPT)
    .call()
    .unwrap()
    .body_mut()
    .read_to_vec()
    .unwrap();
    let (status, head, body) = serve.send(
        "GET",
        &format!(
            "/proxy/http/{}/v2/strata/layers/manifests/oci",
            open_registry()
        ),
        &[("Accept", ACCEPT)],
    );
    assert_eq!(status, 200, "{head}");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    assert_eq!(body, direct);
    // Header names are case-insensitive (hyper writes them in lower case).
    assert!(
        lower(&head).contains("docker-content-digest: sha256:"),
        "{head}"
    );
    assert!(
        lower(&head).contains("content-type: application/vnd.oci.image.manifest.v1+json"),
        "{head}"
    );

    // Blobs by range.
    let manifest: serde_json::Value = serde_json::from_slice(&direct).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let (status, head, body) = serve.send(
        "GET",
        &format!(
            "/proxy/http/{}/v2/strata/layers/blobs/{layer}",
            open_registry()
        ),
        &[("Range", "bytes=0-1")],
    );
    assert_eq!(status, 206, "{head}");
    assert_eq!(body, [0x1f, 0x8b]);
    assert!(lower(&head).contains("content-range: bytes 0-1/"), "{head}");

    // HEAD: headers, no body.
    let (status, _, body) = serve.send(
        "HEAD",
        &format!(
            "/proxy/http/{}/v2/strata/layers/blobs/{layer}",
            open_registry()
        ),
        &[],
    );
    assert_eq!((status, body.len()), (200, 0));

    // The authenticated registry: the challenge comes back, then the credentials go through.
    let path = format!(
        "/proxy/http/{}/v2/strata/layers/manifests/oci",
        auth_registry()
    );
    let (status, head, _) = serve.send("GET", &path, &[("Accept", ACCEPT)]);
    assert_eq!(status, 401);
    // The challenge comes back renamed: a browser shows its own login prompt for a
    // same-origin `WWW-Authenticate: Basic`, and a worker's synchronous request would wait.
    assert!(
        lower(&head).contains("\r\nx-strata-www-authenticate: basic realm=\"strata-test\""),
        "{head}"
    );
    assert!(!lower(&head).contains("\r\nwww-authenticate"), "{head}");
    let basic = strata_core::registry::base64(&format!(
        "{}:{}",
        registries()["STRATA_REGISTRY_USER"],
        registries()["STRATA_REGISTRY_PASS"]
    ));
    let (status, head, _) = serve.send(
        "GET",
        &path,
        &[
            ("Accept", ACCEPT),
            ("Authorization", &format!("Basic {basic}")),
        ],
    );
    assert_eq!(status, 200, "{head}");
    // Cookies never travel; security headers always do.
    assert!(!head.to_ascii_lowercase().contains("set-cookie"));
    assert!(lower(&head).contains("x-content-type-options: nosniff"));
}

#[test]
fn what_is_not_a_registry_request_is_refused_and_not_forwarded() {
    let (forbidden, forbidden_seen) = forbidden_port();
    FORBIDDEN.store(forbidden, std::sync::atomic::Ordering::SeqCst);
    let (unusual, unusual_seen) = scripted_server(unusual_registry);
    let serve = Serve::start(&[
        format!("127.0.0.1:{unusual}"),
        format!("localhost:{unusual}"),
    ]);
    let long = format!("/proxy/http/127.0.0.1:{unusual}/v2/{}", "a/".repeat(5000));
    let cases: Vec<(&str, String, u16)> = vec![
        // Not the API.
        ("GET", format!("/proxy/http/127.0.0.1:{unusual}/admin"), 403),
        ("GET", format!("/proxy/http/127.0.0.1:{unusual}/token"), 403), // no challenge named it yet
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/../admin"),
            400,
        ),
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/%2e%2e/admin"),
            400,
        ),
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/a%2fb"),
            400,
        ),
        ("GET", format!("/proxy/file/127.0.0.1:{unusual}/v2/"), 400),
        (
            "GET",
            format!("/proxy/http/user@127.0.0.1:{unusual}/v2/"),
            400,
        ),
        // Other methods.
        (
            "POST",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/uploads/"),
            405,
        ),
        (
            "PUT",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/manifests/1"),
            405,
        ),
        (
            "DELETE",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/manifests/1"),
            405,
        ),
        (
            "PATCH",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x"),
            405,
        ),
        // Private targets nobody allowed.
        ("GET", format!("/proxy/http/127.0.0.1:{forbidden}/v2/"), 403),
        (
            "GET",
            format!("/proxy/https/127.0.0.1:{forbidden}/v2/"),
            403,
        ),
        (
            "GET",
            format!("/proxy/https/localhost:{forbidden}/v2/"),
            403,
        ),
        (
            "GET",
            format!("/proxy/https/2130706433:{forbidden}/v2/"),
            400,
        ), // 127.0.0.1 in decimal: not a host name
        (
            "GET",
            format!("/proxy/https/[::ffff:127.0.0.1]:{forbidden}/v2/"),
            403,
        ),
        ("GET", "/proxy/https/169.254.169.254/v2/".into(), 403),
        (
            "GET",
            "/proxy/http/169.254.169.254/latest/meta-data/".into(),
            403,
        ),
        ("GET", "/proxy/https/10.0.0.1/v2/".into(), 403),
        ("GET", "/proxy/https/192.168.1.1/v2/".into(), 403),
        ("GET", "/proxy/https/[fd00::1]/v2/".into(), 403),
        ("GET", "/proxy/http/example.com/v2/".into(), 403), // plain http to a host not allowed
        // Redirects from an allowed registry to private addresses.
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:to-forbidden"),
            403,
        ),
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:to-metadata"),
            403,
        ),
        (
            "GET",
            format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:to-ten"),
            403,
        ),
        // Absurd lengths.
        ("GET", long, 414),
    ];
    for (method, path, want) in &cases {
        let (status, head, body) = serve.send(method, path, &[]);
        assert_eq!(
            status,
            *want,
            "{method} {}: {head}\n{}",
            &path[..path.len().min(120)],
            String::from_utf8_lossy(&body)
        );
    }
    // The Host header must name this server; other sites may not use it.
    let ok = format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:same-host");
    assert_eq!(serve.send("GET", &ok, &[("Host", "evil.example")]).0, 403);
    assert_eq!(
        serve
            .send("GET", &ok, &[("Sec-Fetch-Site", "cross-site")])
            .0,
        403
    );
    assert_eq!(
        serve
            .send("GET", &ok, &[("Sec-Fetch-Site", "same-origin")])
            .0,
        200
    );

    assert!(
        forbidden_seen.lock().unwrap().is_empty(),
        "something reached the forbidden port: {:?}",
        forbidden_seen.lock().unwrap()
    );
    let seen = unusual_seen.lock().unwrap().join("\n");
    for path in [
        "/admin",
        "/token",
        "/v2/x/blobs/uploads",
        "/v2/x/manifests/1",
        "a/a/a/a",
    ] {
        assert!(!seen.contains(path), "{path} was forwarded:\n{seen}");
    }
}

#[test]
fn redirects_are_followed_here_without_credentials_off_the_api() {
    let (unusual, seen) = scripted_server(unusual_registry);
    let serve = Serve::start(&[
        format!("127.0.0.1:{unusual}"),
        format!("localhost:{unusual}"),
    ]);
    let auth = [("Authorization", "Bearer some-token")];
    let (status, _, body) = serve.send(
        "GET",
        &format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:same-host"),
        &auth,
    );
    assert_eq!((status, body.as_slice()), (200, b"BLOB".as_slice()));
    let (status, _, body) = serve.send(
        "GET",
        &format!("/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:other-host"),
        &auth,
    );
    assert_eq!((status, body.as_slice()), (200, b"BLOB".as_slice()));
    let seen = seen.lock().unwrap().clone();
    let storage: Vec<&String> = seen
        .iter()
        .filter(|r| r.starts_with("GET /storage/"))
        .collect();
    assert_eq!(storage.len(), 2, "{seen:?}");
    // Credentials are for the registry's API: its blob store gets none, on the same host
    // (a path outside the API) or another.
    for r in &storage {
        assert!(
            !r.to_ascii_lowercase().contains("authorization"),
            "a blob store got the credentials: {r}"
        );
    }
    // A redirect loop ends.
    let (status, _, _) = serve.get(&format!(
        "/proxy/http/127.0.0.1:{unusual}/v2/x/blobs/sha256:loop"
    ));
    assert_eq!(status, 502);
}

#[test]
fn token_endpoints_are_proxied_once_a_challenge_names_them() {
    let (unusual, _) = scripted_server(unusual_registry);
    let serve = Serve::start(&[format!("127.0.0.1:{unusual}")]);
    let token =
        format!("/proxy/http/127.0.0.1:{unusual}/token?service=test&scope=repository:x:pull");
    assert_eq!(serve.get(&token).0, 403);
    let (status, head, _) = serve.get(&format!(
        "/proxy/http/127.0.0.1:{unusual}/v2/x/manifests/challenge"
    ));
    assert_eq!(status, 401);
    assert!(
        lower(&head).contains(&format!(
            "x-strata-www-authenticate: bearer realm=\"http://127.0.0.1:{unusual}/token\""
        )),
        "{head}"
    );
    let (status, _, body) = serve.get(&token);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("T0KEN"));
    // Only that path: not its neighbours.
    assert_eq!(
        serve
            .get(&format!("/proxy/http/127.0.0.1:{unusual}/token2"))
            .0,
        403
    );
}

#[test]
fn concurrency_is_limited() {
    let (unusual, _) = scripted_server(unusual_registry);
    let serve = Arc::new(Serve::start_with(
        &[format!("127.0.0.1:{unusual}")],
        &["--max-proxied", "4"],
    ));
    let path = format!("/proxy/http/127.0.0.1:{unusual}/v2/x/manifests/slow");
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (serve, path) = (serve.clone(), path.clone());
            std::thread::spawn(move || serve.get(&path).0)
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

#[test]
fn credentials_and_tokens_never_reach_the_log() {
    let (unusual, _) = scripted_server(unusual_registry);
    let serve = Serve::start(&[auth_registry(), format!("127.0.0.1:{unusual}")]);
    let user = &registries()["STRATA_REGISTRY_USER"];
    let pass = &registries()["STRATA_REGISTRY_PASS"];
    let basic = strata_core::registry::base64(&format!("{user}:{pass}"));
    let path = format!(
        "/proxy/http/{}/v2/strata/layers/manifests/oci",
        auth_registry()
    );
    assert_eq!(
        serve
            .send(
                "GET",
                &path,
                &[
                    ("Accept", ACCEPT),
                    ("Authorization", &format!("Basic {basic}"))
                ]
            )
            .0,
        200
    );
    assert_eq!(
        serve
            .send(
                "GET",
                &path,
                &[("Authorization", "Basic d3Jvbmc6c2VjcmV0LXdyb25nLXB3")]
            )
            .0,
        401
    );
    serve.get(&format!(
        "/proxy/http/127.0.0.1:{unusual}/v2/x/manifests/challenge"
    ));
    let token =
        format!("/proxy/http/127.0.0.1:{unusual}/token?account=secret-account-name&service=test");
    assert_eq!(
        serve
            .send(
                "GET",
                &token,
                &[("Authorization", &format!("Basic {basic}"))]
            )
            .0,
        200
    );
    serve.send("GET", &path, &[("Authorization", "Bearer T0KEN-9f8e7d")]);
    std::thread::sleep(Duration::from_millis(200));
    let log = serve.log();
    assert!(
        log.contains("/v2/strata/layers/manifests/oci"),
        "the log has the paths:\n{log}"
    );
    for secret in [
        pass.as_str(),
        basic.as_str(),
        "d3Jvbmc6c2VjcmV0LXdyb25nLXB3",
        "secret-wrong-pw",
        "T0KEN-9f8e7d",
        "secret-account-name",
    ] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}

/// A registry that misbehaves at the HTTP level: each path is a different way.
fn hostile_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
                match path.as_str() {
                    "/v2/x/manifests/huge-header" => {
                        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nX-Big: ");
                        let _ = stream.write_all(&vec![b'a'; 300_000]);
                        let _ = stream.write_all(b"\r\nContent-Length: 0\r\n\r\n");
                    }
                    "/v2/x/manifests/endless" => {
                        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                        let chunk = vec![b'z'; 64 << 10];
                        // Until the proxy hangs up (or a minute, should it not).
                        for _ in 0..100_000 {
                            if stream.write_all(&chunk).is_err() {
                                break;
                            }
                        }
                    }
                    "/v2/x/manifests/silent" => std::thread::sleep(Duration::from_secs(20)),
                    "/v2/x/manifests/garbage" => {
                        let _ = stream.write_all(b"\x00\xffNOT HTTP AT ALL\r\n\r\n\x01\x02");
                    }
                    "/v2/x/manifests/lying-length" => {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nshort",
                        );
                    }
                    _ => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_hostile_registry_gets_bounded_answers_never_a_hang() {
    let up = hostile_upstream();
    let serve = Serve::start_with(
        &[format!("127.0.0.1:{up}")],
        &["--proxy-timeout", "2", "--proxy-max-body", "1048576"],
    );
    let timed = |path: &str| {
        let started = std::time::Instant::now();
        let r = serve.get(&format!("/proxy/http/127.0.0.1:{up}{path}"));
        (r, started.elapsed())
    };
    for path in [
        "/v2/x/manifests/huge-header",
        "/v2/x/manifests/garbage",
        "/v2/x/manifests/lying-length",
        "/v2/x/manifests/silent",
    ] {
        let ((status, head, body), took) = timed(path);
        assert_eq!(
            status,
            502,
            "{path}: {head}\n{}",
            String::from_utf8_lossy(&body)
        );
        assert!(took < Duration::from_secs(8), "{path} took {took:?}");
    }
    // An endless body is cut at the cap; the connection ends.
    let ((status, _, body), took) = timed("/v2/x/manifests/endless");
    assert_eq!(status, 200);
    assert!(
        body.len() <= (1 << 20) + (64 << 10),
        "{} bytes passed the 1 MiB cap",
        body.len()
    );
    assert!(
        took < Duration::from_secs(10),
        "the endless body took {took:?}"
    );
    // And the server is still there.
    assert_eq!(serve.get("/proxy").0, 200);
}

#[test]
fn random_hostile_requests_are_refused_and_reach_nothing() {
    let (forbidden, forbidden_seen) = forbidden_port();
    let (allowed, allowed_seen) = scripted_server(|_, _| (404, vec![], b"{}".to_vec()));
    let serve = Serve::start(&[format!("127.0.0.1:{allowed}")]);
    let f = forbidden.to_string();
    let pieces: Vec<String> = [
        "/proxy/",
        "http",
        "https",
        "ftp",
        "/",
        "127.0.0.1",
        ":",
        &f,
        "169.254.169.254",
        "10.0.0.1",
        "localhost",
        "[::1]",
        "[",
        "]",
        "@",
        "..",
        "%2e",
        "%2f",
        "%00",
        "%",
        "\\",
        "v2",
        "/v2/",
        "token",
        "?",
        "#",
        "&",
        "=",
        "é",
        "<script>",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "::ffff:127.0.0.1",
        "user:pass@",
        "\t",
        "/./",
        "//",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!("127.0.0.1:{allowed}"), "a".repeat(300)])
    .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..400 {
        let mut target = String::from("/proxy/");
        for _ in 0..(next() % 10 + 1) {
            target.push_str(&pieces[(next() % pieces.len() as u64) as usize]);
        }
        let method = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"][(next() % 6) as usize];
        let (status, head, body) = serve.send(method, &target, &[]);
        // Refused (4xx), or forwarded to the one allowed registry (which answers 404); a
        // request line too odd for HTTP is closed (0). A fragment is no part of a request
        // target: `/proxy/#…` is the probe `/proxy/`, which answers 200 and forwards nothing.
        let probe = status == 200 && body.starts_with(b"{\"proxy\":\"strata serve\"}");
        assert!(
            status == 0 || (400..500).contains(&status) || probe,
            "{method} {target} -> {status}\n{head}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert!(
        forbidden_seen.lock().unwrap().is_empty(),
        "a request reached the forbidden port"
    );
    for r in allowed_seen.lock().unwrap().iter() {
        let path = r.split_whitespace().nth(1).unwrap_or("");
        assert!(path.starts_with("/v2"), "forwarded outside /v2/: {r}");
    }
    assert_eq!(
        serve.get("/proxy").0,
        200,
        "the server survived: {statuses:?}"
    );
}
