//! An error the user can act on: one sentence first, the technical detail one click away.

use crate::components::file_picker::FilePicker;
use crate::protocol::ErrorInfo;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorPanelProps {
    pub error: ErrorInfo,
    pub file_name: Option<String>,
    pub on_file: Callback<File>,
}

#[component]
pub fn ErrorPanel(props: &ErrorPanelProps) -> Html {
    html! {
        <section class="error-panel" role="alert" data-kind={props.error.kind.clone()}>
            <h2>
                { "Cannot open " }
                { props.file_name.clone().unwrap_or_else(|| "the file".into()) }
            </h2>
            <p class="error-summary">{ props.error.summary.clone() }</p>
            <details>
                <summary>{ "Details" }</summary>
                <pre class="error-detail">{ props.error.detail.clone() }</pre>
            </details>
            <FilePicker on_file={props.on_file.clone()} label="Open another file…" class="primary" />
        </section>
    }
}
