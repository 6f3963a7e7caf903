//! The raw documents: the manifest (what `crane manifest` prints), the index it was chosen
//! from, the config (`crane config`). Shown re-indented to be read (whitespace only: order,
//! strings and numbers as stored), the exact bytes one click away, and a tree (all made once,
//! with the session: `state::RawDoc`). Copy and Download always give the exact bytes: a digest
//! is of those.

use crate::components::copy_button::CopyButton;
use crate::components::json_tree::JsonTree;
use crate::platform::browser::download;
use crate::route::Route;
use crate::state::Session;
use std::rc::Rc;
use yew::prelude::*;

/// How the document is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Pretty,
    Exact,
    Tree,
}

#[derive(Properties, PartialEq)]
pub struct RawViewProps {
    pub session: Rc<Session>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn RawView(props: &RawViewProps) -> Html {
    let docs = &props.session.raw;
    let mode = use_state(|| Shown::Pretty);
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
    let pick = |m: Shown| {
        let mode = mode.clone();
        Callback::from(move |_: MouseEvent| mode.set(m))
    };
    let pretty = shown.pretty.clone();
    html! {
        <article class="raw" id="raw">
            <div class="view-head">
                <div class="segmented">{ for buttons }</div>
                <div class="segmented" role="group" aria-label="how to show it">
                    { for [(Shown::Pretty, "Indented", "raw-pretty"), (Shown::Exact, "Exact bytes", "raw-exact"), (Shown::Tree, "Tree", "raw-tree")].into_iter().map(|(m, label, id)| html! {
                        <button class={classes!("button", "subtle", (*mode == m).then_some("selected"))} {id} aria-pressed={(*mode == m).to_string()} onclick={pick(m)}>{ label }</button>
                    }) }
                </div>
                <CopyButton text={text.clone()} label="Copy" title="Copy the exact bytes" />
                <button class="button subtle" onclick={on_download} title="Save the exact bytes">{ "Download" }</button>
                <span class="equivalent">{ "Same as " }<code>{ command }</code></span>
            </div>
            <h2>{ title.clone() }</h2>
            <p class="note"><code>{ doc.digest.to_string() }</code>{ format!(" · {} bytes · {}", doc.bytes.len(), doc.source) }</p>
            { match *mode {
                Shown::Tree => html! { <JsonTree value={value} /> },
                Shown::Exact => html! { <pre class="raw-bytes" id={format!("raw-text-{name}")}>{ text }</pre> },
                Shown::Pretty => html! {
                    <>
                        <p class="note">{ "Indented to be read; the digest is of the exact bytes (one click away, and what Copy and Download give)." }</p>
                        <pre class="raw-pretty" id={format!("raw-pretty-{name}")}>{ pretty }</pre>
                    </>
                },
            } }
        </article>
    }
}
