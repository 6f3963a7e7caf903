//! An open image: the image and platform choosers, the view tabs, and the view.

use crate::components::compare_view::CompareView;
use crate::components::dockerfile_view::DockerfileView;
use crate::components::equivalent_commands::EquivalentCommands;
use crate::components::exercises_panel::ExercisesPanel;
use crate::components::history_view::HistoryView;
use crate::components::inspect_view::InspectView;
use crate::components::layers_view::LayersView;
use crate::components::learn_panel::{LearnPanel, route_for};
use crate::components::overview_view::OverviewView;
use crate::components::packages_view::PackagesView;
use crate::components::raw_view::RawView;
use crate::components::supply_chain_view::SupplyChainView;
use crate::components::waste_view::WasteView;
use crate::protocol::ArchiveListing;
use crate::route::{Route, View};
use crate::state::{LayersState, Session};
use std::rc::Rc;
use strata_core::text::format_bytes;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ImagePageProps {
    pub session: Rc<Session>,
    pub listing: Option<Rc<ArchiveListing>>,
    /// The exercises the page offers (the built-in course and a pack's).
    pub catalogue: Rc<crate::exercises::Catalogue>,
    pub route: Route,
    pub layers: LayersState,
    #[prop_or_default]
    pub packages: crate::state::PackagesState,
    pub on_navigate: Callback<Route>,
    /// (image number, manifest digest to pick a platform).
    pub on_pick_image: Callback<(usize, Option<String>)>,
    /// Read the layers (`true`) or stop reading them (`false`).
    pub on_scan: Callback<bool>,
    pub on_save_snapshot: Callback<()>,
    pub compare: crate::state::CompareState,
    #[prop_or_default]
    pub compare_diff: Option<Rc<crate::state::CompareDiff>>,
    pub on_compare_file: Callback<web_sys::File>,
    pub on_compare_registry: Callback<crate::protocol::RegistryRequest>,
    pub on_compare_within: Callback<usize>,
    pub on_compare_pick: Callback<(usize, Option<String>)>,
    /// What the last saved snapshot came to.
    #[prop_or_default]
    pub snapshot_saved: Option<String>,
    #[prop_or_default]
    pub snapshot_saving: bool,
    /// The supply chain lookup, and the key to verify it with.
    pub supply_chain: crate::state::SupplyChainState,
    pub on_supply_key: Callback<Option<String>>,
}

