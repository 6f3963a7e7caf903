//! What the page shows, in one place: what is open, how far loading got, the route (view and
//! selection, mirrored in the URL fragment), and the layers once read, changed only by
//! [`AppState::apply`] (the reducer; [`crate::loader`] is the one that calls it). View models
//! are made here, by the engine, when data arrives; components only render them. Big data sits
//! behind `Rc` so props compare cheaply.

use crate::protocol::{ArchiveListing, ErrorInfo};
use crate::route::{Route, View};
use std::rc::Rc;
use strata_core::explorer::{LayerListItem, layer_list};
use strata_core::history::{Dockerfile, History};
use strata_core::layer::LayerScan;
use strata_core::tree::WasteReport;
use strata_core::{Analysis, Image, LayerIdx, Overview};

/// An image the worker resolved, with the view models made from it.
#[derive(Debug)]
pub struct Session {
    pub listing: Rc<ArchiveListing>,
    pub image: Image,
    pub overview: Overview,
    pub image_number: usize,
    /// Bytes of the archive read to show this (a few KiB, whatever the archive's size).
    pub bytes_read: u64,
    /// Opened from a snapshot of this (name, format): every view but file contents.
    pub snapshot_of: Option<(String, String)>,
    pub history: History,
    /// The Dockerfile the history implies, in valid syntax, with its base where the image names it.
    pub dockerfile: Dockerfile,
    /// `docker image inspect`'s output (an array of one object).
    pub inspect: serde_json::Value,
    /// Findings from the config and history (the file-level ones come with the layers).
    pub hints: Rc<Vec<strata_core::hints::Hint>>,
    /// The raw documents (manifest, index, config) as the raw view shows them.
    pub raw: Vec<RawDoc>,
}

/// One raw document: as stored, and parsed for the tree view (once, when the image arrives).
#[derive(Debug)]
pub struct RawDoc {
    /// `manifest`, `index` or `config` (the route's `raw=`).
    pub name: &'static str,
    pub title: String,
    /// What `crane` prints it with.
    pub command: &'static str,
    pub doc: strata_core::RawJson,
    pub text: String,
    /// The same text re-indented (whitespace outside strings only), made once.
    pub pretty: String,
    pub value: Rc<serde_json::Value>,
}

impl RawDoc {
    fn new(
        name: &'static str,
        title: String,
        command: &'static str,
        doc: &strata_core::RawJson,
    ) -> RawDoc {
        RawDoc {
            name,
            title,
            command,
            text: doc.text(),
            pretty: strata_core::text::pretty_json(&doc.text()),
            value: Rc::new(serde_json::from_slice(&doc.bytes).unwrap_or(serde_json::Value::Null)),
            doc: doc.clone(),
        }
    }

