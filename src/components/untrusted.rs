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
    untrusted(&props.text)
}

/// The same as a plain text node, without a component around it: for long lists (a package
/// table's rows), where a component per cell is most of the time to draw them.
pub fn untrusted(text: &str) -> Html {
    Html::from(reveal_bidi(text).into_owned())
}
