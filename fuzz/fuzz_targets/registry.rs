//! The registry protocol against a hostile registry: reference parsing, challenges, Link
//! headers, and `open_image`/`list_tags` driven by arbitrary responses (statuses, headers,
//! bodies, redirects, token answers). Never a panic, never an endless loop.
#![no_main]
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use strata_core::registry::{
    Credentials, HttpResponse, Reference, RegistrySession, list_tags, next_link, open_image,
    parse_www_authenticate,
};
use strata_core::{Error, Limits, ManifestPick};

const HEADERS: &[&str] = &[
    "Content-Type",
    "Docker-Content-Digest",
    "WWW-Authenticate",
    "Location",
    "Link",
    "Content-Range",
];

fn response(u: &mut Unstructured<'_>) -> Option<HttpResponse> {
    let status = *u
        .choose(&[200u16, 200, 200, 206, 301, 302, 307, 401, 403, 404, 429, 500])
        .ok()?;
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0..=4u8).ok()? {
        let name = *u.choose(HEADERS).ok()?;
        let value: String = u.arbitrary().ok()?;
        headers.push((name.to_owned(), value));
    }
    let len = u.int_in_range(0..=4096usize).ok()?;
    let body = u.bytes(len.min(u.len())).ok()?.to_vec();
    Some(HttpResponse { status, headers, body })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(text) = u.arbitrary::<String>() else { return };
    let _ = parse_www_authenticate(&text);
    let _ = next_link(&text);
    let reference = Reference::parse(&text).unwrap_or_else(|_| {
        Reference::parse("127.0.0.1:5000/fuzz/image:tag").expect("a valid reference")
    });
    let _ = (reference.canonical(), reference.familiar(), reference.target());
    let credentials = u.arbitrary::<bool>().unwrap_or(false).then(|| Credentials {
        username: "user".into(),
        password: "pass".into(),
    });
    let base = RegistrySession::default_base(&reference, true);
    let mut session = RegistrySession::new(reference, base, credentials);
    let limits = Limits { max_json_bytes: 1 << 16, ..Limits::default() };
    let mut requests = 0u32;
    let mut send = |_: &strata_core::registry::HttpRequest| -> Result<HttpResponse, Error> {
        requests += 1;
        // The protocol must end on its own; a hundred requests means it would not.
        assert!(requests < 100, "the protocol keeps asking");
        response(&mut u).ok_or(Error::Network { registry: "fuzz".into(), detail: "eof".into() })
    };
    if data.first().is_some_and(|b| b & 1 == 0) {
        let _ = open_image(&mut session, &ManifestPick::Default, &limits, 1_000, &mut send);
    } else {
        let _ = list_tags(&mut session, 1_000, &mut send);
    }
});
