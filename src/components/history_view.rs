//! `docker history`, better presented: newest first, relative times with the exact time on
//! hover, the full command a click away, empty-layer steps marked, each layer a link to it in
//! the layer explorer.

use crate::components::untrusted::Untrusted;
use crate::platform::browser::now_secs;
use crate::route::{Route, View};
use crate::state::{LayersState, Session};
use std::collections::HashSet;
use std::rc::Rc;
use strata_core::history::{parse_rfc3339, relative_time};
use strata_core::text::format_bytes_si;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HistoryViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn HistoryView(props: &HistoryViewProps) -> Html {
    let expanded = use_state(HashSet::<usize>::new);
    let all = use_state(|| false);
    // docker and podman count a layer's size differently: docker the bytes of its files (known
    // once the layers are read), podman the layer tar (the gzip trailer's until then).
    let podman = use_state(|| false);
    let ready = matches!(props.layers, LayersState::Ready(_));
    let history = match &props.layers {
        LayersState::Ready(e) if *podman => e.podman_history.clone(),
        LayersState::Ready(e) => e.history.clone(),
        _ => props.session.history.clone(),
    };
    let like_podman = *podman || !ready;
    let sizes = |p: bool| {
        let podman = podman.clone();
        Callback::from(move |_: MouseEvent| podman.set(p))
    };
    let now = now_secs();
    let toggle_all = {
        let all = all.clone();
        Callback::from(move |_: MouseEvent| all.set(!*all))
    };
    html! {
        <article class="history" id="history">
            <div class="view-head">
                <h2>{ format!("History: {}", strata_core::text::count(history.rows.len(), "step")) }</h2>
                <button class="button subtle" onclick={toggle_all}>{ if *all { "Shorten commands" } else { "Show full commands" } }</button>
                <span class="segmented" role="group" aria-label="Sizes as counted by">
                    <button class={classes!("button", "subtle", (!like_podman).then_some("selected"))} id="sizes-docker" aria-pressed={(!like_podman).to_string()}
                        onclick={sizes(false)} disabled={!ready} title={if ready { "The bytes of each layer's files, as docker counts them" } else { "Known once the layers are read" }}>{ "docker sizes" }</button>
                    <button class={classes!("button", "subtle", like_podman.then_some("selected"))} id="sizes-podman" aria-pressed={like_podman.to_string()}
                        onclick={sizes(true)} title="Each layer tar's size, as podman counts it">{ "podman sizes" }</button>
                </span>
                if like_podman {
                    <span class="equivalent" id="history-equivalent">{ "Same as " }<code>{ format!("podman history --no-trunc {}", props.session.docker_name()) }</code>
                        if !ready { { " (docker's sizes once the layers are read)" } }</span>
                } else {
                    <span class="equivalent" id="history-equivalent">{ "Same as " }<code>{ format!("docker image history --no-trunc {}", props.session.docker_name()) }</code></span>
                }
            </div>
            <table class="history-table" id="history-table">
                <thead><tr>
                    <th>{ "IMAGE" }</th><th>{ "CREATED" }</th><th>{ "CREATED BY" }</th><th class="num">{ "SIZE" }</th><th>{ "COMMENT" }</th><th>{ "LAYER" }</th>
                </tr></thead>
                <tbody>
                    { for history.rows.iter().map(|r| {
                        let i = r.history_index;
                        let open = *all || expanded.contains(&i);
                        let toggle = {
                            let expanded = expanded.clone();
                            Callback::from(move |_: MouseEvent| {
                                let mut set = (*expanded).clone();
                                if !set.remove(&i) { set.insert(i); }
                                expanded.set(set);
                            })
                        };
                        let created = r.created.as_deref().and_then(parse_rfc3339).map_or_else(|| "unknown".into(), |t| relative_time(t, now));
                        let image = if r.image == "<missing>" { r.image.clone() } else { r.image.trim_start_matches("sha256:").chars().take(12).collect() };
                        let short = r.created_by.chars().count() > 60;
                        let created_by = r.created_by.clone();
                        let shown: String = if open || !short { created_by } else { format!("{}…", created_by.chars().take(59).collect::<String>()) };
                        let layer_link = r.layer.map(|l| {
                            let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
                            let onclick = Callback::from(move |_: MouseEvent| on_navigate.emit(Route { view: View::Layers, layer: Some(strata_core::LayerIdx::new(l)), path: None, ..route.clone() }));
                            html! { <button class="link" {onclick} title="Show this layer's files">{ format!("layer {}", l + 1) }</button> }
                        });
                        html! {
                            <tr class={classes!(r.empty_layer.then_some("empty-layer"))} id={format!("history-{i}")} data-history-index={i.to_string()}>
                                <td><code>{ image }</code></td>
                                <td title={r.created.clone().unwrap_or_default()}>{ created }</td>
                                <td class="created-by">
                                    <code class={classes!(open.then_some("full"))}><Untrusted text={shown} /></code>
                                    if short {
                                        <button class="link more" onclick={toggle} aria-expanded={open.to_string()}>{ if open { "less" } else { "more" } }</button>
                                    }
                                </td>
                                <td class="num" title={r.size.map_or_else(|| "known once the layers are read".to_owned(), |s| format!("{s} bytes"))} data-bytes={r.size.map(|s| s.to_string()).unwrap_or_default()}>
                                    { r.size.map_or_else(|| "?".into(), format_bytes_si) }
                                </td>
                                <td><Untrusted text={r.comment.clone()} /></td>
                                <td>{ match layer_link { Some(l) => l, None => html! { <span class="badge muted" title="ENV, CMD, LABEL… change only the config">{ "no layer" }</span> } } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if !history.diagnostics.is_empty() {
                <ul class="notes">{ for history.diagnostics.iter().map(|d| html! { <li>{ d.message.clone() }</li> }) }</ul>
            }
        </article>
    }
}
