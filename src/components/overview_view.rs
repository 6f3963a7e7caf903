//! The overview of an open image: names, IDs and digests, platform, layers, run config, and any
//! problems found, problems first.

use crate::protocol::ArchiveListing;
use crate::state::Loaded;
use std::rc::Rc;
use strata_core::Severity;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OverviewViewProps {
    pub loaded: Rc<Loaded>,
    pub listing: Option<Rc<ArchiveListing>>,
    /// (image number, manifest digest to pick a platform).
    pub on_pick_image: Callback<(usize, Option<String>)>,
}

#[component]
pub fn OverviewView(props: &OverviewViewProps) -> Html {
    let ov = &props.loaded.overview;
    let image = &props.loaded.image;
    let image_chooser = props.listing.as_ref().filter(|l| l.images.len() > 1).map(|listing| {
        let on_pick = props.on_pick_image.clone();
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = select.value().parse::<usize>() {
                on_pick.emit((n, None));
            }
        });
        html! {
            <label class="chooser">{ format!("This archive holds {} images: ", listing.images.len()) }
                <select id="image-chooser" {onchange}>
                    { for listing.images.iter().enumerate().map(|(i, img)| html! {
                        <option value={i.to_string()} selected={i == props.loaded.image_number}>
                            { format!("{}  {}", img.label, img.digest.as_deref().map(short).unwrap_or_default()) }
                        </option>
                    }) }
                </select>
            </label>
        }
    });
    let platform_chooser = (!image.choices.is_empty()).then(|| {
        let on_pick = props.on_pick_image.clone();
        let number = props.loaded.image_number;
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlInputElement = e.target_unchecked_into();
            on_pick.emit((number, Some(select.value())));
        });
        html! {
            <label class="chooser">{ "Platform: " }
                <select id="platform-chooser" {onchange}>
                    { for image.choices.iter().enumerate().map(|(i, c)| {
                        let mut label = c.label();
                        if !c.available { label.push_str(" (not in this archive)"); }
                        if !c.attestations.is_empty() { label.push_str(&format!(" + {} attestation", c.attestations.len())); }
                        html! {
                            <option value={c.descriptor.digest.clone()} disabled={!c.available} selected={Some(i) == image.chosen}>{ label }</option>
                        }
                    }) }
                </select>
            </label>
        }
    });
    let diagnostics = (!ov.diagnostics.is_empty()).then(|| html! {
        <section class="diagnostics" aria-label="problems found">
            <h3>{ "Problems found" }</h3>
            <ul>
                { for ov.diagnostics.iter().map(|d| html! {
                    <li class={classes!("diagnostic", severity_class(d.severity))} data-code={d.code.clone()}>
                        <span class="severity">{ severity_label(d.severity) }</span>
                        <span class="subject">{ d.subject.clone() }</span>
                        <span class="message">{ d.message.clone() }</span>
                    </li>
                }) }
            </ul>
        </section>
    });
    let tags = if ov.repo_tags.is_empty() {
        vec!["<none>".to_owned()]
    } else {
        ov.repo_tags.clone()
    };
    html! {
        <article class="overview" id="overview">
            { image_chooser }
            { platform_chooser }
            { diagnostics }
            <section class="card">
                <h2 class="image-title">
                    { for tags.iter().map(|t| html! { <span class="tag">{ t.clone() }</span> }) }
                </h2>
                <dl class="facts">
                    <dt>{ "Image ID" }</dt><dd><code id="image-id">{ ov.image_id.clone() }</code></dd>
                    <dt>{ "Manifest digest" }</dt>
                    <dd><code id="manifest-digest">{ ov.manifest_digest.clone() }</code>
                        if ov.manifest_synthesized {
                            <span class="note" title="docker save archives have no manifest; this is the one skopeo and podman derive">{ " derived" }</span>
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
                    <dt>{ "Format" }</dt><dd>{ ov.format.clone() }</dd>
                    if let Some(listing) = &props.listing {
                        <dt>{ "Read" }</dt>
                        <dd id="bytes-read" data-bytes-read={props.loaded.bytes_read.to_string()} data-file-size={listing.file_size.to_string()}>
                            { format!("{} of this {} archive, to show this page", format_bytes(props.loaded.bytes_read), format_bytes(listing.file_size)) }
                        </dd>
                    }
                    <dt>{ "Layers" }</dt><dd>{ format!("{} ({} stored)", ov.n_layers, ov.stored_size_text) }</dd>
                    <dt>{ "History" }</dt><dd>{ format!("{} entries, {} without a layer", ov.n_history, ov.n_empty_history) }</dd>
                </dl>
            </section>
            <section class="card">
                <h3>{ "Layers" }</h3>
                <table class="layers-table" id="layers-table">
                    <thead><tr><th>{ "#" }</th><th>{ "Digest" }</th><th>{ "Diff ID" }</th><th>{ "Stored as" }</th><th class="num">{ "Size" }</th></tr></thead>
                    <tbody>
                        { for ov.layers.iter().map(|l| html! {
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
                            </tr>
                        }) }
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h3>{ "Run configuration" }</h3>
                <dl class="facts">
                    if let Some(e) = &ov.entrypoint { <dt>{ "Entrypoint" }</dt><dd><code>{ json(e) }</code></dd> }
                    <dt>{ "Cmd" }</dt><dd><code id="cmd">{ ov.cmd.as_ref().map(json).unwrap_or_else(|| "none".into()) }</code></dd>
                    <dt>{ "WorkingDir" }</dt><dd><code>{ ov.working_dir.clone().unwrap_or_else(|| "/".into()) }</code></dd>
                    <dt>{ "User" }</dt><dd><code>{ ov.user.clone().unwrap_or_else(|| "root (default)".into()) }</code></dd>
                    if !ov.exposed_ports.is_empty() { <dt>{ "Ports" }</dt><dd>{ ov.exposed_ports.join(", ") }</dd> }
                    if !ov.volumes.is_empty() { <dt>{ "Volumes" }</dt><dd>{ ov.volumes.join(", ") }</dd> }
                    <dt>{ "Env" }</dt>
                    <dd id="env">{ for ov.env.iter().map(|e| html! { <code class="block">{ e.clone() }</code> }) }</dd>
                    <dt>{ "Labels" }</dt>
                    <dd id="labels">
                        if ov.labels.is_empty() { { "none" } }
                        { for ov.labels.iter().map(|(k, v)| html! { <code class="block"><span class="key">{ k.clone() }</span>{ "=" }{ v.clone() }</code> }) }
                    </dd>
                </dl>
            </section>
        </article>
    }
}

fn json(v: &Vec<String>) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn short(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Note => "Note",
    }
}
