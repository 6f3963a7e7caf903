//! The overview of an open image: names, IDs and digests, platform, layers (verified once
//! read), run configuration, and any problems found, problems first.

use crate::components::copy_button::CopyButton;
use crate::components::diagnostics_list::DiagnosticsList;
use crate::components::findings::Findings;
use crate::components::supply_chain_badge::SupplyChainBadge;
use crate::components::untrusted::Untrusted;
use crate::state::{LayersState, Session};
use std::rc::Rc;
use strata_core::Diagnostic;
use strata_core::LayerStatus;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OverviewViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    #[prop_or_default]
    pub packages: crate::state::PackagesState,
    pub route: crate::route::Route,
    pub on_navigate: Callback<crate::route::Route>,
    pub supply_chain: crate::state::SupplyChainState,
}

#[component]
pub fn OverviewView(props: &OverviewViewProps) -> Html {
    let session = &props.session;
    let ov = &session.overview;
    let explorer = match &props.layers {
        LayersState::Ready(e) => Some(e.clone()),
        _ => None,
    };
    // The findings: the config's, the files' once the layers are read, then the packages'.
    let hints = {
        let (base, packages) = (
            explorer
                .as_ref()
                .map_or_else(|| session.hints.clone(), |e| e.hints.clone()),
            props.packages.ready().cloned(),
        );
        use_memo((base, packages), |(base, packages)| match packages {
            Some(p) if !p.report.hints.is_empty() => {
                let mut all = (**base).clone();
                all.extend(p.report.hints.iter().cloned());
                Rc::new(all)
            }
            _ => base.clone(),
        })
    };
    let mut diagnostics: Vec<Diagnostic> = ov.diagnostics.clone();
    if let Some(e) = &explorer {
        diagnostics.extend(e.analysis.diagnostics.iter().cloned());
    }
    let tags = if ov.repo_tags.is_empty() {
        vec!["<none>".to_owned()]
    } else {
        ov.repo_tags.clone()
    };
    // Exact once the layers are read; before that, what the gzip trailers and zstd headers
    // say, which a registry image does not have yet (reading them is a request per layer).
    let uncompressed: Option<u64> = match &explorer {
        Some(e) => Some(e.analysis.scans.iter().flatten().map(|s| s.tar_size).sum()),
        None => session
            .image
            .layers
            .iter()
            .map(|l| l.uncompressed_size)
            .sum::<Option<u64>>(),
    };
    let remote = session.image.format == strata_core::ArchiveFormat::Registry;
    let uncompressed_text = match uncompressed {
        Some(u) => format!("{} uncompressed", format_bytes(u)),
        None => "uncompressed size known once the layers are read".to_owned(),
    };
    let verified = |i: usize| -> Html {
        match &props.layers {
            LayersState::Ready(e) => {
                let entries = e
                    .analysis
                    .scans
                    .get(i)
                    .cloned()
                    .flatten()
                    .map_or(0, |s| s.entries);
                match e.analysis.layer_status(i) {
                    LayerStatus::Missing => html! { <span class="badge bad">{ "missing" }</span> },
                    LayerStatus::Damaged(_) | LayerStatus::Unchecked(_) => {
                        html! { <span class="badge bad" title="see the problems above">{ "✗ mismatch" }</span> }
                    }
                    LayerStatus::Checking => {
                        html! { <span class="badge checking" title={format!("{entries} entries indexed; the blob's sha256 is being computed")}>{ "checking…" }</span> }
                    }
                    LayerStatus::Verified => {
                        html! { <span class="badge good" title={format!("sha256 of the blob and of the uncompressed tar match; {entries} entries")}>{ "✓ verified" }</span> }
                    }
                }
            }
            LayersState::Scanning { .. } => html! { <span class="badge">{ "checking…" }</span> },
            _ => html! {},
        }
    };
    // Signatures and attestations: the badge, and the index's attestation manifests for this
    // platform, each opening in the Supply chain view (its manifest's bytes shown).
    let supply_link = |artifact: Option<String>| {
        let (route, on_navigate) = (props.route.clone(), props.on_navigate.clone());
        let target = crate::route::Route {
            view: crate::route::View::SupplyChain,
            artifact,
            ..route
        };
        let href = target.to_fragment();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on_navigate.emit(target.clone());
        });
        (href, onclick)
    };
    let attestations: Vec<String> = session
        .image
        .chosen
        .and_then(|i| session.image.choices.get(i))
        .map(|c| c.attestations.iter().map(|d| d.digest.clone()).collect())
        .unwrap_or_default();
    let (supply_href, supply_click) = supply_link(None);
    let supply_row = html! {
        <>
            <dt>{ "Supply chain" }</dt>
            <dd id="overview-supply">
                <SupplyChainBadge state={props.supply_chain.clone()} docker_save={session.image.manifest_synthesized} />{ " " }
                <a href={supply_href} onclick={supply_click} id="overview-supply-open">{ "Signatures and attestations →" }</a>
                { for attestations.iter().map(|d| {
                    let (href, onclick) = supply_link(Some(d.clone()));
                    html! { <div class="attestation-manifest"><span class="note">{ "Attestation manifest " }</span>
                        <a {href} {onclick} class="attestation-link" data-digest={d.clone()}><code class="digest">{ d.clone() }</code></a></div> }
                }) }
            </dd>
        </>
    };
    html! {
        <article class="overview" id="overview">
            if !diagnostics.is_empty() {
                <DiagnosticsList diagnostics={Rc::new(diagnostics)} />
            }
            <section class="card">
                <h2 class="image-title">
                    { for tags.iter().map(|t| html! { <span class="tag"><Untrusted text={t.to_string()} /></span> }) }
                </h2>
                <dl class="facts">
                    <dt>{ "Image ID" }</dt>
                    <dd><code id="image-id">{ ov.image_id.clone() }</code>{ " " }<CopyButton text={ov.image_id.clone()} class="small" /></dd>
                    <dt>{ "Manifest digest" }</dt>
                    <dd><code id="manifest-digest">{ ov.manifest_digest.clone() }</code>
                        if ov.manifest_synthesized {
                            <span class="note" title="docker save archives have no manifest; this is the one skopeo and podman derive from it">{ " derived, as skopeo and podman derive it" }</span>
                        }
                    </dd>
                    if let Some(index) = &ov.index_digest {
                        <dt>{ "Index digest" }</dt><dd><code>{ index.clone() }</code></dd>
                    }
                    if !ov.repo_digests.is_empty() {
                        <dt>{ "Repo digests" }</dt>
                        <dd>{ for ov.repo_digests.iter().map(|d| html! { <code class="block">{ d.clone() }</code> }) }</dd>
                    }
                    <dt>{ "Platform" }</dt><dd id="platform">{ ov.platform.clone() }</dd>
                    <dt>{ "Created" }</dt><dd>{ ov.created.clone().unwrap_or_else(|| "unknown".into()) }</dd>
                    if let Some(a) = &ov.author { <dt>{ "Author" }</dt><dd>{ a.clone() }</dd> }
                    if let Some(v) = &ov.docker_version { <dt>{ "Docker version" }</dt><dd>{ v.clone() }</dd> }
                    <dt>{ "Format" }</dt>
                    <dd id="format">{ if remote { session.listing.format.clone() } else { ov.format.clone() } }</dd>
                    <dt>{ "Size" }</dt>
                    <dd id="sizes">{ format!("{} stored, {uncompressed_text}, in {}", ov.stored_size_text, strata_core::text::count(ov.n_layers, "layer")) }</dd>
                    { supply_row }
                    <dt>{ "History" }</dt><dd>{ format!("{}, {} without a layer", strata_core::text::count(ov.n_history, "step"), ov.n_empty_history) }</dd>
                    if let Some((name, format)) = &session.snapshot_of {
                        <dt>{ "Opened from" }</dt>
                        <dd id="snapshot-of">{ format!("a snapshot of {name} ({format}): every view but file contents") }</dd>
                    } else if remote {
                        <dt>{ "Fetched" }</dt>
                        <dd id="fetched">{ if explorer.is_some() {
                            format!("the manifest, the config and the {} layers", format_bytes(session.listing.file_size))
                        } else {
                            "the manifest and the config: no layer yet".to_owned()
                        } }</dd>
                    } else {
                        <dt>{ "Read" }</dt>
                        <dd id="bytes-read" data-bytes-read={session.bytes_read.to_string()} data-file-size={session.listing.file_size.to_string()}>
                            { if explorer.is_some() {
                                // Once the layers are indexed the count is still the overview's
                                // alone: say so, and what else was read, and where.
                                format!("{} of this {} archive to show the overview, then its layers ({}) in the workers, to index their files",
                                    format_bytes(session.bytes_read), format_bytes(session.listing.file_size), ov.stored_size_text)
                            } else {
                                format!("{} of this {} archive, to show this page", format_bytes(session.bytes_read), format_bytes(session.listing.file_size))
                            } }
                        </dd>
                    }
                </dl>
            </section>
            <Findings hints={(*hints).clone()}
                files_pending={explorer.is_none()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} />
            <section class="card">
                <h3>{ "Layers" }</h3>
                <table class="layers-table" id="layers-table">
                    <thead><tr>
                        <th>{ "#" }</th><th>{ "Digest" }</th><th>{ "Diff ID" }</th><th>{ "Stored as" }</th>
                        <th class="num">{ "Stored" }</th><th class="num">{ "Uncompressed" }</th><th>{ "Checked" }</th>
                    </tr></thead>
                    <tbody>
                        { for ov.layers.iter().enumerate().map(|(i, l)| {
                            let layer = &session.image.layers[i];
                            html! {
                                <tr class={classes!(l.missing.then_some("missing"))}>
                                    <td>{ l.number }</td>
                                    <td><code class="digest">{ l.digest.clone().unwrap_or_else(|| "-".into()) }</code></td>
                                    <td><code class="digest">{ l.diff_id.clone().unwrap_or_else(|| "-".into()) }</code></td>
                                    <td title={l.media_type.clone().unwrap_or_else(|| "no media type (docker save)".into())}>{ match (l.missing, l.compression) {
                                        (true, _) => "missing".to_owned(),
                                        (false, Some(c)) => c.label().to_owned(),
                                        (false, None) => "?".to_owned(),
                                    } }</td>
                                    <td class="num" title={l.size.map(|s| format!("{s} bytes")).unwrap_or_default()}>{ l.size_text.clone() }</td>
                                    <td class="num" title={layer.uncompressed_size.map_or_else(|| "known once the layers are read".to_owned(), |s| format!("{s} bytes{}", if layer.uncompressed_size_exact { "" } else { " (from the gzip trailer or zstd header)" }))}>
                                        { match (&explorer, layer.uncompressed_size) {
                                            (Some(e), _) => e.analysis.scans.get(i).cloned().flatten().map_or_else(|| "?".into(), |s| format_bytes(s.tar_size)),
                                            (None, Some(u)) => format_bytes(u),
                                            (None, None) => "?".into(),
                                        } }
                                    </td>
                                    <td>{ verified(i) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h3>{ "Run configuration" }</h3>
                <dl class="facts">
                    if let Some(e) = &ov.entrypoint { <dt>{ "Entrypoint" }</dt><dd><code><Untrusted text={json(e)} /></code></dd> }
                    <dt>{ "Cmd" }</dt><dd><code id="cmd"><Untrusted text={ov.cmd.as_ref().map(json).unwrap_or_else(|| "none".into())} /></code></dd>
                    <dt>{ "WorkingDir" }</dt><dd><code>{ ov.working_dir.clone().unwrap_or_else(|| "/".into()) }</code></dd>
                    <dt>{ "User" }</dt><dd><code>{ ov.user.clone().unwrap_or_else(|| "root (default)".into()) }</code></dd>
                    if !ov.exposed_ports.is_empty() { <dt>{ "Ports" }</dt><dd>{ ov.exposed_ports.join(", ") }</dd> }
                    if !ov.volumes.is_empty() { <dt>{ "Volumes" }</dt><dd>{ ov.volumes.join(", ") }</dd> }
                    if let Some(s) = &ov.stop_signal { <dt>{ "StopSignal" }</dt><dd>{ s.clone() }</dd> }
                    <dt>{ "Env" }</dt>
                    <dd id="env">{ for ov.env.iter().map(|e| html! { <code class="block"><Untrusted text={e.to_string()} /></code> }) }</dd>
                    <dt>{ "Labels" }</dt>
                    <dd id="labels">
                        if ov.labels.is_empty() { { "none" } }
                        { for ov.labels.iter().map(|(k, v)| html! { <code class="block"><span class="key"><Untrusted text={k.to_string()} /></span>{ "=" }<Untrusted text={v.to_string()} /></code> }) }
                    </dd>
                </dl>
            </section>
        </article>
    }
}

fn json(v: &Vec<String>) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
