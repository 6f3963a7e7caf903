//! A button that opens the system file picker and hands the chosen `File` on.

use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FilePickerProps {
    pub on_file: Callback<File>,
    pub label: AttrValue,
    #[prop_or_default]
    pub class: Classes,
    /// The `id` of the hidden input, for tests and labels.
    #[prop_or_default]
    pub input_id: Option<AttrValue>,
}

#[component]
pub fn FilePicker(props: &FilePickerProps) -> Html {
    let onchange = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_file.emit(file);
            }
            input.set_value(""); // picking the same file again must fire again
        })
    };
    html! {
        <label class={classes!("button", props.class.clone())}>
            { props.label.clone() }
            <input type="file" class="visually-hidden" id={props.input_id.clone()} {onchange}
                accept=".tar,.tar.gz,.oci,application/x-tar" />
        </label>
    }
}
