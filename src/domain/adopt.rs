//! Adopting a bot's own database: its rows, as the bot stored them, checked against the
//! rules botconfig enforces, and the fixes that cannot change what a value means.
//!
//! Pure: the store reads the rows as text and applies what this module decides.

use super::number::normalize_decimal_text;
use super::pair::{PairForm, Symbol};
use super::risk::RiskForm;
use super::strategy::{params_from_json, parse_weight, Strategy, STRATEGY_TYPES};
use super::system::{check_setting_key, parse_setting, Category, ValueType};
use super::{ConfigError, FieldError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// One stored row: column name to its text (`None` for NULL), exactly as Postgres prints it.
pub type RawRow = BTreeMap<String, Option<String>>;

/// The five tables of a bot's database, by their own names.
pub const TABLES: [&str; 5] = [
    "system_config",
    "trading_pairs",
    "strategies",
    "pair_strategy_config",
    "pair_risk_config",
];

/// The columns a table must have to be adopted; the others it may lack take botconfig's
/// defaults.
pub fn required_columns(table: &str) -> &'static [&'static str] {
    match table {
        "system_config" => &["id", "config_key", "config_value", "config_type"],
        "trading_pairs" => &[
            "id",
            "symbol",
            "base_currency",
            "quote_currency",
            "initial_balance",
            "trade_size_usd",
            "max_position_percent",
        ],
        "strategies" => &["id", "strategy_name"],
        "pair_strategy_config" => &["id", "pair_id", "strategy_id", "weight"],
        "pair_risk_config" => &["id", "pair_id"],
        _ => &[],
    }
}

/// Every column of a table that botconfig copies when the bot's table has it.
pub fn copied_columns(table: &str) -> &'static [&'static str] {
    match table {
        "system_config" => &[
            "id",
            "config_key",
            "config_value",
            "config_type",
            "description",
            "category",
            "is_active",
            "created_at",
            "updated_at",
            "created_by",
        ],
        "trading_pairs" => &[
            "id",
            "symbol",
            "base_currency",
            "quote_currency",
            "is_active",
            "initial_balance",
            "trade_size_usd",
            "max_position_percent",
            "min_trade_amount",
            "max_trade_amount",
            "price_precision",
            "amount_precision",
            "created_at",
            "updated_at",
        ],
        "strategies" => &[
            "id",
            "strategy_name",
            "display_name",
            "description",
            "strategy_type",
            "is_active",
            "created_at",
        ],
        "pair_strategy_config" => &[
            "id",
            "pair_id",
            "strategy_id",
            "is_enabled",
            "weight",
            "parameters",
            "created_at",
            "updated_at",
        ],
        "pair_risk_config" => &[
            "id",
            "pair_id",
            "stop_loss_percent",
            "take_profit_percent",
            "max_daily_trades",
            "max_daily_loss_percent",
            "trailing_stop_enabled",
            "trailing_stop_percent",
            "max_drawdown_percent",
            "position_sizing_method",
            "volatility_lookback_days",
            "created_at",
            "updated_at",
        ],
        _ => &[],
    }
}

/// Text columns whose surrounding spaces carry no meaning.
fn trimmed_columns(table: &str) -> &'static [&'static str] {
    match table {
        "system_config" => &["config_key", "config_value", "config_type", "category"],
        "trading_pairs" => &["symbol", "base_currency", "quote_currency"],
        "strategies" => &["strategy_name", "display_name", "strategy_type"],
        "pair_risk_config" => &["position_sizing_method"],
        _ => &[],
    }
}

/// A bot's tables as read: the rows of each table that exists, and its columns.
#[derive(Debug, Clone, Default)]
pub struct BotTables {
    /// Table name to (its columns, its rows in id order). A missing table is absent.
    pub tables: BTreeMap<String, (Vec<String>, Vec<RawRow>)>,
}

impl BotTables {
    fn rows(&self, table: &str) -> &[RawRow] {
        self.tables.get(table).map_or(&[], |(_, rows)| rows)
    }
}

/// A row that breaks a rule, named the way an operator finds it in the bot's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub table: String,
    /// The row's natural name: a setting's key, a pair's symbol, "BTC/USDT rsi".
    pub row: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row.is_empty() {
            write!(f, "{}: {}", self.table, self.message)
        } else {
            write!(f, "{} {}: {}", self.table, self.row, self.message)
        }
    }
}

/// A change to one stored value that keeps its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub table: String,
    pub id: String,
    pub row: String,
    pub column: String,
    pub before: String,
    pub after: String,
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} {:?} → {:?}",
            self.table, self.row, self.column, self.before, self.after
        )
    }
}

