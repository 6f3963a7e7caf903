//! An error the user can act on: one sentence first, the technical detail one click away, and
//! a way to try again (another file, or the registry form with the reference that failed).

use crate::components::file_picker::FilePicker;
use crate::components::registry_form::RegistryForm;
use crate::protocol::ErrorInfo;
use crate::protocol::RegistryRequest;
use crate::state::TagsState;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorPanelProps {
    pub error: ErrorInfo,
    pub file_name: Option<String>,
    pub on_file: Callback<File>,
    /// The reference, when a registry image failed to open.
    #[prop_or_default]
    pub registry: Option<String>,
    pub tags: TagsState,
    pub on_registry: Callback<RegistryRequest>,
    pub on_list_tags: Callback<RegistryRequest>,
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
            <details open={["cors", "proxy", "dns", "registry-auth", "registry-not-found", "network"].contains(&props.error.kind.as_str())}>
                <summary>{ "Details" }</summary>
                <pre class="error-detail">{ props.error.detail.clone() }</pre>
            </details>
            if let Some(reference) = &props.registry {
                <RegistryForm reference={reference.clone()} tags={props.tags.clone()}
                    on_open={props.on_registry.clone()} on_list_tags={props.on_list_tags.clone()} />
            }
            <FilePicker on_file={props.on_file.clone()} label="Open a file…" class={if props.registry.is_some() { "" } else { "primary" }} />
        </section>
    }
}
