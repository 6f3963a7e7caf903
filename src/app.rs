//! The root component: the whole window is a drop target; workers do the reading; the phase
//! and route in [`AppState`] decide what shows. The route mirrors the URL fragment both ways,
//! so Back works and every view has a link.

use crate::components::error_panel::ErrorPanel;
use crate::components::header::Header;
use crate::components::help_overlay::HelpOverlay;
use crate::components::image_page::ImagePage;
use crate::components::progress_panel::ProgressPanel;
use crate::components::start_screen::StartScreen;
use crate::platform::browser::{self, Listener, in_text_field};
use crate::platform::worker_client::{Delivery, WorkerClient, attachment_bytes};
use crate::platform::worker_pool::{WorkerPool, cores};
use crate::protocol::{ErrorInfo, RegistryAccess, RegistryBlob, Request, Response, browser_error};
use crate::route::{Route, View};
use crate::state::{Action, AppState, LayersState, Phase, Session, TagsState, build_explorer};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use strata_core::layer::LayerScan;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DragEvent, File, KeyboardEvent};
use yew::prelude::*;

/// Bytes of one file, read by a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct FileBytes {
    pub bytes: Rc<Vec<u8>>,
    /// Where these bytes start in the file.
    pub offset: u64,
    /// The file's whole size.
    pub total: u64,
}

/// A request to read (part of) a file in a layer.
#[derive(Debug, Clone)]
pub struct ReadJob {
    /// 0-based layer and entry index in that layer's index.
    pub layer: usize,
    pub entry: usize,
    pub offset: u64,
    /// `None`: the whole file.
    pub len: Option<u64>,
    pub reply: Callback<Result<FileBytes, ErrorInfo>>,
}

/// How components ask for file contents (given by context).
#[derive(Clone, PartialEq)]
pub struct Reader(pub Callback<ReadJob>);

/// A registry image to open, from the registry form: the reference and, for a private
/// registry, credentials (kept in this tab's memory only).
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryRequest {
    pub reference: String,
    pub credentials: Option<strata_core::registry::Credentials>,
    /// The platform's manifest digest, when a link names one.
    pub platform: Option<String>,
}

/// Where the open image's bytes are.
#[derive(Clone)]
enum Source {
    /// A dropped or picked file.
    File(File),
    /// A registry, and how the workers reach it.
    Registry(RegistryAccess),
    /// A snapshot: nothing more to read (no file contents).
    Snapshot,
}

/// `strata serve`'s proxy, if the page came from it (the worker checks before using it).
fn proxy_base() -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    origin
        .starts_with("http")
        .then(|| format!("{origin}/proxy"))
}

/// The image a link is about, when it names a local archive's image.
#[derive(Debug, Clone)]
struct Expected {
    id: String,
    image: usize,
    platform: Option<String>,
    /// Whether the link's image number and platform were loaded already.
    retried: bool,
}

