//! The first screen: what Strata is, where to drop an archive, and a registry reference to
//! open instead.

use crate::components::file_picker::FilePicker;
use crate::components::registry_form::RegistryForm;
use crate::protocol::RegistryRequest;
use crate::state::TagsState;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StartScreenProps {
    pub on_file: Callback<File>,
    pub tags: TagsState,
    pub on_registry: Callback<RegistryRequest>,
    pub on_list_tags: Callback<RegistryRequest>,
    /// The image a link is about: the archive holding it must be dropped.
    #[prop_or_default]
    pub wanted: Option<String>,
    pub samples: std::rc::Rc<Vec<crate::samples::Sample>>,
    /// Open a sample (its file name).
    pub on_sample: Callback<String>,
}

#[component]
pub fn StartScreen(props: &StartScreenProps) -> Html {
    html! {
        <section class="start">
            if let Some(id) = &props.wanted {
                <div class="link-wanted" id="link-wanted" role="status">
                    <strong>{ "This link is about a local archive's image." }</strong>
                    { " Drop the archive containing image " }<code>{ id.clone() }</code>
                    { " to continue: it is read here, and checked to be that image." }
                </div>
            }
            <div class="drop-zone" id="drop-zone">
                <h2>{ "Drop a container image archive here" }</h2>
                <p>{ "A tarball from " }<code>{ "docker save" }</code>{ ", " }<code>{ "podman save" }</code>
                   { " or " }<code>{ "skopeo copy" }</code>{ " (docker-archive, oci-archive, an OCI layout)." }</p>
                <FilePicker on_file={props.on_file.clone()} label="Choose a file…" class="primary" input_id="file-input" />
                <p class="hint">{ "The file is read in this tab, by range, and never leaves your machine." }</p>
            </div>
            <div class="start-help">
                <h3>{ "Make one" }</h3>
                <pre><code>{ "docker save alpine:3.20 -o alpine.tar\npodman save --format oci-archive -o app.tar app:1\nskopeo copy docker://nginx:1.27 docker-archive:nginx.tar:nginx:1.27" }</code></pre>
            </div>
            if !props.samples.is_empty() {
                <div class="start-samples" id="samples">
                    <h3>{ "Or try a sample" }</h3>
                    <ul>
                        { for props.samples.iter().map(|s| {
                            let onclick = { let (on, f) = (props.on_sample.clone(), s.file.clone()); Callback::from(move |_: MouseEvent| on.emit(f.clone())) };
                            html! {
                                <li>
                                    <button class="sample" data-file={s.file.clone()} {onclick}>
                                        <span class="sample-title">{ s.title.clone() }</span>
                                        <span class="sample-about">{ s.about.clone() }</span>
                                        <span class="sample-size">{ format!("{} · {}", s.file, strata_core::text::format_bytes(s.size)) }</span>
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                </div>
            }
            <div class="start-registry">
                <RegistryForm tags={props.tags.clone()} on_open={props.on_registry.clone()} on_list_tags={props.on_list_tags.clone()} />
            </div>
        </section>
    }
}
