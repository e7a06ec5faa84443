//! Who changed what: the actor a write is recorded under, the recorded changes
//! (`config_changes`, written by the schema's triggers), and their readable diffs.

use super::fields;
use super::system::readable_name;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Console,
    Api,
    Cli,
    Import,
    /// Anything that named no actor: a bot, psql.
    Sql,
    /// botconfig itself (adopting a database, synthetic benchmark pairs).
    System,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Api => "api",
            Self::Cli => "cli",
            Self::Import => "import",
            Self::Sql => "sql",
            Self::System => "system",
        }
    }
}

/// Who a write is recorded under, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// A user's name, a token's (`token:deploy`), `cli:<os user>` or `botconfig`.
    pub name: String,
    pub source: Source,
    pub reason: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>, source: Source) -> Self {
        Self {
            name: name.into(),
            source,
            reason: None,
        }
    }

    /// botconfig's own writes.
    pub fn system() -> Self {
        Self::new("botconfig", Source::System)
    }

    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        self.reason = (!reason.trim().is_empty()).then(|| reason.trim().to_owned());
        self
    }
}

impl Default for Actor {
    fn default() -> Self {
        Self::system()
    }
}

/// One recorded change of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub id: i64,
    pub changed_at: DateTime<Utc>,
    /// The transaction it was part of: an import's changes share it.
    pub txid: i64,
    pub actor: String,
    pub source: String,
    pub table: String,
    /// insert, update, delete or truncate.
    pub operation: String,
    pub row_id: Option<i64>,
    /// The row as an operator names it: a key, a symbol, "BTC/USDT rsi".
    pub subject: String,
    pub symbol: Option<String>,
    /// The changed fields' old values (the whole row for a delete).
    pub before: Option<serde_json::Value>,
    /// The changed fields' new values (the whole row for an insert).
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

/// Which changes to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Part of a pair's symbol, in any case: `btc` finds BTC/USDT's and BTC/EUR's changes.
    pub symbol: Option<String>,
    pub table: Option<String>,
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// At most this many (0: 200).
    pub limit: i64,
    /// After skipping this many, newest first.
    pub offset: i64,
}

/// The changes a filter shows at once, a page of the history.
pub const HISTORY_PAGE_SIZE: i64 = 100;

/// One page of the changes matching a filter, and how many match in all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub changes: Vec<ChangeRecord>,
    pub total: i64,
}

impl HistoryPage {
    /// "Changes 101–200 of 1,234." (or "No changes match."), for the page's caption.
    pub fn caption(&self, offset: i64) -> String {
        let n = |n: i64| super::format::thousands(n.max(0) as usize);
        let shown = self.changes.len() as i64;
        match (shown, self.total) {
            (_, 0) => "No changes match.".to_owned(),
            (0, total) => format!("No changes on this page; {} match in all.", n(total)),
            (1, 1) => "1 change.".to_owned(),
            (shown, total) if offset == 0 && shown == total => format!("{} changes.", n(total)),
            (shown, total) => format!(
                "Changes {}–{} of {}.",
                n(offset + 1),
                n(offset + shown),
                n(total)
            ),
        }
    }
}

/// The History page's filters and page as its URL carries them (`?pair=btc&page=3`), text as
/// typed: `filter` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub pair: String,
    pub table: String,
    pub actor: String,
    pub since: String,
    /// From 1.
    pub page: i64,
}

impl HistoryQuery {
    /// From the URL's parameters; a page that is not a number from 1 is the first.
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> HistoryQuery {
        let text = |name: &str| param(name).unwrap_or_default().trim().to_owned();
        HistoryQuery {
            pair: text("pair"),
            table: text("table"),
            actor: text("actor"),
            since: text("since"),
            page: text("page").parse().ok().filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The URL's query for these filters at `page`.
    pub fn at_page(&self, page: i64) -> String {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        super::format::query_string(&[
            ("pair", &self.pair),
            ("table", &self.table),
            ("actor", &self.actor),
            ("since", &self.since),
            ("page", &page),
        ])
    }

    /// The first change of this page, counted from 0.
    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1).saturating_mul(HISTORY_PAGE_SIZE)
    }

    /// The filter this asks for; a time that is not one is refused with how to write it.
    pub fn filter(&self, now: DateTime<Utc>) -> Result<HistoryFilter, super::FieldError> {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(HistoryFilter {
            symbol: given(&self.pair),
            table: given(&self.table),
            actor: given(&self.actor),
            since: given(&self.since)
                .map(|since| parse_since(&since, now))
                .transpose()?,
            until: None,
            limit: HISTORY_PAGE_SIZE,
            offset: self.offset(),
        })
    }

    /// How many pages `total` changes fill.
    pub fn pages(total: i64) -> i64 {
        ((total + HISTORY_PAGE_SIZE - 1) / HISTORY_PAGE_SIZE).max(1)
    }
}

