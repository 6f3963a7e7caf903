//! The package analysis of the open image, in one worker of its own, started with the scan:
//! each layer scan is forwarded to it as it arrives (its index and the package databases it
//! kept: nothing is decompressed again for them), so it decodes them and builds its tree while
//! the page does; once the layers are ready it is asked for the analysis, and reads the rest
//! by range, as the engine asks. Its report comes back as the page's `PackagesState`; a new
//! image or run stops it.

use super::{Attach, Env, Loader, Output, Source, Worker};
use crate::protocol::{PackageLayer, Request, Response};
use crate::state::{Action, Packages, PackagesState, Session};
use std::rc::Rc;
use strata_core::history::History;

impl Loader {
    pub(super) fn stop_packages(&mut self) {
        self.packages = None;
        self.package_scans = None;
        if std::mem::take(&mut self.packages_worker) {
            self.out.push(Output::Stop(Worker::Packages));
        }
    }

    /// Starts the package worker while the layers are read (its wasm loads meanwhile).
    pub(super) fn spawn_packages(&mut self) {
        if !self.packages_worker {
            self.packages_worker = true;
            self.out.push(Output::Spawn {
                worker: Worker::Packages,
                size: 1,
            });
        }
    }

    /// Asks the package worker for the analysis of this run's scans (a snapshot has no file
    /// contents: its packages cannot be read, and the page says so).
    pub(super) fn start_packages(&mut self, session: &Session, history: History, env: &dyn Env) {
        let run = self.run;
        let (attach, registry) = match &self.source {
            Some(Source::File { .. }) => (Attach::File, None),
            Some(Source::Registry(access)) => (Attach::Nothing, Some(access.clone())),
            Some(Source::Snapshot | Source::CompareFile) | None => return,
        };
        self.spawn_packages();
        let job = match self.package_scans.take() {
            Some((job, ..)) => job,
            None => {
                self.next_job += 1;
                self.next_job
            }
        };
        self.packages = Some((job, env.now_ms()));
        let layers = session
            .image
            .layers
            .iter()
            .map(|l| {
                l.location.map(|blob| PackageLayer {
                    blob,
                    digest: l.digest.clone(),
                })
            })
            .collect();
        self.out.push(Output::Send {
            worker: Worker::Packages,
            request: Request::AnalysePackages {
                job,
                layers,
                history,
                limits: self.state.limits.clone(),
                registry,
            },
            attach,
        });
        self.out.push(Output::Mark("strata:packages-start"));
        self.apply(Action::Packages {
            run,
            state: PackagesState::Reading,
        });
    }

    pub(super) fn on_packages(&mut self, response: Response, env: &dyn Env) {
        let Some((want, started)) = self.packages else {
            return;
        };
        let run = self.run;
        match response {
            Response::Packages {
                job,
                millis,
                memory,
                report,
            } if job == want => {
                self.stop_packages(); // its memory is freed with it
                self.submit_hashes();
                let packages = Packages::new(*report, millis, memory, env.now_ms() - started);
                self.apply(Action::Packages {
                    run,
                    state: PackagesState::Ready(Rc::new(packages)),
                });
                self.out.push(Output::Mark("strata:packages-ready"));
            }
            Response::Failed { job, error } if job.is_none_or(|j| j == want) => {
                self.stop_packages();
                self.submit_hashes();
                self.apply(Action::Packages {
                    run,
                    state: PackagesState::Failed(error),
                });
            }
            _ => {}
        }
    }
}
