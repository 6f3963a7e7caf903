//! `strata serve`'s static half: the built web app's files from `--dist`.
//!
//! Strict by design, because the page it serves opens untrusted images:
//! - only GET and HEAD; only regular files below `--dist`; no directory listing; no dotfile
//!   (`.git/config` of a served checkout, `.env`) and nothing below a dot folder;
//! - a path with a `..` or `.` segment, a backslash, a NUL or an encoded slash is refused
//!   before it touches the disk, and the file must still lie inside the canonical `--dist`
//!   once symlinks are resolved;
//! - a Content-Security-Policy (made by [`content_security_policy`]) that allows only this
//!   origin's scripts (no inline script, no eval beyond `'wasm-unsafe-eval'`) and connections to
//!   this origin, `https:` and the plain-HTTP registries named on the command line; `nosniff`,
//!   `no-referrer`, no framing;
//! - gzip for text and wasm when the client accepts it (compressed once, then cached), with an
//!   ETag per encoding; files above [`STREAM_ABOVE`] that are not compressed stream from disk
//!   in [`CHUNK`]-sized pieces, so memory stays bounded whatever `--dist` holds.
//!
//! The HTTP stack, the Host check and the log line are `server.rs`'s.

use crate::http::{self, Body, Response, set};
use anyhow::{Context, Result};
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, ReadBuf};

/// Files larger than this are streamed from disk (unless they are compressed, see
/// [`GZIP_UP_TO`]).
pub const STREAM_ABOVE: u64 = 1 << 20;
/// Compressible files up to this size are read whole, gzipped once and kept.
pub const GZIP_UP_TO: u64 = 32 << 20;
/// The piece a streamed file is read and sent in.
pub const CHUNK: usize = 64 << 10;

