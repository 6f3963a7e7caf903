//! The Supply chain view: the image's signatures (who signed, which digest the payload names and
//! whether it is this image's, the certificate's identity and OIDC issuer for keyless ones, a
//! transparency-log bundle or none, and whether anything was verified — only a key the user
//! gives can make it so), its attestations (provenance as a summary, SBOMs, the raw statement
//! one click away), SBOMs attached as files, artifacts of unknown types, every manifest found
//! (its bytes one click away, by digest in the link) and every lookup made. Each SBOM is compared
//! with the packages read from the layers (`strata_core::sbom_comparison`), its differences
//! linking into the Packages view. The report is the engine's (`strata_core::supply_chain`);
//! the worker made it when the view opened.

use crate::components::check_list::CheckList;
use crate::components::diagnostics_list::DiagnosticsList;
use crate::components::provenance_summary::ProvenanceSummary;
use crate::components::sbom_comparison::SbomComparisonCard;
use crate::components::supply_chain_badge::SupplyChainBadge;
use crate::components::supply_chain_key::SupplyChainKey;
use crate::components::supply_chain_raw::{RawOf, SupplyChainRaw};
use crate::components::untrusted::Untrusted;
use crate::route::Route;
use crate::state::{LookupStatus, PackagesState, Session, SupplyChainState};
use std::rc::Rc;
use strata_core::sbom_comparison::SbomComparison;
use strata_core::supply_chain::sbom::Sbom;
use strata_core::supply_chain::{Attestation, Signature, SupplyChain};
use strata_core::supply_chain_view::{
    artifact_type, kind_label, subject_role, unknown_by_type, verification,
};
use strata_core::text::{count, format_time};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SupplyChainViewProps {
    pub session: Rc<Session>,
    pub state: SupplyChainState,
    /// The packages read from the layers, which each SBOM is compared with.
    pub packages: PackagesState,
    pub route: Route,
    pub on_navigate: Callback<Route>,
    pub on_key: Callback<Option<String>>,
}

/// A link that opens a found manifest's bytes (`artifact=<digest>` in the URL).
fn manifest_link(route: &Route, on_navigate: &Callback<Route>, digest: &str) -> Html {
    let href = Route {
        artifact: Some(digest.to_owned()),
        ..route.clone()
    }
    .to_fragment();
    let (route, on_navigate, d) = (route.clone(), on_navigate.clone(), digest.to_owned());
    let onclick = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        on_navigate.emit(Route {
            view: crate::route::View::SupplyChain,
            artifact: Some(d.clone()),
            ..route.clone()
        });
    });
    html! {
        <a class="artifact-link" {href}
            data-digest={digest.to_owned()} {onclick}><code class="digest">{ digest.to_owned() }</code></a>
    }
}

fn text(s: &str) -> Html {
    html! { <Untrusted text={s.to_owned()} /> }
}

fn verification_line(v: &strata_core::supply_chain::Verification) -> Html {
    let (words, tone) = verification(v);
    let mark = match tone {
        strata_core::supply_chain_view::Tone::Good => "✓ ",
        strata_core::supply_chain_view::Tone::Bad => "✗ ",
        strata_core::supply_chain_view::Tone::Neutral => "",
    };
    html! { <p class={classes!("verification", tone.class())} data-tone={tone.class()}>{ mark }{ text(&words) }</p> }
}

