//! The first screen: what Strata is, where to drop an archive, and a registry reference to
//! open instead.

use crate::components::copy_button::CopyButton;
use crate::components::file_picker::FilePicker;
use crate::components::registry_form::RegistryForm;
use crate::components::untrusted::Untrusted;
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
    pub wanted: Option<crate::state::Wanted>,
    pub samples: std::rc::Rc<Vec<crate::samples::Sample>>,
    /// Open a sample (its file name).
    pub on_sample: Callback<String>,
    /// The exercise a link opens, before any image is.
    #[prop_or_default]
    pub exercise: Option<crate::exercises::Linked>,
}

#[component]
pub fn StartScreen(props: &StartScreenProps) -> Html {
    html! {
        <section class="start">
            if let Some(w) = &props.wanted {
                <div class="link-wanted" id="link-wanted" role="status">
                    <strong>{ "This link is about an image in a local archive." }</strong>
                    if let Some(file) = &w.file {
                        { " Drop " }<code id="wanted-file"><Untrusted text={file.clone()} /></code>
                        if let Some(tag) = &w.tag { { " (the archive holding " }<code id="wanted-tag"><Untrusted text={tag.clone()} /></code>{ ")" } }
                        { " to continue, or any archive that holds image " }<code>{ w.id.clone() }</code>{ "." }
                    } else {
                        { " Drop the archive holding image " }<code>{ w.id.clone() }</code>
                        if let Some(tag) = &w.tag { { " (" }<code id="wanted-tag"><Untrusted text={tag.clone()} /></code>{ ")" } }
                        { " to continue." }
                    }
                    { " It is read here, never uploaded, and checked to be that image." }
                </div>
            }
            if let Some(x) = &props.exercise {
                <div class="link-wanted" id="exercise-linked" role="status" data-exercise={x.id.clone()}>
                    <strong>{ "This link opens the exercise “" }<Untrusted text={x.title.clone()} />{ "”." }</strong>
                    if let Some(s) = &x.sample {
                        { " It is about the sample " }<code><Untrusted text={s.clone()} /></code>{ ": " }
                        <button class="button primary small" id="exercise-open-sample" onclick={{
                            let (on, s) = (props.on_sample.clone(), s.clone());
                            Callback::from(move |_: MouseEvent| on.emit(s.clone()))
                        }}>{ "Open it" }</button>
                    } else {
                        { " Open the image it is about (" }<code><Untrusted text={x.image.clone()} /></code>{ ") and the exercise opens beside it." }
                    }
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
                // One command per line, never wrapped inside (a command cut in two is copied
                // wrong); each scrolls on its own if the column is narrow.
                <ul class="make-one">
                    { for [
                        ("from Docker", "docker save -o alpine.tar alpine:3.20"),
                        ("from Podman", "podman save --format oci-archive -o app.tar app:1"),
                        ("from a registry", "skopeo copy docker://nginx:1.27 oci-archive:nginx.tar"),
                    ].into_iter().map(|(what, cmd)| html! {
                        <li><span class="note">{ what }</span>
                            <div class="make-one-line"><code>{ cmd }</code><CopyButton text={cmd} label="Copy" /></div></li>
                    }) }
                </ul>
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