/// The app's policy. Style attributes are allowed (the app positions virtual rows and draws
/// bars with them); style elements, scripts and everything else come from this origin only.
/// Connections may go to this origin, to any `https:` registry, and to the plain-HTTP
/// registries in `plain_http` (host as in a URL, `[v6]` bracketed, and a port, or any port of
/// that host), from `--allow-registry` and `--direct-registry`: not to every port on this
/// machine.
pub fn content_security_policy(plain_http: &[(String, Option<u16>)]) -> String {
    let mut connect = String::from("'self' https:");
    for (host, port) in plain_http {
        match port {
            Some(p) => connect.push_str(&format!(" http://{host}:{p}")),
            None => connect.push_str(&format!(" http://{host}:*")),
        }
    }
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; \
connect-src {connect}; img-src 'self' blob: data:; style-src 'self'; \
style-src-attr 'unsafe-inline'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// The static files of the app.
pub struct App {
    dist: PathBuf,
    policy: String,
    gzip_cache: Mutex<HashMap<(PathBuf, SystemTime, u64), Arc<Bytes>>>,
}

/// What the disk said about a request, before any HTTP.
enum Found {
    Missing,
    Unreadable,
    /// Read whole: small, or compressible.
    Whole {
        bytes: Bytes,
        real: PathBuf,
        modified: SystemTime,
        mime: &'static str,
    },
    /// Streamed from disk.
    Stream {
        real: PathBuf,
        len: u64,
        modified: SystemTime,
        mime: &'static str,
    },
}

impl App {
    /// Checks `--dist` (a Trunk build: a folder with an `index.html`).
    pub fn new(dist: &Path, policy: String) -> Result<App> {
        let real = dist.canonicalize().with_context(|| {
            format!(
                "--dist {}: no such folder (build the app first: `trunk build --release`)",
                dist.display()
            )
        })?;
        anyhow::ensure!(
            real.join("index.html").is_file(),
            "--dist {}: no index.html in it (is this a Trunk build?)",
            real.display()
        );
        Ok(App {
            dist: real,
            policy,
            gzip_cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn dist(&self) -> &Path {
        &self.dist
    }

    /// A response with the app's security headers.
    fn finish(&self, mut r: Response) -> Response {
        http::security_headers(r.headers_mut(), &self.policy);
        r
    }

    /// An answer for a request that is not for the proxy.
    pub async fn handle(
        self: &Arc<Self>,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
    ) -> Response {
        if method != Method::GET && method != Method::HEAD {
            let mut r = http::text(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed: strata serve answers GET and HEAD only",
            );
            set(r.headers_mut(), "allow", "GET, HEAD");
            return self.finish(r);
        }
        let relative = match safe_path(target) {
            Ok(p) if p.is_empty() => "index.html".to_owned(),
            Ok(p) => p,
            Err(why) => {
                return self.finish(http::text(
                    StatusCode::BAD_REQUEST,
                    &format!("bad path: {why}"),
                ));
            }
        };
        // Dotfiles and dot folders are never the app's: `.git/config` of a served checkout.
        if relative.split('/').any(|s| s.starts_with('.')) {
            return self.finish(http::text(StatusCode::NOT_FOUND, "not found"));
        }
        let app = Arc::clone(self);
        let found = tokio::task::spawn_blocking(move || app.find(&relative))
            .await
            .unwrap_or(Found::Unreadable);
        let r = match found {
            Found::Missing => http::text(StatusCode::NOT_FOUND, "not found"),
            Found::Unreadable => {
                http::text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file")
            }
            Found::Whole {
                bytes,
                real,
                modified,
                mime,
            } => {
                self.whole(method, headers, bytes, real, modified, mime)
                    .await
            }
            Found::Stream {
                real,
                len,
                modified,
                mime,
            } => stream(method, headers, &real, len, modified, mime).await,
        };
        self.finish(r)
    }

    /// Finds `relative` below dist (blocking: runs on tokio's blocking pool).
    fn find(&self, relative: &str) -> Found {
        let file = self.dist.join(relative);
        // Symlinks inside dist must not lead out of it.
        let Ok(real) = file.canonicalize() else {
            return Found::Missing;
        };
        if !real.starts_with(&self.dist) {
            return Found::Missing;
        }
        let Ok(meta) = std::fs::metadata(&real) else {
            return Found::Missing;
        };
        if !meta.is_file() {
            return Found::Missing;
        }
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let mime = mime_of(relative);
        let len = meta.len();
        if len > STREAM_ABOVE && !(compressible(mime) && len <= GZIP_UP_TO) {
            return Found::Stream {
                real,
                len,
                modified,
                mime,
            };
        }
        match std::fs::read(&real) {
            Ok(bytes) => Found::Whole {
                bytes: Bytes::from(bytes),
                real,
                modified,
                mime,
            },
            Err(_) => Found::Unreadable,
        }
    }

    async fn whole(
        &self,
        method: &Method,
        headers: &HeaderMap,
        bytes: Bytes,
        real: PathBuf,
        modified: SystemTime,
        mime: &'static str,
    ) -> Response {
        let tag = etag_of(&bytes);
        let gzip = accepts_gzip(headers) && compressible(mime) && bytes.len() > 256;
        let etag = if gzip {
            format!("\"{tag}-gzip\"")
        } else {
            format!("\"{tag}\"")
        };
        if matches_etag(headers, &etag) {
            return not_modified(mime, &etag);
        }
        let body = if gzip {
            let key = (real, modified, bytes.len() as u64);
            let cached = self
                .gzip_cache
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned());
            match cached {
                Some(gz) => Bytes::clone(&gz),
                None => {
                    let raw = bytes.clone();
                    let gz = tokio::task::spawn_blocking(move || gzip_bytes(&raw))
                        .await
                        .unwrap_or_default();
                    let gz = Bytes::from(gz);
                    if let Ok(mut c) = self.gzip_cache.lock() {
                        c.insert(key, Arc::new(gz.clone()));
                    }
                    gz
                }
            }
        } else {
            bytes
        };
        let len = body.len();
        // HEAD: the same headers, no body (hyper sends none for HEAD).
        let mut r = hyper::Response::new(if method == Method::HEAD {
            http::empty()
        } else {
            http::full(body)
        });
        let h = r.headers_mut();
        file_headers(h, mime, &etag);
        if gzip {
            set(h, "content-encoding", "gzip");
        }
        if method == Method::HEAD {
            set(h, "content-length", &len.to_string());
        }
        r
    }
}

async fn stream(
    method: &Method,
    headers: &HeaderMap,
    real: &Path,
    len: u64,
    modified: SystemTime,
    mime: &'static str,
) -> Response {
    // Too big to hash for every request: the tag names the version by size and mtime.
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"m{nanos:x}-{len:x}\"");
    if matches_etag(headers, &etag) {
        return not_modified(mime, &etag);
    }
    let body = if method == Method::HEAD {
        http::empty()
    } else {
        match tokio::fs::File::open(real).await {
            Ok(file) => FileBody { file, left: len }.boxed(),
            Err(_) => return http::text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file"),
        }
    };
    let mut r = hyper::Response::new(body);
    file_headers(r.headers_mut(), mime, &etag);
    if method == Method::HEAD {
        set(r.headers_mut(), "content-length", &len.to_string());
    }
    r
}

fn file_headers(h: &mut HeaderMap, mime: &str, etag: &str) {
    set(h, "content-type", mime);
    set(h, "cache-control", "no-cache");
    set(h, "etag", etag);
    set(h, "vary", "Accept-Encoding");
}

fn not_modified(mime: &str, etag: &str) -> Response {
    let mut r = hyper::Response::new(http::empty());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    file_headers(r.headers_mut(), mime, etag);
    r
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    http::header(headers, "if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Whether `Accept-Encoding` names gzip with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    http::header(headers, "accept-encoding").is_some_and(|v| {
        v.split(',').any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let q_zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
    })
}

/// A file read from disk in [`CHUNK`]s as the client takes them; `left` is its length when it
/// was found (a file that shrinks meanwhile ends the response with an error).
struct FileBody {
    file: tokio::fs::File,
    left: u64,
}

impl FileBody {
    fn boxed(self) -> Body {
        http_body_util::BodyExt::boxed_unsync(self)
    }
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = http::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, http::BoxError>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(self.left).map_or(CHUNK, |l| l.min(CHUNK));
        let mut buf = vec![0u8; want];
        let mut read = ReadBuf::new(&mut buf);
        match Pin::new(&mut self.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err("the file got shorter while it was sent".into())));
                }
                buf.truncate(n);
                self.left -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
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

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// A version tag without a hashing dependency: FNV-1a over the bytes is plenty to tell
/// versions apart; the length rides along.
fn etag_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{}", bytes.len())
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

    #[test]
    fn the_policy_names_only_the_registries_given() {
        let p = content_security_policy(&[
            ("127.0.0.1".into(), Some(5000)),
            ("registry.lan".into(), None),
            ("[::1]".into(), Some(5001)),
            ("[fd00::1]".into(), None),
        ]);
        assert!(
            p.contains("connect-src 'self' https: http://127.0.0.1:5000 http://registry.lan:* http://[::1]:5001 http://[fd00::1]:*;"),
            "{p}"
        );
        let bare = content_security_policy(&[]);
        assert!(bare.contains("connect-src 'self' https:;"), "{bare}");
        assert!(!bare.contains("localhost") && !bare.contains("127.0.0.1"));
    }

    #[test]
    fn gzip_is_accepted_unless_its_quality_is_zero() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            set(&mut m, "accept-encoding", v);
            accepts_gzip(&m)
        };
        assert!(h("gzip, deflate, br"));
        assert!(h("br;q=1.0, gzip;q=0.8"));
        assert!(!h("gzip;q=0"));
        assert!(!h("identity"));
        assert!(!h("br, gzip;q=0.000"));
    }
}
