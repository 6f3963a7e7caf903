//! `docker image inspect`: the JSON docker prints, as a collapsible tree, copyable whole or
//! value by value.

use crate::components::copy_button::CopyButton;
use crate::components::json_tree::JsonTree;
use crate::state::Session;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectViewProps {
    pub session: Rc<Session>,
}

#[component]
pub fn InspectView(props: &InspectViewProps) -> Html {
    let text = use_memo(props.session.clone(), |s| s.inspect_text());
    let value = use_memo(props.session.clone(), |s| Rc::new(s.inspect.clone()));
    html! {
        <article class="inspect" id="inspect">
            <div class="view-head">
                <h2>{ "Inspect" }</h2>
                <CopyButton text={(*text).clone()} label="Copy the JSON" class="primary" />
                <span class="equivalent">{ "Same as " }<code>{ "docker image inspect IMAGE" }</code>
                    { " (GraphDriver and Metadata are a daemon's, unknown for an archive)" }</span>
            </div>
            <pre class="visually-hidden" id="inspect-json">{ (*text).clone() }</pre>
            <JsonTree value={(*value).clone()} />
        </article>
    }
}
