//! Loading: how much of the archive has been read, and a way to stop.

use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressPanelProps {
    pub file_name: String,
    pub done: u64,
    pub total: u64,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn ProgressPanel(props: &ProgressPanelProps) -> Html {
    let percent = if props.total == 0 {
        0.0
    } else {
        props.done as f64 * 100.0 / props.total as f64
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    // A registry image has no size to count against until its manifest arrives.
    let known = props.total > 0;
    html! {
        <section class="progress-panel" aria-busy="true">
            <h2>{ if known { "Reading " } else { "Fetching " } }<span class="file-name">{ props.file_name.clone() }</span></h2>
            if known {
                <progress id="load-progress" max="100" value={format!("{percent:.1}")} aria-label="reading the archive"></progress>
                <p class="progress-text">{ format!("{} of {} ({percent:.0}%)", format_bytes(props.done), format_bytes(props.total)) }</p>
            } else {
                <progress id="load-progress" aria-label="fetching the manifest and config"></progress>
                <p class="progress-text">{ "Fetching the manifest and config from the registry…" }</p>
            }
            <button class="button" onclick={on_cancel}>{ "Cancel" }</button>
        </section>
    }
}
