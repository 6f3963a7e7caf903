//! The loader against simulated workers, natively: [`Sim`] plays the page's host and every
//! worker, answering requests with the engine over the committed tiny archives (made by umoci
//! and skopeo, `scripts/tiny-fixtures.sh`) and sending each answer through the wire's encoding
//! and decoding, as a real worker's would travel. Pool jobs wait until a test runs them, so
//! each step between "dropped" and "verified" can be looked at.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::protocol::{RegistryRequest, Request, Response};
use crate::state::{CompareState, LayersState, Phase};
use crate::worker::answers;
use std::cell::Cell;
use std::rc::Rc;
use strata_core::{
    Archive, ArchiveFormat, Error as CoreError, Image, LayerIdx, ManifestPick, MemorySource,
    ReadAt, Sha256Stream, load_image, open_archive,
};

const DOCKER: &[u8] = include_bytes!("../../crates/strata-core/tests/data/tiny.docker.tar");
const OCI: &[u8] = include_bytes!("../../crates/strata-core/tests/data/tiny.oci.tar");

/// A clock that moves 1 ms each time it is read.
struct Clock(Cell<f64>);

impl Env for Clock {
    fn now_ms(&self) -> f64 {
        self.0.set(self.0.get() + 1.0);
        self.0.get()
    }

    fn page_memory(&self) -> u64 {
        0
    }
}

/// How the simulated registry treats the page: whether it sends CORS headers, whether the
/// page came from strata serve (its proxy answers).
#[derive(Clone, Copy)]
struct Registry {
    cors: bool,
    proxy: bool,
}

struct Sim {
    loader: Loader,
    clock: Clock,
    /// The dropped file's bytes, and the comparison's.
    file: Vec<u8>,
    compare_file: Vec<u8>,
    registry: Registry,
    /// The main worker's open archive.
    main: Option<(Archive, MemorySource)>,
    alive: Vec<Worker>,
    /// Answers on their way to the page.
    inbox: Vec<(Worker, Response)>,
    later: Vec<Event>,
    /// Keep the page's later tasks here instead of running them (to look between them).
    hold_later: Option<Vec<Event>>,
    /// Events for after the page's next paint, and the pool's holds asked for (ms; 0 releases).
    unpainted: Vec<Event>,
    holds: Vec<u32>,
    /// Pool jobs not run yet.
    pool: Vec<(Request, Attach)>,
    /// Every request sent (for assertions), file read answers, marks.
    sent: Vec<(Worker, Request)>,
    replies: Vec<(
        u64,
        Result<crate::protocol::FileBytes, crate::protocol::ErrorInfo>,
    )>,
    marks: Vec<&'static str>,
    /// Pool jobs fail instead of hashing (a file that can no longer be read).
    hashes_fail: bool,
    /// The URLs the simulated registry was asked for by supply chain lookups.
    registry_asked: Vec<String>,
    /// Ranges the package worker read from the file (what the scans did not keep).
    package_reads: usize,
    /// The package worker's scans so far, and how many it was sent.
    package_input: Option<answers::PackageInput>,
    package_scans: usize,
}

impl Sim {
    fn new(fragment: &str) -> Sim {
        Sim::with_registry(
            fragment,
            Registry {
                cors: true,
                proxy: false,
            },
        )
    }

    /// A page at `fragment` whose registry behaves as `registry` says.
    fn with_registry(fragment: &str, registry: Registry) -> Sim {
        let setup = Setup {
            cores: 2,
            proxy: Some("http://127.0.0.1:8080/proxy".into()),
        };
        let mut sim = Sim {
            loader: Loader::new(Route::parse(fragment), setup),
            clock: Clock(Cell::new(0.0)),
            file: Vec::new(),
            compare_file: Vec::new(),
            registry,
            main: None,
            alive: Vec::new(),
            inbox: Vec::new(),
            later: Vec::new(),
            hold_later: None,
            unpainted: Vec::new(),
            holds: Vec::new(),
            pool: Vec::new(),
            sent: Vec::new(),
            replies: Vec::new(),
            marks: Vec::new(),
            hashes_fail: false,
            registry_asked: Vec::new(),
            package_reads: 0,
            package_input: None,
            package_scans: 0,
        };
        let outputs = sim.loader.start(&sim.clock);
        sim.run(outputs);
        sim
    }

    fn state(&self) -> &AppState {
        self.loader.state()
    }

    fn send(&mut self, event: Event) {
        let outputs = self.loader.handle(event, &self.clock);
        self.run(outputs);
    }

    /// Delivers answers until none are on their way (pool jobs stay queued).
    fn deliver(&mut self) {
        while !self.inbox.is_empty() {
            let (from, response) = self.inbox.remove(0);
            self.send(Event::Response { from, response });
        }
    }

    /// Runs the queued pool jobs (and what they lead to) until none are left.
    fn run_pool(&mut self) {
        self.deliver();
        while !self.pool.is_empty() {
            let jobs = std::mem::take(&mut self.pool);
            for (request, attach) in jobs {
                let response = self.pool_job(request, attach);
                self.answer(Worker::Pool, response);
            }
            self.deliver();
        }
    }

    /// The page paints.
    fn paint(&mut self) {
        for event in std::mem::take(&mut self.unpainted) {
            self.send(event);
        }
    }

    fn drop_file(&mut self, bytes: Vec<u8>, name: &str) {
        self.file = bytes;
        let size = self.file.len() as u64;
        self.send(Event::FileDropped {
            name: name.into(),
            size,
        });
        self.deliver();
    }

    /// An answer, as it arrives after crossing the wire.
    fn answer(&mut self, from: Worker, response: Response) {
        let (json, bytes) = crate::wire::encode_response(response);
        self.inbox
            .push((from, crate::wire::decode_response(&json, bytes)));
    }

