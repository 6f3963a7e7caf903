//! The loader: everything that happens between "a file was dropped" (or a link, or a registry
//! reference) and the views, the supply chain lookup among them, as a plain state machine.
//! [`Event`]s go in (the user's, and the workers' [`Response`]s); [`Output`]s come out (workers to start, stop and give jobs, file
//! reads to answer, marks for the benchmark), and the page's [`AppState`] changes through its
//! reducer. It touches no browser API and reads no clock but the host's ([`Env`]), so it is
//! tested natively (`loader/tests.rs`); `hooks::use_loader` runs its outputs in the browser.
//!
//! Each fact has one owner: the page's state (listing, route, wanted image, run) is in
//! [`AppState`]; what only loading needs (where the bytes are, the jobs in flight and the scans
//! they brought) is here.

/// How long one slice of the page's long work (reading a scan, building the tree, its reports,
/// writing a snapshot) may hold the page's thread before it gives it back: under the 50 ms
/// that makes a frame long, with room for the frame itself.
pub const SLICE_MS: f64 = 25.0;

mod compare;
mod layers;
mod open;
mod packages;
mod supply_chain;
#[cfg(test)]
mod tests;

use crate::protocol::{
    ErrorInfo, FileBytes, JobId, RegistryAccess, RegistryRequest, Request, Response,
};
use crate::route::{Route, View};
use crate::state::{
    Action, Analysing, AppState, Explorer, ScanStats, Session, Wanted, build_explorer,
};
use std::collections::HashMap;
use strata_core::{LayerIdx, LayerScan, Limits};

/// What the loader needs of its host: the time and the page's memory (for the benchmark's
/// numbers), never anything else.
pub trait Env {
    fn now_ms(&self) -> f64;
    fn page_memory(&self) -> u64;
}

/// The workers the loader talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Worker {
    /// Opens the archive (or the registry image) and resolves images; keeps them.
    Main,
    /// Scans layers, hashes blobs and reads files, one job per worker at a time.
    Pool,
    /// Reads the other image of a comparison, whole.
    Compare,
    /// Lists a repository's tags for the registry form.
    Tags,
    /// Reads the open image's packages, once its layers are read.
    Packages,
}

/// What travels beside a request: nothing, the dropped file, or the comparison's file (the
/// host keeps the `File`s; the loader only says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    Nothing,
    File,
    CompareFile,
}

/// What the host does for the loader.
#[derive(Debug)]
pub enum Output {
    /// Start `worker` afresh, terminating the one before (the pool with `size` workers).
    Spawn { worker: Worker, size: usize },
    /// Terminate it (its work is moot).
    Stop(Worker),
    /// Send a request to a single worker.
    Send {
        worker: Worker,
        request: Request,
        attach: Attach,
    },
    /// Queue a pool job; `affinity` names the worker that must take it.
    Submit {
        request: Request,
        attach: Attach,
        affinity: Option<usize>,
    },
    /// The answer to file read `ticket`.
    Reply {
        ticket: u64,
        result: Result<FileBytes, ErrorInfo>,
    },
    /// A `performance.mark` the benchmark and tests read.
    Mark(&'static str),
    /// Handle this event in a task of its own, after the current one (and a paint): long work
    /// split from what came before it, so no one task holds the page for both.
    Later(Event),
    /// Handle this event once the page has painted what it shows now (not before the next
    /// frame, as [`Output::Later`] may be).
    AfterPaint(Event),
    /// Ask the pool's busy workers to pause between reads for up to `ms` (0: go on now).
    HoldPool { ms: u32 },
}

// `Navigate(Route)` is the large variant (a link's whole state): events are handled one at a
// time and never stored in bulk, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event {
    /// A file was dropped or picked (the host keeps the `File`).
    FileDropped {
        name: String,
        size: u64,
    },
    /// Open a registry image (the form, or a link).
    OpenRegistry(RegistryRequest),
    /// List the tags of a repository (the registry form).
    ListTags(RegistryRequest),
    /// Compare with a dropped file (the host keeps it) or a registry image.
    CompareFile {
        name: String,
    },
    CompareRegistry(RegistryRequest),
    /// Compare with another image of the open archive (its number).
    CompareWithin {
        image: usize,
    },
    /// Read another image (or platform) of the compared archive or index.
    ComparePick {
        image: usize,
        platform: Option<String>,
    },
    /// A worker answered.
    Response {
        from: Worker,
        response: Response,
    },
    /// Stop loading, back to the start screen.
    Cancel,
    /// The user pressed a key or a pointer, or clicked: the page is about to show what that
    /// did, and the pool's workers (if reading layers) pause until it has.
    UserInput,
    /// The page has painted since the input that held the pool.
    InputShown,
    /// Go to a view or selection (a click, a key, the URL).
    Navigate(Route),
    /// Open another image of the archive, or another platform (by manifest digest).
    PickImage {
        image: usize,
        manifest: Option<String>,
    },
    /// Read the layers (`true`) or stop (`false`).
    WantScan(bool),
    SetLimits(Limits),
    /// A file's bytes, for the viewer: answered by [`Output::Reply`] with the same ticket.
    Read {
        side: crate::protocol::Side,
        ticket: u64,
        layer: LayerIdx,
        entry: usize,
        offset: u64,
        len: Option<u64>,
    },
    /// Something outside the workers failed (a sample could not be fetched).
    Failed(ErrorInfo),
    /// Verify the supply chain with this PEM public key (`None`: without a key).
    SupplyChainKey(Option<String>),
    SnapshotSaving,
    SnapshotSaved(String),
    /// Read on in the scans of run `run` that arrived (a slice of their decoding a task: a
    /// million entries took 334 ms in one).
    ScanDue {
        run: u64,
    },
    /// Every layer of scan run `run` is in: build a slice of the tree (an [`Output::Later`] of
    /// the last scan's arrival, so decoding that index and building the tree are two tasks,
    /// not one; and of the last slice, until the tree is built).
    TreeDue {
        run: u64,
    },
    /// The tree of run `run` is built: work out its reports (an [`Output::Later`] of the tree's
    /// last slice; the file hints a slice a task, the rest in the last).
    ReportDue {
        run: u64,
    },
}

