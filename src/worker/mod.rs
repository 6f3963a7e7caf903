//! The Web Worker's library side (`src/bin/worker.rs` only calls [`start`]): it reads the
//! dropped `File` by range with `FileReaderSync` (or streams it), runs the engine, and posts
//! owned results back to the page through [`crate::wire`]. Heavy work happens here so the page
//! never freezes; the page cancels work by terminating the worker.
//!
//! One worker opens the archive and resolves images (and keeps them), or opens an image from a
//! registry, and looks up the open image's supply chain when the page asks; the others of the
//! pool only scan layers and read files, each request carrying the `File` (or the registry
//! blob) and where to read. A pool worker keeps the registry blobs it read last, so opening a
//! file after its layer was scanned costs no download. Scans keep the package databases as
//! they stream by (`packages::CAPTURE`); one more worker gets each scan as it arrives on the
//! page (`PackageScan`: decoded then, the tree built when the last is in) and runs the package
//! analysis (`AnalysePackages`), reading the rest by range.
use crate::platform::blob_source::BlobSource;
use crate::platform::registry_client::{self, BlobReader};
use crate::protocol::{
    Arrived, ErrorInfo, RegistryBlob, Request, Response, ScanPayload, browser_error,
};
use crate::wire;
use std::cell::RefCell;
use std::rc::Rc;
use strata_core::layer::scan::Captured;
use strata_core::{Archive, Limits, ManifestPick, load_image, open_archive};
use strata_core::{BlobLocation, ReadAt};

pub mod answers;
pub mod warm_up;
use strata_core::LayerIdx;

/// Bytes of downloaded windows a worker keeps per registry blob, and blobs kept.
const BLOB_CACHE_BUDGET: u64 = 48 << 20;
const BLOBS_KEPT: usize = 4;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// What the worker keeps between requests: the open archive.
#[derive(Default)]
struct State {
    source: Option<BlobSource>,
    archive: Option<Archive>,
    limits: Limits,
    /// Registry blobs read lately (digest, reader), most recent last.
    blobs: Vec<(strata_core::Digest, Rc<BlobReader>)>,
    /// In the package worker: the scans of its job so far.
    packages: Option<answers::PackageInput>,
}

/// Where a pool job reads: the dropped file, or a registry blob (offsets from 0).
enum JobSource {
    File(BlobSource),
    Registry(Rc<BlobReader>),
}

impl JobSource {
    fn source(&self) -> &dyn ReadAt {
        match self {
            JobSource::File(f) => f,
            JobSource::Registry(r) => &**r,
        }
    }

    /// Where the blob is in this source.
    fn place(&self, blob: BlobLocation) -> BlobLocation {
        match self {
            JobSource::File(_) => blob,
            JobSource::Registry(_) => BlobLocation {
                offset: 0,
                len: blob.len,
            },
        }
    }
}

fn job_source(
    state: &mut State,
    registry: Option<RegistryBlob>,
    attachment: Option<JsValue>,
    blob: BlobLocation,
) -> Result<JobSource, ErrorInfo> {
    let Some(registry) = registry else {
        return file_source(attachment).map(JobSource::File);
    };
    if let Some(i) = state.blobs.iter().position(|(d, _)| *d == registry.digest) {
        let kept = state.blobs.remove(i);
        let reader = kept.1.clone();
        state.blobs.push(kept);
        return Ok(JobSource::Registry(reader));
    }
    let reader = Rc::new(registry_client::blob_reader(
        &registry,
        blob.len,
        BLOB_CACHE_BUDGET,
    )?);
    if state.blobs.len() >= BLOBS_KEPT {
        state.blobs.remove(0);
    }
    state.blobs.push((registry.digest.clone(), reader.clone()));
    Ok(JobSource::Registry(reader))
}

struct Post {
    scope: DedicatedWorkerGlobalScope,
}

impl Post {
    fn send(&self, r: Response) {
        wire::post_response(&self.scope, r);
    }
}

pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(State::default()));
    let post = Rc::new(Post {
        scope: scope.clone(),
    });
    let on_message = {
        let post = post.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(
            move |event: MessageEvent| match wire::read_request(&event.data()) {
                (Ok(request), attachment) => {
                    handle(&mut state.borrow_mut(), request, attachment, &post)
                }
                (Err(error), _) => post.send(Response::Failed { job: None, error }),
            },
        )
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // lives as long as the worker
    post.send(Response::Ready);
}

thread_local! {
    /// Until when this worker's job pauses between reads (the page's clock differs: only
    /// this worker's own is compared with it).
    static HELD_UNTIL: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// How often a held job looks whether its hold was released (ms).
const HOLD_POLL_MS: f64 = 5.0;

/// Waits while the page holds this worker ([`Request::Hold`]).
async fn while_held() {
    loop {
        let left = HELD_UNTIL.with(|h| h.get()) - now_ms();
        if left <= 0.0 {
            return;
        }
        sleep(left.min(HOLD_POLL_MS)).await;
    }
}

async fn sleep(ms: f64) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ =
            scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.ceil() as i32);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn now_ms() -> f64 {
    js_sys::global()
        .unchecked_into::<DedicatedWorkerGlobalScope>()
        .performance()
        .map_or(0.0, |p| p.now())
}

/// The value, or `None` after telling the page that job `job` failed.
fn or_fail<T>(post: &Post, job: u64, result: Result<T, ErrorInfo>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(error) => {
            post.send(Response::Failed {
                job: Some(job),
                error,
            });
            None
        }
    }
}

/// The `File` (a `Blob`) a request carries beside its message.
fn attached_blob(attachment: Option<JsValue>) -> Result<web_sys::Blob, ErrorInfo> {
    attachment
        .and_then(|a| a.dyn_into::<web_sys::Blob>().ok())
        .ok_or_else(|| browser_error("No file was given to read.", "a request without its File"))
}

fn file_source(attachment: Option<JsValue>) -> Result<BlobSource, ErrorInfo> {
    let blob = attached_blob(attachment)?;
    BlobSource::new(blob).map_err(|e| browser_error("The browser could not read the file.", e.0))
}

