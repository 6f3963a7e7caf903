//! The handle between the file tree and the details pane: drag it (or focus it and press ←/→)
//! to give the details, and the content viewer in them, the width they need; double-click goes
//! back to the default. The width is kept in this origin's localStorage, like the theme.

use crate::platform::browser;
use yew::prelude::*;

/// The details pane's narrowest and default widths, in CSS pixels.
pub const MIN_WIDTH: f64 = 240.0;
pub const DEFAULT_WIDTH: f64 = 352.0;
/// One arrow key press.
const STEP: f64 = 32.0;

/// A width the layout can give: at least `MIN_WIDTH`, and the tree keeps at least 40% of the
/// explorer.
pub fn clamp_width(width: f64, explorer_width: f64) -> f64 {
    let max = (explorer_width * 0.6).max(MIN_WIDTH);
    width.clamp(MIN_WIDTH, max)
}

#[derive(Properties, PartialEq)]
pub struct PaneResizerProps {
    /// The details pane's width now.
    pub width: f64,
    /// A new width, already clamped, to apply and keep.
    pub on_resize: Callback<f64>,
}

#[component]
pub fn PaneResizer(props: &PaneResizerProps) -> Html {
    let dragging = use_state(|| false);
    let node = use_node_ref();
    // The explorer's right edge and width: the pane's width is the distance from the pointer.
    let frame = {
        let node = node.clone();
        move || {
            node.cast::<web_sys::Element>()
                .and_then(|e| e.parent_element())
                .map(|p| {
                    let r = p.get_bounding_client_rect();
                    (r.right(), r.width())
                })
        }
    };
    let onpointerdown = {
        let (dragging, node) = (dragging.clone(), node.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some(el) = node.cast::<web_sys::Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            e.prevent_default();
            dragging.set(true);
        })
    };
    let onpointermove = {
        let (dragging, on_resize, frame) =
            (dragging.clone(), props.on_resize.clone(), frame.clone());
        Callback::from(move |e: PointerEvent| {
            if *dragging && let Some((right, width)) = frame() {
                on_resize.emit(clamp_width(right - f64::from(e.client_x()), width));
            }
        })
    };
    let onpointerup = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| dragging.set(false))
    };
    let onkeydown = {
        let (on_resize, width, frame) = (props.on_resize.clone(), props.width, frame.clone());
        Callback::from(move |e: KeyboardEvent| {
            let delta = match e.key().as_str() {
                "ArrowLeft" => STEP,
                "ArrowRight" => -STEP,
                _ => return,
            };
            e.prevent_default();
            e.stop_propagation();
            let explorer = frame().map_or(f64::MAX, |(_, w)| w);
            on_resize.emit(clamp_width(width + delta, explorer));
        })
    };
    let ondblclick = {
        let on_resize = props.on_resize.clone();
        Callback::from(move |_: MouseEvent| on_resize.emit(DEFAULT_WIDTH))
    };
    html! {
        <div class={classes!("pane-resizer", dragging.then_some("dragging"))} id="details-resizer" ref={node}
            role="separator" aria-orientation="vertical" aria-label="width of the details pane"
            aria-valuenow={format!("{:.0}", props.width)} aria-valuemin={format!("{MIN_WIDTH:.0}")}
            tabindex="0" title="Drag to resize the details (← →; double-click for the default)"
            {onpointerdown} {onpointermove} {onpointerup} {onkeydown} {ondblclick}>
        </div>
    }
}

/// The width chosen on an earlier visit.
pub fn saved_width() -> f64 {
    browser::stored("strata.detailsWidth")
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|w| w.is_finite())
        .map_or(DEFAULT_WIDTH, |w| w.max(MIN_WIDTH))
}

/// Keeps the width for the next visit.
pub fn save_width(width: f64) {
    browser::store("strata.detailsWidth", &format!("{width:.0}"));
}
