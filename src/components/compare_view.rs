//! Two images side by side: the layers they share (stored once: content addressing at work),
//! how their configs and build steps differ, and which files of their final filesystems were
//! added, removed or changed, and which packages (`packages::compare`). "Ignore timestamps and
//! owners" compares as diffoci --semantic.

use crate::components::content_diff::{ContentDiff, Version};
use crate::components::file_picker::FilePicker;
use crate::components::untrusted::Untrusted;
use crate::identity::Same;
use crate::protocol::RegistryRequest;
use crate::route::Route;
use crate::state::{CompareState, LayersState, Session};
use std::rc::Rc;
use strata_core::diff::LayerRef;
use strata_core::text::format_bytes;
use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

/// File rows drawn at once (a filter narrows longer lists).
const FILES_SHOWN: usize = 1000;

#[derive(Properties, PartialEq)]
pub struct CompareViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    /// This image's packages (B's come with the comparison).
    #[prop_or_default]
    pub packages: crate::state::PackagesState,
    pub compare: CompareState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
    pub on_compare_file: Callback<File>,
    pub on_compare_registry: Callback<RegistryRequest>,
    /// Compare with another image of the open archive (its number).
    pub on_compare_within: Callback<usize>,
    /// Another image (number) or platform (manifest digest) of B's archive or index.
    pub on_compare_pick: Callback<(usize, Option<String>)>,
    /// A against B, once both are read.
    #[prop_or_default]
    pub diff: Option<Rc<crate::state::CompareDiff>>,
}