    fn run(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Spawn { worker, .. } => {
                    self.alive.retain(|w| *w != worker);
                    self.alive.push(worker);
                    if worker == Worker::Pool {
                        self.pool.clear();
                    }
                }
                Output::Stop(worker) => {
                    self.alive.retain(|w| *w != worker);
                    self.inbox.retain(|(w, _)| *w != worker);
                    if worker == Worker::Pool {
                        self.pool.clear();
                    }
                }
                Output::Send {
                    worker,
                    request,
                    attach,
                } => {
                    assert!(self.alive.contains(&worker), "{worker:?} is not running");
                    self.sent.push((worker, request.clone()));
                    for response in self.worker_job(request, attach) {
                        self.answer(worker, response);
                    }
                }
                Output::Submit {
                    request, attach, ..
                } => {
                    assert!(self.alive.contains(&Worker::Pool), "no pool");
                    self.sent.push((Worker::Pool, request.clone()));
                    self.pool.push((request, attach));
                }
                Output::Reply { ticket, result } => self.replies.push((ticket, result)),
                Output::Mark(name) => self.marks.push(name),
                // After this batch, as the page's next task.
                Output::Later(event) => match &mut self.hold_later {
                    Some(held) => held.push(event),
                    None => self.later.push(event),
                },
                // Once the test says the page painted.
                Output::AfterPaint(event) => self.unpainted.push(event),
                Output::HoldPool { ms } => {
                    assert!(self.alive.contains(&Worker::Pool), "no pool to hold");
                    self.holds.push(ms);
                }
            }
        }
        for event in std::mem::take(&mut self.later) {
            self.send(event);
        }
    }

    /// What a main, comparison or tags worker answers.
    fn worker_job(&mut self, request: Request, attach: Attach) -> Vec<Response> {
        let limits = strata_core::Limits::default();
        match request {
            Request::Open { .. } => {
                let source = MemorySource::new(self.file.clone());
                let archive = match open_archive(&source, &limits, &mut |_| {}) {
                    Ok(a) => a,
                    Err(e) => return vec![failed(&e)],
                };
                let listing = answers::listing(&archive, "image.tar".into(), source.len());
                let loaded = answers::load(&archive, &source, &|| 0, 0, None, &limits);
                self.main = Some((archive, source));
                vec![Response::Opened { listing }, loaded]
            }
            Request::Load { image, manifest } => {
                let (archive, source) = self.main.as_ref().unwrap();
                vec![answers::load(
                    archive,
                    source,
                    &|| 0,
                    image,
                    manifest.as_deref(),
                    &limits,
                )]
            }
            Request::OpenRegistry { access, .. } => {
                let registry = self.registry;
                let result = crate::platform::registry_client::fallback(
                    &access,
                    |a| {
                        if a.via_proxy || registry.cors {
                            Ok(registry_image())
                        } else {
                            Err(CoreError::Network {
                                registry: "registry.example".into(),
                                detail: "the browser could not read its answer".into(),
                            })
                        }
                    },
                    &|_| registry.proxy,
                );
                // The registry's blobs are the archive's here: the pool reads them from it.
                self.file = OCI.to_vec();
                match result {
                    Ok((image, access)) => answers::registry_opened(image, access),
                    Err(error) => vec![Response::Failed { job: None, error }],
                }
            }
            Request::Analyse { image, .. } => {
                // The file the request carries: the compared one, or the open one.
                let bytes = match attach {
                    Attach::File => self.file.clone(),
                    _ => self.compare_file.clone(),
                };
                let source = MemorySource::new(bytes);
                let archive = open_archive(&source, &limits, &mut |_| {}).unwrap();
                let number = image.unwrap_or(0);
                let mut image = strata_core::load_image(
                    &archive,
                    &source,
                    number,
                    &strata_core::ManifestPick::Default,
                    &limits,
                )
                .unwrap();
                let analysis =
                    strata_core::scan_image(&mut image, &source, &limits, &mut |_, _, _| true)
                        .unwrap();
                let sizes: Vec<Option<u64>> =
                    image.layers.iter().map(|l| l.uncompressed_size).collect();
                let history = strata_core::history::history(&image, &sizes);
                let layers = image.layers.clone();
                let packages = strata_core::packages::analyse_packages(
                    &analysis.tree,
                    &history,
                    &limits,
                    &[],
                    &mut |l, r| {
                        strata_core::layer::content::read_ranges(
                            &source,
                            layers[l].location.unwrap(),
                            layers[l]
                                .compression
                                .unwrap_or(strata_core::Compression::None),
                            r,
                        )
                    },
                );
                let snapshot =
                    strata_core::snapshot::Snapshot::of("b.tar", "oci", &image, &analysis);
                vec![Response::Analysed {
                    snapshot: Box::new(snapshot),
                    images: answers::listing(&archive, "b.tar".into(), source.len()).images,
                    image: number,
                    packages: Some(Box::new(packages)),
                }]
            }
            Request::SupplyChain {
                lookup,
                image,
                registry,
                key,
                limits,
            } => {
                let main = self.main.as_ref();
                let asked = &mut self.registry_asked;
                vec![answers::supply_chain(
                    lookup,
                    key.as_deref(),
                    0,
                    |options| {
                        Ok(match registry {
                            // A registry without a Referrers API or any referrer or cosign tag, as
                            // Debian's docker-registry answers: 404 to each lookup.
                            Some(access) => {
                                let (reference, http) =
                                    strata_core::registry::parse_user_reference(&access.reference)
                                        .unwrap();
                                let base = strata_core::registry::RegistrySession::default_base(
                                    &reference, http,
                                );
                                let mut session = strata_core::registry::RegistrySession::new(
                                    reference, base, None,
                                );
                                strata_core::supply_chain::from_registry(
                                    &mut session,
                                    &image,
                                    options,
                                    &limits,
                                    &mut |r: &strata_core::registry::HttpRequest| {
                                        asked.push(r.url.clone());
                                        Ok(strata_core::registry::HttpResponse {
                                            status: 404,
                                            headers: Vec::new(),
                                            body: br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#
                                                .to_vec(),
                                        })
                                    },
                                )
                            }
                            None => {
                                let (archive, source) = main.unwrap();
                                answers::supply_chain_in_archive(
                                    archive, source, &image, options, &limits,
                                )
                            }
                        })
                    },
                )]
            }
            Request::Rehearse => {
                let (report, _) = crate::worker::warm_up::rehearse();
                assert!(report.final_packages().count() > 0);
                Vec::new()
            }
            request @ Request::PackageScan { .. } => {
                // As it crosses the wire: the scan travels beside the JSON.
                let request = crate::wire::decode_request(
                    &crate::wire::encode_request(&request),
                    crate::wire::received_bytes(&request),
                )
                .unwrap();
                let Request::PackageScan {
                    job,
                    layer,
                    layers,
                    expected,
                    scan,
                } = request
                else {
                    unreachable!()
                };
                self.package_scans += 1;
                answers::PackageInput::of_job(&mut self.package_input, job, layers, expected)
                    .add(layer, &scan);
                Vec::new()
            }
            Request::AnalysePackages {
                job,
                layers,
                history,
                limits,
                ..
            } => {
                let input =
                    answers::PackageInput::take_job(&mut self.package_input, job, layers.len());
                let source = MemorySource::new(self.file.clone());
                let mut reads = 0;
                let report = input.analyse(&history, &limits, &mut |l, c, r| {
                    reads += r.len();
                    let blob = layers[l].as_ref().unwrap().blob;
                    strata_core::layer::content::read_ranges(&source, blob, c, r)
                });
                self.package_reads += reads;
                match report {
                    Ok(report) => vec![Response::Packages {
                        job,
                        millis: 1.0,
                        memory: 0,
                        report: Box::new(report),
                    }],
                    Err(error) => vec![Response::Failed {
                        job: Some(job),
                        error,
                    }],
                }
            }
            Request::ListTags { .. } => vec![Response::Tags {
                repository: "registry.example/app".into(),
                tags: vec!["1".into(), "latest".into()],
            }],
            other => panic!("not a main worker's job: {other:?}"),
        }
    }

    /// What a pool worker answers.
    fn pool_job(&mut self, request: Request, attach: Attach) -> Response {
        let limits = strata_core::Limits::default();
        match request {
            Request::ScanBlob {
                job,
                layer,
                blob,
                registry,
                ..
            } => {
                let bytes = &self.file[blob.offset as usize..(blob.offset + blob.len) as usize];
                // A dropped file's uncompressed layers leave their digest for later; the
                // package databases are kept as they stream by.
                let mut scanner = strata_core::LayerScanner::new(None, &limits)
                    .capture(strata_core::packages::CAPTURE);
                if registry.is_none() {
                    scanner = scanner.defer_uncompressed_digest();
                }
                scanner.push(bytes);
                let (scan, kept) = scanner.finish_captured();
                Response::Scanned {
                    job,
                    layer,
                    millis: 1.0,
                    memory: 0,
                    scan: crate::protocol::ScanPayload::Made {
                        scan: Box::new(scan),
                        kept,
                    },
                }
            }
            Request::HashBlob { job, layer, blob } => {
                if self.hashes_fail {
                    return Response::Failed {
                        job: Some(job),
                        error: crate::protocol::browser_error("The file is gone.", ""),
                    };
                }
                let mut hash = Sha256Stream::new();
                hash.update(&self.file[blob.offset as usize..(blob.offset + blob.len) as usize]);
                Response::Hashed {
                    job,
                    layer,
                    digest: hash.finish(),
                    millis: 1.0,
                }
            }
            Request::ReadEntry { blob, .. } => {
                let bytes = match attach {
                    Attach::CompareFile => self.compare_file.clone(),
                    _ => self.file.clone(),
                };
                answers::read_entry(&MemorySource::new(bytes), blob, request)
            }
            other => panic!("not a pool job: {other:?}"),
        }
    }

    fn session(&self) -> Rc<Session> {
        self.state().session().cloned().unwrap_or_else(|| {
            panic!("no image open: {:?}", self.state().phase);
        })
    }

    fn explorer(&self) -> Rc<Explorer> {
        match &self.state().layers {
            LayersState::Ready(e) => e.clone(),
            other => panic!("the layers are not ready: {other:?}"),
        }
    }

    fn requests(&self, worker: Worker) -> Vec<&Request> {
        self.sent
            .iter()
            .filter(|(w, _)| *w == worker)
            .map(|(_, r)| r)
            .collect()
    }
}

