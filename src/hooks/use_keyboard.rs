//! Keyboard shortcuts: 1–8 switch views (when an image is open), `?` help, `t` theme, `/`
//! searches the Layers view's paths, Escape closes the help.

use crate::platform::browser::{self, Listener, in_text_field};
use crate::route::{Route, View};
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// The next theme `t` picks.
pub fn next_theme(theme: &str) -> &'static str {
    match theme {
        "system" => "dark",
        "dark" => "light",
        _ => "system",
    }
}

#[hook]
pub fn use_keyboard(
    route: &Route,
    has_image: bool,
    help: &UseStateHandle<bool>,
    theme: &UseStateHandle<&'static str>,
    navigate: &Callback<Route>,
) {
    let (help, route, navigate, theme) =
        (help.clone(), route.clone(), navigate.clone(), theme.clone());
    use_effect_with((route.clone(), has_image, *help, *theme), move |_| {
        let listener = Listener::window("keydown", move |e| {
            let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if in_text_field(e) || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            match e.key().as_str() {
                "?" => help.set(!*help),
                "Escape" if *help => help.set(false),
                // `/` searches paths wherever focus is (after a click on a tab, say), not only
                // from the tree.
                "/" if has_image && route.view == View::Layers => {
                    if let Some(input) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id("tree-filter"))
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        e.prevent_default();
                        let _ = input.focus();
                    }
                }
                "t" => {
                    let next = next_theme(*theme);
                    browser::set_theme(next);
                    theme.set(next);
                }
                k if has_image && k.len() == 1 => {
                    if let Some(view) = View::ALL.into_iter().find(|v| v.key().to_string() == k) {
                        e.prevent_default();
                        navigate.emit(Route {
                            view,
                            ..route.clone()
                        });
                    }
                }
                _ => {}
            }
        });
        move || drop(listener)
    });
}
