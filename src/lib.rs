//! Strata's web app: a thin Yew front end over the engine. The page renders view models the
//! engine produced; a Web Worker (`src/bin/worker.rs`) reads the archive and runs the engine.
//!
//! - [`app`]: the root component; [`loader`] the state machine that opens and reads images
//!   (run by [`hooks`]), into the page's state ([`state`]).
//! - [`components`]: one component per file, rendering only ([`identity`]: shared values
//!   compared by identity, for their props and memos); [`exercises`] the Exercises
//!   panel's view model.
//! - [`platform`]: every piece of browser glue (File, Blob, Worker, clipboard, URL).
//! - [`protocol`]: the messages between page and worker; [`wire`] encodes them, both ends.
//! - [`worker`]: the Web Worker's side (`src/bin/worker.rs` is its entry).

pub mod app;
pub mod components;
pub mod exercises;
pub mod hooks;
pub mod identity;
pub mod loader;
pub mod platform;
pub mod protocol;
pub mod route;
pub mod samples;
pub mod state;
pub mod wire;
pub mod worker;
