//! `strata serve`: the built web app over HTTP on this machine.
//!
//! Strict by design, because the page it serves opens untrusted images:
//! - only GET and HEAD; only regular files below `--dist`; no directory listing;
//! - a path with a `..` or `.` segment, a backslash, a NUL or an encoded slash is refused
//!   before it touches the disk, and the file must still lie inside the canonical `--dist`
//!   once symlinks are resolved;
//! - a Content-Security-Policy that allows only this origin's scripts (no inline script, no
//!   eval beyond `'wasm-unsafe-eval'`), `nosniff`, `no-referrer`, no framing;
//! - gzip for text and wasm when the client accepts it (compressed once, then cached);
//! - a log line per request with method, status and path only: never headers or query strings,
//!   which may carry credentials;
//! - under `/proxy/`, a narrow proxy for registries that send no CORS headers (see
//!   [`crate::proxy`]).

use anyhow::{Context, Result};
use sha2_free::etag_of;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tiny_http::{Header, Method, Request, Response, Server};

/// Longest request target accepted: nothing the app asks for comes close.
pub const MAX_URL_BYTES: usize = 4096;
/// Proxied blob downloads hold a thread each; static files must still be served meanwhile.
const THREADS: usize = crate::proxy::MAX_ACTIVE + 8;

/// The policy every response carries. Style attributes are allowed (the app positions virtual
/// rows and draws bars with them); style elements, scripts and everything else come from this
/// origin only. Connections may go to registries: any `https:` one, and plain-HTTP ones on
/// this machine (a local registry); a registry elsewhere over HTTP goes through the proxy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
worker-src 'self'; connect-src 'self' https: http://localhost:* http://127.0.0.1:*; img-src 'self' blob: data:; style-src 'self'; \
style-src-attr 'unsafe-inline'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'; object-src 'none'";

#[derive(Debug)]
pub struct ServeOptions {
    pub addr: String,
    pub dist: PathBuf,
    /// `--allow-registry HOST[:PORT]`: private hosts the proxy may reach.
    pub allow_registry: Vec<String>,
    pub proxy: crate::proxy::ProxyLimits,
}

pub fn run(options: ServeOptions) -> Result<()> {
    let dist = options.dist.canonicalize().with_context(|| {
        format!(
            "--dist {}: no such folder (build the app first: `trunk build --release`)",
            options.dist.display()
        )
    })?;
    anyhow::ensure!(
        dist.join("index.html").is_file(),
        "--dist {}: no index.html in it (is this a Trunk build?)",
        dist.display()
    );
    let server = Server::http(&options.addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.addr))?;
    let bound = server
        .server_addr()
        .to_ip()
        .context("listening on a non-IP address")?;
    println!("strata serve: http://{bound}/ serving {}", dist.display());
    std::io::stdout().flush()?;
    let policy = crate::proxy::Policy::new(&options.allow_registry)?;
    for a in &options.allow_registry {
        eprintln!("strata serve: the registry proxy may reach {a}");
    }
    let state = Arc::new(Static {
        dist,
        gzip_cache: Mutex::new(HashMap::new()),
        proxy: crate::proxy::Proxy::new(policy, bound, options.proxy),
    });
    let server = Arc::new(server);
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    state.handle(request);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

/// Gzipped bodies by (file, modification time).
type GzipCache = Mutex<HashMap<(PathBuf, SystemTime), Arc<Vec<u8>>>>;

/// The static files of the app.
struct Static {
    dist: PathBuf,
    gzip_cache: GzipCache,
    proxy: crate::proxy::Proxy,
}

/// What to send: status, body, extra headers.
struct Reply {
    status: u16,
    body: Arc<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn text(status: u16, message: &str) -> Reply {
        Reply {
            status,
            body: Arc::new(format!("{message}\n").into_bytes()),
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
        }
    }
}

