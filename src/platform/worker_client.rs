//! The page's end of a worker: spawn it, send it [`Request`]s, hand its [`Response`]s (decoded
//! by [`crate::wire`], engine types restored) to a callback. Requests sent before the worker's wasm is
//! loaded wait until it says `Ready`. Cancelling work means dropping the client, which
//! terminates the worker (its loops are synchronous, so it would not read a "stop" message).

use crate::platform::blob_source::js_text;
use crate::protocol::{Request, Response, browser_error};
use crate::wire;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

/// Trunk writes the worker's loader here (`data-loader-shim` in index.html).
const WORKER_URL: &str = "./worker_loader.js";

/// Messages waiting for the worker to be ready, each with the buffer it transfers.
type Queue = Rc<RefCell<Vec<(JsValue, Option<JsValue>)>>>;

pub struct WorkerClient {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    queue: Queue,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl std::fmt::Debug for WorkerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerClient")
            .field("ready", &self.ready.get())
            .finish()
    }
}

impl WorkerClient {
    pub fn spawn(
        on_response: Callback<Response>,
    ) -> Result<WorkerClient, crate::protocol::ErrorInfo> {
        let worker = Worker::new(WORKER_URL).map_err(|e| {
            browser_error(
                "The browser could not start the background worker.",
                js_text(&e),
            )
        })?;
        let ready = Rc::new(Cell::new(false));
        let queue: Queue = Rc::new(RefCell::new(Vec::new()));
        let on_message = {
            let (ready, queue, worker, on_response) = (
                ready.clone(),
                queue.clone(),
                worker.clone(),
                on_response.clone(),
            );
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let response = wire::read_response(&event.data());
                if matches!(response, Response::Ready) {
                    ready.set(true);
                    for (message, transfer) in queue.borrow_mut().drain(..) {
                        post(&worker, &message, transfer.as_ref());
                    }
                    return;
                }
                on_response.emit(response);
            })
        };
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let detail = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map_or_else(|| "the worker failed to load".to_owned(), |e| e.message());
            on_response.emit(Response::Failed {
                job: None,
                error: browser_error("The background worker stopped unexpectedly.", detail),
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(WorkerClient {
            worker,
            ready,
            queue,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends a request, with a `File` (or other JS value) beside it when it needs one; the
    /// bytes it carries are transferred, not copied.
    pub fn send(&self, request: &Request, attachment: Option<&JsValue>) {
        let (message, transfer) = wire::request_message(request, attachment);
        if self.ready.get() {
            post(&self.worker, &message, transfer.as_ref());
        } else {
            self.queue.borrow_mut().push((message, transfer));
        }
    }
}

fn post(worker: &Worker, message: &JsValue, transfer: Option<&JsValue>) {
    let _ = match transfer {
        Some(t) => worker.post_message_with_transfer(message, &js_sys::Array::of1(t)),
        None => worker.post_message(message),
    };
}

impl Drop for WorkerClient {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
