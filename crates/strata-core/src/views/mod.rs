//! The top floor: what hosts render, built from the floors below. The overview, `docker
//! history` and the Dockerfile ([`history`]), `docker image inspect` ([`inspect`]), the layer
//! explorer's view models ([`explorer`]), the Packages view's ([`packages`]), file previews
//! ([`preview`]), the guided walk ([`lessons`]), one report of an image for every host
//! ([`report`]), the command that shows the same without Strata ([`equivalents`]), snapshots of
//! an inspection ([`snapshot`]), the Supply chain view's badge and marks
//! ([`supply_chain_view`]), and an image's SBOMs set beside its layers' packages
//! ([`sbom_comparison`]).

pub mod equivalents;
pub mod exercises;
pub mod explorer;
pub mod history;
pub mod inspect;
pub mod lessons;
pub mod overview;
pub mod packages;
pub mod preview;
pub mod report;
pub mod sbom_comparison;
pub mod snapshot;
pub mod supply_chain_view;
