//! Opening: a dropped file or a registry image goes to a fresh main worker; its answers (the
//! listing, the image, a snapshot, the pinned reference) become the page's session. A link
//! naming a local archive's image is checked here: the image it names is loaded when the
//! default one is not it, and another archive is refused.

use super::{Attach, Env, Loader, Output, Source, Worker};
use crate::protocol::{ArchiveListing, ErrorInfo, RegistryRequest, Request, Response};
use crate::state::{Action, Session};
use std::rc::Rc;
use strata_core::Image;

/// `sha256:` and the first 12 hex digits.
fn short_id(id: &str) -> String {
    let hex = id.split_once(':').map_or(id, |(_, h)| h);
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

impl Loader {
    pub(super) fn open_file(&mut self, name: String, size: u64) {
        // Whatever the last workers were doing is over.
        self.stop_pool();
        self.jobs.clear();
        self.out.push(Output::Spawn {
            worker: Worker::Main,
            size: 1,
        });
        self.out.push(Output::Mark("strata:drop"));
        self.apply(Action::Opening {
            file_name: name.clone(),
            total: size,
            registry: None,
        });
        self.out.push(Output::Send {
            worker: Worker::Main,
            request: Request::Open {
                limits: self.state.limits.clone(),
            },
            attach: Attach::File,
        });
        self.source = Some(Source::File { name });
    }

    pub(super) fn open_registry(&mut self, request: RegistryRequest) {
        self.stop_pool();
        self.jobs.clear();
        self.state.wanted = None;
        let platform = request.platform.clone();
        let access = self.access(request);
        self.out.push(Output::Spawn {
            worker: Worker::Main,
            size: 1,
        });
        self.out.push(Output::Mark("strata:drop"));
        self.apply(Action::Opening {
            file_name: access.reference.clone(),
            total: 0,
            registry: Some(access.reference.clone()),
        });
        self.out.push(Output::Send {
            worker: Worker::Main,
            request: Request::OpenRegistry {
                access: access.clone(),
                manifest: platform,
                limits: self.state.limits.clone(),
            },
            attach: Attach::Nothing,
        });
        self.source = Some(Source::Registry(access));
    }

    pub(super) fn pick_image(&mut self, image: usize, manifest: Option<String>) {
        self.stop_pool(); // scans of the previous image are moot
        let request = match &self.source {
            Some(Source::Registry(access)) => Request::OpenRegistry {
                access: access.clone(),
                manifest,
                limits: self.state.limits.clone(),
            },
            _ => Request::Load { image, manifest },
        };
        self.out.push(Output::Send {
            worker: Worker::Main,
            request,
            attach: Attach::Nothing,
        });
    }

    pub(super) fn on_main(&mut self, response: Response, env: &dyn Env) {
        match response {
            Response::Progress { done, total } => self.apply(Action::Progress { done, total }),
            Response::Opened { listing } => self.apply(Action::Opened(listing)),
            Response::Loaded {
                image,
                overview,
                image_number,
                bytes_read,
            } => {
                let Some(listing) = self.state.listing.clone() else {
                    return;
                };
                if self.refuse_or_retry(&listing, &image, image_number) {
                    return;
                }
                self.out.push(Output::Mark("strata:overview"));
                self.apply(Action::Loaded(Box::new(Session::new(
                    listing,
                    *image,
                    *overview,
                    image_number,
                    bytes_read,
                ))));
            }
            Response::Snapshot {
                file_size,
                snapshot,
            } => {
                let file_name = match &self.source {
                    Some(Source::File { name }) => name.clone(),
                    _ => String::new(),
                };
                self.source = Some(Source::Snapshot);
                let snap = *snapshot;
                let listing = Rc::new(ArchiveListing {
                    file_name,
                    file_size,
                    format: format!("snapshot of {} ({})", snap.name, snap.format),
                    images: Vec::new(),
                });
                let ov = strata_core::overview(&snap.image);
                let mut session = Session::new(listing, snap.image, ov, 0, 0);
                session.snapshot_of = Some((snap.name, snap.format));
                let explorer = Self::explorer(env, &session, snap.scans, 0.0, Default::default());
                self.out.push(Output::Mark("strata:overview"));
                self.apply(Action::SnapshotOpened(Box::new(session), Rc::new(explorer)));
            }
            Response::RegistryOpened { access } => {
                // Pinned to the digest it resolved to: the link reproduces this image even
                // after the tag moves.
                let pinned = access.reference.clone();
                self.source = Some(Source::Registry(access));
                self.apply(Action::Pinned(pinned));
            }
            Response::SupplyChain { .. } => self.on_supply_chain(response),
            Response::Failed { error, .. } => self.apply(Action::Failed(error)),
            _ => {}
        }
    }

    /// A link's image: loads the image and platform it names when the one loaded is not it
    /// (once), and refuses another. Whether `image` is refused or retried.
    fn refuse_or_retry(
        &mut self,
        listing: &ArchiveListing,
        image: &Image,
        image_number: usize,
    ) -> bool {
        let Some(want) = self.state.wanted.clone() else {
            return false;
        };
        let id = image.id().to_string();
        if id == want.id {
            self.state.wanted = None;
            return false;
        }
        if !want.retried
            && (want.image != image_number || want.platform.is_some())
            && want.image < listing.images.len()
        {
            self.out.push(Output::Send {
                worker: Worker::Main,
                request: Request::Load {
                    image: want.image,
                    manifest: want.platform.clone(),
                },
                attach: Attach::Nothing,
            });
            if let Some(w) = self.state.wanted.as_mut() {
                w.retried = true;
            }
            return true;
        }
        if let Some(w) = self.state.wanted.as_mut() {
            w.retried = false;
        }
        self.apply(Action::Failed(ErrorInfo {
            kind: "link-mismatch".into(),
            summary: format!(
                "This archive does not hold the image the link is about ({}).",
                short_id(&want.id)
            ),
            detail: format!(
                "The link shows image {}.\nThis archive's image {} is {id}.\nDrop the archive that contains {} to continue.",
                want.id, image_number, want.id
            ),
        }));
        true
    }
}
