//! Adopting a bot's own database: its rows, as the bot stored them, checked against the
//! rules botconfig enforces, and the fixes that cannot change what a value means.
//!
//! Pure: the store reads the rows as text and applies what this module decides.

use super::strategy::Strategy;
use std::collections::BTreeMap;
use std::fmt;

mod rules;
#[cfg(test)]
use rules::stored_spelling_is_canonical;
use rules::{
    check_pair_strategies, check_pairs, check_risks, check_settings, check_strategies, row_name,
    text, Names,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::system::ValueType;

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