fn handle(state: &mut State, request: Request, attachment: Option<JsValue>, post: &Rc<Post>) {
    match request {
        Request::Hold { ms } => {
            let until = if ms == 0 {
                0.0
            } else {
                now_ms() + f64::from(ms)
            };
            HELD_UNTIL.with(|h| h.set(until));
        }
        Request::Open { limits } => {
            let source = match file_source(attachment.clone()) {
                Ok(s) => s,
                Err(error) => return post.send(Response::Failed { job: None, error }),
            };
            let file_name = attachment
                .and_then(|a| a.dyn_into::<web_sys::File>().ok())
                .map(|f| f.name())
                .unwrap_or_default();
            state.limits = limits;
            let total = strata_core::ReadAt::len(&source);
            // A snapshot file: decompress it here (bounded) and hand the page its bytes.
            let mut head = [0u8; 16];
            let n = source.read_at(0, &mut head).unwrap_or(0);
            if strata_core::snapshot::is_snapshot(&head[..n]) {
                return open_snapshot(&source, total, post);
            }
            let mut last = 0.0;
            let mut progress = |done: u64| {
                let t = now_ms();
                if t - last > 50.0 || done == total {
                    last = t;
                    post.send(Response::Progress { done, total });
                }
            };
            let archive = match open_archive(&source, &state.limits, &mut progress) {
                Ok(a) => a,
                Err(e) => {
                    return post.send(Response::Failed {
                        job: None,
                        error: ErrorInfo::from(&e),
                    });
                }
            };
            let listing = answers::listing(&archive, file_name, total);
            post.send(Response::Opened { listing });
            state.source = Some(source);
            state.archive = Some(archive);
            load(state, 0, None, post);
        }
        Request::Load { image, manifest } => load(state, image, manifest, post),
        Request::OpenRegistry {
            access,
            manifest,
            limits,
        } => open_registry(state, &access, manifest.as_deref(), limits, post),
        Request::Analyse {
            registry,
            limits,
            image,
            platform,
            want_id,
        } => analyse(
            registry,
            attachment,
            &limits,
            Pick {
                image,
                platform,
                want_id,
            },
            post,
        ),
        Request::SupplyChain {
            lookup,
            mut image,
            registry,
            key,
            limits,
        } => {
            image.restore_config();
            let response =
                answers::supply_chain(lookup, key.as_deref(), registry_client::now(), |options| {
                    match (&registry, &state.source, &state.archive) {
                        (Some(access), _, _) => {
                            registry_client::supply_chain(access, &image, options, &limits)
                        }
                        (None, Some(source), Some(archive)) => {
                            Ok(answers::supply_chain_in_archive(
                                archive, source, &image, options, &limits,
                            ))
                        }
                        _ => Err(browser_error(
                            "No archive is open to look in.",
                            "SupplyChain before Open",
                        )),
                    }
                });
            post.send(response);
        }
        Request::PackageScan {
            job,
            layer,
            layers,
            expected,
            scan,
        } => {
            answers::PackageInput::of_job(&mut state.packages, job, layers, expected)
                .add(layer, &scan);
        }
        Request::Rehearse => {
            std::hint::black_box(warm_up::rehearse());
        }
        Request::RehearseScan => {
            std::hint::black_box(warm_up::rehearse_scan());
        }
        Request::AnalysePackages {
            job,
            layers,
            history,
            limits,
            registry,
        } => {
            let input = answers::PackageInput::take_job(&mut state.packages, job, layers.len());
            let started = now_ms();
            let file = match &registry {
                Some(_) => None,
                None => match file_source(attachment) {
                    Ok(f) => Some(f),
                    Err(error) => {
                        return post.send(Response::Failed {
                            job: Some(job),
                            error,
                        });
                    }
                },
            };
            let mut read = package_reader(&layers, file.as_ref(), registry.as_ref());
            match input.analyse(&history, &limits, &mut read) {
                Ok(report) => post.send(Response::Packages {
                    job,
                    millis: now_ms() - started,
                    memory: crate::platform::browser::wasm_memory(),
                    report: Box::new(report),
                }),
                Err(error) => post.send(Response::Failed {
                    job: Some(job),
                    error,
                }),
            }
        }
        Request::CompressSnapshot { body } => post.send(
            match strata_core::snapshot::compress(body.here().unwrap_or_default()) {
                Ok(bytes) => Response::SnapshotFile {
                    bytes: Arrived::new(bytes),
                },
                Err(e) => Response::Failed {
                    job: None,
                    error: ErrorInfo::from(&e),
                },
            },
        ),
        Request::ListTags { access } => match registry_client::tags(&access) {
            Ok((repository, tags)) => post.send(Response::Tags { repository, tags }),
            Err(error) => post.send(Response::Failed { job: None, error }),
        },
        Request::ScanBlob {
            job,
            layer,
            blob,
            limits,
            registry,
        } => {
            // A dropped file streams: `Blob.stream()` reads ~4x faster than FileReaderSync.
            if registry.is_none() {
                let Some(blob_ref) = or_fail(post, job, attached_blob(attachment)) else {
                    return;
                };
                let post = post.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    scan_streamed(blob_ref, job, layer, blob, limits, &post).await;
                });
                return;
            }
            let Some(source) = or_fail(post, job, job_source(state, registry, attachment, blob))
            else {
                return;
            };
            let started = now_ms();
            let mut report = scan_progress(post, job, layer, blob.len);
            let mut progress = |done: u64| {
                report(done);
                true
            };
            let at = source.place(blob);
            let result = strata_core::layer::scan::scan_layer_capturing(
                source.source(),
                at.offset,
                at.len,
                &limits,
                Some(strata_core::packages::CAPTURE),
                &mut progress,
            );
            send_scan(post, job, layer, started, result);
        }
        Request::HashBlob { job, layer, blob } => {
            let Some(file) = or_fail(post, job, attached_blob(attachment)) else {
                return;
            };
            let post = post.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let started = now_ms();
                let mut hash = strata_core::Sha256Stream::new();
                match stream_blob(&file, blob, &mut |_, chunk| hash.update(chunk)).await {
                    Ok(()) => post.send(Response::Hashed {
                        job,
                        layer,
                        digest: hash.finish(),
                        millis: now_ms() - started,
                    }),
                    Err(e) => post.send(Response::Failed {
                        job: Some(job),
                        error: ErrorInfo::from(&e),
                    }),
                }
            });
        }
        Request::ReadEntry {
            job,
            ref registry,
            blob,
            ..
        } => {
            let Some(source) = or_fail(
                post,
                job,
                job_source(state, registry.clone(), attachment, blob),
            ) else {
                return;
            };
            post.send(answers::read_entry(
                source.source(),
                source.place(blob),
                request,
            ));
        }
    }
}

