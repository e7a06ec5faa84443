//! `/pairs/{BASE}/{QUOTE}/strategies`: every known strategy for one pair, with its weight
//! and parameters, and the weights as the bot will apply them.

use crate::domain::auth::Role;
use crate::domain::display::Column;
use crate::domain::forms::PairStrategyForm;
use crate::domain::strategy::{parse_weight, PairStrategy, ParamDef, Strategy};
use crate::domain::trading::WeightedStrategy;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::copy_from::{CopyFrom, CopyWhat};
use crate::web::components::pair_scope::{use_route_symbol, PairLoaded};
use crate::web::components::PageTitle;
use crate::web::components::TableHead;
use crate::web::components::{
    reload_after_save, submission_errors, Field, SaveOutcome, ToggleField,
};
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
) -> Result<PairStrategy, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        use crate::domain::{FieldError, FieldErrors};
        // Several strategy forms share the page: name each error after its strategy too.
        service
            .save_pair_strategy(&crate::service::parse_symbol(&symbol)?, &strategy, &form)
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
    let save = ServerAction::<SavePairStrategy>::new();
    let saved = reload_after_save(save.value());
    let copied = RwSignal::new(0u32);
    let data = Resource::new_blocking(
        move || (symbol.get(), saved.get(), copied.get()),
        |(s, _, _)| get_pair_strategies(s),
    );
    view! {
        <PageTitle text=move || format!("{} strategies", symbol.get())/>
        <PairLoaded resource=data loading="Loading strategies…" show=move |data| view! { <StrategiesEditor data save/> }/>
        {move || view! { <CopyFrom symbol=symbol.get() what=CopyWhat::Strategies applied=copied/> }}
    }
}

#[component]
fn StrategiesEditor(
    data: PairStrategiesView,
    save: ServerAction<SavePairStrategy>,
) -> impl IntoView {
    let symbol = data.symbol.clone();
    let normalized = data.normalized.clone();
    view! {
        <h1>"Strategies of " {symbol.clone()}</h1>
        <p class="links"><a href=format!("/pairs/{symbol}")>"Back to " {symbol.clone()}</a></p>
        <SaveOutcome value=save.value() success=saved_strategy/>
        <section aria-labelledby="weights-title">
            <h2 id="weights-title">"Weights as the bot applies them"</h2>
            {if normalized.is_empty() {
                view! { <p>"No strategy is enabled: the bot will not trade this pair."</p> }.into_any()
            } else {
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
                }.into_any()
            }}
        </section>
        {data
            .strategies
            .into_iter()
            .map(|strategy| {
                let row = data.rows.iter().find(|r| r.strategy == strategy.name).cloned();
                view! { <StrategyForm symbol=symbol.clone() strategy row save/> }
            })
            .collect_view()}
    }
}

#[component]
fn StrategyForm(
    symbol: String,
    strategy: Strategy,
    row: Option<PairStrategy>,
    save: ServerAction<SavePairStrategy>,
) -> impl IntoView {
    let name = strategy.name.clone();
    let errors = submission_errors(save.value());
    let enabled = row.as_ref().is_some_and(|r| r.is_enabled);
    let weight = row
        .as_ref()
        .map_or("0".to_owned(), |r| r.weight.to_string());
    let version = row.as_ref().map_or(0, |r| r.version);
    let values = row
        .map(|r| r.parameters)
        .unwrap_or_else(|| strategy.default_params());
    let title_id = format!("strategy-{name}");
    let labelled_by = title_id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{strategy.display_name.clone()}</h2>
            <p>{strategy.description.clone()}</p>
            <ActionForm action=save attr:class="form-grid" attr:aria-label=format!("{} settings", strategy.display_name)>
                <input type="hidden" name="symbol" value=symbol/>
                <input type="hidden" name="strategy" value=name.clone()/>
                <input type="hidden" name="form[version]" value=version/>
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
                <Can role=Role::Editor><div class="actions"><button type="submit">"Save"</button></div></Can>
            </ActionForm>
        </section>
    }
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
