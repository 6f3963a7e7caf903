//! The workers of their own: the other image of a comparison (one worker opens it and reads
//! all its layers, sending it back as a snapshot, with the archive's other images to pick
//! from) and a repository's tags for the registry form. A new one replaces (and terminates)
//! the last. B is a picked file, a registry image, or another image of the open archive; its
//! files are read later through the pool like A's (`Side::B`).

use super::{Attach, Loader, Output, Source, Worker};
use crate::protocol::{ArchiveListing, RegistryRequest, Request, Response};
use crate::state::{Action, CompareState, Comparison, Session, TagsState};
use std::rc::Rc;

impl Loader {
    fn start_compare(
        &mut self,
        name: String,
        typed: Option<String>,
        request: Request,
        attach: Attach,
    ) {
        self.out.push(Output::Spawn {
            worker: Worker::Compare,
            size: 1,
        });
        self.apply(Action::Compare(CompareState::Loading {
            name: name.clone(),
            done: 0,
            total: 0,
        }));
        self.out.push(Output::Send {
            worker: Worker::Compare,
            request,
            attach,
        });
        self.compare = Some((name, typed));
    }

    /// The request that reads B from `source` (image `image`, platform `platform`).
    fn analyse_request(
        &self,
        source: &Source,
        image: Option<usize>,
        platform: Option<String>,
    ) -> (Request, Attach) {
        let want_id = self
            .state
            .route
            .with
            .clone()
            .filter(|w| strata_core::Digest::parse(w).is_ok() && image.is_none());
        let registry = match source {
            Source::Registry(access) => Some(access.clone()),
            _ => None,
        };
        let attach = match source {
            Source::File { .. } => Attach::File,
            Source::CompareFile => Attach::CompareFile,
            _ => Attach::Nothing,
        };
        let request = Request::Analyse {
            registry,
            limits: self.state.limits.clone(),
            image,
            platform,
            want_id,
        };
        (request, attach)
    }

    pub(super) fn compare_file(&mut self, name: String) {
        let (request, attach) = self.analyse_request(&Source::CompareFile, None, None);
        self.compare_source = Some(Source::CompareFile);
        self.start_compare(name, None, request, attach);
    }

    pub(super) fn compare_registry(&mut self, request: RegistryRequest) {
        let platform = request.platform.clone();
        let access = self.access(request);
        let reference = access.reference.clone();
        let source = Source::Registry(access);
        let (request, attach) = self.analyse_request(&source, None, platform);
        self.compare_source = Some(source);
        self.start_compare(reference.clone(), Some(reference), request, attach);
    }

    /// B is another image of the archive open as A.
    pub(super) fn compare_within(&mut self, image: usize) {
        let Some(source) = self.source.clone() else {
            return;
        };
        let Source::File { name } = &source else {
            return;
        };
        let name = name.clone();
        let (request, attach) = self.analyse_request(&source, Some(image), None);
        self.compare_source = Some(source);
        self.start_compare(name, None, request, attach);
    }

    /// Another image or platform of B's archive or index.
    pub(super) fn compare_pick(&mut self, image: usize, platform: Option<String>) {
        let (Some(source), Some((name, typed))) =
            (self.compare_source.clone(), self.compare.clone())
        else {
            return;
        };
        let (request, attach) = self.analyse_request(&source, Some(image), platform);
        self.start_compare(name, typed, request, attach);
    }

    pub(super) fn on_compare(&mut self, response: Response) {
        let (name, typed) = self.compare.clone().unwrap_or_default();
        match response {
            Response::Progress { done, total } => {
                self.apply(Action::Compare(CompareState::Loading { name, done, total }))
            }
            Response::Analysed {
                snapshot,
                images,
                image,
                packages,
            } => {
                let snap = *snapshot;
                let listing = Rc::new(ArchiveListing {
                    file_name: snap.name.clone(),
                    file_size: snap.image.stored_size(),
                    format: snap.format.clone(),
                    images: Vec::new(),
                });
                // A registry image is linked by its pinned reference; a local one by its
                // image ID (the link asks for the file).
                let link = typed
                    .as_deref()
                    .and_then(|t| strata_core::registry::pin_user_reference(t, &snap.image))
                    .unwrap_or_else(|| snap.image.id().to_string());
                let ov = strata_core::overview(&snap.image);
                let session = Session::new(listing, snap.image, ov, image, 0);
                let explorer =
                    crate::state::build_explorer(&session, snap.scans, 0.0, Default::default());
                self.apply(Action::Compare(CompareState::Ready(Rc::new(Comparison {
                    session,
                    explorer,
                    packages: packages.map(|p| Rc::new(*p)),
                    link,
                    images,
                    image,
                    within: matches!(self.compare_source, Some(Source::File { .. })),
                }))));
            }
            Response::Failed { error, .. } => {
                self.apply(Action::Compare(CompareState::Failed(error)))
            }
            _ => {}
        }
    }

    pub(super) fn list_tags(&mut self, request: RegistryRequest) {
        let access = self.access(request);
        self.out.push(Output::Spawn {
            worker: Worker::Tags,
            size: 1,
        });
        self.apply(Action::Tags(TagsState::Loading));
        self.out.push(Output::Send {
            worker: Worker::Tags,
            request: Request::ListTags { access },
            attach: Attach::Nothing,
        });
    }

    pub(super) fn on_tags(&mut self, response: Response) {
        match response {
            Response::Tags { repository, tags } => self.apply(Action::Tags(TagsState::Ready {
                repository,
                tags: Rc::new(tags),
            })),
            Response::Failed { error, .. } => self.apply(Action::Tags(TagsState::Failed(error))),
            _ => {}
        }
    }
}