/// How the package worker reads ranges of a layer's files: from the dropped file, or from a
/// registry blob (the last one's downloaded windows kept, as the analysis asks layer by
/// layer).
fn package_reader<'a>(
    layers: &'a [Option<crate::protocol::PackageLayer>],
    file: Option<&'a BlobSource>,
    registry: Option<&'a crate::protocol::RegistryAccess>,
) -> impl FnMut(
    usize,
    strata_core::Compression,
    &[strata_core::layer::content::RangeRequest],
) -> Vec<Result<Vec<u8>, strata_core::Error>>
+ 'a {
    let mut last: Option<(usize, Rc<BlobReader>)> = None;
    move |layer, compression, ranges| {
        let fail = |detail: String| -> Vec<Result<Vec<u8>, strata_core::Error>> {
            ranges
                .iter()
                .map(|_| {
                    Err(strata_core::Error::Invalid {
                        what: format!("layer {}", layer + 1),
                        detail: detail.clone(),
                    })
                })
                .collect()
        };
        let Some(Some(l)) = layers.get(layer) else {
            return fail("its blob is missing from the archive".into());
        };
        if let Some(f) = file {
            return strata_core::layer::content::read_ranges(f, l.blob, compression, ranges);
        }
        let (Some(access), Some(digest)) = (registry, l.digest.clone()) else {
            return fail("its blob has no digest to fetch it by".into());
        };
        let reader = match &last {
            Some((n, r)) if *n == layer => r.clone(),
            _ => {
                let blob = RegistryBlob {
                    access: access.clone(),
                    digest,
                };
                match registry_client::blob_reader(&blob, l.blob.len, BLOB_CACHE_BUDGET) {
                    Ok(r) => {
                        let r = Rc::new(r);
                        last = Some((layer, r.clone()));
                        r
                    }
                    Err(e) => return fail(format!("{} ({})", e.summary, e.detail)),
                }
            }
        };
        let at = BlobLocation {
            offset: 0,
            len: l.blob.len,
        };
        strata_core::layer::content::read_ranges(&*reader, at, compression, ranges)
    }
}

/// Reports a layer's bytes read to the page, at most every 100 ms.
fn scan_progress(post: &Post, job: u64, layer: LayerIdx, total: u64) -> impl FnMut(u64) + '_ {
    let mut last = 0.0;
    move |done| {
        let t = now_ms();
        if t - last > 100.0 {
            last = t;
            post.send(Response::ScanProgress {
                job,
                layer,
                done,
                total,
            });
        }
    }
}

