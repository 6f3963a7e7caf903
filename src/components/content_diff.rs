//! One changed file of a comparison as a unified diff (`diff -u`): both versions read by range
//! through the pool (A from the open image, B from the one compared with), at most
//! `MAX_TEXT_DIFF_BYTES` each, and diffed by the engine (`strata_core::diff::text_diff`, the
//! same as `strata diff --content`).

use crate::components::untrusted::Untrusted;
use crate::protocol::{ErrorInfo, FileBytes, ReadJob, Reader, Side};
use std::rc::Rc;
use strata_core::LayerIdx;
use strata_core::diff::{MAX_TEXT_DIFF_BYTES, text_diff};
use yew::prelude::*;

/// Where one version of the file is: its layer (0-based) and entry in that layer's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub layer: usize,
    pub entry: usize,
    pub size: u64,
}

/// One version's bytes, once read.
type Bytes = Option<Rc<Vec<u8>>>;

#[derive(Properties, PartialEq)]
pub struct ContentDiffProps {
    pub path: String,
    pub a: Version,
    pub b: Version,
}

#[derive(Clone, PartialEq)]
enum Shown {
    Reading,
    Diff(Rc<String>),
    /// Not text on one side (or identical bytes: a change of mode or owner only).
    NoText,
    Failed(String),
}

#[component]
pub fn ContentDiff(props: &ContentDiffProps) -> Html {
    let reader = use_context::<Reader>();
    let shown = use_state(|| Shown::Reading);
    {
        let (shown, path, a, b) = (shown.clone(), props.path.clone(), props.a, props.b);
        use_effect_with((props.path.clone(), props.a, props.b), move |_| {
            let Some(reader) = reader else { return };
            // Both sides arrive in any order; the diff is made when the second does.
            let got: Rc<std::cell::RefCell<[Bytes; 2]>> = Rc::default();
            for (side, v, slot) in [(Side::A, a, 0), (Side::B, b, 1)] {
                let (got, shown, path) = (got.clone(), shown.clone(), path.clone());
                reader.0.emit(ReadJob {
                    side,
                    layer: LayerIdx::new(v.layer),
                    entry: v.entry,
                    offset: 0,
                    len: Some(MAX_TEXT_DIFF_BYTES),
                    reply: Callback::from(move |r: Result<FileBytes, ErrorInfo>| match r {
                        Ok(bytes) => {
                            let both = {
                                let mut g = got.borrow_mut();
                                g[slot] = Some(bytes.bytes);
                                g[0].clone().zip(g[1].clone())
                            };
                            if let Some((x, y)) = both {
                                shown.set(match text_diff(&path, &x, &y) {
                                    Some(d) => Shown::Diff(Rc::new(d)),
                                    None => Shown::NoText,
                                });
                            }
                        }
                        Err(e) => shown.set(Shown::Failed(format!(
                            "{} could not be read: {}",
                            if slot == 0 {
                                "A's version"
                            } else {
                                "B's version"
                            },
                            e.summary
                        ))),
                    }),
                });
            }
        });
    }
    let cut = props.a.size > MAX_TEXT_DIFF_BYTES || props.b.size > MAX_TEXT_DIFF_BYTES;
    html! {
        <div class="content-diff" data-path={props.path.clone()}>
            { match &*shown {
                Shown::Reading => html! { <p class="note" aria-busy="true">{ "Reading both versions…" }</p> },
                Shown::Failed(why) => html! { <p class="tag-error" role="alert">{ why.clone() }</p> },
                Shown::NoText => html! { <p class="note content-diff-none">{ "No text diff: one version is not text (a NUL byte, or not UTF-8), or the bytes are the same and only the metadata changed." }</p> },
                Shown::Diff(d) => html! {
                    <>
                        if cut { <p class="note">{ format!("The first {} of each version.", strata_core::text::format_bytes(MAX_TEXT_DIFF_BYTES)) }</p> }
                        <pre class="unified-diff">{ for d.lines().map(|l| {
                            let class = if l.starts_with("+++") || l.starts_with("---") { "file" }
                                else if l.starts_with("@@") { "hunk" }
                                else if l.starts_with('+') { "add" }
                                else if l.starts_with('-') { "del" }
                                else { "ctx" };
                            html! { <span class={classes!("diff-line", class)}><Untrusted text={l.to_owned()} />{ "\n" }</span> }
                        }) }</pre>
                    </>
                },
            } }
        </div>
    }
}
