//! `/pairs`: every pair with its state; activate or deactivate one.

use crate::domain::auth::Role;
use crate::domain::display::Column;
use crate::domain::pair::{PairForm, TradingPair};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::pair_form::{PairSettingsFields, SymbolField};
pub use crate::web::components::pair_scope::SetPairActive;
use crate::web::components::TableHead;
use crate::web::components::{submission_errors, ActiveBadge, ErrorNote, Loaded, SaveOutcome};
use leptos::either::Either;
use leptos::prelude::*;

/// Every pair, active or not, by symbol.
#[server]
pub async fn list_pairs() -> Result<Vec<TradingPair>, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.all_pairs().await
    })
    .await
}

/// Creates a pair (default risk, no strategies yet).
#[server]
pub async fn add_pair(form: PairForm) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        service.create_pair(&form).await
    })
    .await
}

/// The console's address for a pair's pages: `/pairs/BTC/USDT`.
pub fn pair_href(pair: &TradingPair) -> String {
    format!("/pairs/{}", pair.symbol)
}

const PAIR_COLUMNS: &[Column] = &[
    Column::text("Symbol"),
    Column::text("Status"),
    Column::number("Initial balance"),
    Column::number("Trade size (USD)"),
    Column::number("Max position"),
    Column::text("Action"),
];

#[component]
pub fn PairsPage() -> impl IntoView {
    let toggle = ServerAction::<SetPairActive>::new();
    let add = ServerAction::<AddPair>::new();
    let pairs = Resource::new(
        move || (toggle.version().get(), add.version().get()),
        |_| list_pairs(),
    );

    let outcome = move || {
        toggle.value().get().map(|result| match result {
            Ok(pair) => Either::Left(view! {
                <p class="note ok" role="status">
                    {format!("{} is now {}.", pair.symbol, if pair.is_active { "active" } else { "inactive" })}
                </p>
            }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })
    };

    view! {
        <h1>"Pairs"</h1>
        {outcome}
        <Loaded resource=pairs loading="Loading pairs…" show=move |list| view! { <PairTable pairs=list toggle/> }/>
        <AddPairForm add/>
    }
}

#[component]
fn AddPairForm(add: ServerAction<AddPair>) -> impl IntoView {
    let errors = submission_errors(add.value());
    let defaults = PairForm::new_pair_defaults();
    view! {
        <section aria-labelledby="add-pair-title" class="card">
            <h2 id="add-pair-title">"Add a pair"</h2>
            <SaveOutcome value=add.value() success=|p: &TradingPair| format!("Added {}.", p.symbol)/>
            <ActionForm action=add attr:class="form-grid">
                <SymbolField value=String::new() errors/>
                <PairSettingsFields form=defaults errors/>
                <Can role=Role::Editor><div class="actions"><button type="submit">"Add pair"</button></div></Can>
            </ActionForm>
        </section>
    }
}

#[component]
fn PairTable(pairs: Vec<TradingPair>, toggle: ServerAction<SetPairActive>) -> impl IntoView {
    if pairs.is_empty() {
        return Either::Left(view! { <p>"No pairs yet."</p> });
    }
    let rows = pairs
        .into_iter()
        .map(|pair| {
            let href = pair_href(&pair);
            let symbol = pair.symbol.to_string();
            let next = (!pair.is_active).to_string();
            let label = if pair.is_active {
                "Deactivate"
            } else {
                "Activate"
            };
            view! {
                <tr>
                    <th scope="row"><a href=href>{symbol.clone()}</a></th>
                    <td><ActiveBadge active=pair.is_active/></td>
                    <td class="num">{pair.initial_balance.to_string()}</td>
                    <td class="num">{pair.trade_size_usd.to_string()}</td>
                    <td class="num">{format!("{}%", pair.max_position_percent)}</td>
                    <td>
                        <ActionForm action=toggle>
                            <input type="hidden" name="symbol" value=symbol/>
                            <input type="hidden" name="active" value=next/>
                            <Can role=Role::Editor><button type="submit">{label}</button></Can>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table>
            <TableHead columns=PAIR_COLUMNS/>
            <tbody>{rows}</tbody>
        </table>
    })
}
