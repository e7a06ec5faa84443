//! The rules each of a bot's tables is checked against, row by row, with the domain's own
//! parsers: settings, pairs, strategies, their per-pair configuration, and risk.

use super::{BotTables, RawRow, Review, Violation};
use crate::domain::number::normalize_decimal_text;
use crate::domain::pair::{PairForm, Symbol};
use crate::domain::risk::RiskForm;
use crate::domain::strategy::{params_from_json, parse_weight, Strategy, STRATEGY_TYPES};
use crate::domain::system::{check_setting_key, parse_setting, Category, ValueType};
use crate::domain::{ConfigError, FieldError};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

pub(super) fn text<'r>(row: &'r RawRow, column: &str) -> &'r str {
    row.get(column).and_then(|v| v.as_deref()).unwrap_or("")
}

/// A numeric column's text without the trailing zeros of its column's scale
/// ("3000.00000000" is 3000); other text as it is.
pub(super) fn number(row: &RawRow, column: &str) -> String {
    normalize_decimal_text(text(row, column))
}

pub(super) fn row_name(table: &str, row: &RawRow) -> String {
    let key = match table {
        "system_config" => "config_key",
        "trading_pairs" => "symbol",
        "strategies" => "strategy_name",
        _ => return format!("id {}", text(row, "id")),
    };
    match text(row, key).trim() {
        "" => format!("id {}", text(row, "id")),
        name => name.to_owned(),
    }
}

/// Pairs' symbols and strategies' names by id, to name the rows that refer to them.
pub(super) struct Names {
    pairs: BTreeMap<String, String>,
    strategies: BTreeMap<String, String>,
}

impl Names {
    pub(super) fn of(bot: &BotTables) -> Self {
        let by_id = |table: &str, column: &str| {
            bot.rows(table)
                .iter()
                .map(|r| (text(r, "id").to_owned(), text(r, column).to_owned()))
                .collect()
        };
        Self {
            pairs: by_id("trading_pairs", "symbol"),
            strategies: by_id("strategies", "strategy_name"),
        }
    }
}

pub(super) fn push(review: &mut Review, table: &str, row: &str, message: impl Into<String>) {
    review.violations.push(Violation {
        table: table.to_owned(),
        row: row.to_owned(),
        message: message.into(),
    });
}

/// `field message`, with the field named by its column in the bot's table.
pub(super) fn field_message(error: &FieldError, column: &str) -> String {
    format!("{column} {}", error.message)
}

pub(super) fn push_all(review: &mut Review, table: &str, row: &str, error: ConfigError) {
    match error {
        ConfigError::Invalid(errors) => {
            for e in errors.0 {
                let field = e.field.clone();
                push(review, table, row, field_message(&e, &field));
            }
        }
        other => push(review, table, row, other.to_string()),
    }
}

pub(super) fn check_unique(review: &mut Review, table: &str, rows: &[RawRow], column: &str) {
    let mut seen = BTreeSet::new();
    for row in rows {
        let value = text(row, column);
        if !value.is_empty() && !seen.insert(value) {
            push(review, table, value, format!("{column} appears twice"));
        }
    }
}

pub(super) fn check_bool(review: &mut Review, table: &str, name: &str, row: &RawRow, column: &str) {
    if let Some(Some(value)) = row.get(column) {
        if value != "true" && value != "false" {
            push(
                review,
                table,
                name,
                format!("{column} must be true or false, not {value:?}"),
            );
        }
    }
}