/// Where the open image's bytes are.
#[derive(Debug, Clone)]
enum Source {
    /// A dropped or picked file (its name; the host holds the `File`).
    File { name: String },
    /// A registry, and how the workers reach it.
    Registry(RegistryAccess),
    /// A snapshot: nothing more to read (no file contents).
    Snapshot,
    /// The file picked to compare with (the host holds it beside the main one).
    CompareFile,
}

/// A pool job in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Scan(LayerIdx),
    Hash(LayerIdx),
    Read { ticket: u64 },
}

/// The host's fixed facts.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Cores the browser reports: the pool's size at most.
    pub cores: usize,
    /// `strata serve`'s proxy, if the page came from it (the worker checks before using it).
    pub proxy: Option<String>,
}

/// The parts of the state whose change sets something off (as `use_effect_with` deps would),
/// each as it was when it last did.
#[derive(Debug, Clone, Default)]
struct Keys {
    registry: Option<Option<String>>,
    scan: Option<ScanKey>,
    auto_scan: Option<AutoScanKey>,
    supply: Option<supply_chain::SupplyKey>,
}

/// The open image, the scan run, and whether its layers are wanted.
type ScanKey = (Option<u64>, u64, bool);
/// Whether the view needs layers, the open registry image, and whether none are wanted.
type AutoScanKey = (bool, Option<String>, bool);

#[derive(Debug)]
pub struct Loader {
    state: AppState,
    setup: Setup,
    source: Option<Source>,
    /// Whether the pool runs (file reads need it).
    pool: bool,
    next_job: JobId,
    jobs: HashMap<JobId, Job>,
    /// The scan run the pool works for, its scans so far, when it started, its measurements.
    run: u64,
    scans: Vec<Option<LayerScan>>,
    /// Scans arrived and being read, in order of arrival (each a slice at a time).
    reading: std::collections::VecDeque<layers::Reading>,
    /// The package job of this run, the image's layer count and how many layers have a scan
    /// coming: each scan is forwarded to the package worker as it arrives.
    package_scans: Option<(JobId, usize, usize)>,
    /// Layers whose digests are to be hashed once the package report is in.
    hashes_due: Vec<(LayerIdx, strata_core::BlobLocation)>,
    /// The package job in flight and when it started; whether its worker runs (it is started
    /// with the scans, so its wasm is loaded by the time they are in).
    packages: Option<(JobId, f64)>,
    packages_worker: bool,
    started: f64,
    stats: ScanStats,
    /// The tree of run `.0` being built, and the time its slices took so far (ms).
    building: Option<(u64, std::rc::Rc<Session>, Analysing, f64)>,
    /// How the tree's build and its file hints are cut into tasks (tests cut a small image's
    /// into several).
    slice: layers::Slice,
    /// The reports of a run's tree, on their way.
    reporting: Option<layers::Reporting>,
    /// The comparison's image: its name and, for a registry, the reference typed.
    compare: Option<(String, Option<String>)>,
    /// Where the compared image's files are read from, once it is read.
    compare_source: Option<Source>,
    /// The registry image whose layers were fetched for a view (once: after Stop, it stays).
    auto_scanned: Option<String>,
    keys: Keys,
    /// The image and key the supply chain was last looked up for, and the last lookup's number.
    supply_done: Option<(u64, Option<String>)>,
    next_lookup: u64,
    /// When the pool was last held for an input (and not released since).
    held: Option<f64>,
    out: Vec<Output>,
}

