//! Where the bytes are: the efficiency score and wasted bytes (a file written in N layers
//! wastes N−1 copies; a deleted file still ships), the wasted paths with the layers holding
//! the dead copies, the largest files, a bar per layer, and a treemap of the final filesystem.

use crate::components::treemap::Treemap;
use crate::components::untrusted::Untrusted;
use crate::route::{Route, View};
use crate::state::{LayersState, Session};
use std::rc::Rc;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WasteViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn WasteView(props: &WasteViewProps) -> Html {
    let LayersState::Ready(explorer) = &props.layers else {
        return html! { <p class="note" aria-busy="true">{ "The layers are being read; the sizes follow." }</p> };
    };
    let w = &explorer.waste;
    // The waste report numbers layers from 1.
    let go_to = |path: String, number: Option<usize>| {
        let layer = number.and_then(strata_core::LayerIdx::from_number);
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |_: MouseEvent| {
            on_navigate.emit(Route {
                view: View::Layers,
                path: Some(path.clone()),
                layer,
                changes_only: false,
                filter: String::new(),
                ..route.clone()
            })
        })
    };
    let max_layer = explorer
        .layers
        .iter()
        .filter_map(|l| l.uncompressed_size)
        .max()
        .unwrap_or(1)
        .max(1);
    let bars: Vec<_> = explorer
        .layers
        .iter()
        .filter(|l| l.layer.is_some())
        .collect();
    let bar_h = 22.0;
    let chart_h = bars.len() as f64 * bar_h + 4.0;
    let on_treemap = {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |path: String| {
            on_navigate.emit(Route {
                view: View::Layers,
                path: Some(path),
                layer: None,
                changes_only: false,
                filter: String::new(),
                ..route.clone()
            })
        })
    };
    html! {
        <article class="waste" id="waste">
            <section class="card score-card">
                <div class="score" id="efficiency" data-efficiency={format!("{}", w.efficiency)}>
                    <span class="big">{ strata_core::text::format_percent(w.efficiency) }</span>
                    <span class="note">{ "efficiency" }</span>
                </div>
                <div class="score" id="wasted" data-wasted-bytes={w.wasted_bytes.to_string()}>
                    <span class="big">{ format_bytes(w.wasted_bytes) }</span>
                    <span class="note">{ "wasted" }</span>
                </div>
                <div class="score">
                    <span class="big">{ format!("{:.1}%", w.user_wasted_percent * 100.0) }</span>
                    <span class="note">{ "of the bytes added after the base layer are wasted" }</span>
                </div>
                <p class="explain">
                    { "Every layer ships whole: a file overwritten or deleted by a later layer is still downloaded and stored. " }
                    { format!("Of the {} written into the layers, {} are in the final filesystem. ", format_bytes(w.total_file_bytes), format_bytes(w.final_file_bytes)) }
                    { "Efficiency is that share; a file written in N layers counts N−1 dead copies (dive counts N)." }
                </p>
                <p class="equivalent">{ "The same rules in CI: " }<code>{ format!("strata ci {} --lowest-efficiency 0.9 --highest-user-wasted-percent 0.1", props.session.strata_name()) }</code></p>
            </section>
            <div class="two-columns">
                <section class="card">
                    <h3>{ "Wasted space" }</h3>
                    if w.wasted_paths.is_empty() {
                        <p class="note">{ "None: no file is overwritten or deleted by a later layer." }</p>
                    } else {
                        <table class="wasted-table" id="wasted-table">
                            <thead><tr><th>{ "Path" }</th><th class="num">{ "Wasted" }</th><th>{ "Dead copies, in" }</th></tr></thead>
                            <tbody>
                                { for w.wasted_paths.iter().take(200).map(|p| html! {
                                    <tr>
                                        <td><button class="link path" onclick={go_to(p.path.clone(), p.layers.first().copied())}><Untrusted text={format!("/{}", p.path)} /></button>
                                            if p.deleted { <span class="badge muted">{ "deleted" }</span> }</td>
                                        <td class="num" data-bytes={p.wasted_bytes.to_string()}>{ format_bytes(p.wasted_bytes) }</td>
                                        <td>{ p.layers.iter().map(|l| format!("layer {l}")).collect::<Vec<_>>().join(", ") }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                </section>
                <section class="card">
                    <h3>{ "Largest files" }</h3>
                    <table class="largest-table">
                        <thead><tr><th>{ "Path" }</th><th class="num">{ "Size" }</th><th class="num">{ "Layer" }</th></tr></thead>
                        <tbody>
                            { for w.largest_files.iter().take(25).map(|f| html! {
                                <tr>
                                    <td><button class="link path" onclick={go_to(f.path.clone(), Some(f.layer))}><Untrusted text={format!("/{}", f.path)} /></button></td>
                                    <td class="num">{ format_bytes(f.size) }</td>
                                    <td class="num">{ f.layer }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </section>
            </div>
            <section class="card">
                <h3>{ "Size per layer" }</h3>
                <svg class="layer-bars" viewBox={format!("0 0 1000 {chart_h}")} role="img" aria-label="uncompressed size of each layer">
                    { for bars.iter().enumerate().map(|(i, l)| {
                        let size = l.uncompressed_size.unwrap_or(0);
                        let w_px = (size as f64 / max_layer as f64) * 640.0;
                        let y = i as f64 * bar_h + 2.0;
                        html! {
                            <g>
                                <text x="0" y={format!("{}", y + 15.0)} class="bar-label">{ format!("layer {}", l.layer.unwrap_or(0) + 1) }</text>
                                <rect x="80" y={format!("{y}")} width={format!("{:.1}", w_px.max(1.0))} height={format!("{}", bar_h - 6.0)} class="bar" />
                                <text x={format!("{:.1}", 86.0 + w_px.max(1.0))} y={format!("{}", y + 15.0)} class="bar-value">{ format_bytes(size) }</text>
                            </g>
                        }
                    }) }
                </svg>
            </section>
            <section class="card">
                <h3>{ "The final filesystem by size" }</h3>
                <p class="note">{ "Each rectangle is a file or directory, its area its size. Click one to find it in the layers." }</p>
                <Treemap explorer={explorer.clone()} on_select={on_treemap} />
            </section>
        </article>
    }
}
