//! Problems found, errors first: a digest mismatch or a missing blob is the first thing a user
//! should see.

use crate::components::untrusted::Untrusted;
use std::rc::Rc;
use strata_core::{Diagnostic, Severity};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagnosticsListProps {
    pub diagnostics: Rc<Vec<Diagnostic>>,
}

#[component]
pub fn DiagnosticsList(props: &DiagnosticsListProps) -> Html {
    let mut items: Vec<&Diagnostic> = props.diagnostics.iter().collect();
    items.sort_by_key(|d| d.severity);
    let errors = items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let title = if errors > 0 {
        format!("Problems found ({errors})")
    } else {
        "Notes".to_owned()
    };
    html! {
        <section class={classes!("diagnostics", (errors == 0).then_some("only-notes"))} aria-label="problems found">
            <h3>{ title }</h3>
            <ul>
                { for items.into_iter().take(200).map(|d| html! {
                    <li class={classes!("diagnostic", severity_class(d.severity))} data-code={d.code.clone()}>
                        <span class="severity">{ severity_label(d.severity) }</span>
                        <span class="subject"><Untrusted text={d.subject.clone()} /></span>
                        <span class="message"><Untrusted text={d.message.clone()} /></span>
                    </li>
                }) }
            </ul>
        </section>
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Note => "Note",
    }
}
