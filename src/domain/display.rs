//! How the configuration reads in a table, for the console and the CLI alike: each table's
//! columns, declared once, and the cells of one row, formatted once.

pub use super::format::thousands;
use super::risk::RiskConfig;
use super::trading::Allocation;

/// One column of a table: its header, and whether it holds numbers (right-aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub header: &'static str,
    pub numeric: bool,
}

impl Column {
    pub const fn text(header: &'static str) -> Self {
        Column {
            header,
            numeric: false,
        }
    }

    pub const fn number(header: &'static str) -> Self {
        Column {
            header,
            numeric: true,
        }
    }
}

/// The change history, one row per recorded change.
pub const HISTORY_COLUMNS: &[Column] = &[
    Column::number("#"),
    Column::text("When (UTC)"),
    Column::text("Who"),
    Column::text("From"),
    Column::text("What"),
    Column::text("Change"),
];

/// One change's cells, in `HISTORY_COLUMNS` order.
pub fn history_cells(change: &super::history::ChangeRecord) -> Vec<String> {
    let mut description = change.describe().join("; ");
    if let Some(reason) = &change.reason {
        description.push_str(&format!(" ({reason})"));
    }
    vec![
        change.id.to_string(),
        change.changed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        change.actor.clone(),
        change.source.clone(),
        change.subject.clone(),
        description,
    ]
}

/// API tokens, one row per token (never the token itself).
pub const TOKEN_COLUMNS: &[Column] = &[
    Column::text("Name"),
    Column::text("Scope"),
    Column::text("Secrets"),
    Column::text("State"),
    Column::text("Created by"),
    Column::text("Expires (UTC)"),
    Column::text("Last used (UTC)"),
];

/// A moment to the minute, or "-".
pub fn minute(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// One token's cells, in `TOKEN_COLUMNS` order.
pub fn token_cells(t: &super::auth::TokenInfo) -> Vec<String> {
    vec![
        t.name.clone(),
        t.scope.to_string(),
        if t.reads_secrets { "reads" } else { "no" }.to_owned(),
        t.state().to_owned(),
        t.created_by.clone(),
        minute(t.expires_at),
        minute(t.last_used_at),
    ]
}

/// A pair's risk settings, one row per pair.
pub const RISK_COLUMNS: &[Column] = &[
    Column::text("Pair"),
    Column::number("Stop loss"),
    Column::number("Take profit"),
    Column::number("Max daily trades"),
    Column::number("Max daily loss"),
    Column::text("Trailing stop"),
    Column::number("Max drawdown"),
    Column::text("Position sizing"),
    Column::number("Lookback (days)"),
    Column::text("Outage policy"),
];

impl RiskConfig {
    /// The cells of this pair's row under `RISK_COLUMNS`.
    pub fn cells(&self) -> Vec<String> {
        let s = &self.settings;
        vec![
            self.symbol.to_string(),
            format!("{}%", s.stop_loss_percent),
            format!("{}%", s.take_profit_percent),
            s.max_daily_trades.to_string(),
            format!("{}%", s.max_daily_loss_percent),
            if s.trailing_stop_enabled {
                format!("on, {}%", s.trailing_stop_percent)
            } else {
                "off".to_owned()
            },
            format!("{}%", s.max_drawdown_percent),
            s.position_sizing_method.to_string(),
            s.volatility_lookback_days.to_string(),
            s.outage_policy.to_string(),
        ]
    }
}

/// The portfolio's allocation to each active pair.
pub const ALLOCATION_COLUMNS: &[Column] = &[
    Column::text("Pair"),
    Column::number("Allocation"),
    Column::number("Of portfolio"),
    Column::number("Max position"),
];

impl Allocation {
    /// The cells of this pair's row under `ALLOCATION_COLUMNS`.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.symbol.to_string(),
            self.initial_balance.to_string(),
            format!("{}%", self.percent_of_portfolio),
            format!("{}%", self.max_position_percent),
        ]
    }
}

/// The fleet: one row per reader.
pub const FLEET_COLUMNS: &[Column] = &[
    Column::text("Reader"),
    Column::text("Kind"),
    Column::text("Host"),
    Column::text("Library"),
    Column::number("Applied revision"),
    Column::number("Behind"),
    Column::number("Last seen"),
    Column::text("Status"),
];

impl super::fleet::Reader {
    /// The cells of this reader's row under `FLEET_COLUMNS`.
    pub fn cells(&self) -> Vec<String> {
        let behind = match (self.revisions_behind, self.behind_seconds) {
            (0, _) => "current".to_owned(),
            (n, Some(seconds)) => format!("{n} rev, {seconds:.1} s"),
            (n, None) => format!("{n} rev"),
        };
        vec![
            if self.name.is_empty() {
                self.instance.clone()
            } else {
                self.name.clone()
            },
            self.kind.as_str().to_owned(),
            self.host.clone(),
            self.library.clone(),
            self.applied_revision.to_string(),
            behind,
            format!("{:.1} s ago", self.silent_seconds),
            match &self.warning {
                Some(warning) => format!("warning: {warning}"),
                None if self.stale => "stale".to_owned(),
                None => "ok".to_owned(),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_has_a_cell_under_every_column() {
        let risk = RiskConfig {
            symbol: crate::domain::pair::Symbol::parse("BTC/USDT").unwrap(),
            settings: crate::domain::risk::RiskSettings::default(),
            version: 1,
        };
        assert_eq!(risk.cells().len(), RISK_COLUMNS.len());
        assert_eq!(risk.cells()[1], "5%");
    }
}
