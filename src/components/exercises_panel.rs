//! The Exercises panel: the built-in course's questions (and a teacher's pack's) about the open
//! image, checked in the tab (strata_core::exercises derives every answer from the image),
//! right or wrong with the image's evidence, and "Show me" to where that evidence is. A
//! question about one layer or one file can be answered with what is selected in the Layers
//! view or the explorer. The open exercise's id is in the link (never its answer), so a teacher
//! can send one. What it shows comes from `crate::exercises`.

use crate::components::untrusted::Untrusted;
use crate::exercises::{self as model, Catalogue};
use crate::platform::browser;
use crate::route::{Route, View};
use crate::state::{Explorer, Session};
use std::rc::Rc;
use strata_core::exercises::{Exercise, ImageChoice, Progress, Verdict};
use strata_core::lessons::Place;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExercisesPanelProps {
    pub catalogue: Rc<Catalogue>,
    pub session: Rc<Session>,
    /// The layers, once read (questions about files need them).
    pub explorer: Option<Rc<Explorer>>,
    pub route: Route,
    pub on_navigate: Callback<Route>,
}

fn view_of(place: Place) -> View {
    match place {
        Place::Overview => View::Overview,
        Place::History => View::History,
        Place::Raw => View::Raw,
        Place::Layers => View::Layers,
        Place::Waste => View::Waste,
        Place::Compare => View::Compare,
    }
}

fn sample_of(e: &Exercise) -> &str {
    match &e.image {
        ImageChoice::Sample(s) => s,
        ImageChoice::ImageId(s) | ImageChoice::Reference(s) => s,
    }
}

/// Where the progress is kept (this origin's localStorage; nothing is sent anywhere).
const PROGRESS_KEY: &str = "strata.exercises";

