//! What bots and the console ask of the configuration, answered from the cached manager:
//! trading configs, portfolio settings, whether to trade a pair, validation. Also the
//! console's writes, parsed from what an operator typed.

use crate::cache::ConfigManager;
use crate::domain::forms::{PairStrategyForm, SettingsForm};
use crate::domain::pair::{PairForm, Symbol, TradingPair};
use crate::domain::risk::{RiskConfig, RiskForm};
use crate::domain::strategy::{check_weight, parse_weight, PairStrategy, Strategy};
use crate::domain::system::SystemSetting;
use crate::domain::system::{parse_setting, SettingValue};
use crate::domain::trading::{
    percent_of, Allocation, PortfolioSettings, TradeDecision, TradingConfig, ValidationReport,
};
use crate::domain::transfer::{ConfigDocument, PairDocument, StrategyDocument};
use crate::domain::ConfigError;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The settings a bot cannot start without.
pub const REQUIRED_SETTINGS: [&str; 4] = [
    "paper_trading",
    "check_interval",
    "max_concurrent_positions",
    "total_portfolio_balance",
];

/// The service every entry point (console, API, CLI, library) goes through.
#[derive(Clone)]
pub struct ConfigService {
    manager: ConfigManager,
}

/// A symbol from a URL or argument; a malformed one cannot name an existing pair.
pub fn parse_symbol(input: &str) -> Result<Symbol, ConfigError> {
    Symbol::parse(input).map_err(ConfigError::from)
}

impl ConfigService {
    pub fn new(manager: ConfigManager) -> Self {
        Self { manager }
    }

    pub fn manager(&self) -> &ConfigManager {
        &self.manager
    }

    // ---- for bots (cached) --------------------------------------------------------------

