//! A file's content, read by range from the archive through the engine: text with line
//! numbers that run on across pages, wrapping on request and a hint of what the text is (with
//! a note for non-UTF-8), a `hexdump -C` view for binaries, an ELF summary, images as inert
//! `<img>` from a blob URL (SVG scripts never run in an `<img>`). Large files are paged, never
//! loaded whole; Download saves exactly the file's bytes. "Wide" shows it over the page, where a
//! hex row's 16 bytes and their ASCII fit whatever the details pane's width.

use crate::platform::browser::{Listener, blob_url, download, revoke_url};
use crate::protocol::{ErrorInfo, FileBytes, ReadJob, Reader};
use std::collections::HashMap;
use std::rc::Rc;
use strata_core::LayerIdx;
use strata_core::preview::{ContentKind, Preview, preview};
use strata_core::text::format_bytes;
use yew::prelude::*;

/// Bytes shown per page.
const PAGE: u64 = 64 * 1024;
/// Images up to this size are previewed.
const MAX_IMAGE: u64 = 16 << 20;

#[derive(Properties, PartialEq)]
pub struct ContentViewerProps {
    pub layer: LayerIdx,
    pub entry: usize,
    pub size: u64,
    pub name: String,
    /// Show the first page at once (the user pressed Enter on the file).
    #[prop_or_default]
    pub auto_open: bool,
}

#[derive(Clone, PartialEq)]
enum Page {
    Loading,
    /// The bytes, and what the engine made of them (once, on arrival).
    Ready(Rc<(FileBytes, Preview)>),
    Failed(ErrorInfo),
}

