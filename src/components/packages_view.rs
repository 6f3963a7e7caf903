//! What is installed, and by which layer: the packages after a layer (the final image by
//! default) in a table sorted and filtered as the route says, the selected package with its
//! files (each opens in the Layers explorer), each layer's package changes, the executables no
//! package owns, and the SBOMs (SPDX 2.3, CycloneDX 1.6: made here, saved as a file, sent
//! nowhere). Where the image carries SBOMs (a BuildKit attestation, cosign's `.sbom`, an SBOM
//! referrer), each is set beside the table with the packages the two disagree on. The analysis
//! ran in a worker; this renders its report.

use crate::components::packages_sboms::PackagesSboms;
use crate::components::untrusted::{Untrusted, untrusted};
use crate::platform::browser;
use crate::route::{Route, View};
use crate::state::{
    Explorer, LayersState, LookupStatus, Packages, PackagesState, Session, SupplyChainState,
};
use std::rc::Rc;
use strata_core::package_view::{Column, Query, Row, display_name, files_of, rows};
use strata_core::packages::{Direction, Ecosystem, PackageIdx, PackageInstance, SbomSubject};
use strata_core::text::{clip, count, format_bytes};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Rows drawn at most (a filter narrows longer lists).
const ROWS_SHOWN: usize = 2000;
/// Rows drawn in the first frame; the rest follow in the next task with the sections below the
/// table, so the table is on screen before all of a 500-package image's rows are built (the
/// benchmark measures both).
const FIRST_ROWS: usize = 40;
/// Characters of a row's step in its tooltip: an `apt-get install` of hundreds of packages is
/// kilobytes, copied into every row's attribute otherwise (the History view shows it whole).
const STEP_TITLE: usize = 400;
/// Changes listed per layer until the user asks for all (a base layer adds hundreds).
const CHANGES_SHOWN: usize = 30;
/// A package's files listed at once.
const FILES_SHOWN: usize = 500;

#[derive(Properties, PartialEq)]
pub struct PackagesViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    pub packages: PackagesState,
    /// The image's signatures and attestations, for the SBOMs among them.
    pub supply_chain: SupplyChainState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn PackagesView(props: &PackagesViewProps) -> Html {
    let explorer = match &props.layers {
        LayersState::Ready(e) => Some(e.clone()),
        _ => None,
    };
    let body = match (&props.packages, explorer) {
        (PackagesState::Ready(p), Some(e)) => html! {
            <Report packages={p.clone()} explorer={e} session={props.session.clone()} sboms={props.supply_chain.status.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} />
        },
        (PackagesState::Failed(e), _) => html! {
            <section class="error-panel" role="alert" id="packages-error">
                <h2>{ "The packages could not be read" }</h2>
                <p class="error-summary">{ e.summary.clone() }</p>
                <details><summary>{ "Details" }</summary><pre class="error-detail">{ e.detail.clone() }</pre></details>
            </section>
        },
        (PackagesState::Unavailable(why), _) => html! {
            <p class="note" id="packages-unavailable">{ why.clone() }</p>
        },
        (PackagesState::Reading, _) | (PackagesState::Ready(_), None) => html! {
            <p class="note" id="packages-reading" aria-busy="true">{ "Reading the package databases (dpkg, apk, rpm, Python, npm, Go and Rust build info, jars) in a background worker…" }</p>
        },
        (PackagesState::Idle, _) => html! {
            <p class="note" id="packages-waiting">{ "The packages are read once the layers are." }</p>
        },
    };
    html! { <article class="packages" id="packages">{ body }</article> }
}

#[derive(Properties, PartialEq)]
struct ReportProps {
    packages: Rc<Packages>,
    explorer: Rc<Explorer>,
    session: Rc<Session>,
    sboms: LookupStatus,
    route: Route,
    on_navigate: Callback<Route>,
}

