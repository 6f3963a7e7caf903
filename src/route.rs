//! The state a link reproduces, kept in the URL fragment (never sent to a server): the view,
//! which image and platform, the layer and path, the filters. `#/layers?layer=3&path=usr/bin`.
//! Parsing is forgiving: an unknown or malformed value falls back to the default, never fails.

use serde::{Deserialize, Serialize};

/// The views of an open image, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum View {
    #[default]
    Overview,
    History,
    Dockerfile,
    Inspect,
    Raw,
    Layers,
    Waste,
    Packages,
    Compare,
    SupplyChain,
}

impl View {
    pub const ALL: [View; 10] = [
        View::Overview,
        View::History,
        View::Dockerfile,
        View::Inspect,
        View::Raw,
        View::Layers,
        View::Waste,
        View::Packages,
        View::Compare,
        View::SupplyChain,
    ];

    pub fn label(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::History => "History",
            View::Dockerfile => "Dockerfile",
            View::Inspect => "Inspect",
            View::Raw => "Manifest & config",
            View::Layers => "Layers",
            View::Waste => "Size & waste",
            View::Packages => "Packages",
            View::Compare => "Compare",
            View::SupplyChain => "Supply chain",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::History => "history",
            View::Dockerfile => "dockerfile",
            View::Inspect => "inspect",
            View::Raw => "raw",
            View::Layers => "layers",
            View::Waste => "waste",
            View::Packages => "packages",
            View::Compare => "compare",
            View::SupplyChain => "supply-chain",
        }
    }

    /// The keyboard shortcut (its position, 1-based).
    /// The keyboard shortcut: its position, 1-based, the tenth `0` (as on the keyboard).
    pub fn key(self) -> char {
        let i = View::ALL.iter().position(|v| *v == self).unwrap_or(0);
        if i == 9 {
            '0'
        } else {
            char::from(b'1' + i as u8)
        }
    }

    fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// Everything a link carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    pub view: View,
    /// A registry image's reference, as typed (never credentials): the link reopens it.
    pub registry: Option<String>,
    /// Image number in a multi-image archive.
    pub image: Option<usize>,
    /// Manifest digest of the platform picked in an index.
    pub platform: Option<String>,
    /// The image ID the link is about (a local archive must match it).
    pub id: Option<String>,
    /// The name of the archive it was opened from, and its first tag: so a link can ask for
    /// the file by the name its sender had, not only by an ID.
    pub file: Option<String>,
    pub tag: Option<String>,
    /// The layer in the explorer (1-based in the URL: `layer=3` is `LayerIdx` 2).
    pub layer: Option<strata_core::LayerIdx>,
    /// `merged` (the default) or `changes`.
    pub changes_only: bool,
    /// Selected path, without a leading slash.
    pub path: Option<String>,
    pub filter: String,
    pub regex: bool,
    /// Change kinds filtered on: letters of A, M, D.
    pub kinds: String,
    pub min_size: u64,
    pub sort_by_size: bool,
    /// Which raw document the raw view shows: `manifest`, `index`, `config`.
    pub raw: Option<String>,
    /// The comparison ignores timestamps and owners.
    pub semantic: bool,
    /// The image compared with: a registry reference pinned to its digest (the link opens it),
    /// or a local archive's image ID (the link asks for that archive and checks it).
    pub with: Option<String>,
    /// The guided walk's step (1-based), when it is open.
    pub learn: Option<usize>,
    /// Presenter mode: everything larger, for a projector.
    pub present: bool,
    /// The Supply chain view's open artifact (a referrer or attestation manifest, by digest):
    /// its manifest is shown.
    pub artifact: Option<String>,
    /// The Packages view: the packages after this layer (the final image by default), the
    /// selected package (its index in the report), the filter, one ecosystem, the sort column
    /// (`-` before it: descending).
    pub packages_layer: Option<strata_core::LayerIdx>,
    pub package: Option<u32>,
    pub package_filter: String,
    pub ecosystem: Option<strata_core::packages::Ecosystem>,
    /// The column, and whether descending.
    pub package_sort: Option<(strata_core::package_view::Column, bool)>,
    /// The open exercise's id (never its answer), when the Exercises panel is open; `""` for
    /// the panel's list.
    pub exercise: Option<String>,
}

