//! The layers, oldest first: the step that made each, its sizes, what it changed, and a bar of
//! its share of the image, and what it did to the packages (`+212 deb, −3`) once they are
//! read. Steps that made no layer (ENV, CMD…) sit between them, greyed.

use crate::components::untrusted::Untrusted;
use std::rc::Rc;
use strata_core::explorer::LayerListItem;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LayerListProps {
    pub items: Rc<Vec<LayerListItem>>,
    /// 0-based.
    pub selected: usize,
    pub on_select: Callback<usize>,
    /// The packages, once read: each layer's package changes show as a badge.
    #[prop_or_default]
    pub packages: Option<Rc<crate::state::Packages>>,
}

#[component]
pub fn LayerList(props: &LayerListProps) -> Html {
    html! {
        <section class="layer-list" aria-label="layers">
            <h3>{ "Layers" }</h3>
            <ol>
                { for props.items.iter().map(|item| match item.layer {
                    None => html! {
                        <li class="layer-item empty-step" title="This step changed only the config: it has no layer">
                            <code class="created-by"><Untrusted text={trim(&item.created_by)} /></code>
                        </li>
                    },
                    Some(l) => {
                        let selected = l == props.selected;
                        let onclick = props.on_select.reform(move |_: MouseEvent| l);
                        let stored = item.stored_size.map_or_else(|| "missing".into(), format_bytes);
                        let size = item.uncompressed_size.map_or_else(|| "?".into(), format_bytes);
                        let badge = props.packages.as_ref().and_then(|p| p.badges.get(l).cloned().flatten());
                        html! {
                            <li class={classes!("layer-item", selected.then_some("selected"))}>
                                <button class="layer-button" id={format!("layer-{}", l + 1)} {onclick} aria-current={selected.then_some("true")}
                                    title={item.created_by.clone()}>
                                    <span class="layer-head">
                                        <span class="layer-number">{ format!("{}", l + 1) }</span>
                                        <span class="layer-size" title={format!("{stored} stored")}>{ size }</span>
                                        <span class="counts">
                                            if item.added > 0 { <span class="c-added" title="added">{ format!("A{}", item.added) }</span> }
                                            if item.modified > 0 { <span class="c-modified" title="modified">{ format!("M{}", item.modified) }</span> }
                                            if item.deleted > 0 { <span class="c-deleted" title="deleted">{ format!("D{}", item.deleted) }</span> }
                                        </span>
                                    </span>
                                    if let Some(b) = badge {
                                        <span class="badge pkg-badge" id={format!("layer-{}-packages", l + 1)} title={b.title.clone()}>{ b.text.clone() }</span>
                                    }
                                    <span class="share" aria-hidden="true"><span class="share-bar" style={format!("width: {:.1}%", (item.share * 100.0).max(0.5))}></span></span>
                                    <code class="created-by"><Untrusted text={trim(&item.created_by)} /></code>
                                </button>
                            </li>
                        }
                    }
                }) }
            </ol>
        </section>
    }
}

/// The command without the `/bin/sh -c #(nop)` noise, shortened.
fn trim(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s
        .strip_prefix("/bin/sh -c #(nop)")
        .map(str::trim)
        .or_else(|| s.strip_prefix("/bin/sh -c ").map(|r| r.trim()))
        .unwrap_or(s);
    let s = if created_by.trim().starts_with("/bin/sh -c ") && !created_by.contains("#(nop)") {
        format!("RUN {s}")
    } else {
        s.to_owned()
    };
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(89).collect::<String>())
    } else {
        s
    }
}