fn failed(e: &CoreError) -> Response {
    Response::Failed {
        job: None,
        error: crate::protocol::ErrorInfo::from(e),
    }
}

fn open(source: &dyn ReadAt) -> (Archive, Image) {
    let limits = strata_core::Limits::default();
    let archive = open_archive(source, &limits, &mut |_| {}).unwrap();
    let image = load_image(&archive, source, 0, &ManifestPick::Default, &limits).unwrap();
    (archive, image)
}

/// The OCI fixture's image as a registry would give it.
fn registry_image() -> Image {
    let (_, mut image) = open(&MemorySource::new(OCI));
    image.format = ArchiveFormat::Registry;
    image
}

fn registry(reference: &str) -> RegistryRequest {
    RegistryRequest {
        reference: reference.into(),
        credentials: None,
        platform: None,
    }
}

/// The image ID of a fixture.
fn image_id(bytes: &[u8]) -> String {
    open(&MemorySource::new(bytes.to_vec())).1.id().to_string()
}

#[test]
fn drop_overview_layers_verified() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    // The overview is there before any layer is read.
    let session = sim.session();
    assert_eq!(session.listing.file_name, "image.tar");
    assert_eq!(
        sim.state().route.id.as_deref(),
        Some(session.image.id().as_str())
    );
    assert!(matches!(sim.state().layers, LayersState::Scanning { .. }));
    let n = session.image.layers.len();
    assert_eq!(sim.pool.len(), n, "one scan per layer");
    assert!(sim.marks.contains(&"strata:overview"));

    // The scans come in: the explorer opens on the indexes, the digests still to check.
    let scans = std::mem::take(&mut sim.pool);
    for (request, attach) in scans {
        let response = sim.pool_job(request, attach);
        sim.answer(Worker::Pool, response);
    }
    while !matches!(sim.state().layers, LayersState::Ready(_)) {
        let (from, response) = sim.inbox.remove(0);
        sim.send(Event::Response { from, response });
    }
    // The digests wait for the package report (the hashing would take its worker's cores).
    assert!(sim.pool.is_empty(), "hashing before the package report");
    assert!(matches!(
        sim.state().packages,
        crate::state::PackagesState::Reading
    ));
    sim.deliver();
    assert!(sim.state().packages.ready().is_some());
    let explorer = sim.explorer();
    assert_eq!(
        explorer.checking().len(),
        n,
        "uncompressed layers are hashed after"
    );
    assert_eq!(sim.pool.len(), n, "one HashBlob per layer");
    assert!(
        sim.pool
            .iter()
            .all(|(r, _)| matches!(r, Request::HashBlob { .. }))
    );
    assert!(sim.marks.contains(&"strata:layers-ready"));
    assert!(!sim.marks.contains(&"strata:verified"));

    // Hashed: every layer verified, nothing wrong.
    sim.run_pool();
    let explorer = sim.explorer();
    assert!(explorer.checking().is_empty());
    assert!(explorer.analysis.unverified().is_empty());
    assert!(
        explorer
            .analysis
            .diagnostics
            .iter()
            .all(|d| d.severity != strata_core::Severity::Error),
        "{:?}",
        explorer.analysis.diagnostics
    );
    assert_eq!(sim.marks.last(), Some(&"strata:verified"));
    for i in 0..n {
        assert_eq!(
            explorer.analysis.layer_status(i),
            strata_core::LayerStatus::Verified
        );
    }
}