fn signature_card(
    report: &SupplyChain,
    s: &Signature,
    route: &Route,
    on_navigate: &Callback<Route>,
) -> Html {
    let names = s.signed_digest.as_deref().map(|d| {
        let which = match subject_role(report, d) {
            Some(role) => format!("this image's {role}"),
            None => "another digest, not this image".to_owned(),
        };
        html! { <><dt>{ "Names" }</dt><dd><code class="digest sig-names">{ text(d) }</code><span class="note sig-names-which">{ format!(" ({which})") }</span></dd></> }
    });
    html! {
        <article class="card signature" data-artifact={s.artifact.to_string()}>
            <h4>{ text(&s.format) }<span class="note">{ format!(" · {}", s.found.label()) }</span></h4>
            { verification_line(&s.verification) }
            <dl class="facts">
                <dt>{ "Signed by" }</dt><dd class="sig-signer">{ text(s.signer.as_deref().unwrap_or("an unknown key (the signature does not say)")) }</dd>
                { names.unwrap_or_default() }
                if let Some(r) = &s.docker_reference { <dt>{ "Repository" }</dt><dd><code>{ text(r) }</code></dd> }
                if let Some(c) = &s.certificate {
                    <dt>{ "Certificate" }</dt>
                    <dd class="sig-identity">{ text(&c.identity()) }</dd>
                    <dt>{ "OIDC issuer" }</dt>
                    <dd class="sig-issuer">{ text(c.oidc_issuer.as_deref().unwrap_or("not recorded")) }</dd>
                    <dt>{ "Valid" }</dt><dd>{ format!("{} to {}", format_time(c.not_before), format_time(c.not_after)) }</dd>
                    { for c.fulcio.iter().map(|(k, v)| html! { <><dt>{ text(k) }</dt><dd>{ text(v) }</dd></> }) }
                }
                <dt>{ "Transparency log" }</dt>
                <dd class="sig-tlog">{ match &s.transparency_log {
                    Some(t) => format!("a bundle is attached (entry {}{}); it is not checked against Rekor here",
                        t.log_index.map_or("?".into(), |i| i.to_string()),
                        t.integrated_time.map(|t| format!(", integrated {}", format_time(t))).unwrap_or_default()),
                    None => "no bundle attached".to_owned(),
                } }</dd>
                if let Some(t) = s.signing_time { <dt>{ "Signed" }</dt><dd>{ format_time(t) }</dd> }
                if let Some(t) = s.expiry { <dt>{ "Expires" }</dt><dd>{ format_time(t) }</dd> }
                { for s.annotations.iter().map(|(k, v)| html! { <><dt>{ text(k) }</dt><dd>{ text(v) }</dd></> }) }
                <dt>{ "Manifest" }</dt><dd>{ manifest_link(route, on_navigate, s.artifact.as_str()) }</dd>
            </dl>
            <CheckList checks={Rc::new(s.checks.clone())} />
        </article>
    }
}

/// What an SBOM's entry says of the layers: the comparison, or why there is none yet.
struct Beside<'a> {
    packages: &'a PackagesState,
    comparisons: &'a [Rc<SbomComparison>],
    route: &'a Route,
    on_navigate: &'a Callback<Route>,
}

impl Beside<'_> {
    fn html(&self, layer: &str) -> Html {
        let to_packages = {
            let (route, nav) = (self.route.clone(), self.on_navigate.clone());
            let target = Route {
                view: crate::route::View::Packages,
                ..route.clone()
            };
            let href = target.to_fragment();
            let onclick = Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                nav.emit(target.clone());
            });
            html! { <a class="to-packages" {href} {onclick}>{ "the Packages view" }</a> }
        };
        let c = self.comparisons.iter().find(|c| c.layer == layer);
        match (self.packages, c) {
            (PackagesState::Ready(_), Some(c)) => html! {
                <div class="sbom-beside">
                    <SbomComparisonCard comparison={c.clone()} route={self.route.clone()} on_navigate={self.on_navigate.clone()} />
                    <p class="note">{ "Strata's own list is in " }{ to_packages }{ "." }</p>
                </div>
            },
            (PackagesState::Idle, _) => html! {
                <p class="note sbom-beside" data-state="idle">{ "Compared with the layers' packages once they are read: open " }{ to_packages }{ "." }</p>
            },
            (PackagesState::Reading, _) | (PackagesState::Ready(_), None) => html! {
                <p class="note sbom-beside" data-state="reading">{ "Compared with the layers' packages once they are read (" }{ to_packages }{ ")…" }</p>
            },
            (PackagesState::Failed(e), _) => html! {
                <p class="note sbom-beside" data-state="failed">{ format!("Not compared with the layers: their packages could not be read ({}).", e.summary) }</p>
            },
            (PackagesState::Unavailable(why), _) => html! {
                <p class="note sbom-beside" data-state="unavailable">{ format!("Not compared with the layers: {why}") }</p>
            },
        }
    }
}

