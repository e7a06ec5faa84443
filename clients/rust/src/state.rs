//! The configuration as the server sends it, and one revision of it as a replica holds it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;

/// What `should_trade_pair` answers once the configuration went unconfirmed past the grace
/// period: the server's `domain::risk::OutagePolicy`, with the same rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutagePolicy {
    /// `FailClosed` when paper trading is off, `FailOpen` when it is on.
    #[default]
    Auto,
    FailOpen,
    FailClosed,
}

impl OutagePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }

    /// Whether a reader whose configuration went unconfirmed `age_seconds` ago may still
    /// open positions.
    pub fn allows_trading(self, age_seconds: f64, grace_seconds: i64, paper_trading: bool) -> bool {
        if age_seconds <= grace_seconds as f64 {
            return true;
        }
        match self {
            Self::FailOpen => true,
            Self::FailClosed => false,
            Self::Auto => paper_trading,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradingPair {
    pub id: i64,
    pub symbol: String,
    pub base_currency: String,
    pub quote_currency: String,
    pub is_active: bool,
    pub initial_balance: Decimal,
    pub trade_size_usd: Decimal,
    pub max_position_percent: Decimal,
    pub min_trade_amount: Decimal,
    pub max_trade_amount: Decimal,
    pub price_precision: i32,
    pub amount_precision: i32,
    /// Its pause as stored; it ends by the clock (see [`TradingPair::pause_at`]).
    #[serde(default)]
    pub pause: Option<Pause>,
}

impl TradingPair {
    /// The pause that holds at `now`, if any.
    pub fn pause_at(&self, now: DateTime<Utc>) -> Option<&Pause> {
        self.pause.as_ref().filter(|p| p.in_effect(now))
    }
}

/// What a bot does with a paused pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseMode {
    /// Opens nothing new; open positions are managed as usual.
    NoNewEntries,
    /// Exits its open positions.
    CloseOut,
}

/// A pair's pause: now until resumed (`until` is `None`) or until a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub mode: PauseMode,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl Pause {
    /// A pause ending at `t` holds before `t`, not at it.
    pub fn in_effect(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// An enabled strategy of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    #[serde(rename = "strategy")]
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub strategy_type: String,
    pub weight: Decimal,
    /// The weight over the sum of the pair's enabled weights.
    pub normalized_weight: Decimal,
    pub parameters: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub stop_loss_percent: Decimal,
    pub take_profit_percent: Decimal,
    pub max_daily_trades: i32,
    pub max_daily_loss_percent: Decimal,
    pub trailing_stop_enabled: bool,
    pub trailing_stop_percent: Decimal,
    pub max_drawdown_percent: Decimal,
    pub position_sizing_method: String,
    pub volatility_lookback_days: i32,
    #[serde(default)]
    pub outage_policy: OutagePolicy,
}

/// Everything a bot needs to trade one pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradingConfig {
    pub pair: TradingPair,
    pub strategies: Vec<Strategy>,
    pub risk: Risk,
}

impl TradingConfig {
    /// The enabled strategies' names, heaviest weight first.
    pub fn enabled_strategies(&self) -> Vec<&str> {
        let mut strategies: Vec<&Strategy> = self.strategies.iter().collect();
        strategies.sort_by_key(|s| std::cmp::Reverse(s.weight));
        strategies.iter().map(|s| s.name.as_str()).collect()
    }
}

/// A setting by its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    Boolean(bool),
    Integer(i64),
    Decimal(Decimal),
    Text(String),
    Json(serde_json::Value),
}

impl Setting {
    fn from_json(value: &serde_json::Value, value_type: Option<&str>) -> Setting {
        use serde_json::Value;
        match (value, value_type) {
            (Value::Bool(b), _) => Setting::Boolean(*b),
            (Value::Number(n), Some("float")) => Decimal::from_str(&n.to_string())
                .map(Setting::Decimal)
                .unwrap_or_else(|_| Setting::Json(value.clone())),
            (Value::Number(n), _) if n.is_i64() => Setting::Integer(n.as_i64().unwrap_or_default()),
            (Value::Number(n), _) => Decimal::from_str(&n.to_string())
                .map(Setting::Decimal)
                .unwrap_or_else(|_| Setting::Json(value.clone())),
            (Value::String(s), _) => Setting::Text(s.clone()),
            _ => Setting::Json(value.clone()),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Setting::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Setting::Integer(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Setting::Decimal(d) => Some(*d),
            Setting::Integer(i) => Some(Decimal::from(*i)),
            _ => None,
        }
    }
}

/// The portfolio-wide settings bots size positions with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub total_balance: Decimal,
    pub allocated_balance: Decimal,
    pub allocated_percent: Decimal,
    pub max_concurrent_positions: i64,
    pub paper_trading: bool,
    pub emergency_stop_enabled: bool,
    pub emergency_stop_triggered: bool,
    pub check_interval: i64,
    pub correlation_check_enabled: bool,
    pub global_max_daily_loss_percent: Decimal,
    pub active_pairs: usize,
}

