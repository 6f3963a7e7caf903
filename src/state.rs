//! The app's state in one reducer: what is open, how far loading got, which view shows. Big
//! data sits behind `Rc` so that props compare cheaply.

use crate::protocol::{ArchiveListing, ErrorInfo};
use std::rc::Rc;
use strata_core::{Image, Overview};
use yew::Reducible;

/// The views of an open image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
}

impl View {
    pub const ALL: [View; 1] = [View::Overview];

    pub fn label(self) -> &'static str {
        match self {
            View::Overview => "Overview",
        }
    }
}

/// An image the worker resolved.
#[derive(Debug, PartialEq)]
pub struct Loaded {
    pub image: Image,
    pub overview: Overview,
    pub image_number: usize,
    /// Bytes of the archive read to show this (a few KiB, whatever the archive's size).
    pub bytes_read: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing open: the start screen.
    Start,
    /// The worker is reading the archive.
    Opening {
        file_name: String,
        done: u64,
        total: u64,
    },
    Ready(Rc<Loaded>),
    Failed {
        error: ErrorInfo,
        file_name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    pub listing: Option<Rc<ArchiveListing>>,
    pub view: View,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            phase: Phase::Start,
            listing: None,
            view: View::Overview,
        }
    }
}

#[derive(Debug)]
pub enum Action {
    /// A file was dropped or picked.
    Opening {
        file_name: String,
        total: u64,
    },
    Progress {
        done: u64,
        total: u64,
    },
    Opened(ArchiveListing),
    Loaded(Box<Loaded>),
    Failed(ErrorInfo),
    /// Stop loading, back to the start screen.
    Cancel,
    ShowView(View),
}

impl AppState {
    pub fn file_name(&self) -> Option<&str> {
        match &self.phase {
            Phase::Opening { file_name, .. } => Some(file_name),
            Phase::Failed { file_name, .. } => file_name.as_deref(),
            _ => self.listing.as_ref().map(|l| l.file_name.as_str()),
        }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Opening { file_name, total } => {
                next.phase = Phase::Opening {
                    file_name,
                    done: 0,
                    total,
                };
                next.listing = None;
            }
            Action::Progress { done, total } => {
                if let Phase::Opening { file_name, .. } = &self.phase {
                    next.phase = Phase::Opening {
                        file_name: file_name.clone(),
                        done,
                        total,
                    };
                }
            }
            Action::Opened(listing) => next.listing = Some(Rc::new(listing)),
            Action::Loaded(loaded) => {
                next.phase = Phase::Ready(Rc::from(loaded));
            }
            Action::Failed(error) => {
                let file_name = self.file_name().map(str::to_owned);
                next.phase = Phase::Failed { error, file_name };
            }
            Action::Cancel => {
                next.phase = Phase::Start;
                next.listing = None;
            }
            Action::ShowView(view) => next.view = view,
        }
        Rc::new(next)
    }
}