/// The query the route says.
fn query_of(route: &Route) -> Query {
    let (sort, descending) = route.package_sort.unwrap_or_default();
    Query {
        layer: route.packages_layer.map(|l| l.number()),
        text: route.package_filter.clone(),
        ecosystem: route.ecosystem,
        sort,
        descending,
    }
}

#[component]
fn Report(props: &ReportProps) -> Html {
    let p = &props.packages;
    let r = &p.report;
    let route = &props.route;
    let query = query_of(route);
    let table = {
        let (p, q) = (p.clone(), query.clone());
        use_memo((p, q), |(p, q)| Rc::new(rows(&p.report, q)))
    };
    let (shown, total) = &**table;
    // How many rows are drawn: the first screenful at once, every row a task later.
    let drawn = use_state(|| FIRST_ROWS);
    {
        let drawn = drawn.clone();
        let n = shown.len();
        use_effect_with(n, move |&n| {
            if n > *drawn {
                crate::platform::browser::later(0, move || drawn.set(ROWS_SHOWN));
            }
        });
    }
    let all_changes = use_state(|| false);
    let go = |f: Box<dyn Fn(&mut Route)>| {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        move || {
            let mut r = route.clone();
            f(&mut r);
            on.emit(r);
        }
    };
    let on_filter = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on.emit(Route {
                package_filter: input.value(),
                ..route.clone()
            })
        })
    };
    let on_type = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            on.emit(Route {
                ecosystem: Ecosystem::parse(&select.value()),
                ..route.clone()
            })
        })
    };
    let n_layers = r.layers.len();
    let on_layer = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let layer = select
                .value()
                .parse::<usize>()
                .ok()
                .filter(|l| *l < n_layers)
                .and_then(strata_core::LayerIdx::from_number);
            on.emit(Route {
                packages_layer: layer,
                ..route.clone()
            })
        })
    };
    let header = |c: Column| {
        let active = query.sort == c;
        let descending = active && query.descending;
        // A new column sorts ascending, but sizes largest first; the same column flips.
        let next = match (active, descending) {
            (true, false) => (c, true),
            (true, true) => (c, false),
            (false, _) => (c, c == Column::Size),
        };
        let onclick = {
            let f = go(Box::new(move |r: &mut Route| r.package_sort = Some(next)));
            Callback::from(move |_: MouseEvent| f())
        };
        let sort = match (active, descending) {
            (true, true) => "descending",
            (true, false) => "ascending",
            _ => "none",
        };
        html! {
            <th class={classes!((c == Column::Size).then_some("num"))} aria-sort={sort}>
                <button class="sort" id={format!("sort-{}", c.slug())} data-sort={c.slug()} {onclick}>
                    { c.label() }{ match sort { "ascending" => " ▲", "descending" => " ▼", _ => "" } }
                </button>
            </th>
        }
    };
    let select = |id: PackageIdx| {
        let f = go(Box::new(move |r: &mut Route| r.package = Some(id.0)));
        Callback::from(move |_: MouseEvent| f())
    };
    let selected = route
        .package
        .map(PackageIdx)
        .filter(|i| r.get(*i).is_some());
    let row = |row: &Row| {
        let step = row.step.as_deref().unwrap_or_default();
        html! {
            <tr class={classes!("package-row", (Some(row.id) == selected).then_some("selected"))} data-id={row.id.0.to_string()}
                data-name={row.name.clone()} data-version={row.version.clone()} data-type={row.ecosystem.name()} data-layer={row.layer.to_string()}>
                <td><button class="link package-name" onclick={select(row.id)}>{ untrusted(&row.name) }</button></td>
                <td><code>{ untrusted(&row.version) }</code></td>
                <td>{ row.ecosystem.name() }</td>
                <td title={clip(step, STEP_TITLE)}>{ format!("{} ", row.layer) }<code class="step">{ untrusted(&clip(step, 60)) }</code></td>
                { size_cell(row, row.counted_under.and_then(|o| r.get(o))) }
                <td>{ untrusted(row.license.as_deref().unwrap_or_default()) }</td>
            </tr>
        }
    };
    let details = selected.and_then(|id| r.get(id).map(|pkg| (id, pkg))).map(|(id, pkg)| {
        html! {
            <PackageDetails key={id.0.to_string()} packages={p.clone()} explorer={props.explorer.clone()} id={id}
                route={route.clone()} on_navigate={props.on_navigate.clone()} name={display_name(pkg)} />
        }
    });
    let summary = p
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{n} {}", e.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let n_final = r.final_packages().count();
    let show_all = {
        let all = all_changes.clone();
        Callback::from(move |_: MouseEvent| all.set(true))
    };
    let changes = r.layers.iter().filter(|lp| !lp.added.is_empty() || !lp.removed.is_empty() || !lp.changed.is_empty()).map(|lp| {
        let name = |i: PackageIdx| r.get(i).map(|p| (display_name(p), p.package.version.clone(), p.ecosystem.name())).unwrap_or_default();
        let entry = |mark: &'static str, class: &'static str, i: PackageIdx, text: String| html! {
            <li class={classes!("package-change", class)} data-change={class}>
                <span class="change-mark">{ mark }</span>{ " " }
                <button class="link" onclick={select(i)}>{ untrusted(&text) }</button>
            </li>
        };
        let badge = p.badges.get(lp.layer - 1).cloned().flatten();
        // Hundreds of entries for a base layer: the first few, the rest on request.
        let n = lp.added.len() + lp.removed.len() + lp.changed.len();
        let limit = if *all_changes { n } else { CHANGES_SHOWN };
        let hidden = n.saturating_sub(limit);
        html! {
            <li class="layer-changes" data-layer={lp.layer.to_string()}>
                <p>
                    <strong>{ format!("Layer {}", lp.layer) }</strong>{ " " }
                    if let Some(b) = &badge { <span class="badge pkg-badge" title={b.title.clone()}>{ b.text.clone() }</span> }
                    { format!(" {} of package files ", format_bytes(lp.package_bytes)) }
                    if let Some(s) = &lp.step { <code class="step"><Untrusted text={clip(s, 100)} /></code> }
                </p>
                <ul class="package-changes-list">
                    { for lp.added.iter().take(limit).map(|&i| { let (n, v, e) = name(i); entry("+", "added", i, format!("{n} {v} ({e})")) }) }
                    { for lp.removed.iter().take(limit.saturating_sub(lp.added.len())).map(|&i| { let (n, v, e) = name(i); entry("\u{2212}", "removed", i, format!("{n} {v} ({e})")) }) }
                    { for lp.changed.iter().take(limit.saturating_sub(lp.added.len() + lp.removed.len())).map(|c| {
                        let (n, from, e) = name(c.from);
                        let (_, to, _) = name(c.to);
                        let how = match c.direction { Direction::Upgrade => "upgraded", Direction::Downgrade => "downgraded", Direction::Same => "rewritten" };
                        entry("~", "changed", c.to, format!("{n} {from} → {to} ({e}, {how})"))
                    }) }
                </ul>
                if hidden > 0 {
                    <button class="link show-all-changes" onclick={show_all.clone()}>{ format!("and {hidden} more: show every change") }</button>
                }
            </li>
        }
    });
    // The first frame draws what is on screen; the rest of the rows, the changes by layer and
    // the unowned executables come a task later.
    let complete = *drawn >= shown.len().min(ROWS_SHOWN);
    let unowned = (complete && !r.unowned_executables.is_empty()).then(|| {
        let open = |path: String, layer: usize| {
            let f = go(Box::new(move |r: &mut Route| to_file(r, &path, Some(layer))));
            Callback::from(move |_: MouseEvent| f())
        };
        html! {
            <section class="card" id="unowned-executables">
                <h3>{ format!("Not owned by any package ({})", r.unowned_executables.len()) }</h3>
                <p class="note">{ "Executables no package database lists: invisible to scanners that read them. Each opens in the Layers view." }</p>
                <ul class="unowned-list">
                    { for r.unowned_executables.iter().take(FILES_SHOWN).map(|u| html! {
                        <li>
                            <button class="link path" data-path={u.path.clone()} onclick={open(u.path.clone(), u.layer)}>{ "/" }<Untrusted text={u.path.clone()} /></button>
                            { format!(" {}, {}, layer {} ", format_bytes(u.bytes), u.kind.describe(), u.layer) }
                            if let Some(s) = &u.step { <code class="step"><Untrusted text={clip(s, 80)} /></code> }
                        </li>
                    }) }
                </ul>
            </section>
        }
    });
    html! {
        <>
        <section class="card" id="packages-summary">
            <div class="view-head">
                <h2>{ "Packages" }</h2>
                <span id="packages-count" data-final={n_final.to_string()}>{ format!("{}{}", count(n_final, "package"), if summary.is_empty() { String::new() } else { format!(": {summary}") }) }</span>
                if let Some(os) = &r.os {
                    <span class="badge" id="packages-os"><Untrusted text={os.pretty_name.clone().unwrap_or_else(|| os.distro())} /></span>
                }
                <Sbom packages={p.clone()} session={props.session.clone()} />
            </div>
            if !r.diagnostics.is_empty() {
                <details class="note" id="packages-diagnostics">
                    <summary>{ count(r.diagnostics.len(), "note") }{ " on reading the databases" }</summary>
                    <ul>{ for r.diagnostics.iter().map(|d| html! { <li><code><Untrusted text={d.subject.clone()} /></code>{ ": " }<Untrusted text={d.message.clone()} /></li> }) }</ul>
                </details>
            }
        </section>
        <PackagesSboms packages={p.clone()} status={props.sboms.clone()} route={route.clone()} on_navigate={props.on_navigate.clone()} />
        <div class="packages-main">
            <section class="card packages-table-card">
                <div class="packages-toolbar">
                    <input type="search" id="package-filter" placeholder="Filter: name, version, license, purl" aria-label="filter packages"
                        value={route.package_filter.clone()} oninput={on_filter} />
                    <select id="package-type" aria-label="package type" onchange={on_type}>
                        <option value="" selected={query.ecosystem.is_none()}>{ "every type" }</option>
                        { for p.ecosystems.iter().map(|(e, n)| html! {
                            <option value={e.name()} selected={query.ecosystem == Some(*e)}>{ format!("{} ({n})", e.name()) }</option>
                        }) }
                    </select>
                    <select id="package-layer" aria-label="after which layer" onchange={on_layer}>
                        <option value="" selected={query.layer.is_none()}>{ "the final image" }</option>
                        { for (1..n_layers).map(|l| html! {
                            <option value={l.to_string()} selected={query.layer == Some(l)}>{ format!("after layer {l}") }</option>
                        }) }
                    </select>
                    <span class="note" id="packages-shown" data-rows={shown.len().to_string()}>{ format!("{} of {total} shown", shown.len().min(ROWS_SHOWN)) }</span>
                </div>
                <table class="packages-table" id="packages-table" data-complete={complete.to_string()}>
                    // Fixed widths (strata.css): the columns stay put when the rest of the rows come.
                    <colgroup>{ for Column::ALL.into_iter().map(|c| html! { <col class={format!("col-{}", c.slug())} /> }) }</colgroup>
                    <thead><tr>{ for Column::ALL.into_iter().map(header) }</tr></thead>
                    <tbody>{ for shown.iter().take((*drawn).min(ROWS_SHOWN)).map(row) }</tbody>
                </table>
                if shown.len() > ROWS_SHOWN {
                    <p class="note">{ format!("{} more: filter to narrow them", shown.len() - ROWS_SHOWN) }</p>
                }
            </section>
            { details }
        </div>
        if complete {
            <section class="card" id="package-changes">
                <h3>{ "Package changes by layer" }</h3>
                <ol class="layer-changes-list">{ for changes }</ol>
            </section>
        }
        { unowned }
        </>
    }
}

