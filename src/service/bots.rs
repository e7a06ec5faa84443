//! What bots ask, answered from the cache: trading configs, the portfolio, whether to trade
//! a pair, and whether the configuration is fit to start with.

use super::{ConfigService, REQUIRED_SETTINGS};
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::system::SystemSetting;
use crate::domain::trading::{
    percent_of, Allocation, PortfolioSettings, TradeDecision, TradingConfig, ValidationReport,
};
use crate::domain::ConfigError;
use rust_decimal::Decimal;
use std::sync::Arc;

impl ConfigService {
    /// A pair's trading config: pair, enabled strategies with normalized weights, risk.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<Arc<TradingConfig>, ConfigError> {
        self.manager.trading_config(symbol).await
    }

    /// Every active pair's trading config.
    pub async fn active_trading_configs(
        &self,
    ) -> Result<Arc<Vec<Arc<TradingConfig>>>, ConfigError> {
        self.manager.trading_configs().await
    }

    /// Portfolio-wide settings and each active pair's allocation.
    pub async fn portfolio(&self) -> Result<PortfolioSettings, ConfigError> {
        let settings = self.manager.system_config().await?;
        let pairs = self.manager.active_pairs().await?;
        portfolio_from(&settings, &pairs)
    }

    /// Whether a bot may trade `symbol` now, and why not.
    pub async fn should_trade_pair(&self, symbol: &Symbol) -> Result<TradeDecision, ConfigError> {
        let mut reasons = Vec::new();
        match self.manager.pair(symbol).await {
            Ok(pair) if !pair.is_active => reasons.push(format!("{symbol} is inactive")),
            Ok(_) => {
                let strategies = self.manager.pair_strategies(symbol).await?;
                if strategies.is_empty() {
                    reasons.push(format!("{symbol} has no enabled strategy"));
                }
            }
            Err(ConfigError::NotFound(_)) => {
                reasons.push(format!("{symbol} is not a configured pair"))
            }
            Err(other) => return Err(other),
        }
        // A missing flag is "not triggered"; one that is not a boolean is an error: a
        // bot must not trade on a halt flag it cannot read.
        let triggered = match self.manager.setting_bool("emergency_stop_triggered").await {
            Err(ConfigError::NotFound(_)) => false,
            other => other?,
        };
        if triggered {
            reasons.push("the emergency stop has been triggered".to_owned());
        }
        Ok(TradeDecision {
            symbol: symbol.to_string(),
            allowed: reasons.is_empty(),
            reasons,
        })
    }

    /// Errors that stop a bot from starting, and warnings worth a look.
    pub async fn validate(&self) -> Result<ValidationReport, ConfigError> {
        let settings = self.manager.system_config().await?;
        let configs = self.manager.trading_configs().await?;
        let mut report = ValidationReport::default();
        if configs.is_empty() {
            report.errors.push("no active trading pairs".to_owned());
        }
        for key in REQUIRED_SETTINGS {
            if !settings.iter().any(|s| s.key == key) {
                report
                    .errors
                    .push(format!("required setting {key} is missing"));
            }
        }
        for config in configs.iter() {
            if config.strategies.is_empty() {
                report.warnings.push(format!(
                    "{} is active but has no enabled strategy",
                    config.pair.symbol
                ));
            }
        }
        if let Ok(portfolio) = portfolio_from(&settings, &active_pairs_of(&configs)) {
            if portfolio.allocated_percent > Decimal::ONE_HUNDRED {
                report.warnings.push(format!(
                    "active pairs' initial balances add up to {}% of the portfolio ({} of {})",
                    portfolio.allocated_percent,
                    portfolio.allocated_balance,
                    portfolio.total_balance
                ));
            }
        }
        Ok(report)
    }
}

fn active_pairs_of(configs: &[Arc<TradingConfig>]) -> Vec<TradingPair> {
    configs.iter().map(|c| c.pair.clone()).collect()
}

fn required<'a>(
    settings: &'a [SystemSetting],
    key: &str,
) -> Result<&'a SystemSetting, ConfigError> {
    settings
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| ConfigError::NotFound(format!("setting {key}")))
}

/// Portfolio settings from the settings and the active pairs.
pub fn portfolio_from(
    settings: &[SystemSetting],
    pairs: &[TradingPair],
) -> Result<PortfolioSettings, ConfigError> {
    let balance = required(settings, "total_portfolio_balance")?;
    let total_balance = balance.decimal()?;
    let positions = required(settings, "max_concurrent_positions")?;
    let paper = required(settings, "paper_trading")?;
    let stop = required(settings, "emergency_stop_enabled")?;
    let stop_loss = required(settings, "emergency_stop_loss_percent")?;
    let allocations: Vec<Allocation> = pairs
        .iter()
        .filter(|p| p.is_active)
        .map(|p| Allocation {
            symbol: p.symbol.clone(),
            initial_balance: p.initial_balance,
            percent_of_portfolio: percent_of(p.initial_balance, total_balance),
            max_position_percent: p.max_position_percent,
        })
        .collect();
    let allocated_balance: Decimal = allocations.iter().map(|a| a.initial_balance).sum();
    Ok(PortfolioSettings {
        total_balance,
        allocated_percent: percent_of(allocated_balance, total_balance),
        allocated_balance,
        allocations,
        max_concurrent_positions: positions.integer()?,
        paper_trading: paper.bool()?,
        emergency_stop_enabled: stop.bool()?,
        emergency_stop_loss_percent: stop_loss.decimal()?,
    })
}