/// Posts a layer's scan (its index and the files it kept as postcard bytes beside the
/// message) or its failure.
fn send_scan(
    post: &Post,
    job: u64,
    layer: LayerIdx,
    started: f64,
    result: Result<(strata_core::LayerScan, Vec<Captured>), strata_core::Error>,
) {
    match result {
        Ok((scan, kept)) => post.send(Response::Scanned {
            job,
            layer,
            millis: now_ms() - started,
            memory: crate::platform::browser::wasm_memory(),
            scan: ScanPayload::Made {
                scan: Box::new(scan),
                kept,
            },
        }),
        Err(e) => post.send(Response::Failed {
            job: Some(job),
            error: ErrorInfo::from(&e),
        }),
    }
}

/// Scans one layer of a dropped file by streaming its bytes (`Blob.slice().stream()` with a
/// BYOB reader into one reused buffer) through the engine's push scanner. Measured here:
/// 1 GB streams in ~0.6 s, where 4 MiB FileReaderSync reads take ~2.3 s.
async fn scan_streamed(
    file: web_sys::Blob,
    job: u64,
    layer: LayerIdx,
    blob: BlobLocation,
    limits: Limits,
    post: &Post,
) {
    let started = now_ms();
    let result = stream_into_scanner(&file, job, layer, blob, &limits, post).await;
    send_scan(post, job, layer, started, result);
}

async fn stream_into_scanner(
    file: &web_sys::Blob,
    job: u64,
    layer: LayerIdx,
    blob: BlobLocation,
    limits: &Limits,
    post: &Post,
) -> Result<(strata_core::LayerScan, Vec<Captured>), strata_core::Error> {
    // The index first: an uncompressed layer's one hash is left for a `HashBlob` job. The
    // package databases are kept as they stream by.
    let mut scanner = strata_core::LayerScanner::new(None, limits)
        .expecting(blob.len)
        .defer_uncompressed_digest()
        .capture(strata_core::packages::CAPTURE);
    let mut report = scan_progress(post, job, layer, blob.len);
    stream_blob(file, blob, &mut |done, chunk| {
        scanner.push(chunk);
        report(done);
    })
    .await?;
    Ok(scanner.finish_captured())
}

/// Streams the blob's bytes out of the file (`Blob.slice().stream()` with a BYOB reader
/// into one reused buffer) to `each(bytes so far, chunk)`. Fails when the file ends early.
async fn stream_blob(
    file: &web_sys::Blob,
    blob: BlobLocation,
    each: &mut dyn FnMut(u64, &[u8]),
) -> Result<(), strata_core::Error> {
    let end = blob.offset + blob.len;
    let js = |e: JsValue| strata_core::Error::Source {
        offset: blob.offset,
        len: blob.len,
        message: crate::platform::blob_source::js_text(&e),
    };
    let stream = file
        .slice_with_f64_and_f64(blob.offset as f64, end as f64)
        .map_err(js)?
        .stream();
    let reader = web_sys::ReadableStreamByobReader::new(&stream).map_err(js)?;
    let mut buffer = js_sys::ArrayBuffer::new(STREAM_CHUNK);
    let mut chunk = vec![0u8; STREAM_CHUNK as usize];
    let mut done = 0u64;
    while done < blob.len {
        while_held().await;
        let view = js_sys::Uint8Array::new(&buffer);
        let read = wasm_bindgen_futures::JsFuture::from(reader.read_with_array_buffer_view(&view))
            .await
            .map_err(js)?;
        let finished = js_sys::Reflect::get(&read, &"done".into())
            .map_err(js)?
            .is_truthy();
        let value = js_sys::Reflect::get(&read, &"value".into()).map_err(js)?;
        let Ok(bytes) = value.dyn_into::<js_sys::Uint8Array>() else {
            break;
        };
        // The read transferred the buffer: the next read reuses the new one.
        buffer = bytes.buffer();
        let n = bytes.length() as usize;
        if n > 0 {
            bytes.copy_to(&mut chunk[..n]);
            done += n as u64;
            each(done, &chunk[..n]);
        }
        if finished {
            break;
        }
    }
    if done < blob.len {
        return Err(strata_core::Error::Source {
            offset: blob.offset + done,
            len: blob.len - done,
            message: "the file ended before the layer did".into(),
        });
    }
    Ok(())
}

