//! `strata serve`: the built web app over HTTP on this machine.
//!
//! Strict by design, because the page it serves opens untrusted images:
//! - only GET and HEAD; only regular files below `--dist`; no directory listing;
//! - any path with a `..`, `\`, NUL or encoded `/` segment is refused before it touches the disk,
//!   and the resolved file must still lie inside the canonical `--dist`;
//! - a Content-Security-Policy allowing only this origin, `'wasm-unsafe-eval'` for WebAssembly,
//!   and the exact sha256 hashes of `index.html`'s inline scripts (Trunk's loader), so no other
//!   inline script can ever run; plus `nosniff` and `no-referrer`;
//! - gzip for text and wasm when the client accepts it (compressed once, then cached).

use anyhow::{Context, Result};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

const WORKERS: usize = 4;
/// Longest request target accepted: nothing the app asks for comes close.
const MAX_URL_BYTES: usize = 2048;

pub fn run(addr: &str, dist: &Path) -> Result<()> {
    let dist = dist
        .canonicalize()
        .with_context(|| format!("--dist {}: no such folder (build the app with `trunk build --release` first)", dist.display()))?;
    anyhow::ensure!(dist.join("index.html").is_file(), "--dist {}: no index.html in it (is this a Trunk build?)", dist.display());
    let server = Server::http(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = server.server_addr().to_ip().context("listening on a non-IP address")?;
    println!("strata serve: serving {} at http://{bound}/", dist.display());
    std::io::stdout().flush()?;
    let state = Arc::new(State { dist, gzip_cache: Mutex::new(HashMap::new()) });
    let server = Arc::new(server);
    let workers: Vec<_> = (0..WORKERS)
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
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

struct State {
    dist: PathBuf,
    /// Gzipped bodies by (path, modification time).
    gzip_cache: Mutex<HashMap<(PathBuf, SystemTime), Arc<Vec<u8>>>>,
}

impl State {
    fn handle(&self, request: Request) {
        let method = request.method().clone();
        let url = request.url().to_owned();
        let status = match self.respond(&request) {
            Ok((status, body, headers)) => {
                let mut response = Response::from_data(if method == Method::Head { Vec::new() } else { body.to_vec() })
                    .with_status_code(status);
                for h in security_headers(&self.dist).into_iter().chain(headers) {
                    response.add_header(h);
                }
                let _ = request.respond(response);
                status
            }
            Err(e) => {
                eprintln!("strata serve: {e}");
                500
            }
        };
        // Log the method, status and path only: never headers (they may carry credentials).
        let shown: String = url.chars().take(200).collect();
        eprintln!("{method} {status} {shown}");
    }

    fn respond(&self, request: &Request) -> Result<(u16, Arc<Vec<u8>>, Vec<Header>)> {
        let text = |status: u16, msg: &str| {
            Ok((status, Arc::new(format!("{msg}\n").into_bytes()), vec![header("Content-Type", "text/plain; charset=utf-8")]))
        };
        if !matches!(request.method(), Method::Get | Method::Head) {
            let mut r = text(405, "method not allowed: strata serve answers GET and HEAD only")?;
            r.2.push(header("Allow", "GET, HEAD"));
            return Ok(r);
        }
        if request.url().len() > MAX_URL_BYTES {
            return text(414, "request target too long");
        }
        let Some(rel) = safe_relative_path(request.url()) else {
            return text(400, "bad path: `..`, `\\`, NUL and encoded `/` are not allowed");
        };
        let file = if rel.as_os_str().is_empty() { self.dist.join("index.html") } else { self.dist.join(&rel) };
        // Defence in depth against symlinks inside dist pointing out of it.
        let Ok(file) = file.canonicalize() else { return text(404, "not found") };
        if !file.starts_with(&self.dist) {
            return text(404, "not found");
        }
        let Ok(meta) = std::fs::metadata(&file) else { return text(404, "not found") };
        if !meta.is_file() {
            return text(404, "not found"); // directories are never listed
        }
        let content_type = content_type(&file);
        let mut headers = vec![header("Content-Type", content_type), header("Cache-Control", "no-cache")];
        let compressible = content_type.starts_with("text/")
            || matches!(content_type, "application/wasm" | "application/json" | "image/svg+xml" | "application/manifest+json");
        let accepts_gzip = request
            .headers()
            .iter()
            .any(|h| h.field.equiv("Accept-Encoding") && h.value.as_str().split(',').any(|v| v.trim().starts_with("gzip")));
        let body = if compressible && accepts_gzip {
            headers.push(header("Content-Encoding", "gzip"));
            headers.push(header("Vary", "Accept-Encoding"));
            self.gzipped(&file, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH))?
        } else {
            if compressible {
                headers.push(header("Vary", "Accept-Encoding"));
            }
            Arc::new(std::fs::read(&file)?)
        };
        Ok((200, body, headers))
    }

    fn gzipped(&self, file: &Path, mtime: SystemTime) -> Result<Arc<Vec<u8>>> {
        let key = (file.to_path_buf(), mtime);
        if let Some(hit) = self.gzip_cache.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?.get(&key) {
            return Ok(Arc::clone(hit));
        }
        let raw = std::fs::read(file)?;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&raw)?;
        let gz = Arc::new(enc.finish()?);
        self.gzip_cache.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?.insert(key, Arc::clone(&gz));
        Ok(gz)
    }
}

/// The request path as a relative path below dist, or `None` if it tries to leave it.
fn safe_relative_path(url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return None;
    }
    let mut out = PathBuf::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_decode(raw)?;
        // `.`/`..` and dotfiles are refused alike; so are separators smuggled in by encoding.
        if seg.starts_with('.') || seg.contains(['/', '\\', '\0']) {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "tar" => "application/x-tar",
        _ => "application/octet-stream",
    }
}

/// The Content-Security-Policy for the app in `dist`: inline scripts of index.html are allowed by
/// their exact hash, nothing else inline is.
pub fn content_security_policy(dist: &Path) -> String {
    let html = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let hashes: String = inline_scripts(&html)
        .iter()
        .map(|s| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))))
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' blob: data:; \
         connect-src 'self'; worker-src 'self' blob:; manifest-src 'self'; font-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// Bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else { break };
        let tag = &after[..tag_end];
        let body_and_rest = &after[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else { break };
        if !tag.contains(" src=") {
            out.push(&body_and_rest[..close]);
        }
        rest = &body_and_rest[close..];
    }
    out
}

fn security_headers(dist: &Path) -> Vec<Header> {
    vec![
        header("Content-Security-Policy", &content_security_policy(dist)),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header("Cross-Origin-Opener-Policy", "same-origin"),
        header("Cross-Origin-Resource-Policy", "same-origin"),
        header("X-Frame-Options", "DENY"),
    ]
}

fn header(name: &str, value: &str) -> Header {
    // Names and values here are ASCII constants or built from hashes; tiny_http rejects only
    // non-ASCII, which cannot occur.
    #[allow(clippy::expect_used)]
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_dist() {
        for bad in ["/../x", "/a/../../x", "/%2e%2e/x", "/..%2fx", "/a%5c..%5cx", "/a%00b", "x", "/.git/config", "/%zz"] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative_path("/a/b.js?x=1#f"), Some(PathBuf::from("a/b.js")));
        assert_eq!(safe_relative_path("/caf%C3%A9.txt"), Some(PathBuf::from("café.txt")));
    }

    #[test]
    fn finds_inline_scripts_only() {
        let html = r#"<script src="/a.js"></script><script type="module">import x from '/x.js';</script>"#;
        assert_eq!(inline_scripts(html), vec!["import x from '/x.js';"]);
    }
}
