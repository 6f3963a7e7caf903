//! The workers of their own: the other image of a comparison (one worker opens it and reads
//! all its layers, sending it back as a snapshot) and a repository's tags for the registry
//! form. A new one replaces (and terminates) the last.

use super::{Attach, Loader, Output, Worker};
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

    pub(super) fn compare_file(&mut self, name: String) {
        let request = Request::Analyse {
            registry: None,
            limits: self.state.limits.clone(),
        };
        self.start_compare(name, None, request, Attach::CompareFile);
    }

    pub(super) fn compare_registry(&mut self, request: RegistryRequest) {
        let access = self.access(request);
        let reference = access.reference.clone();
        let request = Request::Analyse {
            registry: Some(access),
            limits: self.state.limits.clone(),
        };
        self.start_compare(reference.clone(), Some(reference), request, Attach::Nothing);
    }

    pub(super) fn on_compare(&mut self, response: Response) {
        let (name, typed) = self.compare.clone().unwrap_or_default();
        match response {
            Response::Progress { done, total } => {
                self.apply(Action::Compare(CompareState::Loading { name, done, total }))
            }
            Response::Analysed { snapshot } => {
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
                let session = Session::new(listing, snap.image, ov, 0, 0);
                let explorer =
                    crate::state::build_explorer(&session, snap.scans, 0.0, Default::default());
                self.apply(Action::Compare(CompareState::Ready(Rc::new(Comparison {
                    session,
                    explorer,
                    link,
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
