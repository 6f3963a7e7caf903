//! Strata's web app: a thin Yew front end over the engine. The page renders view models the
//! engine produced; a Web Worker (`src/bin/worker.rs`) reads the archive and runs the engine.
//!
//! - [`app`]: the root component and its state ([`state`]).
//! - [`components`]: one component per file, rendering only.
//! - [`platform`]: every piece of browser glue (File, Blob, Worker, clipboard, URL).
//! - [`protocol`]: the messages between page and worker.

pub mod app;
pub mod components;
pub mod platform;
pub mod protocol;
pub mod route;
pub mod samples;
pub mod state;
