//! The raw documents, byte for byte: the manifest (what `crane manifest` prints), the index it
//! was chosen from, the config (`crane config`). Shown as stored; a tree view beside (both
//! made once, with the session: `state::RawDoc`).

use crate::components::copy_button::CopyButton;
use crate::components::json_tree::JsonTree;
use crate::platform::browser::download;
use crate::route::Route;
use crate::state::Session;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RawViewProps {
    pub session: Rc<Session>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn RawView(props: &RawViewProps) -> Html {
    let docs = &props.session.raw;
    let tree = use_state(|| false);
    let which = props
        .route
        .raw
        .clone()
        .filter(|w| docs.iter().any(|d| d.name == w))
        .unwrap_or_else(|| "manifest".into());
    let Some(shown) = docs.iter().find(|d| d.name == which) else {
        return html! {};
    };
    let (name, doc, title, text, command) = (
        shown.name,
        &shown.doc,
        &shown.title,
        shown.text.clone(),
        shown.command,
    );
    let value = shown.value.clone();
    let buttons = docs.iter().map(|d| {
        let n = d.name;
        let (on_navigate, route, n2) = (props.on_navigate.clone(), props.route.clone(), n.to_string());
        let onclick = Callback::from(move |_: MouseEvent| on_navigate.emit(Route { raw: Some(n2.clone()), ..route.clone() }));
        html! { <button class={classes!("button", "subtle", (n == name).then_some("selected"))} id={format!("raw-{n}")} {onclick}>{ n }</button> }
    });
    let on_download = {
        let (bytes, file) = (doc.bytes.clone(), format!("{name}.json"));
        Callback::from(move |_: MouseEvent| download(&bytes, &file))
    };
    let toggle = {
        let tree = tree.clone();
        Callback::from(move |_: MouseEvent| tree.set(!*tree))
    };
    html! {
        <article class="raw" id="raw">
            <div class="view-head">
                <div class="segmented">{ for buttons }</div>
                <CopyButton text={text.clone()} label="Copy" />
                <button class="button subtle" onclick={on_download}>{ "Download" }</button>
                <button class="button subtle" onclick={toggle}>{ if *tree { "Show the bytes" } else { "Show as a tree" } }</button>
                <span class="equivalent">{ "Same as " }<code>{ command }</code></span>
            </div>
            <h2>{ title.clone() }</h2>
            <p class="note"><code>{ doc.digest.to_string() }</code>{ format!(" · {} bytes · {}", doc.bytes.len(), doc.source) }</p>
            if *tree {
                <JsonTree value={value} />
            } else {
                <pre class="raw-bytes" id={format!("raw-text-{name}")}>{ text }</pre>
            }
        </article>
    }
}