#[test]
fn the_tree_and_its_reports_are_built_in_tasks_of_their_own() {
    let mut sim = Sim::new("");
    sim.hold_later = Some(Vec::new());
    // One step between looks at the clock, which ticks a millisecond a look: a slice is three
    // steps, so even this small image's tree and hints take more than one.
    sim.loader.slice = super::layers::Slice {
        ms: 3.0,
        steps_per_look: 1,
    };
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    sim.run_pool();
    let next = |sim: &mut Sim| {
        let held = std::mem::take(sim.hold_later.as_mut().unwrap());
        assert_eq!(held.len(), 1, "{held:?}");
        held.into_iter().next().unwrap()
    };
    // The indexes read a slice a task as they arrive, then the tree a slice a task, then its
    // reports in tasks of their own.
    let first = next(&mut sim);
    let Event::ScanDue { run } = first else {
        panic!("{first:?}")
    };
    // Sends a task again while it comes back as the next one (the layers still scanning
    // meanwhile): how many times, and the task after it.
    let repeat = |sim: &mut Sim, task: Event| {
        let again = format!("{task:?}");
        let mut times = 0;
        loop {
            assert!(matches!(sim.state().layers, LayersState::Scanning { .. }));
            sim.send(Event::ScanDue { run: 0 }); // a stale run's: does nothing
            sim.send(match task {
                Event::ScanDue { run } => Event::ScanDue { run },
                Event::TreeDue { run } => Event::TreeDue { run },
                ref other => panic!("{other:?}"),
            });
            times += 1;
            assert!(times < 100_000, "{again} is never done");
            let after = next(sim);
            if format!("{after:?}") != again {
                return (times, after);
            }
        }
    };
    let (reads, tree) = repeat(&mut sim, Event::ScanDue { run });
    assert!(reads >= 3, "{reads} reading slices");
    let Event::TreeDue { run } = tree else {
        panic!("{tree:?}")
    };
    let (slices, reports) = repeat(&mut sim, Event::TreeDue { run });
    assert!(slices >= 3, "{slices} slices");
    assert!(
        matches!(reports, Event::ReportDue { run: r } if r == run),
        "{reports:?}"
    );
    assert!(matches!(sim.state().layers, LayersState::Scanning { .. }));
    assert!(!sim.marks.contains(&"strata:layers-ready"));
    // Sent twice (as a stale task would be), the tree is built once and the reports too.
    sim.send(Event::TreeDue { run });
    assert_eq!(sim.hold_later.as_ref().map(Vec::len), Some(0));
    // The file hints a slice a task too; the layers are ready after the last.
    sim.send(reports);
    let mut report_slices = 1;
    while let Some(Event::ReportDue { run: r }) = sim.hold_later.as_mut().and_then(Vec::pop) {
        assert_eq!(r, run);
        assert!(!sim.marks.contains(&"strata:layers-ready"));
        sim.send(Event::ReportDue { run });
        report_slices += 1;
        assert!(report_slices < 1000, "the reports are never done");
    }
    // The hints, the waste and the guided walk's examples in slices of three steps (the
    // hints visit every path but the root, the waste every path, the examples at least one),
    // then the rest a task of its own.
    let explorer = sim.explorer();
    let paths = explorer.analysis.tree.paths.len();
    assert!(paths >= 6, "{paths} paths: too few to cut");
    let least = (paths - 1).div_ceil(3) + paths.div_ceil(3) + 1 + 1;
    assert!(
        report_slices >= least,
        "{report_slices} report slices for {paths} paths, not {least} or more"
    );
    // What the slices made is what one task makes.
    let mut whole = Sim::new("");
    whole.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    whole.run_pool();
    let once = whole.explorer();
    assert_eq!(explorer.hints, once.hints);
    assert_eq!(explorer.waste, once.waste);
    assert_eq!(explorer.examples, once.examples);
    assert_eq!(explorer.layers, once.layers);
    let last = explorer.analysis.tree.n_layers() - 1;
    assert_eq!(
        explorer.analysis.tree.merged(last),
        once.analysis.tree.merged(last)
    );
    assert_eq!(
        explorer.analysis.scans.len(),
        sim.session().image.layers.len()
    );
    assert!(explorer.stats.tree_millis >= 0.0);
    assert_eq!(
        sim.marks
            .iter()
            .filter(|m| **m == "strata:layers-ready")
            .count(),
        1
    );
    sim.send(Event::ReportDue { run });
    assert_eq!(
        sim.marks
            .iter()
            .filter(|m| **m == "strata:layers-ready")
            .count(),
        1
    );
}

#[test]
fn an_input_while_layers_are_read_holds_the_pool_until_the_page_has_painted() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    assert!(!sim.pool.is_empty(), "the scans are queued");
    sim.send(Event::UserInput);
    assert_eq!(sim.holds, [layers::HOLD_MS]);
    // More input before the paint: the hold stands, and one paint releases it.
    sim.send(Event::UserInput);
    assert_eq!(sim.holds, [layers::HOLD_MS]);
    sim.paint();
    assert_eq!(sim.holds, [layers::HOLD_MS, 0]);
    sim.paint();
    assert_eq!(sim.holds, [layers::HOLD_MS, 0], "released once");
    // A hold the page never said it painted after (a hidden tab) is over after HOLD_MS: the
    // next input holds again.
    sim.send(Event::UserInput);
    sim.unpainted.clear();
    sim.send(Event::UserInput);
    assert_eq!(sim.holds.len(), 3);
    let now = sim.clock.0.get();
    sim.clock.0.set(now + f64::from(layers::HOLD_MS));
    sim.send(Event::UserInput);
    assert_eq!(sim.holds.len(), 4);
    sim.paint();
    // Read and verified: nothing to hold.
    sim.run_pool();
    assert!(matches!(sim.state().layers, LayersState::Ready(_)));
    assert!(sim.explorer().checking().is_empty());
    let holds = sim.holds.clone();
    sim.send(Event::UserInput);
    assert_eq!(sim.holds, holds);
    assert!(sim.unpainted.is_empty());
}

#[test]
fn a_file_read_after_the_scan() {
    let mut sim = Sim::new("");
    sim.drop_file(OCI.to_vec(), "tiny.oci.tar");
    sim.run_pool();
    let (layer, entry) = first_file(&sim.explorer());
    sim.send(Event::Read {
        side: crate::protocol::Side::A,
        ticket: 9,
        layer: LayerIdx::new(layer),
        entry,
        offset: 0,
        len: None,
    });
    sim.run_pool();
    let (ticket, result) = sim.replies.pop().unwrap();
    assert_eq!(ticket, 9);
    let bytes = result.unwrap();
    assert_eq!(bytes.total, bytes.bytes.len() as u64);
    assert!(!bytes.bytes.is_empty());
}

