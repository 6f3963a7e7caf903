//! The exercises the page offers: the built-in course at once, then a teacher's pack's own
//! files (`exercises/index.json` beside the app lists them; the app's own build lists none),
//! fetched once (from the service worker's cache when offline) and read by the engine.

use crate::exercises::{Catalogue, MAX_PACK_BYTES, PACK_INDEX, pack_index};
use crate::platform::browser;
use std::rc::Rc;
use yew::prelude::*;

#[hook]
pub fn use_exercises() -> Rc<Catalogue> {
    let catalogue = use_state(|| Rc::new(Catalogue::default()));
    {
        let catalogue = catalogue.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let mut c = Catalogue::default();
                let names = match browser::fetch_bytes(PACK_INDEX, MAX_PACK_BYTES).await {
                    Ok(bytes) => pack_index(&bytes),
                    Err(e) => Err(e),
                };
                match names {
                    Ok(names) if names.is_empty() => return,
                    Ok(names) => {
                        for n in names {
                            match browser::fetch_bytes(&format!("exercises/{n}"), MAX_PACK_BYTES)
                                .await
                            {
                                Ok(bytes) => c.add_packed(&n, &bytes),
                                Err(e) => c.problems.push(e),
                            }
                        }
                    }
                    Err(e) => c.problems.push(e),
                }
                catalogue.set(Rc::new(c));
            });
            || ()
        });
    }
    (*catalogue).clone()
}
