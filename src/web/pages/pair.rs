//! `/pairs/{BASE}/{QUOTE}`: edit one pair's settings, activate or deactivate it, pause it.

use crate::domain::auth::Role;
use crate::domain::pair::{PairForm, TradingPair};
use crate::domain::trading::TradeDecision;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::confirm::{questions_of, ConfirmDialog, SubmitButton};
use crate::web::components::form_warnings::FormWarnings;
use crate::web::components::pair_form::PairSettingsFields;
use crate::web::components::pair_scope::{use_route_symbol, PairLoaded, SetPairActive};
use crate::web::components::pause::{PauseControls, PausePair, ResumePair};
use crate::web::components::PageTitle;
use crate::web::components::{
    reload_after_save, submission_errors, ActiveBadge, Loaded, SaveOutcome,
};
use leptos::prelude::*;

/// One pair, read fresh.
#[server]
pub async fn get_pair(symbol: String) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.pair(&crate::service::parse_symbol(&symbol)?).await
    })
    .await
}

/// Saves a pair's settings if it is still at `version`; a save that adds a warning only
/// once `confirm`ed.
#[server]
pub async fn save_pair(
    symbol: String,
    version: i32,
    form: PairForm,
    #[server(default)] confirm: bool,
) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        let symbol = crate::service::parse_symbol(&symbol)?;
        if let Ok(settings) = form.parse_settings() {
            let proposal = crate::service::Proposal::Pair(symbol.clone(), settings);
            service.ask_first(&proposal, confirm).await?;
        }
        service.update_pair(&symbol, &form, version).await
    })
    .await
}

/// Whether bots may trade the pair now, as they are told.
#[server]
pub async fn get_trade_decision(symbol: String) -> Result<TradeDecision, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service
            .should_trade_pair(
                &crate::service::parse_symbol(&symbol)?,
                crate::service::ReadFrom::Cache,
            )
            .await
    })
    .await
}

#[component]
pub fn PairPage() -> impl IntoView {
    let symbol = use_route_symbol();
    let save = ServerAction::<SavePair>::new();
    let toggle = ServerAction::<SetPairActive>::new();
    let pause = ServerAction::<PausePair>::new();
    let resume = ServerAction::<ResumePair>::new();
    let saved = reload_after_save(save.value());
    let toggled = reload_after_save(toggle.value());
    let paused = reload_after_save(pause.value());
    let resumed = reload_after_save(resume.value());
    let changed = move || (saved.get(), toggled.get(), paused.get(), resumed.get());
    let pair = Resource::new_blocking(move || (symbol.get(), changed()), |(s, _)| get_pair(s));
    let decision = Resource::new(
        move || (symbol.get(), changed()),
        |(s, _)| get_trade_decision(s),
    );
    view! {
        <PageTitle text=move || symbol.get()/>
        <PairLoaded resource=pair loading="Loading pair…" show=move |pair| view! {
            <PairEditor pair=pair.clone() save toggle decision/>
            <PauseControls pair pause resume/>
        }/>
    }
}

/// What bots are told when they ask whether to trade the pair.
#[component]
fn Decision(decision: TradeDecision) -> impl IntoView {
    let policy = format!(
        "Outage policy: {} — once a reader's configuration goes unconfirmed for more than {} s, it will {}.",
        decision.outage_policy,
        decision.outage_grace_seconds,
        decision.outage_policy.describe()
    );
    let verdict = if decision.trade {
        view! { <p class="note ok">"Bots may trade " {decision.symbol} " now."</p> }.into_any()
    } else {
        view! {
            <div class="note warning">
                "Bots will not trade " {decision.symbol} ": " {decision.reasons.join("; ")} "."
            </div>
        }
        .into_any()
    };
    view! { {verdict} <p class="outage-policy">{policy}</p> }
}

#[component]
fn PairEditor(
    pair: TradingPair,
    save: ServerAction<SavePair>,
    toggle: ServerAction<SetPairActive>,
    decision: Resource<Result<TradeDecision, ConfigError>>,
) -> impl IntoView {
    let errors = submission_errors(save.value());
    let symbol = pair.symbol.to_string();
    let form = PairForm::from_settings(&symbol, &pair.settings());
    let toggle_label = if pair.is_active {
        "Deactivate"
    } else {
        "Activate"
    };
    let strategies_href = format!("/pairs/{symbol}/strategies");
    let risk_href = format!("/pairs/{symbol}/risk");
    let history_href = format!("/history?pair={}", symbol.replace('/', "%2F"));
    let (title, s1, s2, s3) = (
        symbol.clone(),
        symbol.clone(),
        symbol.clone(),
        symbol.clone(),
    );
    view! {
        <h1>{title} " " <ActiveBadge active=pair.is_active/></h1>
        <p class="links">
            <a href=strategies_href>"Strategies of " {s1}</a>
            " · "
            <a href=risk_href>"Risk of " {s2}</a>
            " · "
            <a href=history_href>"History of " {s3.clone()}</a>
        </p>
        <FormWarnings/>
        <ActionForm action=save attr:class="form-grid">
            <input type="hidden" name="symbol" value=s3/>
            <input type="hidden" name="version" value=pair.version/>
            <PairSettingsFields form errors/>
            <Can role=Role::Editor>
                <div class="actions">
                    <SubmitButton pending=save.pending() label="Save".into() busy="Saving…"/>
                </div>
            </Can>
            <SaveOutcome value=save.value() success=|p: &TradingPair| format!("Saved {}.", p.symbol)/>
            <ConfirmDialog questions=questions_of(save.value()) confirm_label="Save anyway".into()/>
        </ActionForm>
        <ActionForm action=toggle>
            <input type="hidden" name="symbol" value=symbol/>
            <input type="hidden" name="active" value=(!pair.is_active).to_string()/>
            <SubmitButton pending=toggle.pending() label=toggle_label.to_owned() busy="Working…"/>
            <SaveOutcome
                value=toggle.value()
                success=|p: &TradingPair| format!("{} is now {}.", p.symbol, if p.is_active { "active" } else { "inactive" })
            />
            <ConfirmDialog questions=questions_of(toggle.value()) confirm_label=toggle_label.to_owned()/>
        </ActionForm>
        <section aria-labelledby="trade-title">
            <h2 id="trade-title">"Trading"</h2>
            <Loaded resource=decision loading="Asking…" show=|d: TradeDecision| view! { <Decision decision=d/> }/>
        </section>
    }
}