#[test]
fn a_link_naming_this_image_opens_it() {
    let id = image_id(DOCKER);
    let mut sim = Sim::new(&format!("#/history?id={id}"));
    assert_eq!(
        sim.state().wanted.as_ref().map(|w| w.id.as_str()),
        Some(id.as_str())
    );
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    assert_eq!(sim.session().image.id().to_string(), id);
    assert_eq!(sim.state().wanted, None);
    assert_eq!(sim.state().route.view, crate::route::View::History);
}

#[test]
fn a_link_naming_another_image_retries_then_refuses() {
    let (_, image) = open(&MemorySource::new(DOCKER));
    let platform = image.manifest.digest.to_string();
    let other = format!("sha256:{}", "b".repeat(64));
    let mut sim = Sim::new(&format!(
        "#/overview?id={other}&image=0&platform={platform}"
    ));
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    // The default image is not it: the link's image and platform are loaded once more.
    let main = sim.requests(Worker::Main);
    assert!(
        matches!(main.last(), Some(Request::Load { image: 0, manifest: Some(m) }) if *m == platform),
        "{main:?}"
    );
    // That one is not it either: the archive is refused, saying which image the link wants.
    let Phase::Failed { error, .. } = &sim.state().phase else {
        panic!("not refused: {:?}", sim.state().phase)
    };
    assert_eq!(error.kind, "link-mismatch");
    assert!(
        error.summary.contains("sha256:bbbbbbbbbbbb"),
        "{}",
        error.summary
    );
    assert!(error.detail.contains(&image.id().to_string()));
    // The link still stands: the right archive dropped next is checked again, from the start.
    let wanted = sim.state().wanted.clone().unwrap();
    assert_eq!(
        (wanted.id.as_str(), wanted.retried),
        (other.as_str(), false)
    );
    assert!(sim.pool.is_empty(), "nothing is read of a refused archive");
}

#[test]
fn a_registry_without_cors_falls_back_to_the_proxy() {
    // The link opens the image at once; the direct attempt fails as CORS does.
    let mut sim = Sim::with_registry(
        "#/overview?ref=registry.example/app:1",
        Registry {
            cors: false,
            proxy: true,
        },
    );
    sim.deliver();
    let session = sim.session();
    assert_eq!(
        session.listing.format,
        "registry, through strata serve's proxy"
    );
    let pinned = sim.state().route.registry.clone().unwrap();
    assert!(pinned.contains("@sha256:"), "pinned: {pinned}");
    // A registry's layers are downloaded only when a view needs them, through the proxy.
    assert!(sim.pool.is_empty());
    assert!(!sim.state().scan_wanted);
    let route = Route {
        view: crate::route::View::Layers,
        ..sim.state().route.clone()
    };
    sim.send(Event::Navigate(route));
    assert!(!sim.pool.is_empty(), "the Layers view asks for the layers");
    for (request, _) in &sim.pool {
        let Request::ScanBlob {
            registry: Some(blob),
            ..
        } = request
        else {
            panic!("not a registry scan: {request:?}")
        };
        assert!(blob.access.via_proxy);
        assert_eq!(blob.access.reference, pinned);
    }
    sim.run_pool();
    assert!(
        sim.explorer().analysis.unverified().is_empty(),
        "hashed while scanning"
    );
    // Stopped, it stays stopped (for this image) when the view is visited again.
    sim.send(Event::WantScan(false));
    sim.send(Event::Navigate(Route {
        view: crate::route::View::Waste,
        ..sim.state().route.clone()
    }));
    assert!(!sim.state().scan_wanted);
}

#[test]
fn a_registry_without_cors_and_no_proxy_says_so() {
    let mut sim = Sim::new("");
    sim.registry = Registry {
        cors: false,
        proxy: false,
    };
    sim.send(Event::OpenRegistry(registry("registry.example/app:1")));
    sim.deliver();
    let Phase::Failed { error, .. } = &sim.state().phase else {
        panic!("not failed: {:?}", sim.state().phase)
    };
    assert_eq!(error.kind, "cors");
}

#[test]
fn a_registry_with_cors_is_read_directly() {
    let mut sim = Sim::new("");
    sim.send(Event::OpenRegistry(registry("registry.example/app:1")));
    sim.deliver();
    assert_eq!(sim.session().listing.format, "registry, directly");
}

#[test]
fn a_comparison() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "a.tar");
    sim.run_pool();
    sim.compare_file = OCI.to_vec();
    sim.send(Event::CompareFile {
        name: "b.tar".into(),
    });
    assert!(matches!(
        &sim.state().compare,
        CompareState::Loading { name, .. } if name == "b.tar"
    ));
    sim.deliver();
    let CompareState::Ready(comparison) = &sim.state().compare else {
        panic!("no comparison: {:?}", sim.state().compare)
    };
    // A local image is linked by its image ID (the link asks for the file).
    assert_eq!(comparison.link, image_id(OCI));
    assert_eq!(
        comparison.explorer.analysis.tree.layers.len(),
        comparison.session.image.layers.len()
    );
    // The diff is made by the state, once, when both sides are read.
    let diff = sim.state().compare_diff.clone().unwrap();
    assert!(
        !diff.diff.shared_layers.is_empty(),
        "the same layers, in two formats"
    );
    sim.send(Event::Navigate(sim.state().route.clone()));
    assert!(Rc::ptr_eq(
        &diff,
        sim.state().compare_diff.as_ref().unwrap()
    ));
    // A new image drops the comparison.
    sim.drop_file(OCI.to_vec(), "b.tar");
    assert_eq!(sim.state().compare, CompareState::Idle);
}

/// The first regular file with content in an image's layers.
fn first_file(explorer: &Explorer) -> (usize, usize) {
    explorer
        .analysis
        .tree
        .layers
        .iter()
        .enumerate()
        .find_map(|(l, index)| {
            index
                .entries
                .iter()
                .position(|e| e.kind == strata_core::tar::EntryKind::File && e.size > 0)
                .map(|e| (l, e))
        })
        .unwrap()
}

