//! One SBOM the image carries set beside the packages read from its layers (the engine's
//! `sbom_comparison`): how many agree, then the packages only the SBOM lists, only the layers
//! hold, and those at another version. Each package the layers hold opens in the Packages
//! view, so the same card serves the Packages view and the Supply chain view's SBOM entries.

use crate::components::untrusted::Untrusted;
use crate::route::{Route, View};
use std::rc::Rc;
use strata_core::packages::PackageIdx;
use strata_core::sbom_comparison::SbomComparison;
use strata_core::text::count;
use yew::prelude::*;

/// Differences listed at once per kind (the CLI's JSON lists them all).
const SHOWN: usize = 200;

#[derive(Properties, PartialEq)]
pub struct SbomComparisonCardProps {
    pub comparison: Rc<SbomComparison>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

#[component]
pub fn SbomComparisonCard(props: &SbomComparisonCardProps) -> Html {
    let c = &props.comparison;
    let open = |id: PackageIdx| {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        let href = to_package(&route, id).to_fragment();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            on.emit(to_package(&route, id));
        });
        (href, onclick)
    };
    let link = |id: PackageIdx, text: String| {
        let (href, onclick) = open(id);
        html! { <a class="sbom-diff-package" {href} {onclick} data-id={id.0.to_string()}><Untrusted {text} /></a> }
    };
    let more = |n: usize| {
        (n > SHOWN).then(|| html! { <li class="note">{ format!("… and {} more (strata packages --format json lists them all)", n - SHOWN) }</li> })
    };
    let creators = (!c.creators.is_empty()).then(|| c.creators.join(", "));
    html! {
        <div class="sbom-comparison" data-artifact={c.artifact.clone()} data-differences={c.differences().to_string()}
            data-same={c.same.to_string()} data-only-sbom={c.only_in_sbom.len().to_string()}
            data-only-layers={c.only_in_layers.len().to_string()} data-versions={c.version_differs.len().to_string()}>
            <p class="sbom-comparison-head">
                <strong><Untrusted text={c.format.clone()} /></strong>
                { format!(" ({}, {}) beside the layers ({}): ", c.found, count(c.sbom_packages, "package"), count(c.layer_packages, "package")) }
                <span class="sbom-comparison-summary">{ c.summary() }</span>
                if let Some(by) = creators { <span class="note">{ " · written by " }<Untrusted text={by} /></span> }
            </p>
            if c.differences() == 0 && c.sbom_packages > 0 {
                <p class="note">{ "They agree: every package the SBOM lists is in the layers at that version, and nothing else is." }</p>
            }
            if !c.only_in_sbom.is_empty() {
                <h5>{ format!("Only in the SBOM ({}): not found in the layers", c.only_in_sbom.len()) }</h5>
                <ul class="sbom-diff" data-kind="only-sbom">
                    { for c.only_in_sbom.iter().take(SHOWN).map(|p| html! {
                        <li data-name={p.name.clone()}>
                            <Untrusted text={p.name.clone()} />{ " " }<code><Untrusted text={p.version.clone().unwrap_or_default()} /></code>
                            if let Some(u) = &p.purl { { " " }<code class="note"><Untrusted text={u.clone()} /></code> }
                        </li>
                    }) }
                    { more(c.only_in_sbom.len()).unwrap_or_default() }
                </ul>
            }
            if !c.only_in_layers.is_empty() {
                <h5>{ format!("Only in the layers ({}): the SBOM does not list them", c.only_in_layers.len()) }</h5>
                <ul class="sbom-diff" data-kind="only-layers">
                    { for c.only_in_layers.iter().take(SHOWN).map(|p| html! {
                        <li data-name={p.name.clone()}>
                            { link(p.id, p.name.clone()) }{ " " }<code><Untrusted text={p.version.clone()} /></code>{ format!(" ({})", p.ecosystem.name()) }
                        </li>
                    }) }
                    { more(c.only_in_layers.len()).unwrap_or_default() }
                </ul>
            }
            if !c.version_differs.is_empty() {
                <h5>{ format!("At another version ({})", c.version_differs.len()) }</h5>
                <ul class="sbom-diff" data-kind="versions">
                    { for c.version_differs.iter().take(SHOWN).map(|d| html! {
                        <li data-name={d.name.clone()}>
                            { link(d.id, d.name.clone()) }{ ": the SBOM says " }
                            <code class="sbom-version"><Untrusted text={d.sbom_version.clone().unwrap_or_else(|| "no version".into())} /></code>
                            { ", the layers hold " }<code class="layers-version"><Untrusted text={d.layers_version.clone()} /></code>
                        </li>
                    }) }
                    { more(c.version_differs.len()).unwrap_or_default() }
                </ul>
            }
        </div>
    }
}

/// The Packages view with one package open (the final image, no filter: the package is there).
fn to_package(route: &Route, id: PackageIdx) -> Route {
    Route {
        view: View::Packages,
        package: Some(id.0),
        packages_layer: None,
        package_filter: String::new(),
        ecosystem: None,
        ..route.clone()
    }
}
