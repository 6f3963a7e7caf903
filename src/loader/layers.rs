//! Reading an open image's layers: one pool job per present layer; when every scan is in, the
//! tree is built and shown; then the digests the scans left for later (uncompressed layers of
//! a dropped file) are checked, one `HashBlob` job each. File reads for the viewer go to the
//! same pool (a registry layer's to the worker that downloaded it).

use super::{Attach, Env, Job, Loader, Output, Source, Worker};
use crate::protocol::Side;
use crate::protocol::{
    Arrived, FileBytes, RegistryBlob, Request, Response, ScanPayload, browser_error,
};
use crate::state::{
    Action, CompareState, Comparison, Explorer, LayerStat, LayersState, Session, analyse_scans,
    explorer_with,
};
use crate::state::{Analysed, Walked};
use std::rc::Rc;
use strata_core::LayerIdx;
use strata_core::hints::{FileHints, Hint};
use strata_core::layer::content::StoredFile;
use strata_core::layer::{Progress, ScanReader, ScanWindow};
use strata_core::lessons::ExamplesWalk;
use strata_core::tree::{WasteReport, WasteWalk};

/// How the tree's build and its reports are cut into tasks of the page's: a million paths'
/// tree took 464-740 ms in one task, its file hints 277 ms, and the user could neither scroll
/// nor click meanwhile.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slice {
    /// How long a slice may hold the page's thread (ms).
    pub ms: f64,
    /// The steps between looks at the clock (a path interned, an entry applied or a path's
    /// hints a step).
    pub steps_per_look: usize,
}

impl Slice {
    /// Runs `work` (`steps_per_look` steps a call, true once done) until it is done or this
    /// slice, begun at `started`, is spent: whether it is done.
    fn run(&self, started: f64, env: &dyn Env, mut work: impl FnMut(usize) -> bool) -> bool {
        loop {
            if work(self.steps_per_look) {
                return true;
            }
            if env.now_ms() - started >= self.ms {
                return false;
            }
        }
    }
}

impl Default for Slice {
    /// [`super::SLICE_MS`], looking at the clock every few ms (in wasm).
    fn default() -> Self {
        Slice {
            ms: super::SLICE_MS,
            steps_per_look: 8192,
        }
    }
}

/// An image's reports on their way (a million paths took 310 ms in one task of the page's):
/// its file hints, its waste and the guided walk's examples, each a slice at a time, then the
/// rest and the explorer in a task of its own.
#[derive(Debug)]
pub(super) struct Reporting {
    run: u64,
    session: Rc<Session>,
    analysed: Analysed,
    stage: ReportStage,
    /// The time the tree and the reports took so far (ms).
    spent: f64,
}

#[derive(Debug)]
enum ReportStage {
    Hints(FileHints),
    Waste(Vec<Hint>, WasteWalk),
    Examples(Vec<Hint>, WasteReport, ExamplesWalk),
    Rest(Walked),
}

/// A layer's scan that arrived, being read from its bytes a slice at a time. Bytes still in
/// the JS buffer they came in are read through a window of a few MiB copied into the page's
/// memory, slid on as they are read: a million entries' scan is 58 MB, which the page held
/// whole beside the index it was reading out of it, its memory's peak.
#[derive(Debug)]
pub(super) struct Reading {
    layer: LayerIdx,
    reader: ScanReader,
    bytes: Arrived,
    /// The window on [`Arrived::Js`] bytes.
    window: ScanWindow,
    /// Whether the bytes went on to the package worker (which decodes them while the others
    /// are read): before they are read once they are all in the page's memory (a scan of up
    /// to a piece, in its first), else once read, as a JS buffer given away is gone.
    forwarded: bool,
}

/// How much more of a scan's JS buffer is copied into the window at a time (a few ms).
const COPY_PIECE: usize = 4 << 20;

impl Reading {
    pub(super) fn new(layer: LayerIdx, bytes: Arrived) -> Reading {
        Reading {
            layer,
            reader: ScanReader::new(),
            // Its length taken now: a JS buffer given away reads as empty.
            window: ScanWindow::new(bytes.len()),
            bytes,
            forwarded: false,
        }
    }

