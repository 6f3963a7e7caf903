//! The safety limits (strata_core::Limits), each with what it bounds: a user who trusts an
//! image that trips one raises it here (the CLI's `--limit NAME=VALUE`). They apply to what is
//! opened next; they live in this tab's memory.

use strata_core::Limits;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LimitsPanelProps {
    pub limits: Limits,
    pub on_apply: Callback<Limits>,
    pub on_close: Callback<()>,
}

#[component]
pub fn LimitsPanel(props: &LimitsPanelProps) -> Html {
    let draft = use_state(|| props.limits.clone());
    let error = use_state(|| None::<String>);
    let defaults = Limits::default();
    let close = props.on_close.reform(|_: MouseEvent| ());
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let apply = {
        let (draft, on_apply, on_close) = (
            draft.clone(),
            props.on_apply.clone(),
            props.on_close.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            on_apply.emit((*draft).clone());
            on_close.emit(());
        })
    };
    let reset = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| draft.set(Limits::default()))
    };
    let defaults_named = defaults.named();
    html! {
        <div class="overlay" onclick={close.clone()}>
            <section class="limits-panel" id="limits-panel" role="dialog" aria-label="Safety limits" onclick={stop}>
                <h2>{ "Safety limits" }</h2>
                <p class="note">{ "Images are untrusted input: these bound what reading one may cost. Raise one only for an image you trust; it applies to what you open next." }</p>
                <table>
                    <tbody>
                        { for draft.named().into_iter().map(|(name, value)| {
                            let default = defaults_named.iter().find(|(n, _)| *n == name).map_or(0, |(_, v)| *v);
                            let oninput = {
                                let (draft, error) = (draft.clone(), error.clone());
                                Callback::from(move |e: InputEvent| {
                                    let input: HtmlInputElement = e.target_unchecked_into();
                                    match input.value().trim().parse::<u64>() {
                                        Ok(v) if v > 0 => {
                                            let mut l = (*draft).clone();
                                            if l.set(name, v).is_ok() {
                                                draft.set(l);
                                                error.set(None);
                                            }
                                        }
                                        _ => error.set(Some(format!("{name}: a whole number above 0"))),
                                    }
                                })
                            };
                            html! {
                                <tr class={classes!((value != default).then_some("changed"))}>
                                    <td><label for={format!("limit-{name}")}><strong>{ Limits::title(name) }</strong></label>
                                        <div class="note">{ Limits::describe(name) }</div>
                                        <div class="note limit-key" title="the name the CLI's --limit takes">{ "CLI: " }<code>{ format!("--limit {name}=…") }</code></div></td>
                                    <td><input type="number" min="1" id={format!("limit-{name}")} value={value.to_string()} {oninput} />
                                        <div class="note limit-shown" id={format!("limit-{name}-shown")}>{ Limits::show(name, value) }</div></td>
                                    <td class="note">{ format!("default {}", Limits::show(name, default)) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                if let Some(e) = &*error { <p class="tag-error" role="alert">{ e.clone() }</p> }
                <div class="limits-actions">
                    <button class="button" id="limits-reset" onclick={reset}>{ "Defaults" }</button>
                    <button class="button" onclick={close}>{ "Cancel" }</button>
                    <button class="button primary" id="limits-apply" onclick={apply}>{ "Apply" }</button>
                </div>
            </section>
        </div>
    }
}
