//! Per-pair risk settings: stop loss, take profit, daily limits, trailing stop, sizing.

use super::number::parse_required_bool;
use super::{ConfigError, FieldError, FieldErrors};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a bot sizes a new position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PositionSizing {
    Fixed,
    Percent,
    Kelly,
    Volatility,
}

impl PositionSizing {
    pub const ALL: [PositionSizing; 4] =
        [Self::Fixed, Self::Percent, Self::Kelly, Self::Volatility];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Percent => "percent",
            Self::Kelly => "kelly",
            Self::Volatility => "volatility",
        }
    }
}

impl fmt::Display for PositionSizing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PositionSizing {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "position_sizing_method",
                    format!(
                        "must be one of fixed, percent, kelly, volatility, not \"{}\"",
                        s.trim()
                    ),
                )
            })
    }
}

/// What `should_trade_pair` answers for a pair when the configuration a reader holds has
/// gone unconfirmed for longer than the grace period (the setting `outage_grace_seconds`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutagePolicy {
    /// `fail_closed` when paper trading is off, `fail_open` when it is on.
    #[default]
    Auto,
    /// Keep trading on the last good values.
    FailOpen,
    /// Stop opening positions.
    FailClosed,
}

impl OutagePolicy {
    pub const ALL: [OutagePolicy; 3] = [Self::Auto, Self::FailOpen, Self::FailClosed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }

    /// The policy in words, as the pair's page shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Auto => {
                "stop opening positions when trading live, keep trading when paper trading"
            }
            Self::FailOpen => "keep trading on the last good values",
            Self::FailClosed => "stop opening positions",
        }
    }

    /// Whether a reader whose configuration went unconfirmed `age_seconds` ago may still
    /// open positions on the pair: the one rule the server and both clients apply.
    ///
    /// ```
    /// use botconfig::domain::risk::OutagePolicy;
    /// assert!(OutagePolicy::Auto.allows_trading(61.0, 60, true));
    /// assert!(!OutagePolicy::Auto.allows_trading(61.0, 60, false));
    /// assert!(OutagePolicy::FailClosed.allows_trading(59.0, 60, false));
    /// assert!(OutagePolicy::FailOpen.allows_trading(3600.0, 60, false));
    /// ```
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

impl fmt::Display for OutagePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutagePolicy {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self::Auto);
        }
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                FieldError::new(
                    "outage_policy",
                    format!("must be one of auto, fail_open, fail_closed, not \"{s}\""),
                )
            })
    }
}

/// A pair's risk settings, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RiskSettings {
    pub stop_loss_percent: Decimal,
    pub take_profit_percent: Decimal,
    pub max_daily_trades: i32,
    pub max_daily_loss_percent: Decimal,
    pub trailing_stop_enabled: bool,
    pub trailing_stop_percent: Decimal,
    pub max_drawdown_percent: Decimal,
    pub position_sizing_method: PositionSizing,
    pub volatility_lookback_days: i32,
    /// Absent in older requests and exports: `auto`.
    #[serde(default)]
    pub outage_policy: OutagePolicy,
}

impl RiskSettings {
    /// Checks typed settings (from the CLI, an import or the API) with the form's rules.
    pub fn validate(self) -> Result<RiskSettings, ConfigError> {
        RiskForm::from_settings(&self, 0).parse()
    }
}

/// A pair's risk settings as stored, with the row version for optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RiskConfig {
    pub symbol: super::pair::Symbol,
    #[serde(flatten)]
    pub settings: RiskSettings,
    pub version: i32,
}

impl Default for RiskSettings {
    /// What a new pair starts with: the columns' defaults in the schema.
    fn default() -> Self {
        RiskSettings {
            stop_loss_percent: Decimal::from(5),
            take_profit_percent: Decimal::from(10),
            max_daily_trades: 10,
            max_daily_loss_percent: Decimal::from(5),
            trailing_stop_enabled: false,
            trailing_stop_percent: Decimal::from(2),
            max_drawdown_percent: Decimal::from(15),
            position_sizing_method: PositionSizing::Fixed,
            volatility_lookback_days: 30,
            outage_policy: OutagePolicy::Auto,
        }
    }
}