#[component]
pub fn CompareView(props: &CompareViewProps) -> Html {
    let reference = use_state(String::new);
    let kinds = use_state(|| "added removed changed".to_owned());
    let filter = use_state(String::new);
    // The changed file whose content diff is open.
    let diff_open = use_state(|| None::<String>);
    let a_explorer = match &props.layers {
        LayersState::Ready(e) => Some(e.clone()),
        _ => None,
    };
    let b = match &props.compare {
        CompareState::Ready(c) => Some(c.clone()),
        _ => None,
    };
    let semantic = props.route.semantic;
    // The packages of A against B's, once both are read.
    let package_diff = {
        let a = props.packages.ready().cloned();
        let b_packages = b.as_ref().and_then(|c| c.packages.clone());
        use_memo((a, b_packages.map(Same)), |(a, b)| match (a, b) {
            (Some(a), Some(b)) => Some(Rc::new(strata_core::packages::compare(&a.report, &b.0))),
            _ => None,
        })
    };
    // What the link asked to compare with, as it was when the view opened: a local archive's
    // image ID is checked against the archive picked for it.
    let wanted = use_state(|| props.route.with.clone());
    // The B that answered the link (later picks are the user's own choice, not checked).
    let answer = use_state(|| None::<std::rc::Weak<crate::state::Comparison>>);
    // A link to a registry image opens it at once (credentials never travel in links).
    {
        let (with, idle, on) = (
            props.route.with.clone(),
            props.compare == CompareState::Idle,
            props.on_compare_registry.clone(),
        );
        use_effect_with((), move |_| {
            if let Some(reference) = with.filter(|w| idle && !is_image_id(w)) {
                on.emit(RegistryRequest {
                    reference,
                    credentials: None,
                    platform: None,
                });
            }
        });
    }
    // Once B is read, the link says which image it is.
    {
        let (route, on) = (props.route.clone(), props.on_navigate.clone());
        let answer = answer.clone();
        use_effect_with(b.clone().map(Same), move |b| {
            if answer.is_none()
                && let Some(b) = b
            {
                answer.set(Some(Rc::downgrade(&b.0)));
            }
            if let Some(b) = b
                && route.with.as_deref() != Some(b.link.as_str())
            {
                on.emit(Route {
                    with: Some(b.link.clone()),
                    ..route
                });
            }
        });
    }
    // The diff is made by the state when both sides are read (and again when the mode
    // changes), never here.
    let result: Option<Rc<crate::state::CompareDiff>> = props.diff.clone();

    let picker = {
        let oninput = {
            let reference = reference.clone();
            Callback::from(move |e: InputEvent| {
                let input: HtmlInputElement = e.target_unchecked_into();
                reference.set(input.value());
            })
        };
        let onsubmit = {
            let (reference, on) = (reference.clone(), props.on_compare_registry.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                if !reference.trim().is_empty() {
                    on.emit(RegistryRequest {
                        reference: (*reference).clone(),
                        credentials: None,
                        platform: None,
                    });
                }
            })
        };
        html! {
            <form class="compare-picker" {onsubmit}>
                <span>{ "Compare with: " }</span>
                <FilePicker on_file={props.on_compare_file.clone()} label="an archive…" class="primary" input_id="compare-file" />
                <span>{ " or " }</span>
                <input id="compare-reference" type="text" spellcheck="false" placeholder="a registry reference"
                    aria-label="Image reference to compare with" value={(*reference).clone()} {oninput} />
                <button type="submit" class="button" id="compare-open">{ "Compare" }</button>
                if props.session.listing.images.len() > 1 {
                    <label class="chooser">{ " or another image of this archive: " }
                        <select id="compare-within" onchange={{
                            let on = props.on_compare_within.clone();
                            Callback::from(move |e: Event| {
                                let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
                                if let Ok(n) = select.value().parse() { on.emit(n) }
                            })
                        }}>
                            <option value="" selected=true disabled=true>{ "pick one" }</option>
                            { for props.session.listing.images.iter().enumerate().filter(|(i, _)| *i != props.session.image_number).map(|(i, im)| html! {
                                <option value={i.to_string()}>{ format!("{}. {}", i + 1, im.label) }</option>
                            }) }
                        </select>
                    </label>
                }
            </form>
        }
    };
    let status = match &props.compare {
        CompareState::Idle => match props.route.with.as_deref().filter(|w| is_image_id(w)) {
            Some(id) => html! {
                <p class="note" id="compare-wanted">
                    { "This link compares with image " }<code>{ id.to_owned() }</code>
                    { " from an archive on the sender's machine: pick that archive to continue (it is read here, never uploaded)." }
                </p>
            },
            None => html! {
                <p class="note">{ "Pick a second image: the layers both use, what their configs and build steps say differently, and which files differ." }</p>
            },
        },
        CompareState::Loading { name, done, total } => html! {
            <p class="note" id="compare-loading" aria-busy="true">
                { format!("Reading {name}: {} of {}", format_bytes(*done), format_bytes(*total)) }
            </p>
        },
        CompareState::Failed(e) => html! {
            <p class="tag-error" role="alert" id="compare-error" title={e.detail.clone()}>{ e.summary.clone() }</p>
        },
        CompareState::Ready(c) => {
            let mismatch = (*wanted)
                .as_deref()
                .filter(|w| {
                    is_image_id(w)
                        && *w != c.link.as_str()
                        && answer.as_ref().is_none_or(|a| crate::identity::is(a, c))
                })
                .map(|w| {
                    html! {
                        <p class="tag-error" role="alert" id="compare-mismatch">
                            { "The link compared with image " }<code>{ w.to_owned() }</code>
                            { ", and this archive holds " }<code>{ c.link.clone() }</code>
                            { ": what you see is a different comparison (the link now says so)." }
                        </p>
                    }
                });
            // B's archive or index may hold more than one image: say which is compared, and
            // offer the others (never silently the first).
            let b_image = &c.session.image;
            let image_pick = (c.images.len() > 1).then(|| {
                let on = props.on_compare_pick.clone();
                let onchange = Callback::from(move |e: Event| {
                    let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
                    if let Ok(n) = select.value().parse() { on.emit((n, None)) }
                });
                html! {
                    <label class="chooser">{ format!("B is image {} of the {} in {}: ", c.image + 1, c.images.len(), c.session.listing.file_name) }
                        <select id="compare-b-image" {onchange}>
                            { for c.images.iter().enumerate().map(|(i, im)| html! {
                                <option value={i.to_string()} selected={i == c.image}>{ format!("{}. {}", i + 1, im.label) }</option>
                            }) }
                        </select>
                    </label>
                }
            });
            let platform_pick = (b_image.choices.len() > 1).then(|| {
                let (on, number) = (props.on_compare_pick.clone(), c.image);
                let onchange = Callback::from(move |e: Event| {
                    let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
                    on.emit((number, Some(select.value())))
                });
                html! {
                    <label class="chooser">{ "B's platform: " }
                        <select id="compare-b-platform" {onchange}>
                            { for b_image.choices.iter().enumerate().map(|(i, ch)| html! {
                                <option value={ch.descriptor.digest.clone()} disabled={!ch.available} selected={Some(i) == b_image.chosen}>{ ch.label() }</option>
                            }) }
                        </select>
                    </label>
                }
            });
            html! {
                <>
                { for mismatch }
                if image_pick.is_some() || platform_pick.is_some() {
                    <div class="choosers compare-b-choosers">{ for image_pick }{ for platform_pick }</div>
                }
                if a_explorer.is_none() {
                    <p class="note">{ "Reading this image's layers first…" }</p>
                }
                </>
            }
        }
    };
    let b_has_packages = b.as_ref().is_some_and(|c| c.packages.is_some());
    let body = result.map(|shown| {
        let d = &shown.diff;
        let on_semantic = {
            let (on, route) = (props.on_navigate.clone(), props.route.clone());
            Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                on.emit(Route { semantic: input.checked(), ..route.clone() });
            })
        };
        let toggle = |kind: &'static str| {
            let kinds = kinds.clone();
            Callback::from(move |_: Event| {
                let mut k: Vec<&str> = kinds.split(' ').filter(|x| !x.is_empty() && *x != kind).collect();
                if !kinds.split(' ').any(|x| x == kind) {
                    k.push(kind);
                }
                kinds.set(k.join(" "));
            })
        };
        let on_filter = {
            let filter = filter.clone();
            Callback::from(move |e: InputEvent| {
                let input: HtmlInputElement = e.target_unchecked_into();
                filter.set(input.value());
            })
        };
        let shown: Vec<_> = d
            .files
            .iter()
            .filter(|f| kinds.split(' ').any(|k| k == f.change))
            .filter(|f| filter.is_empty() || f.path.contains(filter.as_str()))
            .collect();
        let n_shown = shown.len();
        let layer_cell = |l: &LayerRef| html! {
            <><code class="digest">{ l.digest.clone().unwrap_or_else(|| "-".into()) }</code>{ format!(" {}", format_bytes(l.size)) }</>
        };
        html! {
            <>
            <section class="card" id="compare-summary">
                <h3>{ "A and B" }</h3>
                <dl class="facts">
                    <dt>{ "A" }</dt><dd><Untrusted text={d.a.name.clone()} />{ " " }<code>{ d.a.id.clone() }</code></dd>
                    <dt>{ "B" }</dt><dd><Untrusted text={d.b.name.clone()} />{ " " }<code>{ d.b.id.clone() }</code></dd>
                    <dt>{ "Layers" }</dt>
                    <dd id="compare-layers-summary">{ {
                        // The same blob is stored and pulled once; the same content compressed
                        // differently is two blobs, stored twice.
                        let blobs = d.shared_layers.iter().filter(|l| l.by == "digest").count();
                        let content = d.shared_layers.len() - blobs;
                        let mut parts = Vec::new();
                        if blobs > 0 { parts.push(format!("{} the same blob ({} stored once, pulled once)", strata_core::text::count(blobs, "layer"), format_bytes(d.summary.shared_bytes))); }
                        if content > 0 { parts.push(format!("{} the same content compressed differently (stored twice)", strata_core::text::count(content, "layer"))); }
                        if parts.is_empty() { parts.push("no layer in common".into()); }
                        format!("{}; {} only in A, {} only in B", parts.join(", "), d.only_a_layers.len(), d.only_b_layers.len())
                    } }</dd>
                    <dt>{ "Files" }</dt>
                    <dd id="compare-files-summary" title={format!("{:+} bytes", d.summary.size_delta)}>{ format!("{} added, {} removed, {} changed, {}{} in B",
                        d.summary.added, d.summary.removed, d.summary.changed, if d.summary.size_delta >= 0 { "+" } else { "−" }, format_bytes(d.summary.size_delta.unsigned_abs())) }</dd>
                </dl>
                <label class="check"><input type="checkbox" id="compare-semantic" checked={semantic} onchange={on_semantic} />
                    { " Ignore timestamps and owners (diffoci --semantic)" }</label>
            </section>
            <crate::components::cache_report::CacheReportView report={d.cache.clone()} />
            <section class="card">
                <h3>{ "Layers" }</h3>
                <table class="compare-layers" id="compare-layers">
                    <thead><tr><th>{ "" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                    <tbody>
                        { for d.shared_layers.iter().map(|s| html! {
                            <tr class="shared" data-digest={s.a.digest.clone().unwrap_or_default()}>
                                <td title={if s.by == "digest" { "the same blob: stored once" } else { "the same content, compressed differently: stored twice" }}>
                                    { if s.by == "digest" { "= shared" } else { "≈ same content" } }</td>
                                <td>{ format!("{}. ", s.a.layer) }{ layer_cell(&s.a) }</td>
                                <td>{ format!("{}. ", s.b.layer) }{ layer_cell(&s.b) }</td>
                            </tr>
                        }) }
                        { for d.only_a_layers.iter().map(|l| html! {
                            <tr class="only-a"><td>{ "only A" }</td><td>{ format!("{}. ", l.layer) }{ layer_cell(l) }</td><td></td></tr>
                        }) }
                        { for d.only_b_layers.iter().map(|l| html! {
                            <tr class="only-b"><td>{ "only B" }</td><td></td><td>{ format!("{}. ", l.layer) }{ layer_cell(l) }</td></tr>
                        }) }
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h3>{ format!("Config ({} differences)", d.config.len()) }</h3>
                if !d.config.is_empty() {
                    <table class="compare-config" id="compare-config">
                        <thead><tr><th>{ "Field" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                        <tbody>
                            { for d.config.iter().map(|c| html! {
                                <tr><td><code>{ c.key.clone() }</code></td>
                                    <td><code><Untrusted text={c.a.clone().unwrap_or_else(|| "(none)".to_owned())} /></code></td>
                                    <td><code><Untrusted text={c.b.clone().unwrap_or_else(|| "(none)".to_owned())} /></code></td></tr>
                            }) }
                        </tbody>
                    </table>
                }
            </section>
            <section class="card" id="compare-history">
                <h3>{ "Build steps" }</h3>
                <p>{ format!("{} in common, then {} only in A and {} only in B.", strata_core::text::count(d.history.common, "step"), d.history.only_a.len(), d.history.only_b.len()) }</p>
                <ul class="steps">
                    { for d.history.only_a.iter().map(|s| html! { <li class="only-a"><code>{ "A  " }<Untrusted text={s.clone()} /></code></li> }) }
                    { for d.history.only_b.iter().map(|s| html! { <li class="only-b"><code>{ "B  " }<Untrusted text={s.clone()} /></code></li> }) }
                </ul>
            </section>
            { packages_section(package_diff.as_ref().as_ref(), &props.packages, b_has_packages) }
            <section class="card">
                <h3>{ "Files of the final filesystems" }</h3>
                <div class="compare-filters">
                    { for ["added", "removed", "changed"].into_iter().map(|k| html! {
                        <label class="check"><input type="checkbox" checked={kinds.split(' ').any(|x| x == k)} onchange={toggle(k)} data-kind={k} />{ format!(" {k}") }</label>
                    }) }
                    <input type="search" id="compare-filter" placeholder="filter paths" aria-label="Filter paths" value={(*filter).clone()} oninput={on_filter} />
                </div>
                <table class="compare-files" id="compare-files">
                    <thead><tr><th>{ "" }</th><th>{ "Path" }</th><th>{ "What" }</th><th class="num">{ "A" }</th><th class="num">{ "B" }</th><th class="num">{ "Δ" }</th></tr></thead>
                    <tbody>
                        { for shown.into_iter().take(FILES_SHOWN).map(|f| {
                            // A changed regular file's content can be diffed, read from both.
                            let versions = (f.change == "changed" && f.kind == strata_core::tar::EntryKind::File && f.what.iter().any(|w| w == "content"))
                                .then(|| Some((version(&a_explorer.as_ref()?.analysis.tree, &f.path)?, version(&b.as_ref()?.explorer.analysis.tree, &f.path)?)))
                                .flatten();
                            let open = diff_open.as_deref() == Some(f.path.as_str());
                            let on_diff = {
                                let (diff_open, path) = (diff_open.clone(), f.path.clone());
                                Callback::from(move |_: MouseEvent| diff_open.set(if open { None } else { Some(path.clone()) }))
                            };
                            html! {
                            <>
                            <tr class={classes!("file", f.change.clone())} data-path={f.path.clone()} data-change={f.change.clone()}>
                                <td>{ match f.change.as_str() { "added" => "+", "removed" => "−", _ => "~" } }</td>
                                <td><code>{ "/" }<Untrusted text={f.path.clone()} /></code></td>
                                <td>{ f.what.join(", ") }
                                    if versions.is_some() {
                                        { " " }<button class="link show-diff" onclick={on_diff} aria-expanded={open.to_string()}>{ if open { "hide diff" } else { "diff" } }</button>
                                    }</td>
                                <td class="num">{ f.a_size.filter(|_| f.kind == strata_core::tar::EntryKind::File).map(format_bytes).unwrap_or_default() }</td>
                                <td class="num">{ f.b_size.filter(|_| f.kind == strata_core::tar::EntryKind::File).map(format_bytes).unwrap_or_default() }</td>
                                <td class="num">{ if f.delta == 0 { String::new() } else { format!("{:+}", f.delta) } }</td>
                            </tr>
                            if let (true, Some((a, b))) = (open, versions) {
                                <tr class="diff-row"><td></td><td colspan="5"><ContentDiff path={f.path.clone()} {a} {b} /></td></tr>
                            }
                            </>
                            }
                        }) }
                    </tbody>
                </table>
                if n_shown > FILES_SHOWN {
                    <p class="note">{ format!("{} more: filter to narrow them", n_shown - FILES_SHOWN) }</p>
                }
            </section>
            </>
        }
    });
    html! {
        <article class="compare" id="compare">
            { picker }
            { status }
            { body }
        </article>
    }
}

