//! A repository's tag list (`GET /v2/<name>/tags/list`), page by page through `Link` headers,
//! like `crane ls`.

use super::http::{HttpResponse, Transport, url_decode};
use super::session::{Fetch, RegistrySession, fetch};
use crate::error::Error;
use serde::Deserialize;

/// Every tag of the repository, following `Link` pages (at most 100 pages).
pub fn list_tags(
    session: &mut RegistrySession,
    now: u64,
    send: &mut Transport<'_>,
) -> Result<Vec<String>, Error> {
    let mut all = Vec::new();
    let mut last = None;
    for _ in 0..100 {
        let response = fetch(session, &Fetch::Tags { last: last.clone() }, now, send)?;
        let (tags, next) = parse_tags(&response)?;
        all.extend(tags);
        match next {
            Some(n) if Some(&n) != last.as_ref() => last = Some(n),
            _ => break,
        }
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// Tags from a tag-list page, and the `last` to ask for the next page (from `Link`).
pub fn parse_tags(response: &HttpResponse) -> Result<(Vec<String>, Option<String>), Error> {
    #[derive(Deserialize)]
    struct TagList {
        tags: Option<Vec<String>>,
    }
    let list: TagList = serde_json::from_slice(&response.body).map_err(|e| Error::Invalid {
        what: "the registry's tag list".into(),
        detail: e.to_string(),
    })?;
    let mut tags = list.tags.unwrap_or_default();
    tags.sort();
    let next = response.header("Link").and_then(next_link).and_then(|url| {
        url.split(['?', '&'])
            .find_map(|p| p.strip_prefix("last="))
            .map(url_decode)
    });
    Ok((tags, next))
}

/// `<url>; rel="next"` → url.
pub fn next_link(link: &str) -> Option<String> {
    for part in link.split(',') {
        let (url, params) = part.split_once(';')?;
        if params.contains("rel=\"next\"") || params.contains("rel=next") {
            return Some(
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned(),
            );
        }
    }
    None
}