#[test]
fn b_files_are_read_from_b_and_b_can_be_another_image_of_the_open_archive() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "a.tar");
    sim.run_pool();
    sim.compare_file = OCI.to_vec();
    sim.send(Event::CompareFile {
        name: "b.tar".into(),
    });
    sim.deliver();
    let CompareState::Ready(b) = sim.state().compare.clone() else {
        panic!("no comparison: {:?}", sim.state().compare)
    };
    assert_eq!((b.image, b.within), (0, false));
    assert_eq!(b.images.len(), 1);
    // A file of B comes from B's file (the pool gets the compared file beside the job).
    let (layer, entry) = first_file(&b.explorer);
    sim.send(Event::Read {
        side: crate::protocol::Side::B,
        ticket: 4,
        layer: LayerIdx::new(layer),
        entry,
        offset: 0,
        len: None,
    });
    sim.run_pool();
    let (ticket, result) = sim.replies.pop().unwrap();
    assert_eq!(ticket, 4);
    let bytes = result.unwrap();
    let found = &b.explorer.analysis.tree.layers[layer].entries[entry];
    assert_eq!(bytes.total, found.size);
    // The same image of the open archive as B: read from the open file, image 0.
    sim.send(Event::CompareWithin { image: 0 });
    let sent = sim.requests(Worker::Compare);
    assert!(matches!(
        sent.last(),
        Some(Request::Analyse { image: Some(0), .. })
    ));
    sim.deliver();
    let CompareState::Ready(within) = sim.state().compare.clone() else {
        panic!("no comparison: {:?}", sim.state().compare)
    };
    assert!(within.within);
    assert_eq!(within.session.image.id(), sim.session().image.id());
    // Picking another image of B's archive asks for it.
    sim.send(Event::ComparePick {
        image: 0,
        platform: None,
    });
    assert_eq!(sim.requests(Worker::Compare).len(), 3);
}

#[test]
fn a_scan_that_arrives_damaged_fails_its_run_and_says_where() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    sim.deliver();
    let (request, _) = sim.pool.remove(0);
    let Request::ScanBlob { job, layer, .. } = request else {
        panic!("{request:?}")
    };
    // A path table of five names whose bytes stop after two.
    let bytes = vec![5, b'a', b'b'];
    sim.inbox.push((
        Worker::Pool,
        Response::Scanned {
            job,
            layer,
            millis: 1.0,
            memory: 0,
            scan: crate::protocol::ScanPayload::Arrived(crate::protocol::Arrived::new(bytes)),
        },
    ));
    sim.run_pool();
    let LayersState::Failed(error) = &sim.state().layers else {
        panic!("{:?}", sim.state().layers)
    };
    assert!(error.summary.contains("arrived damaged"), "{error:?}");
    assert!(error.detail.contains("at byte 0"), "{error:?}");
    assert!(!sim.marks.contains(&"strata:layers-ready"));
}

#[test]
fn a_damaged_layer_is_shown_not_hidden() {
    let (_, image) = open(&MemorySource::new(DOCKER));
    let blob = image.layers[0].location.unwrap();
    let mut damaged = DOCKER.to_vec();
    // A byte of the first file's content (after its 512-byte header): the tar still reads.
    let at = (blob.offset + 512 + 1) as usize;
    damaged[at] ^= 0x20;
    let mut sim = Sim::new("");
    sim.drop_file(damaged, "damaged.tar");
    sim.run_pool();
    let explorer = sim.explorer();
    let about_layer_1: Vec<_> = explorer
        .analysis
        .diagnostics
        .iter()
        .filter(|d| d.layer == Some(LayerIdx::new(0)))
        .collect();
    assert!(
        about_layer_1
            .iter()
            .any(|d| d.severity == strata_core::Severity::Error),
        "{:?}",
        explorer.analysis.diagnostics
    );
    assert!(matches!(
        explorer.analysis.layer_status(0),
        strata_core::LayerStatus::Damaged(_)
    ));
    assert_eq!(
        explorer.analysis.layer_status(1),
        strata_core::LayerStatus::Verified
    );
    // The rest of the image still shows.
    assert!(explorer.analysis.tree.layers.len() >= 2);
}

#[test]
fn a_digest_that_cannot_be_checked_is_said() {
    let mut sim = Sim::new("");
    sim.hashes_fail = true;
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    sim.run_pool();
    let explorer = sim.explorer();
    assert!(explorer.checking().is_empty(), "no longer checking");
    assert!(matches!(
        explorer.analysis.layer_status(0),
        strata_core::LayerStatus::Unchecked(_)
    ));
}

#[test]
fn cancel_stops_every_worker_and_forgets_the_link() {
    let id = image_id(DOCKER);
    let mut sim = Sim::new(&format!("#/overview?id={id}"));
    sim.drop_file(DOCKER.to_vec(), "tiny.docker.tar");
    sim.send(Event::Cancel);
    assert_eq!(sim.state().phase, Phase::Start);
    assert!(!sim.alive.contains(&Worker::Main) && !sim.alive.contains(&Worker::Pool));
    assert!(sim.pool.is_empty());
    assert_eq!(sim.state().wanted, None);
}

#[test]
fn tags_are_listed_by_a_worker_of_their_own() {
    let mut sim = Sim::new("");
    sim.send(Event::ListTags(registry("registry.example/app")));
    sim.deliver();
    assert!(matches!(
        &sim.state().tags,
        crate::state::TagsState::Ready { tags, .. } if tags.len() == 2
    ));
}

/// A PEM public key from the engine's committed vectors (made by OpenSSL through Python's
/// cryptography, `scripts/supply-chain-vectors.py`).
fn vector_key(name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../crates/strata-core/src/analysis/supply_chain/testdata/vectors.json"
    ))
    .unwrap();
    v[name].as_str().unwrap().to_owned()
}

fn supply_chain_requests(sim: &Sim) -> Vec<(Option<String>, bool)> {
    sim.requests(Worker::Main)
        .into_iter()
        .filter_map(|r| match r {
            Request::SupplyChain { key, registry, .. } => Some((key.clone(), registry.is_some())),
            _ => None,
        })
        .collect()
}

fn supply_chain_report(sim: &Sim) -> Rc<strata_core::supply_chain::SupplyChain> {
    match &sim.state().supply_chain.status {
        crate::state::LookupStatus::Ready(r) => r.clone(),
        other => panic!("no supply chain report: {other:?}"),
    }
}

