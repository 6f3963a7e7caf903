//! One document the Supply chain view found (a referrer's manifest, an attestation's statement),
//! indented to be read with its exact bytes a click away, as the raw view shows the image's own.
//! Statements can be large (an SBOM up to `max_attestation_bytes`), so a collapsed one is not
//! rendered until opened; the report is shared (`Rc`, compared by pointer), never copied.

use crate::components::copy_button::CopyButton;
use crate::components::untrusted::Untrusted;
use std::rc::Rc;
use strata_core::supply_chain::SupplyChain;
use yew::prelude::*;

/// Which document of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawOf {
    Artifact(usize),
    Statement(usize),
}

#[derive(Properties)]
pub struct SupplyChainRawProps {
    pub report: Rc<SupplyChain>,
    pub which: RawOf,
    /// Shown behind this button until opened; `None`: open at once.
    #[prop_or_default]
    pub collapsed: Option<AttrValue>,
    /// The `<pre>`'s id (tests, links).
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

impl PartialEq for SupplyChainRawProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.report, &other.report)
            && self.which == other.which
            && self.collapsed == other.collapsed
            && self.id == other.id
    }
}

#[component]
pub fn SupplyChainRaw(props: &SupplyChainRawProps) -> Html {
    let open = use_state(|| props.collapsed.is_none());
    let exact = use_state(|| false);
    let raw = match props.which {
        RawOf::Artifact(i) => props.report.artifacts.get(i).map(|a| &a.raw),
        RawOf::Statement(i) => props.report.attestations.get(i).map(|a| &a.raw),
    };
    let Some(raw) = raw else { return html! {} };
    if !*open {
        let onclick = {
            let open = open.clone();
            Callback::from(move |_: MouseEvent| open.set(true))
        };
        return html! {
            <button class="button subtle small raw-toggle" {onclick}>{ props.collapsed.clone().unwrap_or_default() }</button>
        };
    }
    let text = raw.text();
    let shown = if *exact {
        text.clone()
    } else {
        strata_core::text::pretty_json(&text)
    };
    let toggle = {
        let exact = exact.clone();
        Callback::from(move |_: MouseEvent| exact.set(!*exact))
    };
    html! {
        <div class="supply-raw">
            <div class="key-actions">
                <button class="button subtle small raw-exact" onclick={toggle} aria-pressed={exact.to_string()}>
                    { if *exact { "Indented" } else { "Exact bytes" } }</button>
                <CopyButton {text} label="Copy" class="small" />
                <span class="note">{ format!("{} · {} bytes{}", raw.digest, raw.bytes.len(), if *exact { "" } else { " · indented to be read; the digest is of the exact bytes" }) }</span>
            </div>
            <pre class="raw-bytes" id={props.id.clone()} data-exact={exact.to_string()}><Untrusted text={shown} /></pre>
        </div>
    }
}