/// Where `path`'s content is in the final filesystem of `tree`.
fn version(tree: &strata_core::tree::ImageTree, path: &str) -> Option<Version> {
    let id = tree.paths.lookup(path)?;
    let last = tree.n_layers().checked_sub(1)?;
    let d = strata_core::explorer::details(tree, &[], id, last)?;
    Some(Version {
        layer: d.content_layer?,
        entry: d.content_entry?,
        size: d.size,
    })
}

/// A local archive's image ID (a digest), as opposed to a registry reference.
fn is_image_id(s: &str) -> bool {
    strata_core::Digest::parse(s).is_ok()
}

/// Packages added, removed and changed from A's final image to B's.
fn packages_section(
    diff: Option<&Rc<strata_core::packages::PackageDiff>>,
    a: &crate::state::PackagesState,
    b_read: bool,
) -> Html {
    use strata_core::packages::Direction;
    let Some(d) = diff else {
        let why = match a {
            crate::state::PackagesState::Unavailable(w) => w.clone(),
            crate::state::PackagesState::Failed(e) => {
                format!("A's packages could not be read: {}", e.summary)
            }
            _ if !b_read => "B's packages could not be read.".to_owned(),
            _ => "Reading A's packages…".to_owned(),
        };
        return html! {
            <section class="card" id="compare-packages">
                <h3>{ "Packages" }</h3>
                <p class="note" id="compare-packages-pending">{ why }</p>
            </section>
        };
    };
    let ref_row = |mark: &'static str,
                   class: &'static str,
                   p: &strata_core::packages::PackageRef| {
        html! {
            <tr class={classes!("package", class)} data-change={class} data-name={p.name.clone()} data-type={p.ecosystem.name()}>
                <td>{ mark }</td>
                <td><Untrusted text={p.name.clone()} /></td>
                <td>{ p.ecosystem.name() }</td>
                <td><code><Untrusted text={if class == "removed" { p.version.clone() } else { String::new() }} /></code></td>
                <td><code><Untrusted text={if class == "added" { p.version.clone() } else { String::new() }} /></code></td>
                <td></td>
            </tr>
        }
    };
    html! {
        <section class="card" id="compare-packages">
            <h3>{ "Packages" }</h3>
            <p id="compare-packages-summary">{ format!("{} added, {} removed, {} changed version in B",
                d.added.len(), d.removed.len(), d.changed.len()) }</p>
            if !(d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty()) {
                <table class="compare-packages" id="compare-packages-table">
                    <thead><tr><th>{ "" }</th><th>{ "Package" }</th><th>{ "Type" }</th><th>{ "A" }</th><th>{ "B" }</th><th>{ "" }</th></tr></thead>
                    <tbody>
                        { for d.added.iter().map(|p| ref_row("+", "added", p)) }
                        { for d.removed.iter().map(|p| ref_row("\u{2212}", "removed", p)) }
                        { for d.changed.iter().map(|c| html! {
                            <tr class="package changed" data-change="changed" data-name={c.name.clone()} data-type={c.ecosystem.name()}>
                                <td>{ "~" }</td>
                                <td><Untrusted text={c.name.clone()} /></td>
                                <td>{ c.ecosystem.name() }</td>
                                <td><code><Untrusted text={c.from.clone()} /></code></td>
                                <td><code><Untrusted text={c.to.clone()} /></code></td>
                                <td>{ match c.direction { Direction::Upgrade => "upgrade", Direction::Downgrade => "downgrade", Direction::Same => "same version" } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