/// One revision of the configuration. Never changed once built: a new revision is a new
/// `Snapshot`, swapped in whole.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub revision: u64,
    pub pairs: HashMap<String, Arc<TradingConfig>>,
    pub settings: HashMap<String, Setting>,
    pub portfolio: Arc<Portfolio>,
    pub(crate) paper_trading: bool,
    pub(crate) emergency_stop_triggered: bool,
    pub(crate) grace_seconds: i64,
}

#[derive(Deserialize)]
struct SnapshotBody {
    revision: u64,
    pairs: HashMap<String, TradingConfig>,
    system: HashMap<String, serde_json::Value>,
    #[serde(default)]
    setting_types: HashMap<String, String>,
    portfolio: Portfolio,
    #[serde(default)]
    stale: bool,
}

impl Snapshot {
    /// The server's `/api/v1/snapshot` answer, and whether it was marked stale.
    pub(crate) fn parse(body: &[u8]) -> Result<(Snapshot, bool), String> {
        let body: SnapshotBody = serde_json::from_slice(body)
            .map_err(|e| format!("a snapshot that does not parse: {e}"))?;
        let settings = body
            .system
            .iter()
            .map(|(key, value)| {
                let value_type = body.setting_types.get(key).map(String::as_str);
                (key.clone(), Setting::from_json(value, value_type))
            })
            .collect();
        let pairs = body
            .pairs
            .into_iter()
            .map(|(symbol, config)| (symbol, Arc::new(config)))
            .collect();
        Ok((
            Snapshot::build(body.revision, pairs, settings, Arc::new(body.portfolio)),
            body.stale,
        ))
    }

    pub(crate) fn build(
        revision: u64,
        pairs: HashMap<String, Arc<TradingConfig>>,
        settings: HashMap<String, Setting>,
        portfolio: Arc<Portfolio>,
    ) -> Snapshot {
        let flag = |key: &str, default: bool| {
            settings
                .get(key)
                .and_then(Setting::as_bool)
                .unwrap_or(default)
        };
        Snapshot {
            revision,
            paper_trading: flag("paper_trading", true),
            emergency_stop_triggered: flag("emergency_stop_triggered", false),
            grace_seconds: settings
                .get("outage_grace_seconds")
                .and_then(Setting::as_i64)
                .unwrap_or(60),
            pairs,
            settings,
            portfolio,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outage_rule_matches_the_servers() {
        // The same cases as the server's doc test (domain::risk::OutagePolicy).
        assert!(OutagePolicy::Auto.allows_trading(61.0, 60, true));
        assert!(!OutagePolicy::Auto.allows_trading(61.0, 60, false));
        assert!(OutagePolicy::FailClosed.allows_trading(59.0, 60, false));
        assert!(!OutagePolicy::FailClosed.allows_trading(61.0, 60, true));
        assert!(OutagePolicy::FailOpen.allows_trading(3600.0, 60, false));
    }

    #[test]
    fn settings_keep_their_types() {
        use serde_json::json;
        let float = Setting::from_json(&json!(10000), Some("float"));
        assert_eq!(float, Setting::Decimal(Decimal::from(10000)));
        assert_eq!(
            Setting::from_json(&json!(60), Some("integer")),
            Setting::Integer(60)
        );
        assert_eq!(
            Setting::from_json(&json!(0.1), Some("float")).as_decimal(),
            Some(Decimal::from_str("0.1").unwrap()),
            "exact, not 0.1000000000000000055"
        );
        assert_eq!(Setting::from_json(&json!(true), None).as_bool(), Some(true));
        assert_eq!(
            Setting::from_json(&json!("x"), None),
            Setting::Text("x".into())
        );
    }
}