/// A row's size: its files' bytes, or the package that counts them (a Python distribution a
/// deb installed would show 0 B otherwise).
fn size_cell(row: &Row, counted_under: Option<&PackageInstance>) -> Html {
    // Each title opens with the row's bytes (the e2e test reads them there).
    let title = format!("{} bytes, {}", row.bytes, count(row.n_files, "file"));
    match counted_under {
        _ if row.n_files == 0 => html! { <td class="num" {title}>{ "-" }</td> },
        Some(o) => {
            let name = display_name(o);
            html! {
                <td class="num counted-under" title={match row.n_files {
                    1 => format!("0 bytes of its own: its one file is counted under {name}, which installed it first"),
                    n => format!("0 bytes of its own: its {n} files are counted under {name}, which installed them first"),
                }}>
                    { "in " }{ untrusted(&name) }
                </td>
            }
        }
        None => html! { <td class="num" {title}>{ format_bytes(row.bytes) }</td> },
    }
}

/// Opens `path` in the Layers view: in the final filesystem, or at `layer` (1-based) when it
/// is not there any more.
fn to_file(r: &mut Route, path: &str, layer: Option<usize>) {
    r.view = View::Layers;
    r.path = Some(path.to_owned());
    r.layer = layer.and_then(strata_core::LayerIdx::from_number);
    r.changes_only = false;
    r.filter = String::new();
    r.kinds = String::new();
    r.min_size = 0;
}