fn sbom_summary(s: &Sbom) -> Html {
    html! {
        <div class="sbom">
            <p class="sbom-line">
                <span class="sbom-format">{ text(&s.format) }</span>
                { s.name.as_deref().map(|n| html! { <>{ " " }<q>{ text(n) }</q></> }).unwrap_or_default() }
                { ": " }<span class="sbom-count" data-packages={s.packages.len().to_string()}>{ count(s.packages.len(), "package") }</span>
                { s.created.as_deref().map(|c| html! { <span class="note">{ " · created " }{ text(c) }</span> }).unwrap_or_default() }
            </p>
            if !s.packages.is_empty() {
                <details class="sbom-packages">
                    <summary>{ "Packages it lists" }</summary>
                    <table>
                        <thead><tr><th>{ "Name" }</th><th>{ "Version" }</th><th>{ "purl" }</th><th>{ "License" }</th></tr></thead>
                        <tbody>{ for s.packages.iter().take(500).map(|p| html! {
                            <tr>
                                <td>{ text(&p.name) }</td><td>{ text(p.version.as_deref().unwrap_or("")) }</td>
                                <td><code>{ text(p.purl.as_deref().unwrap_or("")) }</code></td><td>{ text(p.license.as_deref().unwrap_or("")) }</td>
                            </tr>
                        }) }</tbody>
                    </table>
                    if s.packages.len() > 500 {
                        <p class="note">{ format!("… and {} more (strata supply-chain --format json lists them all)", s.packages.len() - 500) }</p>
                    }
                </details>
            }
        </div>
    }
}

fn attestation_card(
    report: &Rc<SupplyChain>,
    i: usize,
    a: &Attestation,
    beside: &Beside<'_>,
) -> Html {
    let (route, on_navigate) = (beside.route, beside.on_navigate);
    let envelope = match &a.envelope {
        Some(e) => format!(
            "DSSE envelope ({}), {}",
            e.payload_type,
            count(e.signatures, "signature")
        ),
        None => "a bare in-toto statement (no envelope, no signature)".to_owned(),
    };
    html! {
        <article class="card attestation" data-artifact={a.artifact.to_string()} data-predicate={a.predicate_type.clone()}>
            <h4><code>{ text(&a.predicate_type) }</code><span class="note">{ format!(" · {}", a.found.label()) }</span></h4>
            { verification_line(&a.verification) }
            <dl class="facts">
                <dt>{ "Envelope" }</dt><dd class="att-envelope">{ text(&envelope) }</dd>
                if let Some(e) = &a.envelope {
                    if !e.key_ids.is_empty() {
                        <dt>{ "Key IDs" }</dt>
                        <dd class="att-keyids" title="as the envelope names them: hints, not checked">{ for e.key_ids.iter().map(|k| html! { <code class="block">{ text(k) }</code> }) }</dd>
                    }
                }
                <dt>{ "Statement" }</dt><dd><code>{ text(&a.statement_type) }</code></dd>
                <dt>{ "Subjects" }</dt>
                <dd>{ for a.subjects.iter().map(|s| html! {
                    <code class="block att-subject">{ text(&s.name) }{ " " }{ for s.digest.iter().map(|(k, v)| text(&format!("{k}:{v} "))) }</code>
                }) }</dd>
                if let Some(c) = &a.certificate {
                    <dt>{ "Certificate" }</dt><dd>{ text(&c.identity()) }</dd>
                    <dt>{ "OIDC issuer" }</dt><dd>{ text(c.oidc_issuer.as_deref().unwrap_or("not recorded")) }</dd>
                }
                <dt>{ "Manifest" }</dt><dd>{ manifest_link(route, on_navigate, a.artifact.as_str()) }</dd>
            </dl>
            if let Some(p) = &a.provenance {
                <h5>{ "Provenance" }</h5>
                <ProvenanceSummary provenance={Rc::new(p.clone())} />
            }
            if let Some(s) = &a.sbom {
                <h5>{ "SBOM" }</h5>
                { sbom_summary(s) }
                { beside.html(a.layer.as_str()) }
            }
            <CheckList checks={Rc::new(a.checks.clone())} />
            <div class="raw-statement">
                <SupplyChainRaw report={report.clone()} which={RawOf::Statement(i)}
                    collapsed={format!("The statement, as stored ({} bytes)", a.raw.bytes.len())} />
            </div>
        </article>
    }
}

