//! The page's workers as the loader names them ([`Worker`]): starts, stops and gives them
//! work as its [`Output`]s say, with the `File`s the user gave beside the requests that need
//! them. Dropping a client terminates its worker, so a replaced or stopped worker's answers
//! never arrive.

use crate::loader::{Attach, Event, Output, Worker};
use crate::platform::worker_client::WorkerClient;
use crate::platform::worker_pool::WorkerPool;
use crate::protocol::Response;
use wasm_bindgen::JsValue;
use web_sys::File;
use yew::Callback;

#[derive(Debug, Default)]
pub struct Workers {
    main: Option<WorkerClient>,
    pool: Option<WorkerPool>,
    compare: Option<WorkerClient>,
    tags: Option<WorkerClient>,
    packages: Option<WorkerClient>,
    /// The dropped (or picked) file, and the comparison's.
    pub file: Option<File>,
    pub compare_file: Option<File>,
}

impl Workers {
    fn attachment(&self, attach: Attach) -> Option<JsValue> {
        match attach {
            Attach::Nothing => None,
            Attach::File => self.file.clone().map(JsValue::from),
            Attach::CompareFile => self.compare_file.clone().map(JsValue::from),
        }
    }

    fn client(&self, worker: Worker) -> Option<&WorkerClient> {
        match worker {
            Worker::Main => self.main.as_ref(),
            Worker::Compare => self.compare.as_ref(),
            Worker::Tags => self.tags.as_ref(),
            Worker::Packages => self.packages.as_ref(),
            Worker::Pool => None,
        }
    }

    fn slot(&mut self, worker: Worker) -> Option<&mut Option<WorkerClient>> {
        match worker {
            Worker::Main => Some(&mut self.main),
            Worker::Compare => Some(&mut self.compare),
            Worker::Tags => Some(&mut self.tags),
            Worker::Packages => Some(&mut self.packages),
            Worker::Pool => None,
        }
    }

    /// Carries out one output (not `Reply` or `Mark`, which are the page's). A worker that
    /// cannot start comes back as the event of its failure.
    pub fn run(
        &mut self,
        output: Output,
        on_response: &dyn Fn(Worker) -> Callback<Response>,
    ) -> Option<Event> {
        match output {
            Output::Spawn {
                worker: Worker::Pool,
                size,
            } => self.pool = Some(WorkerPool::new(size, on_response(Worker::Pool))),
            Output::Spawn { worker, .. } => {
                // The one before is terminated first.
                if let Some(slot) = self.slot(worker) {
                    *slot = None;
                }
                // The package worker starts as the layers' reading does, beside the pool's:
                // a spare one is ready already.
                let spawned = if worker == Worker::Packages {
                    crate::platform::worker_pool::take_or_spawn(on_response(worker))
                } else {
                    WorkerClient::spawn(on_response(worker))
                };
                match spawned {
                    Ok(client) => {
                        if let Some(slot) = self.slot(worker) {
                            *slot = Some(client);
                        }
                    }
                    Err(error) => {
                        return Some(Event::Response {
                            from: worker,
                            response: Response::Failed { job: None, error },
                        });
                    }
                }
            }
            Output::Stop(Worker::Pool) => self.pool = None,
            Output::Stop(worker) => {
                if let Some(slot) = self.slot(worker) {
                    *slot = None;
                }
            }
            Output::Send {
                worker,
                request,
                attach,
            } => {
                if let Some(client) = self.client(worker) {
                    client.send(&request, self.attachment(attach).as_ref());
                }
            }
            Output::Submit {
                request,
                attach,
                affinity,
            } => {
                if let Some(pool) = &self.pool {
                    let attachment = self.attachment(attach).unwrap_or(JsValue::NULL);
                    pool.submit(request, attachment, affinity);
                }
            }
            Output::HoldPool { ms } => {
                if let Some(pool) = &self.pool {
                    pool.hold(ms);
                }
            }
            // The page's own (the loader's host runs them).
            Output::Reply { .. } | Output::Mark(_) | Output::Later(_) | Output::AfterPaint(_) => {}
        }
        None
    }
}