    /// Reads on for `budget` elements.
    fn work(&mut self, budget: usize) -> Result<Progress, strata_core::Error> {
        match &self.bytes {
            Arrived::Here(bytes) => Ok(match self.reader.work(bytes, budget)? {
                Some(scan) => Progress::Scan(Box::new(scan)),
                None => Progress::Budget,
            }),
            Arrived::Js(_) => self.reader.work_in(self.window.view(), budget),
        }
    }

    /// Whether all the scan's bytes are in the page's memory (then its JS buffer can go on to
    /// the package worker before it is read, as a small scan's does, in its first piece).
    fn holds_all(&self) -> bool {
        match &self.bytes {
            Arrived::Here(_) => true,
            Arrived::Js(_) => self.window.holds_all(),
        }
    }

    /// Lets go of the window's bytes that are read and copies the next piece in after the
    /// rest (a value longer than a piece, as the path names' bytes of a big layer are, widens
    /// the window a piece each time until it is in).
    fn slide(&mut self) {
        let Arrived::Js(array) = &self.bytes else {
            return;
        };
        self.window
            .slide(self.reader.consumed(), COPY_PIECE, |at, out| {
                array
                    .subarray(at as u32, (at + out.len()) as u32)
                    .copy_to(out);
            });
    }
}

/// What a pool job for a layer carries: the `File` beside the message, or the registry blob;
/// and, for a registry, which worker should take it (the one that downloaded that layer keeps
/// its bytes for a while; a local file is as cheap to read from any worker).
struct JobSource {
    attach: Attach,
    registry: Option<RegistryBlob>,
    affinity: Option<usize>,
}

/// The side a read is of, held while the request is made (later events may replace the state).
enum Held {
    A(Rc<Explorer>, Rc<Session>),
    B(Rc<Comparison>),
}

fn job_source(source: &Source, session: &Session, layer: LayerIdx) -> JobSource {
    match source {
        Source::File { .. } => JobSource {
            attach: Attach::File,
            registry: None,
            affinity: None,
        },
        Source::CompareFile => JobSource {
            attach: Attach::CompareFile,
            registry: None,
            affinity: None,
        },
        Source::Snapshot => JobSource {
            attach: Attach::Nothing,
            registry: None,
            affinity: None,
        },
        Source::Registry(access) => JobSource {
            attach: Attach::Nothing,
            registry: session.image.layers[layer.get()]
                .digest
                .clone()
                .map(|digest| RegistryBlob {
                    access: access.clone(),
                    digest,
                }),
            affinity: Some(layer.get()),
        },
    }
}

/// The longest a pool worker pauses for one input (ms), should the page not say it painted
/// (a hidden tab paints no frames).
pub(super) const HOLD_MS: u32 = 250;

/// Stored layer bytes from which the package worker rehearses its analysis while they are
/// read: ~1 s of reading, long enough for the rehearsal (200-250 ms in its own worker) to be
/// done before the last scan arrives.
const REHEARSE_FROM: u64 = 64 << 20;

