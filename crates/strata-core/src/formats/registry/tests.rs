//! The registry protocol against recorded answers: references, challenges, token flows,
//! redirects, tag pages, image opening.

use super::*;
use crate::digest::Digest;
use crate::error::Error;
use crate::model::media_type;

#[test]
fn typed_references_say_when_to_use_plain_http() {
    let t = |s: &str| {
        let (r, http) = parse_user_reference(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (r.canonical(), http)
    };
    assert_eq!(t("nginx"), ("docker.io/library/nginx:latest".into(), false));
    assert_eq!(
        t(" docker://alpine:3.20 "),
        ("docker.io/library/alpine:3.20".into(), false)
    );
    assert_eq!(t("localhost:5000/a:1"), ("localhost:5000/a:1".into(), true));
    assert_eq!(t("127.0.0.1:5000/a:1"), ("127.0.0.1:5000/a:1".into(), true));
    assert_eq!(
        t("http://registry.lan:5000/a:1"),
        ("registry.lan:5000/a:1".into(), true)
    );
    assert_eq!(t("https://ghcr.io/o/a:1"), ("ghcr.io/o/a:1".into(), false));
    assert!(parse_user_reference("http://").is_err());
}

#[test]
fn references_normalise_like_docker() {
    let check = |s: &str, canonical: &str, host: &str| {
        let r = Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(r.canonical(), canonical, "{s}");
        assert_eq!(r.api_host(), host, "{s}");
    };
    check(
        "nginx",
        "docker.io/library/nginx:latest",
        "registry-1.docker.io",
    );
    check(
        "nginx:1.27",
        "docker.io/library/nginx:1.27",
        "registry-1.docker.io",
    );
    check(
        "user/app",
        "docker.io/user/app:latest",
        "registry-1.docker.io",
    );
    check(
        "index.docker.io/library/alpine:3.20",
        "docker.io/library/alpine:3.20",
        "registry-1.docker.io",
    );
    check(
        "localhost:5000/a/b:tag",
        "localhost:5000/a/b:tag",
        "localhost:5000",
    );
    check("localhost/app", "localhost/app:latest", "localhost");
    check(
        "127.0.0.1:5000/app:v1.2-rc_3",
        "127.0.0.1:5000/app:v1.2-rc_3",
        "127.0.0.1:5000",
    );
    let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    check(
        &format!("ghcr.io/org/app@{d}"),
        &format!("ghcr.io/org/app@{d}"),
        "ghcr.io",
    );
    check(
        &format!("ghcr.io/org/app:1@{d}"),
        &format!("ghcr.io/org/app:1@{d}"),
        "ghcr.io",
    );
    assert_eq!(
        Reference::parse("nginx:1.27").unwrap().familiar(),
        "nginx:1.27"
    );
    for bad in [
        "",
        "UPPER/case",
        "a//b",
        "app:",
        "app:-tag",
        "app@sha256:123",
        "-lead",
        "trail-",
        "a b",
        "ex ample.com/x",
        "x:y:z",
    ] {
        assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn www_authenticate_parses() {
    let c = parse_www_authenticate(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#).unwrap();
    assert_eq!(
        c,
        vec![Challenge::Bearer {
            realm: "https://auth.docker.io/token".into(),
            service: Some("registry.docker.io".into()),
            scope: Some("repository:library/nginx:pull".into()),
            error: None
        }]
    );
    let c = parse_www_authenticate(r#"Basic realm="Registry \"Realm\"", Bearer realm=x"#).unwrap();
    assert_eq!(
        c[0],
        Challenge::Basic {
            realm: Some("Registry \"Realm\"".into())
        }
    );
    assert_eq!(
        c[1],
        Challenge::Bearer {
            realm: "x".into(),
            service: None,
            scope: None,
            error: None
        }
    );
    assert!(parse_www_authenticate("Bearer service=x").is_err());
    assert!(parse_www_authenticate("Negotiate abc").is_err());
    assert!(parse_www_authenticate(r#"Bearer realm="unclosed"#).is_err());
}

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        body: body.to_vec(),
    }
}

/// The anonymous token flow, as Docker Hub answers (recorded).
#[test]
fn anonymous_bearer_flow() {
    let r = Reference::parse("nginx:1.27").unwrap();
    let mut s = RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
    let fetch = Fetch::Manifest("1.27".into());
    let req = s.request(&fetch, 1000);
    assert_eq!(
        req.url,
        "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"
    );
    let accept = req.header("Accept").unwrap();
    for mt in media_type::ALL_MANIFESTS {
        assert!(accept.contains(mt), "{mt}");
    }
    assert_eq!(req.header("Authorization"), None);
    let challenge = resp(
        401,
        &[(
            "www-authenticate",
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        )],
        br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
    );
    let Step::Token(t) = s.on_response(&fetch, &challenge) else {
        panic!()
    };
    assert_eq!(
        t.url,
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull"
    );
    assert_eq!(t.header("Authorization"), None);
    s.on_token_response(
        &resp(200, &[], br#"{"token":"abc","expires_in":300}"#),
        1000,
    )
    .unwrap();
    let req = s.request(&fetch, 1001);
    assert_eq!(req.header("Authorization"), Some("Bearer abc"));
    let body = br#"{"schemaVersion":2}"#;
    let digest = Digest::sha256_of(body).to_string();
    assert_eq!(
        s.on_response(
            &fetch,
            &resp(200, &[("Docker-Content-Digest", &digest)], body)
        ),
        Step::Done
    );
    // A lying Docker-Content-Digest is refused.
    let lie = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert!(matches!(
        s.on_response(&fetch, &resp(200, &[("Docker-Content-Digest", lie)], body)),
        Step::Fail(_)
    ));
    // Expired tokens are dropped.
    assert_eq!(s.request(&fetch, 2000).header("Authorization"), None);
}

#[test]
fn basic_auth_and_wrong_credentials() {
    let r = Reference::parse("127.0.0.1:5001/private/app:1").unwrap();
    let creds = Credentials {
        username: "alice".into(),
        password: "s3cret".into(),
    };
    assert!(!format!("{creds:?}").contains("s3cret"));
    let mut s = RegistrySession::new(
        r.clone(),
        RegistrySession::default_base(&r, true),
        Some(creds),
    );
    let fetch = Fetch::Manifest("1".into());
    assert_eq!(
        s.request(&fetch, 0).url,
        "http://127.0.0.1:5001/v2/private/app/manifests/1"
    );
    let challenge = resp(
        401,
        &[("WWW-Authenticate", r#"Basic realm="Registry Realm""#)],
        b"",
    );
    assert_eq!(s.on_response(&fetch, &challenge), Step::Retry);
    assert_eq!(
        s.request(&fetch, 0).header("Authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    let Step::Fail(e) = s.on_response(&fetch, &challenge) else {
        panic!()
    };
    assert!(
        e.to_string()
            .contains("authentication failed for 127.0.0.1:5001"),
        "{e}"
    );
    // Without credentials, it says what is missing.
    let mut anon = RegistrySession::new(r.clone(), RegistrySession::default_base(&r, true), None);
    let Step::Fail(e) = anon.on_response(&fetch, &challenge) else {
        panic!()
    };
    assert!(
        e.to_string().contains("wants a user name and password"),
        "{e}"
    );
}

#[test]
fn not_found_redirects_and_tags() {
    let r = Reference::parse("localhost:5000/app:nope").unwrap();
    let mut s = RegistrySession::new(r.clone(), "http://localhost:5000".into(), None);
    let fetch = Fetch::Manifest("nope".into());
    let Step::Fail(e) = s.on_response(
        &fetch,
        &resp(
            404,
            &[],
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        ),
    ) else {
        panic!()
    };
    assert_eq!(e.kind(), "registry-not-found");
    assert!(
        e.to_string().contains("localhost:5000/app:nope")
            && e.to_string().contains("MANIFEST_UNKNOWN"),
        "{e}"
    );
    let d = Digest::sha256_of(b"x");
    let blob = Fetch::Blob {
        digest: d.clone(),
        range: Some((0, 99)),
    };
    let Step::Redirect(req) = s.on_response(
        &blob,
        &resp(307, &[("Location", "https://storage.example/b?sig=1")], b""),
    ) else {
        panic!()
    };
    assert_eq!(req.url, "https://storage.example/b?sig=1");
    assert_eq!(req.header("Range"), Some("bytes=0-99"));
    assert_eq!(
        req.header("Authorization"),
        None,
        "credentials never follow a redirect"
    );
    let (tags, next) = parse_tags(&resp(
        200,
        &[("Link", r#"</v2/app/tags/list?last=b%2Bc&n=2>; rel="next""#)],
        br#"{"name":"app","tags":["z","a"]}"#,
    ))
    .unwrap();
    assert_eq!(tags, ["a", "z"]);
    assert_eq!(next.as_deref(), Some("b+c"));
    assert_eq!(
        s.url(&Fetch::Tags { last: next }),
        "http://localhost:5000/v2/app/tags/list?n=1000&last=b%2Bc"
    );
}

/// A whole open, answered by recorded responses: anonymous token, an index with two
/// platforms and an attestation, the amd64 manifest, the config. No layer blob is asked for.
#[test]
fn opens_an_image_through_an_index_without_fetching_layers() {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"history":[{"created_by":"x"}]}"#;
    let layer = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{layer}","size":1000}}]}}"#,
        media_type::OCI_MANIFEST,
        media_type::OCI_CONFIG,
        Digest::sha256_of(config),
        config.len(),
        media_type::OCI_LAYER_GZIP
    );
    let md = Digest::sha256_of(manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{md}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{}","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":5,"platform":{{"architecture":"arm64","os":"linux"}}}},{{"mediaType":"{}","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":5,"platform":{{"architecture":"unknown","os":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"{md}"}}}}]}}"#,
        media_type::OCI_INDEX,
        media_type::OCI_MANIFEST,
        manifest.len(),
        media_type::OCI_MANIFEST,
        media_type::OCI_MANIFEST
    );
    let asked = std::cell::RefCell::new(Vec::new());
    let mut send = |r: &HttpRequest| -> Result<HttpResponse, Error> {
        asked.borrow_mut().push(r.url.clone());
        let authed = r.header("Authorization") == Some("Bearer t0k");
        Ok(match r.url.as_str() {
            u if u.starts_with("https://auth.example/token") => {
                resp(200, &[], br#"{"token":"t0k"}"#)
            }
            _ if !authed => resp(
                401,
                &[(
                    "WWW-Authenticate",
                    r#"Bearer realm="https://auth.example/token",service="reg""#,
                )],
                b"",
            ),
            u if u.ends_with("/manifests/1.0") => resp(
                200,
                &[("Content-Type", media_type::OCI_INDEX)],
                index.as_bytes(),
            ),
            u if u.ends_with(&format!("/manifests/{md}")) => resp(
                200,
                &[("Content-Type", media_type::OCI_MANIFEST)],
                manifest.as_bytes(),
            ),
            u if u.ends_with(&format!("/blobs/{}", Digest::sha256_of(config))) => {
                resp(200, &[], config)
            }
            _ => resp(404, &[], b""),
        })
    };
    let r = Reference::parse("reg.example/team/app:1.0").unwrap();
    let mut session =
        RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
    let opened = open_image(
        &mut session,
        &crate::image::ManifestPick::Default,
        &crate::limits::Limits::default(),
        0,
        &mut send,
    )
    .unwrap();
    let image = opened.image;
    assert_eq!(image.manifest.digest, md);
    assert_eq!(image.platform.spec(), "linux/amd64");
    assert_eq!(image.choices.len(), 2, "the attestation is not a platform");
    assert_eq!(image.choices[0].attestations.len(), 1);
    assert_eq!(image.repo_tags, ["reg.example/team/app:1.0"]);
    assert_eq!(
        image.layers[0].location,
        Some(crate::image::BlobLocation {
            offset: 0,
            len: 1000
        })
    );
    assert_eq!(opened.blobs.len(), 1000);
    assert!(
        !asked.borrow().iter().any(|u| u.contains(layer)),
        "no layer blob was fetched: {asked:?}"
    );
    // The arm64 manifest is not in this recording: picking it fails with a clear error.
    let mut session =
        RegistrySession::new(r.clone(), RegistrySession::default_base(&r, false), None);
    let err = open_image(
        &mut session,
        &crate::image::ManifestPick::Platform("linux/arm64".into()),
        &crate::limits::Limits::default(),
        0,
        &mut send,
    )
    .unwrap_err();
    assert_eq!(err.kind(), "registry-not-found");
}

#[test]
fn virtual_blobs_locate_offsets() {
    let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
    let v = VirtualBlobs::new(&[(a.clone(), 10), (b.clone(), 5)]);
    assert_eq!(v.len(), 15);
    assert_eq!(v.locate(0), Some((&a, 0, 10)));
    assert_eq!(v.locate(9), Some((&a, 9, 1)));
    assert_eq!(v.locate(10), Some((&b, 0, 5)));
    assert_eq!(v.locate(15), None);
}
