//! A button that copies text to the clipboard and says so.

use crate::platform::browser::copy_text;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    pub text: AttrValue,
    #[prop_or(AttrValue::from("Copy"))]
    pub label: AttrValue,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let state = use_state(|| None::<bool>);
    let onclick = {
        let (text, state) = (props.text.clone(), state.clone());
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            let state = state.clone();
            copy_text(&text, move |ok| state.set(Some(ok)));
        })
    };
    let label = match *state {
        Some(true) => AttrValue::from("Copied"),
        Some(false) => AttrValue::from("Copy failed"),
        None => props.label.clone(),
    };
    html! {
        <button class={classes!("button", "copy", props.class.clone())} id={props.id.clone()} {onclick}
            title={props.title.clone().unwrap_or_else(|| AttrValue::from("Copy to the clipboard"))}>{ label }</button>
    }
}