impl Loader {
    /// The open image, the scan run or whether layers are wanted changed: start reading the
    /// layers, or stop.
    pub(super) fn on_scan_key(&mut self, env: &dyn Env) {
        self.stop_packages(); // of the run before
        if !self.state.scan_wanted {
            return self.stop_pool(); // terminates the scanning workers
        }
        let Some(session) = self.state.session().cloned() else {
            return;
        };
        let present: Vec<_> = session.image.layers.iter().map(|l| l.location).collect();
        self.run = self.state.scan_run;
        self.scans = vec![None; present.len()];
        self.reading.clear();
        self.building = None;
        self.hashes_due.clear();
        self.jobs.retain(|_, j| matches!(j, Job::Read { .. }));
        self.started = env.now_ms();
        self.stats = Default::default();
        // A registry's layers are downloads: at most max_concurrent_fetches at once.
        let remote = matches!(self.source, Some(Source::Registry(_)));
        let mut size = self.setup.cores.max(1).min(present.len().max(1));
        if remote {
            let fetches = usize::try_from(self.state.limits.max_concurrent_fetches).unwrap_or(1);
            size = size.min(fetches.max(1));
        }
        self.out.push(Output::Spawn {
            worker: Worker::Pool,
            size,
        });
        self.pool = true;
        self.held = None; // a new pool's workers are not held
        let Some(source) = self
            .source
            .clone()
            .filter(|s| !matches!(s, Source::Snapshot))
        else {
            return;
        };
        let run = self.run;
        self.spawn_packages();
        // The package worker is idle until the last scan is in: where that takes a while and a
        // core is free meanwhile, it rehearses the analysis (`worker::warm_up` says why and what
        // it saves). Free: a download waits on the network, and fewer layers than cores leave
        // one idle. Where every core scans, the rehearsal's CPU is the scan's: on the 1 GB image
        // of four layers, layers were ready in 1.56-2.07 s with it against 1.58-1.81 s without.
        let stored: u64 = present.iter().flatten().map(|l| l.len).sum();
        let blobs = present.iter().flatten().count();
        if stored >= REHEARSE_FROM && (remote || blobs < self.setup.cores) {
            self.out.push(Output::Send {
                worker: Worker::Packages,
                request: Request::Rehearse,
                attach: Attach::Nothing,
            });
        }
        self.next_job += 1;
        let expected = present.iter().flatten().count();
        self.package_scans = Some((self.next_job, present.len(), expected));
        self.apply(Action::ScanStarted {
            run,
            totals: present.iter().map(|l| l.map_or(0, |l| l.len)).collect(),
        });
        self.out.push(Output::Mark("strata:scan-start"));
        let mut submitted = 0;
        for (i, loc) in present.iter().enumerate() {
            let Some(blob) = loc else { continue };
            let layer = LayerIdx::new(i);
            let job = self.job(Job::Scan(layer));
            let from = job_source(&source, &session, layer);
            self.out.push(Output::Submit {
                request: Request::ScanBlob {
                    job,
                    layer,
                    blob: *blob,
                    limits: self.state.limits.clone(),
                    registry: from.registry,
                },
                attach: from.attach,
                affinity: from.affinity,
            });
            submitted += 1;
        }
        if submitted == 0 {
            let explorer = Self::explorer(env, &session, Vec::new(), 0.0, Default::default());
            let history = explorer.history.clone();
            self.apply(Action::LayersReady {
                run,
                explorer: Rc::new(explorer),
            });
            self.start_packages(&session, history, env);
        }
    }

    /// An input while the pool reads layers: its workers pause between reads until the page
    /// has painted what the input did ([`HOLD_MS`] at most), so the page's thread has a core.
    /// Again only once that hold is released or over.
    pub(super) fn hold_pool(&mut self, env: &dyn Env) {
        let now = env.now_ms();
        let reading = self.scans_waiting() + self.hashes_waiting() > 0;
        if !self.pool || !reading || self.held.is_some_and(|at| now - at < f64::from(HOLD_MS)) {
            return;
        }
        self.held = Some(now);
        self.out.push(Output::HoldPool { ms: HOLD_MS });
        self.out.push(Output::AfterPaint(super::Event::InputShown));
    }

    /// The page painted after the input: the pool goes on.
    pub(super) fn release_pool(&mut self) {
        if self.held.take().is_some() && self.pool {
            self.out.push(Output::HoldPool { ms: 0 });
        }
    }

    /// Scans still to come (a failed one never comes: its run is over).
    fn scans_waiting(&self) -> usize {
        self.jobs
            .values()
            .filter(|j| matches!(j, Job::Scan(_)))
            .count()
    }

    fn hashes_waiting(&self) -> usize {
        self.jobs
            .values()
            .filter(|j| matches!(j, Job::Hash(_)))
            .count()
    }