pub(super) fn check_settings(bot: &BotTables, review: &mut Review) {
    let table = "system_config";
    let rows = bot.rows(table);
    check_unique(review, table, rows, "config_key");
    for row in rows {
        let name = row_name(table, row);
        let key = text(row, "config_key");
        if let Err(e) = check_setting_key(key) {
            push(review, table, &name, format!("config_key {}", e.message));
        }
        let value = text(row, "config_value");
        match ValueType::from_str(text(row, "config_type")) {
            Err(e) => push(review, table, &name, format!("config_type: {e}")),
            Ok(value_type) => match parse_setting(key, value_type, value) {
                Err(e) => push(review, table, &name, format!("config_value {}", e.message)),
                // The schema stores each type in one spelling; parse_setting is lenient
                // about spaces and case.
                Ok(_) if !stored_spelling_is_canonical(value_type, value.trim()) => push(
                    review,
                    table,
                    &name,
                    format!(
                        "config_value {value:?} is not written as a plain {} (digits, an optional - and .)",
                        value_type.as_str()
                    ),
                ),
                Ok(_) => {}
            },
        }
        if let Some(Some(category)) = row.get("category") {
            if let Err(e) = Category::from_str(category) {
                push(
                    review,
                    table,
                    &name,
                    format!(
                        "category: {e}; botconfig's are {}",
                        Category::ALL.map(Category::as_str).join(", ")
                    ),
                );
            }
        }
        check_bool(review, table, &name, row, "is_active");
    }
}

/// Whether `value` is written the one way the schema's check accepts for its type.
pub(super) fn stored_spelling_is_canonical(value_type: ValueType, value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    match value_type {
        ValueType::Integer => digits(unsigned),
        ValueType::Float => match unsigned.split_once('.') {
            Some((whole, fraction)) => digits(whole) && digits(fraction),
            None => digits(unsigned),
        },
        // Spaces and case are `mend`'s: fixable, reported once there.
        ValueType::Boolean | ValueType::String | ValueType::Json => true,
    }
}

pub(super) fn check_pairs(bot: &BotTables, review: &mut Review) {
    let table = "trading_pairs";
    let rows = bot.rows(table);
    check_unique(review, table, rows, "symbol");
    for row in rows {
        let name = row_name(table, row);
        match Symbol::parse(text(row, "symbol")) {
            Err(e) => push(review, table, &name, format!("symbol {}", e.message)),
            Ok(symbol) => {
                for (column, part) in [
                    ("base_currency", symbol.base()),
                    ("quote_currency", symbol.quote()),
                ] {
                    if text(row, column) != part {
                        push(
                            review,
                            table,
                            &name,
                            format!(
                                "{column} is {:?}, but the symbol says {part:?}",
                                text(row, column)
                            ),
                        );
                    }
                }
            }
        }
        let defaults = PairForm::new_pair_defaults();
        let or_default = |column: &str, default: &str| match row.get(column) {
            Some(Some(_)) => number(row, column),
            _ => default.to_owned(),
        };
        let form = PairForm {
            symbol: text(row, "symbol").to_owned(),
            initial_balance: number(row, "initial_balance"),
            trade_size_usd: number(row, "trade_size_usd"),
            max_position_percent: number(row, "max_position_percent"),
            min_trade_amount: or_default("min_trade_amount", &defaults.min_trade_amount),
            max_trade_amount: or_default("max_trade_amount", &defaults.max_trade_amount),
            price_precision: or_default("price_precision", &defaults.price_precision),
            amount_precision: or_default("amount_precision", &defaults.amount_precision),
        };
        if let Err(e) = form.parse_settings() {
            push_all(review, table, &name, e);
        }
        check_bool(review, table, &name, row, "is_active");
    }
}

pub(super) fn check_strategies(bot: &BotTables, review: &mut Review) {
    let table = "strategies";
    let rows = bot.rows(table);
    check_unique(review, table, rows, "strategy_name");
    for row in rows {
        let name = row_name(table, row);
        if let Err(e) = check_setting_key(text(row, "strategy_name")) {
            let rule = e.message.replace("a setting key", "a strategy name");
            push(review, table, &name, format!("strategy_name: {rule}"));
        }
        if let Some(Some(kind)) = row.get("strategy_type") {
            if !STRATEGY_TYPES.contains(&kind.as_str()) {
                push(
                    review,
                    table,
                    &name,
                    format!(
                        "strategy_type {kind:?} is not one of {}",
                        STRATEGY_TYPES.join(", ")
                    ),
                );
            }
        }
        check_bool(review, table, &name, row, "is_active");
    }
}

