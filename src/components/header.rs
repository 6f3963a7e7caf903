//! The top bar: the name, the open file, and a way to open another.

use crate::components::file_picker::FilePicker;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub file_name: Option<String>,
    pub on_file: Callback<File>,
    pub on_close: Callback<()>,
}

#[component]
pub fn Header(props: &HeaderProps) -> Html {
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <header class="topbar">
            <h1 class="brand"><span class="logo" aria-hidden="true">{ "▤" }</span>{ "Strata" }</h1>
            if let Some(name) = &props.file_name {
                <span class="open-file" title={name.clone()}>{ name.clone() }</span>
                <button class="button subtle" onclick={on_close}>{ "Close" }</button>
                <FilePicker on_file={props.on_file.clone()} label="Open another…" class="subtle" />
            }
            <span class="privacy-note">{ "Runs in this tab: nothing is uploaded." }</span>
        </header>
    }
}
