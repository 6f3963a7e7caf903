//! Save the inspection as a snapshot: the engine encodes it on this thread (the indexes live
//! here), the browser downloads it, and the page says what it came to.

use crate::loader::Event;
use crate::platform::browser;
use crate::state::{AppState, LayersState};
use yew::prelude::*;

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
            let snap = strata_core::snapshot::Snapshot::of(
                &name,
                &format,
                &session.image,
                &explorer.analysis,
            );
            let note = match strata_core::snapshot::encode(&snap) {
                Ok(bytes) => {
                    let file = snapshot_file_name(&name);
                    browser::download(&bytes, &file);
                    let stored = session.image.stored_size().max(1);
                    format!(
                        "Snapshot saved as {file}: {} ({:.2}% of the image's {} stored). It opens anywhere, offline, with every view but file contents.",
                        strata_core::text::format_bytes(bytes.len() as u64),
                        bytes.len() as f64 * 100.0 / stored as f64,
                        strata_core::text::format_bytes(stored)
                    )
                }
                Err(e) => format!("The snapshot could not be made: {e}"),
            };
            dispatch.emit(Event::SnapshotSaved(note));
        });
    })
}
