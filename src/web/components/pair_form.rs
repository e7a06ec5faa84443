//! The fields of a pair's settings, shared by the add form and the edit form.

use super::{rule, Check, Field};
use crate::domain::number::{parse_decimal, parse_integer, DecimalRule};
use crate::domain::pair::{PairForm, Symbol};
use crate::domain::FieldErrors;
use leptos::prelude::*;

fn money(v: &str) -> Option<String> {
    parse_decimal("x", v, DecimalRule::money(false))
        .err()
        .map(|e| e.message)
}
fn positive_money(v: &str) -> Option<String> {
    parse_decimal("x", v, DecimalRule::money(true))
        .err()
        .map(|e| e.message)
}
fn percent(v: &str) -> Option<String> {
    parse_decimal("x", v, DecimalRule::percent(100))
        .err()
        .map(|e| e.message)
}
fn amount(v: &str) -> Option<String> {
    let rule = DecimalRule {
        max_scale: 12,
        ..DecimalRule::money(false)
    };
    parse_decimal("x", v, rule).err().map(|e| e.message)
}
fn precision(v: &str) -> Option<String> {
    parse_integer("x", v, 0, 18).err().map(|e| e.message)
}
fn symbol(v: &str) -> Option<String> {
    Symbol::parse(v).err().map(|e| e.message)
}

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