#[component]
pub fn ExercisesPanel(props: &ExercisesPanelProps) -> Html {
    let course = props.catalogue.clone();
    let answer = use_state(String::new);
    let verdict = use_state(|| None::<(String, Result<Verdict, String>)>);
    let progress =
        use_state(|| Progress::parse(&browser::stored(PROGRESS_KEY).unwrap_or_default()));
    let here: Vec<&Exercise> = course.about(&props.session);
    let wanted = props.route.exercise.clone().unwrap_or_default();
    let current = course.find(&wanted);
    let go = |id: String| {
        let (on, route, answer, verdict) = (
            props.on_navigate.clone(),
            props.route.clone(),
            answer.clone(),
            verdict.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            answer.set(String::new());
            verdict.set(None);
            on.emit(Route {
                exercise: Some(id.clone()),
                ..route.clone()
            });
        })
    };
    let close = {
        let (on, route) = (props.on_navigate.clone(), props.route.clone());
        Callback::from(move |_: MouseEvent| {
            on.emit(Route {
                exercise: None,
                ..route.clone()
            })
        })
    };
    let list = html! {
        <ol class="exercise-list" id="exercise-list">
            { for here.iter().map(|e| html! {
                <li><button class={classes!("button", "subtle", "small", (e.id == wanted).then_some("selected"))}
                    data-exercise={e.id.clone()} data-done={progress.is_done(&e.id).to_string()} onclick={go(e.id.clone())}>
                    { if progress.is_done(&e.id) { "✓ " } else { "" } }<Untrusted text={e.title.clone()} /></button></li>
            }) }
        </ol>
    };
    let body = match current {
        None if here.is_empty() => html! {
            <p class="note" id="exercise-none">{ "The course has no exercise on this image: open one of the samples (" }
                <Untrusted text={model::samples(&course).join(", ")} />{ ")." }</p>
        },
        None => html! { <p class="note">{ "Pick an exercise." }</p> },
        Some(e) if !model::is_about(e, &props.session) => html! {
            <p class="note" id="exercise-elsewhere">{ "This exercise is about " }<code><Untrusted text={sample_of(e).to_owned()} /></code>
                { ": open that image (the samples are on the start page) and the exercise stays open." }</p>
        },
        Some(e) => {
            let subject_ready = props.explorer.is_some();
            let oninput = {
                let answer = answer.clone();
                Callback::from(move |ev: InputEvent| {
                    let input: HtmlInputElement = ev.target_unchecked_into();
                    answer.set(input.value());
                })
            };
            // One answer checked (typed, or taken from a selection), counted in the progress.
            let submit = {
                let (verdict, session, explorer, exercise, progress) = (
                    verdict.clone(),
                    props.session.clone(),
                    props.explorer.clone(),
                    e.clone(),
                    progress.clone(),
                );
                Callback::from(move |given: String| {
                    let v = model::check(&exercise, &session, explorer.as_deref(), &given);
                    if let Ok(v) = &v {
                        let mut p = (*progress).clone();
                        p.record(&exercise.id, v.correct);
                        browser::store(PROGRESS_KEY, &p.to_json());
                        progress.set(p);
                    }
                    verdict.set(Some((exercise.id.clone(), v)));
                })
            };
            let onsubmit = {
                let (answer, submit) = (answer.clone(), submit.clone());
                Callback::from(move |ev: SubmitEvent| {
                    ev.prevent_default();
                    submit.emit((*answer).clone());
                })
            };
            let selected = model::selection(e.question.answer_kind(), &props.route);
            let use_selection = selected.as_ref().map(|sel| {
                let (answer, submit, given) = (answer.clone(), submit.clone(), sel.answer.clone());
                let onclick = Callback::from(move |_: MouseEvent| {
                    answer.set(given.clone());
                    submit.emit(given.clone());
                });
                html! {
                    <button type="button" class="button" id="exercise-use-selection" disabled={!subject_ready}
                        data-answer={sel.answer.clone()} {onclick}><Untrusted text={sel.label.clone()} /></button>
                }
            });
            let shown = (*verdict).as_ref().filter(|(id, _)| *id == e.id).map(|(_, v)| match v {
                Ok(v) => {
                    let show = {
                        let (on, route, to) = (props.on_navigate.clone(), props.route.clone(), v.show_me.clone());
                        Callback::from(move |_: MouseEvent| {
                            on.emit(Route {
                                view: view_of(to.place),
                                layer: to.layer.and_then(strata_core::LayerIdx::from_number).or(route.layer),
                                path: to.path.clone().or_else(|| route.path.clone()),
                                changes_only: to.place == Place::Layers && to.layer.is_some(),
                                ..route.clone()
                            })
                        })
                    };
                    html! {
                        <div class={classes!("exercise-verdict", if v.correct { "right" } else { "wrong" })} id="exercise-verdict"
                            data-correct={v.correct.to_string()} role="status">
                            <p><strong>{ v.message.clone() }</strong></p>
                            <p id="exercise-explanation"><Untrusted text={v.explanation.clone()} /></p>
                            <button class="button" id="exercise-show" onclick={show}>{ "Show me" }</button>
                        </div>
                    }
                }
                Err(m) => html! { <p class="tag-error" id="exercise-verdict" role="alert"><Untrusted text={m.clone()} /></p> },
            });
            html! {
                <>
                <h3 id="exercise-title"><Untrusted text={e.title.clone()} /></h3>
                <p id="exercise-prompt"><Untrusted text={e.prompt.clone().unwrap_or_else(|| e.question.text())} /></p>
                <form class="exercise-answer" {onsubmit}>
                    <input type="text" id="exercise-answer" spellcheck="false" aria-label="Your answer"
                        value={(*answer).clone()} {oninput} />
                    <button type="submit" class="button primary" id="exercise-check" disabled={!subject_ready}>{ "Check" }</button>
                    { for use_selection }
                </form>
                if !subject_ready {
                    <p class="note">{ "The layers are being read: the answer is checked against them." }</p>
                }
                { for shown }
                </>
            }
        }
    };
    html! {
        <aside class="learn-panel exercises-panel" id="exercises-panel" aria-label="Exercises" data-exercise={wanted.clone()}>
            <div class="learn-head">
                <span class="learn-step"><Untrusted text={course.title()} /></span>
                <button class="button subtle small" id="exercises-export" onclick={{
                    let progress = progress.clone();
                    Callback::from(move |_: MouseEvent| browser::download(progress.to_json().as_bytes(), "strata-progress.json"))
                }} title="Your progress as a small file for the teacher (no answers in it)">{ "Export progress" }</button>
                <button class="button subtle small" id="exercises-close" onclick={close} aria-label="Close the exercises">{ "×" }</button>
            </div>
            { list }
            if !course.problems.is_empty() {
                <ul class="tag-error" id="exercise-problems" role="alert">
                    { for course.problems.iter().map(|p| html! { <li><Untrusted text={p.clone()} /></li> }) }
                </ul>
            }
            { body }
        </aside>
    }
}
