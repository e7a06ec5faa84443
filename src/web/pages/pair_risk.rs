//! `/pairs/{BASE}/{QUOTE}/risk`: one pair's risk settings.

use crate::domain::auth::Role;
use crate::domain::fields::{risk::FIELDS, FieldRule};
use crate::domain::risk::{OutagePolicy, PositionSizing, RiskConfig, RiskForm};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::confirm::{questions_of, ConfirmDialog, SubmitButton};
use crate::web::components::copy_from::{CopyFrom, CopyWhat};
use crate::web::components::form_warnings::FormWarnings;
use crate::web::components::pair_scope::{use_route_symbol, PairLoaded};
use crate::web::components::PageTitle;
use crate::web::components::{
    reload_after_save, submission_errors, RuleField, SaveOutcome, ToggleField,
};
use leptos::prelude::*;

#[server]
pub async fn get_risk(symbol: String) -> Result<RiskConfig, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.risk(&crate::service::parse_symbol(&symbol)?).await
    })
    .await
}

/// Saves a pair's risk settings if they are still at `form.version`; one that adds a
/// warning only once `confirm`ed. At a fixed path (`/api/save_risk`), so the fleet check
/// drives it as the console's form does.
#[server(endpoint = "save_risk")]
pub async fn save_risk(
    symbol: String,
    form: RiskForm,
    #[server(default)] confirm: bool,
) -> Result<RiskConfig, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        let symbol = crate::service::parse_symbol(&symbol)?;
        // Input that does not parse is refused by the save itself, with every field's error.
        if let Ok(settings) = form.parse() {
            let proposal = crate::service::Proposal::Risk(symbol.clone(), settings);
            service.ask_first(&proposal, confirm).await?;
        }
        service.update_risk(&symbol, &form).await
    })
    .await
}

#[component]
pub fn PairRiskPage() -> impl IntoView {
    let symbol = use_route_symbol();
    let save = ServerAction::<SaveRisk>::new();
    let saved = reload_after_save(save.value());
    let copied = RwSignal::new(0u32);
    let risk = Resource::new_blocking(
        move || (symbol.get(), saved.get(), copied.get()),
        |(s, _, _)| get_risk(s),
    );
    view! {
        <PageTitle text=move || format!("{} risk", symbol.get())/>
        <PairLoaded resource=risk loading="Loading risk settings…" show=move |risk| view! { <RiskEditor risk save/> }/>
        {move || view! { <CopyFrom symbol=symbol.get() what=CopyWhat::Risk applied=copied/> }}
    }
}

#[component]
fn RiskEditor(risk: RiskConfig, save: ServerAction<SaveRisk>) -> impl IntoView {
    let errors = submission_errors(save.value());
    let symbol = risk.symbol.to_string();
    let form = RiskForm::from_settings(&risk.settings, risk.version);
    let field = |rule: FieldRule| {
        view! { <RuleField rule value=form.value_of(rule.name).to_owned() errors/> }
    };
    let first_four: Vec<_> = FIELDS[..4].iter().copied().map(field).collect();
    let rest: Vec<_> = FIELDS[4..6].iter().copied().map(field).collect();
    let lookback = field(FIELDS[6]);
    let sizing = risk.settings.position_sizing_method;
    let outage = risk.settings.outage_policy;
    let symbol_for_help = symbol.clone();
    view! {
        <h1>"Risk of " {symbol.clone()}</h1>
        <p class="links"><a href=format!("/pairs/{symbol}")>"Back to " {symbol.clone()}</a></p>
        <FormWarnings/>
        <ActionForm action=save attr:class="form-grid">
            <input type="hidden" name="symbol" value=symbol/>
            <input type="hidden" name="form[version]" value=risk.version/>
            {first_four}
            <ToggleField
                name="form[trailing_stop_enabled]".into()
                key="trailing_stop_enabled".into()
                label="Trailing stop".into()
                on=risk.settings.trailing_stop_enabled
            />
            {rest}
            <div class="field">
                <label for="field-position-sizing-method">"Position sizing"</label>
                <select id="field-position-sizing-method" name="form[position_sizing_method]">
                    {PositionSizing::ALL
                        .into_iter()
                        .map(|m| view! { <option value=m.as_str() selected=m == sizing>{m.as_str()}</option> })
                        .collect_view()}
                </select>
            </div>
            {lookback}
            <div class="field">
                <label for="field-outage-policy">"When the configuration is unconfirmed"</label>
                <select id="field-outage-policy" name="form[outage_policy]" aria-describedby="outage-policy-help">
                    {OutagePolicy::ALL
                        .into_iter()
                        .map(|p| view! { <option value=p.as_str() selected=p == outage>{p.as_str()}</option> })
                        .collect_view()}
                </select>
                <p class="help" id="outage-policy-help">
                    "As saved: once a reader's configuration of "
                    {symbol_for_help}
                    " has gone unconfirmed past the grace period (the setting outage_grace_seconds), it will "
                    <strong class="outage-policy-now">{outage.describe()}</strong>
                    "."
                </p>
            </div>
            <Can role=Role::Editor>
                <div class="actions">
                    <SubmitButton pending=save.pending() label="Save".into() busy="Saving…"/>
                </div>
            </Can>
            <SaveOutcome value=save.value() success=|r: &RiskConfig| format!("Saved the risk settings of {}.", r.symbol)/>
            <ConfirmDialog questions=questions_of(save.value()) confirm_label="Save anyway".into()/>
        </ActionForm>
    }
}