fn report_html(
    props: &SupplyChainViewProps,
    r: &Rc<SupplyChain>,
    comparisons: &[Rc<SbomComparison>],
) -> Html {
    let (route, nav) = (&props.route, &props.on_navigate);
    let beside = Beside {
        packages: &props.packages,
        comparisons,
        route,
        on_navigate: nav,
    };
    let selected = props
        .route
        .artifact
        .as_deref()
        .and_then(|d| r.artifacts.iter().position(|a| a.digest.as_str() == d));
    let close = {
        let (route, nav) = (route.clone(), nav.clone());
        Callback::from(move |_: MouseEvent| {
            nav.emit(Route {
                artifact: None,
                ..route.clone()
            })
        })
    };
    let unknown = unknown_by_type(r);
    html! {
        <>
            if let Some((i, a)) = selected.map(|i| (i, &r.artifacts[i])) {
                <section class="card artifact-manifest" id="artifact-manifest" data-digest={a.digest.to_string()}>
                    <div class="view-head">
                        <h3>{ format!("{} manifest", kind_label(a.kind)) }</h3>
                        <button class="button subtle small" id="artifact-close" onclick={close}>{ "Close" }</button>
                    </div>
                    <p class="note"><code>{ a.digest.to_string() }</code>{ format!(" · {} · {} · {} bytes", artifact_type(a), a.found.label(), a.raw.bytes.len()) }</p>
                    <CheckList checks={Rc::new(a.checks.clone())} />
                    <SupplyChainRaw report={r.clone()} which={RawOf::Artifact(i)} id="artifact-raw" />
                </section>
            } else if let Some(d) = &props.route.artifact {
                <section class="card artifact-manifest" id="artifact-manifest">
                    <p>{ format!("No manifest {d} was found next to this image.") }</p>
                </section>
            }
            <section class="card">
                <h3>{ "Looked up for" }</h3>
                <dl class="facts">
                    { for r.subjects.iter().map(|s| html! { <><dt>{ s.role.clone() }</dt><dd><code class="subject-digest" data-role={s.role.clone()}>{ s.digest.to_string() }</code></dd></> }) }
                    if let Some(repo) = &r.repository { <dt>{ "repository" }</dt><dd><code>{ text(repo) }</code></dd> }
                    <dt>{ "key" }</dt>
                    <dd id="supply-key-used">{ match &r.key { Some(k) => k.label(), None => "none given: signatures are read and checked against this image, not verified".to_owned() } }</dd>
                </dl>
            </section>
            if !r.diagnostics.is_empty() {
                <DiagnosticsList diagnostics={Rc::new(r.diagnostics.clone())} />
            }
            <section class="supply-section" id="supply-signatures">
                <h3>{ format!("Signatures ({})", r.signatures.len()) }</h3>
                if r.signatures.is_empty() {
                    <p class="note">{ "No signature was found (cosign's .sig tag, a Notation or sigstore bundle referrer)." }</p>
                }
                { for r.signatures.iter().map(|s| signature_card(r, s, route, nav)) }
            </section>
            <section class="supply-section" id="supply-attestations">
                <h3>{ format!("Attestations ({})", r.attestations.len()) }</h3>
                if r.attestations.is_empty() {
                    <p class="note">{ "No in-toto statement was found (BuildKit's attestation manifests, cosign's .att tag, DSSE referrers)." }</p>
                }
                { for r.attestations.iter().enumerate().map(|(i, a)| attestation_card(r, i, a, &beside)) }
            </section>
            if !r.attached_sboms.is_empty() {
                <section class="supply-section" id="supply-sboms">
                    <h3>{ format!("SBOMs attached as files ({})", r.attached_sboms.len()) }</h3>
                    { for r.attached_sboms.iter().map(|s| html! {
                        <article class="card attached-sbom" data-artifact={s.artifact.to_string()}>
                            <h4><code>{ text(&s.media_type) }</code><span class="note">{ format!(" · {}", s.found.label()) }</span></h4>
                            { sbom_summary(&s.sbom) }
                            { beside.html(s.layer.as_str()) }
                            <p class="note">{ "Manifest " }{ manifest_link(route, nav, s.artifact.as_str()) }</p>
                        </article>
                    }) }
                </section>
            }
            if !unknown.is_empty() {
                <section class="supply-section" id="supply-unknown">
                    <h3>{ "Other artifacts" }</h3>
                    { for unknown.iter().map(|(t, list)| html! {
                        <div class="card unknown-type" data-type={t.clone()}>
                            <h4><code>{ text(t) }</code>{ format!(" ({})", list.len()) }</h4>
                            <ul>{ for list.iter().map(|a| html! {
                                <li>{ manifest_link(route, nav, a.digest.as_str()) }<span class="note">{ format!(" · {}", a.found.label()) }</span>
                                    <CheckList checks={Rc::new(a.checks.clone())} /></li>
                            }) }</ul>
                        </div>
                    }) }
                </section>
            }
            <section class="card" id="supply-manifests">
                <h3>{ format!("Manifests found ({})", r.artifacts.len()) }</h3>
                <table class="artifacts">
                    <thead><tr><th>{ "Digest" }</th><th>{ "What" }</th><th>{ "Artifact type" }</th><th>{ "Found by" }</th></tr></thead>
                    <tbody>{ for r.artifacts.iter().map(|a| html! {
                        <tr class="artifact-row" data-kind={kind_label(a.kind)}>
                            <td>{ manifest_link(route, nav, a.digest.as_str()) }</td>
                            <td>{ kind_label(a.kind) }</td>
                            <td><code>{ text(&artifact_type(a)) }</code></td>
                            <td>{ text(&a.found.label()) }</td>
                        </tr>
                    }) }</tbody>
                </table>
                <h4>{ "Lookups" }</h4>
                <ul class="lookups" id="supply-lookups">{ for r.lookups.iter().map(|l| html! {
                    <li><code>{ text(&l.what) }</code>{ " → " }{ text(&l.answer) }</li>
                }) }</ul>
            </section>
        </>
    }
}