    pub(super) fn on_pool(&mut self, response: Response) {
        let run = self.run;
        match response {
            Response::ScanProgress { layer, done, .. } => {
                self.apply(Action::ScanProgress { run, layer, done })
            }
            Response::Scanned {
                job,
                layer,
                millis,
                memory,
                scan,
            } => {
                if self.jobs.remove(&job) != Some(Job::Scan(layer)) {
                    return; // not this run's
                }
                self.stats.layers.push(LayerStat {
                    layer: layer.number(),
                    millis,
                    ..Default::default()
                });
                self.stats.worker_memory_max = self.stats.worker_memory_max.max(memory);
                self.apply(Action::Scanned { run, layer });
                let bytes = match scan {
                    ScanPayload::Arrived(bytes) => bytes,
                    // Read already (not across a wire): nothing to decode, nothing to forward.
                    ScanPayload::Made { scan, .. } => {
                        if let Some(slot) = self.scans.get_mut(layer.get()) {
                            *slot = Some(*scan);
                        }
                        return self.scans_read();
                    }
                };
                if self.reading.is_empty() {
                    self.out.push(Output::Later(super::Event::ScanDue { run }));
                }
                self.reading.push_back(Reading::new(layer, bytes));
            }
            Response::Hashed {
                job, layer, digest, ..
            } => {
                self.jobs.remove(&job);
                self.apply(Action::Verified { run, layer, digest });
                if self.hashes_waiting() == 0 {
                    self.out.push(Output::Mark("strata:verified"));
                }
            }
            Response::Content {
                job,
                offset,
                total,
                bytes,
            } => {
                if let Some(Job::Read { ticket }) = self.jobs.remove(&job) {
                    self.out.push(Output::Reply {
                        ticket,
                        result: Ok(FileBytes {
                            bytes: Rc::new(bytes),
                            offset,
                            total,
                        }),
                    });
                }
            }
            Response::Failed { job, error } => match job.and_then(|j| self.jobs.get(&j).copied()) {
                Some(Job::Read { ticket }) => {
                    self.jobs.remove(&job.unwrap_or_default());
                    self.out.push(Output::Reply {
                        ticket,
                        result: Err(error),
                    });
                }
                Some(Job::Hash(layer)) => {
                    self.jobs.remove(&job.unwrap_or_default());
                    self.apply(Action::VerifyFailed { run, layer, error });
                }
                Some(Job::Scan(_)) | None => self.apply(Action::ScanFailed { run, error }),
            },
            _ => {}
        }
    }

    /// A slice of reading the scans that arrived ([`Slice`]), the next task's if any is left;
    /// the tree once every scan is read.
    pub(super) fn scan_due(&mut self, run: u64, env: &dyn Env) {
        if run != self.run {
            return; // an earlier run's task: its readings were dropped when this run began
        }
        let started = env.now_ms();
        while let Some(reading) = self.reading.front_mut() {
            if !reading.forwarded && reading.holds_all() {
                reading.forwarded = true;
                let (layer, bytes) = (reading.layer, reading.bytes.clone());
                self.forward_scan(layer, &bytes);
                continue; // `reading` was let go to send it: take it again
            }
            match reading.work(self.slice.steps_per_look) {
                Ok(Progress::Budget) => {}
                Ok(Progress::NeedBytes) => reading.slide(),
                Ok(Progress::Scan(scan)) => {
                    let Some(read) = self.reading.pop_front() else {
                        unreachable!("the front reading gave its scan")
                    };
                    if !read.forwarded {
                        // Its JS buffer, read to the end and whole: the package worker's now.
                        self.forward_scan(read.layer, &read.bytes);
                    }
                    if let Some(slot) = self.scans.get_mut(read.layer.get()) {
                        *slot = Some(*scan);
                    }
                }
                Err(e) => {
                    // The run is over, as when a worker fails: no tree is built from the rest.
                    self.reading.clear();
                    self.scans.clear();
                    return self.apply(Action::ScanFailed {
                        run,
                        error: browser_error(
                            "A layer's index arrived damaged from the worker.",
                            e.to_string(),
                        ),
                    });
                }
            }
            if !self.reading.is_empty() && env.now_ms() - started >= self.slice.ms {
                self.out.push(Output::Later(super::Event::ScanDue { run }));
                return;
            }
        }
        self.scans_read();
    }

    /// A layer's scan, unread, to the package worker, if it has the run's package job.
    fn forward_scan(&mut self, layer: LayerIdx, scan: &Arrived) {
        if let Some((job, layers, expected)) = self.package_scans
            && self.packages_worker
        {
            self.out.push(Output::Send {
                worker: Worker::Packages,
                request: Request::PackageScan {
                    job,
                    layer,
                    layers,
                    expected,
                    scan: scan.clone(),
                },
                attach: Attach::Nothing,
            });
        }
    }

    /// Whether every scan of the run is in and read.
    fn all_read(&self) -> bool {
        self.scans_waiting() == 0 && self.reading.is_empty()
    }

