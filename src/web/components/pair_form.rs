//! The fields of a pair's settings, shared by the add form and the edit form.

use super::checks::{amount, money, percent, positive_money, precision, symbol};
use super::{rule, Check, Field};
use crate::domain::pair::PairForm;
use crate::domain::FieldErrors;
use leptos::prelude::*;

/// The symbol field of the add form.
#[component]
pub fn SymbolField(value: String, errors: Signal<FieldErrors>) -> impl IntoView {
    view! {
        <Field
            name="form[symbol]".into()
            key="symbol".into()
            label="Symbol".into()
            value
            check=rule(symbol)
            help="BASE/QUOTE in capitals, e.g. SOL/USDT".into()
            server_errors=errors
        />
    }
}

/// Every settings field of a pair.
#[component]
pub fn PairSettingsFields(form: PairForm, errors: Signal<FieldErrors>) -> impl IntoView {
    let fields: [(&str, &str, String, Check, &'static str); 7] = [
        (
            "initial_balance",
            "Initial balance",
            form.initial_balance,
            money as Check,
            "decimal",
        ),
        (
            "trade_size_usd",
            "Trade size (USD)",
            form.trade_size_usd,
            positive_money,
            "decimal",
        ),
        (
            "max_position_percent",
            "Max position (%)",
            form.max_position_percent,
            percent,
            "decimal",
        ),
        (
            "min_trade_amount",
            "Min trade amount",
            form.min_trade_amount,
            amount,
            "decimal",
        ),
        (
            "max_trade_amount",
            "Max trade amount",
            form.max_trade_amount,
            amount,
            "decimal",
        ),
        (
            "price_precision",
            "Price precision",
            form.price_precision,
            precision,
            "numeric",
        ),
        (
            "amount_precision",
            "Amount precision",
            form.amount_precision,
            precision,
            "numeric",
        ),
    ];
    fields
        .into_iter()
        .map(|(key, label, value, check, mode)| {
            view! {
                <Field
                    name=format!("form[{key}]")
                    key=key.to_owned()
                    label=label.to_owned()
                    value
                    check=rule(check)
                    inputmode=mode
                    server_errors=errors
                />
            }
        })
        .collect_view()
}