impl Route {
    pub fn parse(fragment: &str) -> Route {
        let fragment = fragment.trim_start_matches('#');
        let (path, query) = fragment.split_once('?').unwrap_or((fragment, ""));
        let mut route = Route {
            view: View::from_slug(path.trim_start_matches('/')).unwrap_or_default(),
            ..Route::default()
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(v);
            match k {
                "ref" => route.registry = Some(v.trim().to_owned()).filter(|s| !s.is_empty()),
                "image" => route.image = v.parse().ok(),
                "platform" => route.platform = Some(v).filter(|s| !s.is_empty()),
                "id" => route.id = Some(v).filter(|s| !s.is_empty()),
                "file" => route.file = Some(v).filter(|s| !s.is_empty()),
                "tag" => route.tag = Some(v).filter(|s| !s.is_empty()),
                "layer" => {
                    route.layer = v.parse().ok().and_then(strata_core::LayerIdx::from_number)
                }
                "mode" => route.changes_only = v == "changes",
                "path" => {
                    route.path =
                        Some(v.trim_start_matches('/').to_owned()).filter(|s| !s.is_empty())
                }
                "q" => route.filter = v,
                "re" => route.regex = v == "1",
                "semantic" => route.semantic = v == "1",
                "with" => route.with = Some(v.trim().to_owned()).filter(|s| !s.is_empty()),
                "learn" => route.learn = v.parse().ok().filter(|n| *n > 0 && *n < 100),
                "present" => route.present = v == "1",
                "artifact" => {
                    route.artifact = strata_core::Digest::parse(&v).ok().map(|d| d.to_string())
                }
                "pl" => {
                    route.packages_layer =
                        v.parse().ok().and_then(strata_core::LayerIdx::from_number)
                }
                "pkg" => route.package = v.parse().ok(),
                "pq" => route.package_filter = v,
                "eco" => route.ecosystem = strata_core::packages::Ecosystem::parse(&v),
                "psort" => {
                    let (column, descending) = match v.strip_prefix('-') {
                        Some(c) => (c, true),
                        None => (v.as_str(), false),
                    };
                    route.package_sort =
                        strata_core::package_view::Column::parse(column).map(|c| (c, descending));
                }
                "exercise" => {
                    route.exercise = Some(v).filter(|s| {
                        s.len() <= 64
                            && s.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    })
                }
                "kinds" => route.kinds = v.chars().filter(|c| "AMD".contains(*c)).collect(),
                "min" => route.min_size = v.parse().unwrap_or(0),
                "sort" => route.sort_by_size = v == "size",
                "raw" => {
                    route.raw =
                        Some(v).filter(|s| ["manifest", "index", "config"].contains(&s.as_str()))
                }
                _ => {}
            }
        }
        route
    }

