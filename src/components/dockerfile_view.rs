//! The Dockerfile the history implies, highlighted, each instruction linked to its history row
//! and layer, in valid Dockerfile syntax whatever builder recorded it (the engine translates);
//! copied or downloaded whole. A reconstruction: comments, COPY sources and multi-stage builds
//! are not recorded in an image, and `#` lines say where something was lost.

use crate::components::copy_button::CopyButton;
use crate::components::untrusted::Untrusted;
use crate::platform::browser;
use crate::route::{Route, View};
use crate::state::Session;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DockerfileViewProps {
    pub session: Rc<Session>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn DockerfileView(props: &DockerfileViewProps) -> Html {
    let dockerfile = &props.session.dockerfile;
    let lines = &dockerfile.lines;
    let text = use_memo(props.session.clone(), |s| s.dockerfile.text());
    let download = {
        let text = text.clone();
        Callback::from(move |_: MouseEvent| browser::download(text.as_bytes(), "Dockerfile"))
    };
    html! {
        <article class="dockerfile" id="dockerfile">
            <div class="view-head">
                <h2>{ "Dockerfile, reconstructed" }</h2>
                <CopyButton text={AttrValue::from((*text).clone())} label="Copy" class="primary" />
                <button class="button subtle" id="dockerfile-download" onclick={download}>{ "Download" }</button>
                <span class="note">{ "From the config's history, in valid Dockerfile syntax; comments, COPY sources and build stages are not recorded (# lines say where)." }</span>
            </div>
            <pre class="visually-hidden" id="dockerfile-text">{ (*text).clone() }</pre>
            <p class="dockerfile-from"><span class="comment">{ format!("# {}", dockerfile.from_comment) }</span></p>
            <p class="dockerfile-from"><code><span class="instruction i-from">{ "FROM" }</span>{ " " }<Untrusted text={dockerfile.from.clone()} /></code></p>
            <ol class="dockerfile-lines">
                { for lines.iter().map(|l| {
                    let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
                    let layer = l.layer;
                    let to_layer = Callback::from(move |_: MouseEvent| {
                        on_navigate.emit(Route { view: View::Layers, layer: layer.map(strata_core::LayerIdx::new), path: None, ..route.clone() })
                    });
                    let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
                    let to_history = Callback::from(move |_: MouseEvent| on_navigate.emit(Route { view: View::History, ..route.clone() }));
                    html! {
                        <li class="dockerfile-line" data-history-index={l.history_index.to_string()}>
                            if let Some(c) = &l.comment {
                                <span class="comment">{ "# " }<Untrusted text={c.clone()} /></span><br />
                            }
                            <code>
                                <span class={classes!("instruction", format!("i-{}", l.instruction.to_lowercase()))}>{ l.instruction.clone() }</span>
                                { " " }
                                { highlight(&l.arguments) }
                            </code>
                            <span class="line-links">
                                <button class="link" onclick={to_history} title="This step in the history">{ format!("step {}", l.history_index + 1) }</button>
                                if let Some(n) = l.layer {
                                    <button class="link" onclick={to_layer} title="This step's layer">{ format!("layer {}", n + 1) }</button>
                                }
                            </span>
                        </li>
                    }
                }) }
            </ol>
        </article>
    }
}

/// Strings, variables and `&&` stand out; everything stays text.
fn highlight(args: &str) -> Html {
    let mut out: Vec<Html> = Vec::new();
    let mut plain = String::new();
    let mut chars = args.chars().peekable();
    let flush = |plain: &mut String, out: &mut Vec<Html>| {
        if !plain.is_empty() {
            out.push(html! { <Untrusted text={std::mem::take(plain)} /> });
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                flush(&mut plain, &mut out);
                let mut s = String::from(c);
                for d in chars.by_ref() {
                    s.push(d);
                    if d == c {
                        break;
                    }
                }
                out.push(html! { <span class="string"><Untrusted text={s} /></span> });
            }
            '$' => {
                flush(&mut plain, &mut out);
                let mut s = String::from('$');
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '{' || d == '}' {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(html! { <span class="variable">{ s }</span> });
            }
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                flush(&mut plain, &mut out);
                out.push(html! { <span class="operator">{ "&&" }</span> });
            }
            _ => plain.push(c),
        }
    }
    flush(&mut plain, &mut out);
    html! { <>{ for out }</> }
}
