//! A change set planned over many pairs (a copy here, a bulk edit in `bulk`), applied as
//! one transaction by the store.
//!
//! Copying one pair's setup to others: its risk settings and/or its strategies (enabled
//! flags, weights, parameters), planned as a diff first (what each target has, what it
//! gets), then applied with each row's version checked.

use super::pair::Symbol;
use super::risk::{RiskConfig, RiskSettings};
use super::strategy::{PairStrategy, ParamValues};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One field that changes on one pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub symbol: String,
    /// "Stop loss", or "rsi: weight".
    pub field: String,
    pub old: String,
    pub new: String,
}

/// A strategy row a target gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyCopy {
    pub strategy: String,
    pub is_enabled: bool,
    pub weight: Decimal,
    pub parameters: ParamValues,
    /// The target's row version as read (0: it has no row for it yet).
    pub expected_version: i32,
}

/// What one target pair gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPlan {
    pub symbol: Symbol,
    /// The source's risk, and the target's risk version as read.
    pub risk: Option<(RiskSettings, i32)>,
    pub strategies: Vec<StrategyCopy>,
    /// Activated or deactivated (a bulk edit), and the pair's version as read.
    #[serde(default)]
    pub active: Option<(bool, i32)>,
    /// Paused (`Some`) or resumed (`None`) by a bulk edit, and the pair's version as read.
    #[serde(default)]
    pub pause: Option<(Option<super::pause::Pause>, i32)>,
    pub changes: Vec<FieldChange>,
}

/// A whole copy: from one pair to each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyPlan {
    /// The pair copied from (none: a bulk edit).
    pub from: Option<Symbol>,
    pub targets: Vec<TargetPlan>,
}

/// A row a plan writes, at the version it read: "SOL/USDT risk" at 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowVersion {
    pub row: String,
    pub version: i32,
}

/// What a preview showed: the diff, and the rows it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub changes: Vec<FieldChange>,
    pub rows: Vec<RowVersion>,
}

impl CopyPlan {
    /// Every change, target by target.
    pub fn changes(&self) -> impl Iterator<Item = &FieldChange> {
        self.targets.iter().flat_map(|t| t.changes.iter())
    }

    /// The rows it writes, each at the version it read.
    pub fn rows(&self) -> Vec<RowVersion> {
        let mut rows = Vec::new();
        for t in &self.targets {
            if let Some((_, version)) = t.active {
                rows.push(RowVersion {
                    row: t.symbol.to_string(),
                    version,
                });
            }
            if let Some((_, version)) = t.risk {
                rows.push(RowVersion {
                    row: format!("{} risk", t.symbol),
                    version,
                });
            }
            for s in &t.strategies {
                rows.push(RowVersion {
                    row: format!("{} {}", t.symbol, s.strategy),
                    version: s.expected_version,
                });
            }
        }
        rows
    }

    pub fn preview(&self) -> Preview {
        Preview {
            changes: self.changes().cloned().collect(),
            rows: self.rows(),
        }
    }

    /// Whether this plan, made now, is still the one `previewed` showed: the same diff
    /// from rows at the same versions. A row written meanwhile (even in another field) is
    /// named; nothing may be applied then.
    pub fn check_against(&self, previewed: &Preview) -> Result<(), super::ConfigError> {
        let now = self.rows();
        let changed: Vec<&str> = previewed
            .rows
            .iter()
            .filter(|row| !now.contains(row))
            .map(|row| row.row.as_str())
            .collect();
        if !changed.is_empty() {
            return Err(super::ConfigError::Conflict(format!(
                "nothing was applied: changed since the preview: {}",
                changed.join(", ")
            )));
        }
        if self.changes().cloned().collect::<Vec<_>>() != previewed.changes {
            return Err(super::ConfigError::Conflict(
                "nothing was applied: the pairs changed since the preview; preview again".into(),
            ));
        }
        Ok(())
    }
}

/// One field's value in words, as the diff shows it.
fn words(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "on".to_owned(),
        serde_json::Value::Bool(false) => "off".to_owned(),
        other => other.to_string(),
    }
}

fn risk_changes(symbol: &str, old: &RiskSettings, new: &RiskSettings) -> Vec<FieldChange> {
    let (old, new) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    new.iter()
        .filter(|(field, value)| old.get(*field) != Some(*value))
        .map(|(field, value)| FieldChange {
            symbol: symbol.to_owned(),
            field: super::fields::label_of(field).unwrap_or(field).to_owned(),
            old: old.get(field).map(words).unwrap_or_default(),
            new: words(value),
        })
        .collect()
}