    /// Every scan that arrived is read: the tree, when none is still to come.
    fn scans_read(&mut self) {
        if self.all_read() {
            self.out
                .push(Output::Later(super::Event::TreeDue { run: self.run }));
        }
    }

    /// The tree of run `run`, when that run is still the one on and all its scans are in: a
    /// slice of it a task ([`Slice`]), then its reports (their file hints a slice a task too:
    /// [`Self::report_due`]).
    pub(super) fn tree_due(&mut self, run: u64, env: &dyn Env) {
        if run != self.run || !self.pool {
            return;
        }
        let started = env.now_ms();
        let (mut building, spent) = match self.building.take() {
            Some((of, session, building, spent)) if of == run => (building, (session, spent)),
            Some(_) | None => {
                // Taken by the build once started: a second TreeDue finds none.
                if self.scans.is_empty() || !self.all_read() {
                    return;
                }
                let Some(session) = self.state.session().cloned() else {
                    return;
                };
                let scans = std::mem::take(&mut self.scans);
                let millis = env.now_ms() - self.started;
                let stats = std::mem::take(&mut self.stats);
                (
                    analyse_scans(&session, scans, millis, stats),
                    (session, 0.0),
                )
            }
        };
        let (session, spent) = spent;
        if !self.slice.run(started, env, |steps| building.work(steps)) {
            let spent = spent + env.now_ms() - started;
            self.building = Some((run, session, building, spent));
            self.out.push(Output::Later(super::Event::TreeDue { run }));
            return;
        }
        let analysed = building.finish();
        let hints = FileHints::new(&analysed.analysis.tree);
        self.reporting = Some(Reporting {
            run,
            session,
            analysed,
            stage: ReportStage::Hints(hints),
            spent: spent + env.now_ms() - started,
        });
        self.out
            .push(Output::Later(super::Event::ReportDue { run }));
    }

    /// Every scan is in and the tree built: the reports, then the digests the scans left for
    /// later.
    pub(super) fn report_due(&mut self, run: u64, env: &dyn Env) {
        let Some(mut reporting) = self.reporting.take() else {
            return;
        };
        if reporting.run != run || run != self.run {
            return;
        }
        let started = env.now_ms();
        let tree = &reporting.analysed.analysis.tree;
        let next = match reporting.stage {
            // The file hints, the waste and the guided walk's examples each walk every path
            // (277, 34 and up to 86 ms for a million in wasm): a slice a task, as the tree was
            // built.
            ReportStage::Hints(mut hints) => {
                if self
                    .slice
                    .run(started, env, |steps| hints.work(tree, steps))
                {
                    ReportStage::Waste(hints.finish(tree), WasteWalk::new(tree))
                } else {
                    ReportStage::Hints(hints)
                }
            }
            ReportStage::Waste(found, mut walk) => {
                if self.slice.run(started, env, |steps| walk.work(tree, steps)) {
                    let waste = walk.finish(tree);
                    ReportStage::Examples(found, waste, ExamplesWalk::new(tree))
                } else {
                    ReportStage::Waste(found, walk)
                }
            }
            ReportStage::Examples(file_hints, waste, mut walk) => {
                if self.slice.run(started, env, |steps| walk.work(tree, steps)) {
                    ReportStage::Rest(Walked {
                        file_hints,
                        examples: walk.finish(tree, &waste),
                        waste,
                    })
                } else {
                    ReportStage::Examples(file_hints, waste, walk)
                }
            }
            ReportStage::Rest(walked) => {
                let Reporting {
                    session,
                    analysed,
                    spent,
                    ..
                } = reporting;
                return self.layers_ready(
                    session,
                    explorer_with(analysed, walked),
                    spent,
                    started,
                    env,
                );
            }
        };
        reporting.stage = next;
        reporting.spent += env.now_ms() - started;
        self.reporting = Some(reporting);
        self.out
            .push(Output::Later(super::Event::ReportDue { run }));
    }

