//! One component per file. Components render view models and raise callbacks (`on_<verb>`);
//! they never parse bytes and never call browser APIs beyond their own DOM events.

pub mod compare_view;
pub mod content_viewer;
pub mod copy_button;
pub mod diagnostics_list;
pub mod dockerfile_view;
pub mod equivalent_commands;
pub mod error_panel;
pub mod file_details;
pub mod file_picker;
pub mod file_tree;
pub mod findings;
pub mod header;
pub mod help_overlay;
pub mod history_view;
pub mod image_page;
pub mod inspect_view;
pub mod json_tree;
pub mod layer_list;
pub mod layers_view;
pub mod overview_view;
pub mod progress_panel;
pub mod raw_view;
pub mod registry_form;
pub mod start_screen;
pub mod treemap;
pub mod waste_view;
