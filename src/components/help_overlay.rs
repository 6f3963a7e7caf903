//! The `?` overlay: every keyboard shortcut.

use crate::route::View;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpOverlayProps {
    pub on_close: Callback<()>,
}

#[component]
pub fn HelpOverlay(props: &HelpOverlayProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let keys: Vec<(String, String)> = View::ALL
        .iter()
        .map(|v| (v.key().to_string(), format!("Show {}", v.label())))
        .chain([
            ("?".to_owned(), "Show or hide this help".to_owned()),
            ("t".to_owned(), "Theme: system, dark, light".to_owned()),
            (
                "Esc".to_owned(),
                "Close this help, clear a search".to_owned(),
            ),
            ("/".to_owned(), "Layers: search paths".to_owned()),
            (
                "↑ ↓".to_owned(),
                "Layers: move in the file tree (or the layer list)".to_owned(),
            ),
            (
                "→ ←".to_owned(),
                "Layers: open or close a directory, go to the parent".to_owned(),
            ),
            (
                "Enter".to_owned(),
                "Layers: show the file's content".to_owned(),
            ),
            (
                "[ ]".to_owned(),
                "Layers: previous or next layer".to_owned(),
            ),
            (
                "m".to_owned(),
                "Layers: this layer's changes, or the whole filesystem".to_owned(),
            ),
        ])
        .collect();
    html! {
        <div class="overlay" onclick={close.clone()}>
            <section class="help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onclick={stop}>
                <h2>{ "Keyboard shortcuts" }</h2>
                <table>
                    <tbody>
                        { for keys.into_iter().map(|(k, what)| html! { <tr><td><kbd>{ k }</kbd></td><td>{ what }</td></tr> }) }
                    </tbody>
                </table>
                <button class="button" onclick={close}>{ "Close" }</button>
            </section>
        </div>
    }
}
