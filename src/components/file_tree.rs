//! The file tree of a layer, as a virtual list: only the rows in view are in the DOM, so half a
//! million entries scroll like fifty. Changes are marked with a letter and a colour (never the
//! colour alone); deletions are struck through with the layer that made them; opaque
//! directories say so. Keyboard: arrows move and open, Enter shows content, `/` searches,
//! `[` `]` change layer, `m` switches what is shown.

use crate::components::untrusted::Untrusted;
use crate::state::Explorer;
use std::rc::Rc;
use strata_core::explorer::{LayerView, Row, row_info};
use strata_core::paths::PathId;
use strata_core::tar::EntryKind;
use strata_core::text::format_bytes;
use strata_core::tree::Change;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

/// Row height in CSS pixels (the stylesheet's `.tree-row` must agree).
pub const ROW_HEIGHT: f64 = 26.0;
/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 12;

#[derive(Properties)]
pub struct FileTreeProps {
    pub explorer: Rc<Explorer>,
    pub view: Rc<LayerView>,
    pub rows: Rc<Vec<Row>>,
    pub selected: Option<PathId>,
    pub on_select: Callback<PathId>,
    /// (directory, open).
    pub on_toggle: Callback<(PathId, bool)>,
    /// 0-based layer, for `[` and `]`.
    pub layer: usize,
    pub n_layers: usize,
    pub on_layer: Callback<usize>,
    pub on_mode: Callback<()>,
    /// Enter on a file: show its content.
    pub on_open: Callback<PathId>,
    pub filter_input: NodeRef,
}

impl PartialEq for FileTreeProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.explorer, &o.explorer)
            && Rc::ptr_eq(&self.view, &o.view)
            && Rc::ptr_eq(&self.rows, &o.rows)
            && self.selected == o.selected
            && self.layer == o.layer
            && self.on_select == o.on_select
            && self.on_toggle == o.on_toggle
    }
}

