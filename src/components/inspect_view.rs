//! `docker image inspect`: the JSON docker prints, as a collapsible tree, copyable whole or
//! value by value.

use crate::components::copy_button::CopyButton;
use crate::components::json_tree::JsonTree;
use crate::state::{LayersState, Session, inspect_text};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectViewProps {
    pub session: Rc<Session>,
    pub layers: LayersState,
}

#[component]
pub fn InspectView(props: &InspectViewProps) -> Html {
    // docker's `Size` is the bytes of the layers' files: known once the layers are read; until
    // then the layer tars' sum (podman's count) stands in, and the view says so.
    let value = match &props.layers {
        LayersState::Ready(e) => e.inspect.clone(),
        _ => Rc::new(props.session.inspect.clone()),
    };
    let ready = matches!(props.layers, LayersState::Ready(_));
    let text = use_memo(value.clone(), |v| inspect_text(v));
    html! {
        <article class="inspect" id="inspect">
            <div class="view-head">
                <h2>{ "Inspect" }</h2>
                <CopyButton text={(*text).clone()} label="Copy the JSON" class="primary" />
                <span class="equivalent">{ "Same as " }<code>{ format!("docker image inspect {}", props.session.docker_name()) }</code>
                    { " (GraphDriver and Metadata are a daemon's, unknown for an archive)" }</span>
            </div>
            if !ready {
                <p class="note" id="inspect-size-note">{ "Size is the layer tars' sum (podman's count) until the layers are read; then it is docker's: the bytes of the files." }</p>
            }
            <pre class="visually-hidden" id="inspect-json">{ (*text).clone() }</pre>
            <JsonTree value={value} />
        </article>
    }
}