/// Bytes asked of the stream per read. A hold ([`Request::Hold`]) takes effect between reads,
/// so a read's work is how late it can be: ~5 ms for 1 MiB of a tar, ~20 ms of a gzip's. Read
/// in one worker here, 1 GB took 830-1070 ms in 1 MiB reads and 890-970 ms in 4 MiB ones (256
/// KiB: 900-1390 ms); the worker's memory is 3 MiB smaller.
const STREAM_CHUNK: u32 = 1 << 20;

/// Opens an image (the default one and platform) and reads every layer here, then sends it
/// as a snapshot: the other side of a comparison.
/// Which image a comparison reads: see `Request::Analyse`.
struct Pick {
    image: Option<usize>,
    platform: Option<String>,
    want_id: Option<String>,
}

fn analyse(
    registry: Option<crate::protocol::RegistryAccess>,
    attachment: Option<JsValue>,
    limits: &Limits,
    pick: Pick,
    post: &Post,
) {
    let fail = |error: ErrorInfo| post.send(Response::Failed { job: None, error });
    let mut last = 0.0;
    let mut progress = |done: u64, total: u64| {
        let t = now_ms();
        if t - last > 100.0 || done == total {
            last = t;
            post.send(Response::Progress { done, total });
        }
    };
    let manifest = match pick.platform.as_deref().map(strata_core::Digest::parse) {
        None => ManifestPick::Default,
        Some(Ok(d)) => ManifestPick::Digest(d),
        Some(Err(e)) => {
            return fail(browser_error(
                "The platform asked for is not a digest.",
                e.to_string(),
            ));
        }
    };
    let (name, format, mut image, source, images, number): (
        String,
        String,
        strata_core::Image,
        Box<dyn ReadAt>,
        Vec<crate::protocol::ListedImage>,
        usize,
    ) = match registry {
        Some(access) => {
            let (opened, access) =
                match registry_client::open(&access, pick.platform.as_deref(), limits) {
                    Ok(v) => v,
                    Err(e) => return fail(e),
                };
            let reader = match registry_client::image_reader(&access, opened.blobs, 64 << 20) {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            let format = answers::registry_format(&access);
            let listed = crate::protocol::ListedImage {
                label: access.reference.clone(),
                names: vec![access.reference.clone()],
                digest: Some(opened.image.manifest.digest.to_string()),
                layers: Vec::new(),
            };
            (
                access.reference.clone(),
                format.to_owned(),
                opened.image,
                Box::new(reader),
                vec![listed],
                0,
            )
        }
        None => {
            let name = attachment
                .clone()
                .and_then(|a| a.dyn_into::<web_sys::File>().ok())
                .map(|f| f.name())
                .unwrap_or_default();
            let source = match file_source(attachment) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let total = source.len();
            let archive = match open_archive(&source, limits, &mut |d| progress(d, total)) {
                Ok(a) => a,
                Err(e) => return fail(ErrorInfo::from(&e)),
            };
            // The image the link names, where it is in this archive; else the one asked.
            let by_id = pick.want_id.as_deref().and_then(|id| {
                (0..archive.images.len()).find(|&n| {
                    load_image(&archive, &source, n, &ManifestPick::Default, limits)
                        .is_ok_and(|i| i.id().as_str() == id)
                })
            });
            let number = pick.image.or(by_id).unwrap_or(0);
            let image = match load_image(&archive, &source, number, &manifest, limits) {
                Ok(i) => i,
                Err(e) => return fail(ErrorInfo::from(&e)),
            };
            let images = answers::listing(&archive, name.clone(), total).images;
            (
                name,
                archive.format.label().to_owned(),
                image,
                Box::new(source),
                images,
                number,
            )
        }
    };
    let totals: Vec<u64> = image
        .layers
        .iter()
        .map(|l| l.location.map_or(0, |l| l.len))
        .collect();
    let all: u64 = totals.iter().sum();
    let result = strata_core::scan_image_capturing(
        &mut image,
        source.as_ref(),
        limits,
        Some(strata_core::packages::CAPTURE),
        &mut |layer, done, _| {
            let before: u64 = totals[..layer.min(totals.len())].iter().sum();
            progress(before + done, all);
            true
        },
    );
    let (analysis, captured) = match result {
        Ok(a) => a,
        Err(e) => return fail(ErrorInfo::from(&e)),
    };
    // Its packages too, for the comparison's package section.
    let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.uncompressed_size).collect();
    let history = strata_core::history::history(&image, &sizes);
    let layers = &image.layers;
    let packages = strata_core::packages::analyse_packages(
        &analysis.tree,
        &history,
        limits,
        &captured,
        &mut |layer, ranges| match layers.get(layer).and_then(|l| l.location) {
            Some(blob) => strata_core::layer::content::read_ranges(
                source.as_ref(),
                blob,
                analysis
                    .scans
                    .get(layer)
                    .and_then(|s| s.as_ref().map(|s| s.compression))
                    .unwrap_or(strata_core::Compression::None),
                ranges,
            ),
            None => ranges
                .iter()
                .map(|_| {
                    Err(strata_core::Error::Invalid {
                        what: format!("layer {}", layer + 1),
                        detail: "its blob is missing".into(),
                    })
                })
                .collect(),
        },
    );
    let snap = strata_core::snapshot::Snapshot::of(&name, &format, &image, &analysis);
    post.send(Response::Analysed {
        snapshot: Box::new(snap),
        images,
        image: number,
        packages: Some(Box::new(packages)),
    });
}