#[component]
pub fn FileTree(props: &FileTreeProps) -> Html {
    let container = use_node_ref();
    let scroll_top = use_state(|| 0.0f64);
    let height = use_state(|| 600.0f64);
    let rows = &props.rows;
    let tree = &props.explorer.analysis.tree;
    let view = &props.view;
    let selected_index = props
        .selected
        .and_then(|s| rows.iter().position(|r| r.path == s));

    let onscroll = {
        let (container, scroll_top, height) =
            (container.clone(), scroll_top.clone(), height.clone());
        Callback::from(move |_: Event| {
            if let Some(el) = container.cast::<HtmlElement>() {
                scroll_top.set(f64::from(el.scroll_top()));
                height.set(f64::from(el.client_height()));
            }
        })
    };
    // Measure once mounted, and keep the selected row in view.
    {
        let (container, height, scroll_top) =
            (container.clone(), height.clone(), scroll_top.clone());
        use_effect_with(selected_index, move |selected| {
            if let Some(el) = container.cast::<HtmlElement>() {
                let h = f64::from(el.client_height());
                if h > 0.0 && (h - *height).abs() > 1.0 {
                    height.set(h);
                }
                if let Some(i) = *selected {
                    let top = i as f64 * ROW_HEIGHT;
                    let current = f64::from(el.scroll_top());
                    let target = if top < current {
                        Some(top)
                    } else if top + ROW_HEIGHT > current + h {
                        Some(top + ROW_HEIGHT - h)
                    } else {
                        None
                    };
                    if let Some(t) = target {
                        el.set_scroll_top(t as i32);
                        scroll_top.set(t);
                    }
                }
            }
        });
    }

    let onkeydown = {
        let props_rows = rows.clone();
        let (on_select, on_toggle, on_layer, on_mode) = (
            props.on_select.clone(),
            props.on_toggle.clone(),
            props.on_layer.clone(),
            props.on_mode.clone(),
        );
        let on_open = props.on_open.clone();
        let (layer, n_layers, filter_input) =
            (props.layer, props.n_layers, props.filter_input.clone());
        let view = view.clone();
        let explorer = props.explorer.clone();
        let height = *height;
        Callback::from(move |e: KeyboardEvent| {
            let rows = &props_rows;
            let page = ((height / ROW_HEIGHT) as usize).max(1);
            let current = selected_index;
            let go = |i: usize| {
                if let Some(r) = rows.get(i) {
                    on_select.emit(r.path);
                }
            };
            let handled = match e.key().as_str() {
                "ArrowDown" => {
                    go(current.map_or(0, |i| (i + 1).min(rows.len().saturating_sub(1))));
                    true
                }
                "ArrowUp" => {
                    go(current.map_or(0, |i| i.saturating_sub(1)));
                    true
                }
                "PageDown" => {
                    go(current.map_or(0, |i| (i + page).min(rows.len().saturating_sub(1))));
                    true
                }
                "PageUp" => {
                    go(current.map_or(0, |i| i.saturating_sub(page)));
                    true
                }
                "Home" => {
                    go(0);
                    true
                }
                "End" => {
                    go(rows.len().saturating_sub(1));
                    true
                }
                "ArrowRight" => {
                    if let Some(r) = current.and_then(|i| rows.get(i)) {
                        if r.has_children && !r.expanded {
                            on_toggle.emit((r.path, true));
                        } else if r.expanded {
                            go(current.unwrap_or(0) + 1);
                        }
                    }
                    true
                }
                "ArrowLeft" => {
                    if let Some(r) = current.and_then(|i| rows.get(i)) {
                        if r.expanded {
                            on_toggle.emit((r.path, false));
                        } else if let Some(parent) = explorer
                            .analysis
                            .tree
                            .paths
                            .parent(r.path)
                            .filter(|p| *p != PathId::ROOT)
                        {
                            on_select.emit(parent);
                        }
                    }
                    true
                }
                "Enter" | " " => {
                    if let Some(r) = current.and_then(|i| rows.get(i)) {
                        if r.has_children {
                            on_toggle.emit((r.path, !r.expanded));
                        } else if e.key() == "Enter" {
                            on_open.emit(r.path);
                        }
                    }
                    true
                }
                "/" => {
                    if let Some(input) = filter_input.cast::<HtmlElement>() {
                        let _ = input.focus();
                    }
                    true
                }
                "[" => {
                    if layer > 0 {
                        on_layer.emit(layer - 1);
                    }
                    true
                }
                "]" => {
                    if layer + 1 < n_layers {
                        on_layer.emit(layer + 1);
                    }
                    true
                }
                "m" => {
                    on_mode.emit(());
                    true
                }
                _ => false,
            };
            let _ = &view;
            if handled {
                e.prevent_default();
            }
        })
    };

    let total_height = rows.len() as f64 * ROW_HEIGHT;
    // When the rows shrink (a filter), the browser clamps the scroll position without always
    // saying so: clamp here too, or the window would point past the last row.
    let top = scroll_top.min((total_height - *height).max(0.0));
    let first = ((top / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
    let visible = (*height / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
    let last = (first + visible).min(rows.len());
    let items = rows[first.min(rows.len())..last].iter().enumerate().map(|(k, row)| {
        let i = first + k;
        let info = row_info(tree, view, row.path);
        let selected = Some(row.path) == props.selected;
        let onclick = {
            let (on_select, on_toggle, path, has_children, expanded) = (props.on_select.clone(), props.on_toggle.clone(), row.path, row.has_children, row.expanded);
            Callback::from(move |e: MouseEvent| {
                on_select.emit(path);
                if has_children && e.detail() >= 2 {
                    on_toggle.emit((path, !expanded));
                }
            })
        };
        let on_chevron = {
            let (on_toggle, path, expanded) = (props.on_toggle.clone(), row.path, row.expanded);
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                on_toggle.emit((path, !expanded));
            })
        };
        let (letter, class) = match info.change {
            Some(Change::Added) => ("A", "added"),
            Some(Change::Modified) => ("M", "modified"),
            Some(Change::Deleted) => ("D", "deleted"),
            Some(Change::Unchanged) => ("U", "unchanged"),
            None => ("", ""),
        };
        let kind_icon = match info.kind {
            EntryKind::Dir => "▣",
            EntryKind::Symlink => "↪",
            EntryKind::Hardlink => "⇉",
            EntryKind::Char | EntryKind::Block => "◇",
            EntryKind::Fifo => "⌁",
            _ => "▢",
        };
        html! {
            <div class={classes!("tree-row", class, selected.then_some("selected"), info.context.then_some("context"), (!row.matched).then_some("context"))}
                role="treeitem" aria-selected={selected.to_string()} aria-level={(row.depth + 1).to_string()}
                aria-expanded={row.has_children.then(|| row.expanded.to_string())}
                data-path={info.path.clone()} data-change={class} data-index={i.to_string()}
                style={format!("transform: translateY({}px); padding-left: {}px", i as f64 * ROW_HEIGHT, 8 + row.depth as usize * 16)}
                {onclick}>
                if row.has_children {
                    <button class="chevron" tabindex="-1" onclick={on_chevron} aria-hidden="true">{ if row.expanded { "▾" } else { "▸" } }</button>
                } else {
                    <span class="chevron" aria-hidden="true"></span>
                }
                <span class={classes!("change-mark", class)} title={match info.change {
                    Some(Change::Unchanged) => "unchanged: in this layer again, identical",
                    Some(c) => c.name(),
                    None => "not in this layer",
                }}>{ letter }</span>
                <span class="kind-icon" aria-hidden="true">{ kind_icon }</span>
                <span class="name" title={info.name.clone()}><Untrusted text={info.name.clone()} /></span>
                if let Some(link) = &info.link {
                    <span class="link-target"><Untrusted text={if info.kind == EntryKind::Hardlink { format!(" ⇉ /{link}") } else { format!(" → {link}") }} /></span>
                }
                if info.opaque { <span class="badge opaque" title="an opaque whiteout hides what lower layers put in this directory">{ "opaque" }</span> }
                if let Some(l) = info.deleted_in { <span class="deleted-in">{ format!("deleted in layer {l}") }</span> }
                <span class="size">{ if info.size > 0 || info.kind == EntryKind::File { format_bytes(info.size) } else { String::new() } }</span>
            </div>
        }
    });
    html! {
        <div class="tree-viewport" id="file-tree" ref={container} role="tree" tabindex="0" aria-label="files of the layer"
            {onscroll} {onkeydown} data-total={rows.len().to_string()}>
            <div class="tree-spacer" style={format!("height: {total_height}px")}>
                { for items }
            </div>
            if rows.is_empty() {
                <p class="tree-empty">{ "Nothing here matches." }</p>
            }
        </div>
    }
}