    /// The explorer is made: show it, start the packages, then check the digests left for
    /// later.
    fn layers_ready(
        &mut self,
        session: Rc<Session>,
        explorer: Explorer,
        spent: f64,
        started: f64,
        env: &dyn Env,
    ) {
        let explorer = Self::timed(env, explorer, spent + env.now_ms() - started);
        self.out.push(Output::Mark("strata:layers-ready"));
        let unverified = explorer.analysis.unverified();
        let run = self.run;
        let history = explorer.history.clone();
        self.apply(Action::LayersReady {
            run,
            explorer: Rc::new(explorer),
        });
        // The packages, in a worker of their own, from the scans as they arrived.
        self.start_packages(&session, history, env);
        // The indexes are shown; now the digests their scans left for later: once the package
        // report is in, as the pool's hashing takes the package worker's cores (on two cores,
        // the 1 GB image's report came 86-129 ms after the layers instead of 50-52); the layers
        // say their digests are still to check meanwhile.
        if !self.pool || !matches!(self.source, Some(Source::File { .. })) {
            return;
        }
        self.hashes_due = unverified
            .into_iter()
            .filter_map(|i| Some((LayerIdx::new(i), session.image.layers[i].location?)))
            .collect();
        if self.packages.is_none() {
            self.submit_hashes();
        }
    }

    /// Hashes the layers whose digests are due (their scans left them for later).
    pub(super) fn submit_hashes(&mut self) {
        for (layer, blob) in std::mem::take(&mut self.hashes_due) {
            let job = self.job(Job::Hash(layer));
            self.out.push(Output::Submit {
                request: Request::HashBlob { job, layer, blob },
                attach: Attach::File,
                affinity: None,
            });
        }
    }

    /// File contents for the viewer, of the open image (A) or the one compared with (B).
    pub(super) fn read(
        &mut self,
        side: Side,
        ticket: u64,
        layer: LayerIdx,
        entry: usize,
        offset: u64,
        len: Option<u64>,
    ) {
        let fail = |summary: &str, detail: &str| Output::Reply {
            ticket,
            result: Err(browser_error(summary, detail)),
        };
        // Held for the read (the state may change under later events): A's explorer and
        // session, or B's comparison.
        let held = match side {
            Side::A => {
                let (LayersState::Ready(explorer), Some(session)) =
                    (&self.state.layers, self.state.session())
                else {
                    return self.out.push(fail("The layers are not read yet.", ""));
                };
                Held::A(explorer.clone(), session.clone())
            }
            Side::B => {
                let CompareState::Ready(b) = &self.state.compare else {
                    return self
                        .out
                        .push(fail("The image compared with is not read yet.", ""));
                };
                Held::B(b.clone())
            }
        };
        let (explorer, session): (&Explorer, &Session) = match &held {
            Held::A(e, s) => (e, s),
            Held::B(b) => (&b.explorer, &b.session),
        };
        let source = match side {
            Side::A => self.source.clone(),
            Side::B => self.compare_source.clone(),
        };
        if matches!(source, Some(Source::Snapshot)) {
            return self.out.push(fail(
                "File contents are not in a snapshot: open the image itself to read them.",
                "A snapshot holds the manifests, the config and every layer's file index, not the files' bytes.",
            ));
        }
        let Some(source) = source.filter(|_| self.pool) else {
            return self.out.push(fail("The archive is no longer open.", ""));
        };
        let i = layer.get();
        let (Some(image_layer), Some(index)) = (
            session.image.layers.get(i),
            explorer.analysis.tree.layers.get(i),
        ) else {
            return self
                .out
                .push(fail("This file's layer is missing from the archive.", ""));
        };
        let Some(blob) = image_layer.location.filter(|_| entry < index.entries.len()) else {
            return self
                .out
                .push(fail("This file's layer is missing from the archive.", ""));
        };
        let from = job_source(&source, session, layer);
        if matches!(source, Source::Registry(_)) && from.registry.is_none() {
            return self
                .out
                .push(fail("This file's layer has no digest to fetch it by.", ""));
        }
        let job = self.job(Job::Read { ticket });
        let request = Request::ReadEntry {
            job,
            registry: from.registry,
            blob,
            // What the scan found, not what a media type claimed.
            compression: explorer
                .analysis
                .scans
                .get(i)
                .and_then(|s| s.as_ref().map(|s| s.compression))
                .or(image_layer.compression)
                .unwrap_or(strata_core::Compression::None),
            file: StoredFile::of(index, entry),
            offset,
            len,
        };
        // The worker that scanned the layer still holds its downloaded windows.
        self.out.push(Output::Submit {
            request,
            attach: from.attach,
            affinity: from.affinity,
        });
    }
}