#[test]
fn an_archive_s_supply_chain_is_looked_up_with_the_image_and_again_with_a_key() {
    let mut sim = Sim::new("");
    sim.drop_file(OCI.to_vec(), "tiny.oci.tar");
    // Local: looked up when the image arrives (the overview's badge), once.
    assert_eq!(supply_chain_requests(&sim), [(None, false)]);
    let report = supply_chain_report(&sim);
    assert_eq!(
        report.subjects[0].digest,
        sim.session().image.manifest.digest
    );
    assert_eq!(report.badge.label(), "unsigned");
    assert!(report.key.is_none());
    sim.send(Event::Navigate(Route {
        view: View::SupplyChain,
        ..Route::default()
    }));
    assert_eq!(supply_chain_requests(&sim).len(), 1, "looked up again");
    // A key: looked up again, verifying with it; nothing here is signed with it.
    let pem = vector_key("ecdsa_pub");
    sim.send(Event::SupplyChainKey(Some(pem.clone())));
    assert!(sim.loader.supply_chain_looking());
    sim.deliver();
    assert_eq!(supply_chain_requests(&sim)[1], (Some(pem), false));
    let report = supply_chain_report(&sim);
    assert_eq!(report.key.as_ref().unwrap().algorithm, "ECDSA P-256");
    assert!(matches!(
        report.key_outcome(),
        Some(strata_core::supply_chain::KeyOutcome::Failed(_))
    ));
    // Not a key: the lookup is made without it, and the page is told why.
    sim.send(Event::SupplyChainKey(Some("not a key".into())));
    sim.deliver();
    assert!(supply_chain_report(&sim).key.is_none());
    assert!(sim.state().supply_chain.key_error.is_some());
    // An answer to an older lookup is moot.
    let current = sim.state().supply_chain.clone();
    sim.send(Event::Response {
        from: Worker::Main,
        response: Response::SupplyChain {
            lookup: 1,
            result: Err(crate::protocol::browser_error("stale", "")),
            key_error: None,
        },
    });
    assert_eq!(sim.state().supply_chain, current);
}

#[test]
fn a_registry_image_s_supply_chain_waits_for_its_view() {
    let mut sim = Sim::new("#/overview?ref=registry.example/app:1");
    sim.deliver();
    sim.session();
    // The overview asks the registry for nothing more than the image.
    assert!(supply_chain_requests(&sim).is_empty());
    assert_eq!(
        sim.state().supply_chain.status,
        crate::state::LookupStatus::Idle
    );
    let route = sim.state().route.clone();
    sim.send(Event::Navigate(Route {
        view: View::SupplyChain,
        ..route.clone()
    }));
    sim.deliver();
    assert_eq!(supply_chain_requests(&sim), [(None, true)]);
    let report = supply_chain_report(&sim);
    // The Referrers API, its tag schema, cosign's three tags: for the one manifest digest.
    let digest = sim.session().image.manifest.digest.to_string();
    let hex = digest.trim_start_matches("sha256:");
    assert_eq!(
        sim.registry_asked,
        [
            format!("https://registry.example/v2/app/referrers/{digest}"),
            format!("https://registry.example/v2/app/manifests/sha256-{hex}"),
            format!("https://registry.example/v2/app/manifests/sha256-{hex}.sig"),
            format!("https://registry.example/v2/app/manifests/sha256-{hex}.att"),
            format!("https://registry.example/v2/app/manifests/sha256-{hex}.sbom"),
        ]
    );
    assert_eq!(report.badge.label(), "unsigned");
    assert_eq!(report.repository.as_deref(), Some("registry.example/app"));
    // Leaving the view and coming back asks nothing again.
    sim.send(Event::Navigate(Route {
        view: View::Overview,
        ..route.clone()
    }));
    sim.send(Event::Navigate(Route {
        view: View::SupplyChain,
        ..route
    }));
    assert_eq!(supply_chain_requests(&sim).len(), 1);
}

#[test]
fn each_registry_image_opened_in_the_supply_chain_view_is_looked_up() {
    // Opening another registry image from a link while the view is open: the new image (which
    // may even sit where the last one was freed) is looked up; its manifest digest is the same
    // here, as it is for copies of one image pushed to several repositories.
    let mut sim = Sim::new("#/supply-chain?ref=registry.example/app:1");
    sim.deliver();
    sim.session();
    assert_eq!(supply_chain_requests(&sim), [(None, true)]);
    for (n, repo) in ["signed", "flipped", "keyless"].iter().enumerate() {
        sim.send(Event::Navigate(Route::parse(&format!(
            "#/supply-chain?ref=registry.example/{repo}:1"
        ))));
        sim.deliver();
        assert_eq!(supply_chain_requests(&sim).len(), n + 2, "{repo} looked up");
        let report = supply_chain_report(&sim);
        assert_eq!(
            report.repository.as_deref(),
            Some(format!("registry.example/{repo}").as_str())
        );
    }
}

#[test]
fn a_registry_image_s_sboms_are_looked_up_when_the_packages_view_opens() {
    // The Packages view sets the image's SBOMs beside its own list, so it asks too (the
    // overview still does not).
    let mut sim = Sim::new("#/overview?ref=registry.example/app:1");
    sim.deliver();
    sim.session();
    assert!(supply_chain_requests(&sim).is_empty());
    let route = sim.state().route.clone();
    sim.send(Event::Navigate(Route {
        view: View::Packages,
        ..route
    }));
    sim.deliver();
    assert_eq!(supply_chain_requests(&sim), [(None, true)]);
}

/// A layer tar of `(path, content, mode)` entries (a path ending in `/` is a directory).
fn layer_tar(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(<[u8]>::len(data) as u64);
        h.set_mode(*mode);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256Stream::new();
    h.update(bytes);
    h.finish()
        .to_string()
        .trim_start_matches("sha256:")
        .to_owned()
}

/// A docker-archive (`docker save`'s layout) of layers made by the steps named beside them.
fn docker_archive(layers: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|(_, t)| format!("sha256:{}", sha256_hex(t)))
        .collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|(by, _)| serde_json::json!({ "created": "2024-01-01T00:00:00Z", "created_by": by }))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    }))
    .unwrap();
    let config_name = format!("{}.json", sha256_hex(&config));
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": config_name,
        "RepoTags": ["pkgs:1"],
        "Layers": names,
    }]))
    .unwrap();
    let mut files: Vec<(&str, &[u8], u32)> = vec![
        ("manifest.json", &manifest, 0o644),
        (&config_name, &config, 0o644),
    ];
    for (name, (_, t)) in names.iter().zip(layers) {
        files.push((name, t, 0o644));
    }
    layer_tar(&files)
}

const STATUS_AB: &[u8] = b"Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nInstalled-Size: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2.0\nArchitecture: all\n\n";
const STATUS_A: &[u8] =
    b"Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nInstalled-Size: 1\n\n";