/// What checking a bot's tables found.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub violations: Vec<Violation>,
    /// Fixes applied to the rows (with `fix`), or that `--fix` would apply.
    pub fixes: Vec<Fix>,
}

/// Checks every row of `bot` against botconfig's rules. With `fix`, first applies to the
/// rows the fixes that cannot change a value's meaning (surrounding spaces, the case of a
/// boolean) and records them; without it, each such problem is a violation that says
/// `--fix` would mend it. `definitions` are botconfig's strategies, for the parameters of
/// strategies it knows.
pub fn review(bot: &mut BotTables, fix: bool, definitions: &[Strategy]) -> Review {
    let mut review = Review::default();
    for table in TABLES {
        let Some((columns, rows)) = bot.tables.get_mut(table) else {
            continue;
        };
        let missing: Vec<_> = required_columns(table)
            .iter()
            .filter(|c| !columns.iter().any(|have| have == *c))
            .collect();
        if !missing.is_empty() {
            review.violations.push(Violation {
                table: table.to_owned(),
                row: String::new(),
                message: format!(
                    "has no column {}",
                    missing
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            continue;
        }
        for row in rows.iter_mut() {
            mend(table, row, fix, &mut review);
        }
    }
    if review
        .violations
        .iter()
        .any(|v| v.row.is_empty() && v.message.starts_with("has no column"))
    {
        return review;
    }
    let names = Names::of(bot);
    check_settings(bot, &mut review);
    check_pairs(bot, &mut review);
    check_strategies(bot, &mut review);
    check_pair_strategies(bot, &names, definitions, &mut review);
    check_risks(bot, &names, &mut review);
    review
}

/// Surrounding spaces and the case of boolean settings: fixed with `fix`, reported without.
fn mend(table: &str, row: &mut RawRow, fix: bool, review: &mut Review) {
    let name = row_name(table, row);
    let id = text(row, "id").to_owned();
    let mut changes: Vec<(String, String, String, &str)> = Vec::new();
    for column in trimmed_columns(table) {
        if let Some(Some(value)) = row.get(*column) {
            if value.trim() != value {
                changes.push((
                    (*column).to_owned(),
                    value.clone(),
                    value.trim().to_owned(),
                    "has spaces around it",
                ));
            }
        }
    }
    if table == "system_config" && text(row, "config_type").trim() == "boolean" {
        let value = text(row, "config_value").trim();
        let lower = value.to_ascii_lowercase();
        if value != lower && (lower == "true" || lower == "false") {
            let before = text(row, "config_value").to_owned();
            changes.retain(|(column, ..)| column != "config_value");
            changes.push((
                "config_value".into(),
                before,
                lower,
                "must be true or false in lower case",
            ));
        }
    }
    for (column, before, after, problem) in changes {
        if fix {
            row.insert(column.clone(), Some(after.clone()));
            review.fixes.push(Fix {
                table: table.to_owned(),
                id: id.clone(),
                row: name.clone(),
                column,
                before,
                after,
            });
        } else {
            review.violations.push(Violation {
                table: table.to_owned(),
                row: name.clone(),
                message: format!("{column} {before:?} {problem} (--fix mends this)"),
            });
        }
    }
}

fn text<'r>(row: &'r RawRow, column: &str) -> &'r str {
    row.get(column).and_then(|v| v.as_deref()).unwrap_or("")
}

/// A numeric column's text without the trailing zeros of its column's scale
/// ("3000.00000000" is 3000); other text as it is.
fn number(row: &RawRow, column: &str) -> String {
    normalize_decimal_text(text(row, column))
}

fn row_name(table: &str, row: &RawRow) -> String {
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
struct Names {
    pairs: BTreeMap<String, String>,
    strategies: BTreeMap<String, String>,
}

impl Names {
    fn of(bot: &BotTables) -> Self {
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

fn push(review: &mut Review, table: &str, row: &str, message: impl Into<String>) {
    review.violations.push(Violation {
        table: table.to_owned(),
        row: row.to_owned(),
        message: message.into(),
    });
}

/// `field message`, with the field named by its column in the bot's table.
fn field_message(error: &FieldError, column: &str) -> String {
    format!("{column} {}", error.message)
}

fn push_all(review: &mut Review, table: &str, row: &str, error: ConfigError) {
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

fn check_unique(review: &mut Review, table: &str, rows: &[RawRow], column: &str) {
    let mut seen = BTreeSet::new();
    for row in rows {
        let value = text(row, column);
        if !value.is_empty() && !seen.insert(value) {
            push(review, table, value, format!("{column} appears twice"));
        }
    }
}

fn check_bool(review: &mut Review, table: &str, name: &str, row: &RawRow, column: &str) {
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

fn check_settings(bot: &BotTables, review: &mut Review) {
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
fn stored_spelling_is_canonical(value_type: ValueType, value: &str) -> bool {
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

fn check_pairs(bot: &BotTables, review: &mut Review) {
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

fn check_strategies(bot: &BotTables, review: &mut Review) {
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

fn check_pair_strategies(
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
fn prefixed(error: ConfigError, prefix: &str) -> ConfigError {
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

fn check_risks(bot: &BotTables, names: &Names, review: &mut Review) {
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
            version: 1,
        };
        if let Err(e) = form.parse() {
            push_all(review, table, &name, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> RawRow {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
            .collect()
    }

    fn tables(table: &str, rows: Vec<RawRow>) -> BotTables {
        let columns = rows[0].keys().cloned().collect();
        BotTables {
            tables: [(table.to_owned(), (columns, rows))].into(),
        }
    }

    fn setting(key: &str, value: &str, kind: &str) -> RawRow {
        row(&[
            ("id", "1"),
            ("config_key", key),
            ("config_value", value),
            ("config_type", kind),
        ])
    }

    fn lines(review: &Review) -> Vec<String> {
        review.violations.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_setting_that_does_not_parse_as_its_type_is_named_with_its_value() {
        let mut bot = tables(
            "system_config",
            vec![setting("check_interval", "abc", "integer")],
        );
        let review = review(&mut bot, false, &[]);
        assert_eq!(
            lines(&review),
            ["system_config check_interval: config_value must be a whole number, not \"abc\""]
        );
    }

    #[test]
    fn spaces_and_boolean_case_are_violations_without_fix_and_fixed_with_it() {
        let rows = vec![
            setting("paper_trading", "True", "boolean"),
            setting("log_level", " INFO ", "string"),
        ];
        let mut bot = tables("system_config", rows.clone());
        let refused = review(&mut bot, false, &[]);
        assert_eq!(refused.violations.len(), 2, "{:?}", lines(&refused));
        assert!(lines(&refused)[0].contains("--fix mends this"));

        let mut bot = tables("system_config", rows);
        let fixed = review(&mut bot, true, &[]);
        assert!(fixed.violations.is_empty(), "{:?}", lines(&fixed));
        let fixes: Vec<_> = fixed.fixes.iter().map(ToString::to_string).collect();
        assert_eq!(
            fixes,
            [
                "system_config paper_trading: config_value \"True\" → \"true\"",
                "system_config log_level: config_value \" INFO \" → \"INFO\"",
            ]
        );
        let (_, rows) = &bot.tables["system_config"];
        assert_eq!(text(&rows[0], "config_value"), "true");
    }

    #[test]
    fn a_fix_never_guesses_a_meaning() {
        // "yes" may mean true, but that is the operator's call.
        let mut bot = tables(
            "system_config",
            vec![setting("paper_trading", "yes", "boolean")],
        );
        let review = review(&mut bot, true, &[]);
        assert!(review.fixes.is_empty());
        assert_eq!(review.violations.len(), 1);
    }

    #[test]
    fn a_pair_symbol_without_a_slash_is_refused_as_botconfig_would() {
        let mut bot = tables(
            "trading_pairs",
            vec![row(&[
                ("id", "1"),
                ("symbol", "BTCUSDT"),
                ("base_currency", "BTC"),
                ("quote_currency", "USDT"),
                ("initial_balance", "3000.00000000"),
                ("trade_size_usd", "200.00000000"),
                ("max_position_percent", "30.0000"),
            ])],
        );
        let found = lines(&review(&mut bot, false, &[]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("trading_pairs BTCUSDT: symbol \"BTCUSDT\" must"),
            "{found:?}"
        );
    }

    #[test]
    fn a_table_without_a_required_column_is_named_once() {
        let mut bot = tables(
            "system_config",
            vec![row(&[("id", "1"), ("config_key", "x")])],
        );
        assert_eq!(
            lines(&review(&mut bot, false, &[])),
            ["system_config: has no column config_value, config_type"]
        );
    }

    #[test]
    fn canonical_spellings_follow_the_schema() {
        assert!(stored_spelling_is_canonical(ValueType::Float, "-10.5"));
        assert!(stored_spelling_is_canonical(ValueType::Float, "10"));
        assert!(!stored_spelling_is_canonical(ValueType::Float, "1e5"));
        assert!(!stored_spelling_is_canonical(ValueType::Float, ".5"));
        assert!(!stored_spelling_is_canonical(ValueType::Integer, "+5"));
        assert!(stored_spelling_is_canonical(ValueType::String, " x "));
    }
}