    /// The image's raw documents, in the order the view offers them.
    fn of(image: &Image) -> Vec<RawDoc> {
        let mut docs = vec![RawDoc::new(
            "manifest",
            if image.manifest_synthesized {
                "Manifest (derived: docker save archives have none; this is the one skopeo and podman derive)".into()
            } else {
                format!("Manifest ({})", image.manifest_media_type)
            },
            "skopeo inspect --raw, crane manifest",
            &image.manifest,
        )];
        if let Some(index) = &image.index {
            docs.push(RawDoc::new(
                "index",
                "Index".into(),
                "skopeo inspect --raw, crane manifest (the index)",
                index,
            ));
        }
        docs.push(RawDoc::new(
            "config",
            "Config".into(),
            "skopeo inspect --raw --config, crane config",
            &image.config,
        ));
        docs
    }
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Session {
    /// How `docker`/`podman` name this image once loaded or pulled (for the "Same as …"
    /// commands): its registry reference, its first tag, or its short ID.
    pub fn docker_name(&self) -> String {
        use strata_core::equivalents::{Origin, docker_name};
        let origin = if self.image.format == strata_core::ArchiveFormat::Registry {
            Origin::Registry {
                reference: self.listing.file_name.clone(),
            }
        } else {
            Origin::Archive {
                file: self.listing.file_name.clone(),
            }
        };
        docker_name(&self.image, &origin)
    }

    /// How `strata` names it: the file (or the registry reference), quoted for a shell.
    pub fn strata_name(&self) -> String {
        strata_core::equivalents::shell_quote(
            self.snapshot_of
                .as_ref()
                .map_or(&self.listing.file_name, |(n, _)| n),
        )
    }

    pub fn new(
        listing: Rc<ArchiveListing>,
        image: Image,
        overview: Overview,
        image_number: usize,
        bytes_read: u64,
    ) -> Session {
        let report = strata_core::report::ImageReport::of(&image);
        let raw = RawDoc::of(&image);
        Session {
            listing,
            image,
            overview,
            image_number,
            bytes_read,
            snapshot_of: None,
            history: report.history,
            dockerfile: report.dockerfile,
            inspect: report.inspect,
            hints: Rc::new(report.hints),
            raw,
        }
    }
}

/// Inspect JSON as docker prints it (indented by 4).
pub fn inspect_text(inspect: &serde_json::Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    let _ = serde::Serialize::serialize(inspect, &mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// The layers of the open image, once read. Cloned (cheaply: the tree is shared) when a
/// layer's deferred digest check comes in.
#[derive(Debug, Clone)]
pub struct Explorer {
    pub analysis: Analysis,
    /// The history again, with each layer's size as docker counts it (the bytes of its files).
    pub history: History,
    /// The same with podman's sizes (each layer tar's, exact now that it was read).
    pub podman_history: History,
    /// `docker image inspect`, its `Size` docker's sum of the layers' sizes.
    pub inspect: Rc<serde_json::Value>,
    pub layers: Vec<LayerListItem>,
    pub waste: WasteReport,
    /// What the guided walk shows of the layers (found once: the walk is told again as layers
    /// are verified).
    pub examples: Rc<strata_core::lessons::Examples>,
    /// Every finding: the session's and those from the files.
    pub hints: Rc<Vec<strata_core::hints::Hint>>,
    /// Wall time from the first scan's start to the tree (ms).
    pub millis: f64,
    /// Measurements for the benchmark: per layer (scan ms in its worker, stored bytes,
    /// entries), the tree's build time, and memory.
    pub stats: ScanStats,
}

impl Explorer {
    /// Layers whose digest is still being checked (their index is shown already).
    pub fn checking(&self) -> Vec<usize> {
        self.analysis.checking()
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScanStats {
    pub layers: Vec<LayerStat>,
    pub tree_millis: f64,
    pub wall_millis: f64,
    /// The largest wasm memory a scanning worker reported.
    pub worker_memory_max: u64,
    /// The page's wasm memory once the tree is built.
    pub page_memory: u64,
    /// What the tree holds of it, by part.
    pub tree_heap: strata_core::tree::TreeHeap,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LayerStat {
    pub layer: usize,
    pub millis: f64,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
    pub entries: usize,
    pub compression: String,
}

impl PartialEq for Explorer {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// Reading the layers.
#[derive(Debug, Clone, PartialEq)]
pub enum LayersState {
    Idle,
    /// Per layer: stored bytes done and total, and whether it is finished.
    Scanning {
        progress: Vec<(u64, u64, bool)>,
    },
    Ready(Rc<Explorer>),
    Failed(ErrorInfo),
}

/// The open image's packages, read by a worker of their own once the layers are.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PackagesState {
    #[default]
    Idle,
    Reading,
    Ready(Rc<Packages>),
    Failed(ErrorInfo),
    /// They cannot be read (why): a snapshot holds no file contents.
    Unavailable(String),
}

impl PackagesState {
    pub fn ready(&self) -> Option<&Rc<Packages>> {
        match self {
            PackagesState::Ready(p) => Some(p),
            _ => None,
        }
    }
}

/// The package report and the view models made from it once, when it arrives.
#[derive(Debug)]
pub struct Packages {
    pub report: strata_core::packages::PackageReport,
    /// Per layer, its package changes as the layer list shows them.
    pub badges: Vec<Option<strata_core::package_view::LayerBadge>>,
    /// The final image's ecosystems, with their package counts.
    pub ecosystems: Vec<(strata_core::packages::Ecosystem, usize)>,
    /// The analysis's time in its worker, the worker's wasm memory after it, and the time from
    /// the job's start to its answer on the page (ms; for the benchmark).
    pub worker_millis: f64,
    pub worker_memory: u64,
    pub millis: f64,
}

impl Packages {
    pub fn new(
        report: strata_core::packages::PackageReport,
        worker_millis: f64,
        worker_memory: u64,
        millis: f64,
    ) -> Packages {
        Packages {
            badges: strata_core::package_view::layer_badges(&report),
            ecosystems: strata_core::package_view::ecosystems(&report),
            report,
            worker_millis,
            worker_memory,
            millis,
        }
    }
}

impl PartialEq for Packages {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The other image of a comparison, read whole by a worker of its own.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CompareState {
    #[default]
    Idle,
    Loading {
        name: String,
        done: u64,
        total: u64,
    },
    Ready(Rc<Comparison>),
    Failed(ErrorInfo),
}

/// Image B: its session and its layers, as for the open image.
#[derive(Debug)]
pub struct Comparison {
    pub session: Session,
    pub explorer: Explorer,
    /// Its packages (`None`: they could not be read).
    pub packages: Option<Rc<strata_core::packages::PackageReport>>,
    /// What a link carries for it (`Route::with`): the pinned registry reference, or the
    /// image ID of a local archive.
    pub link: String,
    /// The images of its archive (one for a registry image) and which one this is.
    pub images: Vec<crate::protocol::ListedImage>,
    pub image: usize,
    /// It is another image of the open archive.
    pub within: bool,
}

impl PartialEq for Comparison {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The open image's signatures, attestations and referrers: looked up when the Supply chain
/// view opens (a registry image) or when the image arrives (an archive: it is local, and the
/// overview's badge comes from it), again when the user gives a key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupplyChainState {
    /// The last lookup asked for (answers to older ones are moot).
    pub lookup: u64,
    pub status: LookupStatus,
    /// The PEM public key the user gave (this tab's memory only), verified with.
    pub key: Option<String>,
    /// Why the key given could not be read (the report was then made without it).
    pub key_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum LookupStatus {
    /// Not looked up (a registry image's view has not been opened).
    #[default]
    Idle,
    Looking,
    Ready(Rc<strata_core::supply_chain::SupplyChain>),
    Failed(ErrorInfo),
}

/// The tag list of a registry repository, asked for from the registry form.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TagsState {
    #[default]
    Idle,
    Loading,
    Ready {
        repository: String,
        tags: Rc<Vec<String>>,
    },
    Failed(ErrorInfo),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing open: the start screen.
    Start,
    /// The worker is reading the archive's structure.
    Opening {
        file_name: String,
        done: u64,
        total: u64,
    },
    Ready(Rc<Session>),
    Failed {
        error: ErrorInfo,
        file_name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    pub listing: Option<Rc<ArchiveListing>>,
    pub route: Route,
    pub layers: LayersState,
    /// The open image's packages (once its layers are read).
    pub packages: PackagesState,
    /// A job id per scan run, so results of a cancelled run are ignored.
    pub scan_run: u64,
    /// How many images this tab has opened: names the open one in the loader's keys (the
    /// address of a freed session is soon reused by the next, so it names nothing).
    pub opened: u64,
    /// Whether the layers should be read (on by default for archives, where reading is local;
    /// off for registry images until a view needs them, since it means downloading them).
    pub scan_wanted: bool,
    pub tags: TagsState,
    /// The image a link names, until an archive holding it is dropped.
    pub wanted: Option<Wanted>,
    /// The last snapshot saved, said once.
    pub snapshot_saved: Option<String>,
    /// A snapshot is being encoded (the button waits, the page says so).
    pub snapshot_saving: bool,
    pub compare: CompareState,
    /// The safety limits what is opened next is read with (the settings).
    pub limits: strata_core::Limits,
    /// The open image against the comparison's, once both are read.
    pub compare_diff: Option<Rc<CompareDiff>>,
    pub supply_chain: SupplyChainState,
}

/// Two images compared, and which explorers and mode it was made from.
#[derive(Debug)]
pub struct CompareDiff {
    pub diff: strata_core::diff::ImageDiff,
    /// The two explorers, held weakly: while this is kept their addresses cannot be reused, so
    /// a pointer comparison names them (their contents are freed with them all the same).
    key: (std::rc::Weak<Explorer>, std::rc::Weak<Comparison>, bool),
}

impl PartialEq for CompareDiff {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The image a link to a local archive is about: the archive dropped must hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Its image ID.
    pub id: String,
    /// The archive's name and the image's tag where the link says them.
    pub file: Option<String>,
    pub tag: Option<String>,
    /// The image number and platform the link names, loaded when the default image is not it.
    pub image: usize,
    pub platform: Option<String>,
    /// Whether that image and platform were loaded already.
    pub retried: bool,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            phase: Phase::Start,
            listing: None,
            route: Route::default(),
            layers: LayersState::Idle,
            packages: PackagesState::Idle,
            scan_run: 0,
            opened: 0,
            scan_wanted: true,
            tags: TagsState::Idle,
            wanted: None,
            snapshot_saved: None,
            snapshot_saving: false,
            compare: CompareState::Idle,
            limits: strata_core::Limits::default(),
            compare_diff: None,
            supply_chain: SupplyChainState::default(),
        }
    }
}

// `Navigate(Route)` is the large variant (a link's whole state): events are handled one at a
// time and never stored in bulk, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Action {
    /// A file was dropped or picked, or a registry reference given (`registry`).
    Opening {
        file_name: String,
        total: u64,
        registry: Option<String>,
    },
    Progress {
        done: u64,
        total: u64,
    },
    Opened(ArchiveListing),
    Loaded(Box<Session>),
    Failed(ErrorInfo),
    /// Stop loading, back to the start screen.
    Cancel,
    /// Go to a view or selection (from a click, a key, or the URL).
    Navigate(Route),
    /// Layer scans begin (run id, per-layer totals).
    ScanStarted {
        run: u64,
        totals: Vec<u64>,
    },
    ScanProgress {
        run: u64,
        layer: LayerIdx,
        done: u64,
    },
    /// One layer's scan arrived (the loader keeps it; when all are in, it builds the tree).
    Scanned {
        run: u64,
        layer: LayerIdx,
    },
    ScanFailed {
        run: u64,
        error: ErrorInfo,
    },
    LayersReady {
        run: u64,
        explorer: Rc<Explorer>,
    },
    /// The package analysis of this run started, finished or failed.
    Packages {
        run: u64,
        state: PackagesState,
    },
    /// A layer's blob hashed to `digest`.
    Verified {
        run: u64,
        layer: LayerIdx,
        digest: strata_core::Digest,
    },
    /// A layer's blob could not be read again to check its digest.
    VerifyFailed {
        run: u64,
        layer: LayerIdx,
        error: ErrorInfo,
    },
    /// Stop reading the layers (`false`) or read them (`true`).
    WantScan(bool),
    Tags(TagsState),
    /// The registry reference, pinned to the digest it resolved to.
    Pinned(String),
    /// A snapshot file was opened: the image and its layers at once, nothing to read.
    SnapshotOpened(Box<Session>, Rc<Explorer>),
    /// Encoding a snapshot has begun.
    SnapshotSaving,
    /// A snapshot was saved: what to tell the user (file, size, ratio).
    SnapshotSaved(String),
    Compare(CompareState),
    SetLimits(strata_core::Limits),
    /// Supply chain lookup `lookup` was asked for.
    SupplyChainLooking {
        lookup: u64,
    },
    /// Its answer.
    SupplyChainFound {
        lookup: u64,
        result: Result<Box<strata_core::supply_chain::SupplyChain>, ErrorInfo>,
        key_error: Option<String>,
    },
    /// The key to verify with (`None`: none).
    SupplyChainKey(Option<String>),
}

impl AppState {
    pub fn file_name(&self) -> Option<&str> {
        match &self.phase {
            Phase::Opening { file_name, .. } => Some(file_name),
            Phase::Failed { file_name, .. } => file_name.as_deref(),
            _ => self.listing.as_ref().map(|l| l.file_name.as_str()),
        }
    }

    pub fn session(&self) -> Option<&Rc<Session>> {
        match &self.phase {
            Phase::Ready(s) => Some(s),
            _ => None,
        }
    }

    pub fn view(&self) -> View {
        self.route.view
    }
}

impl AppState {
    /// The reducer: the one place the page's state changes.
    pub fn apply(&mut self, action: Action) {
        let run_now = self.scan_run;
        let next = self;
        match action {
            Action::Opening {
                file_name,
                total,
                registry,
            } => {
                next.phase = Phase::Opening {
                    file_name,
                    done: 0,
                    total,
                };
                next.route.registry = registry;
                next.listing = None;
                next.layers = LayersState::Idle;
                next.packages = PackagesState::Idle;
                next.scan_run += 1;
                next.compare = CompareState::Idle;
                next.supply_chain.status = LookupStatus::Idle;
            }
            Action::Progress { done, total } => {
                if let Phase::Opening { file_name, .. } = &next.phase {
                    let file_name = file_name.clone();
                    next.phase = Phase::Opening {
                        file_name,
                        done,
                        total,
                    };
                }
            }
            Action::Opened(listing) => next.listing = Some(Rc::new(listing)),
            Action::Loaded(session) => {
                next.snapshot_saved = None;
                next.route.image = Some(session.image_number);
                next.route.id = Some(session.image.id().to_string());
                let local = session.image.format != strata_core::ArchiveFormat::Registry;
                next.route.file = local.then(|| session.listing.file_name.clone());
                next.route.tag = session.image.repo_tags.first().cloned().filter(|_| local);
                next.route.platform = session
                    .image
                    .chosen
                    .map(|i| session.image.choices[i].descriptor.digest.clone());
                // Layers of an archive are read at once (it is local); a registry's are
                // downloaded only when a view needs them.
                next.scan_wanted = session.image.format != strata_core::ArchiveFormat::Registry;
                next.phase = Phase::Ready(Rc::from(session));
                next.opened += 1;
                next.wanted = None;
                next.layers = LayersState::Idle;
                next.packages = PackagesState::Idle;
                next.scan_run += 1;
                next.supply_chain.status = LookupStatus::Idle;
            }
            Action::Failed(error) => {
                let file_name = next.file_name().map(str::to_owned);
                next.phase = Phase::Failed { error, file_name };
            }
            Action::Cancel => {
                next.phase = Phase::Start;
                next.wanted = None;
                next.listing = None;
                next.layers = LayersState::Idle;
                next.packages = PackagesState::Idle;
                next.scan_run += 1;
                next.route = Route::default();
                next.supply_chain = SupplyChainState::default();
            }
            Action::Navigate(mut route) => {
                // A registry image stays named in the URL while one moves between its views.
                if route.registry.is_none()
                    && next.session().is_some()
                    && next.route.registry.is_some()
                {
                    route.registry = next.route.registry.clone();
                }
                next.route = route;
            }
            Action::ScanStarted { run, totals } if run == run_now => {
                next.packages = PackagesState::Idle;
                next.layers = LayersState::Scanning {
                    progress: totals.into_iter().map(|t| (0, t, false)).collect(),
                };
            }
            Action::ScanProgress { run, layer, done } if run == run_now => {
                if let LayersState::Scanning { progress } = &mut next.layers
                    && let Some(p) = progress.get_mut(layer.get())
                {
                    p.0 = done.min(p.1);
                }
            }
            Action::Scanned { run, layer, .. } if run == run_now => {
                if let LayersState::Scanning { progress } = &mut next.layers
                    && let Some(p) = progress.get_mut(layer.get())
                {
                    *p = (p.1, p.1, true);
                }
            }
            Action::ScanFailed { run, error } if run == run_now => {
                next.layers = LayersState::Failed(error)
            }
            Action::LayersReady { run, explorer } if run == run_now => {
                next.layers = LayersState::Ready(explorer);
            }
            Action::Packages { run, state } if run == run_now => next.packages = state,
            Action::Verified { run, layer, digest } if run == run_now => {
                if let (LayersState::Ready(explorer), Phase::Ready(session)) =
                    (&next.layers, &next.phase)
                {
                    let mut updated = Explorer::clone(explorer);
                    updated
                        .analysis
                        .verified(&session.image, layer.get(), digest);
                    next.layers = LayersState::Ready(Rc::new(updated));
                }
            }
            Action::VerifyFailed { run, layer, error } if run == run_now => {
                if let LayersState::Ready(explorer) = &next.layers {
                    let mut updated = Explorer::clone(explorer);
                    updated.analysis.unchecked(
                        layer.get(),
                        &format!("{} ({})", error.summary, error.detail),
                    );
                    next.layers = LayersState::Ready(Rc::new(updated));
                }
            }
            Action::WantScan(want) => {
                next.scan_wanted = want;
                next.scan_run += 1;
                if !want {
                    next.layers = LayersState::Idle;
                    next.packages = PackagesState::Idle;
                }
            }
            Action::Tags(tags) => next.tags = tags,
            Action::Pinned(reference) => next.route.registry = Some(reference),
            Action::SnapshotOpened(session, explorer) => {
                next.listing = Some(session.listing.clone());
                next.route.image = Some(0);
                next.route.id = Some(session.image.id().to_string());
                next.route.registry = None;
                next.wanted = None;
                next.snapshot_saved = None;
                next.phase = Phase::Ready(Rc::from(session));
                next.opened += 1;
                next.scan_run += 1;
                next.scan_wanted = false;
                next.layers = LayersState::Ready(explorer);
                next.supply_chain.status = LookupStatus::Idle;
                next.packages = PackagesState::Unavailable(
                    "A snapshot holds every layer's file index, not the files' bytes, so the package databases cannot be read: open the image itself to see its packages.".into(),
                );
            }
            Action::SnapshotSaving => {
                next.snapshot_saving = true;
                next.snapshot_saved = None;
            }
            Action::SnapshotSaved(note) => {
                next.snapshot_saving = false;
                next.snapshot_saved = Some(note);
            }
            Action::Compare(c) => next.compare = c,
            Action::SetLimits(l) => next.limits = l,
            Action::SupplyChainLooking { lookup } => {
                next.supply_chain.lookup = lookup;
                next.supply_chain.status = LookupStatus::Looking;
            }
            Action::SupplyChainFound {
                lookup,
                result,
                key_error,
            } if lookup == next.supply_chain.lookup => {
                next.supply_chain.status = match result {
                    Ok(report) => LookupStatus::Ready(Rc::from(report)),
                    Err(e) => LookupStatus::Failed(e),
                };
                next.supply_chain.key_error = key_error;
            }
            Action::SupplyChainKey(key) => {
                next.supply_chain.key = key;
                next.supply_chain.key_error = None;
            }
            _ => {} // a message from a cancelled run
        }
        next.refresh_compare_diff();
    }

    /// Compares the open image with the comparison's when both are read and the diff is not of
    /// these two in this mode already.
    fn refresh_compare_diff(&mut self) {
        let (LayersState::Ready(a), CompareState::Ready(b), Some(session)) =
            (&self.layers, &self.compare, self.session())
        else {
            self.compare_diff = None;
            return;
        };
        let semantic = self.route.semantic;
        if self.compare_diff.as_ref().is_some_and(|d| {
            std::ptr::eq(d.key.0.as_ptr(), Rc::as_ptr(a))
                && std::ptr::eq(d.key.1.as_ptr(), Rc::as_ptr(b))
                && d.key.2 == semantic
        }) {
            return;
        }
        let key = (Rc::downgrade(a), Rc::downgrade(b), semantic);
        let diff = strata_core::diff::diff(
            &strata_core::diff::Input {
                name: &session.listing.file_name,
                image: &session.image,
                history: &a.history,
                tree: &a.analysis.tree,
            },
            &strata_core::diff::Input {
                name: &b.session.listing.file_name,
                image: &b.session.image,
                history: &b.explorer.history,
                tree: &b.explorer.analysis.tree,
            },
            strata_core::diff::DiffOptions { semantic },
        );
        self.compare_diff = Some(Rc::new(CompareDiff { diff, key }));
    }
}

/// The analysis of an image's scans, before its reports: building an explorer is several tasks
/// on the page, the tree a slice at a time ([`Analysing`]) and what is worked out from it after
/// (a million files took half a second each in one task).
#[derive(Debug)]
pub struct Analysed {
    pub image: Image,
    pub analysis: Analysis,
    pub millis: f64,
    pub stats: ScanStats,
}

/// Builds the explorer's data once every layer's scan is in (engine work, on the page: the
/// tree is what the views walk). The caller times it (`stats.tree_millis` and the rest).
pub fn build_explorer(
    session: &Session,
    scans: Vec<Option<LayerScan>>,
    millis: f64,
    stats: ScanStats,
) -> Explorer {
    explorer_of(analyse_scans(session, scans, millis, stats).finish())
}

/// The first half of [`build_explorer`]: the tree, built a piece at a time
/// ([`Analysing::work`]) or at once ([`Analysing::finish`]).
pub fn analyse_scans(
    session: &Session,
    scans: Vec<Option<LayerScan>>,
    millis: f64,
    mut stats: ScanStats,
) -> Analysing {
    for (i, scan) in scans.iter().enumerate() {
        if let (Some(scan), Some(stat)) = (scan, stats.layers.iter_mut().find(|l| l.layer == i + 1))
        {
            stat.stored_bytes = scan.stored_size;
            stat.tar_bytes = scan.tar_size;
            stat.entries = scan.index.entries.len();
            stat.compression = scan.compression.name().to_owned();
        }
    }
    let mut image = session.image.clone();
    let analysis = strata_core::Analysing::new(&mut image, scans);
    Analysing {
        image,
        analysis,
        millis,
        stats,
    }
}

/// An image's scans on their way to an [`Analysed`]: its tree being built.
pub struct Analysing {
    image: Image,
    analysis: strata_core::Analysing,
    millis: f64,
    stats: ScanStats,
}

impl std::fmt::Debug for Analysing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysing").finish_non_exhaustive()
    }
}

impl Analysing {
    /// About `budget` steps of the tree; true once it is built.
    pub fn work(&mut self, budget: usize) -> bool {
        self.analysis.work(budget)
    }

    /// The analysis, the rest of its tree built first.
    pub fn finish(self) -> Analysed {
        Analysed {
            image: self.image,
            analysis: self.analysis.finish(),
            millis: self.millis,
            stats: self.stats,
        }
    }
}

/// The second half of [`build_explorer`]: the history, inspect, findings, layers and waste.
pub fn explorer_of(analysed: Analysed) -> Explorer {
    let tree = &analysed.analysis.tree;
    let waste = tree.waste();
    let walked = Walked {
        file_hints: strata_core::hints::file_hints(tree),
        examples: strata_core::lessons::Examples::of(tree, &waste),
        waste,
    };
    explorer_with(analysed, walked)
}

/// What is found walking every path of an image's tree, each walk a task (or several) of its
/// own on the page.
#[derive(Debug)]
pub struct Walked {
    pub file_hints: Vec<strata_core::hints::Hint>,
    pub waste: WasteReport,
    pub examples: strata_core::lessons::Examples,
}

/// [`explorer_of`], the tree walked already.
pub fn explorer_with(analysed: Analysed, walked: Walked) -> Explorer {
    let Walked {
        file_hints,
        waste,
        examples,
    } = walked;
    let Analysed {
        image,
        analysis,
        millis,
        stats,
        ..
    } = analysed;
    let report = strata_core::report::LayersReport::with_file_hints(&image, &analysis, file_hints);
    let layers = layer_list(&analysis.tree, &image, &report.history.rows);
    Explorer {
        analysis,
        history: report.history,
        podman_history: report.podman_history,
        inspect: Rc::new(report.inspect),
        layers,
        waste,
        examples: Rc::new(examples),
        hints: Rc::new(report.hints),
        millis,
        stats,
    }
}
