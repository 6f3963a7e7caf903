//! One component per file. Components render view models and raise callbacks (`on_<verb>`);
//! they never parse bytes and never call browser APIs beyond their own DOM events.

pub mod error_panel;
pub mod file_picker;
pub mod header;
pub mod overview_view;
pub mod progress_panel;
pub mod start_screen;
