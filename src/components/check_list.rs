//! The checks made on one signature, attestation or manifest, each with its outcome and what was
//! found: the report says exactly what was checked, and this shows all of it.

use crate::components::untrusted::Untrusted;
use std::rc::Rc;
use strata_core::supply_chain::Check;
use strata_core::supply_chain_view::outcome;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CheckListProps {
    pub checks: Rc<Vec<Check>>,
}

#[component]
pub fn CheckList(props: &CheckListProps) -> Html {
    if props.checks.is_empty() {
        return html! {};
    }
    html! {
        <ul class="checks">
            { for props.checks.iter().map(|c| {
                let (mark, tone) = outcome(c.outcome);
                html! {
                    <li class="check" data-outcome={mark}>
                        <span class={classes!("badge", tone.class())}>{ mark }</span>{ " " }
                        <span class="check-what"><Untrusted text={c.what.clone()} /></span>
                        <span class="note">{ ": " }<Untrusted text={c.detail.clone()} /></span>
                    </li>
                }
            }) }
        </ul>
    }
}