    pub fn to_fragment(&self) -> String {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(r) = &self.registry {
            q.push(("ref", r.clone()));
        }
        if let Some(i) = self.image {
            q.push(("image", i.to_string()));
        }
        if let Some(p) = &self.platform {
            q.push(("platform", p.clone()));
        }
        if let Some(id) = &self.id {
            q.push(("id", id.clone()));
        }
        if let Some(f) = &self.file {
            q.push(("file", f.clone()));
        }
        if let Some(t) = &self.tag {
            q.push(("tag", t.clone()));
        }
        if let Some(l) = self.layer {
            q.push(("layer", l.number().to_string()));
        }
        if self.changes_only {
            q.push(("mode", "changes".into()));
        }
        if let Some(p) = &self.path {
            q.push(("path", p.clone()));
        }
        if !self.filter.is_empty() {
            q.push(("q", self.filter.clone()));
        }
        if self.regex {
            q.push(("re", "1".into()));
        }
        if !self.kinds.is_empty() {
            q.push(("kinds", self.kinds.clone()));
        }
        if self.min_size > 0 {
            q.push(("min", self.min_size.to_string()));
        }
        if self.sort_by_size {
            q.push(("sort", "size".into()));
        }
        if let Some(r) = &self.raw {
            q.push(("raw", r.clone()));
        }
        if self.semantic {
            q.push(("semantic", "1".into()));
        }
        if let Some(w) = &self.with {
            q.push(("with", w.clone()));
        }
        if let Some(k) = self.learn {
            q.push(("learn", k.to_string()));
        }
        if self.present {
            q.push(("present", "1".into()));
        }
        if let Some(a) = &self.artifact {
            q.push(("artifact", a.clone()));
        }
        if let Some(l) = self.packages_layer {
            q.push(("pl", l.number().to_string()));
        }
        if let Some(p) = self.package {
            q.push(("pkg", p.to_string()));
        }
        if !self.package_filter.is_empty() {
            q.push(("pq", self.package_filter.clone()));
        }
        if let Some(e) = self.ecosystem {
            q.push(("eco", e.name().to_owned()));
        }
        if let Some((c, descending)) = self.package_sort {
            q.push((
                "psort",
                format!("{}{}", if descending { "-" } else { "" }, c.slug()),
            ));
        }
        if let Some(e) = &self.exercise {
            q.push(("exercise", e.clone()));
        }
        let query: Vec<String> = q
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        if query.is_empty() {
            format!("#/{}", self.view.slug())
        } else {
            format!("#/{}?{}", self.view.slug(), query.join("&"))
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/` and `:` (readable paths and
/// digests in links).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let r = Route {
            view: View::Layers,
            registry: Some("127.0.0.1:5000/a/b:1@sha256:x".into()),
            image: Some(1),
            platform: Some("sha256:abc".into()),
            id: Some("sha256:def".into()),
            file: Some("my app #2.tar".into()),
            tag: Some("app:1".into()),
            layer: strata_core::LayerIdx::from_number(3),
            changes_only: true,
            path: Some("usr/bin/café & <b>".into()),
            filter: "a b?&=".into(),
            regex: true,
            kinds: "AD".into(),
            min_size: 1024,
            sort_by_size: true,
            raw: None,
            semantic: true,
            with: Some("localhost:5000/b@sha256:e".into()),
            learn: Some(3),
            present: true,
            artifact: Some(format!("sha256:{}", "ab".repeat(32))),
            packages_layer: strata_core::LayerIdx::from_number(2),
            package: Some(7),
            package_filter: "lib c".into(),
            ecosystem: Some(strata_core::packages::Ecosystem::Deb),
            package_sort: Some((strata_core::package_view::Column::Size, true)),
            exercise: Some("deletion-saves".into()),
        };
        let f = r.to_fragment();
        assert!(
            f.starts_with(
                "#/layers?ref=127.0.0.1:5000/a/b:1%40sha256:x&image=1&platform=sha256:abc"
            ),
            "{f}"
        );
        assert_eq!(Route::parse(&f), r);
        assert_eq!(
            Route::parse("#/history"),
            Route {
                view: View::History,
                ..Route::default()
            }
        );
    }

    #[test]
    fn garbage_falls_back_to_defaults() {
        let r =
            Route::parse("#/nope?layer=-1&min=x&kinds=<script>&raw=../../x&path=%zz&artifact=../x");
        assert_eq!(r.artifact, None);
        let r = Route::parse(
            "#/nope?layer=-1&min=x&kinds=<script>&raw=../../x&path=%zz&eco=exe&psort=-rank&pkg=x",
        );
        assert_eq!((r.ecosystem, r.package_sort, r.package), (None, None, None));
        assert_eq!(r.view, View::Overview);
        assert_eq!(r.layer, None);
        assert_eq!(r.min_size, 0);
        assert_eq!(r.kinds, "");
        assert_eq!(r.raw, None);
        assert_eq!(r.path.as_deref(), Some("%zz"));
    }
}
