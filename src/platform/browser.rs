//! Small wrappers over browser APIs the page uses: the URL fragment, window events, the
//! clipboard, downloads, blob URLs, the theme attribute, performance marks.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Event, KeyboardEvent};

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The URL fragment, with its `#`.
pub fn hash() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// A link to this page with `fragment`: what "Copy link" copies.
pub fn link_for(fragment: &str) -> String {
    let Some(w) = window() else {
        return fragment.to_owned();
    };
    let l = w.location();
    format!(
        "{}{}{fragment}",
        l.origin().unwrap_or_default(),
        l.pathname().unwrap_or_default()
    )
}

/// Sets the fragment: a new history entry (so Back returns), or in place.
pub fn set_hash(fragment: &str, push: bool) {
    let Some(w) = window() else { return };
    if hash() == fragment {
        return;
    }
    if let Ok(history) = w.history() {
        let url = format!(
            "{}{}",
            w.location().pathname().unwrap_or_default(),
            fragment
        );
        let _ = if push {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    }
}

/// A window event listener, removed when dropped.
pub struct Listener {
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Listener({})", self.event)
    }
}

impl Listener {
    pub fn window(event: &'static str, mut f: impl FnMut(Event) + 'static) -> Listener {
        let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| f(e));
        if let Some(w) = window() {
            let _ = w.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        Listener { event, closure }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(w) = window() {
            let _ = w.remove_event_listener_with_callback(
                self.event,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Whether a key event happened while typing in a field (shortcuts must not fire then).
pub fn in_text_field(e: &KeyboardEvent) -> bool {
    let tag = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.tag_name().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(tag.as_str(), "input" | "textarea" | "select")
}

/// Copies text to the clipboard (asynchronously; failures are silent, the UI says "copied"
/// only when the promise resolves).
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(w) = window() else {
        return done(false);
    };
    let promise = w.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done(ok);
    });
}

/// A `blob:` URL for bytes of a given type (revoke with [`revoke_url`]).
pub fn blob_url(bytes: &[u8], mime: &str) -> Option<String> {
    blob_url_of(&js_sys::Uint8Array::from(bytes), mime)
}

/// [`blob_url`] of bytes in a JS buffer already.
fn blob_url_of(array: &js_sys::Uint8Array, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Saves bytes as a file named `name`, through a temporary link.
pub fn download(bytes: &[u8], name: &str) {
    download_array(&js_sys::Uint8Array::from(bytes), name)
}

/// [`download`] of bytes as they arrived: from the JS buffer they came in, if they are still
/// in one (a 19 MB snapshot copied into the page's memory and out again was a 54 ms task).
pub fn download_arrived(bytes: &crate::protocol::Arrived, name: &str) {
    match bytes {
        crate::protocol::Arrived::Here(b) => download(b, name),
        crate::protocol::Arrived::Js(array) => download_array(array, name),
    }
}

fn download_array(array: &js_sys::Uint8Array, name: &str) {
    let Some(url) = blob_url_of(array, "application/octet-stream") else {
        return;
    };
    let Some(doc) = window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.set_attribute("style", "display:none").ok();
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
    // The download has started from the URL; revoking later keeps it valid meanwhile.
    let url2 = url.clone();
    later(10_000, move || revoke_url(&url2));
}

/// Runs `f` once, `ms` milliseconds from now (after the page has had a chance to paint).
pub fn later(ms: i32, f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(f);
    if let Some(w) = window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}

/// Runs `f` once the page has painted its next frame: a task queued from the frame's
/// animation callback runs after that frame's paint.
pub fn after_paint(f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(move || later(0, f));
    if let Some(w) = window() {
        let _ = w.request_animation_frame(cb.unchecked_ref());
    }
}

/// Calls `f` on every `kinds` event at the window, before the page's own handlers see it
/// (capture), for the page's life.
pub fn on_window_events(kinds: &[&str], f: impl Fn() + 'static) {
    let Some(w) = window() else { return };
    let cb = Closure::<dyn Fn()>::new(f);
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    options.set_passive(true);
    for kind in kinds {
        let _ = w.add_event_listener_with_callback_and_add_event_listener_options(
            kind,
            cb.as_ref().unchecked_ref(),
            &options,
        );
    }
    cb.forget(); // listens as long as the page lives
}

/// `system`, `light` or `dark` on `<html data-theme>` (the CSS follows the system otherwise).
/// A value kept in this origin's localStorage between visits (nothing leaves the browser);
/// `None` where there is none or storage is refused (a private or sandboxed window).
pub fn stored(key: &str) -> Option<String> {
    window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
}

/// Keeps `value` under `key` (an empty value forgets it); where storage is refused the choice
/// lasts for this visit only.
pub fn store(key: &str, value: &str) {
    if let Some(storage) = window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = if value.is_empty() {
            storage.remove_item(key)
        } else {
            storage.set_item(key, value)
        };
    }
}

/// Where the theme choice is kept (www/boot.js reads it too, before the app starts).
const THEME_KEY: &str = "strata.theme";

/// The theme chosen on an earlier visit ("dark" or "light"; "system" is the default).
pub fn saved_theme() -> &'static str {
    match stored(THEME_KEY).as_deref() {
        Some("dark") => "dark",
        Some("light") => "light",
        _ => "system",
    }
}