#[component]
pub fn ContentViewer(props: &ContentViewerProps) -> Html {
    let reader = use_context::<Reader>();
    let page = use_state(|| None::<Page>);
    let offset = use_state(|| 0u64);
    let image_url = use_state(|| None::<String>);
    let downloading = use_state(|| None::<String>);
    let as_hex = use_state(|| false);
    let wrap = use_state(|| false);
    let wide = use_state(|| false);
    // The number of the first line of each page seen so far (pages are reached from the first,
    // one after another, so each page's first line is known when it is asked for).
    let first_lines = use_mut_ref(HashMap::<u64, usize>::new);

    let load = {
        let (reader, page, layer, entry) = (reader.clone(), page.clone(), props.layer, props.entry);
        let (name, first_lines) = (props.name.clone(), first_lines.clone());
        move |at: u64, len: Option<u64>| {
            let Some(reader) = reader.clone() else { return };
            page.set(Some(Page::Loading));
            let (page, name, first_lines) = (page.clone(), name.clone(), first_lines.clone());
            reader.0.emit(ReadJob {
                side: crate::protocol::Side::A,
                layer,
                entry,
                offset: at,
                len,
                reply: Callback::from(move |r: Result<FileBytes, ErrorInfo>| {
                    page.set(Some(match r {
                        Ok(b) => {
                            let first = first_lines.borrow().get(&b.offset).copied().unwrap_or(1);
                            let shown = preview(&b.bytes, &name, b.offset, first);
                            first_lines
                                .borrow_mut()
                                .insert(b.offset + b.bytes.len() as u64, shown.next_first_line);
                            Page::Ready(Rc::new((b, shown)))
                        }
                        Err(e) => Page::Failed(e),
                    }));
                }),
            });
        }
    };
    // Images load whole (bounded) so the browser can decode them; the blob URL is revoked when
    // the viewer goes.
    {
        let image_url = image_url.clone();
        use_effect_with((), move |()| {
            move || {
                if let Some(u) = &*image_url {
                    revoke_url(u);
                }
            }
        });
    }

    // Escape leaves the wide view (and only it: the page's other Escape uses do not see it).
    {
        let wide = wide.clone();
        use_effect_with(*wide, move |open| {
            let listener = open.then(|| {
                Listener::window("keydown", move |e| {
                    if let Some(k) = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(&e)
                        && k.key() == "Escape"
                    {
                        k.stop_propagation();
                        wide.set(false);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // Asked from the tree (Enter): show the first page, unless already shown.
    {
        let (load, page, offset) = (load.clone(), page.clone(), offset.clone());
        use_effect_with(props.auto_open, move |open| {
            if *open && page.is_none() {
                offset.set(0);
                load(0, Some(PAGE));
            }
        });
    }
    let on_show = {
        let (load, offset) = (load.clone(), offset.clone());
        Callback::from(move |_: MouseEvent| {
            offset.set(0);
            load(0, Some(PAGE));
        })
    };
    let on_download = {
        let (reader, downloading, name, layer, entry) = (
            reader.clone(),
            downloading.clone(),
            props.name.clone(),
            props.layer,
            props.entry,
        );
        Callback::from(move |_: MouseEvent| {
            let Some(reader) = reader.clone() else { return };
            downloading.set(Some("Reading…".into()));
            let (downloading, name) = (downloading.clone(), name.clone());
            reader.0.emit(ReadJob {
                side: crate::protocol::Side::A,
                layer,
                entry,
                offset: 0,
                len: None,
                reply: Callback::from(move |r: Result<FileBytes, ErrorInfo>| match r {
                    Ok(b) => {
                        download(&b.bytes, if name.is_empty() { "file" } else { &name });
                        downloading.set(Some(format!("Saved {} bytes", b.bytes.len())));
                    }
                    Err(e) => downloading.set(Some(format!("Download failed: {}", e.summary))),
                }),
            });
        })
    };

    let toggle_wide = {
        let (wide, load, page, offset) = (wide.clone(), load.clone(), page.clone(), offset.clone());
        Callback::from(move |_: MouseEvent| {
            if page.is_none() {
                offset.set(0);
                load(0, Some(PAGE));
            }
            wide.set(!*wide)
        })
    };
    let head = html! {
        <div class="content-head">
            <h4>{ if *wide { html! { <>{ "Content of " }<code>{ props.name.clone() }</code></> } } else { html! { "Content" } } }</h4>
            if page.is_none() {
                <button class="button" id="show-content" onclick={on_show}>{ "Show content" }</button>
            }
            <button class="button subtle" id="content-wide" onclick={toggle_wide} aria-pressed={wide.to_string()}
                title={if *wide { "Back to the details pane (Escape)" } else { "Show the content over the page, wide" }}>
                { if *wide { "Close wide view" } else { "Wide" } }</button>
            <button class="button subtle" id="download-file" onclick={on_download}>{ "Download" }</button>
            if let Some(msg) = &*downloading { <span class="note" id="download-status">{ msg.clone() }</span> }
        </div>
    };
    let body = match &*page {
        None => {
            html! { <p class="note">{ format!("{} · read from the archive only when asked", format_bytes(props.size)) }</p> }
        }
        Some(Page::Loading) => html! { <p class="note" aria-busy="true">{ "Reading…" }</p> },
        Some(Page::Failed(e)) => {
            html! { <p class="error-summary" role="alert">{ e.summary.clone() }<br /><small>{ e.detail.clone() }</small></p> }
        }
        Some(Page::Ready(ready)) => {
            let (b, shown) = &**ready;
            let kind = &shown.kind;
            let nav = {
                let at = b.offset;
                let total = b.total;
                let prev = (at > 0).then(|| {
                    let (load, offset) = (load.clone(), offset.clone());
                    Callback::from(move |_: MouseEvent| {
                        let p = at.saturating_sub(PAGE);
                        offset.set(p);
                        load(p, Some(PAGE));
                    })
                });
                let next = (at + (b.bytes.len() as u64) < total).then(|| {
                    let (load, offset) = (load.clone(), offset.clone());
                    let p = at + b.bytes.len() as u64;
                    Callback::from(move |_: MouseEvent| {
                        offset.set(p);
                        load(p, Some(PAGE));
                    })
                });
                html! {
                    <div class="pager">
                        <span class="note">{ format!("bytes {}–{} of {}", at, at + b.bytes.len() as u64, total) }</span>
                        if let Some(p) = prev { <button class="button subtle" onclick={p}>{ "← Previous page" }</button> }
                        if let Some(n) = next { <button class="button subtle" id="next-page" onclick={n}>{ "Next page →" }</button> }
                    </div>
                }
            };
            let toggle_hex = {
                let as_hex = as_hex.clone();
                Callback::from(move |_: MouseEvent| as_hex.set(!*as_hex))
            };
            let toggle_wrap = {
                let wrap = wrap.clone();
                Callback::from(move |_: Event| wrap.set(!*wrap))
            };
            let is_text = matches!(kind, ContentKind::Text { .. }) && !*as_hex;
            let rendered = match (kind, *as_hex) {
                (ContentKind::Text { valid }, false) => {
                    let width = (shown.first_line + shown.lines.len()).to_string().len();
                    html! {
                        <>
                            if !valid { <p class="note">{ "Not valid UTF-8: the bytes that are not are shown as �. Switch to hex for the exact bytes." }</p> }
                            <pre class={classes!("text-content", wrap.then_some("wrap"))} id="text-content" style={format!("--line-no-width: {}ch", width + 1)}>
                                { for shown.lines.iter().enumerate().map(|(i, line)| {
                                    let comment = shown.syntax.is_some_and(|s| s.is_comment(line));
                                    html! {
                                        <span class={classes!("line", comment.then_some("comment"))}><span class="line-no" aria-hidden="true">{ shown.first_line + i }</span><span class="line-text">{ line.clone() }</span>{ "\n" }</span>
                                    }
                                }) }
                            </pre>
                        </>
                    }
                }
                (ContentKind::Image { mime }, false) => {
                    if b.offset == 0 && b.total <= MAX_IMAGE && (b.bytes.len() as u64) < b.total {
                        let load = load.clone();
                        let onclick = Callback::from(move |_: MouseEvent| load(0, None));
                        html! { <button class="button" onclick={onclick}>{ format!("Preview the image ({})", format_bytes(b.total)) }</button> }
                    } else if b.offset == 0 && (b.bytes.len() as u64) == b.total {
                        let url = (*image_url).clone().or_else(|| {
                            let u = blob_url(&b.bytes, mime);
                            image_url.set(u.clone());
                            u
                        });
                        html! { <img class="image-preview" src={url.unwrap_or_default()} alt={format!("preview of {}", props.name)} /> }
                    } else {
                        html! { <p class="note">{ "Too large to preview; download it instead." }</p> }
                    }
                }
                (ContentKind::Elf, false) => match &shown.elf {
                    Some(elf) => html! {
                        <dl class="facts compact elf" id="elf-info">
                            <dt>{ "ELF" }</dt><dd>{ format!("{} {} {}", elf.class, elf.endian, elf.kind) }</dd>
                            <dt>{ "Machine" }</dt><dd>{ elf.machine.clone() }</dd>
                            <dt>{ "Interpreter" }</dt><dd>{ elf.interpreter.clone().unwrap_or_else(|| if elf.statically_linked { "none (statically linked)".into() } else { "none".into() }) }</dd>
                        </dl>
                    },
                    None => {
                        html! { <p class="note">{ "An ELF file whose header is damaged." }</p> }
                    }
                },
                _ => {
                    html! { <pre class="hex-content" id="hex-content">{ shown.hex.join("\n") }</pre> }
                }
            };
            html! {
                <>
                    { nav }
                    <div class="content-tools">
                        <button class="button subtle" id="toggle-hex" onclick={toggle_hex}>{ if *as_hex { "Show as text" } else { "Show as hex" } }</button>
                        if is_text {
                            <label class="check"><input type="checkbox" id="content-wrap" checked={*wrap} onchange={toggle_wrap} />{ "wrap lines" }</label>
                        }
                        if let (true, Some(syntax)) = (is_text, shown.syntax) {
                            <span class="note syntax-hint" id="syntax-hint" title="Guessed from the name and the first line">{ format!("looks like {}", syntax.name()) }</span>
                        }
                    </div>
                    { rendered }
                </>
            }
        }
    };
    let viewer = html! {
        <section class={classes!("content-viewer", wide.then_some("wide"))} id="content-viewer"
            role={wide.then_some("dialog")} aria-modal={wide.then_some("true")} aria-label="file content">
            { head }
            { body }
        </section>
    };
    if *wide {
        let close = {
            let wide = wide.clone();
            Callback::from(move |_: MouseEvent| wide.set(false))
        };
        html! {
            <>
                <p class="note">{ "Shown wide over the page." }</p>
                <div class="content-backdrop" onclick={close}></div>
                { viewer }
            </>
        }
    } else {
        viewer
    }
}