pub(super) fn check_pair_strategies(
    bot: &BotTables,
    names: &Names,
    definitions: &[Strategy],
    review: &mut Review,
) {
    let table = "pair_strategy_config";
    let mut seen = BTreeSet::new();
    for row in bot.rows(table) {
        let pair = names.pairs.get(text(row, "pair_id"));
        let strategy = names.strategies.get(text(row, "strategy_id"));
        let name = match (pair, strategy) {
            (Some(p), Some(s)) => format!("{p} {s}"),
            _ => row_name(table, row),
        };
        if pair.is_none() {
            push(review, table, &name, "pair_id names no trading pair");
        }
        if strategy.is_none() {
            push(review, table, &name, "strategy_id names no strategy");
        }
        if !seen.insert((text(row, "pair_id"), text(row, "strategy_id"))) {
            push(
                review,
                table,
                &name,
                "appears twice for the same pair and strategy",
            );
        }
        if let Err(e) = parse_weight(&number(row, "weight")) {
            push(review, table, &name, field_message(&e, "weight"));
        }
        check_bool(review, table, &name, row, "is_enabled");
        let Some(Some(parameters)) = row.get("parameters") else {
            continue;
        };
        let values = serde_json::from_str(parameters)
            .map_err(|e| ConfigError::invalid("parameters", format!("must be JSON: {e}")))
            .and_then(|json| params_from_json(&json));
        let values = match values {
            Ok(values) => values,
            Err(e) => {
                push_all(review, table, &name, prefixed(e, "parameters"));
                continue;
            }
        };
        // A strategy botconfig knows must be tuned within its definitions; one it does
        // not know keeps whatever numbers the bot gave it.
        if let Some(definition) = strategy.and_then(|s| definitions.iter().find(|d| &d.name == s)) {
            if let Err(e) = definition.check_params(&values) {
                push_all(review, table, &name, prefixed(e, "parameters"));
            }
        }
    }
}

/// The errors of `error` with their fields under `prefix` (`parameters.short_period`).
pub(super) fn prefixed(error: ConfigError, prefix: &str) -> ConfigError {
    match error {
        ConfigError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                if e.field != prefix {
                    e.field = format!("{prefix}.{}", e.field);
                }
            }
            ConfigError::Invalid(errors)
        }
        other => other,
    }
}

pub(super) fn check_risks(bot: &BotTables, names: &Names, review: &mut Review) {
    let table = "pair_risk_config";
    let mut seen = BTreeSet::new();
    let defaults = RiskForm::from_settings(&Default::default(), 1);
    for row in bot.rows(table) {
        let name = names
            .pairs
            .get(text(row, "pair_id"))
            .cloned()
            .unwrap_or_else(|| row_name(table, row));
        if !names.pairs.contains_key(text(row, "pair_id")) {
            push(review, table, &name, "pair_id names no trading pair");
        }
        if !seen.insert(text(row, "pair_id")) {
            push(review, table, &name, "appears twice for the same pair");
        }
        let field = |column: &str, default: &str| match row.get(column) {
            Some(Some(_)) => number(row, column),
            _ => default.to_owned(),
        };
        let form = RiskForm {
            stop_loss_percent: field("stop_loss_percent", &defaults.stop_loss_percent),
            take_profit_percent: field("take_profit_percent", &defaults.take_profit_percent),
            max_daily_trades: field("max_daily_trades", &defaults.max_daily_trades),
            max_daily_loss_percent: field(
                "max_daily_loss_percent",
                &defaults.max_daily_loss_percent,
            ),
            trailing_stop_enabled: Some(field(
                "trailing_stop_enabled",
                defaults.trailing_stop_enabled.as_deref().unwrap_or("false"),
            )),
            trailing_stop_percent: field("trailing_stop_percent", &defaults.trailing_stop_percent),
            max_drawdown_percent: field("max_drawdown_percent", &defaults.max_drawdown_percent),
            position_sizing_method: field(
                "position_sizing_method",
                &defaults.position_sizing_method,
            ),
            volatility_lookback_days: field(
                "volatility_lookback_days",
                &defaults.volatility_lookback_days,
            ),
            // Not a column of the bots' schema: the default applies.
            outage_policy: String::new(),
            version: 1,
        };
        if let Err(e) = form.parse() {
            push_all(review, table, &name, e);
        }
    }
}
