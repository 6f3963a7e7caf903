//! The guided walk: how layers work, told with this image (strata_core::lessons). Each step
//! says what to look at and takes you there; the step is in the link, so a workshop can share
//! where it is. Presenter mode enlarges everything for a projector.

use crate::components::code_text::CodeText;
use crate::route::{Route, View};
use std::rc::Rc;
use strata_core::lessons::{Lesson, Place};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LearnPanelProps {
    pub lessons: Rc<Vec<Lesson>>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
    /// The layers are not read yet: later steps need them.
    pub layers_pending: bool,
}

/// The route that shows lesson `k` (1-based) where it belongs.
pub fn route_for(lessons: &[Lesson], k: usize, route: &Route) -> Route {
    let Some(l) = lessons.get(k.saturating_sub(1)) else {
        return route.clone();
    };
    let view = match l.place {
        Place::Overview => View::Overview,
        Place::History => View::History,
        Place::Raw => View::Raw,
        Place::Layers => View::Layers,
        Place::Waste => View::Waste,
        Place::Compare => View::Compare,
    };
    let focus = l.focus.clone();
    Route {
        view,
        learn: Some(k),
        layer: focus
            .as_ref()
            .and_then(|f| f.layer)
            .and_then(strata_core::LayerIdx::from_number)
            .or(route.layer),
        path: focus
            .as_ref()
            .and_then(|f| f.path.clone())
            .or_else(|| route.path.clone()),
        changes_only: focus.as_ref().is_some_and(|f| f.changes),
        filter: String::new(),
        kinds: String::new(),
        ..route.clone()
    }
}

#[component]
pub fn LearnPanel(props: &LearnPanelProps) -> Html {
    let n = props.lessons.len();
    let k = props.route.learn.unwrap_or(1).clamp(1, n.max(1));
    let Some(lesson) = props.lessons.get(k - 1) else {
        return html! {};
    };
    let go = |to: usize| {
        let (on, lessons, route) = (
            props.on_navigate.clone(),
            props.lessons.clone(),
            props.route.clone(),
        );
        Callback::from(move |_: MouseEvent| on.emit(route_for(&lessons, to, &route)))
    };
    let close = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |_: MouseEvent| {
            on.emit(Route {
                learn: None,
                present: false,
                ..route.clone()
            })
        })
    };
    let present = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |_: MouseEvent| {
            on.emit(Route {
                present: !route.present,
                ..route.clone()
            })
        })
    };
    html! {
        <aside class="learn-panel" id="learn-panel" aria-label="How layers work" data-lesson={lesson.id.clone()}>
            <div class="learn-head">
                <span class="learn-step" id="learn-step">{ format!("Step {k} of {n}") }</span>
                <button class="button subtle small" id="presenter-toggle" onclick={present} aria-pressed={props.route.present.to_string()}>
                    { if props.route.present { "Leave presenter mode" } else { "Presenter mode" } }</button>
                <button class="button subtle small" id="learn-close" onclick={close} aria-label="Close the walk">{ "×" }</button>
            </div>
            <h3 id="learn-title">{ lesson.title.clone() }</h3>
            // The image's own words (a step's command, a path) come in `code` spans: set in a
            // code face, as text (never markup).
            { for lesson.paragraphs.iter().map(|p| html! { <p><CodeText text={p.clone()} /></p> }) }
            if let Some(cmd) = &lesson.try_it {
                <p class="learn-try">{ "Try it: " }<code>{ cmd.clone() }</code></p>
            }
            if props.layers_pending && k >= 4 {
                <p class="note">{ "The next steps use the layers: they are being read (or open the Layers view to read them)." }</p>
            }
            <div class="learn-nav">
                <button class="button" id="learn-prev" disabled={k <= 1} onclick={go(k.saturating_sub(1).max(1))}>{ "← Previous" }</button>
                <button class="button" id="learn-show" onclick={go(k)}>{ "Show me" }</button>
                <button class="button primary" id="learn-next" disabled={k >= n} onclick={go((k + 1).min(n))}>{ "Next step →" }</button>
            </div>
        </aside>
    }
}