impl Static {
    fn handle(&self, request: Request) {
        let method = request.method().clone();
        // The path only: a query may carry an account name or a token.
        let url: String = request
            .url()
            .split('?')
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        let is_proxy = url == "/proxy" || url.starts_with("/proxy/");
        if is_proxy && request.url().len() <= MAX_URL_BYTES {
            let status = self.proxy.handle(request);
            eprintln!("strata serve: {method} {status} {url}");
            return;
        }
        let reply = self.respond(&request);
        let status = reply.status;
        let body = if method == Method::Head {
            Vec::new()
        } else {
            reply.body.to_vec()
        };
        let mut response = Response::from_data(body).with_status_code(status);
        for (name, value) in security_headers().into_iter().chain(reply.headers) {
            if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(h);
            }
        }
        if let Err(e) = request.respond(response) {
            eprintln!("strata serve: {method} {url}: cannot answer: {e}");
            return;
        }
        // Method, status and path only: never headers (they may carry credentials).
        eprintln!("strata serve: {method} {status} {url}");
    }

    fn respond(&self, request: &Request) -> Reply {
        if !matches!(request.method(), Method::Get | Method::Head) {
            let mut r = Reply::text(
                405,
                "method not allowed: strata serve answers GET and HEAD only",
            );
            r.headers.push(("Allow", "GET, HEAD".into()));
            return r;
        }
        if request.url().len() > MAX_URL_BYTES {
            return Reply::text(414, "request target too long");
        }
        let path = match safe_path(request.url()) {
            Ok(p) => p,
            Err(why) => return Reply::text(400, &format!("bad path: {why}")),
        };
        let relative = if path.is_empty() {
            "index.html".to_owned()
        } else {
            path
        };
        let file = self.dist.join(&relative);
        // Symlinks inside dist must not lead out of it.
        let Ok(real) = file.canonicalize() else {
            return Reply::text(404, "not found");
        };
        if !real.starts_with(&self.dist) || !real.is_file() {
            return Reply::text(404, "not found");
        }
        let Ok(meta) = std::fs::metadata(&real) else {
            return Reply::text(404, "not found");
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let Ok(bytes) = std::fs::read(&real) else {
            return Reply::text(500, "cannot read the file");
        };
        let mime = mime_of(&relative);
        let etag = etag_of(&bytes);
        let mut headers = vec![
            ("Content-Type", mime.to_owned()),
            ("Cache-Control", "no-cache".to_owned()),
            ("ETag", etag.clone()),
            ("Vary", "Accept-Encoding".to_owned()),
        ];
        if header(request, "If-None-Match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
        {
            return Reply {
                status: 304,
                body: Arc::new(Vec::new()),
                headers,
            };
        }
        let accepts_gzip = header(request, "Accept-Encoding").is_some_and(|v| {
            v.split(',').any(|e| {
                e.split(';')
                    .next()
                    .is_some_and(|name| name.trim() == "gzip")
            })
        });
        if accepts_gzip && compressible(mime) && bytes.len() > 256 {
            let key = (real.clone(), modified);
            let cached = self
                .gzip_cache
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned());
            let gz = match cached {
                Some(gz) => gz,
                None => {
                    let gz = Arc::new(gzip(&bytes));
                    if let Ok(mut c) = self.gzip_cache.lock() {
                        c.insert(key, Arc::clone(&gz));
                    }
                    gz
                }
            };
            headers.push(("Content-Encoding", "gzip".into()));
            return Reply {
                status: 200,
                body: gz,
                headers,
            };
        }
        Reply {
            status: 200,
            body: Arc::new(bytes),
            headers,
        }
    }
}

fn header<'a>(request: &'a Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// The security headers on every response, errors included.
pub fn security_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY.into()),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Frame-Options", "DENY".into()),
        ("Cross-Origin-Opener-Policy", "same-origin".into()),
        // With COOP, makes the page cross-origin isolated: `performance.measureUserAgentSpecificMemory`
        // (what the benchmark reads) then covers the page and its workers.
        ("Cross-Origin-Embedder-Policy", "require-corp".into()),
        ("Cross-Origin-Resource-Policy", "same-origin".into()),
        (
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()".into(),
        ),
    ]
}

/// Decodes and checks a request target's path: returns the path below the root without the
/// leading `/`, or why it is refused. Refused: `.` and `..` segments, empty segments,
/// backslashes, NULs and other control characters, encoded slashes, invalid percent escapes or
/// UTF-8.
pub fn safe_path(target: &str) -> Result<String, &'static str> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let Some(path) = path.strip_prefix('/') else {
        return Err("the path must start with /");
    };
    let mut segments = Vec::new();
    for raw in path.split('/') {
        if raw.is_empty() {
            if segments.is_empty() && path.is_empty() {
                break;
            }
            return Err("empty path segment");
        }
        let decoded = percent_decode(raw).ok_or("invalid percent-encoding")?;
        if decoded.contains('/') {
            return Err("encoded slash");
        }
        if decoded == "." || decoded == ".." {
            return Err("dot segment");
        }
        if decoded.contains('\\') || decoded.chars().any(char::is_control) {
            return Err("backslash or control character");
        }
        segments.push(decoded);
    }
    Ok(segments.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn mime_of(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "tar" => "application/x-tar",
        "gz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.starts_with("application/wasm")
        || mime.contains("json")
        || mime.contains("svg")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// ETags without a hashing dependency: FNV-1a over the bytes is plenty to tell versions apart.
mod sha2_free {
    pub fn etag_of(bytes: &[u8]) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("\"{h:016x}-{}\"", bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        assert_eq!(safe_path("/"), Ok(String::new()));
        assert_eq!(safe_path("/index.html?x=1#y"), Ok("index.html".into()));
        assert_eq!(safe_path("/a%20b/c.js"), Ok("a b/c.js".into()));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a%2fb",
            "/a\\b",
            "/a//b",
            "/./x",
            "/%00",
            "/%zz",
            "x",
            "/%c0%ae%c0%ae/x",
        ] {
            assert!(safe_path(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_of("strata-web_bg.wasm"), "application/wasm");
        assert_eq!(mime_of("a/b.js"), "text/javascript; charset=utf-8");
        assert_eq!(mime_of("x"), "application/octet-stream");
    }
}
