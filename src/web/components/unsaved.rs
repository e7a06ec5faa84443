//! A warning before leaving a page with edits not sent: the browser's own prompt when the
//! tab closes or reloads, and a confirm before a link inside the console is followed.
//! Typing in a filter (a `<search>` or a GET form), or ticking a box outside any form, is not
//! an edit; sending a form is the
//! end of its edits, whatever the answer (the answer is shown beside the form).

use leptos::prelude::*;

/// Watches the page's forms below it; put it once in the layout, around the routes.
#[component]
pub fn UnsavedEdits(children: Children) -> impl IntoView {
    let dirty = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    // A new page starts clean.
    Effect::new(move |_| {
        location.pathname.track();
        dirty.set(false);
    });
    guard_leaving(dirty);
    let on_input = move |ev: leptos::ev::Event| {
        if is_edit(&ev) {
            dirty.set(true);
        }
    };
    view! {
        <div class="unsaved-watch" on:input=on_input on:submit=move |_| dirty.set(false)>
            {children()}
        </div>
    }
}

const LEAVE_QUESTION: &str = "This page has edits that were not saved. Leave it anyway?";

/// Whether the input came from a form whose contents are edits (not a filter).
fn is_edit(ev: &leptos::ev::Event) -> bool {
    use leptos::wasm_bindgen::JsCast;
    let target = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok());
    let Some(element) = target else {
        return false;
    };
    let within = |selector: &str| matches!(element.closest(selector), Ok(Some(_)));
    within("form") && !within("search, form[method='get'], form[method='GET']")
}

/// The browser's prompt on close or reload, and a confirm before a link is followed (in
/// the capture phase, before the router takes the click).
fn guard_leaving(dirty: RwSignal<bool>) {
    let handle = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if dirty.get_untracked() {
            ev.prevent_default();
            ev.set_return_value(LEAVE_QUESTION);
        }
    });
    on_cleanup(move || handle.remove());
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{closure::Closure, JsCast};
        let on_click = Closure::<dyn Fn(leptos::web_sys::MouseEvent)>::new(
            move |ev: leptos::web_sys::MouseEvent| {
                if !dirty.get_untracked() || ev.default_prevented() {
                    return;
                }
                let link = ev
                    .target()
                    .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
                    .and_then(|e| e.closest("a[href]").ok().flatten());
                if link.is_none() {
                    return;
                }
                match window().confirm_with_message(LEAVE_QUESTION) {
                    Ok(true) => dirty.set(false),
                    _ => {
                        ev.prevent_default();
                        ev.stop_immediate_propagation();
                    }
                }
            },
        );
        let _ = window().add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
        // The layout lives as long as the page: the listener with it.
        on_click.forget();
    }
}