fn short_id(id: &str) -> String {
    let hex = id.split_once(':').map_or(id, |(_, h)| h);
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

/// What the app keeps outside the reducer: the source, the workers, scans in flight.
#[derive(Default)]
struct Runtime {
    /// The worker reading the other image of a comparison.
    compare: Option<WorkerClient>,
    expected: Option<Expected>,
    source: Option<Source>,
    /// The worker listing tags for the registry form.
    tags: Option<WorkerClient>,
    main: Option<WorkerClient>,
    pool: Option<WorkerPool>,
    scans: Vec<Option<LayerScan>>,
    remaining: usize,
    run: u64,
    started: f64,
    next_job: u64,
    reads: HashMap<u64, Callback<Result<FileBytes, ErrorInfo>>>,
    /// Digest checks in flight: job → layer.
    hashes: HashMap<u64, usize>,
    /// The archive's listing, which arrives before the image.
    listing: Option<Rc<crate::protocol::ArchiveListing>>,
    /// Per-layer scan times and worker memory, for the benchmark.
    stats: crate::state::ScanStats,
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let route = Route::parse(&browser::hash());
        // A link to a local archive's image: the archive must be dropped again, and match.
        let wanted = route.id.clone().filter(|_| route.registry.is_none());
        AppState {
            route,
            wanted,
            ..AppState::default()
        }
    });
    // The settings' limits, for every request that reads an image.
    let limits = state.limits.clone();
    let runtime: Rc<RefCell<Runtime>> = use_mut_ref(|| {
        let route = Route::parse(&browser::hash());
        Runtime {
            expected: route
                .id
                .clone()
                .filter(|_| route.registry.is_none())
                .map(|id| Expected {
                    id,
                    image: route.image.unwrap_or(0),
                    platform: route.platform.clone(),
                    retried: false,
                }),
            ..Runtime::default()
        }
    });
    let dragging = use_state(|| false);
    let help = use_state(|| false);
    let limits_open = use_state(|| false);
    let theme = use_state(|| "system");

    // Worker responses → actions.
    let on_main = {
        let dispatch = state.dispatcher();
        let runtime = runtime.clone();
        Callback::from(move |(response, attachment): Delivery| match response {
            Response::Progress { done, total } => {
                dispatch.dispatch(Action::Progress { done, total })
            }
            Response::Opened { listing } => {
                runtime.borrow_mut().listing = Some(Rc::new(listing.clone()));
                dispatch.dispatch(Action::Opened(listing));
            }
            Response::Loaded {
                image,
                overview,
                image_number,
                bytes_read,
            } => {
                let Some(listing) = runtime.borrow().listing.clone() else {
                    return;
                };
                // A link's image: load the image and platform it names, and refuse another.
                let expected = runtime.borrow().expected.clone();
                if let Some(mut want) = expected {
                    let id = image.id().to_string();
                    if id != want.id {
                        if !want.retried
                            && (want.image != image_number || want.platform.is_some())
                            && want.image < listing.images.len()
                        {
                            want.retried = true;
                            let mut rt = runtime.borrow_mut();
                            if let Some(client) = rt.main.as_ref() {
                                client.send(
                                    &Request::Load {
                                        image: want.image,
                                        manifest: want.platform.clone(),
                                    },
                                    None,
                                );
                            }
                            rt.expected = Some(want);
                            return;
                        }
                        runtime.borrow_mut().expected = Some(Expected {
                            retried: false,
                            ..want.clone()
                        });
                        return dispatch.dispatch(Action::Failed(ErrorInfo {
                            kind: "link-mismatch".into(),
                            summary: format!(
                                "This archive does not hold the image the link is about ({}).",
                                short_id(&want.id)
                            ),
                            detail: format!(
                                "The link shows image {}.\nThis archive's image {} is {id}.\nDrop the archive that contains {} to continue.",
                                want.id,
                                image_number,
                                want.id
                            ),
                        }));
                    }
                    runtime.borrow_mut().expected = None;
                }
                browser::mark("strata:overview");
                dispatch.dispatch(Action::Loaded(Box::new(Session::new(
                    listing,
                    *image,
                    *overview,
                    image_number,
                    bytes_read,
                ))));
            }
            Response::Snapshot { file_size } => {
                let bytes = attachment_bytes(&attachment);
                let file_name = match &runtime.borrow().source {
                    Some(Source::File(f)) => f.name(),
                    _ => String::new(),
                };
                match strata_core::snapshot::from_postcard(&bytes) {
                    Ok(snap) => {
                        runtime.borrow_mut().source = Some(Source::Snapshot);
                        let listing = Rc::new(crate::protocol::ArchiveListing {
                            file_name,
                            file_size,
                            format: format!("snapshot of {} ({})", snap.name, snap.format),
                            images: Vec::new(),
                        });
                        let ov = strata_core::overview(&snap.image);
                        let mut session = Session::new(listing, snap.image, ov, 0, 0);
                        session.snapshot_of = Some((snap.name, snap.format));
                        let explorer =
                            build_explorer(&session, snap.scans, 0.0, Default::default());
                        browser::mark("strata:overview");
                        dispatch
                            .dispatch(Action::SnapshotOpened(Box::new(session), Rc::new(explorer)));
                    }
                    Err(e) => dispatch.dispatch(Action::Failed(ErrorInfo::from(&e))),
                }
            }
            Response::RegistryOpened { access } => {
                // Pinned to the digest it resolved to: the link reproduces this image even
                // after the tag moves.
                let pinned = access.reference.clone();
                runtime.borrow_mut().source = Some(Source::Registry(access));
                dispatch.dispatch(Action::Pinned(pinned));
            }
            Response::Failed { error, .. } => dispatch.dispatch(Action::Failed(error)),
            _ => {}
        })
    };

    let open_registry = {
        let limits = limits.clone();
        let (dispatch, runtime, on_main) = (state.dispatcher(), runtime.clone(), on_main.clone());
        Callback::from(move |request: RegistryRequest| {
            let mut rt = runtime.borrow_mut();
            rt.main = None;
            rt.pool = None;
            rt.reads.clear();
            rt.listing = None;
            rt.expected = None;
            let access = RegistryAccess {
                reference: request.reference.trim().to_owned(),
                credentials: request.credentials,
                proxy: proxy_base(),
                via_proxy: false,
            };
            match WorkerClient::spawn(on_main.clone()) {
                Ok(client) => {
                    browser::mark("strata:drop");
                    dispatch.dispatch(Action::Opening {
                        file_name: access.reference.clone(),
                        total: 0,
                        registry: Some(access.reference.clone()),
                    });
                    client.send(
                        &Request::OpenRegistry {
                            access: access.clone(),
                            manifest: request.platform.clone(),
                            limits: limits.clone(),
                        },
                        None,
                    );
                    rt.main = Some(client);
                    rt.source = Some(Source::Registry(access));
                }
                Err(error) => dispatch.dispatch(Action::Failed(error)),
            }
        })
    };

    let list_tags = {
        let (dispatch, runtime) = (state.dispatcher(), runtime.clone());
        Callback::from(move |request: RegistryRequest| {
            let on_tags = {
                let dispatch = dispatch.clone();
                Callback::from(move |(response, _): Delivery| match response {
                    Response::Tags { repository, tags } => {
                        dispatch.dispatch(Action::Tags(TagsState::Ready {
                            repository,
                            tags: Rc::new(tags),
                        }))
                    }
                    Response::Failed { error, .. } => {
                        dispatch.dispatch(Action::Tags(TagsState::Failed(error)))
                    }
                    _ => {}
                })
            };
            match WorkerClient::spawn(on_tags) {
                Ok(client) => {
                    dispatch.dispatch(Action::Tags(TagsState::Loading));
                    client.send(
                        &Request::ListTags {
                            access: RegistryAccess {
                                reference: request.reference.trim().to_owned(),
                                credentials: request.credentials,
                                proxy: proxy_base(),
                                via_proxy: false,
                            },
                        },
                        None,
                    );
                    // A new list replaces (and terminates) the last one.
                    runtime.borrow_mut().tags = Some(client);
                }
                Err(error) => dispatch.dispatch(Action::Tags(TagsState::Failed(error))),
            }
        })
    };

    // A link with a registry reference opens it (anonymously: credentials are never in links),
    // at start or when a pasted link names another image.
    {
        let (open_registry, runtime) = (open_registry.clone(), runtime.clone());
        let platform = state.route.platform.clone();
        use_effect_with(state.route.registry.clone(), move |registry| {
            let open = match &runtime.borrow().source {
                Some(Source::Registry(access)) => Some(access.reference.clone()),
                _ => None,
            };
            if let Some(reference) = registry
                && open.as_ref() != Some(reference)
            {
                open_registry.emit(RegistryRequest {
                    reference: reference.clone(),
                    credentials: None,
                    platform,
                });
            }
        });
    }

    let open_file = {
        let limits = limits.clone();
        let (dispatch, runtime, on_main) = (state.dispatcher(), runtime.clone(), on_main.clone());
        Callback::from(move |file: File| {
            let mut rt = runtime.borrow_mut();
            // Whatever the last workers were doing is over.
            rt.main = None;
            rt.pool = None;
            rt.reads.clear();
            rt.listing = None;
            match WorkerClient::spawn(on_main.clone()) {
                Ok(client) => {
                    browser::mark("strata:drop");
                    dispatch.dispatch(Action::Opening {
                        file_name: file.name(),
                        total: file.size() as u64,
                        registry: None,
                    });
                    client.send(
                        &Request::Open {
                            limits: limits.clone(),
                        },
                        Some(&JsValue::from(file.clone())),
                    );
                    rt.main = Some(client);
                    rt.source = Some(Source::File(file));
                }
                Err(error) => dispatch.dispatch(Action::Failed(error)),
            }
        })
    };

    // A sample served beside the app (from the service worker's cache when offline).
    let samples = use_memo((), |()| crate::samples::samples());
    let open_sample = {
        let (open_file, dispatch) = (open_file.clone(), state.dispatcher());
        Callback::from(move |file: String| {
            let (open_file, dispatch) = (open_file.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match browser::fetch_file(&format!("samples/{file}"), &file).await {
                    Ok(f) => open_file.emit(f),
                    Err(e) => dispatch.dispatch(Action::Failed(browser_error(
                        "The sample could not be loaded (and is not cached for offline use yet).",
                        e,
                    ))),
                }
            });
        })
    };

    // Save the inspection as a snapshot (engine encoding; the browser downloads it).
    let on_save_snapshot = {
        let (dispatch, layers, session) = (
            state.dispatcher(),
            state.layers.clone(),
            state.session().cloned(),
        );
        Callback::from(move |()| {
            let (LayersState::Ready(explorer), Some(session)) = (layers.clone(), session.clone())
            else {
                return;
            };
            // Encoding runs on this thread (the indexes live here): say so first, and let the
            // page paint that before the work starts.
            dispatch.dispatch(Action::SnapshotSaving);
            let dispatch = dispatch.clone();
            browser::later(30, move || {
                let name = session
                    .snapshot_of
                    .as_ref()
                    .map_or_else(|| session.listing.file_name.clone(), |(n, _)| n.clone());
                let format = session
                    .snapshot_of
                    .as_ref()
                    .map_or_else(|| session.listing.format.clone(), |(_, f)| f.clone());
                let snap = strata_core::snapshot::Snapshot::of(
                    &name,
                    &format,
                    &session.image,
                    &explorer.analysis,
                );
                match strata_core::snapshot::encode(&snap) {
                    Ok(bytes) => {
                        let file = format!(
                            "{}.{}",
                            name.rsplit('/')
                                .next()
                                .unwrap_or(&name)
                                .replace([':', '@'], "_"),
                            strata_core::snapshot::EXTENSION
                        );
                        browser::download(&bytes, &file);
                        let stored = session.image.stored_size().max(1);
                        dispatch.dispatch(Action::SnapshotSaved(format!(
                        "Snapshot saved as {file}: {} ({:.2}% of the image's {} stored). It opens anywhere, offline, with every view but file contents.",
                        strata_core::text::format_bytes(bytes.len() as u64),
                        bytes.len() as f64 * 100.0 / stored as f64,
                        strata_core::text::format_bytes(stored)
                    )));
                    }
                    Err(e) => dispatch.dispatch(Action::SnapshotSaved(format!(
                        "The snapshot could not be made: {e}"
                    ))),
                }
            });
        })
    };

    // The other image of a comparison: one worker opens it and reads all its layers.
    let start_compare = {
        let (dispatch, runtime) = (state.dispatcher(), runtime.clone());
        move |name: String, typed: Option<String>, request: Request, attachment: Option<JsValue>| {
            let on_compare = {
                let (dispatch, name) = (dispatch.clone(), name.clone());
                Callback::from(move |(response, attachment): Delivery| match response {
                    Response::Progress { done, total } => {
                        dispatch.dispatch(Action::Compare(crate::state::CompareState::Loading {
                            name: name.clone(),
                            done,
                            total,
                        }))
                    }
                    Response::Analysed => {
                        let bytes = attachment_bytes(&attachment);
                        match strata_core::snapshot::from_postcard(&bytes) {
                            Ok(snap) => {
                                let listing = Rc::new(crate::protocol::ArchiveListing {
                                    file_name: snap.name.clone(),
                                    file_size: snap.image.stored_size(),
                                    format: snap.format.clone(),
                                    images: Vec::new(),
                                });
                                // A registry image is linked by its pinned reference; a
                                // local one by its image ID (the link asks for the file).
                                let link = typed
                                    .as_deref()
                                    .and_then(|t| {
                                        strata_core::registry::pin_user_reference(t, &snap.image)
                                    })
                                    .unwrap_or_else(|| snap.image.id().to_string());
                                let ov = strata_core::overview(&snap.image);
                                let session = Session::new(listing, snap.image, ov, 0, 0);
                                let explorer =
                                    build_explorer(&session, snap.scans, 0.0, Default::default());
                                dispatch.dispatch(Action::Compare(
                                    crate::state::CompareState::Ready(Rc::new(
                                        crate::state::Comparison {
                                            session,
                                            explorer,
                                            link,
                                        },
                                    )),
                                ));
                            }
                            Err(e) => dispatch.dispatch(Action::Compare(
                                crate::state::CompareState::Failed(ErrorInfo::from(&e)),
                            )),
                        }
                    }
                    Response::Failed { error, .. } => dispatch
                        .dispatch(Action::Compare(crate::state::CompareState::Failed(error))),
                    _ => {}
                })
            };
            match WorkerClient::spawn(on_compare) {
                Ok(client) => {
                    dispatch.dispatch(Action::Compare(crate::state::CompareState::Loading {
                        name,
                        done: 0,
                        total: 0,
                    }));
                    client.send(&request, attachment.as_ref());
                    // A new comparison replaces (and terminates) the last one.
                    runtime.borrow_mut().compare = Some(client);
                }
                Err(error) => {
                    dispatch.dispatch(Action::Compare(crate::state::CompareState::Failed(error)))
                }
            }
        }
    };
    let compare_file = {
        let limits = limits.clone();
        let start = start_compare.clone();
        Callback::from(move |file: File| {
            start(
                file.name(),
                None,
                Request::Analyse {
                    registry: None,
                    limits: limits.clone(),
                },
                Some(JsValue::from(file)),
            )
        })
    };
    let compare_registry = {
        let limits = limits.clone();
        let start = start_compare;
        Callback::from(move |request: RegistryRequest| {
            let access = RegistryAccess {
                reference: request.reference.trim().to_owned(),
                credentials: request.credentials,
                proxy: proxy_base(),
                via_proxy: false,
            };
            start(
                access.reference.clone(),
                Some(access.reference.clone()),
                Request::Analyse {
                    registry: Some(access),
                    limits: limits.clone(),
                },
                None,
            )
        })
    };

    let on_cancel = {
        let (dispatch, runtime) = (state.dispatcher(), runtime.clone());
        Callback::from(move |()| {
            let mut rt = runtime.borrow_mut();
            rt.main = None; // terminates the worker mid-work
            rt.pool = None;
            rt.source = None;
            rt.expected = None;
            dispatch.dispatch(Action::Cancel);
        })
    };

    let on_pick_image = {
        let limits = limits.clone();
        let runtime = runtime.clone();
        Callback::from(move |(image, manifest): (usize, Option<String>)| {
            let mut rt = runtime.borrow_mut();
            rt.pool = None; // scans of the previous image are moot
            let request = match &rt.source {
                Some(Source::Registry(access)) => Request::OpenRegistry {
                    access: access.clone(),
                    manifest,
                    limits: limits.clone(),
                },
                _ => Request::Load { image, manifest },
            };
            if let Some(client) = rt.main.as_ref() {
                client.send(&request, None);
            }
        })
    };

    // The session, with the listing the worker sent first.
    let session: Option<Rc<Session>> = state.session().cloned();
    let listing = state.listing.clone();

    // Pool results: scans and file contents.
    let on_pool = {
        let (dispatch, runtime) = (state.dispatcher(), runtime.clone());
        let session = session.clone();
        Callback::from(move |(response, attachment): Delivery| {
            let run = runtime.borrow().run;
            match response {
                Response::ScanProgress { layer, done, .. } => {
                    dispatch.dispatch(Action::ScanProgress { run, layer, done })
                }
                Response::Scanned {
                    layer,
                    millis,
                    memory,
                    ..
                } => {
                    {
                        let mut rt = runtime.borrow_mut();
                        rt.stats.layers.push(crate::state::LayerStat {
                            layer: layer + 1,
                            millis,
                            ..Default::default()
                        });
                        rt.stats.worker_memory_max = rt.stats.worker_memory_max.max(memory);
                    }
                    let bytes = attachment_bytes(&attachment);
                    let scan: LayerScan = match postcard::from_bytes(&bytes) {
                        Ok(s) => s,
                        Err(e) => {
                            return dispatch.dispatch(Action::ScanFailed {
                                run,
                                error: browser_error(
                                    "A layer's index arrived damaged from the worker.",
                                    e.to_string(),
                                ),
                            });
                        }
                    };
                    dispatch.dispatch(Action::Scanned { run, layer });
                    let mut rt = runtime.borrow_mut();
                    if let Some(slot) = rt.scans.get_mut(layer) {
                        *slot = Some(scan);
                        rt.remaining = rt.remaining.saturating_sub(1);
                    }
                    if rt.remaining == 0
                        && let Some(session) = &session
                    {
                        let scans = std::mem::take(&mut rt.scans);
                        let millis = browser::now_ms() - rt.started;
                        let stats = std::mem::take(&mut rt.stats);
                        drop(rt);
                        let explorer = build_explorer(session, scans, millis, stats);
                        browser::mark("strata:layers-ready");
                        let unverified = explorer.analysis.unverified();
                        dispatch.dispatch(Action::LayersReady {
                            run,
                            explorer: Rc::new(explorer),
                        });
                        // The indexes are shown; now the digests their scans left for later.
                        let mut rt = runtime.borrow_mut();
                        if let (Some(pool), Some(Source::File(file))) =
                            (rt.pool.clone(), rt.source.clone())
                            && !unverified.is_empty()
                        {
                            dispatch.dispatch(Action::Verifying {
                                run,
                                count: unverified.len(),
                            });
                            for layer in unverified {
                                let Some(blob) = session.image.layers[layer].location else {
                                    continue;
                                };
                                rt.next_job += 1;
                                let job = rt.next_job;
                                rt.hashes.insert(job, layer);
                                let request = Request::HashBlob { job, layer, blob };
                                pool.submit(job, request, JsValue::from(file.clone()), None);
                            }
                        }
                    }
                }
                Response::Hashed {
                    job, layer, digest, ..
                } => {
                    let mut rt = runtime.borrow_mut();
                    rt.hashes.remove(&job);
                    let done = rt.hashes.is_empty();
                    drop(rt);
                    match strata_core::Digest::parse(&digest) {
                        Ok(digest) => dispatch.dispatch(Action::Verified { run, layer, digest }),
                        Err(e) => dispatch.dispatch(Action::VerifyFailed {
                            run,
                            layer,
                            error: browser_error(
                                "A layer's digest arrived damaged from the worker.",
                                e.to_string(),
                            ),
                        }),
                    }
                    if done {
                        browser::mark("strata:verified");
                    }
                }
                Response::Content { job, offset, total } => {
                    if let Some(reply) = runtime.borrow_mut().reads.remove(&job) {
                        reply.emit(Ok(FileBytes {
                            bytes: Rc::new(attachment_bytes(&attachment)),
                            offset,
                            total,
                        }));
                    }
                }
                Response::Failed { job, error } => {
                    let reply = job.and_then(|j| runtime.borrow_mut().reads.remove(&j));
                    let hash = job.and_then(|j| runtime.borrow_mut().hashes.remove(&j));
                    match (reply, hash) {
                        (Some(reply), _) => reply.emit(Err(error)),
                        (None, Some(layer)) => {
                            dispatch.dispatch(Action::VerifyFailed { run, layer, error })
                        }
                        (None, None) => dispatch.dispatch(Action::ScanFailed { run, error }),
                    }
                }
                _ => {}
            }
        })
    };

    // Once an image is open, read its layers in the background, one worker per layer.
    {
        let (dispatch, runtime, on_pool) = (state.dispatcher(), runtime.clone(), on_pool.clone());
        let run = state.scan_run;
        let wanted = state.scan_wanted;
        let limits = limits.clone();
        use_effect_with(
            (session.clone(), run, wanted),
            move |(session, run, wanted)| {
                if !*wanted {
                    runtime.borrow_mut().pool = None; // terminates the scanning workers
                } else if let Some(session) = session {
                    let mut rt = runtime.borrow_mut();
                    let present: Vec<_> = session.image.layers.iter().map(|l| l.location).collect();
                    rt.run = *run;
                    rt.scans = vec![None; present.len()];
                    rt.hashes.clear();
                    rt.remaining = present.iter().filter(|l| l.is_some()).count();
                    rt.started = browser::now_ms();
                    rt.stats = Default::default();
                    // A registry's layers are downloads: at most max_concurrent_fetches at once.
                    let remote = matches!(rt.source, Some(Source::Registry(_)));
                    let mut size = cores().min(present.len().max(1));
                    if remote {
                        size = size.min(
                            usize::try_from(limits.max_concurrent_fetches)
                                .unwrap_or(1)
                                .max(1),
                        );
                    }
                    let pool = WorkerPool::new(size, on_pool);
                    if let Some(source) =
                        rt.source.clone().filter(|s| !matches!(s, Source::Snapshot))
                    {
                        dispatch.dispatch(Action::ScanStarted {
                            run: *run,
                            totals: present.iter().map(|l| l.map_or(0, |l| l.len)).collect(),
                        });
                        browser::mark("strata:scan-start");
                        for (layer, loc) in present.iter().enumerate() {
                            if let Some(blob) = loc {
                                rt.next_job += 1;
                                let job = rt.next_job;
                                let (attachment, registry, affinity) =
                                    job_source(&source, session, layer);
                                pool.submit(
                                    job,
                                    Request::ScanBlob {
                                        job,
                                        layer,
                                        blob: *blob,
                                        limits: limits.clone(),
                                        registry,
                                    },
                                    attachment,
                                    affinity,
                                );
                            }
                        }
                        if rt.remaining == 0 {
                            let explorer =
                                build_explorer(session, Vec::new(), 0.0, Default::default());
                            dispatch.dispatch(Action::LayersReady {
                                run: *run,
                                explorer: Rc::new(explorer),
                            });
                        }
                    }
                    rt.pool = Some(pool);
                }
            },
        );
    }

    // A registry image's layers are downloaded when a view needs them (once per image: after
    // the user stops the download, it stays stopped).
    {
        let dispatch = state.dispatcher();
        let needs = matches!(state.route.view, View::Layers | View::Waste | View::Compare);
        let image = session
            .as_ref()
            .filter(|s| s.image.format == strata_core::ArchiveFormat::Registry)
            .map(|s| s.image.id().to_string());
        let idle = !state.scan_wanted;
        let started_for = use_mut_ref(|| None::<String>);
        use_effect_with((needs, image, idle), move |(needs, image, idle)| {
            if *needs && *idle && image.is_some() && *started_for.borrow() != *image {
                *started_for.borrow_mut() = image.clone();
                dispatch.dispatch(Action::WantScan(true));
            }
        });
    }

    // File contents for the viewer.
    let reader = {
        let runtime = runtime.clone();
        let layers = state.layers.clone();
        let session = session.clone();
        Reader(Callback::from(move |job: ReadJob| {
            let (LayersState::Ready(explorer), Some(session)) = (&layers, &session) else {
                return job
                    .reply
                    .emit(Err(browser_error("The layers are not read yet.", "")));
            };
            let mut rt = runtime.borrow_mut();
            if matches!(rt.source, Some(Source::Snapshot)) {
                return job.reply.emit(Err(browser_error(
                    "File contents are not in a snapshot: open the image itself to read them.",
                    "A snapshot holds the manifests, the config and every layer's file index, not the files' bytes.",
                )));
            }
            let (Some(source), Some(pool)) = (rt.source.clone(), rt.pool.clone()) else {
                return job
                    .reply
                    .emit(Err(browser_error("The archive is no longer open.", "")));
            };
            let layer = &session.image.layers[job.layer];
            let index = &explorer.analysis.tree.layers[job.layer];
            let (Some(blob), Some(entry)) = (layer.location, index.entries.get(job.entry)) else {
                return job.reply.emit(Err(browser_error(
                    "This file's layer is missing from the archive.",
                    "",
                )));
            };
            rt.next_job += 1;
            let id = rt.next_job;
            rt.reads.insert(id, job.reply.clone());
            let (attachment, registry, affinity) = job_source(&source, session, job.layer);
            let request = Request::ReadEntry {
                job: id,
                registry,
                blob,
                // What the scan found, not what a media type claimed.
                compression: explorer
                    .analysis
                    .scans
                    .get(job.layer)
                    .and_then(|s| s.as_ref().map(|s| s.compression))
                    .or(layer.compression)
                    .unwrap_or(strata_core::Compression::None),
                entry: *entry,
                sparse_map: index.sparse_map(job.entry).map(<[_]>::to_vec),
                offset: job.offset,
                len: job.len,
            };
            drop(rt);
            // The worker that scanned the layer still holds its downloaded windows.
            pool.submit(id, request, attachment, affinity);
        }))
    };

    // The route → the URL fragment (a new history entry when the view changes).
    {
        let route = state.route.clone();
        let last = use_mut_ref(|| route.clone());
        use_effect_with(route, move |route| {
            let push = last.borrow().view != route.view;
            browser::set_hash(&route.to_fragment(), push);
            *last.borrow_mut() = route.clone();
        });
    }
    // The URL fragment → the route (Back, Forward, a pasted link).
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |()| {
            let d2 = dispatch.clone();
            let popstate = Listener::window("popstate", move |_| {
                dispatch.dispatch(Action::Navigate(Route::parse(&browser::hash())))
            });
            // `hashchange` fires for fragments typed in the address bar.
            let hashchange = Listener::window("hashchange", move |_| {
                d2.dispatch(Action::Navigate(Route::parse(&browser::hash())))
            });
            move || {
                drop(popstate);
                drop(hashchange);
            }
        });
    }

    let navigate = {
        let dispatch = state.dispatcher();
        Callback::from(move |route: Route| dispatch.dispatch(Action::Navigate(route)))
    };
    let on_scan = {
        let dispatch = state.dispatcher();
        Callback::from(move |want: bool| dispatch.dispatch(Action::WantScan(want)))
    };

    // Keyboard: 1–7 switch views, `?` help, `t` theme, Escape closes overlays.
    {
        let (help, route, navigate, theme) = (
            help.clone(),
            state.route.clone(),
            navigate.clone(),
            theme.clone(),
        );
        let has_image = session.is_some();
        use_effect_with((route.clone(), has_image, *help, *theme), move |_| {
            let listener = Listener::window("keydown", move |e| {
                let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                if in_text_field(e) || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                match e.key().as_str() {
                    "?" => help.set(!*help),
                    "Escape" if *help => help.set(false),
                    "t" => {
                        let next = match *theme {
                            "system" => "dark",
                            "dark" => "light",
                            _ => "system",
                        };
                        browser::set_theme(next);
                        theme.set(next);
                    }
                    k if has_image && k.len() == 1 => {
                        if let Some(view) = View::ALL.into_iter().find(|v| v.key().to_string() == k)
                        {
                            e.prevent_default();
                            navigate.emit(Route {
                                view,
                                ..route.clone()
                            });
                        }
                    }
                    _ => {}
                }
            });
            move || drop(listener)
        });
    }

    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default(); // allows the drop
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element also fires dragleave: only the window edge counts.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let (dragging, open_file) = (dragging.clone(), open_file.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(file) = e
                .data_transfer()
                .and_then(|dt| dt.files())
                .and_then(|files| files.get(0))
            {
                open_file.emit(file);
            }
        })
    };
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |t: &'static str| {
            browser::set_theme(t);
            theme.set(t);
        })
    };

    let body = match &state.phase {
        Phase::Start => html! {
            <StartScreen on_file={open_file.clone()} tags={state.tags.clone()} wanted={state.wanted.clone()}
                samples={samples.clone()} on_sample={open_sample.clone()}
                on_registry={open_registry.clone()} on_list_tags={list_tags.clone()} />
        },
        Phase::Opening {
            file_name,
            done,
            total,
        } => html! {
            <ProgressPanel file_name={file_name.clone()} done={*done} total={*total} on_cancel={on_cancel.clone()} />
        },
        Phase::Failed { error, file_name } => html! {
            <ErrorPanel error={error.clone()} file_name={file_name.clone()} on_file={open_file.clone()}
                registry={state.route.registry.clone()} tags={state.tags.clone()}
                on_registry={open_registry.clone()} on_list_tags={list_tags.clone()} />
        },
        Phase::Ready(session) => html! {
            <ContextProvider<Reader> context={reader.clone()}>
                <ImagePage session={session.clone()} listing={listing.clone()} route={state.route.clone()}
                    layers={state.layers.clone()} on_navigate={navigate.clone()} on_pick_image={on_pick_image.clone()} on_scan={on_scan.clone()}
                    on_save_snapshot={on_save_snapshot.clone()} snapshot_saved={state.snapshot_saved.clone()} snapshot_saving={state.snapshot_saving}
                    compare={state.compare.clone()} on_compare_file={compare_file.clone()} on_compare_registry={compare_registry.clone()} />
            </ContextProvider<Reader>>
        },
    };

    html! {
        <div class={classes!("app", dragging.then_some("dragging"), state.route.present.then_some("presenter"))} {ondragover} {ondragleave} {ondrop}>
            <Header file_name={state.file_name().map(str::to_owned)} on_file={open_file}
                link={session.as_ref().map(|_| browser::link_for(&state.route.to_fragment()))}
                on_limits={{ let o = limits_open.clone(); Callback::from(move |()| o.set(true)) }} on_close={on_cancel}
                theme={*theme} on_theme={on_theme} on_help={{ let help = help.clone(); Callback::from(move |()| help.set(!*help)) }} />
            <main class="main">{ body }</main>
            if *limits_open {
                <crate::components::limits_panel::LimitsPanel limits={state.limits.clone()}
                    on_apply={{ let d = state.dispatcher(); Callback::from(move |l| d.dispatch(Action::SetLimits(l))) }}
                    on_close={{ let o = limits_open.clone(); Callback::from(move |()| o.set(false)) }} />
            }
            if *help {
                <HelpOverlay on_close={{ let help = help.clone(); Callback::from(move |()| help.set(false)) }} />
            }
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><p>{ "Drop the image archive to open it" }</p></div>
            }
        </div>
    }
}

/// What a pool job for `layer` carries: the `File` beside the message, or the registry blob;
/// and, for a registry, which worker should take it (the one that downloaded that layer keeps
/// its bytes for a while; a local file is as cheap to read from any worker).
fn job_source(
    source: &Source,
    session: &Session,
    layer: usize,
) -> (JsValue, Option<RegistryBlob>, Option<usize>) {
    match source {
        Source::File(file) => (JsValue::from(file.clone()), None, None),
        Source::Snapshot => (JsValue::NULL, None, None),
        Source::Registry(access) => (
            JsValue::NULL,
            Some(RegistryBlob {
                access: access.clone(),
                digest: session.image.layers[layer]
                    .digest
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            }),
            Some(layer),
        ),
    }
}
