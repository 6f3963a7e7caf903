//! The Web Worker: it holds the dropped `File`, reads it by range with `FileReaderSync`, runs
//! the engine, and posts owned results back to the page. Heavy work happens here so the page
//! never freezes; the page cancels work by terminating this worker.

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the Strata worker runs in a browser; build it with Trunk");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::rc::Rc;
    use strata_core::{Archive, Limits, ManifestPick, load_image, open_archive, overview};
    use strata_web::platform::blob_source::BlobSource;
    use strata_web::protocol::{
        ArchiveListing, ErrorInfo, ListedImage, Request, Response, browser_error,
    };
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// What the worker keeps between requests: the open archive.
    #[derive(Default)]
    struct State {
        source: Option<BlobSource>,
        archive: Option<Archive>,
        limits: Limits,
    }

    pub fn start() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let state = Rc::new(RefCell::new(State::default()));
        let on_message = {
            let scope = scope.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                let json = js_sys::Reflect::get(&data, &"json".into())
                    .ok()
                    .and_then(|j| j.as_string())
                    .unwrap_or_default();
                let attachment = js_sys::Reflect::get(&data, &"attachment".into()).ok();
                let post = |r: &Response| post(&scope, r);
                match serde_json::from_str::<Request>(&json) {
                    Ok(request) => handle(&mut state.borrow_mut(), request, attachment, &post),
                    Err(e) => post(&Response::Failed {
                        error: browser_error(
                            "The page sent the worker a message it does not understand.",
                            e.to_string(),
                        ),
                    }),
                }
            })
        };
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget(); // lives as long as the worker
        post(&scope, &Response::Ready);
    }

    fn post(scope: &DedicatedWorkerGlobalScope, response: &Response) {
        let json = serde_json::to_string(response).unwrap_or_default();
        let _ = scope.post_message(&json.into());
    }

    fn now_ms() -> f64 {
        js_sys::global()
            .unchecked_into::<DedicatedWorkerGlobalScope>()
            .performance()
            .map_or(0.0, |p| p.now())
    }

    fn handle(
        state: &mut State,
        request: Request,
        attachment: Option<wasm_bindgen::JsValue>,
        post: &dyn Fn(&Response),
    ) {
        match request {
            Request::Open { limits } => {
                let Some(file) = attachment.and_then(|a| a.dyn_into::<web_sys::File>().ok()) else {
                    post(&Response::Failed {
                        error: browser_error("No file was given to open.", "Open without a File"),
                    });
                    return;
                };
                let source = match BlobSource::new(file.clone().into()) {
                    Ok(s) => s,
                    Err(e) => {
                        post(&Response::Failed {
                            error: browser_error("The browser could not read the file.", e.0),
                        });
                        return;
                    }
                };
                state.limits = limits;
                let total = strata_core::ReadAt::len(&source);
                let mut last = 0.0;
                let mut progress = |done: u64| {
                    let t = now_ms();
                    if t - last > 50.0 || done == total {
                        last = t;
                        post(&Response::Progress {
                            what: "archive".into(),
                            done,
                            total,
                        });
                    }
                };
                let archive = match open_archive(&source, &state.limits, &mut progress) {
                    Ok(a) => a,
                    Err(e) => {
                        post(&Response::Failed {
                            error: ErrorInfo::from(&e),
                        });
                        return;
                    }
                };
                let listing = ArchiveListing {
                    file_name: file.name(),
                    file_size: total,
                    format: archive.format.label().to_owned(),
                    images: archive
                        .images
                        .iter()
                        .map(|i| ListedImage {
                            label: i.label(),
                            names: i.names.clone(),
                            digest: i.target_digest().map(|d| d.to_string()),
                        })
                        .collect(),
                };
                post(&Response::Opened { listing });
                state.source = Some(source);
                state.archive = Some(archive);
                load(state, 0, None, post);
            }
            Request::Load { image, manifest } => load(state, image, manifest, post),
        }
    }

    fn load(
        state: &State,
        image_number: usize,
        manifest: Option<String>,
        post: &dyn Fn(&Response),
    ) {
        let (Some(source), Some(archive)) = (&state.source, &state.archive) else {
            post(&Response::Failed {
                error: browser_error("No archive is open.", "Load before Open"),
            });
            return;
        };
        let pick = match manifest.as_deref().map(strata_core::Digest::parse) {
            None => ManifestPick::Default,
            Some(Ok(d)) => ManifestPick::Digest(d),
            Some(Err(e)) => {
                post(&Response::Failed {
                    error: browser_error("That platform does not exist.", e),
                });
                return;
            }
        };
        match load_image(archive, source, image_number, &pick, &state.limits) {
            Ok(image) => {
                let ov = overview(&image);
                post(&Response::Loaded {
                    image: Box::new(image),
                    overview: Box::new(ov),
                    image_number,
                    bytes_read: source.bytes_read(),
                });
            }
            Err(e) => post(&Response::Failed {
                error: ErrorInfo::from(&e),
            }),
        }
    }
}
