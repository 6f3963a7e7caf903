//! The supply chain lookup, lazily: a registry image's signatures, attestations and referrers
//! are asked for only when the Supply chain view or the Packages view opens (the overview's
//! requests stay the manifests and the config; the Packages view sets the image's SBOMs beside
//! its own list, and has the layers downloaded anyway); an archive's are looked up as soon as the image arrives (they
//! are local reads of a few small blobs, and the overview's badge comes from them). A key
//! given by the user runs the lookup again, verifying with it. The main worker does the work:
//! it holds the archive, and reaches the registry the way the image was opened.

use super::{Attach, Loader, Output, Source, Worker};
use crate::protocol::{ErrorInfo, Request, Response};
use crate::route::View;
use crate::state::Action;

/// Whether a lookup is wanted, for which image, with which key.
pub(super) type SupplyKey = (bool, Option<u64>, Option<String>);

impl Loader {
    pub(super) fn supply_key(&self) -> SupplyKey {
        // A snapshot is answered at once (it keeps nothing to look up), so its badge says so.
        let local = matches!(self.source, Some(Source::File { .. } | Source::Snapshot));
        (
            local || matches!(self.state.route.view, View::SupplyChain | View::Packages),
            self.state.session().map(|_| self.state.opened),
            self.state.supply_chain.key.clone(),
        )
    }

    /// Asks the main worker for the open image's supply chain when one is wanted and this image
    /// and key have not been looked up yet.
    pub(super) fn on_supply_key(&mut self) {
        let (wanted, Some(session), key) = self.supply_key() else {
            return;
        };
        if !wanted || self.supply_done == Some((session, key.clone())) {
            return;
        }
        self.supply_done = Some((session, key.clone()));
        let Some(session) = self.state.session().cloned() else {
            return;
        };
        let registry = match &self.source {
            Some(Source::Registry(access)) => Some(access.clone()),
            Some(Source::File { .. }) => None,
            // Only a comparison's image B is read from this; the open image never is.
            Some(Source::CompareFile) => return,
            Some(Source::Snapshot) | None => {
                self.next_lookup += 1;
                let lookup = self.next_lookup;
                self.apply(Action::SupplyChainLooking { lookup });
                return self.apply(Action::SupplyChainFound {
                    lookup,
                    result: Err(ErrorInfo {
                        kind: "snapshot".into(),
                        summary: "A snapshot keeps no signatures or attestations.".into(),
                        detail: "Open the image it was made from (its archive, or its registry reference) to see its supply chain.".into(),
                    }),
                    key_error: None,
                });
            }
        };
        self.next_lookup += 1;
        let lookup = self.next_lookup;
        self.apply(Action::SupplyChainLooking { lookup });
        self.out.push(Output::Send {
            worker: Worker::Main,
            request: Request::SupplyChain {
                lookup,
                image: Box::new(session.image.clone()),
                registry,
                key,
                limits: self.state.limits.clone(),
            },
            attach: Attach::Nothing,
        });
    }

    pub(super) fn on_supply_chain(&mut self, response: Response) {
        if let Response::SupplyChain {
            lookup,
            result,
            key_error,
        } = response
        {
            self.apply(Action::SupplyChainFound {
                lookup,
                result,
                key_error,
            });
        }
    }

    /// Whether a lookup is under way (the view says so).
    #[cfg(test)]
    pub(super) fn supply_chain_looking(&self) -> bool {
        self.state.supply_chain.status == crate::state::LookupStatus::Looking
    }
}