/// The risk form as the operator filled it in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskForm {
    pub stop_loss_percent: String,
    pub take_profit_percent: String,
    pub max_daily_trades: String,
    pub max_daily_loss_percent: String,
    /// `true` or `false`; required (a missing value is an error, never "off").
    #[serde(default)]
    pub trailing_stop_enabled: Option<String>,
    pub trailing_stop_percent: String,
    pub max_drawdown_percent: String,
    pub position_sizing_method: String,
    pub volatility_lookback_days: String,
    /// Empty means `auto`.
    pub outage_policy: String,
    /// The version the form was opened at.
    #[serde(default)]
    pub version: i32,
}

impl RiskForm {
    pub fn from_settings(s: &RiskSettings, version: i32) -> Self {
        Self {
            stop_loss_percent: s.stop_loss_percent.normalize().to_string(),
            take_profit_percent: s.take_profit_percent.normalize().to_string(),
            max_daily_trades: s.max_daily_trades.to_string(),
            max_daily_loss_percent: s.max_daily_loss_percent.normalize().to_string(),
            trailing_stop_enabled: Some(s.trailing_stop_enabled.to_string()),
            trailing_stop_percent: s.trailing_stop_percent.normalize().to_string(),
            max_drawdown_percent: s.max_drawdown_percent.normalize().to_string(),
            position_sizing_method: s.position_sizing_method.to_string(),
            volatility_lookback_days: s.volatility_lookback_days.to_string(),
            outage_policy: s.outage_policy.to_string(),
            version,
        }
    }

    /// The text of the field `name` (one of `fields::risk::FIELDS`).
    pub fn value_of(&self, name: &str) -> &str {
        match name {
            "stop_loss_percent" => &self.stop_loss_percent,
            "take_profit_percent" => &self.take_profit_percent,
            "max_daily_trades" => &self.max_daily_trades,
            "max_daily_loss_percent" => &self.max_daily_loss_percent,
            "trailing_stop_percent" => &self.trailing_stop_percent,
            "max_drawdown_percent" => &self.max_drawdown_percent,
            "position_sizing_method" => &self.position_sizing_method,
            "volatility_lookback_days" => &self.volatility_lookback_days,
            "outage_policy" => &self.outage_policy,
            _ => "",
        }
    }