#[component]
pub fn ImagePage(props: &ImagePageProps) -> Html {
    let session = &props.session;
    let image = &session.image;
    let tabs = View::ALL.iter().map(|&view| {
        let selected = props.route.view == view;
        let onclick = {
            let (on_navigate, route) = (props.on_navigate.clone(), props.route.clone());
            // The Supply chain view's open manifest stays with that view only.
            let artifact = route.artifact.clone().filter(|_| view == View::SupplyChain);
            Callback::from(move |_: MouseEvent| on_navigate.emit(Route { view, artifact: artifact.clone(), ..route.clone() }))
        };
        html! {
            <button role="tab" class={classes!("tab", selected.then_some("selected"))} aria-selected={selected.to_string()}
                id={format!("tab-{}", view.slug())} {onclick} title={format!("{} ({})", view.label(), view.key())}>
                { view.label() }<kbd class="tab-key">{ view.key() }</kbd>
            </button>
        }
    });
    let image_chooser = props.listing.as_ref().filter(|l| l.images.len() > 1).map(|listing| {
        let on_pick = props.on_pick_image.clone();
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(n) = select.value().parse::<usize>() {
                on_pick.emit((n, None));
            }
        });
        html! {
            <label class="chooser">{ format!("Image ({} in this archive): ", listing.images.len()) }
                <select id="image-chooser" {onchange}>
                    { for listing.images.iter().enumerate().map(|(i, img)| html! {
                        <option value={i.to_string()} selected={i == session.image_number}>
                            { format!("{}  {}", img.label, img.digest.as_deref().map(short).unwrap_or_default()) }
                        </option>
                    }) }
                </select>
            </label>
        }
    });
    let platform_chooser = (!image.choices.is_empty()).then(|| {
        let on_pick = props.on_pick_image.clone();
        let number = session.image_number;
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            on_pick.emit((number, Some(select.value())));
        });
        html! {
            <label class="chooser">{ "Platform: " }
                <select id="platform-chooser" {onchange}>
                    { for image.choices.iter().enumerate().map(|(i, c)| {
                        let mut label = c.label();
                        if !c.available { label.push_str(" (not in this archive)"); }
                        if !c.attestations.is_empty() {
                            label.push_str(&format!(" · {}", strata_core::text::count(c.attestations.len(), "attestation")));
                        }
                        html! {
                            <option value={c.descriptor.digest.clone()} disabled={!c.available} selected={Some(i) == image.chosen}>{ label }</option>
                        }
                    }) }
                </select>
            </label>
        }
    });
    let ready = matches!(props.layers, LayersState::Ready(_));
    let ready_has_news = match &props.layers {
        LayersState::Ready(e) => {
            session.snapshot_of.is_some()
                || !e.checking().is_empty()
                || props.snapshot_saving
                || props.snapshot_saved.is_some()
        }
        _ => false,
    };
    let status = match &props.layers {
        LayersState::Scanning { progress } => {
            let (done, total): (u64, u64) =
                progress.iter().fold((0, 0), |(d, t), p| (d + p.0, t + p.1));
            let finished = progress.iter().filter(|p| p.2).count();
            let percent = if total == 0 {
                100.0
            } else {
                done as f64 * 100.0 / total as f64
            };
            let stop = props.on_scan.reform(|_: MouseEvent| false);
            html! {
                <div class="scan-status" id="scan-status" aria-live="polite">
                    <progress id="scan-progress" max="100" value={format!("{percent:.1}")} aria-label="reading the layers"></progress>
                    { format!(" Reading layers: {finished} of {} done, {} of {}", progress.len(), format_bytes(done), format_bytes(total)) }
                    <button class="button subtle small" id="stop-scan" onclick={stop}>{ "Stop" }</button>
                </div>
            }
        }
        LayersState::Failed(e) => {
            html! { <div class="scan-status failed" role="alert">{ format!("The layers could not be read: {}", e.summary) }</div> }
        }
        LayersState::Idle => {
            let start = props.on_scan.reform(|_: MouseEvent| true);
            let remote = image.format == strata_core::ArchiveFormat::Registry;
            let (text, button) = if remote {
                (
                    format!(
                        "The layers are not downloaded yet ({} from the registry). ",
                        format_bytes(image.stored_size())
                    ),
                    "Download and read the layers",
                )
            } else {
                ("The layers are not read. ".to_owned(), "Read the layers")
            };
            html! {
                <div class="scan-status" id="scan-status">
                    { text }
                    <button class="button subtle small" id="start-scan" onclick={start}>{ button }</button>
                </div>
            }
        }
        LayersState::Ready(explorer) => {
            // A snapshot carries checked digests only: it waits for the checks still running.
            let checking = explorer.checking().len();
            html! {
                <div class="scan-status ready">
                    if let Some((name, _)) = &session.snapshot_of {
                        <span class="badge" id="snapshot-badge" title="Every view but file contents">{ format!("Snapshot of {name}") }</span>{ " " }
                    }
                    if checking > 0 {
                        <span class="note" id="digest-checks" role="status">{ format!(
                            "Files indexed; checking the digest of {} (sha256 of every byte)… ",
                            strata_core::text::count(checking, "layer")
                        ) }</span>
                    }
                    if props.snapshot_saving {
                        <span class="note" id="snapshot-saving" role="status">{ " Saving the snapshot (every layer's file index, compressed)…" }</span>
                    }
                    if let Some(note) = &props.snapshot_saved {
                        <span class="note" id="snapshot-saved" role="status">{ format!(" {note}") }</span>
                    }
                </div>
            }
        }
    };
    let origin = if image.format == strata_core::ArchiveFormat::Registry {
        strata_core::equivalents::Origin::Registry {
            reference: props
                .route
                .registry
                .clone()
                .map(|r| r.trim_start_matches("http://").to_owned())
                .or_else(|| session.snapshot_of.as_ref().map(|(n, _)| n.clone()))
                .unwrap_or_else(|| session.listing.file_name.clone()),
        }
    } else {
        strata_core::equivalents::Origin::Archive {
            // A snapshot's commands are about the image it was made from.
            file: session
                .snapshot_of
                .as_ref()
                .map_or_else(|| session.listing.file_name.clone(), |(n, _)| n.clone()),
        }
    };
    let topic = match props.route.view {
        View::Overview => strata_core::equivalents::Topic::Overview,
        View::History => strata_core::equivalents::Topic::History,
        View::Dockerfile => strata_core::equivalents::Topic::Dockerfile,
        View::Inspect => strata_core::equivalents::Topic::Inspect,
        View::Raw => strata_core::equivalents::Topic::Raw,
        View::Layers => strata_core::equivalents::Topic::Layers,
        View::Waste => strata_core::equivalents::Topic::Waste,
        View::Packages => strata_core::equivalents::Topic::Packages,
        View::Compare => strata_core::equivalents::Topic::Compare(match &props.compare {
            crate::state::CompareState::Ready(c) => Some(c.session.listing.file_name.clone()),
            _ => None,
        }),
        View::SupplyChain => strata_core::equivalents::Topic::SupplyChain,
    };
    let commands = Rc::new(strata_core::equivalents::equivalents(
        image,
        &origin,
        topic,
        props.route.layer.map(strata_core::LayerIdx::get),
        props.route.path.as_deref(),
    ));
    // The guided walk, told with this image (more of it once the layers are read).
    let explorer = match &props.layers {
        LayersState::Ready(e) => Some(e.clone()),
        _ => None,
    };
    let lessons = {
        let (session, explorer, origin) = (session.clone(), explorer.clone(), origin.clone());
        use_memo(
            (
                crate::identity::Same(session.clone()),
                explorer.clone().map(crate::identity::Same),
            ),
            move |_| {
                Rc::new(match &explorer {
                    Some(e) => strata_core::lessons::lessons_with(
                        &session.image,
                        &e.history,
                        Some((&e.analysis, &e.examples)),
                        &origin,
                    ),
                    None => strata_core::lessons::lessons(
                        &session.image,
                        &session.history,
                        None,
                        &origin,
                    ),
                })
            },
        )
    };
    let lessons: Rc<Vec<strata_core::lessons::Lesson>> = (*lessons).clone();
    let learn_button = {
        let (on, route, lessons) = (
            props.on_navigate.clone(),
            props.route.clone(),
            lessons.clone(),
        );
        let open = route.learn.is_some();
        let onclick = Callback::from(move |_: MouseEvent| {
            if open {
                on.emit(Route {
                    learn: None,
                    present: false,
                    ..route.clone()
                });
            } else {
                on.emit(route_for(&lessons, 1, &route));
            }
        });
        html! {
            <button class={classes!("tab", "learn-tab", open.then_some("selected"))} id="learn-toggle" {onclick}
                aria-pressed={open.to_string()} title="How image layers work, shown with this image">{ "Learn" }</button>
        }
    };
    let view = match props.route.view {
        View::Overview => {
            html! { <OverviewView session={session.clone()} layers={props.layers.clone()} packages={props.packages.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()}
            supply_chain={props.supply_chain.clone()} /> }
        }
        View::History => {
            html! { <HistoryView session={session.clone()} layers={props.layers.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
        View::Dockerfile => {
            html! { <DockerfileView session={session.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
        View::Inspect => {
            html! { <InspectView session={session.clone()} layers={props.layers.clone()} /> }
        }
        View::Raw => {
            html! { <RawView session={session.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
        View::Layers => {
            html! { <LayersView session={session.clone()} layers={props.layers.clone()} packages={props.packages.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
        View::Packages => {
            html! { <PackagesView session={session.clone()} layers={props.layers.clone()} packages={props.packages.clone()} supply_chain={props.supply_chain.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
        View::Compare => html! {
            <CompareView session={session.clone()} layers={props.layers.clone()} packages={props.packages.clone()} compare={props.compare.clone()} diff={props.compare_diff.clone()}
                route={props.route.clone()} on_navigate={props.on_navigate.clone()}
                on_compare_file={props.on_compare_file.clone()} on_compare_registry={props.on_compare_registry.clone()}
                on_compare_within={props.on_compare_within.clone()} on_compare_pick={props.on_compare_pick.clone()} />
        },
        View::SupplyChain => html! {
            <SupplyChainView session={session.clone()} state={props.supply_chain.clone()} packages={props.packages.clone()} route={props.route.clone()}
                on_navigate={props.on_navigate.clone()} on_key={props.on_supply_key.clone()} />
        },
        View::Waste => {
            html! { <WasteView session={session.clone()} layers={props.layers.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} /> }
        }
    };
    html! {
        <div class="image-page" data-layers={match &props.layers {
            LayersState::Idle => "idle",
            LayersState::Scanning { .. } => "scanning",
            LayersState::Ready(_) => "ready",
            LayersState::Failed(_) => "failed",
        }} data-packages={match &props.packages {
            crate::state::PackagesState::Idle => "idle",
            crate::state::PackagesState::Reading => "reading",
            crate::state::PackagesState::Ready(_) => "ready",
            crate::state::PackagesState::Failed(_) => "failed",
            crate::state::PackagesState::Unavailable(_) => "unavailable",
        }} data-verified={match &props.layers {
            LayersState::Ready(e) if e.checking().is_empty() => "done",
            _ => "pending",
        }}>
            <div class="choosers">{ image_chooser }{ platform_chooser }</div>
            <div class="tabbar">
                <nav class="tabs" role="tablist" aria-label="Views">{ for tabs }{ learn_button }{ exercises_button(&props.route, &props.on_navigate) }</nav>
            </div>
            if props.route.exercise.is_some() {
                <ExercisesPanel catalogue={props.catalogue.clone()} session={session.clone()} explorer={explorer.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()} />
            }
            if props.route.learn.is_some() {
                <LearnPanel lessons={lessons.clone()} route={props.route.clone()} on_navigate={props.on_navigate.clone()}
                    layers_pending={explorer.is_none()} />
            }
            // Once the layers are read, a line only when there is something to say (a snapshot's
            // badge, digests still being checked, a snapshot being saved); Save snapshot itself is
            // in the top bar, beside Copy link.
            if !ready || ready_has_news { { status } }
            <div class="view" id={format!("view-{}", props.route.view.slug())} role="tabpanel">{ view }</div>
            <EquivalentCommands {commands} />
            if let LayersState::Ready(e) = &props.layers {
                // Measurements the benchmark reads (scan times, memory); not shown.
                <div id="scan-stats" hidden=true data-json={serde_json::to_string(&e.stats).unwrap_or_default()}></div>
            }
            if let crate::state::PackagesState::Ready(p) = &props.packages {
                // The package analysis's times (ms) and its worker's memory, for the benchmark.
                <div id="package-stats" hidden=true data-worker-millis={format!("{:.1}", p.worker_millis)}
                    data-millis={format!("{:.1}", p.millis)} data-worker-memory={p.worker_memory.to_string()}></div>
            }
        </div>
    }
}

/// The Exercises tab: opens (or closes) the exercises panel.
fn exercises_button(route: &Route, on: &Callback<Route>) -> Html {
    let open = route.exercise.is_some();
    let (on, route) = (on.clone(), route.clone());
    let onclick = Callback::from(move |_: MouseEvent| {
        on.emit(Route {
            exercise: (!open).then(String::new),
            ..route.clone()
        })
    });
    html! {
        <button class={classes!("tab", "learn-tab", open.then_some("selected"))} id="exercises-toggle" {onclick}
            aria-pressed={open.to_string()} title="Questions about this image, checked here">{ "Exercises" }</button>
    }
}

fn short(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}