fn params_words(params: &ParamValues) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.normalize()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan for one target: `source` is copied onto `target` for the parts asked.
pub fn plan_target(
    source: (&RiskConfig, &[PairStrategy]),
    target: (&RiskConfig, &[PairStrategy]),
    risk: bool,
    strategies: bool,
) -> TargetPlan {
    let symbol = target.0.symbol.clone();
    let name = symbol.to_string();
    let mut plan = TargetPlan {
        symbol,
        risk: None,
        strategies: Vec::new(),
        active: None,
        changes: Vec::new(),
        pause: None,
    };
    if risk {
        plan.changes = risk_changes(&name, &target.0.settings, &source.0.settings);
        if !plan.changes.is_empty() {
            plan.risk = Some((source.0.settings.clone(), target.0.version));
        }
    }
    if strategies {
        let names: BTreeSet<&str> = source
            .1
            .iter()
            .chain(target.1)
            .map(|s| s.strategy.as_str())
            .collect();
        for strategy in names {
            let from = source.1.iter().find(|s| s.strategy == strategy);
            let current = target.1.iter().find(|s| s.strategy == strategy);
            // What the source does not use, the target stops using (its tuning is kept).
            let (is_enabled, weight, parameters) = match (from, current) {
                (Some(from), _) => (from.is_enabled, from.weight, from.parameters.clone()),
                (None, Some(current)) => (false, current.weight, current.parameters.clone()),
                (None, None) => continue,
            };
            let before = current.map(|c| (c.is_enabled, c.weight, &c.parameters));
            let mut changed = false;
            let mut change = |field: &str, old: String, new: String| {
                if old != new {
                    changed = true;
                    plan.changes.push(FieldChange {
                        symbol: name.clone(),
                        field: format!("{strategy}: {field}"),
                        old,
                        new,
                    });
                }
            };
            let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
            change(
                "enabled",
                before.map_or("none".into(), |b| on_off(b.0)),
                on_off(is_enabled),
            );
            change(
                "weight",
                before.map_or("none".into(), |b| b.1.normalize().to_string()),
                weight.normalize().to_string(),
            );
            change(
                "parameters",
                before.map_or("none".into(), |b| params_words(b.2)),
                params_words(&parameters),
            );
            if changed {
                plan.strategies.push(StrategyCopy {
                    strategy: strategy.to_owned(),
                    is_enabled,
                    weight,
                    parameters,
                    expected_version: current.map_or(0, |c| c.version),
                });
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn risk(symbol: &str, stop_loss: Decimal, version: i32) -> RiskConfig {
        RiskConfig {
            symbol: Symbol::parse(symbol).unwrap(),
            settings: RiskSettings {
                stop_loss_percent: stop_loss,
                ..RiskSettings::default()
            },
            version,
        }
    }

    fn strategy(symbol: &str, name: &str, enabled: bool, weight: Decimal) -> PairStrategy {
        PairStrategy {
            symbol: Symbol::parse(symbol).unwrap(),
            strategy: name.into(),
            display_name: name.into(),
            description: String::new(),
            strategy_type: "technical".into(),
            is_enabled: enabled,
            weight,
            parameters: [("period".to_owned(), dec!(14))].into(),
            version: 3,
        }
    }

    #[test]
    fn risk_is_copied_as_a_diff_of_the_fields_that_change() {
        let (from, to) = (risk("BTC/USDT", dec!(3), 1), risk("SOL/USDT", dec!(5), 7));
        let plan = plan_target((&from, &[]), (&to, &[]), true, false);
        assert_eq!(
            plan.changes,
            [FieldChange {
                symbol: "SOL/USDT".into(),
                field: "Stop loss".into(),
                old: "5".into(),
                new: "3".into()
            }]
        );
        assert_eq!(
            plan.risk.as_ref().unwrap().1,
            7,
            "the target's version as read"
        );
        let same = plan_target((&from, &[]), (&from.clone(), &[]), true, true);
        assert!(same.changes.is_empty() && same.risk.is_none());
    }

    #[test]
    fn strategies_are_copied_and_those_the_source_does_not_use_are_switched_off() {
        let (from, to) = (risk("BTC/USDT", dec!(3), 1), risk("SOL/USDT", dec!(3), 1));
        let source = [strategy("BTC/USDT", "rsi", true, dec!(0.7))];
        let target = [
            strategy("SOL/USDT", "rsi", true, dec!(0.4)),
            strategy("SOL/USDT", "macd", true, dec!(0.6)),
        ];
        let plan = plan_target((&from, &source), (&to, &target), false, true);
        let fields: Vec<(&str, &str, &str)> = plan
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("macd: enabled", "on", "off"),
                ("rsi: weight", "0.4", "0.7")
            ]
        );
        assert_eq!(plan.strategies.len(), 2);
        assert!(plan.strategies.iter().all(|s| s.expected_version == 3));
        // A strategy the target has no row for is created (version 0 expected).
        let plan = plan_target((&from, &source), (&to, &[]), false, true);
        assert_eq!(plan.strategies[0].expected_version, 0);
        assert_eq!(plan.changes[0].old, "none");
    }
}
