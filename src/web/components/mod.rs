//! Pieces every page uses: labelled fields, error notes, save outcomes, status badges.

pub mod bulk;
pub mod confirm;
pub mod copy_from;
pub mod form_warnings;
pub mod not_found;
pub mod pair_form;
pub mod pair_scope;
pub mod pause;
pub mod trading_mode;
pub mod unsaved;

use crate::domain::display::Column;
use crate::domain::ConfigError;
use leptos::prelude::*;

/// A failure told to the operator in words, never a blank page.
#[component]
pub fn ErrorNote(error: ConfigError) -> impl IntoView {
    let (title, detail) = match &error {
        ConfigError::NotFound(what) => ("Not found", format!("{what} does not exist.")),
        ConfigError::Invalid(errors) => ("Invalid input", errors.in_words()),
        ConfigError::Conflict(message) => ("Conflict", message.clone()),
        ConfigError::Unconfirmed(questions) => ("Not done yet:", questions.join(" ")),
        ConfigError::Unavailable(message) => ("Database unavailable", message.clone()),
        ConfigError::Internal(message) => ("Internal error", message.clone()),
        ConfigError::Request(message) => ("Request failed", message.clone()),
        ConfigError::Unauthenticated(message) => ("Sign in first", message.clone()),
        ConfigError::Forbidden(message) => ("Not allowed", message.clone()),
        ConfigError::TooManyAttempts(message) => ("Too many attempts", message.clone()),
    };
    view! {
        <div class="note error" role="alert">
            <strong>{title}</strong>
            " "
            <span>{detail}</span>
        </div>
    }
}

/// A server read shown three ways: `loading` while it loads, the error in words if it
/// failed, or what `show` makes of the data.
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, ConfigError>>,
    loading: &'static str,
    show: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + Send + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    loaded_or(resource, loading, show, |error| {
        view! { <ErrorNote error/> }.into_any()
    })
}

/// `Loaded`, with `failed` making the view of an error (a pair's pages show a 404 page).
pub fn loaded_or<T, V, F>(
    resource: Resource<Result<T, ConfigError>>,
    loading: &'static str,
    show: F,
    failed: fn(ConfigError) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + Send + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <p>{loading}</p> }>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(data) => leptos::either::Either::Left(show(data)),
                        Err(error) => leptos::either::Either::Right(failed(error)),
                    }
                })
            }}
        </Transition>
    }
}

/// A table's header row: one `<th scope="col">` a column, numbers right-aligned.
#[component]
pub fn TableHead(columns: &'static [Column]) -> impl IntoView {
    view! {
        <thead>
            <tr>
                {columns
                    .iter()
                    .map(|c| view! { <th scope="col" class=c.numeric.then_some("num")>{c.header}</th> })
                    .collect_view()}
            </tr>
        </thead>
    }
}

/// A table of text cells under `columns`; each row's first cell heads the row.
#[component]
pub fn DataTable(columns: &'static [Column], rows: Vec<Vec<String>>) -> impl IntoView {
    view! {
        <table>
            <TableHead columns/>
            <tbody>
                {rows
                    .into_iter()
                    .map(|cells| {
                        cells
                            .into_iter()
                            .zip(columns)
                            .enumerate()
                            .map(|(i, (cell, column))| {
                                if i == 0 {
                                    view! { <th scope="row">{cell}</th> }.into_any()
                                } else {
                                    view! { <td class=column.numeric.then_some("num")>{cell}</td> }.into_any()
                                }
                            })
                            .collect_view()
                    })
                    .map(|cells| view! { <tr>{cells}</tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// The browser tab's title for a page: "ETH/USDT risk · botconfig".
#[component]
pub fn PageTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    // The server may write the head after the page that set the title is gone: then the
    // title is the one it had when the page was drawn.
    let drawn = text.get_untracked();
    view! {
        <leptos_meta::Title text=move || {
            format!("{} · botconfig", text.try_get().unwrap_or_else(|| drawn.clone()))
        }/>
    }
}

/// "Active" or "Inactive", styled.
#[component]
pub fn ActiveBadge(active: bool) -> impl IntoView {
    let (class, text) = if active {
        ("badge on", "Active")
    } else {
        ("badge off", "Inactive")
    };
    view! { <span class=class>{text}</span> }
}

use crate::domain::FieldErrors;

/// Field errors from the last submission, if it was refused as invalid.
pub fn submission_errors<T, S>(value: S) -> Signal<FieldErrors>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ConfigError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(ConfigError::Invalid(errors))) => errors,
        _ => FieldErrors::default(),
    })
}

