//! What bots ask, answered from the cache: trading configs, the portfolio, whether to trade
//! a pair, and whether the configuration is fit to start with.

use super::{ConfigService, REQUIRED_SETTINGS};
use crate::cache::ConfigManager;
pub use crate::cache::ReadFrom;
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::system::SystemSetting;
use crate::domain::trading::{
    percent_of, Allocation, PortfolioSettings, TradeDecision, TradingConfig,
};
use crate::domain::warnings::ValidationReport;
use crate::domain::ConfigError;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A pair's outage policy as it stands now.
struct Outage {
    policy: crate::domain::risk::OutagePolicy,
    grace_seconds: i64,
    refusal: Option<String>,
}

/// The setting that holds how long a reader's configuration may go unconfirmed before each
/// pair's outage policy applies, and its value when it is missing.
pub const OUTAGE_GRACE_SETTING: &str = "outage_grace_seconds";
pub const DEFAULT_OUTAGE_GRACE_SECONDS: i64 = 60;

impl ConfigService {
    fn reader(&self, from: ReadFrom) -> ConfigManager {
        self.manager.reading_from(from)
    }

    /// A pair's trading config: pair, enabled strategies with normalized weights, risk.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<Arc<TradingConfig>, ConfigError> {
        self.trading_config_from(symbol, ReadFrom::Cache).await
    }

    pub async fn trading_config_from(
        &self,
        symbol: &Symbol,
        from: ReadFrom,
    ) -> Result<Arc<TradingConfig>, ConfigError> {
        self.reader(from).trading_config(symbol).await
    }

    /// Every active pair's trading config.
    pub async fn active_trading_configs(
        &self,
        from: ReadFrom,
    ) -> Result<Arc<Vec<Arc<TradingConfig>>>, ConfigError> {
        self.reader(from).trading_configs().await
    }

    /// Every pair, active or not (a blacklist names the inactive ones).
    pub async fn all_pairs_from(
        &self,
        from: ReadFrom,
    ) -> Result<Arc<Vec<TradingPair>>, ConfigError> {
        self.reader(from).all_pairs().await
    }

    /// Every active setting, as a bot reads them at each cycle.
    pub async fn bot_settings(
        &self,
        from: ReadFrom,
    ) -> Result<Arc<Vec<SystemSetting>>, ConfigError> {
        self.reader(from).system_config().await
    }

    /// Portfolio-wide settings and each active pair's allocation.
    pub async fn portfolio(&self, from: ReadFrom) -> Result<PortfolioSettings, ConfigError> {
        let reader = self.reader(from);
        let settings = reader.system_config().await?;
        let pairs = reader.active_pairs().await?;
        portfolio_from(&settings, &pairs)
    }

    /// Whether a bot may trade `symbol` now, and why not. An unknown pair is not found.
    pub async fn should_trade_pair(
        &self,
        symbol: &Symbol,
        from: ReadFrom,
    ) -> Result<TradeDecision, ConfigError> {
        let reader = self.reader(from);
        let mut reasons = Vec::new();
        let pair = reader.pair(symbol).await?;
        let pause = pair.pause_at(chrono::Utc::now()).cloned();
        if !pair.is_active {
            reasons.push("pair is inactive".to_owned());
        } else if reader.pair_strategies(symbol).await?.is_empty() {
            reasons.push("no strategy is enabled".to_owned());
        }
        if let Some(pause) = &pause {
            reasons.push(pause.describe());
        }
        // A missing flag is "not triggered"; one that is not a boolean is an error: a
        // bot must not trade on a halt flag it cannot read.
        let triggered = match reader.setting("emergency_stop_triggered").await {
            Err(ConfigError::NotFound(_)) => false,
            other => other?.bool()?,
        };
        if triggered {
            reasons.push("emergency stop triggered".to_owned());
        }
        let outage = self.outage(&reader, symbol, from).await?;
        reasons.extend(outage.refusal);
        Ok(TradeDecision {
            symbol: symbol.to_string(),
            trade: reasons.is_empty(),
            reasons,
            outage_policy: outage.policy,
            outage_grace_seconds: outage.grace_seconds,
            pause,
        })
    }

    /// The pair's outage policy, and why it stops the pair when this server's
    /// configuration has gone unconfirmed past the grace period (a read from the database
    /// is confirmed by itself).
    async fn outage(
        &self,
        reader: &ConfigManager,
        symbol: &Symbol,
        from: ReadFrom,
    ) -> Result<Outage, ConfigError> {
        // The whole list, one entry that warming loads: in an outage, a key read for the
        // first time could not be loaded.
        let settings = reader.system_config().await?;
        let find = |key: &str| settings.iter().find(|s| s.key == key);
        let grace_seconds = match find(OUTAGE_GRACE_SETTING) {
            Some(setting) => setting.integer()?,
            None => DEFAULT_OUTAGE_GRACE_SECONDS,
        };
        let policy = reader.pair_risk(symbol).await?.settings.outage_policy;
        let age_seconds = match (from, self.listener_health().confirmed_millis_ago) {
            (ReadFrom::Database, _) => 0.0,
            (ReadFrom::Cache, Some(ms)) => ms as f64 / 1000.0,
            (ReadFrom::Cache, None) => f64::INFINITY,
        };
        let paper = paper_trading_of(&settings)?;
        let refusal = (!policy.allows_trading(age_seconds, grace_seconds, paper)).then(|| {
            format!(
                "configuration unconfirmed for {age_seconds:.0} s, past the {grace_seconds} s grace period: outage policy {policy} stops new positions"
            )
        });
        Ok(Outage {
            policy,
            grace_seconds,
            refusal,
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
        let paper_trading = paper_trading_of(&settings)?;
        let configs_of: Vec<&TradingConfig> = configs.iter().map(|c| c.as_ref()).collect();
        report.details = crate::domain::warnings::warnings(&configs_of, paper_trading);
        report
            .warnings
            .extend(report.details.iter().map(|w| w.message.clone()));
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

/// Whether the settings keep bots on paper (no setting: they do, the safe side).
pub(super) fn paper_trading_of(settings: &[SystemSetting]) -> Result<bool, ConfigError> {
    match settings.iter().find(|s| s.key == "paper_trading") {
        Some(setting) => setting.bool(),
        None => Ok(true),
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
    let interval = required(settings, "check_interval")?;
    let correlation = required(settings, "correlation_check_enabled")?;
    let daily_loss = required(settings, "global_max_daily_loss_percent")?;
    let triggered = match settings
        .iter()
        .find(|s| s.key == "emergency_stop_triggered")
    {
        Some(setting) => setting.bool()?,
        None => false,
    };
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
        emergency_stop_triggered: triggered,
        check_interval: interval.integer()?,
        correlation_check_enabled: correlation.bool()?,
        global_max_daily_loss_percent: daily_loss.decimal()?,
        active_pairs: pairs.iter().filter(|p| p.is_active).count(),
    })
}
