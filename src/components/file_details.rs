//! The selected path: what it is, who owns it (user and group, and the package that installed
//! it, or none), its mode as `ls -l` shows it, and its timeline across layers (which step
//! added, changed or deleted it); then its content.

use crate::components::content_viewer::ContentViewer;
use crate::components::untrusted::Untrusted;
use crate::state::{Explorer, Session};
use std::rc::Rc;
use strata_core::explorer::details;
use strata_core::paths::PathId;
use strata_core::text::{format_bytes, format_time};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FileDetailsPanelProps {
    pub explorer: Rc<Explorer>,
    pub session: Rc<Session>,
    pub path: Option<PathId>,
    /// 0-based layer being looked at.
    pub layer: usize,
    /// The path whose content the user asked to see (Enter in the tree).
    #[prop_or_default]
    pub open_path: Option<PathId>,
    /// Go to a layer (0-based): a timeline row is a way there.
    pub on_layer: Callback<usize>,
    /// The packages (to name the file's owner).
    #[prop_or_default]
    pub packages: crate::state::PackagesState,
    /// To open the owner in the Packages view.
    #[prop_or_default]
    pub on_navigate: Option<Callback<crate::route::Route>>,
    #[prop_or_default]
    pub route: crate::route::Route,
}

#[component]
pub fn FileDetailsPanel(props: &FileDetailsPanelProps) -> Html {
    let tree = &props.explorer.analysis.tree;
    let Some(path) = props.path else {
        return html! {
            <aside class="details-pane empty" aria-label="details">
                <p class="note">{ "Select a file to see its details, its history across layers and its content." }</p>
            </aside>
        };
    };
    let Some(d) = details(tree, &props.explorer.history.rows, path, props.layer) else {
        return html! {
            <aside class="details-pane" aria-label="details">
                <h3 class="details-path">{ format!("/{}", tree.paths.path(path)) }</h3>
                <p class="note">{ "Not in the filesystem at this layer." }</p>
            </aside>
        };
    };
    let package = match &props.packages {
        crate::state::PackagesState::Ready(p) => {
            match strata_core::package_view::owner_line(&p.report, tree, path, props.layer) {
                Some(strata_core::package_view::OwnerLine::Package { id, text, layer }) => {
                    let onclick = props.on_navigate.clone().map(|on| {
                        let route = props.route.clone();
                        Callback::from(move |_: MouseEvent| {
                            on.emit(crate::route::Route {
                                view: crate::route::View::Packages,
                                package: Some(id.0),
                                ..route.clone()
                            })
                        })
                    });
                    Some(html! {
                        <dd id="detail-package" data-owned="true">
                            <button class="link" {onclick}><Untrusted text={text} /></button>
                            { format!(", installed by layer {layer}") }
                        </dd>
                    })
                }
                Some(strata_core::package_view::OwnerLine::Unowned {
                    layer,
                    step,
                    itself,
                }) => {
                    let itself = itself.map(|(id, text)| {
                        let onclick = props.on_navigate.clone().map(|on| {
                            let route = props.route.clone();
                            Callback::from(move |_: MouseEvent| {
                                on.emit(crate::route::Route {
                                    view: crate::route::View::Packages,
                                    package: Some(id.0),
                                    ..route.clone()
                                })
                            })
                        });
                        html! { <>{ "; it says it is " }<button class="link" {onclick}><Untrusted text={text} /></button></> }
                    });
                    Some(html! {
                        <dd id="detail-package" data-owned="false">
                            { format!("not owned by any package (added by layer {layer}") }
                            if let Some(s) = step { { ": " }<code><Untrusted text={clip(&s)} /></code> }
                            { ")" }{ for itself }
                        </dd>
                    })
                }
                None => None,
            }
        }
        crate::state::PackagesState::Reading if d.kind != strata_core::tar::EntryKind::Dir => Some(
            html! { <dd id="detail-package" class="note">{ "reading the package databases…" }</dd> },
        ),
        _ => None,
    };
    let owner = |id: u32, name: &str| {
        if name.is_empty() {
            id.to_string()
        } else {
            format!("{id} ({name})")
        }
    };
    html! {
        <aside class="details-pane" id="file-details" aria-label="details">
            <h3 class="details-path" id="detail-path"><Untrusted text={format!("/{}", d.path)} /></h3>
            <dl class="facts compact">
                <dt>{ "Type" }</dt><dd id="detail-kind">{ d.kind.name() }</dd>
                <dt>{ "Size" }</dt><dd>{ format!("{} ({} bytes)", format_bytes(d.size), d.size) }</dd>
                <dt>{ "Mode" }</dt><dd><code id="detail-mode">{ d.mode.clone() }</code>{ format!(" {}", d.mode_octal) }</dd>
                <dt>{ "Owner" }</dt><dd>{ format!("{}:{}", owner(d.uid, &d.uname), owner(d.gid, &d.gname)) }</dd>
                if let Some(p) = package { <dt>{ "Package" }</dt>{ p } }
                <dt>{ "Modified" }</dt><dd>{ format!("{} UTC", format_time(d.mtime)) }</dd>
                if let Some(l) = &d.link { <dt>{ "Link to" }</dt><dd><code><Untrusted text={l.to_string()} /></code></dd> }
                if let Some(h) = &d.hardlink_to { <dt>{ "Hard link to" }</dt><dd><code>{ format!("/{h}") }</code></dd> }
            </dl>
            <h4>{ "Timeline" }</h4>
            <ol class="timeline" id="timeline">
                { for d.timeline.iter().map(|t| {
                    let here = t.layer == props.layer + 1;
                    let onclick = {
                        let (on_layer, l) = (props.on_layer.clone(), t.layer - 1);
                        Callback::from(move |_: MouseEvent| on_layer.emit(l))
                    };
                    html! {
                    <li class={classes!("timeline-item", t.change.name(), here.then_some("current"))}>
                      <button class="timeline-go" {onclick} aria-current={here.then_some("step")}
                        title={format!("Show layer {}", t.layer)} data-layer={t.layer.to_string()}>
                        <span class={classes!("change-mark", t.change.name())}>{ t.change.letter() }</span>
                        <span class="timeline-layer">{ format!("layer {}", t.layer) }</span>
                        <span class="timeline-change">{ t.describe() }</span>
                        if !t.created_by.is_empty() { <code class="timeline-step"><Untrusted text={clip(&t.created_by)} /></code> }
                      </button>
                    </li>
                    }
                }) }
            </ol>
            if d.readable {
                if let (Some(layer), Some(entry)) = (d.content_layer, d.content_entry) {
                    <ContentViewer key={format!("{layer}:{entry}")} layer={strata_core::LayerIdx::new(layer)} entry={entry} size={d.size} auto_open={props.open_path == Some(path)}
                        name={d.path.rsplit('/').next().unwrap_or("").to_owned()} />
                }
            }
        </aside>
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s.to_owned()
    }
}
