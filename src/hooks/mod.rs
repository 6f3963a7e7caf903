//! The page's effects, each a custom hook (Yew's `function_todomvc` shape): the loader and its
//! workers, the URL fragment both ways, the keyboard, saving a snapshot, the samples, a pack's exercise files. `App`
//! only wires them together and renders.

pub mod use_exercises;
pub mod use_keyboard;
pub mod use_loader;
pub mod use_route_sync;
pub mod use_samples;
pub mod use_snapshot_save;