#[component]
pub fn SupplyChainView(props: &SupplyChainViewProps) -> Html {
    let state = &props.state;
    // Each SBOM beside the layers' packages, once per report and package report.
    let comparisons = {
        let chain = match &state.status {
            LookupStatus::Ready(c) => Some(c.clone()),
            _ => None,
        };
        let packages = props.packages.ready().cloned();
        use_memo((chain, packages), |(c, p)| match (c, p) {
            (Some(c), Some(p)) => strata_core::sbom_comparison::comparisons(&p.report, c)
                .into_iter()
                .map(Rc::new)
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    let body = match &state.status {
        LookupStatus::Idle | LookupStatus::Looking => html! {
            <p class="note" id="supply-looking" role="status">{ if props.session.image.format == strata_core::ArchiveFormat::Registry {
                "Asking the registry: the Referrers API, its tag schema, cosign's tags, then each manifest found…"
            } else {
                "Looking in the archive…"
            } }</p>
        },
        LookupStatus::Failed(e) => html! {
            <section class="card" id="supply-failed" role="alert"><p>{ e.summary.clone() }</p><p class="note">{ e.detail.clone() }</p></section>
        },
        LookupStatus::Ready(r) => report_html(props, r, &comparisons),
    };
    html! {
        <article class="supply-chain" id="supply-chain" data-state={match &state.status {
            LookupStatus::Idle => "idle", LookupStatus::Looking => "looking",
            LookupStatus::Ready(_) => "ready", LookupStatus::Failed(_) => "failed",
        }} data-key={state.key.is_some().to_string()}>
            <div class="view-head">
                <h2>{ "Supply chain" }</h2>
                <SupplyChainBadge state={state.clone()} docker_save={props.session.image.manifest_synthesized} />
            </div>
            <SupplyChainKey current={state.key.clone()} key_error={state.key_error.clone()} on_key={props.on_key.clone()} />
            { body }
        </article>
    }
}