impl Loader {
    /// A loader for the page at `route` (from the URL). Call [`Loader::start`] once mounted.
    pub fn new(route: Route, setup: Setup) -> Loader {
        // A link to a local archive's image: the archive must be dropped again, and match.
        let wanted = route
            .id
            .clone()
            .filter(|_| route.registry.is_none())
            .map(|id| Wanted {
                id,
                file: route.file.clone(),
                tag: route.tag.clone(),
                image: route.image.unwrap_or(0),
                platform: route.platform.clone(),
                retried: false,
            });
        Loader {
            state: AppState {
                route,
                wanted,
                ..AppState::default()
            },
            setup,
            source: None,
            pool: false,
            next_job: 0,
            jobs: HashMap::new(),
            run: 0,
            scans: Vec::new(),
            reading: Default::default(),
            package_scans: None,
            hashes_due: Vec::new(),
            packages: None,
            packages_worker: false,
            started: 0.0,
            building: None,
            slice: layers::Slice::default(),
            reporting: None,
            stats: ScanStats::default(),
            compare: None,
            compare_source: None,
            auto_scanned: None,
            keys: Keys::default(),
            supply_done: None,
            next_lookup: 0,
            held: None,
            out: Vec::new(),
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What the page does first: open the registry image a link names.
    pub fn start(&mut self, env: &dyn Env) -> Vec<Output> {
        self.settle(env);
        std::mem::take(&mut self.out)
    }

    /// Takes one event; returns what the host must do.
    pub fn handle(&mut self, event: Event, env: &dyn Env) -> Vec<Output> {
        match event {
            Event::FileDropped { name, size } => self.open_file(name, size),
            Event::OpenRegistry(request) => self.open_registry(request),
            Event::ListTags(request) => self.list_tags(request),
            Event::CompareFile { name } => self.compare_file(name),
            Event::CompareRegistry(request) => self.compare_registry(request),
            Event::CompareWithin { image } => self.compare_within(image),
            Event::ComparePick { image, platform } => self.compare_pick(image, platform),
            Event::Response { from, response } => match from {
                Worker::Main => self.on_main(response, env),
                Worker::Pool => self.on_pool(response),
                Worker::Compare => self.on_compare(response),
                Worker::Tags => self.on_tags(response),
                Worker::Packages => self.on_packages(response, env),
            },
            Event::Cancel => {
                self.out.push(Output::Stop(Worker::Main)); // terminates the worker mid-work
                self.stop_pool();
                self.stop_packages();
                self.source = None;
                self.apply(Action::Cancel);
            }
            Event::UserInput => self.hold_pool(env),
            Event::InputShown => self.release_pool(),
            Event::Navigate(route) => self.apply(Action::Navigate(route)),
            Event::PickImage { image, manifest } => self.pick_image(image, manifest),
            Event::WantScan(want) => self.apply(Action::WantScan(want)),
            Event::SetLimits(limits) => self.apply(Action::SetLimits(limits)),
            Event::Read {
                side,
                ticket,
                layer,
                entry,
                offset,
                len,
            } => self.read(side, ticket, layer, entry, offset, len),
            Event::Failed(error) => self.apply(Action::Failed(error)),
            Event::SupplyChainKey(key) => self.apply(Action::SupplyChainKey(key)),
            Event::SnapshotSaving => self.apply(Action::SnapshotSaving),
            Event::SnapshotSaved(note) => self.apply(Action::SnapshotSaved(note)),
            Event::ScanDue { run } => self.scan_due(run, env),
            Event::TreeDue { run } => self.tree_due(run, env),
            Event::ReportDue { run } => self.report_due(run, env),
        }
        self.settle(env);
        std::mem::take(&mut self.out)
    }

    fn apply(&mut self, action: Action) {
        self.state.apply(action);
    }

    fn job(&mut self, job: Job) -> JobId {
        self.next_job += 1;
        self.jobs.insert(self.next_job, job);
        self.next_job
    }

    fn stop_pool(&mut self) {
        self.out.push(Output::Stop(Worker::Pool));
        self.pool = false;
        self.held = None;
        self.hashes_due.clear();
    }

    /// How a worker reaches the registry the user named.
    fn access(&self, request: RegistryRequest) -> RegistryAccess {
        RegistryAccess {
            reference: request.reference.trim().to_owned(),
            credentials: request.credentials,
            proxy: self.setup.proxy.clone(),
            via_proxy: false,
        }
    }

    fn scan_key(&self) -> ScanKey {
        (
            self.state.session().map(|_| self.state.opened),
            self.state.scan_run,
            self.state.scan_wanted,
        )
    }

    fn auto_scan_key(&self) -> AutoScanKey {
        let needs = matches!(
            self.state.route.view,
            View::Layers | View::Waste | View::Packages | View::Compare
        );
        let registry_image = self
            .state
            .session()
            .filter(|s| s.image.format == strata_core::ArchiveFormat::Registry)
            .map(|s| s.image.id().to_string());
        (needs, registry_image, !self.state.scan_wanted)
    }

    /// Follows what changed, in order, until nothing does: a link's registry image opens, the
    /// layers of an open image are read (or stop being read), a view that needs a registry
    /// image's layers asks for them. Each runs when its part of the state differs from when it
    /// last ran (as Yew's effects did).
    fn settle(&mut self, env: &dyn Env) {
        loop {
            let mut ran = false;
            let registry = Some(self.state.route.registry.clone());
            if self.keys.registry != registry {
                self.keys.registry = registry;
                self.on_registry_link();
                ran = true;
            }
            let scan = Some(self.scan_key());
            if self.keys.scan != scan {
                self.keys.scan = scan;
                self.on_scan_key(env);
                ran = true;
            }
            let auto_scan = Some(self.auto_scan_key());
            if self.keys.auto_scan != auto_scan {
                self.keys.auto_scan = auto_scan;
                self.on_auto_scan();
                ran = true;
            }
            let supply = Some(self.supply_key());
            if self.keys.supply != supply {
                self.keys.supply = supply;
                self.on_supply_key();
                ran = true;
            }
            if !ran {
                return;
            }
        }
    }

    /// A link with a registry reference opens it (anonymously: credentials are never in
    /// links), at start or when a pasted link names another image.
    fn on_registry_link(&mut self) {
        let open = match &self.source {
            Some(Source::Registry(access)) => Some(access.reference.clone()),
            _ => None,
        };
        if let Some(reference) = self.state.route.registry.clone()
            && open.as_ref() != Some(&reference)
        {
            let platform = self.state.route.platform.clone();
            self.open_registry(RegistryRequest {
                reference,
                credentials: None,
                platform,
            });
        }
    }

    /// A registry image's layers are downloaded when a view needs them (once per image: after
    /// the user stops the download, it stays stopped).
    fn on_auto_scan(&mut self) {
        let (needs, image, idle) = self.auto_scan_key();
        if needs && idle && image.is_some() && self.auto_scanned != image {
            self.auto_scanned = image;
            self.apply(Action::WantScan(true));
        }
    }

    /// The explorer of `session` from its scans, timed for the benchmark.
    fn explorer(
        env: &dyn Env,
        session: &Session,
        scans: Vec<Option<LayerScan>>,
        millis: f64,
        stats: ScanStats,
    ) -> Explorer {
        let started = env.now_ms();
        let explorer = build_explorer(session, scans, millis, stats);
        Self::timed(env, explorer, env.now_ms() - started)
    }

    /// `explorer` with the time its tree and reports took (`tree_millis`, ms) and the page's
    /// memory then, for the benchmark.
    fn timed(env: &dyn Env, mut explorer: Explorer, tree_millis: f64) -> Explorer {
        explorer.stats.tree_millis = tree_millis;
        explorer.stats.wall_millis = explorer.millis + tree_millis;
        explorer.stats.page_memory = env.page_memory();
        explorer.stats.tree_heap = explorer.analysis.tree.heap();
        explorer
    }
}
