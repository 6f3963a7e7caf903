//! The HTTP pieces both halves of `strata serve` use — the static app (`serve.rs`) and
//! the registry proxy (`proxy.rs`) — so that neither imports the other: the body type,
//! plain-text answers, the security headers, one log line per request with every control
//! character escaped, and [`Tracked`], the response body that holds the server's concurrency
//! permits and its total deadline until the last byte is written (or the client goes away).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, combinators::UnsyncBoxBody};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use std::fmt::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

/// The error a response body may end with (hyper then cuts the connection).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every response body `strata serve` sends.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;
/// Every response `strata serve` sends.
pub type Response = hyper::Response<Body>;

/// Longest request target accepted (path and query): nothing the app asks for comes close.
pub const MAX_URL_BYTES: usize = 4096;

/// The policy on every answer of the proxy, refusals included: a registry's bytes are data,
/// never a document of this origin (no script, no plugin, no form, a unique origin).
pub const SANDBOX_POLICY: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// A body of these bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// No body.
pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A `text/plain` answer: `message` and a line end.
pub fn text(status: StatusCode, message: &str) -> Response {
    let mut r = hyper::Response::new(full(format!("{message}\n")));
    *r.status_mut() = status;
    set(r.headers_mut(), "content-type", "text/plain; charset=utf-8");
    r
}

/// Sets a header; a value that is not a valid header value is left out (every value here is
/// ours or was already a valid header value).
pub fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// A request header as text, if present and visible ASCII.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The headers on every answer, errors included, with `policy` as the
/// Content-Security-Policy (the app's, or [`SANDBOX_POLICY`] for proxied bytes).
pub fn security_headers(headers: &mut HeaderMap, policy: &str) {
    set(headers, "content-security-policy", policy);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    // With COOP, makes the page cross-origin isolated: `performance.measureUserAgentSpecificMemory`
    // (what the benchmark reads) then covers the page and its workers.
    set(headers, "cross-origin-embedder-policy", "require-corp");
    set(headers, "cross-origin-resource-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
}

/// `s` with every control character (C0, DEL, C1), every bidi or line-separator format
/// character and the backslash written as an escape, so that one request is one log line and
/// nothing reaches the terminal as a command.
pub fn escape_for_log(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let format_char = matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() || format_char {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The one log line of a request: method, status and path, never the query (token requests
/// carry the account name there) or a header (they carry credentials). At most 200 characters
/// of the path.
pub fn log_request(method: &Method, status: StatusCode, path: &str) {
    let path: String = path.chars().take(200).collect();
    eprintln!(
        "strata serve: {} {} {}",
        escape_for_log(method.as_str()),
        status.as_u16(),
        escape_for_log(&path)
    );
}

/// The permits a response holds while it is written: the server's (every response) and, for
/// a proxied one, the proxy's. Dropped with the body, that is when its last byte is out or
/// the client went away: a streaming body counts until it ends.
#[derive(Default)]
pub struct Permits {
    _held: Vec<OwnedSemaphorePermit>,
}

impl Permits {
    pub fn of(held: Vec<OwnedSemaphorePermit>) -> Permits {
        Permits { _held: held }
    }
}

/// A response body that ends with an error once `deadline` has passed (the total time one
/// response may take, body included) and that holds [`Permits`] until it is dropped.
pub struct Tracked {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    seconds: u64,
    _permits: Permits,
}

impl Tracked {
    pub fn wrap(inner: Body, deadline: Instant, seconds: u64, permits: Permits) -> Body {
        Tracked {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            seconds,
            _permits: permits,
        }
        .boxed_unsync()
    }
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            let seconds = self.seconds;
            return Poll::Ready(Some(Err(format!(
                "the response took longer than --request-timeout ({seconds} s)"
            )
            .into())));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_escape_every_control_character() {
        assert_eq!(escape_for_log("/v2/a/b"), "/v2/a/b");
        assert_eq!(escape_for_log("/a\nb"), "/a\\u{a}b");
        assert_eq!(escape_for_log("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(escape_for_log("a\rb\u{7f}\u{85}"), "a\\u{d}b\\u{7f}\\u{85}");
        assert_eq!(escape_for_log("\u{202e}txt"), "\\u{202e}txt");
        assert_eq!(escape_for_log("a\\u{a}"), "a\\\\u{a}");
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let s = char::from_u32(c).map(String::from).unwrap_or_default();
            assert!(
                !escape_for_log(&s).chars().any(char::is_control),
                "U+{c:04X}"
            );
        }
    }
}
