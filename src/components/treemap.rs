//! A squarified treemap of the final filesystem, drawn in SVG (the layout is the engine's).
//! Clicking a rectangle finds the path in the layer explorer.

use crate::components::untrusted::Untrusted;
use crate::state::Explorer;
use std::rc::Rc;
use strata_core::explorer::{LayerView, ViewMode, treemap};
use strata_core::paths::PathId;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TreemapProps {
    pub explorer: Rc<Explorer>,
    pub on_select: Callback<String>,
}

const W: f64 = 1000.0;
const H: f64 = 560.0;

#[component]
pub fn Treemap(props: &TreemapProps) -> Html {
    let rects = use_memo(props.explorer.clone(), |e| {
        let tree = &e.analysis.tree;
        let last = tree.n_layers().saturating_sub(1);
        let view = LayerView::new(tree, last, ViewMode::Merged);
        treemap(tree, &view, PathId::ROOT, 4, 0.00002)
            .into_iter()
            .map(|r| {
                (
                    r.clone(),
                    tree.paths.path(r.path),
                    tree.paths.name(r.path).to_owned(),
                )
            })
            .collect::<Vec<_>>()
    });
    html! {
        <svg class="treemap" id="treemap" viewBox={format!("0 0 {W} {H}")} role="img" aria-label="treemap of the filesystem by size">
            { for rects.iter().map(|(r, path, name)| {
                let (x, y, w, h) = (r.x * W, r.y * H, r.w * W, r.h * H);
                let onclick = {
                    let (on_select, path) = (props.on_select.clone(), path.clone());
                    Callback::from(move |_: MouseEvent| on_select.emit(path.clone()))
                };
                let label = (w > 60.0 && h > 14.0).then(|| name.clone());
                html! {
                    <g class={classes!("tm", if r.is_dir { "tm-dir" } else { "tm-file" }, format!("d{}", r.depth.min(4)))} data-path={path.clone()} {onclick}>
                        <rect x={format!("{x:.2}")} y={format!("{y:.2}")} width={format!("{:.2}", w.max(0.5))} height={format!("{:.2}", h.max(0.5))}>
                            <title><Untrusted text={format!("/{path}  {}", format_bytes(r.size))} /></title>
                        </rect>
                        if let Some(l) = label {
                            <text x={format!("{:.1}", x + 3.0)} y={format!("{:.1}", y + 11.0)} class="tm-label"><Untrusted text={l} /></text>
                        }
                    </g>
                }
            }) }
        </svg>
    }
}
