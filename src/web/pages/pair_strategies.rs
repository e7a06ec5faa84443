//! `/pairs/{BASE}/{QUOTE}/strategies`: every known strategy for one pair, with its weight
//! and parameters, and the weights as the bot will apply them.

use crate::domain::auth::Role;
use crate::domain::display::Column;
use crate::domain::forms::PairStrategyForm;
use crate::domain::strategy::{parse_weight, PairStrategy, ParamDef, Strategy};
use crate::domain::trading::WeightedStrategy;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::confirm::{last_input, questions_of, ConfirmDialog, SubmitButton};
use crate::web::components::copy_from::{CopyFrom, CopyWhat};
use crate::web::components::form_warnings::FormWarnings;
use crate::web::components::pair_scope::{use_route_symbol, PairLoaded};
use crate::web::components::PageTitle;
use crate::web::components::TableHead;
use crate::web::components::{submission_errors, Field, SaveOutcome, ToggleField};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the page shows: the definitions, the pair's rows, and the bot's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairStrategiesView {
    pub symbol: String,
    pub strategies: Vec<Strategy>,
    pub rows: Vec<PairStrategy>,
    pub normalized: Vec<WeightedStrategy>,
}

#[server]
pub async fn get_pair_strategies(symbol: String) -> Result<PairStrategiesView, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        let symbol = crate::service::parse_symbol(&symbol)?;
        let pair = service.pair(&symbol).await?;
        let strategies = service.strategies().await?;
        let rows = service.pair_strategy_rows(&symbol).await?;
        let normalized = service.trading_config(&symbol).await?.strategies.clone();
        Ok(PairStrategiesView {
            symbol: pair.symbol.to_string(),
            strategies,
            rows,
            normalized,
        })
    })
    .await
}

#[server]
pub async fn save_pair_strategy(
    symbol: String,
    strategy: String,
    form: PairStrategyForm,
    #[server(default)] confirm: bool,
) -> Result<PairStrategy, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        use crate::domain::{FieldError, FieldErrors};
        let symbol = crate::service::parse_symbol(&symbol)?;
        let enabled =
            crate::domain::number::parse_required_bool("enabled", form.enabled.as_deref());
        let weight = crate::domain::strategy::parse_weight(&form.weight);
        if let (Ok(enabled), Ok(weight)) = (enabled, weight) {
            let proposal = crate::service::Proposal::Strategy {
                symbol: symbol.clone(),
                strategy: strategy.clone(),
                enabled,
                weight,
            };
            service.ask_first(&proposal, confirm).await?;
        }
        // Several strategy forms share the page: name each error after its strategy too.
        service
            .save_pair_strategy(&symbol, &strategy, &form)
            .await
            .map_err(|e| match e {
                ConfigError::Invalid(FieldErrors(errors)) => ConfigError::Invalid(FieldErrors(
                    errors
                        .into_iter()
                        .map(|f| FieldError::new(format!("{strategy}.{}", f.field), f.message))
                        .collect(),
                )),
                other => other,
            })
    })
    .await
}

fn saved_strategy(s: &PairStrategy) -> String {
    format!("Saved {} for {}.", s.display_name, s.symbol)
}

const WEIGHT_COLUMNS: &[Column] = &[
    Column::text("Strategy"),
    Column::number("Weight"),
    Column::number("Normalized"),
];

#[component]
pub fn PairStrategiesPage() -> impl IntoView {
    let symbol = use_route_symbol();
    let copied = RwSignal::new(0u32);
    // Each card saves by itself (see `StrategyForm`): only a copy, which changes them all,
    // reloads the page's data.
    let data = Resource::new_blocking(
        move || (symbol.get(), copied.get()),
        |(s, _)| get_pair_strategies(s),
    );
    view! {
        <PageTitle text=move || format!("{} strategies", symbol.get())/>
        <PairLoaded resource=data loading="Loading strategies…" show=move |data| view! { <StrategiesEditor data/> }/>
        {move || view! { <CopyFrom symbol=symbol.get() what=CopyWhat::Strategies applied=copied/> }}
    }
}

