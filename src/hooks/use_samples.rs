//! The workshop's sample images, served beside the app (from the service worker's cache when
//! offline): fetched as a `File` and opened like a dropped one.

use crate::loader::Event;
use crate::platform::browser;
use crate::protocol::browser_error;
use std::rc::Rc;
use web_sys::File;
use yew::prelude::*;

/// The samples, and the callback that opens one by file name.
#[hook]
pub fn use_samples(
    open_file: &Callback<File>,
    dispatch: &Callback<Event>,
) -> (Rc<Vec<crate::samples::Sample>>, Callback<String>) {
    let samples = use_memo((), |()| crate::samples::samples());
    let (open_file, dispatch) = (open_file.clone(), dispatch.clone());
    let open = Callback::from(move |file: String| {
        let (open_file, dispatch) = (open_file.clone(), dispatch.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match browser::fetch_file(&format!("samples/{file}"), &file).await {
                Ok(f) => open_file.emit(f),
                Err(e) => dispatch.emit(Event::Failed(browser_error(
                    "The sample could not be loaded (and is not cached for offline use yet).",
                    e,
                ))),
            }
        });
    });
    (samples, open)
}