    pub fn parse(&self) -> Result<RiskSettings, ConfigError> {
        use super::fields::risk::*;
        let mut errors = FieldErrors::default();
        let stop_loss = errors.take(STOP_LOSS_PERCENT.decimal(&self.stop_loss_percent));
        let take_profit = errors.take(TAKE_PROFIT_PERCENT.decimal(&self.take_profit_percent));
        let max_daily_trades = errors.take(MAX_DAILY_TRADES.integer(&self.max_daily_trades));
        let max_daily_loss =
            errors.take(MAX_DAILY_LOSS_PERCENT.decimal(&self.max_daily_loss_percent));
        let trailing_enabled = errors
            .take(parse_required_bool(
                "trailing_stop_enabled",
                self.trailing_stop_enabled.as_deref(),
            ))
            .unwrap_or(false);
        let trailing = errors.take(TRAILING_STOP_PERCENT.decimal(&self.trailing_stop_percent));
        let drawdown = errors.take(MAX_DRAWDOWN_PERCENT.decimal(&self.max_drawdown_percent));
        let sizing = errors.take(self.position_sizing_method.parse::<PositionSizing>());
        let lookback =
            errors.take(VOLATILITY_LOOKBACK_DAYS.integer(&self.volatility_lookback_days));
        let outage_policy = errors.take(self.outage_policy.parse::<OutagePolicy>());
        if let (true, Some(trailing), Some(stop)) = (trailing_enabled, trailing, stop_loss) {
            if trailing > stop {
                errors.push(
                    "trailing_stop_percent",
                    "must not exceed the stop loss when the trailing stop is on",
                );
            }
        }
        errors.finish(|| RiskSettings {
            stop_loss_percent: stop_loss.expect("checked"),
            take_profit_percent: take_profit.expect("checked"),
            max_daily_trades: max_daily_trades.expect("checked") as i32,
            max_daily_loss_percent: max_daily_loss.expect("checked"),
            trailing_stop_enabled: trailing_enabled,
            trailing_stop_percent: trailing.expect("checked"),
            max_drawdown_percent: drawdown.expect("checked"),
            position_sizing_method: sizing.expect("checked"),
            volatility_lookback_days: lookback.expect("checked") as i32,
            outage_policy: outage_policy.expect("checked"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn defaults() -> RiskSettings {
        RiskSettings::default()
    }

    fn errors_of(form: RiskForm) -> FieldErrors {
        form.parse().unwrap_err().field_errors().cloned().unwrap()
    }

    #[test]
    fn defaults_round_trip_through_the_form() {
        assert_eq!(
            RiskForm::from_settings(&defaults(), 1).parse().unwrap(),
            defaults()
        );
    }

    #[test]
    fn negative_stop_loss_is_refused() {
        let f = RiskForm {
            stop_loss_percent: "-1".into(),
            ..RiskForm::from_settings(&defaults(), 1)
        };
        assert_eq!(
            errors_of(f).get("stop_loss_percent"),
            Some("must be greater than 0")
        );
    }

    #[test]
    fn take_profit_must_be_positive() {
        let f = RiskForm {
            take_profit_percent: "0".into(),
            ..RiskForm::from_settings(&defaults(), 1)
        };
        assert_eq!(
            errors_of(f).get("take_profit_percent"),
            Some("must be greater than 0")
        );
    }

    #[test]
    fn unknown_sizing_method_names_the_choices() {
        let f = RiskForm {
            position_sizing_method: "martingale".into(),
            ..RiskForm::from_settings(&defaults(), 1)
        };
        assert_eq!(
            errors_of(f).get("position_sizing_method"),
            Some("must be one of fixed, percent, kelly, volatility, not \"martingale\"")
        );
    }

    #[test]
    fn lookback_and_daily_trades_are_bounded() {
        let f = RiskForm {
            volatility_lookback_days: "0".into(),
            max_daily_trades: "-3".into(),
            ..RiskForm::from_settings(&defaults(), 1)
        };
        let e = errors_of(f);
        assert_eq!(
            e.get("volatility_lookback_days"),
            Some("must be between 1 and 365")
        );
        assert_eq!(
            e.get("max_daily_trades"),
            Some("must be between 0 and 10000")
        );
    }

    #[test]
    fn trailing_stop_wider_than_stop_loss_is_refused_only_when_on() {
        let mut f = RiskForm {
            trailing_stop_percent: "8".into(),
            ..RiskForm::from_settings(&defaults(), 1)
        };
        assert!(f.parse().is_ok());
        f.trailing_stop_enabled = Some("true".into());
        assert_eq!(
            errors_of(f).get("trailing_stop_percent"),
            Some("must not exceed the stop loss when the trailing stop is on")
        );
    }

    #[test]
    fn a_missing_toggle_is_an_error_never_off() {
        let f = RiskForm {
            trailing_stop_enabled: None,
            ..RiskForm::from_settings(&defaults(), 1)
        };
        assert_eq!(
            errors_of(f).get("trailing_stop_enabled"),
            Some("is required (true or false)")
        );
    }

    #[test]
    fn typed_settings_are_checked_too() {
        let s = RiskSettings {
            max_drawdown_percent: dec!(101),
            ..defaults()
        };
        assert!(s.validate().is_err());
    }
}