/// The tables whose changes are recorded, for a filter's choices.
pub const TABLES: [(&str, &str); 5] = [
    ("system_config", "Settings"),
    ("trading_pairs", "Pairs"),
    ("strategies", "Strategies"),
    ("pair_strategy_config", "Pair strategies"),
    ("pair_risk_config", "Risk"),
];

/// Columns that identify a row rather than describe it: not shown in a diff.
const IDENTITY: &[&str] = &["id", "pair_id", "strategy_id", "config_key", "symbol"];

impl ChangeRecord {
    /// The change as readable lines: "stop loss 5% → 3.5%", "created", "deleted".
    pub fn describe(&self) -> Vec<String> {
        match self.operation.as_str() {
            "truncate" => vec![format!("emptied {}", self.table)],
            "insert" => vec![format!("created: {}", self.summary(self.after.as_ref()))],
            "delete" => vec![format!("deleted: {}", self.summary(self.before.as_ref()))],
            _ => {
                let empty = serde_json::Map::new();
                let before = self
                    .before
                    .as_ref()
                    .and_then(|b| b.as_object())
                    .unwrap_or(&empty);
                let after = self
                    .after
                    .as_ref()
                    .and_then(|a| a.as_object())
                    .unwrap_or(&empty);
                after
                    .iter()
                    .map(|(column, new)| {
                        let old = before.get(column).unwrap_or(&serde_json::Value::Null);
                        if self.is_secret_value(column) {
                            return format!("{} changed", self.label(column));
                        }
                        format!(
                            "{} {} → {}",
                            self.label(column),
                            show(column, old),
                            show(column, new)
                        )
                    })
                    .collect()
            }
        }
    }

    fn is_secret_value(&self, column: &str) -> bool {
        column == "config_value"
            && self
                .after
                .as_ref()
                .and_then(|a| a.get("config_value"))
                .and_then(|v| v.as_str())
                .is_some_and(|v| v.starts_with("(secret"))
    }

    /// What a field is called where the operator edits it.
    fn label(&self, column: &str) -> String {
        if self.table == "system_config" && column == "config_value" {
            return readable_name(&self.subject).to_lowercase();
        }
        fields::label_of(column)
            .map(str::to_lowercase)
            .unwrap_or_else(|| column.replace('_', " "))
    }

    fn summary(&self, row: Option<&serde_json::Value>) -> String {
        let Some(object) = row.and_then(|r| r.as_object()) else {
            return self.subject.clone();
        };
        let fields: Vec<String> = object
            .iter()
            .filter(|(column, value)| {
                !IDENTITY.contains(&column.as_str())
                    && !value.is_null()
                    && value.as_str() != Some("")
            })
            .map(|(column, value)| format!("{} {}", self.label(column), show(column, value)))
            .collect();
        fields.join(", ")
    }
}

/// A recorded value as the console shows it: percentages with %, numbers without their
/// column's trailing zeros, text without quotes.
fn show(column: &str, value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::Null => return "(none)".into(),
        // A setting's value is text: a boolean one reads on/off like a boolean column.
        serde_json::Value::String(s)
            if column == "config_value" && s.eq_ignore_ascii_case("true") =>
        {
            return "on".into()
        }
        serde_json::Value::String(s)
            if column == "config_value" && s.eq_ignore_ascii_case("false") =>
        {
            return "off".into()
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => return "on".into(),
        serde_json::Value::Bool(false) => return "off".into(),
        serde_json::Value::Number(n) => super::number::normalize_decimal_text(&n.to_string()),
        other => other.to_string(),
    };
    if column.ends_with("_percent") {
        format!("{text}%")
    } else {
        text
    }
}

/// A point in time as an operator types it: `2026-11-25`, `2026-11-25T14:00:00Z`, or an
/// age (`30m`, `2h`, `7d`) before `now`.
pub fn parse_since(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, super::FieldError> {
    let text = input.trim();
    let fail = || {
        super::FieldError::new(
            "since",
            format!("\"{text}\" is not a time: use 2026-11-25, 2026-11-25T14:00:00Z, or an age like 30m, 2h, 7d"),
        )
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).ok_or_else(fail)?.and_utc());
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(fail)?;
    let (amount, unit) = text.split_at(split);
    let amount: i64 = amount.parse().map_err(|_| fail())?;
    let age = match unit {
        "s" => chrono::Duration::try_seconds(amount),
        "m" => chrono::Duration::try_minutes(amount),
        "h" => chrono::Duration::try_hours(amount),
        "d" => chrono::Duration::try_days(amount),
        _ => None,
    }
    .ok_or_else(fail)?;
    now.checked_sub_signed(age).ok_or_else(fail)
}

