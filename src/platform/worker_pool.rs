//! A pool of workers for self-contained jobs (scan a layer, read a file): up to
//! `navigator.hardwareConcurrency` workers, one job each at a time, the rest queued. Layers are
//! independent, so on a 4-core machine four layers decompress and hash at once.

use crate::platform::worker_client::WorkerClient;
use crate::protocol::{JobId, Request, Response};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;
use yew::Callback;

/// A worker whose WebAssembly memory grew past this while scanning is replaced by a fresh one
/// once its answer is in: a wasm memory never shrinks, so the high-water mark of indexing a
/// million-entry layer would otherwise stay in the tab for as long as the image is open. Below
/// it (a worker's registry windows, 48 MiB, and a typical layer's index) the worker is kept, with
/// what it downloaded.
const RETIRE_ABOVE: u64 = 96 << 20;

struct Slot {
    client: WorkerClient,
    job: Option<JobId>,
}

/// A worker started before it was needed ([`warm`]): it loads and compiles its wasm while the
/// page does other things, and answers to whoever takes it.
struct Spare {
    client: WorkerClient,
    answer_to: Rc<RefCell<Callback<Response>>>,
    /// Whether it failed before it was taken (then it is not given out).
    failed: Rc<Cell<bool>>,
}

thread_local! {
    static SPARES: RefCell<Vec<Spare>> = const { RefCell::new(Vec::new()) };
}

/// Starts workers ahead of need, up to `n` waiting. A worker takes 350-450 ms from `new
/// Worker` to ready on two cores (its script and 800 KiB of wasm loaded and compiled; measured
/// on the 1 GB image, where the pool's two were ready 348-449 ms after the read began and every
/// layer waited for them): started while the page is idle, the pool and the package worker the
/// reading starts find them ready ([`take_or_spawn`]).
pub fn warm(n: usize) {
    SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        while spares.len() < n {
            let answer_to = Rc::new(RefCell::new(Callback::noop()));
            let failed = Rc::new(Cell::new(false));
            let callback = {
                let (answer_to, failed) = (answer_to.clone(), failed.clone());
                Callback::from(move |response: Response| {
                    if matches!(response, Response::Failed { .. }) {
                        failed.set(true);
                    }
                    let to = answer_to.borrow().clone();
                    to.emit(response);
                })
            };
            let Ok(client) = WorkerClient::spawn(callback) else {
                return;
            };
            // One rehearsal is enough: the workers share one compiled module, and what V8
            // optimises in one is optimised for all.
            if spares.is_empty() {
                client.send(&Request::RehearseScan, None);
            }
            spares.push(Spare {
                client,
                answer_to,
                failed,
            });
        }
    });
}

/// A worker that answers to `on_response`: a spare one ([`warm`]) if one is waiting, else a
/// new one.
pub fn take_or_spawn(
    on_response: Callback<Response>,
) -> Result<WorkerClient, crate::protocol::ErrorInfo> {
    while let Some(spare) = SPARES.with(|s| s.borrow_mut().pop()) {
        if !spare.failed.get() {
            *spare.answer_to.borrow_mut() = on_response;
            return Ok(spare.client);
        }
    }
    WorkerClient::spawn(on_response)
}

struct Inner {
    slots: Vec<Slot>,
    /// (request, attachment, worker it must run on)
    queue: VecDeque<(Request, JsValue, Option<usize>)>,
    size: usize,
    on_result: Callback<Response>,
}

#[derive(Clone)]
pub struct WorkerPool {
    inner: Rc<RefCell<Inner>>,
}

impl std::fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("WorkerPool")
            .field("workers", &inner.slots.len())
            .field("queued", &inner.queue.len())
            .finish()
    }
}

impl PartialEq for WorkerPool {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The number of cores the browser reports (at least 1).
pub fn cores() -> usize {
    web_sys::window()
        .map_or(1, |w| w.navigator().hardware_concurrency() as usize)
        .max(1)
}

impl WorkerPool {
    pub fn new(size: usize, on_result: Callback<Response>) -> WorkerPool {
        WorkerPool {
            inner: Rc::new(RefCell::new(Inner {
                slots: Vec::new(),
                queue: VecDeque::new(),
                size: size.max(1),
                on_result,
            })),
        }
    }

