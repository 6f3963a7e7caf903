//! The root component: the whole window is a drop target; the loader ([`crate::loader`], run
//! by [`use_loader`]) does the opening and reading; the phase and route in the state decide
//! what shows. The route mirrors the URL fragment both ways, so Back works and every view has
//! a link. Everything with an effect is a hook (`src/hooks/`); this file wires and renders.

use crate::components::error_panel::ErrorPanel;
use crate::components::header::Header;
use crate::components::help_overlay::HelpOverlay;
use crate::components::image_page::ImagePage;
use crate::components::limits_panel::LimitsPanel;
use crate::components::progress_panel::ProgressPanel;
use crate::components::start_screen::StartScreen;
use crate::hooks::use_exercises::use_exercises;
use crate::hooks::use_keyboard::use_keyboard;
use crate::hooks::use_loader::use_loader;
use crate::hooks::use_route_sync::use_route_sync;
use crate::hooks::use_samples::use_samples;
use crate::hooks::use_snapshot_save::use_snapshot_save;
use crate::loader::Event;
use crate::platform::browser;
use crate::protocol::{Reader, RegistryRequest};
use crate::state::Phase;
use web_sys::DragEvent;
use yew::prelude::*;

/// A callback that sends the loader the event `make` builds from its argument.
fn send<T: 'static>(dispatch: &Callback<Event>, make: fn(T) -> Event) -> Callback<T> {
    dispatch.reform(make)
}

#[component]
pub fn App() -> Html {
    let loader = use_loader();
    let (state, dispatch) = (loader.state.clone(), loader.dispatch.clone());
    let dragging = use_state(|| false);
    let help = use_state(|| false);
    let limits_open = use_state(|| false);
    let theme = use_state(|| {
        let saved = browser::saved_theme();
        browser::set_theme(saved);
        saved
    });

    let navigate = send(&dispatch, Event::Navigate);
    let open_file = loader.open_file.clone();
    let open_registry = send(&dispatch, Event::OpenRegistry);
    let list_tags = send(&dispatch, Event::ListTags);
    let compare_registry = send(&dispatch, |r: RegistryRequest| Event::CompareRegistry(r));
    let compare_within = send(&dispatch, |image: usize| Event::CompareWithin { image });
    let compare_pick = send(&dispatch, |(image, platform): (usize, Option<String>)| {
        Event::ComparePick { image, platform }
    });
    let on_scan = send(&dispatch, Event::WantScan);
    let on_cancel = send(&dispatch, |()| Event::Cancel);
    let on_pick_image = send(&dispatch, |(image, manifest)| Event::PickImage {
        image,
        manifest,
    });
    let on_supply_key = send(&dispatch, Event::SupplyChainKey);
    let (samples, open_sample) = use_samples(&open_file, &dispatch);
    let catalogue = use_exercises();
    let on_save_snapshot = use_snapshot_save(&state, &dispatch);
    use_route_sync(&state.route, &dispatch);
    use_keyboard(
        &state.route,
        state.session().is_some(),
        &help,
        &theme,
        &navigate,
    );

    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default(); // allows the drop
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element also fires dragleave: only the window edge counts.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let (dragging, open_file) = (dragging.clone(), open_file.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(file) = e
                .data_transfer()
                .and_then(|dt| dt.files())
                .and_then(|files| files.get(0))
            {
                open_file.emit(file);
            }
        })
    };
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |t: &'static str| {
            browser::set_theme(t);
            theme.set(t);
        })
    };
    let toggle = |flag: &UseStateHandle<bool>, to: Option<bool>| {
        let flag = flag.clone();
        Callback::from(move |()| flag.set(to.unwrap_or(!*flag)))
    };

    let wanted = state.wanted.clone();
    let body = match &state.phase {
        Phase::Start => html! {
            <StartScreen on_file={open_file.clone()} tags={state.tags.clone()} {wanted}
                samples={samples.clone()} on_sample={open_sample.clone()}
                exercise={crate::exercises::linked(&catalogue, &state.route, &samples.iter().map(|s| s.file.clone()).collect::<Vec<_>>())}
                on_registry={open_registry.clone()} on_list_tags={list_tags.clone()} />
        },
        Phase::Opening {
            file_name,
            done,
            total,
        } => html! {
            <ProgressPanel file_name={file_name.clone()} done={*done} total={*total} on_cancel={on_cancel.clone()} />
        },
        Phase::Failed { error, file_name } => html! {
            <ErrorPanel error={error.clone()} file_name={file_name.clone()} on_file={open_file.clone()}
                registry={state.route.registry.clone()} tags={state.tags.clone()}
                on_registry={open_registry.clone()} on_list_tags={list_tags.clone()} />
        },
        Phase::Ready(session) => html! {
            <ContextProvider<Reader> context={loader.reader.clone()}>
                <ImagePage session={session.clone()} listing={state.listing.clone()} route={state.route.clone()} catalogue={catalogue.clone()}
                    layers={state.layers.clone()} packages={state.packages.clone()} on_navigate={navigate.clone()} on_pick_image={on_pick_image.clone()} on_scan={on_scan.clone()}
                    on_save_snapshot={on_save_snapshot.clone()} snapshot_saved={state.snapshot_saved.clone()} snapshot_saving={state.snapshot_saving}
                    compare={state.compare.clone()} compare_diff={state.compare_diff.clone()} on_compare_file={loader.compare_file.clone()} on_compare_registry={compare_registry.clone()}
                    on_compare_within={compare_within.clone()} on_compare_pick={compare_pick.clone()}
                    supply_chain={state.supply_chain.clone()} on_supply_key={on_supply_key.clone()} />
            </ContextProvider<Reader>>
        },
    };
    let link = state
        .session()
        .map(|_| browser::link_for(&state.route.to_fragment()));

    html! {
        <div class={classes!("app", dragging.then_some("dragging"), state.route.present.then_some("presenter"))} {ondragover} {ondragleave} {ondrop}>
            <Header file_name={state.file_name().map(str::to_owned)} on_file={open_file} {link}
                snapshot={match &state.layers {
                    crate::state::LayersState::Ready(e) if state.session().is_some() => Some(e.checking().is_empty() && !state.snapshot_saving),
                    _ => None,
                }} on_save_snapshot={on_save_snapshot.clone()}
                on_limits={toggle(&limits_open, Some(true))} on_close={on_cancel}
                theme={*theme} on_theme={on_theme} on_help={toggle(&help, None)} />
            <main class="main">{ body }</main>
            if *limits_open {
                <LimitsPanel limits={state.limits.clone()} on_apply={send(&dispatch, Event::SetLimits)}
                    on_close={toggle(&limits_open, Some(false))} />
            }
            if *help {
                <HelpOverlay on_close={toggle(&help, Some(false))} />
            }
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><p>{ "Drop the image archive to open it" }</p></div>
            }
        </div>
    }
}