#[derive(Properties, PartialEq)]
struct PackageDetailsProps {
    packages: Rc<Packages>,
    explorer: Rc<Explorer>,
    id: PackageIdx,
    name: String,
    route: Route,
    on_navigate: Callback<Route>,
}

#[component]
fn PackageDetails(props: &PackageDetailsProps) -> Html {
    let r = &props.packages.report;
    let files = {
        let (pk, e, id) = (props.packages.clone(), props.explorer.clone(), props.id);
        use_memo((pk, e, id), |(pk, e, id)| {
            Rc::new(files_of(&pk.report, &e.analysis.tree, *id))
        })
    };
    let Some(p) = r.get(props.id) else {
        return html! {};
    };
    let open = |path: String, present: bool| {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        // A file gone from the final image opens where this package had it.
        let layer = (!present).then_some(p.layer);
        Callback::from(move |_: MouseEvent| {
            let mut r = route.clone();
            to_file(&mut r, &path, layer);
            on.emit(r);
        })
    };
    let close = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |_: MouseEvent| {
            on.emit(Route {
                package: None,
                ..route.clone()
            })
        })
    };
    let pkg = &p.package;
    html! {
        <aside class="card package-details" id="package-details" data-id={props.id.0.to_string()}>
            <div class="view-head">
                <h3 id="package-title"><Untrusted text={props.name.clone()} />{ " " }<code><Untrusted text={pkg.version.clone()} /></code></h3>
                <button class="button subtle small" id="package-close" onclick={close}>{ "Close" }</button>
            </div>
            <dl class="facts compact">
                <dt>{ "Type" }</dt><dd>{ p.ecosystem.name() }</dd>
                <dt>{ "Package URL" }</dt><dd><code id="package-purl"><Untrusted text={p.purl.clone()} /></code></dd>
                if let Some(s) = &pkg.summary { <dt>{ "Summary" }</dt><dd><Untrusted text={s.clone()} /></dd> }
                if let Some(l) = &pkg.license { <dt>{ "License" }</dt><dd><Untrusted text={l.clone()} /></dd> }
                if let Some(a) = &pkg.arch { <dt>{ "Architecture" }</dt><dd><Untrusted text={a.clone()} /></dd> }
                if let Some(s) = &pkg.source { <dt>{ "Source" }</dt><dd><Untrusted text={s.clone()} /></dd> }
                <dt>{ "Found in" }</dt><dd><code><Untrusted text={format!("/{}", p.location)} /></code></dd>
                <dt>{ "Installed by" }</dt>
                <dd id="package-layer-step">{ format!("layer {} ", p.layer) }if let Some(s) = &p.step { <code class="step"><Untrusted text={clip(s, 160)} /></code> }</dd>
                if let Some(gone) = p.removed_in {
                    <dt>{ "Removed" }</dt><dd>{ format!("by layer {gone} (its files still ship in layer {})", p.layer) }</dd>
                }
                <dt>{ "Size" }</dt>
                <dd>{ format!("{} in the final image, {}", format_bytes(p.bytes), count(p.n_files, "file")) }
                    if let Some(d) = pkg.installed_size { { format!(" (its database says {})", format_bytes(d)) } }</dd>
                if !p.layer_bytes.is_empty() && (p.layer_bytes.len() > 1 || !p.is_final()) {
                    <dt>{ "Per layer" }</dt>
                    <dd>{ p.layer_bytes.iter().map(|b| format!("layer {}: {}", b.layer, format_bytes(b.bytes))).collect::<Vec<_>>().join(", ") }</dd>
                }
            </dl>
            <h4>{ format!("Files ({})", files.len()) }</h4>
            if files.is_empty() {
                <p class="note">{ "Its database lists no file of this image." }</p>
            }
            <ul class="package-files" id="package-files">
                { for files.iter().take(FILES_SHOWN).map(|(path, present)| html! {
                    <li class={classes!((!present).then_some("gone"))}>
                        <button class="link path package-file" data-path={path.clone()} onclick={open(path.clone(), *present)}
                            title={if *present { "Open in the Layers view" } else { "Not in the final image: opens in the layer that installed it" }}>
                            { "/" }<Untrusted text={path.clone()} />
                        </button>
                    </li>
                }) }
            </ul>
            if files.len() > FILES_SHOWN {
                <p class="note">{ format!("{} more", files.len() - FILES_SHOWN) }</p>
            }
        </aside>
    }
}