/// Two dpkg packages installed, one removed by the next layer, which also drops in an
/// executable no package owns.
fn package_image() -> Vec<u8> {
    docker_archive(&[
        (
            "RUN dpkg -i a.deb b.deb",
            layer_tar(&[
                ("usr/bin/a", b"#!/bin/sh\necho a\n", 0o755),
                ("usr/share/b/data", b"b's data", 0o644),
                ("var/lib/dpkg/status", STATUS_AB, 0o644),
                ("var/lib/dpkg/info/a.list", b"/usr/bin/a\n", 0o644),
                (
                    "var/lib/dpkg/info/b.list",
                    b"/usr/share/b\n/usr/share/b/data\n",
                    0o644,
                ),
            ]),
        ),
        (
            "RUN dpkg -r b && curl -o /usr/local/bin/tool …",
            layer_tar(&[
                ("usr/local/bin/tool", b"#!/bin/sh\necho tool\n", 0o755),
                ("usr/share/b/.wh.data", b"", 0o644),
                ("var/lib/dpkg/status", STATUS_A, 0o644),
                ("var/lib/dpkg/info/.wh.b.list", b"", 0o644),
            ]),
        ),
    ])
}

#[test]
fn packages_are_read_in_a_worker_of_their_own_from_the_scans() {
    use crate::state::PackagesState;
    use strata_core::package_view::{OwnerLine, owner_line};
    let mut sim = Sim::new("");
    sim.drop_file(package_image(), "pkgs.tar");
    sim.run_pool();
    // To a worker of its own: every layer's scan as it arrived, then one job.
    let jobs = sim.requests(Worker::Packages);
    assert_eq!(jobs.len(), 3);
    let scanned: Vec<(usize, usize, usize)> = jobs[..2]
        .iter()
        .map(|r| match r {
            Request::PackageScan {
                layer,
                layers,
                expected,
                ..
            } => (layer.get(), *layers, *expected),
            other => panic!("{other:?}"),
        })
        .collect();
    let mut scanned = scanned;
    scanned.sort_unstable();
    assert_eq!(scanned, [(0, 2, 2), (1, 2, 2)]);
    assert_eq!(sim.package_scans, 2);
    let Request::AnalysePackages { layers, .. } = jobs[2] else {
        panic!("{:?}", jobs[2])
    };
    assert_eq!(layers.len(), 2);
    assert!(sim.marks.contains(&"strata:packages-ready"));
    assert!(
        !sim.alive.contains(&Worker::Packages),
        "stopped once answered: its memory goes with it"
    );
    // Every database was kept by the scans: nothing was read again.
    assert_eq!(sim.package_reads, 0);
    let PackagesState::Ready(p) = sim.state().packages.clone() else {
        panic!("{:?}", sim.state().packages)
    };
    let r = &p.report;
    let finals: Vec<&str> = r
        .final_packages()
        .map(|(_, p)| p.package.name.as_str())
        .collect();
    assert_eq!(finals, ["a"]);
    let b = r.packages.iter().find(|p| p.package.name == "b").unwrap();
    assert_eq!((b.layer, b.removed_in), (1, Some(2)));
    let badges: Vec<Option<&str>> = p
        .badges
        .iter()
        .map(|b| b.as_ref().map(|b| b.text.as_str()))
        .collect();
    assert_eq!(badges, [Some("+2 deb"), Some("\u{2212}1")]);
    // Owners are looked up in the page's own tree: the worker built the same one.
    let explorer = sim.explorer();
    let tree = &explorer.analysis.tree;
    let at = |path: &str| owner_line(r, tree, tree.paths.lookup(path).unwrap(), 1);
    assert!(
        matches!(at("usr/bin/a"), Some(OwnerLine::Package { ref text, layer: 1, .. }) if text == "a:amd64 1.0 (deb)"),
        "{:?}",
        at("usr/bin/a")
    );
    assert_eq!(
        at("usr/local/bin/tool"),
        Some(OwnerLine::Unowned {
            layer: 2,
            step: Some("RUN dpkg -r b && curl -o /usr/local/bin/tool …".into()),
            itself: None,
        })
    );
    let codes: Vec<&str> = r.hints.iter().map(|h| h.code.as_str()).collect();
    assert_eq!(codes, ["package-removed-later", "unowned-executables"]);
    // A new image stops the analysis and forgets the last one's packages.
    sim.drop_file(OCI.to_vec(), "tiny.oci.tar");
    assert_eq!(sim.state().packages, PackagesState::Idle);
    sim.run_pool();
    let PackagesState::Ready(p) = sim.state().packages.clone() else {
        panic!("{:?}", sim.state().packages)
    };
    assert_eq!(p.report.final_packages().count(), 0);
}

#[test]
fn the_package_worker_rehearses_while_a_big_image_s_layers_are_read_with_a_core_free() {
    use crate::state::PackagesState;
    // 64 MiB stored: about a second of reading on two cores.
    let big = vec![7u8; 64 << 20];
    let archive = docker_archive(&[("RUN make", layer_tar(&[("data.bin", &big, 0o644)]))]);
    let mut sim = Sim::new("");
    sim.drop_file(archive, "big.tar");
    sim.run_pool();
    let jobs = sim.requests(Worker::Packages);
    assert!(matches!(jobs[0], Request::Rehearse), "{jobs:?}");
    assert_eq!(jobs.len(), 3, "the rehearsal, the one scan, the analysis");
    assert!(matches!(sim.state().packages, PackagesState::Ready(_)));
    // As big in two layers, on two cores: every core scans, the rehearsal would slow them.
    let half = vec![7u8; 32 << 20];
    let archive = docker_archive(&[
        ("RUN make", layer_tar(&[("a.bin", &half, 0o644)])),
        ("RUN make more", layer_tar(&[("b.bin", &half, 0o644)])),
    ]);
    let mut sim = Sim::new("");
    sim.drop_file(archive, "two.tar");
    sim.run_pool();
    let jobs = sim.requests(Worker::Packages);
    assert!(
        !jobs.iter().any(|r| matches!(r, Request::Rehearse)),
        "{jobs:?}"
    );
    assert!(matches!(sim.state().packages, PackagesState::Ready(_)));
    // Nor is a small image (packages_are_read_in_a_worker_of_their_own_from_the_scans counts
    // its package worker's requests).
}

#[test]
fn a_comparison_brings_its_packages() {
    let mut sim = Sim::new("");
    sim.drop_file(DOCKER.to_vec(), "a.tar");
    sim.run_pool();
    sim.compare_file = package_image();
    sim.send(Event::CompareFile {
        name: "b.tar".into(),
    });
    sim.deliver();
    let CompareState::Ready(c) = &sim.state().compare else {
        panic!("{:?}", sim.state().compare)
    };
    let b = c.packages.clone().unwrap();
    let a = sim.state().packages.ready().cloned().unwrap();
    let d = strata_core::packages::compare(&a.report, &b);
    let added: Vec<&str> = d.added.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(added, ["a"]);
}
