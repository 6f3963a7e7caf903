//! A sentence from the engine with its `code` spans (single backticks, as the CLI prints them)
//! set in a code face, never as literal backticks; all of it as text (`Untrusted`), never markup.

use crate::components::untrusted::Untrusted;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CodeTextProps {
    pub text: AttrValue,
}

#[component]
pub fn CodeText(props: &CodeTextProps) -> Html {
    html! {
        <>{ for strata_core::text::code_spans(&props.text).into_iter().map(|(code, t)| if code {
            html! { <code><Untrusted text={t.to_owned()} /></code> }
        } else {
            html! { <Untrusted text={t.to_owned()} /> }
        }) }</>
    }
}