    /// A pair's trading config: pair, enabled strategies with normalized weights, risk.
    pub async fn trading_config(&self, symbol: &str) -> Result<Arc<TradingConfig>, ConfigError> {
        self.manager.trading_config(&parse_symbol(symbol)?).await
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
    pub async fn should_trade_pair(&self, symbol: &str) -> Result<TradeDecision, ConfigError> {
        let mut reasons = Vec::new();
        let parsed = parse_symbol(symbol)?;
        match self.manager.pair(&parsed).await {
            Ok(pair) if !pair.is_active => reasons.push(format!("{symbol} is inactive")),
            Ok(_) => {
                let strategies = self.manager.pair_strategies(&parsed).await?;
                if strategies.is_empty() {
                    reasons.push(format!("{symbol} has no enabled strategy"));
                }
            }
            Err(ConfigError::NotFound(_)) => {
                reasons.push(format!("{symbol} is not a configured pair"))
            }
            Err(other) => return Err(other),
        }
        if setting_bool(&self.manager, "emergency_stop_triggered").await? == Some(true) {
            reasons.push("the emergency stop has been triggered".to_owned());
        }
        Ok(TradeDecision {
            symbol: symbol.to_owned(),
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

    // ---- for the console and the CLI ---------------------------------------------------

    /// Whether the database answers within `deadline`.
    pub async fn ping(&self, deadline: std::time::Duration) -> Result<(), ConfigError> {
        self.manager.ping(deadline).await
    }

    /// `Some(age)` when cached answers can no longer be vouched for (see
    /// `ConfigManager::staleness`); every answer made now must say so.
    pub fn staleness(&self) -> Option<std::time::Duration> {
        self.manager.staleness()
    }

    pub async fn cache_stats(&self) -> crate::domain::stats::CacheStats {
        self.manager.stats().await
    }

    pub async fn warm(&self) -> Result<crate::domain::stats::WarmReport, ConfigError> {
        self.manager.warm().await
    }

    /// Drops every entry; returns how many there were.
    pub async fn clear(&self) -> u64 {
        self.manager.clear().await
    }

    /// Drops the entries matching an operator's pattern; returns how many.
    pub async fn invalidate(&self, pattern: &str) -> Result<u64, ConfigError> {
        self.manager.invalidate_pattern(pattern).await
    }

    /// Every pair, active or not, read fresh.
    pub async fn all_pairs(&self) -> Result<Vec<TradingPair>, ConfigError> {
        self.manager.uncached().all_pairs().await
    }

    /// One pair, read fresh (an edit form must show the current version).
    pub async fn pair(&self, symbol: &str) -> Result<TradingPair, ConfigError> {
        self.manager.uncached().pair(&parse_symbol(symbol)?).await
    }

    pub async fn set_pair_active(
        &self,
        symbol: &str,
        active: bool,
    ) -> Result<TradingPair, ConfigError> {
        self.manager
            .set_pair_active(&parse_symbol(symbol)?, active)
            .await
    }

    pub async fn create_pair(&self, form: &PairForm) -> Result<TradingPair, ConfigError> {
        let (symbol, settings) = form.parse_new()?;
        self.manager.create_pair(&symbol, settings).await
    }

    pub async fn update_pair(
        &self,
        symbol: &str,
        form: &PairForm,
        version: i32,
    ) -> Result<TradingPair, ConfigError> {
        let settings = form.parse_settings()?;
        self.manager
            .update_pair(&parse_symbol(symbol)?, settings, version)
            .await
    }

    pub async fn risk(&self, symbol: &str) -> Result<RiskConfig, ConfigError> {
        self.manager
            .uncached()
            .pair_risk(&parse_symbol(symbol)?)
            .await
    }

    pub async fn update_risk(
        &self,
        symbol: &str,
        form: &RiskForm,
    ) -> Result<RiskConfig, ConfigError> {
        let settings = form.parse()?;
        self.manager
            .update_risk(&parse_symbol(symbol)?, settings, form.version)
            .await
    }

    pub async fn strategies(&self) -> Result<Vec<Strategy>, ConfigError> {
        self.manager.uncached().strategies().await
    }

    pub async fn pair_strategy_rows(&self, symbol: &str) -> Result<Vec<PairStrategy>, ConfigError> {
        self.manager
            .uncached()
            .all_pair_strategies(&parse_symbol(symbol)?)
            .await
    }

    /// Saves a pair's use of a strategy from what the operator typed.
    pub async fn save_pair_strategy(
        &self,
        symbol: &str,
        strategy: &str,
        form: &PairStrategyForm,
    ) -> Result<PairStrategy, ConfigError> {
        let symbol = parse_symbol(symbol)?;
        let definition = self
            .strategies()
            .await?
            .into_iter()
            .find(|s| s.name == strategy)
            .ok_or_else(|| ConfigError::NotFound(format!("strategy {strategy}")))?;
        let mut errors = crate::domain::FieldErrors::default();
        let enabled = errors.take(crate::domain::number::parse_required_bool(
            "enabled",
            form.enabled.as_deref(),
        ));
        let weight = errors.take(parse_weight(&form.weight));
        let params = match definition.parse_params(&form.params) {
            Ok(p) => Some(p),
            Err(ConfigError::Invalid(e)) => {
                errors.0.extend(e.0);
                None
            }
            Err(other) => return Err(other),
        };
        let (enabled, weight, params) = errors.finish(|| {
            (
                enabled.expect("checked"),
                weight.expect("checked"),
                params.expect("checked"),
            )
        })?;
        let version = (form.version > 0).then_some(form.version);
        self.manager
            .update_pair_strategy(&symbol, strategy, enabled, weight, &params, version)
            .await
    }

    /// Saves a group of settings from what the operator typed. The form must carry every
    /// setting of its category, explicitly: a missing one is an error (never "false"), and
    /// so is one that is not of the category.
    pub async fn save_settings(
        &self,
        form: &SettingsForm,
    ) -> Result<Vec<SystemSetting>, ConfigError> {
        let current = self.settings().await?;
        let group: Vec<&SystemSetting> = current
            .iter()
            .filter(|s| s.category.as_str() == form.category)
            .collect();
        if group.is_empty() {
            return Err(ConfigError::NotFound(format!(
                "settings category {}",
                form.category
            )));
        }
        let mut errors = crate::domain::FieldErrors::default();
        for key in form.values.keys().chain(form.versions.keys()) {
            if !group.iter().any(|s| &s.key == key) && errors.get(key).is_none() {
                errors.push(
                    key.clone(),
                    format!("is not a setting of the {} group", form.category),
                );
            }
        }
        let mut changes = Vec::with_capacity(group.len());
        for setting in group {
            match form.values.get(&setting.key) {
                Some(input) => changes.push((
                    setting.key.clone(),
                    input.clone(),
                    form.versions.get(&setting.key).copied(),
                )),
                None => errors.push(setting.key.clone(), "is required"),
            }
        }
        errors.finish(|| ())?;
        self.manager.set_settings(&changes).await
    }

    /// The whole configuration as one document.
    pub async fn export(&self) -> Result<ConfigDocument, ConfigError> {
        let settings = self.settings().await?;
        let snapshot = self.manager.uncached().snapshot_pairs().await?;
        let mut strategies = snapshot.strategies_by_symbol();
        let pairs = snapshot
            .pairs
            .iter()
            .filter_map(|pair| {
                let risk = snapshot.risks.iter().find(|r| r.symbol == pair.symbol)?;
                let rows = strategies.remove(pair.symbol.as_str()).unwrap_or_default();
                Some(PairDocument {
                    symbol: pair.symbol.clone(),
                    is_active: pair.is_active,
                    settings: pair.settings(),
                    risk: risk.settings.clone(),
                    strategies: rows
                        .into_iter()
                        .map(|r| {
                            let doc = StrategyDocument {
                                enabled: r.is_enabled,
                                weight: r.weight,
                                parameters: r.parameters,
                            };
                            (r.strategy, doc)
                        })
                        .collect(),
                })
            })
            .collect();
        Ok(ConfigDocument {
            format: crate::domain::transfer::FORMAT.to_owned(),
            settings: settings
                .iter()
                .map(|s| (s.key.clone(), s.value.to_string()))
                .collect(),
            pairs,
        })
    }

    /// Checks a document against every rule before anything is written; returns the
    /// settings typed.
    async fn check_document(
        &self,
        doc: &ConfigDocument,
    ) -> Result<Vec<(String, SettingValue)>, ConfigError> {
        let mut errors = crate::domain::FieldErrors::default();
        if doc.format != crate::domain::transfer::FORMAT {
            errors.push(
                "format",
                format!("must be {}", crate::domain::transfer::FORMAT),
            );
        }
        let current = self.settings().await?;
        let mut typed = Vec::new();
        for (key, value) in &doc.settings {
            match current.iter().find(|s| &s.key == key) {
                Some(setting) => {
                    // An equal value (10 for "10.0") is not written: no version bump.
                    if let Some(v) = errors.take(parse_setting(key, setting.value_type, value)) {
                        if v != setting.value {
                            typed.push((key.clone(), v));
                        }
                    }
                }
                None => errors.push(
                    format!("settings.{key}"),
                    "is not a setting of this installation",
                ),
            }
        }
        let definitions = self.strategies().await?;
        let mut seen = std::collections::BTreeSet::new();
        for pair in &doc.pairs {
            let at = |field: &str| format!("pairs[{}].{field}", pair.symbol);
            if !seen.insert(pair.symbol.clone()) {
                errors.push(at("symbol"), "appears twice");
            }
            let mut nest = |prefix: &str, result: Result<(), ConfigError>| {
                if let Err(ConfigError::Invalid(inner)) = result {
                    for e in inner.0 {
                        errors.push(at(&format!("{prefix}{}", e.field)), e.message);
                    }
                }
            };
            nest("settings.", pair.settings.clone().validate().map(|_| ()));
            nest("risk.", pair.risk.clone().validate().map(|_| ()));
            for (name, strategy) in &pair.strategies {
                match definitions.iter().find(|d| &d.name == name) {
                    Some(definition) => {
                        nest(
                            &format!("strategies.{name}."),
                            check_weight(strategy.weight)
                                .map(|_| ())
                                .map_err(ConfigError::from),
                        );
                        nest(
                            &format!("strategies.{name}."),
                            definition.check_params(&strategy.parameters).map(|_| ()),
                        );
                    }
                    None => nest(
                        "strategies.",
                        Err(ConfigError::invalid(
                            name.clone(),
                            "is not a known strategy",
                        )),
                    ),
                }
            }
        }
        errors.finish(|| typed)
    }

    /// Validates `doc` completely, then (unless `dry_run`) applies it in one transaction.
    /// Returns the changes it makes (or would make), one readable line each.
    pub async fn import(
        &self,
        doc: &ConfigDocument,
        dry_run: bool,
    ) -> Result<Vec<String>, ConfigError> {
        let settings = self.check_document(doc).await?;
        let changes = crate::domain::transfer::diff(&self.export().await?, doc);
        if !dry_run {
            self.manager.apply_document(doc, &settings).await?;
        }
        Ok(changes)
    }

    /// A short benchmark on this database (a few seconds), recorded in the history.
    pub async fn quick_benchmark(
        &self,
    ) -> Result<crate::domain::benchmark::BenchmarkReport, ConfigError> {
        let options = crate::benchmark::RunOptions {
            iterations: 2_000,
            pairs: None,
            threads: 1,
            max_time: std::time::Duration::from_millis(300),
            runs_kept: self.manager.settings().benchmark_runs_kept,
        };
        crate::benchmark::run_on(self.manager.pool(), None, &options, |_, _| {}).await
    }

    /// The latest benchmark runs, newest first.
    pub async fn benchmark_history(
        &self,
    ) -> Result<Vec<crate::domain::benchmark::BenchmarkReport>, ConfigError> {
        self.manager.uncached().benchmark_runs(20).await
    }

    pub async fn all_risk(&self) -> Result<Vec<RiskConfig>, ConfigError> {
        self.manager.uncached().all_risk().await
    }

    pub async fn settings(&self) -> Result<Vec<SystemSetting>, ConfigError> {
        self.manager.uncached().system_config().await
    }
}

async fn setting_bool(manager: &ConfigManager, key: &str) -> Result<Option<bool>, ConfigError> {
    match manager.setting(key).await {
        Ok(s) => Ok(s.value.as_bool()),
        Err(ConfigError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
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

fn typed<T>(setting: &SystemSetting, value: Option<T>, expected: &str) -> Result<T, ConfigError> {
    value.ok_or_else(|| ConfigError::invalid(setting.key.clone(), format!("must be {expected}")))
}

/// Portfolio settings from the settings and the active pairs.
pub fn portfolio_from(
    settings: &[SystemSetting],
    pairs: &[TradingPair],
) -> Result<PortfolioSettings, ConfigError> {
    let balance = required(settings, "total_portfolio_balance")?;
    let total_balance = typed(balance, balance.value.as_decimal(), "a number")?;
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
        max_concurrent_positions: typed(positions, positions.value.as_i64(), "a whole number")?,
        paper_trading: typed(paper, paper.value.as_bool(), "true or false")?,
        emergency_stop_enabled: typed(stop, stop.value.as_bool(), "true or false")?,
        emergency_stop_loss_percent: typed(stop_loss, stop_loss.value.as_decimal(), "a number")?,
    })
}
