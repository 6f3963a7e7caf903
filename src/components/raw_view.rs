//! The raw documents, byte for byte: the manifest (what `crane manifest` prints), the index it
//! was chosen from, the config (`crane config`). Shown as stored; a tree view beside.

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
    let image = &props.session.image;
    let tree = use_state(|| false);
    let mut docs: Vec<(&str, &strata_core::RawJson, String)> = vec![(
        "manifest",
        &image.manifest,
        if image.manifest_synthesized {
            "Manifest (derived: docker save archives have none; this is the one skopeo and podman derive)".into()
        } else {
            format!("Manifest ({})", image.manifest_media_type)
        },
    )];
    if let Some(index) = &image.index {
        docs.push(("index", index, "Index".into()));
    }
    docs.push(("config", &image.config, "Config".into()));
    let which = props
        .route
        .raw
        .clone()
        .filter(|w| docs.iter().any(|d| d.0 == w))
        .unwrap_or_else(|| "manifest".into());
    let Some((name, doc, title)) = docs.iter().find(|d| d.0 == which).cloned() else {
        return html! {};
    };
    let text = doc.text();
    let value = Rc::new(
        serde_json::from_slice::<serde_json::Value>(&doc.bytes).unwrap_or(serde_json::Value::Null),
    );
    let command = match name {
        "manifest" => "crane manifest IMAGE",
        "index" => "crane manifest IMAGE (the index)",
        _ => "crane config IMAGE",
    };
    let buttons = docs.iter().map(|(n, _, _)| {
        let (on_navigate, route, n2) = (props.on_navigate.clone(), props.route.clone(), n.to_string());
        let onclick = Callback::from(move |_: MouseEvent| on_navigate.emit(Route { raw: Some(n2.clone()), ..route.clone() }));
        html! { <button class={classes!("button", "subtle", (*n == name).then_some("selected"))} id={format!("raw-{n}")} {onclick}>{ *n }</button> }
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
            <h2>{ title }</h2>
            <p class="note"><code>{ doc.digest.to_string() }</code>{ format!(" · {} bytes · {}", doc.bytes.len(), doc.source) }</p>
            if *tree {
                <JsonTree value={value} />
            } else {
                <pre class="raw-bytes" id={format!("raw-text-{name}")}>{ text }</pre>
            }
        </article>
    }
}
