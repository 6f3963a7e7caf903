//! Save the inspection as a snapshot: the engine writes its body on this thread (the indexes
//! live here; written in place, not copied), a slice at a time between frames, a worker of its
//! own compresses it (most of the time), the browser downloads it, and the page says what it
//! came to.

use crate::loader::{Event, SLICE_MS};
use crate::platform::browser;
use crate::platform::worker_client::WorkerClient;
use crate::protocol::{Arrived, Request, Response};
use crate::state::{AppState, Explorer, LayersState};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use strata_core::snapshot::BodyWriter;
use yew::prelude::*;

/// Elements written between two looks at the clock (a few milliseconds' worth).
const ELEMENTS_PER_LOOK: usize = 16_384;

/// Writes the body of `explorer`'s analysis a slice at a time, each slice in a task of its own,
/// then hands it to `then` in the JS buffer it is sent in (a million entries took 248 ms in
/// one task).
fn write_body(
    mut writer: BodyWriter,
    explorer: Rc<Explorer>,
    then: impl FnOnce(Result<js_sys::Uint8Array, strata_core::Error>) + 'static,
) {
    let began = browser::now_ms();
    loop {
        match writer.write(&explorer.analysis, ELEMENTS_PER_LOOK) {
            // Copied out of wasm memory a slice at a time too, in tasks of their own: at once
            // it was a task of 40-60 ms.
            Ok(true) => {
                let pieces: VecDeque<Vec<u8>> = writer.finish_in_pieces().into();
                let total: usize = pieces.iter().map(Vec::len).sum();
                let Ok(length) = u32::try_from(total) else {
                    return then(Err(strata_core::Error::Invalid {
                        what: "the snapshot".into(),
                        detail: format!("its body is {total} bytes, more than one buffer holds"),
                    }));
                };
                let array = js_sys::Uint8Array::new_with_length(length);
                return browser::later(0, move || copy_out(pieces, array, 0, then));
            }
            Ok(false) if browser::now_ms() - began < SLICE_MS => {}
            Ok(false) => return browser::later(0, move || write_body(writer, explorer, then)),
            Err(e) => return then(Err(e)),
        }
    }
}

/// The body's pieces copied into `array` from `at` on, a slice of them a task, each let go
/// once copied; then `array` to `then`.
fn copy_out(
    mut pieces: VecDeque<Vec<u8>>,
    array: js_sys::Uint8Array,
    mut at: u32,
    then: impl FnOnce(Result<js_sys::Uint8Array, strata_core::Error>) + 'static,
) {
    let began = browser::now_ms();
    while let Some(piece) = pieces.pop_front() {
        let end = at + piece.len() as u32; // within the length the pieces add up to
        array.subarray(at, end).copy_from(&piece);
        at = end;
        if !pieces.is_empty() && browser::now_ms() - began >= SLICE_MS {
            return browser::later(0, move || copy_out(pieces, array, at, then));
        }
    }
    then(Ok(array))
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
                                browser::download_arrived(&bytes, &file);
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
                            // Transferred, not copied again.
                            &Request::CompressSnapshot {
                                body: Arrived::Js(body),
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
