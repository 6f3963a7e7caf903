//! The one line about an image's signatures and attestations, on the overview and atop the
//! Supply chain view: the engine's badge (green only when a signature verified with the user's
//! key), or why there is none yet — a registry image's supply chain is looked up only when its
//! view opens.

use crate::state::{LookupStatus, SupplyChainState};
use strata_core::supply_chain_view::badge;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SupplyChainBadgeProps {
    pub state: SupplyChainState,
    /// The image came from a `docker save` archive (its manifest derived: nothing signed).
    #[prop_or_default]
    pub docker_save: bool,
}

#[component]
pub fn SupplyChainBadge(props: &SupplyChainBadgeProps) -> Html {
    match &props.state.status {
        LookupStatus::Idle => html! {
            <span class="supply-badge" id="supply-badge" data-state="idle">
                <span class="badge muted">{ "not looked up yet" }</span>
                <span class="note">{ " (the Supply chain view asks the registry for signatures and referrers) " }</span>
            </span>
        },
        LookupStatus::Looking => html! {
            <span class="supply-badge" id="supply-badge" data-state="looking"><span class="badge checking">{ "looking…" }</span></span>
        },
        LookupStatus::Failed(e) => html! {
            <span class="supply-badge" id="supply-badge" data-state="failed"><span class="badge muted">{ e.summary.clone() }</span></span>
        },
        LookupStatus::Ready(report) => {
            let b = badge(report, props.docker_save);
            html! {
                <span class="supply-badge" id="supply-badge" data-state={format!("{:?}", b.tone).to_lowercase()}>
                    <span class={classes!("badge", b.tone.class())} id="supply-badge-text">
                        { strata_core::text::reveal_bidi(&b.text).into_owned() }
                    </span>
                    if let Some(a) = b.attestations {
                        { " " }<span class="badge muted" id="supply-badge-attestations">{ strata_core::text::reveal_bidi(&a).into_owned() }</span>
                    }
                </span>
            }
        }
    }
}
