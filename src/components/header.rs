//! The top bar: the name, the open file, another file, the theme and help.

use crate::components::copy_button::CopyButton;
use crate::components::file_picker::FilePicker;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub file_name: Option<String>,
    pub on_file: Callback<File>,
    pub on_close: Callback<()>,
    /// `system`, `light` or `dark`.
    pub theme: &'static str,
    pub on_theme: Callback<&'static str>,
    pub on_help: Callback<()>,
    pub on_limits: Callback<()>,
    /// A link to the current view, when an image is open.
    #[prop_or_default]
    pub link: Option<String>,
    /// Save a snapshot: `Some(enabled)` once the layers are read (disabled while digests are
    /// still checked or one is being saved: a snapshot carries checked digests only).
    #[prop_or_default]
    pub snapshot: Option<bool>,
    #[prop_or_default]
    pub on_save_snapshot: Callback<()>,
}

#[component]
pub fn Header(props: &HeaderProps) -> Html {
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let on_help = props.on_help.reform(|_: MouseEvent| ());
    let next = match props.theme {
        "system" => "dark",
        "dark" => "light",
        _ => "system",
    };
    let on_theme = {
        let on_theme = props.on_theme.clone();
        Callback::from(move |_: MouseEvent| on_theme.emit(next))
    };
    let theme_label = match props.theme {
        "dark" => "◐ Dark",
        "light" => "◑ Light",
        _ => "◒ System",
    };
    html! {
        <header class="topbar">
            <h1 class="brand"><span class="logo" aria-hidden="true">{ "▤" }</span>{ "Strata" }</h1>
            if let Some(name) = &props.file_name {
                <span class="open-file" title={name.clone()}>{ name.clone() }</span>
                <button class="button subtle" onclick={on_close}>{ "Close" }</button>
                <FilePicker on_file={props.on_file.clone()} label="Open another…" class="subtle" />
            }
            if let Some(link) = &props.link {
                <CopyButton text={link.clone()} label="Copy link" class="subtle" id="copy-link"
                    title="Copy a link to this view: image, platform, view, layer, path and filters (never credentials)" />
            }
            if let Some(enabled) = props.snapshot {
                <button class="button subtle" id="save-snapshot" onclick={props.on_save_snapshot.reform(|_: MouseEvent| ())} disabled={!enabled}
                    title="Save this inspection as one small file (no file contents) that opens anywhere, offline">{ "Save snapshot" }</button>
            }
            <span class="privacy-note">{ "Runs in this tab: nothing is uploaded." }</span>
            <button class="button subtle" id="limits-button" onclick={props.on_limits.reform(|_: MouseEvent| ())}
                title="Safety limits for untrusted images">{ "Limits" }</button>
            <button class="button subtle" id="theme-toggle" onclick={on_theme} title="Theme: follow the system, dark or light (t)">{ theme_label }</button>
            <button class="button subtle" id="help-button" onclick={on_help} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">{ "?" }</button>
        </header>
    }
}
