//! Save the inspection as a snapshot: the engine writes its body on this thread (the indexes
//! live here; written in place, not copied), a slice at a time between frames, a worker of its
//! own compresses it (most of the time), the browser downloads it, and the page says what it
//! came to.

use crate::loader::Event;
use crate::platform::browser;
use crate::platform::worker_client::WorkerClient;
use crate::protocol::{Arrived, Request, Response};
use crate::state::{AppState, Explorer, LayersState};
use std::cell::RefCell;
use std::rc::Rc;
use strata_core::snapshot::BodyWriter;
use yew::prelude::*;

/// How long one slice of writing the body may run before the page gets the thread back: under
/// the 50 ms that makes a frame long, with room for the frame itself.
const SLICE_MS: f64 = 25.0;
/// Elements written between two looks at the clock (a few milliseconds' worth).
const ELEMENTS_PER_LOOK: usize = 16_384;

/// Writes the body of `explorer`'s analysis a slice at a time, each slice in a task of its own,
/// then hands it to `then` (a million entries took 248 ms in one task).
fn write_body(
    mut writer: BodyWriter,
    explorer: Rc<Explorer>,
    then: impl FnOnce(Result<Vec<u8>, strata_core::Error>) + 'static,
) {
    let began = browser::now_ms();
    loop {
        match writer.write(&explorer.analysis, ELEMENTS_PER_LOOK) {
            // Handed over in a task of its own: sending copies it out of wasm memory (40 ms
            // for a 4.6 GB image's), which with a last slice made one task too long.
            Ok(true) => {
                let body = writer.finish();
                return browser::later(0, move || then(Ok(body)));
            }
            Ok(false) if browser::now_ms() - began < SLICE_MS => {}
            Ok(false) => return browser::later(0, move || write_body(writer, explorer, then)),
            Err(e) => return then(Err(e)),
        }
    }
}

/// The file name a snapshot of `name` is saved as.
pub fn snapshot_file_name(name: &str) -> String {
    format!(
        "{}.{}",
        name.rsplit('/')
            .next()
            .unwrap_or(name)
            .replace([':', '@'], "_"),
        strata_core::snapshot::EXTENSION
    )
}

#[hook]
pub fn use_snapshot_save(state: &AppState, dispatch: &Callback<Event>) -> Callback<()> {
    let (dispatch, layers, session) = (
        dispatch.clone(),
        state.layers.clone(),
        state.session().cloned(),
    );
    Callback::from(move |()| {
        let (LayersState::Ready(explorer), Some(session)) = (layers.clone(), session.clone())
        else {
            return;
        };
        // Say so first, and let the page paint that before the work starts.
        dispatch.emit(Event::SnapshotSaving);
        let dispatch = dispatch.clone();
        browser::later(30, move || {
            let (name, format) = session.snapshot_of.clone().unwrap_or_else(|| {
                (
                    session.listing.file_name.clone(),
                    session.listing.format.clone(),
                )
            });
            // The body here, where the indexes are (written in place, not copied), between
            // frames; the compression, which is most of the time, in a worker of its own.
            let writer = match BodyWriter::new(&name, &format, &session.image, &explorer.analysis) {
                Ok(writer) => writer,
                Err(e) => {
                    return dispatch.emit(Event::SnapshotSaved(format!(
                        "The snapshot could not be made: {e}"
                    )));
                }
            };
            let dispatch = dispatch.clone();
            write_body(writer, explorer, move |body| {
                let body = match body {
                    Ok(body) => body,
                    Err(e) => {
                        return dispatch.emit(Event::SnapshotSaved(format!(
                            "The snapshot could not be made: {e}"
                        )));
                    }
                };
                let stored = session.image.stored_size().max(1);
                let file = snapshot_file_name(&name);
                // The worker's client, dropped (the worker terminated) once it has answered.
                let held: Rc<RefCell<Option<WorkerClient>>> = Rc::default();
                let on_answer = {
                    let (held, dispatch) = (held.clone(), dispatch.clone());
                    Callback::from(move |response: Response| {
                        let note = match response {
                            Response::SnapshotFile { bytes } => {
                                browser::download(&bytes, &file);
                                format!(
                                    "Snapshot saved as {file}: {} ({:.2}% of the image's {} stored). It opens anywhere, offline, with every view but file contents.",
                                    strata_core::text::format_bytes(bytes.len() as u64),
                                    bytes.len() as f64 * 100.0 / stored as f64,
                                    strata_core::text::format_bytes(stored)
                                )
                            }
                            Response::Failed { error, .. } => {
                                format!("The snapshot could not be made: {}", error.summary)
                            }
                            _ => return,
                        };
                        dispatch.emit(Event::SnapshotSaved(note));
                        // Not while this handler, one of the client's closures, still runs.
                        let held = held.clone();
                        browser::later(0, move || drop(held.borrow_mut().take()));
                    })
                };
                match WorkerClient::spawn(on_answer) {
                    Ok(client) => {
                        client.send(
                            &Request::CompressSnapshot {
                                body: Arrived(Rc::new(body)),
                            },
                            None,
                        );
                        *held.borrow_mut() = Some(client);
                    }
                    Err(error) => dispatch.emit(Event::SnapshotSaved(format!(
                        "The snapshot could not be made: {}",
                        error.summary
                    ))),
                }
            });
        });
    })
}