/// Applies a theme and remembers it.
pub fn set_theme(theme: &str) {
    store(THEME_KEY, if theme == "system" { "" } else { theme });
    if let Some(el) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        if theme == "system" {
            let _ = el.remove_attribute("data-theme");
        } else {
            let _ = el.set_attribute("data-theme", theme);
        }
    }
}

/// `performance.now()` in ms.
pub fn now_ms() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A `performance.mark` the benchmark and tests read.
pub fn mark(name: &str) {
    if let Some(p) = window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// This wasm instance's memory, in bytes (it only grows).
pub fn wasm_memory() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0, |m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
}

/// Seconds since 1970, for relative times.
pub fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// A GET of a file beside the app that answered 2xx.
async fn fetch_ok(url: &str) -> Result<web_sys::Response, String> {
    use crate::platform::blob_source::js_text;
    let w = window().ok_or("no window")?;
    let response = wasm_bindgen_futures::JsFuture::from(w.fetch_with_str(url))
        .await
        .map_err(|e| js_text(&e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    Ok(response)
}

/// Fetches a file served beside the app (a sample) as a `File`, as if the user had picked it.
pub async fn fetch_file(url: &str, name: &str) -> Result<web_sys::File, String> {
    use crate::platform::blob_source::js_text;
    let response = fetch_ok(url).await?;
    let blob = wasm_bindgen_futures::JsFuture::from(response.blob().map_err(|e| js_text(&e))?)
        .await
        .map_err(|e| js_text(&e))?;
    let parts = js_sys::Array::of1(&blob);
    let options = web_sys::FilePropertyBag::new();
    options.set_type("application/x-tar");
    web_sys::File::new_with_blob_sequence_and_options(&parts, name, &options)
        .map_err(|e| js_text(&e))
}

/// Fetches a small file served beside the app (a pack's exercise files) as bytes; refused
/// above `max` bytes.
pub async fn fetch_bytes(url: &str, max: u64) -> Result<Vec<u8>, String> {
    use crate::platform::blob_source::js_text;
    let response = fetch_ok(url).await?;
    let buffer =
        wasm_bindgen_futures::JsFuture::from(response.array_buffer().map_err(|e| js_text(&e))?)
            .await
            .map_err(|e| js_text(&e))?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    if u64::from(bytes.length()) > max {
        return Err(format!("{url}: {} bytes; at most {max}", bytes.length()));
    }
    Ok(bytes.to_vec())
}

/// `strata serve`'s proxy, if the page came from it (the worker checks before using it).
pub fn proxy_base() -> Option<String> {
    let origin = window()?.location().origin().ok()?;
    origin
        .starts_with("http")
        .then(|| format!("{origin}/proxy"))
}

/// A small text file the user picked (a PEM key), read whole; refused above `max` bytes, so a
/// wrong pick cannot fill the page's memory.
pub fn read_small_text(
    file: web_sys::File,
    max: u64,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    use crate::platform::blob_source::js_text;
    if file.size() > max as f64 {
        return done(Err(format!(
            "{} is {} bytes; a public key is a few hundred",
            file.name(),
            file.size()
        )));
    }
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .map(|t| t.as_string().unwrap_or_default())
            .map_err(|e| js_text(&e));
        done(text);
    });
}
