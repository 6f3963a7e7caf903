//! "Why did the cache break?" in Compare: where build B stopped reusing build A's layers, the
//! step and why, what was rebuilt after it, and the reordering that would have kept more. It
//! renders `strata_core::diff::cache::CacheReport`; the engine decides and words every sentence.

use crate::components::code_text::CodeText;
use crate::components::untrusted::Untrusted;
use strata_core::diff::cache::CacheReport;
use strata_core::text::format_bytes;
use yew::prelude::*;

/// The engine's summary starts lowercase (the CLI prints it after "Cache: "); here it is a
/// sentence of its own.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct CacheReportViewProps {
    pub report: CacheReport,
}

#[component]
pub fn CacheReportView(props: &CacheReportViewProps) -> Html {
    let c = &props.report;
    let broke = c.broke_at.as_ref().map(|b| {
        let changed = match (&b.created_by_a, &b.created_by_b) {
            (Some(x), Some(y)) if x.split_whitespace().ne(y.split_whitespace()) => html! {
                <ul class="steps">
                    <li class="only-a"><code>{ "A  " }<Untrusted text={x.trim().to_owned()} /></code></li>
                    <li class="only-b"><code>{ "B  " }<Untrusted text={y.trim().to_owned()} /></code></li>
                </ul>
            },
            _ => html! {},
        };
        html! {
            <>
            <p id="cache-why"><strong>{ "Why: " }</strong><CodeText text={b.explanation.clone()} /></p>
            { changed }
            if !b.paths.is_empty() {
                <p id="cache-paths">{ "That step added " }
                    { for b.paths.iter().enumerate().map(|(i, p)| html! {
                        <>{ if i > 0 { ", " } else { "" } }<code><Untrusted text={p.clone()} /></code></>
                    }) }</p>
            }
            </>
        }
    });
    html! {
        <section class="card cache-report" id="cache-report" data-reused={c.reused_layers.to_string()}
            data-step={c.broke_at.as_ref().and_then(|b| b.step).map(|s| s.to_string()).unwrap_or_default()}>
            <h3>{ "Why did the cache break?" }</h3>
            <p id="cache-summary"><CodeText text={sentence(&c.summary)} /></p>
            { for broke }
            if !c.rebuilt.is_empty() {
                <table class="compare-layers" id="cache-rebuilt">
                    <thead><tr><th>{ "Rebuilt in B" }</th><th>{ "Digest" }</th><th class="num">{ "Stored" }</th></tr></thead>
                    <tbody>
                        { for c.rebuilt.iter().map(|l| html! {
                            <tr class="only-b" data-digest={l.digest.clone().unwrap_or_default()}>
                                <td>{ format!("layer {}", l.layer) }</td>
                                <td><code class="digest">{ l.digest.clone().unwrap_or_else(|| "-".into()) }</code></td>
                                <td class="num">{ format_bytes(l.size) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            if let Some(r) = &c.reorder {
                <p class="note" id="cache-hint"><strong>{ "Reorder: " }</strong><CodeText text={r.text.clone()} /></p>
            }
        </section>
    }
}