    /// Queues a job; it starts as soon as a worker is free, which it stays until a response
    /// that [ends the job](Response::ends_job). With `affinity`, only worker
    /// `affinity % size` takes it (a worker that keeps what an earlier job downloaded).
    pub fn submit(&self, request: Request, attachment: JsValue, affinity: Option<usize>) {
        let mut inner = self.inner.borrow_mut();
        let size = inner.size;
        inner
            .queue
            .push_back((request, attachment, affinity.map(|a| a % size)));
        drop(inner);
        Self::pump(&self.inner);
    }

    /// Jobs queued or running.
    pub fn busy(&self) -> usize {
        let inner = self.inner.borrow();
        inner.queue.len() + inner.slots.iter().filter(|s| s.job.is_some()).count()
    }

    /// Asks every worker with a job to pause between its reads for up to `ms` (0: go on).
    pub fn hold(&self, ms: u32) {
        let inner = self.inner.borrow();
        for slot in inner.slots.iter().filter(|s| s.job.is_some()) {
            slot.client.send(&Request::Hold { ms }, None);
        }
    }

    /// Starts queued jobs on idle workers, spawning workers up to the pool's size.
    fn pump(inner_rc: &Rc<RefCell<Inner>>) {
        loop {
            let mut inner = inner_rc.borrow_mut();
            // The first queued job that has a worker for it: an idle one, or one to spawn.
            let idle =
                |inner: &Inner, slot: usize| inner.slots.get(slot).is_none_or(|s| s.job.is_none());
            let pick = inner
                .queue
                .iter()
                .position(|(_, _, affinity)| match affinity {
                    Some(a) => idle(&inner, *a),
                    None => {
                        inner.slots.iter().any(|s| s.job.is_none())
                            || inner.slots.len() < inner.size
                    }
                });
            let Some(q) = pick else { return };
            let want = inner.queue[q].2;
            let slot = match want {
                Some(a) => a,
                None => inner
                    .slots
                    .iter()
                    .position(|s| s.job.is_none())
                    .unwrap_or(inner.slots.len()),
            };
            // Spawn workers up to the one wanted.
            let mut failed = None;
            while inner.slots.len() <= slot {
                let weak = Rc::downgrade(inner_rc);
                let index = inner.slots.len();
                let on_result = inner.on_result.clone();
                let callback = Callback::from(move |d: Response| {
                    Self::on_delivery(&weak, index, d, &on_result)
                });
                match take_or_spawn(callback) {
                    Ok(client) => inner.slots.push(Slot { client, job: None }),
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
            let Some((request, attachment, _)) = inner.queue.remove(q) else {
                return;
            };
            let job = request.job();
            if let Some(error) = failed {
                let on_result = inner.on_result.clone();
                drop(inner);
                on_result.emit(Response::Failed { job, error });
                continue;
            }
            inner.slots[slot].job = Some(job.unwrap_or(JobId::MAX));
            inner.slots[slot].client.send(&request, Some(&attachment));
        }
    }

    fn on_delivery(
        weak: &Weak<RefCell<Inner>>,
        index: usize,
        response: Response,
        on_result: &Callback<Response>,
    ) {
        let finished = response.ends_job();
        let retire =
            matches!(&response, Response::Scanned { memory, .. } if *memory > RETIRE_ABOVE);
        on_result.emit(response);
        if finished && let Some(inner) = weak.upgrade() {
            if retire {
                Self::replace(&inner, index);
            }
            if let Some(slot) = inner.borrow_mut().slots.get_mut(index) {
                slot.job = None;
            }
            Self::pump(&inner);
        }
    }

    /// Terminates worker `index` and starts a new one in its place (the same index, so
    /// affinities still name it). If the new one cannot start, the old one stays.
    fn replace(inner_rc: &Rc<RefCell<Inner>>, index: usize) {
        let on_result = inner_rc.borrow().on_result.clone();
        let weak = Rc::downgrade(inner_rc);
        let callback =
            Callback::from(move |d: Response| Self::on_delivery(&weak, index, d, &on_result));
        if let Ok(client) = WorkerClient::spawn(callback)
            && let Some(slot) = inner_rc.borrow_mut().slots.get_mut(index)
        {
            let old = std::mem::replace(&mut slot.client, client);
            // Dropped (terminated) after this message's handler returns: the handler is one of
            // the old client's closures, which must not be freed while it runs.
            crate::platform::browser::later(0, move || drop(old));
        }
    }
}
