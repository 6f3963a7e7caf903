//! The second way in: an image reference (`nginx:1.27`, `ghcr.io/org/app@sha256:…`), optional
//! credentials for a private registry, and the repository's tags to pick from. Credentials stay
//! in this component's state and the workers' messages: never in storage, the URL or a log.

use crate::protocol::RegistryRequest;
use crate::state::TagsState;
use strata_core::registry::Credentials;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Tags shown at once; a filter narrows longer lists.
const TAGS_SHOWN: usize = 300;

#[derive(Properties, PartialEq)]
pub struct RegistryFormProps {
    /// The reference to start with (the last one tried, or one from a link).
    #[prop_or_default]
    pub reference: AttrValue,
    pub tags: TagsState,
    pub on_open: Callback<RegistryRequest>,
    pub on_list_tags: Callback<RegistryRequest>,
}

#[component]
pub fn RegistryForm(props: &RegistryFormProps) -> Html {
    let reference = use_state(|| props.reference.to_string());
    let username = use_state(String::new);
    let password = use_state(String::new);
    let tag_filter = use_state(String::new);

    let request = {
        let (reference, username, password) =
            (reference.clone(), username.clone(), password.clone());
        move |r: Option<String>| RegistryRequest {
            platform: None,
            reference: r.unwrap_or_else(|| (*reference).clone()),
            credentials: (!username.is_empty()).then(|| Credentials {
                username: (*username).clone(),
                password: (*password).clone(),
            }),
        }
    };
    let text_input = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            state.set(input.value());
        })
    };
    let onsubmit = {
        let (on_open, request, reference) =
            (props.on_open.clone(), request.clone(), reference.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !reference.trim().is_empty() {
                on_open.emit(request(None));
            }
        })
    };
    let on_tags = {
        let (on_list, request, reference) = (
            props.on_list_tags.clone(),
            request.clone(),
            reference.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if !reference.trim().is_empty() {
                on_list.emit(request(None));
            }
        })
    };
    // The tags arrive below the form, often below the fold: bring them into view once, when
    // they arrive (not on every filter keystroke).
    let tag_list = use_node_ref();
    {
        let tag_list = tag_list.clone();
        let ready = matches!(props.tags, TagsState::Ready { .. } | TagsState::Failed(_));
        use_effect_with(ready, move |ready| {
            if *ready && let Some(el) = tag_list.cast::<web_sys::Element>() {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_behavior(web_sys::ScrollBehavior::Smooth);
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                el.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    let tags = match &props.tags {
        TagsState::Idle => html! {},
        TagsState::Loading => html! { <p class="note" id="tag-status">{ "Listing tags…" }</p> },
        TagsState::Failed(e) => html! {
            <p class="tag-error" id="tag-status" role="alert" title={e.detail.clone()}>{ e.summary.clone() }</p>
        },
        TagsState::Ready { repository, tags } => {
            let filter = tag_filter.to_lowercase();
            let shown: Vec<&String> = tags
                .iter()
                .filter(|t| filter.is_empty() || t.to_lowercase().contains(&filter))
                .take(TAGS_SHOWN)
                .collect();
            let more = tags.len().saturating_sub(shown.len());
            html! {
                <div class="tag-list" id="tag-list">
                    <p class="note" id="tag-status">
                        { format!("{} in {repository}", strata_core::text::count(tags.len(), "tag")) }
                        if tags.len() > 12 {
                            <input type="search" class="tag-filter" placeholder="filter tags" aria-label="Filter tags"
                                value={(*tag_filter).clone()} oninput={text_input(tag_filter.clone())} />
                        }
                    </p>
                    <ul>
                        { for shown.into_iter().map(|t| {
                            let full = format!("{repository}:{t}");
                            let onclick = {
                                let (on_open, request, reference, full) = (props.on_open.clone(), request.clone(), reference.clone(), full.clone());
                                Callback::from(move |_: MouseEvent| {
                                    reference.set(full.clone());
                                    on_open.emit(request(Some(full.clone())));
                                })
                            };
                            html! { <li><button type="button" class="tag" title={full.clone()} {onclick}>{ t.clone() }</button></li> }
                        }) }
                    </ul>
                    if more > 0 {
                        <p class="note">{ format!("and {more} more: filter to find them") }</p>
                    }
                </div>
            }
        }
    };
    html! {
        <form class="registry-form" id="registry-form" {onsubmit} autocomplete="off">
            <h3>{ "Open an image from a registry" }</h3>
            <div class="registry-row">
                <input id="registry-reference" type="text" spellcheck="false" aria-label="Image reference"
                    placeholder="docker.io/library/alpine:3.20" value={(*reference).clone()}
                    oninput={text_input(reference.clone())} />
                <button type="submit" class="button primary" id="registry-open">{ "Open" }</button>
                <button type="button" class="button" id="registry-tags" onclick={on_tags}>{ "List tags" }</button>
            </div>
            <details class="registry-credentials" id="registry-credentials" open={!username.is_empty()}>
                <summary>{ "Credentials, for a private registry" }</summary>
                <label>{ "User name " }
                    <input id="registry-username" type="text" spellcheck="false" value={(*username).clone()}
                        oninput={text_input(username.clone())} />
                </label>
                <label>{ "Password or token " }
                    <input id="registry-password" type="password" autocomplete="new-password" value={(*password).clone()}
                        oninput={text_input(password.clone())} />
                </label>
                <p class="hint">{ "Kept in this tab's memory only: never stored, never put in a link." }</p>
            </details>
            <p class="hint">{ "Only the manifest and config are fetched for the overview, history and inspect views; \
                layers are downloaded when you open the layer explorer. Registries that send no CORS headers \
                (Docker Hub) are reached through " }<code>{ "strata serve" }</code>{ "'s proxy." }</p>
            <div ref={tag_list}>{ tags }</div>
        </form>
    }
}
