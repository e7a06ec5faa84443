//! Asking before a change that deserves a second thought, and a save button that cannot be
//! pressed twice. The server refuses such a change with `ConfigError::Unconfirmed` (see
//! `service::confirm`); the dialog shows why and sends the same form again, confirmed.

use crate::domain::ConfigError;
use leptos::prelude::*;

/// What the last answer asks to confirm, if it asks.
pub fn questions_of<T, S>(value: S) -> Signal<Option<Vec<String>>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ConfigError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(ConfigError::Unconfirmed(questions))) => Some(questions),
        _ => None,
    })
}

/// An action's last input, kept after the action clears it when its answer arrives: what a
/// confirmation sends again.
pub fn last_input<I, O>(action: ServerAction<I>) -> RwSignal<Option<I>>
where
    I: leptos::server_fn::ServerFn<Output = O> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    ServerFnError: From<I::Error>,
{
    let last = RwSignal::new(None::<I>);
    Effect::new(move |_| {
        if let Some(input) = action.input().get() {
            last.set(Some(input));
        }
    });
    last
}

/// A modal dialog (the browser's own: it holds the keyboard's focus, Escape closes it)
/// listing `questions`, with Cancel and a button that submits the form it sits in with
/// `confirm=true`. Put it inside the form, or inside a form of its own that carries the
/// same input.
#[component]
pub fn ConfirmDialog(
    questions: Signal<Option<Vec<String>>>,
    /// The confirming button's words: "Save anyway", "Deactivate".
    confirm_label: String,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // Opened once per answer that asks (and per dialog drawn for it): Cancel or Escape
    // closes it until the next answer.
    Effect::new(move |_| {
        if let (Some(element), Some(_)) = (dialog.get(), questions.get()) {
            if !element.open() {
                let _ = element.show_modal();
            }
        }
    });
    let close = move |_| {
        if let Some(element) = dialog.get_untracked() {
            element.close();
        }
    };
    move || {
        questions.get().map(|questions| {
            let label = confirm_label.clone();
            view! {
                <dialog node_ref=dialog class="confirm" aria-label="Are you sure?">
                    <h2>"Are you sure?"</h2>
                    <ul>{questions.into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}</ul>
                    <div class="actions">
                        // Focus starts on the harmless choice.
                        <button type="button" autofocus on:click=close>"Cancel"</button>
                        <button type="submit" name="confirm" value="true" class="danger">{label}</button>
                    </div>
                </dialog>
            }
        })
    }
}

/// A form's submit button that shows `busy` and takes no second press while its action is
/// pending: a double click saves once, and never answers itself with a conflict.
#[component]
pub fn SubmitButton(
    #[prop(into)] pending: Signal<bool>,
    label: String,
    busy: &'static str,
    /// An accessible name when the visible `label` is not enough ("Save RSI").
    #[prop(optional)]
    name: Option<String>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
            aria-label=name
        >
            {move || if pending.get() { busy.to_owned() } else { label.clone() }}
        </button>
    }
}
