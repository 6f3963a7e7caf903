//! The layer explorer: the layers on the left, the selected layer's files in the middle (its
//! changes, or the whole filesystem up to it), the selected file on the right. Selection,
//! filters and mode live in the route, so a link reproduces the view.

use crate::components::file_details::FileDetailsPanel;
use crate::components::file_tree::FileTree;
use crate::components::layer_list::LayerList;
use crate::components::pane_resizer::{self, PaneResizer};
use crate::identity::Same;
use crate::route::Route;
use crate::state::{Explorer, LayersState, Session};
use std::collections::HashSet;
use std::rc::Rc;
use strata_core::explorer::{Filter, LayerView, Sort, ViewMode, rows};
use strata_core::paths::PathId;
use strata_core::text::format_bytes;
use strata_core::tree::Change;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LayersViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
    #[prop_or_default]
    pub packages: crate::state::PackagesState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn LayersView(props: &LayersViewProps) -> Html {
    match &props.layers {
        LayersState::Ready(explorer) => html! {
            <Explorer_ explorer={explorer.clone()} session={props.session.clone()} packages={props.packages.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} />
        },
        LayersState::Failed(e) => html! {
            <section class="error-panel" role="alert">
                <h2>{ "The layers could not be read" }</h2>
                <p class="error-summary">{ e.summary.clone() }</p>
                <details><summary>{ "Details" }</summary><pre class="error-detail">{ e.detail.clone() }</pre></details>
            </section>
        },
        LayersState::Scanning { progress } => html! {
            <section class="card layers-loading" aria-busy="true">
                <h2>{ "Reading the layers…" }</h2>
                <p class="note">{ "Each layer is decompressed, its two digests checked, and every file indexed, in parallel workers." }</p>
                <ul class="layer-progress">
                    { for progress.iter().enumerate().map(|(i, (done, total, finished))| {
                        let pct = if *total == 0 { 100.0 } else { *done as f64 * 100.0 / *total as f64 };
                        html! {
                            <li>
                                <span>{ format!("Layer {}", i + 1) }</span>
                                <progress max="100" value={format!("{:.1}", if *finished { 100.0 } else { pct })}></progress>
                                <span class="note">{ if *finished { "done".to_owned() } else { format!("{} of {}", format_bytes(*done), format_bytes(*total)) } }</span>
                            </li>
                        }
                    }) }
                </ul>
            </section>
        },
        LayersState::Idle => html! { <p class="note">{ "The layers are not read yet." }</p> },
    }
}

#[derive(Properties, PartialEq)]
struct ExplorerProps {
    explorer: Rc<Explorer>,
    session: Rc<Session>,
    packages: crate::state::PackagesState,
    route: Route,
    on_navigate: Callback<Route>,
}

/// Which directories are open, with a version so props compare in O(1).
#[derive(Clone, Default)]
struct Expanded {
    version: u64,
    set: Rc<HashSet<PathId>>,
}

