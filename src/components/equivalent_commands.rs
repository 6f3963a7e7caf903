//! The commands that show what the current view shows, without Strata (docker, podman, skopeo,
//! crane, tar, dive) and with the `strata` CLI: copyable, for workshops and for trust.

use crate::components::copy_button::CopyButton;
use std::rc::Rc;
use strata_core::equivalents::Equivalent;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EquivalentCommandsProps {
    pub commands: Rc<Vec<Equivalent>>,
}

#[component]
pub fn EquivalentCommands(props: &EquivalentCommandsProps) -> Html {
    if props.commands.is_empty() {
        return html! {};
    }
    html! {
        <details class="equivalents" id="equivalents">
            <summary>{ "The same without Strata" }</summary>
            <ul>
                { for props.commands.iter().map(|c| html! {
                    <li data-tool={c.tool.clone()}>
                        <code class="command">{ c.command.clone() }</code>
                        <CopyButton text={c.command.clone()} class="small subtle" />
                        <span class="note">{ format!(" {}", c.note) }</span>
                    </li>
                }) }
            </ul>
        </details>
    }
}
