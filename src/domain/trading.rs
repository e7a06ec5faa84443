//! What a bot consumes: a pair's complete trading configuration, the portfolio settings,
//! and the validation report. Built from the stored rows by pure functions.

use super::pair::{Symbol, TradingPair};
use super::risk::RiskSettings;
use super::strategy::{PairStrategy, ParamValues};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An enabled strategy with its weight as configured and as the bot will apply it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WeightedStrategy {
    pub strategy: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub strategy_type: String,
    pub weight: Decimal,
    /// The weight divided by the sum of the pair's enabled weights: they add up to 1.
    pub normalized_weight: Decimal,
    /// Each parameter's value, as a decimal string.
    #[cfg_attr(feature = "ssr", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub parameters: ParamValues,
}

/// Everything a bot needs to trade one pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TradingConfig {
    pub pair: TradingPair,
    pub strategies: Vec<WeightedStrategy>,
    pub risk: RiskSettings,
}

impl TradingConfig {
    /// Combines a pair, its strategy rows (disabled ones are dropped) and its risk.
    pub fn build(pair: TradingPair, strategies: &[PairStrategy], risk: RiskSettings) -> Self {
        let enabled: Vec<&PairStrategy> = strategies.iter().filter(|s| s.is_enabled).collect();
        let weights = normalize_weights(&enabled.iter().map(|s| s.weight).collect::<Vec<_>>());
        let strategies = enabled
            .into_iter()
            .zip(weights)
            .map(|(s, normalized_weight)| WeightedStrategy {
                strategy: s.strategy.clone(),
                display_name: s.display_name.clone(),
                description: s.description.clone(),
                strategy_type: s.strategy_type.clone(),
                weight: s.weight,
                normalized_weight,
                parameters: s.parameters.clone(),
            })
            .collect();
        TradingConfig {
            pair,
            strategies,
            risk,
        }
    }
}

/// Scales weights to sum to 1. All-zero weights share equally, so an enabled strategy is
/// never silently ignored.
///
/// ```
/// use botconfig::domain::trading::normalize_weights;
/// use rust_decimal_macros::dec;
/// assert_eq!(normalize_weights(&[dec!(0.3), dec!(0.2)]), vec![dec!(0.6), dec!(0.4)]);
/// ```
pub fn normalize_weights(weights: &[Decimal]) -> Vec<Decimal> {
    let total: Decimal = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if total.is_zero() {
        let share = Decimal::ONE / Decimal::from(weights.len());
        return vec![share.round_dp(10).normalize(); weights.len()];
    }
    weights
        .iter()
        .map(|w| (w / total).round_dp(10).normalize())
        .collect()
}

/// One active pair's share of the portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Allocation {
    pub symbol: Symbol,
    pub initial_balance: Decimal,
    /// `initial_balance` as a percentage of the total portfolio balance, two decimals.
    pub percent_of_portfolio: Decimal,
    pub max_position_percent: Decimal,
}

/// The portfolio-wide settings bots size positions with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortfolioSettings {
    pub total_balance: Decimal,
    pub allocations: Vec<Allocation>,
    pub allocated_balance: Decimal,
    pub allocated_percent: Decimal,
    pub max_concurrent_positions: i64,
    pub paper_trading: bool,
    pub emergency_stop_enabled: bool,
    pub emergency_stop_loss_percent: Decimal,
    /// Set when the emergency stop has fired: no pair trades.
    pub emergency_stop_triggered: bool,
    /// Seconds between two market checks.
    pub check_interval: i64,
    pub correlation_check_enabled: bool,
    pub global_max_daily_loss_percent: Decimal,
    /// How many pairs are active.
    pub active_pairs: usize,
}

/// The share `part` is of `whole`, in percent with two decimals (0 when `whole` is 0).
pub fn percent_of(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    (part * Decimal::ONE_HUNDRED / whole)
        .round_dp(2)
        .normalize()
}

/// The answer to "may a bot trade this pair now?", with the reasons when it may not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TradeDecision {
    pub symbol: String,
    /// Whether the bot may trade the pair now.
    pub trade: bool,
    pub reasons: Vec<String>,
    /// What a reader does once its configuration goes unconfirmed past the grace period.
    #[serde(default)]
    pub outage_policy: super::risk::OutagePolicy,
    #[serde(default)]
    pub outage_grace_seconds: i64,
    /// The pause that stops the pair now, with its mode, reason and end (`None`: not
    /// paused). With `close_out` the bot should exit its open positions.
    #[serde(default)]
    pub pause: Option<super::pause::Pause>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn weights_normalize_to_one() {
        let w = normalize_weights(&[dec!(0.6), dec!(0.4)]);
        assert_eq!(w, vec![dec!(0.6), dec!(0.4)]);
        let w = normalize_weights(&[dec!(0.5), dec!(0.5), dec!(0.5)]);
        assert_eq!(w[0], dec!(0.3333333333));
        let w = normalize_weights(&[dec!(0.3), dec!(0.1)]);
        assert_eq!(w, vec![dec!(0.75), dec!(0.25)]);
    }

    #[test]
    fn zero_weights_share_equally() {
        assert_eq!(
            normalize_weights(&[dec!(0), dec!(0)]),
            vec![dec!(0.5), dec!(0.5)]
        );
        assert!(normalize_weights(&[]).is_empty());
    }

    #[test]
    fn percent_of_rounds_to_two_places() {
        assert_eq!(percent_of(dec!(3000), dec!(10000)), dec!(30));
        assert_eq!(percent_of(dec!(1), dec!(3)), dec!(33.33));
        assert_eq!(percent_of(dec!(1), dec!(0)), dec!(0));
    }
}
