//! The Packages view's SBOM section: the SBOMs the image carries (a BuildKit attestation,
//! cosign's `.sbom`, an SBOM referrer), each set beside the packages read from the layers, or
//! why there is none. The comparisons are the engine's (`strata_core::sbom_comparison`), made
//! once per package report and lookup.

use crate::components::sbom_comparison::SbomComparisonCard;
use crate::route::Route;
use crate::state::{LookupStatus, Packages};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PackagesSbomsProps {
    pub packages: Rc<Packages>,
    pub status: LookupStatus,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

/// The SBOMs the image carries, each compared with the packages above (computed once per
/// report and lookup, not on every navigation).
#[component]
pub fn PackagesSboms(props: &PackagesSbomsProps) -> Html {
    let chain = match &props.status {
        LookupStatus::Ready(c) => Some(c.clone()),
        _ => None,
    };
    let list = {
        let (p, c) = (props.packages.clone(), chain.clone());
        use_memo((p, c), |(p, c)| {
            c.as_ref().map_or_else(Vec::new, |c| {
                strata_core::sbom_comparison::comparisons(&p.report, c)
                    .into_iter()
                    .map(Rc::new)
                    .collect::<Vec<_>>()
            })
        })
    };
    let body = match &props.status {
        LookupStatus::Idle | LookupStatus::Looking => html! {
            <p class="note" id="sbom-looking">{ "Looking for SBOMs the image carries (attestation manifests, referrers, cosign's .sbom tag)…" }</p>
        },
        LookupStatus::Failed(e) => html! {
            <p class="note" id="sbom-failed">{ format!("Its SBOMs could not be looked up: {}", e.summary) }</p>
        },
        LookupStatus::Ready(_) if list.is_empty() => html! {
            <p class="note" id="sbom-none">{ "The image carries no SBOM (no SBOM attestation, referrer or cosign .sbom tag was found): this list is the only one." }</p>
        },
        LookupStatus::Ready(_) => html! {
            { for list.iter().map(|c| html! {
                <SbomComparisonCard comparison={c.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} />
            }) }
        },
    };
    html! {
        <section class="card" id="packages-sboms">
            <h3>{ "The image's own SBOMs, beside these packages" }</h3>
            { body }
        </section>
    }
}
