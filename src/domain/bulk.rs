//! One edit for many pairs: activate, deactivate, a risk field, or a strategy's enabled flag
//! or weight, planned per pair (its old and new value, the row version it was read at) so
//! it shows as a preview, then applied as one change set.

use super::copy::{FieldChange, StrategyCopy, TargetPlan};
use super::pair::TradingPair;
use super::pause::PauseRequest;
use super::risk::{RiskConfig, RiskForm};
use super::strategy::PairStrategy;
use super::{ConfigError, FieldErrors};
use serde::{Deserialize, Serialize};

/// What is set on every selected pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkEdit {
    Activate,
    Deactivate,
    /// A risk field by its form name (`stop_loss_percent`), as typed.
    Risk {
        field: String,
        value: String,
    },
    StrategyEnabled {
        strategy: String,
        enabled: bool,
    },
    /// A strategy's weight, as typed.
    StrategyWeight {
        strategy: String,
        weight: String,
    },
    /// Paused from now, as a pair's Pause form asks it (`for` or `until`, a reason, a mode).
    Pause(PauseRequest),
    /// The pause ended now, on the pairs that have one.
    Resume,
}

impl BulkEdit {
    /// The edit in words: "Stop loss = 3".
    pub fn describe(&self) -> String {
        match self {
            BulkEdit::Activate => "activate".into(),
            BulkEdit::Deactivate => "deactivate".into(),
            BulkEdit::Risk { field, value } => {
                format!(
                    "{} = {value}",
                    super::fields::label_of(field).unwrap_or(field)
                )
            }
            BulkEdit::StrategyEnabled { strategy, enabled } => {
                format!("{strategy}: {}", if *enabled { "on" } else { "off" })
            }
            BulkEdit::StrategyWeight { strategy, weight } => {
                format!("{strategy}: weight = {weight}")
            }
            BulkEdit::Pause(request) => format!("pause ({})", request.reason.trim()),
            BulkEdit::Resume => "resume".into(),
        }
    }

    /// Whether it writes strategy rows (so the planner needs them).
    pub fn touches_strategies(&self) -> bool {
        matches!(
            self,
            BulkEdit::StrategyEnabled { .. } | BulkEdit::StrategyWeight { .. }
        )
    }
}

/// What one pair has that an edit reads.
pub struct PairRows<'a> {
    pub pair: &'a TradingPair,
    pub risk: &'a RiskConfig,
    pub strategies: &'a [PairStrategy],
}

fn change(symbol: &str, field: &str, old: String, new: String) -> FieldChange {
    FieldChange {
        symbol: symbol.to_owned(),
        field: field.to_owned(),
        old,
        new,
    }
}