#[derive(Properties, PartialEq)]
struct SbomProps {
    packages: Rc<Packages>,
    session: Rc<Session>,
}

/// The two SBOM buttons: the document is made here, from the report, and saved as a file.
#[component]
fn Sbom(props: &SbomProps) -> Html {
    let save = |spdx: bool| {
        let (p, session) = (props.packages.clone(), props.session.clone());
        Callback::from(move |_: MouseEvent| {
            let image = &session.image;
            let file = session
                .snapshot_of
                .as_ref()
                .map_or_else(|| session.listing.file_name.clone(), |(n, _)| n.clone());
            let subject = SbomSubject {
                name: image
                    .repo_tags
                    .first()
                    .cloned()
                    .unwrap_or_else(|| file.clone()),
                image_id: image.id().to_string(),
                diff_ids: image
                    .layers
                    .iter()
                    .map(|l| l.diff_id.as_ref().map(ToString::to_string))
                    .collect(),
                created: format!(
                    "{}Z",
                    strata_core::text::format_time(browser::now_secs()).replace(' ', "T")
                ),
                tool: "strata".into(),
                tool_version: env!("CARGO_PKG_VERSION").into(),
            };
            let (doc, ext) = if spdx {
                (
                    strata_core::packages::sbom::spdx(&p.report, &subject),
                    "spdx.json",
                )
            } else {
                (
                    strata_core::packages::sbom::cyclonedx(&p.report, &subject),
                    "cdx.json",
                )
            };
            let base = file.rsplit('/').next().unwrap_or("image");
            let base = base.strip_suffix(".tar").unwrap_or(base);
            let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            browser::download(&bytes, &format!("{base}.{ext}"));
        })
    };
    html! {
        <span class="sbom-buttons" role="group" aria-label="SBOM">
            <button class="button small" id="sbom-spdx" onclick={save(true)} title="Every package of the final image, with its layer, as SPDX 2.3 JSON (made here, nothing is uploaded)">{ "SPDX 2.3 JSON" }</button>
            <button class="button small" id="sbom-cyclonedx" onclick={save(false)} title="The same as CycloneDX 1.6 JSON">{ "CycloneDX 1.6 JSON" }</button>
        </span>
    }
}