impl PartialEq for Expanded {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

#[allow(non_camel_case_types)]
#[component]
fn Explorer_(props: &ExplorerProps) -> Html {
    let explorer = &props.explorer;
    let tree = &explorer.analysis.tree;
    let n_layers = tree.n_layers().max(1);
    let route = &props.route;
    let layer = route
        .layer
        .map(strata_core::LayerIdx::get)
        .filter(|l| *l < tree.n_layers())
        .unwrap_or(n_layers - 1);
    let mode = if route.changes_only {
        ViewMode::Changes
    } else {
        ViewMode::Merged
    };
    let sort = if route.sort_by_size {
        Sort::Size
    } else {
        Sort::Name
    };
    let view: Rc<LayerView> = (*use_memo((explorer.clone(), layer, mode), |(e, l, m)| {
        Rc::new(LayerView::new(&e.analysis.tree, *l, *m))
    }))
    .clone();
    let selected = route.path.as_deref().and_then(|p| tree.paths.lookup(p));

    // Open the way to a linked path once; the user's clicks rule afterwards.
    let expanded = use_state(|| {
        let mut set = HashSet::new();
        if let Some(mut p) = selected.and_then(|s| tree.paths.parent(s)) {
            while p != PathId::ROOT {
                set.insert(p);
                p = tree.paths.parent(p).unwrap_or(PathId::ROOT);
            }
        }
        Expanded {
            version: 1,
            set: Rc::new(set),
        }
    });

    // A path selected from outside the tree (a link, Learn, a finding, Packages) opens its
    // parents too; a click inside the tree finds them open already, so this changes nothing.
    {
        let (expanded, explorer) = (expanded.clone(), explorer.clone());
        use_effect_with(selected, move |selected| {
            let paths = &explorer.analysis.tree.paths;
            let mut missing = Vec::new();
            let mut p = selected.and_then(|s| paths.parent(s));
            while let Some(dir) = p.filter(|d| *d != PathId::ROOT) {
                if !expanded.set.contains(&dir) {
                    missing.push(dir);
                }
                p = paths.parent(dir);
            }
            if !missing.is_empty() {
                let mut set = (*expanded.set).clone();
                set.extend(missing);
                expanded.set(Expanded {
                    version: expanded.version + 1,
                    set: Rc::new(set),
                });
            }
        });
    }

    let kinds: Vec<Change> = route
        .kinds
        .chars()
        .filter_map(|c| match c {
            'A' => Some(Change::Added),
            'M' => Some(Change::Modified),
            'D' => Some(Change::Deleted),
            _ => None,
        })
        .collect();
    let filter = Filter::new(&route.filter, route.regex, kinds, route.min_size);
    let filter_error = filter.as_ref().err().cloned();
    let filter_key = (
        route.filter.clone(),
        route.regex,
        route.kinds.clone(),
        route.min_size,
    );
    let all_rows = {
        let filter = filter.clone().unwrap_or_default();
        use_memo(
            (
                Same(view.clone()),
                (*expanded).clone(),
                filter_key,
                sort,
                explorer.clone(),
            ),
            move |(view, expanded, _, sort, explorer)| {
                let set = expanded.set.clone();
                let started = crate::platform::browser::now_ms();
                let r = rows(
                    &explorer.analysis.tree,
                    &view.0,
                    &|p| set.contains(&p),
                    &filter,
                    *sort,
                );
                (Rc::new(r), crate::platform::browser::now_ms() - started)
            },
        )
    };
    let (rows_rc, rows_ms) = (*all_rows).clone();

    let nav = |f: Box<dyn Fn(&mut Route)>| {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        move || {
            let mut r = route.clone();
            f(&mut r);
            on_navigate.emit(r);
        }
    };
    let on_select_layer = {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |l: usize| {
            on_navigate.emit(Route {
                layer: Some(strata_core::LayerIdx::new(l)),
                ..route.clone()
            })
        })
    };
    let on_select = {
        let (on_navigate, route, explorer) = (
            props.on_navigate.clone(),
            props.route.clone(),
            explorer.clone(),
        );
        Callback::from(move |p: PathId| {
            on_navigate.emit(Route {
                path: Some(explorer.analysis.tree.paths.path(p)),
                ..route.clone()
            })
        })
    };
    let on_toggle = {
        let expanded = expanded.clone();
        Callback::from(move |(p, open): (PathId, bool)| {
            let mut set = (*expanded.set).clone();
            if open {
                set.insert(p);
            } else {
                set.remove(&p);
            }
            expanded.set(Expanded {
                version: expanded.version + 1,
                set: Rc::new(set),
            });
        })
    };
    // Each button sets its mode (clicking the selected one keeps it); `m` toggles.
    let set_mode = |changes: bool| {
        let go = nav(Box::new(move |r: &mut Route| r.changes_only = changes));
        Callback::from(move |_: MouseEvent| go())
    };
    let on_filter = {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            on_navigate.emit(Route {
                filter: input.value(),
                ..route.clone()
            })
        })
    };
    let on_regex = {
        let go = nav(Box::new(|r: &mut Route| r.regex = !r.regex));
        Callback::from(move |_: Event| go())
    };
    let kind_toggle = |letter: char| {
        let go = nav(Box::new(move |r: &mut Route| {
            if r.kinds.contains(letter) {
                r.kinds = r.kinds.replace(letter, "");
            } else {
                r.kinds.push(letter);
            }
        }));
        Callback::from(move |_: Event| go())
    };
    let on_min = {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            on_navigate.emit(Route {
                min_size: select.value().parse().unwrap_or(0),
                ..route.clone()
            })
        })
    };
    let on_sort = {
        let go = nav(Box::new(|r: &mut Route| r.sort_by_size = !r.sort_by_size));
        Callback::from(move |_: MouseEvent| go())
    };
    let expand_to = |depth: usize| {
        let (expanded, view, explorer) = (expanded.clone(), view.clone(), explorer.clone());
        Callback::from(move |_: MouseEvent| {
            let tree = &explorer.analysis.tree;
            let mut set = HashSet::new();
            if depth > 0 {
                let mut stack: Vec<(PathId, usize)> = vec![(PathId::ROOT, 0)];
                while let Some((p, d)) = stack.pop() {
                    for c in tree
                        .children(p)
                        .filter(|c| view.shown(*c) && view.is_dir(*c))
                    {
                        if d < depth {
                            set.insert(c);
                            stack.push((c, d + 1));
                        }
                    }
                }
            }
            expanded.set(Expanded {
                version: expanded.version + 1,
                set: Rc::new(set),
            });
        })
    };
    let on_prev_next = {
        let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |l: usize| {
            on_navigate.emit(Route {
                layer: Some(strata_core::LayerIdx::new(l)),
                ..route.clone()
            })
        })
    };
    let counts = tree.change_counts(layer);
    // Enter on a file asks the details pane to show its content.
    let open_request = use_state(|| None::<PathId>);
    let on_open = {
        let (open_request, on_navigate, route, explorer) = (
            open_request.clone(),
            props.on_navigate.clone(),
            props.route.clone(),
            explorer.clone(),
        );
        Callback::from(move |p: PathId| {
            on_navigate.emit(Route {
                path: Some(explorer.analysis.tree.paths.path(p)),
                ..route.clone()
            });
            open_request.set(Some(p));
        })
    };
    let filter_input = use_node_ref();
    let details_width = use_state(pane_resizer::saved_width);
    let on_resize = {
        let details_width = details_width.clone();
        Callback::from(move |w: f64| {
            pane_resizer::save_width(w);
            details_width.set(w);
        })
    };
    html! {
        <div class="explorer" id="explorer" data-layer={(layer + 1).to_string()}
            style={format!("--details-width: {:.0}px", *details_width)}>
            <LayerList items={Rc::new(explorer.layers.clone())} selected={layer} on_select={on_select_layer} packages={props.packages.ready().cloned()} />
            <section class="tree-pane" aria-label="files">
                <div class="tree-toolbar">
                    <div class="segmented" role="group" aria-label="what to show">
                        <button class={classes!("button", "subtle", (mode == ViewMode::Merged).then_some("selected"))} id="mode-merged" onclick={set_mode(false)}
                            aria-pressed={(mode == ViewMode::Merged).to_string()} title="The filesystem up to this layer (m)">{ "Filesystem" }</button>
                        <button class={classes!("button", "subtle", (mode == ViewMode::Changes).then_some("selected"))} id="mode-changes" onclick={set_mode(true)}
                            aria-pressed={(mode == ViewMode::Changes).to_string()} title="Only what this layer changed (m)">{ "This layer's changes" }</button>
                    </div>
                    <input type="search" id="tree-filter" ref={filter_input.clone()} placeholder="Filter paths  ( / )" value={route.filter.clone()}
                        oninput={on_filter} aria-label="filter paths" class={classes!(filter_error.is_some().then_some("invalid"))} />
                    <label class="check"><input type="checkbox" id="tree-regex" checked={route.regex} onchange={on_regex} />{ "regex" }</label>
                    <span class="kind-filters" role="group" aria-label="changes">
                        <label class="check added"><input type="checkbox" id="kind-A" checked={route.kinds.contains('A')} onchange={kind_toggle('A')} />{ "A added" }</label>
                        <label class="check modified"><input type="checkbox" id="kind-M" checked={route.kinds.contains('M')} onchange={kind_toggle('M')} />{ "M modified" }</label>
                        <label class="check deleted"><input type="checkbox" id="kind-D" checked={route.kinds.contains('D')} onchange={kind_toggle('D')} />{ "D deleted" }</label>
                    </span>
                    <select id="min-size" onchange={on_min} aria-label="minimum size">
                        { for [(0u64, "any size"), (1024, "≥ 1 KiB"), (1 << 20, "≥ 1 MiB"), (10 << 20, "≥ 10 MiB"), (100 << 20, "≥ 100 MiB")].into_iter().map(|(v, label)| html! {
                            <option value={v.to_string()} selected={route.min_size == v}>{ label }</option>
                        }) }
                    </select>
                    <button class="button subtle" id="sort-toggle" onclick={on_sort} title="Sort by name or size">{ if sort == Sort::Size { "Sorted by size" } else { "Sorted by name" } }</button>
                    <span class="expand-to">{ "Expand: " }
                        <button class="link" id="collapse-all" onclick={expand_to(0)}>{ "none" }</button>
                        <button class="link" onclick={expand_to(1)}>{ "1" }</button>
                        <button class="link" onclick={expand_to(2)}>{ "2" }</button>
                        <button class="link" id="expand-all" onclick={expand_to(usize::MAX)}>{ "all" }</button>
                    </span>
                </div>
                if let Some(e) = &filter_error {
                    <p class="filter-error" role="alert">{ e.clone() }</p>
                }
                <p class="tree-summary" id="tree-summary" data-rows={rows_rc.len().to_string()} data-rows-ms={format!("{rows_ms:.1}")}>
                    { format!("Layer {} of {}: {} added, {} modified, {} deleted · {} rows", layer + 1, tree.n_layers(), counts.added, counts.modified, counts.deleted, rows_rc.len()) }
                    <span class="legend-unchanged" title="The layer holds this path again, identical in content, type, mode, owner and link target (a parent directory of a change, a file rewritten with the same bytes)">{ " · U: in this layer again, unchanged" }</span>
                </p>
                <FileTree explorer={explorer.clone()} view={view.clone()} rows={rows_rc.clone()} selected={selected}
                    on_select={on_select} on_toggle={on_toggle} layer={layer} n_layers={tree.n_layers()} on_layer={on_prev_next.clone()}
                    on_mode={{ let go = nav(Box::new(|r: &mut Route| r.changes_only = !r.changes_only)); Callback::from(move |()| go()) }}
                    on_open={on_open} filter_input={filter_input} />
            </section>
            <PaneResizer width={*details_width} {on_resize} />
            <FileDetailsPanel explorer={explorer.clone()} session={props.session.clone()} path={selected} layer={layer} open_path={*open_request}
                on_layer={on_prev_next} packages={props.packages.clone()} on_navigate={props.on_navigate.clone()} route={props.route.clone()} />
        </div>
    }
}