/// One labelled input with its error beside it. The same rule that the server applies
/// (`check`) runs as the operator types; the server's verdict appears here too.
#[component]
pub fn Field(
    /// The form field's name, e.g. `form[stop_loss_percent]`.
    name: String,
    /// The key server errors use for this field, e.g. `stop_loss_percent`.
    key: String,
    label: String,
    value: String,
    #[prop(optional, into)] check: Option<Callback<String, Option<String>>>,
    #[prop(optional)] help: Option<String>,
    #[prop(optional, into)] server_errors: Option<Signal<FieldErrors>>,
    /// `numeric` or `decimal` shows the right keyboard on phones; values stay free text
    /// so a wrong entry gets a message rather than being silently dropped by the browser.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// `min`, `max` and `step`, when a rule gives them.
    #[prop(default = None)]
    bounds: Option<(Option<String>, Option<String>, String)>,
) -> impl IntoView {
    let (min, max, step) = match bounds {
        Some((min, max, step)) => (min, max, Some(step)),
        None => (None, None, None),
    };
    let id = format!(
        "field-{}",
        key.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let error_id = format!("{id}-error");
    let client_error = RwSignal::new(None::<String>);
    let server_key = key.clone();
    let message = Signal::derive(move || {
        client_error
            .get()
            .or_else(|| server_errors.and_then(|e| e.get().get(&server_key).map(str::to_owned)))
    });
    let invalid = move || message.get().is_some().to_string();
    let on_input = move |ev: leptos::ev::Event| {
        if let Some(check) = check {
            client_error.set(check.run(event_target_value(&ev)));
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type="text"
                inputmode=inputmode.unwrap_or("text")
                min=min
                max=max
                step=step
                // The attribute renders on the server; the property replaces what the
                // operator typed when the form is re-rendered with stored values.
                value=value.clone()
                prop:value=value
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                on:input=on_input
            />
            {help.map(|h| view! { <small class="help">{h}</small> })}
            <p id=error_id class="field-error" aria-live="polite">{move || message.get()}</p>
        </div>
    }
}

/// A field typed by its rule in the domain's table: label, help, keyboard and the check
/// as the operator types all come from the rule the server parses with.
#[component]
pub fn RuleField(
    rule: crate::domain::fields::FieldRule,
    value: String,
    errors: Signal<FieldErrors>,
) -> impl IntoView {
    view! {
        <Field
            name=format!("form[{}]", rule.name)
            key=rule.name.to_owned()
            label=rule.label.to_owned()
            value
            check=Callback::new(move |v: String| rule.check(&v))
            help=rule.help.to_owned()
            inputmode=rule.inputmode()
            bounds=Some(rule.bounds())
            server_errors=errors
        />
    }
}

/// A labelled on/off choice that always posts its value (`true` or `false`): a checkbox
/// posts nothing when unticked, and a save must never read a missing field as "off".
#[component]
pub fn ToggleField(
    name: String,
    key: String,
    label: String,
    on: bool,
    #[prop(optional)] help: Option<String>,
) -> impl IntoView {
    let id = format!(
        "field-{}",
        key.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="true" selected=on>"On"</option>
                <option value="false" selected=!on>"Off"</option>
            </select>
            {help.map(|h| view! { <small class="help">{h}</small> })}
        </div>
    }
}

/// The outcome of a save: a confirmation, or the error in words.
#[component]
pub fn SaveOutcome<T, S>(value: S, success: fn(&T) -> String) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ConfigError>>> + Copy + Send + Sync + 'static,
{
    let saved = move || {
        value
            .get()
            .and_then(Result::ok)
            .map(|saved| view! { <p class="note ok" role="status">{success(&saved)}</p> })
    };
    view! { {saved} <SaveError value/> }
}

/// A refused save in words ("Nothing was saved. Stop loss (%) must be …"), with the keyboard
/// moved to the first field to mend; nothing otherwise.
#[component]
pub fn SaveError<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ConfigError>>> + Copy + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(value.get(), Some(Err(ConfigError::Invalid(_)))) {
            focus_first_invalid_field();
        }
    });
    move || {
        match value.get() {
        Some(Err(ConfigError::Invalid(errors))) => Some(
            view! { <div class="note error" role="alert">"Nothing was saved. " {errors.in_words()}</div> }
                .into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorNote error/> }.into_any()),
        _ => None,
    }
    }
}

/// Moves the keyboard to the first field marked invalid, once the page shows the marks: a
/// refused save leaves the operator at what to mend, not on Save.
fn focus_first_invalid_field() {
    use leptos::wasm_bindgen::JsCast;
    request_animation_frame(|| {
        let first = document()
            .query_selector("[aria-invalid=\"true\"]")
            .ok()
            .flatten();
        if let Some(field) = first.and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
            let _ = field.focus();
        }
    });
}

/// A counter that moves when a save succeeded or was refused as stale: pages key their
/// data on it, so the form then shows what is stored (keeping the operator's typing when
/// the input was merely invalid).
pub fn reload_after_save<T, S>(value: S) -> RwSignal<u32>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ConfigError>>> + Copy + Send + Sync + 'static,
{
    let counter = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(
            value.get(),
            Some(Ok(_)) | Some(Err(ConfigError::Conflict(_)))
        ) {
            counter.update(|c| *c += 1);
            form_warnings::config_changed();
        }
    });
    counter
}

/// A signal that ticks every `period` while the page is open in a browser.
pub fn ticker(period: std::time::Duration) -> RwSignal<u64> {
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), period) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}
