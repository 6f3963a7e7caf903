//! The root component: the whole window is a drop target; the worker does the reading; the
//! phase in [`AppState`] decides what shows.

use crate::components::error_panel::ErrorPanel;
use crate::components::header::Header;
use crate::components::overview_view::OverviewView;
use crate::components::progress_panel::ProgressPanel;
use crate::components::start_screen::StartScreen;
use crate::platform::worker_client::WorkerClient;
use crate::protocol::{Request, Response};
use crate::state::{Action, AppState, Loaded, Phase};
use std::cell::RefCell;
use std::rc::Rc;
use strata_core::Limits;
use wasm_bindgen::JsValue;
use web_sys::{DragEvent, File};
use yew::prelude::*;

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let worker: Rc<RefCell<Option<WorkerClient>>> = use_mut_ref(|| None);
    let dragging = use_state(|| false);

    let on_response = {
        let dispatch = state.dispatcher();
        Callback::from(move |response: Response| match response {
            Response::Ready => {}
            Response::Progress { done, total, .. } => {
                dispatch.dispatch(Action::Progress { done, total })
            }
            Response::Opened { listing } => dispatch.dispatch(Action::Opened(listing)),
            Response::Loaded {
                image,
                overview,
                image_number,
                bytes_read,
            } => {
                let mut image = *image;
                image.restore_config();
                dispatch.dispatch(Action::Loaded(Box::new(Loaded {
                    image,
                    overview: *overview,
                    image_number,
                    bytes_read,
                })));
            }
            Response::Failed { error } => dispatch.dispatch(Action::Failed(error)),
        })
    };

    let open_file = {
        let (dispatch, worker, on_response) =
            (state.dispatcher(), worker.clone(), on_response.clone());
        Callback::from(move |file: File| {
            // A fresh worker per archive: whatever the last one was doing is over.
            *worker.borrow_mut() = None;
            match WorkerClient::spawn(on_response.clone()) {
                Ok(client) => {
                    dispatch.dispatch(Action::Opening {
                        file_name: file.name(),
                        total: file.size() as u64,
                    });
                    client.send(
                        &Request::Open {
                            limits: Limits::default(),
                        },
                        Some(&JsValue::from(file)),
                    );
                    *worker.borrow_mut() = Some(client);
                }
                Err(error) => dispatch.dispatch(Action::Failed(error)),
            }
        })
    };

    let on_cancel = {
        let (dispatch, worker) = (state.dispatcher(), worker.clone());
        Callback::from(move |_| {
            *worker.borrow_mut() = None; // terminates the worker mid-work
            dispatch.dispatch(Action::Cancel);
        })
    };

    let on_pick_image = {
        let (dispatch, worker) = (state.dispatcher(), worker.clone());
        Callback::from(move |(image, manifest): (usize, Option<String>)| {
            if let Some(client) = worker.borrow().as_ref() {
                client.send(&Request::Load { image, manifest }, None);
            } else {
                dispatch.dispatch(Action::Cancel);
            }
        })
    };

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

    let body = match &state.phase {
        Phase::Start => html! { <StartScreen on_file={open_file.clone()} /> },
        Phase::Opening {
            file_name,
            done,
            total,
        } => html! {
            <ProgressPanel file_name={file_name.clone()} done={*done} total={*total} on_cancel={on_cancel.clone()} />
        },
        Phase::Failed { error, file_name } => html! {
            <ErrorPanel error={error.clone()} file_name={file_name.clone()} on_file={open_file.clone()} />
        },
        Phase::Ready(loaded) => html! {
            <OverviewView loaded={loaded.clone()} listing={state.listing.clone()} on_pick_image={on_pick_image.clone()} />
        },
    };

    html! {
        <div class={classes!("app", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <Header file_name={state.file_name().map(str::to_owned)} on_file={open_file} on_close={on_cancel} />
            <main class="main">{ body }</main>
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><p>{ "Drop the image archive to open it" }</p></div>
            }
        </div>
    }
}
