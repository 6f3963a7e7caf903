//! SLSA provenance as a person reads it: who built the image (builder), how (build type,
//! frontend, build arguments), from what (source repository and commit, materials with their
//! digests), when, and the Dockerfile when BuildKit recorded it. The engine read it
//! (`supply_chain::provenance`); this lays it out.

use crate::components::untrusted::Untrusted;
use std::rc::Rc;
use strata_core::supply_chain::provenance::Provenance;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProvenanceSummaryProps {
    pub provenance: Rc<Provenance>,
}

fn row(label: &'static str, value: &Option<String>, class: &'static str) -> Html {
    match value {
        Some(v) => {
            html! { <><dt>{ label }</dt><dd class={class}><Untrusted text={v.clone()} /></dd></> }
        }
        None => html! {},
    }
}

#[component]
pub fn ProvenanceSummary(props: &ProvenanceSummaryProps) -> Html {
    let p = &props.provenance;
    html! {
        <div class="provenance">
            <dl class="facts">
                <dt>{ "SLSA" }</dt><dd>{ p.slsa_version.clone() }</dd>
                { row("Builder", &p.builder, "prov-builder") }
                { row("Build type", &p.build_type, "prov-build-type") }
                { row("Frontend", &p.frontend, "prov-frontend") }
                { row("Source", &p.source_repository, "prov-source") }
                { row("Commit", &p.source_commit, "prov-commit") }
                { row("Build file", &p.config_path, "prov-config") }
                { row("Started", &p.started_on, "") }
                { row("Finished", &p.finished_on, "") }
                { row("Invocation", &p.invocation_id, "") }
                if let Some(r) = p.reproducible { <dt>{ "Reproducible" }</dt><dd>{ if r { "yes, the builder says" } else { "no" } }</dd> }
                if let Some(h) = p.hermetic { <dt>{ "Hermetic" }</dt><dd>{ if h { "yes, the builder says" } else { "no" } }</dd> }
                if !p.build_args.is_empty() {
                    <dt>{ "Build arguments" }</dt>
                    <dd class="prov-build-args">{ for p.build_args.iter().map(|(k, v)| html! {
                        <code class="block"><Untrusted text={k.clone()} />{ "=" }<Untrusted text={v.clone()} /></code>
                    }) }</dd>
                }
                if !p.options.is_empty() {
                    <dt>{ "Other options" }</dt>
                    <dd>{ for p.options.iter().map(|(k, v)| html! {
                        <code class="block"><Untrusted text={k.clone()} />{ "=" }<Untrusted text={v.clone()} /></code>
                    }) }</dd>
                }
            </dl>
            if !p.materials.is_empty() {
                <h5>{ format!("Materials ({})", p.materials.len()) }</h5>
                <table class="materials">
                    <thead><tr><th>{ "URI" }</th><th>{ "Digest" }</th></tr></thead>
                    <tbody>{ for p.materials.iter().map(|m| html! {
                        <tr class="material">
                            <td><code><Untrusted text={m.uri.clone()} /></code></td>
                            <td>{ for m.digest.iter().map(|(a, h)| html! { <code class="digest block"><Untrusted text={format!("{a}:{h}")} /></code> }) }</td>
                        </tr>
                    }) }</tbody>
                </table>
            }
            if let Some(d) = &p.dockerfile {
                <details class="prov-dockerfile">
                    <summary>{ format!("The Dockerfile, as BuildKit recorded it ({})", strata_core::text::count(d.lines().count(), "line")) }</summary>
                    <pre class="raw-bytes"><Untrusted text={d.clone()} /></pre>
                </details>
            }
            if !p.notes.is_empty() {
                <ul class="note">{ for p.notes.iter().map(|n| html! { <li><Untrusted text={n.clone()} /></li> }) }</ul>
            }
        </div>
    }
}
