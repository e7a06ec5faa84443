//! Pausing a pair from the console: the Pause form (a duration, an end time or until
//! resumed; a reason; a mode in words), Resume, and the pause as the Pairs list shows it.

use crate::domain::auth::Role;
use crate::domain::pair::TradingPair;
use crate::domain::pause::{Pause, PauseMode};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::{submission_errors, SaveOutcome};
use leptos::prelude::*;

/// The duration choices of the Pause form, as (value, words).
const DURATIONS: [(&str, &str); 5] = [
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("24h", "24 hours"),
    ("until", "Until a date and time"),
    ("", "Until resumed"),
];

/// Pauses a pair from now: `duration` is one of the form's choices ("until": `until`
/// gives the end; empty: until resumed).
#[server]
pub async fn pause_pair(
    symbol: String,
    duration: String,
    until: String,
    reason: String,
    mode: String,
) -> Result<TradingPair, ConfigError> {
    use crate::domain::pause::PauseRequest;
    let request = PauseRequest {
        duration: (duration != "until").then_some(duration),
        until: Some(until),
        reason,
        mode: Some(mode),
    };
    // The end time counts only when it was chosen.
    let request = match request.duration.as_deref() {
        Some(_) => PauseRequest {
            until: None,
            ..request
        },
        None => request,
    };
    crate::web::as_role(Role::Editor, move |service| async move {
        service
            .pause_pair(&crate::service::parse_symbol(&symbol)?, &request)
            .await
    })
    .await
}

/// Ends a pair's pause now.
#[server]
pub async fn resume_pair(symbol: String) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        service
            .resume_pair(&crate::service::parse_symbol(&symbol)?, None)
            .await
    })
    .await
}

/// "Paused · 3 h 59 min left" (or "until resumed"), with the mode and reason on hover.
#[component]
pub fn PauseBadge(pause: Pause) -> impl IntoView {
    let left = match pause.time_left(chrono::Utc::now()) {
        Some(left) => format!("Paused · {left} left"),
        None => "Paused · until resumed".to_owned(),
    };
    let title = format!("{} — {}", pause.reason, pause.mode.describe());
    view! { <span class="badge paused" title=title>{left}</span> }
}

/// The pair's pause and how to end it, or the form that pauses it.
#[component]
pub fn PauseControls(
    pair: TradingPair,
    pause: ServerAction<PausePair>,
    resume: ServerAction<ResumePair>,
) -> impl IntoView {
    let symbol = pair.symbol.to_string();
    let errors = submission_errors(pause.value());
    let error_of = move |field: &'static str| move || errors.get().get(field).map(str::to_owned);
    let current = pair.pause_at(chrono::Utc::now()).cloned().map(|p| {
        let symbol = symbol.clone();
        view! {
            <p class="note warning pause-now">
                {p.describe()}
                {p.time_left(chrono::Utc::now()).map(|left| format!(" ({left} left)"))}
            </p>
            <ActionForm action=resume>
                <input type="hidden" name="symbol" value=symbol/>
                <Can role=Role::Editor><button type="submit">"Resume now"</button></Can>
            </ActionForm>
        }
    });
    let chosen = RwSignal::new("4h".to_owned());
    let options = DURATIONS
        .iter()
        .map(|(value, words)| view! { <option value=*value selected=*value == "4h">{*words}</option> })
        .collect_view();
    let modes = PauseMode::ALL
        .iter()
        .map(|mode| view! { <option value=mode.as_str()>{mode.describe()}</option> })
        .collect_view();
    view! {
        <section aria-labelledby="pause-title" class="card">
            <h2 id="pause-title">"Pause"</h2>
            <SaveOutcome value=pause.value() success=|p: &TradingPair| format!("{} is {}.", p.symbol, p.pause.as_ref().map(Pause::describe).unwrap_or_default())/>
            <SaveOutcome value=resume.value() success=|p: &TradingPair| format!("{} is no longer paused.", p.symbol)/>
            {current}
            <ActionForm action=pause attr:class="form-grid">
                    <input type="hidden" name="symbol" value=symbol.clone()/>
                    <div class="field">
                        <label for="pause-duration">"For how long"</label>
                        <select id="pause-duration" name="duration" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            {options}
                        </select>
                    </div>
                    <div class="field" hidden=move || chosen.get() != "until">
                        <label for="pause-until">"Until (UTC)"</label>
                        <input id="pause-until" name="until" type="datetime-local" step="1" aria-describedby="pause-until-error"/>
                        <p id="pause-until-error" class="field-error" aria-live="polite">{error_of("until")}</p>
                    </div>
                    <div class="field">
                        <label for="pause-reason">"Reason"</label>
                        <input id="pause-reason" name="reason" type="text" maxlength="200" aria-describedby="pause-reason-error"/>
                        <p id="pause-reason-error" class="field-error" aria-live="polite">{error_of("reason")}</p>
                    </div>
                    <div class="field">
                        <label for="pause-mode">"Open positions"</label>
                        <select id="pause-mode" name="mode">{modes}</select>
                    </div>
                    <Can role=Role::Editor><div class="actions"><button type="submit">"Pause"</button></div></Can>
                </ActionForm>
        </section>
    }
}