/// The plan of `edit` on one pair at `now`, or why it cannot apply there (the pair's field
/// errors, under the pair's symbol).
pub fn plan_edit(
    edit: &BulkEdit,
    rows: &PairRows<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TargetPlan, ConfigError> {
    let symbol = rows.pair.symbol.clone();
    let name = symbol.to_string();
    let mut plan = TargetPlan {
        symbol,
        risk: None,
        strategies: Vec::new(),
        changes: Vec::new(),
        active: None,
        pause: None,
    };
    let pause_words = |pause: Option<&super::pause::Pause>| {
        pause.map_or_else(|| "not paused".to_owned(), |p| p.describe())
    };
    match edit {
        BulkEdit::Pause(request) => {
            // Every field's error at once, once: the same request for every pair.
            let pause = request.parse(now)?;
            let current = rows.pair.pause_at(now);
            // In the words of the request, not of the clock: applied a second after its
            // preview, a pause "for 4h" is still the change that was previewed.
            let lasting = match (request.duration.as_deref(), pause.until) {
                (Some(duration), _) => format!("for {}", duration.trim()),
                (None, Some(until)) => format!("until {}", until.format("%Y-%m-%d %H:%M:%S UTC")),
                (None, None) => "until resumed".to_owned(),
            };
            let asked = format!(
                "paused {lasting}: {} — {}",
                pause.reason,
                pause.mode.describe()
            );
            plan.changes
                .push(change(&name, "Pause", pause_words(current), asked));
            plan.pause = Some((Some(pause), rows.pair.version));
        }
        BulkEdit::Resume => {
            if let Some(current) = rows.pair.pause_at(now) {
                plan.changes.push(change(
                    &name,
                    "Pause",
                    pause_words(Some(current)),
                    pause_words(None),
                ));
                plan.pause = Some((None, rows.pair.version));
            }
        }
        BulkEdit::Activate | BulkEdit::Deactivate => {
            let active = *edit == BulkEdit::Activate;
            if rows.pair.is_active != active {
                let words = |a: bool| if a { "active" } else { "inactive" }.to_owned();
                plan.changes.push(change(
                    &name,
                    "State",
                    words(rows.pair.is_active),
                    words(active),
                ));
                plan.active = Some((active, rows.pair.version));
            }
        }
        BulkEdit::Risk { field, value } => {
            let form = RiskForm::from_settings(&rows.risk.settings, rows.risk.version);
            let old = form.value_of(field).to_owned();
            let mut map = serde_json::to_value(&form)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            if field == "version" || field == "trailing_stop_enabled" || !map.contains_key(field) {
                let mut errors = FieldErrors::default();
                errors.push(
                    "field",
                    format!("\"{field}\" is not a risk field that takes a value"),
                );
                return Err(ConfigError::Invalid(errors));
            }
            map.insert(
                field.clone(),
                serde_json::Value::String(value.trim().to_owned()),
            );
            let edited: RiskForm = serde_json::from_value(serde_json::Value::Object(map))
                .map_err(|e| ConfigError::invalid("value", e.to_string()))?;
            let settings = edited.parse().map_err(|e| on_pair(&name, e))?;
            let new = RiskForm::from_settings(&settings, 0)
                .value_of(field)
                .to_owned();
            if new != old {
                let label = super::fields::label_of(field).unwrap_or(field);
                plan.changes.push(change(&name, label, old, new));
                plan.risk = Some((settings, rows.risk.version));
            }
        }
        BulkEdit::StrategyEnabled { strategy, .. } | BulkEdit::StrategyWeight { strategy, .. } => {
            let Some(row) = rows.strategies.iter().find(|s| s.strategy == *strategy) else {
                return Err(ConfigError::invalid(
                    "strategy",
                    format!("{name} has no {strategy} configured: set it up on its Strategies page first"),
                ));
            };
            let (mut is_enabled, mut weight) = (row.is_enabled, row.weight);
            match edit {
                BulkEdit::StrategyEnabled { enabled, .. } => is_enabled = *enabled,
                BulkEdit::StrategyWeight { weight: typed, .. } => {
                    weight = super::strategy::parse_weight(typed)
                        .map_err(|e| on_pair(&name, ConfigError::invalid(e.field, e.message)))?;
                }
                _ => {}
            }
            let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
            if is_enabled != row.is_enabled {
                plan.changes.push(change(
                    &name,
                    &format!("{strategy}: enabled"),
                    on_off(row.is_enabled),
                    on_off(is_enabled),
                ));
            }
            if weight != row.weight {
                plan.changes.push(change(
                    &name,
                    &format!("{strategy}: weight"),
                    row.weight.normalize().to_string(),
                    weight.normalize().to_string(),
                ));
            }
            if !plan.changes.is_empty() {
                plan.strategies.push(StrategyCopy {
                    strategy: strategy.clone(),
                    is_enabled,
                    weight,
                    parameters: row.parameters.clone(),
                    expected_version: row.version,
                });
            }
        }
    }
    Ok(plan)
}

/// A pair's field errors, named with the pair: "SOL/USDT: must be at most 100".
fn on_pair(symbol: &str, error: ConfigError) -> ConfigError {
    match error {
        ConfigError::Invalid(errors) => ConfigError::Invalid(FieldErrors(
            errors
                .0
                .into_iter()
                .map(|mut e| {
                    e.message = format!("{symbol}: {}", e.message);
                    e
                })
                .collect(),
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::Symbol;
    use crate::domain::risk::RiskSettings;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn pair(active: bool) -> TradingPair {
        TradingPair {
            id: 1,
            symbol: Symbol::parse("SOL/USDT").unwrap(),
            is_active: active,
            initial_balance: dec!(1000),
            trade_size_usd: dec!(10),
            max_position_percent: dec!(10),
            min_trade_amount: dec!(0.1),
            max_trade_amount: dec!(100),
            price_precision: 2,
            amount_precision: 2,
            version: 4,
            pause: None,
        }
    }

    fn risk() -> RiskConfig {
        RiskConfig {
            symbol: Symbol::parse("SOL/USDT").unwrap(),
            settings: RiskSettings::default(),
            version: 9,
        }
    }

    fn rsi(enabled: bool) -> PairStrategy {
        PairStrategy {
            symbol: Symbol::parse("SOL/USDT").unwrap(),
            strategy: "rsi".into(),
            display_name: "RSI".into(),
            description: String::new(),
            strategy_type: "technical".into(),
            is_enabled: enabled,
            weight: dec!(0.4),
            parameters: Default::default(),
            version: 2,
        }
    }

    #[test]
    fn a_risk_field_is_set_with_the_forms_rules_and_its_old_value_shown() {
        let (p, r) = (pair(true), risk());
        let rows = PairRows {
            pair: &p,
            risk: &r,
            strategies: &[],
        };
        let edit = BulkEdit::Risk {
            field: "stop_loss_percent".into(),
            value: "3".into(),
        };
        let plan = plan_edit(&edit, &rows, chrono::Utc::now()).unwrap();
        assert_eq!(plan.changes[0].field, "Stop loss");
        assert_eq!(
            (plan.changes[0].new.as_str(), plan.risk.as_ref().unwrap().1),
            ("3", 9)
        );
        let bad = BulkEdit::Risk {
            field: "stop_loss_percent".into(),
            value: "300".into(),
        };
        let error = plan_edit(&bad, &rows, chrono::Utc::now())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("stop_loss_percent: SOL/USDT: must be at most 100"),
            "{error}"
        );
        let unknown = BulkEdit::Risk {
            field: "version".into(),
            value: "1".into(),
        };
        assert!(plan_edit(&unknown, &rows, chrono::Utc::now()).is_err());
    }

    #[test]
    fn a_pair_already_as_asked_has_nothing_to_change() {
        let (p, r) = (pair(true), risk());
        let rows = PairRows {
            pair: &p,
            risk: &r,
            strategies: &[],
        };
        let plan = plan_edit(&BulkEdit::Activate, &rows, chrono::Utc::now()).unwrap();
        assert!(plan.changes.is_empty() && plan.active.is_none());
        let plan = plan_edit(&BulkEdit::Deactivate, &rows, chrono::Utc::now()).unwrap();
        assert_eq!(plan.active, Some((false, 4)));
    }

    #[test]
    fn a_strategys_flag_and_weight_need_its_row() {
        let (p, r, s) = (pair(true), risk(), [rsi(false)]);
        let rows = PairRows {
            pair: &p,
            risk: &r,
            strategies: &s,
        };
        let on = BulkEdit::StrategyEnabled {
            strategy: "rsi".into(),
            enabled: true,
        };
        let plan = plan_edit(&on, &rows, chrono::Utc::now()).unwrap();
        assert_eq!(plan.strategies[0].expected_version, 2);
        assert!(plan.strategies[0].is_enabled);
        let weight = BulkEdit::StrategyWeight {
            strategy: "rsi".into(),
            weight: "0.5".into(),
        };
        assert_eq!(
            plan_edit(&weight, &rows, chrono::Utc::now())
                .unwrap()
                .strategies[0]
                .weight,
            Decimal::new(5, 1)
        );
        let missing = BulkEdit::StrategyEnabled {
            strategy: "macd".into(),
            enabled: true,
        };
        assert!(plan_edit(&missing, &rows, chrono::Utc::now())
            .unwrap_err()
            .to_string()
            .contains("has no macd configured"));
    }

    #[test]
    fn a_bulk_pause_planned_a_second_later_is_the_change_that_was_previewed() {
        let (p, r) = (pair(true), risk());
        let rows = PairRows {
            pair: &p,
            risk: &r,
            strategies: &[],
        };
        let edit = BulkEdit::Pause(crate::domain::pause::PauseRequest {
            duration: Some("4h".into()),
            reason: "maintenance".into(),
            ..Default::default()
        });
        let now = chrono::Utc::now();
        let preview = plan_edit(&edit, &rows, now).unwrap();
        let applied = plan_edit(&edit, &rows, now + chrono::Duration::milliseconds(1500)).unwrap();
        assert_eq!(preview.changes, applied.changes);
        assert_eq!(
            preview.changes[0].new,
            "paused for 4h: maintenance — no new entries (open positions are managed as usual)"
        );
    }
}
