//! Text that came from an image (a label, a path, a history line, a registry's answer),
//! rendered as a text node with bidirectional controls shown as `⟨U+202E⟩` (invariant 6): a
//! string cannot reorder what is shown around it. Components render every such string through
//! this one component, so the rule is kept in one place and cannot be forgotten.

use strata_core::text::reveal_bidi;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct UntrustedProps {
    pub text: AttrValue,
}

#[component]
pub fn Untrusted(props: &UntrustedProps) -> Html {
    html! { { reveal_bidi(&props.text).into_owned() } }
}