impl fmt::Display for ChangeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} {} ({}) {}: {}",
            self.id,
            self.changed_at.format("%Y-%m-%d %H:%M:%S"),
            self.actor,
            self.source,
            self.subject,
            self.describe().join("; ")
        )?;
        if let Some(reason) = &self.reason {
            write!(f, " (reason: {reason})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(
        table: &str,
        subject: &str,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> ChangeRecord {
        ChangeRecord {
            id: 1,
            changed_at: DateTime::from_timestamp(0, 0).unwrap(),
            txid: 1,
            actor: "alice".into(),
            source: "console".into(),
            table: table.into(),
            operation: "update".into(),
            row_id: Some(1),
            subject: subject.into(),
            symbol: None,
            before: Some(before),
            after: Some(after),
            reason: None,
        }
    }

    #[test]
    fn an_update_reads_as_the_fields_that_changed() {
        let c = change(
            "pair_risk_config",
            "BTC/USDT",
            json!({"stop_loss_percent": 5.0000, "trailing_stop_enabled": false}),
            json!({"stop_loss_percent": 3.5000, "trailing_stop_enabled": true}),
        );
        assert_eq!(
            c.describe(),
            ["stop loss 5% → 3.5%", "trailing stop off → on"]
        );
    }

    #[test]
    fn since_takes_dates_times_and_ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| parse_since(s, now).map(|t| t.to_rfc3339());
        assert_eq!(at("2h").unwrap(), "2026-11-25T10:00:00+00:00");
        assert_eq!(at("7d").unwrap(), "2026-11-18T12:00:00+00:00");
        assert_eq!(at("2026-11-01").unwrap(), "2026-11-01T00:00:00+00:00");
        assert_eq!(
            at("2026-11-25T11:30:00Z").unwrap(),
            "2026-11-25T11:30:00+00:00"
        );
        for bad in ["", "yesterday", "5y", "h", "-2h"] {
            assert!(at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_setting_reads_by_its_name_and_a_secret_only_as_changed() {
        let c = change(
            "system_config",
            "check_interval",
            json!({"config_value": "60"}),
            json!({"config_value": "30"}),
        );
        assert_eq!(c.describe(), ["check interval 60 → 30"]);
        let paper = change(
            "system_config",
            "paper_trading",
            json!({"config_value": "true"}),
            json!({"config_value": "false"}),
        );
        assert_eq!(paper.describe(), ["paper trading on → off"]);
        let secret = change(
            "system_config",
            "exchange_api_key",
            json!({"config_value": "(secret)"}),
            json!({"config_value": "(secret, changed)"}),
        );
        assert_eq!(secret.describe(), ["exchange api key changed"]);
    }

    #[test]
    fn a_history_query_pages_by_its_url_and_keeps_the_filters() {
        let params = [
            ("pair", " btc "),
            ("table", "pair_risk_config"),
            ("page", "3"),
        ];
        let query = HistoryQuery::from_params(|name| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        });
        assert_eq!(query.pair, "btc");
        assert_eq!(query.offset(), 2 * HISTORY_PAGE_SIZE);
        assert_eq!(query.at_page(4), "?pair=btc&table=pair_risk_config&page=4");
        assert_eq!(query.at_page(1), "?pair=btc&table=pair_risk_config");
        let now = Utc::now();
        let filter = query.filter(now).unwrap();
        assert_eq!(filter.symbol.as_deref(), Some("btc"));
        assert_eq!((filter.limit, filter.offset), (HISTORY_PAGE_SIZE, 200));
        for bad in ["0", "-2", "two", ""] {
            let query = HistoryQuery::from_params(|n| (n == "page").then(|| bad.to_owned()));
            assert_eq!(query.page, 1, "{bad}");
        }
        let since = HistoryQuery {
            since: "yesterday".into(),
            ..HistoryQuery::default()
        };
        assert!(since.filter(now).is_err());
        assert_eq!(HistoryQuery::pages(0), 1);
        assert_eq!(HistoryQuery::pages(HISTORY_PAGE_SIZE), 1);
        assert_eq!(HistoryQuery::pages(HISTORY_PAGE_SIZE + 1), 2);
    }

    #[test]
    fn a_history_page_says_which_changes_it_shows_of_how_many() {
        let page = |shown: usize, total: i64| HistoryPage {
            changes: vec![change("system_config", "check_interval", json!({}), json!({})); shown],
            total,
        };
        assert_eq!(page(0, 0).caption(0), "No changes match.");
        assert_eq!(page(1, 1).caption(0), "1 change.");
        assert_eq!(page(7, 7).caption(0), "7 changes.");
        assert_eq!(page(100, 1234).caption(100), "Changes 101–200 of 1,234.");
        assert_eq!(
            page(0, 1234).caption(5000),
            "No changes on this page; 1,234 match in all."
        );
    }
}
