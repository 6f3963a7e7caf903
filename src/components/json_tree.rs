//! A JSON value as a collapsible, highlighted tree, with a copy button on every value. Every
//! string is rendered as text: labels full of HTML stay inert.

use crate::components::copy_button::CopyButton;
use crate::components::untrusted::Untrusted;
use serde_json::Value;
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct JsonTreeProps {
    pub value: Rc<Value>,
    /// Depth below which objects start collapsed.
    #[prop_or(8)]
    pub open_depth: usize,
}

#[component]
pub fn JsonTree(props: &JsonTreeProps) -> Html {
    // Paths (`/0/Config/Env`) the user toggled away from their default.
    let toggled = use_state(HashSet::<String>::new);
    let on_toggle = {
        let toggled = toggled.clone();
        Callback::from(move |path: String| {
            let mut set = (*toggled).clone();
            if !set.remove(&path) {
                set.insert(path);
            }
            toggled.set(set);
        })
    };
    html! {
        <div class="json-tree" role="tree">
            { node(&props.value, None, String::new(), 0, props.open_depth, &toggled, &on_toggle, true) }
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn node(
    value: &Value,
    key: Option<&str>,
    path: String,
    depth: usize,
    open_depth: usize,
    toggled: &HashSet<String>,
    on_toggle: &Callback<String>,
    last: bool,
) -> Html {
    let key_html = key.map(|k| html! { <><span class="json-key"><Untrusted text={serde_json::to_string(k).unwrap_or_default()} /></span>{ ": " }</> });
    let comma = if last { "" } else { "," };
    let copy_text = match value {
        Value::String(s) => s.clone(),
        v => serde_json::to_string_pretty(v).unwrap_or_default(),
    };
    let copy = html! { <CopyButton text={copy_text} label="copy" class="json-copy" title="Copy this value" /> };
    match value {
        Value::Object(_) | Value::Array(_) => {
            let (open_ch, close_ch, len) = match value {
                Value::Object(m) => ('{', '}', m.len()),
                Value::Array(a) => ('[', ']', a.len()),
                _ => unreachable!(),
            };
            if len == 0 {
                return html! { <div class="json-line">{ key_html }<span class="json-punct">{ format!("{open_ch}{close_ch}{comma}") }</span></div> };
            }
            let default_open = depth < open_depth;
            let open = default_open != toggled.contains(&path);
            let onclick = {
                let (on_toggle, path) = (on_toggle.clone(), path.clone());
                Callback::from(move |_: MouseEvent| on_toggle.emit(path.clone()))
            };
            let summary = match value {
                Value::Object(_) => format!("{len} keys"),
                _ => format!("{len} items"),
            };
            html! {
                <div class="json-node" role="treeitem" aria-expanded={open.to_string()}>
                    <div class="json-line">
                        <button class="json-toggle" {onclick} aria-label={if open { "collapse" } else { "expand" }}>{ if open { "▾" } else { "▸" } }</button>
                        { key_html }
                        <span class="json-punct">{ open_ch }</span>
                        if !open { <span class="json-summary">{ format!(" {summary} ") }</span><span class="json-punct">{ format!("{close_ch}{comma}") }</span> }
                        { copy }
                    </div>
                    if open {
                        <div class="json-children">
                            { for children(value).into_iter().enumerate().map(|(i, (k, v))| {
                                let child_path = format!("{path}/{}", k.clone().unwrap_or_else(|| i.to_string()));
                                node(v, k.as_deref(), child_path, depth + 1, open_depth, toggled, on_toggle, i + 1 == len)
                            }) }
                        </div>
                        <div class="json-line"><span class="json-punct">{ format!("{close_ch}{comma}") }</span></div>
                    }
                </div>
            }
        }
        scalar => {
            let class = match scalar {
                Value::String(_) => "json-string",
                Value::Number(_) => "json-number",
                Value::Bool(_) => "json-bool",
                _ => "json-null",
            };
            html! {
                <div class="json-line">{ key_html }<span class={class}><Untrusted text={scalar.to_string()} /></span>{ comma }{ copy }</div>
            }
        }
    }
}

fn children(value: &Value) -> Vec<(Option<String>, &Value)> {
    match value {
        Value::Object(m) => m.iter().map(|(k, v)| (Some(k.clone()), v)).collect(),
        Value::Array(a) => a.iter().map(|v| (None, v)).collect(),
        _ => Vec::new(),
    }
}
