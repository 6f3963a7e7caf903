//! The first screen: what Strata is, and where to drop an archive.

use crate::components::file_picker::FilePicker;
use web_sys::File;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StartScreenProps {
    pub on_file: Callback<File>,
}

#[component]
pub fn StartScreen(props: &StartScreenProps) -> Html {
    html! {
        <section class="start">
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
        </section>
    }
}
