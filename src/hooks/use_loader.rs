//! The loader in the browser: one [`Loader`] for the page's life, its outputs carried out by
//! [`Workers`], the workers' answers fed back to it as events, and a re-render after each
//! batch. Events that arrive while one is handled (a worker that fails to start answers at
//! once) wait their turn, so the loader is never entered twice.

use crate::loader::{Env, Event, Loader, Output, Setup, Worker};
use crate::platform::browser;
use crate::platform::worker_pool::{self, cores};
use crate::platform::workers::Workers;
use crate::protocol::{ErrorInfo, FileBytes, ReadJob, Reader, Response};
use crate::route::Route;
use crate::state::AppState;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use web_sys::File;
use yew::prelude::*;

/// The browser's clock and memory.
struct BrowserEnv;

impl Env for BrowserEnv {
    fn now_ms(&self) -> f64 {
        browser::now_ms()
    }

    fn page_memory(&self) -> u64 {
        browser::wasm_memory()
    }
}

type Replies = HashMap<u64, Callback<Result<FileBytes, ErrorInfo>>>;

struct Host {
    loader: RefCell<Loader>,
    workers: RefCell<Workers>,
    /// The viewer's callbacks for reads in flight, by ticket.
    replies: RefCell<Replies>,
    next_ticket: Cell<u64>,
    queue: RefCell<VecDeque<Event>>,
    busy: Cell<bool>,
    show: RefCell<Option<UseStateSetter<Rc<AppState>>>>,
    /// The state last shown: an event that changed nothing re-renders nothing (a slice of a
    /// scan's decoding, an input that held the workers).
    shown: RefCell<Option<Rc<AppState>>>,
}

impl Host {
    fn dispatch(self: &Rc<Self>, event: Event) {
        self.queue.borrow_mut().push_back(event);
        if self.busy.replace(true) {
            return; // the loop in `drain` takes it
        }
        self.drain();
    }

    /// What the page does once mounted (a link's registry image opens).
    fn start(self: &Rc<Self>) {
        self.busy.set(true);
        let outputs = self.loader.borrow_mut().start(&BrowserEnv);
        self.run(outputs);
        self.drain();
    }

    /// Handles queued events until there are none, then re-renders.
    fn drain(self: &Rc<Self>) {
        loop {
            let next = self.queue.borrow_mut().pop_front();
            let Some(event) = next else { break };
            let outputs = self.loader.borrow_mut().handle(event, &BrowserEnv);
            self.run(outputs);
        }
        self.busy.set(false);
        self.show();
    }

    fn show(&self) {
        let loader = self.loader.borrow();
        let state = loader.state();
        if self.shown.borrow().as_deref() == Some(state) {
            return;
        }
        if let Some(set) = &*self.show.borrow() {
            let state = Rc::new(state.clone());
            *self.shown.borrow_mut() = Some(state.clone());
            set.set(state);
        }
    }

    fn run(self: &Rc<Self>, outputs: Vec<Output>) {
        let weak = Rc::downgrade(self);
        let on_response = move |worker: Worker| {
            let weak = weak.clone();
            Callback::from(move |response: Response| {
                if let Some(host) = weak.upgrade() {
                    host.dispatch(Event::Response {
                        from: worker,
                        response,
                    });
                }
            })
        };
        for output in outputs {
            match output {
                Output::Reply { ticket, result } => {
                    let reply = self.replies.borrow_mut().remove(&ticket);
                    if let Some(reply) = reply {
                        reply.emit(result);
                    }
                }
                Output::Mark(name) => browser::mark(name),
                Output::Later(event) => {
                    let weak = Rc::downgrade(self);
                    browser::later(0, move || {
                        if let Some(host) = weak.upgrade() {
                            host.dispatch(event);
                        }
                    });
                }
                Output::AfterPaint(event) => {
                    let weak = Rc::downgrade(self);
                    browser::after_paint(move || {
                        if let Some(host) = weak.upgrade() {
                            host.dispatch(event);
                        }
                    });
                }
                other => {
                    let failed = self.workers.borrow_mut().run(other, &on_response);
                    if let Some(event) = failed {
                        self.queue.borrow_mut().push_back(event);
                    }
                }
            }
        }
    }
}

/// What the page gets from the loader.
#[derive(Clone)]
pub struct LoaderHandle {
    pub state: Rc<AppState>,
    pub dispatch: Callback<Event>,
    /// A dropped or picked file to open, or to compare with.
    pub open_file: Callback<File>,
    pub compare_file: Callback<File>,
    /// File contents for the viewer (given by context).
    pub reader: Reader,
}

#[hook]
pub fn use_loader() -> LoaderHandle {
    let host = use_memo((), |()| {
        let setup = Setup {
            cores: cores(),
            proxy: browser::proxy_base(),
        };
        Rc::new(Host {
            loader: RefCell::new(Loader::new(Route::parse(&browser::hash()), setup)),
            workers: RefCell::default(),
            replies: RefCell::default(),
            next_ticket: Cell::new(0),
            queue: RefCell::default(),
            busy: Cell::new(false),
            show: RefCell::new(None),
            shown: RefCell::new(None),
        })
    });
    let shown = use_state(|| Rc::new(host.loader.borrow().state().clone()));
    *host.show.borrow_mut() = Some(shown.setter());
    {
        let host = (*host).clone();
        use_effect_with((), move |()| {
            // A pointer or key pressed, or a click (a keyboard's too): what it does is shown
            // sooner with the pool's workers paused (`Loader`'s `hold_pool`).
            let weak = Rc::downgrade(&host);
            browser::on_window_events(&["pointerdown", "keydown", "click"], move || {
                if let Some(host) = weak.upgrade() {
                    host.dispatch(Event::UserInput);
                }
            });
            host.start();
            // The workers a read of layers needs (the pool's and the package worker), started
            // while the page waits for a file, so that reading does not wait for them.
            browser::later(0, || worker_pool::warm(cores() + 1));
        });
    }
    let callbacks = use_memo((), |()| {
        let host = (*host).clone();
        let dispatch = {
            let host = host.clone();
            Callback::from(move |event: Event| host.dispatch(event))
        };
        let open_file = {
            let host = host.clone();
            Callback::from(move |file: File| {
                let (name, size) = (file.name(), file.size() as u64);
                host.workers.borrow_mut().file = Some(file);
                host.dispatch(Event::FileDropped { name, size });
            })
        };
        let compare_file = {
            let host = host.clone();
            Callback::from(move |file: File| {
                let name = file.name();
                host.workers.borrow_mut().compare_file = Some(file);
                host.dispatch(Event::CompareFile { name });
            })
        };
        let reader = Reader(Callback::from(move |job: ReadJob| {
            let ticket = host.next_ticket.get() + 1;
            host.next_ticket.set(ticket);
            host.replies.borrow_mut().insert(ticket, job.reply);
            host.dispatch(Event::Read {
                side: job.side,
                ticket,
                layer: job.layer,
                entry: job.entry,
                offset: job.offset,
                len: job.len,
            });
        }));
        (dispatch, open_file, compare_file, reader)
    });
    let (dispatch, open_file, compare_file, reader) = (*callbacks).clone();
    LoaderHandle {
        state: (*shown).clone(),
        dispatch,
        open_file,
        compare_file,
        reader,
    }
}