#[component]
fn StrategiesEditor(data: PairStrategiesView) -> impl IntoView {
    let symbol = data.symbol.clone();
    let normalized = RwSignal::new(data.normalized.clone());
    // After a card's save: the weights as the bot now applies them.
    let reweigh = {
        let symbol = symbol.clone();
        Callback::new(move |()| {
            let symbol = symbol.clone();
            leptos::task::spawn_local(async move {
                if let Ok(view) = get_pair_strategies(symbol).await {
                    normalized.set(view.normalized);
                }
            });
        })
    };
    view! {
        <h1>"Strategies of " {symbol.clone()}</h1>
        <p class="links"><a href=format!("/pairs/{symbol}")>"Back to " {symbol.clone()}</a></p>
        <FormWarnings/>
        <section aria-labelledby="weights-title">
            <h2 id="weights-title">"Weights as the bot applies them"</h2>
            {move || weights_table(normalized.get())}
        </section>
        {data
            .strategies
            .into_iter()
            .map(|strategy| {
                let row = data.rows.iter().find(|r| r.strategy == strategy.name).cloned();
                view! { <StrategyForm symbol=symbol.clone() strategy row reweigh/> }
            })
            .collect_view()}
    }
}

fn weights_table(normalized: Vec<WeightedStrategy>) -> AnyView {
    if normalized.is_empty() {
        return view! { <p>"No strategy is enabled: the bot will not trade this pair."</p> }
            .into_any();
    }
    view! {
        <table class="weights">
            <TableHead columns=WEIGHT_COLUMNS/>
            <tbody>
                {normalized.into_iter().map(|w| view! {
                    <tr>
                        <th scope="row">{w.display_name}</th>
                        <td class="num">{w.weight.to_string()}</td>
                        <td class="num">{format!("{}%", (w.normalized_weight * rust_decimal::Decimal::ONE_HUNDRED).round_dp(2).normalize())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One strategy's card. It saves by itself and keeps its row (and version) from the answer,
/// so what is typed in the other cards stays; on a conflict it reloads its own row and
/// lists what was typed.
#[component]
fn StrategyForm(
    symbol: String,
    strategy: Strategy,
    row: Option<PairStrategy>,
    reweigh: Callback<()>,
) -> impl IntoView {
    let save = ServerAction::<SavePairStrategy>::new();
    let name = strategy.name.clone();
    let errors = submission_errors(save.value());
    let row = RwSignal::new(row);
    let typed = last_input(save);
    let unsaved = RwSignal::new(Vec::<String>::new());
    {
        let (symbol, name) = (symbol.clone(), name.clone());
        let params = strategy.parameters.clone();
        Effect::new(move |_| match save.value().get() {
            Some(Ok(saved)) => {
                unsaved.set(Vec::new());
                row.set(Some(saved));
                reweigh.run(());
                crate::web::components::form_warnings::config_changed();
            }
            Some(Err(ConfigError::Conflict(_))) => {
                let before = row.get_untracked();
                let form = typed.get_untracked().map(|input| input.form);
                unsaved.set(form.map_or_else(Vec::new, |form| {
                    typed_changes(before.as_ref(), &form, &params)
                }));
                let (symbol, name) = (symbol.clone(), name.clone());
                leptos::task::spawn_local(async move {
                    if let Ok(view) = get_pair_strategies(symbol).await {
                        row.set(view.rows.into_iter().find(|r| r.strategy == name));
                    }
                });
            }
            _ => {}
        });
    }
    let title_id = format!("strategy-{name}");
    let labelled_by = title_id.clone();
    let display_name = strategy.display_name.clone();
    let description = strategy.description.clone();
    let form_label = format!("{} settings", strategy.display_name);
    let fields = move || {
        let row = row.get();
        let enabled = row.as_ref().is_some_and(|r| r.is_enabled);
        let weight = row
            .as_ref()
            .map_or("0".to_owned(), |r| r.weight.to_string());
        let version = row.as_ref().map_or(0, |r| r.version);
        let values = row
            .map(|r| r.parameters)
            .unwrap_or_else(|| strategy.default_params());
        let name = strategy.name.clone();
        view! {
            <input type="hidden" name="form[version]" value=version prop:value=version/>
            <ToggleField name="form[enabled]".into() key=format!("{name}-enabled") label="Enabled".into() on=enabled/>
            <Field
                name="form[weight]".into()
                key=format!("{name}.weight")
                label="Weight".into()
                value=weight
                check=Callback::new(|v: String| parse_weight(&v).err().map(|e| e.message))
                help="0 to 1; weights are normalized over the enabled strategies".into()
                inputmode="decimal"
                server_errors=errors
            />
            {strategy
                .parameters
                .iter()
                .map(|def| {
                    let value = values.get(&def.name).copied().unwrap_or(def.default).to_string();
                    param_field(&name, def.clone(), value, errors)
                })
                .collect_view()}
        }
    };
    let save_name = format!("Save {display_name}");
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{display_name}</h2>
            <p>{description}</p>
            <ActionForm action=save attr:class="form-grid" attr:aria-label=form_label>
                <input type="hidden" name="symbol" value=symbol/>
                <input type="hidden" name="strategy" value=name.clone()/>
                {fields}
                <Can role=Role::Editor>
                    <div class="actions">
                        <SubmitButton pending=save.pending() label="Save".into() busy="Saving…" name=save_name.clone()/>
                    </div>
                </Can>
                <SaveOutcome value=save.value() success=saved_strategy/>
                {move || {
                    let typed = unsaved.get();
                    (!typed.is_empty()).then(|| view! {
                        <div class="note unsaved">
                            "What you typed, not saved (the card shows the stored values now):"
                            <ul>{typed.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                <ConfirmDialog questions=questions_of(save.value()) confirm_label="Save anyway".into()/>
            </ActionForm>
        </section>
    }
}

/// What was typed in a card that differs from the row it showed.
fn typed_changes(
    shown: Option<&PairStrategy>,
    form: &PairStrategyForm,
    params: &[ParamDef],
) -> Vec<String> {
    let mut out = Vec::new();
    let enabled = shown.is_some_and(|r| r.is_enabled).to_string();
    if let Some(typed) = form.enabled.as_deref().filter(|t| t.trim() != enabled) {
        out.push(format!(
            "Enabled: {}",
            if typed.trim() == "true" { "On" } else { "Off" }
        ));
    }
    let weight = shown.map_or("0".to_owned(), |r| r.weight.to_string());
    if form.weight.trim() != weight {
        out.push(format!("Weight: {}", form.weight.trim()));
    }
    for (param, typed) in &form.params {
        let stored = shown
            .and_then(|r| r.parameters.get(param))
            .map(|v| v.to_string());
        if stored.as_deref() != Some(typed.trim()) {
            let label = params
                .iter()
                .find(|d| &d.name == param)
                .map_or(param, |d| &d.label);
            out.push(format!("{label}: {}", typed.trim()));
        }
    }
    out
}

fn param_field(
    strategy: &str,
    def: ParamDef,
    value: String,
    errors: Signal<crate::domain::FieldErrors>,
) -> impl IntoView {
    let checker = def.clone();
    let help = format!("{} to {}. {}", def.min, def.max, def.help);
    view! {
        <Field
            name=format!("form[params][{}]", def.name)
            key=format!("{strategy}.{}", def.name)
            label=def.label.clone()
            value
            check=Callback::new(move |v: String| checker.parse_value(&v).err().map(|e| e.message))
            help
            inputmode="decimal"
            server_errors=errors
        />
    }
}