fn open_snapshot(source: &BlobSource, total: u64, post: &Post) {
    let fail = |e: strata_core::Error| {
        post.send(Response::Failed {
            job: None,
            error: ErrorInfo::from(&e),
        })
    };
    if total > strata_core::snapshot::MAX_FILE {
        return fail(strata_core::Error::Invalid {
            what: "the snapshot file".into(),
            detail: format!("it is {total} bytes; snapshots are far smaller"),
        });
    }
    let mut file = vec![0u8; total as usize];
    if let Err(e) = strata_core::source::read_exact_at(source, 0, &mut file, "the snapshot file") {
        return fail(e);
    }
    match strata_core::snapshot::decompress(&file, strata_core::snapshot::MAX_DECOMPRESSED) {
        Ok(bytes) => match strata_core::snapshot::from_postcard(&bytes) {
            Ok(snapshot) => post.send(Response::Snapshot {
                file_size: total,
                snapshot: Box::new(snapshot),
            }),
            Err(e) => fail(e),
        },
        Err(e) => fail(e),
    }
}

/// Opens a registry image: the manifest (through the index) and the config, no layer.
fn open_registry(
    state: &mut State,
    access: &crate::protocol::RegistryAccess,
    manifest: Option<&str>,
    limits: Limits,
    post: &Post,
) {
    state.limits = limits;
    let (opened, access) = match registry_client::open(access, manifest, &state.limits) {
        Ok(v) => v,
        Err(error) => return post.send(Response::Failed { job: None, error }),
    };
    for response in answers::registry_opened(opened.image, access) {
        post.send(response);
    }
}

fn load(state: &State, image_number: usize, manifest: Option<String>, post: &Post) {
    let (Some(source), Some(archive)) = (&state.source, &state.archive) else {
        return post.send(Response::Failed {
            job: None,
            error: browser_error("No archive is open.", "Load before Open"),
        });
    };
    post.send(answers::load(
        archive,
        source,
        &|| source.bytes_read(),
        image_number,
        manifest.as_deref(),
        &state.limits,
    ));
}
