//! Findings from the image itself (`strata hints`), each with its evidence: what a reviewer
//! would point at, and what to do instead. A path in the evidence opens it in the explorer.

use crate::components::untrusted::Untrusted;
use crate::route::{Route, View};
use std::rc::Rc;
use strata_core::hints::Hint;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub hints: Rc<Vec<Hint>>,
    /// The file-level checks wait for the layers.
    pub files_pending: bool,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn Findings(props: &FindingsProps) -> Html {
    html! {
        <section class="card findings" id="findings" aria-label="findings">
            <h3>{ format!("Findings ({})", props.hints.len()) }</h3>
            if props.hints.is_empty() && !props.files_pending {
                <p class="note">{ "Nothing to point at: no latest-only tag, not root, no chainable RUNs, caches, \
                    deleted-but-shipped files, secret-looking files, logs or large artefacts." }</p>
            }
            <ul>
                { for props.hints.iter().map(|h| html! {
                    <li class="finding" data-code={h.code.clone()}>
                        <p class="finding-title"><Untrusted text={h.title.clone()} /></p>
                        <p class="finding-advice">{ h.advice.clone() }</p>
                        <ul class="evidence">
                            { for h.evidence.iter().map(|e| {
                                let target = e.path.clone().map(|path| {
                                    let onclick = {
                                        let (on_navigate, route, layer) = (props.on_navigate.clone(), props.route.clone(), e.layer.and_then(strata_core::LayerIdx::from_number));
                                        let path = path.clone();
                                        Callback::from(move |_: MouseEvent| on_navigate.emit(Route {
                                            view: View::Layers,
                                            layer,
                                            path: Some(path.clone()),
                                            changes_only: false,
                                            filter: String::new(),
                                            ..route.clone()
                                        }))
                                    };
                                    html! { <button class="link path" {onclick}>{ "/" }<Untrusted text={path.clone()} /></button> }
                                });
                                html! {
                                    <li>
                                        if let Some(l) = e.layer { <span class="badge muted">{ format!("layer {l}") }</span>{ " " } }
                                        { target }
                                        if let Some(b) = e.bytes { <span class="bytes">{ format!(" {}", format_bytes(b)) }</span> }
                                        <span class="evidence-note">{ " " }<Untrusted text={e.note.clone()} /></span>
                                    </li>
                                }
                            }) }
                        </ul>
                    </li>
                }) }
            </ul>
            if props.files_pending {
                <p class="note" id="findings-pending">{ "Files (caches, secrets, deletions, logs, artefacts) are checked once the layers are read." }</p>
            }
        </section>
    }
}
