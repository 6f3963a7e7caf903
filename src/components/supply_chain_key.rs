//! Where the user gives a public key (PEM, ECDSA P-256 or Ed25519), pasted or picked from a
//! file, to verify key-based cosign signatures and DSSE envelopes with. The key stays in this
//! tab's memory; the worker reads it (a key it cannot read is said, and the lookup is made
//! without it).

use crate::platform::browser::read_small_text;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SupplyChainKeyProps {
    /// The key verified with now (`key` is Yew's own prop).
    pub current: Option<String>,
    /// Why the worker could not read it.
    pub key_error: Option<String>,
    pub on_key: Callback<Option<String>>,
}

#[component]
pub fn SupplyChainKey(props: &SupplyChainKeyProps) -> Html {
    let text = use_state(|| props.current.clone().unwrap_or_default());
    let file_error = use_state(|| None::<String>);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            text.set(area.value());
        })
    };
    let onchange = {
        let (text, file_error) = (text.clone(), file_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                let (text, file_error) = (text.clone(), file_error.clone());
                read_small_text(file, 64 << 10, move |r| match r {
                    Ok(t) => {
                        file_error.set(None);
                        text.set(t);
                    }
                    Err(e) => file_error.set(Some(e)),
                });
            }
            input.set_value("");
        })
    };
    let verify = {
        let (text, on_key) = (text.clone(), props.on_key.clone());
        Callback::from(move |_: MouseEvent| {
            let t = text.trim().to_owned();
            on_key.emit(Some(t).filter(|t| !t.is_empty()));
        })
    };
    let forget = {
        let (text, on_key) = (text.clone(), props.on_key.clone());
        Callback::from(move |_: MouseEvent| {
            text.set(String::new());
            on_key.emit(None);
        })
    };
    html! {
        <section class="card supply-key" id="supply-key-card">
            <h3>{ "Verify with a public key" }</h3>
            <p class="note">{ "Paste or pick the signer's public key (PEM: ECDSA P-256 or Ed25519, as " }<code>{ "cosign.pub" }</code>
                { "). Key-based cosign signatures and DSSE envelopes are then checked with it, here in the tab. Keyless signatures need Sigstore's trust root, which is not here: they are shown, never verified." }</p>
            <textarea id="supply-key" rows="4" spellcheck="false" placeholder="-----BEGIN PUBLIC KEY-----" value={(*text).clone()} {oninput}
                aria-label="public key, PEM" />
            <div class="key-actions">
                <button class="button" id="supply-verify" onclick={verify}>{ "Verify with this key" }</button>
                <label class="button subtle">{ "Pick a key file…" }
                    <input type="file" class="visually-hidden" id="supply-key-file" accept=".pub,.pem,.key,text/plain" {onchange} />
                </label>
                if props.current.is_some() {
                    <button class="button subtle" id="supply-forget" onclick={forget}>{ "Verify without a key" }</button>
                }
            </div>
            if let Some(e) = &*file_error {
                <p class="key-error" role="alert">{ e.clone() }</p>
            }
            if let Some(e) = &props.key_error {
                <p class="key-error" id="supply-key-error" role="alert">{ format!("That key could not be used: {e}. The lookup below was made without a key.") }</p>
            }
        </section>
    }
}
