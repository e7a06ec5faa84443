//! The writes that keep the cache honest. Each validates with the domain rules, writes in
//! one transaction (whose triggers notify every instance), then invalidates here before
//! returning, so the caller's next read sees its own write.

use super::keys::{affected_keys, Change};
use super::manager::ConfigManager;
use crate::domain::copy::CopyPlan;
use crate::domain::forms::SettingChange;
use crate::domain::history::Source;
use crate::domain::pair::{PairSettings, Symbol, TradingPair};
use crate::domain::pause::Pause;
use crate::domain::risk::{RiskConfig, RiskSettings};
use crate::domain::strategy::{check_weight, PairStrategy, ParamValues};
use crate::domain::system::{check_setting_key, parse_setting, NewSetting, SystemSetting};
use crate::domain::ConfigError;
use crate::store::{self, strategies::PairStrategyUpdate, UpdateOutcome};

impl ConfigManager {
    //
    // Each validates with the domain rules, writes in one transaction (whose triggers notify
    // other instances), then invalidates here before returning, so the caller's next read
    // sees its own write.

    /// Creates a pair (inactive strategies, default risk).
    pub async fn create_pair(
        &self,
        symbol: &Symbol,
        settings: PairSettings,
    ) -> Result<TradingPair, ConfigError> {
        let settings = settings.validate()?;
        let pair = self
            .db(store::pairs::create(self.writer(), symbol, &settings))
            .await
            .map_err(|e| match e {
                ConfigError::Conflict(_) => {
                    ConfigError::invalid("symbol", format!("{symbol} already exists"))
                }
                other => other,
            })?;
        self.apply_change(&Change::Pair {
            symbol: symbol.to_string(),
        })
        .await;
        Ok(pair)
    }

    /// Updates a pair's settings if nobody changed it since `expected_version`.
    pub async fn update_pair(
        &self,
        symbol: &Symbol,
        settings: PairSettings,
        expected_version: i32,
    ) -> Result<TradingPair, ConfigError> {
        let settings = settings.validate()?;
        let outcome = self
            .db(store::pairs::update(
                self.writer(),
                symbol,
                &settings,
                expected_version,
            ))
            .await?;
        self.finish_write(
            outcome,
            Change::Pair {
                symbol: symbol.to_string(),
            },
            || format!("pair {symbol}"),
        )
        .await
    }

    /// Activates or deactivates a pair.
    pub async fn set_pair_active(
        &self,
        symbol: &Symbol,
        active: bool,
    ) -> Result<TradingPair, ConfigError> {
        let pair = self
            .db(store::pairs::set_active(self.writer(), symbol, active))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("pair {symbol}")))?;
        self.apply_change(&Change::Pair {
            symbol: symbol.to_string(),
        })
        .await;
        Ok(pair)
    }

    /// Pauses a pair (`Some`) or resumes it (`None`). The history records the pause's
    /// reason (or `reason`, for a resume) as the change's reason.
    pub async fn set_pair_pause(
        &self,
        symbol: &Symbol,
        pause: Option<&Pause>,
        reason: Option<&str>,
    ) -> Result<TradingPair, ConfigError> {
        let reason = pause.map(|p| p.reason.as_str()).or(reason);
        let actor = match reason {
            Some(reason) => self.actor().clone().with_reason(reason),
            None => self.actor().clone(),
        };
        let writer = crate::store::Writer::new(self.pool(), &actor);
        let pair = self
            .db(store::pairs::set_pause(writer, symbol, pause))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("pair {symbol}")))?;
        self.apply_change(&Change::Pair {
            symbol: symbol.to_string(),
        })
        .await;
        Ok(pair)
    }

    /// Applies a copy of one pair's setup (see `domain::copy`): every target at the
    /// versions the plan read, in one transaction, or nothing.
    pub async fn apply_plan(&self, plan: &CopyPlan) -> Result<(), ConfigError> {
        let outcome = self.db(store::copy::apply(self.writer(), plan)).await?;
        if let store::copy::CopyOutcome::Stale(rows) = outcome {
            return Err(ConfigError::Conflict(format!(
                "nothing was applied: changed since the preview: {}",
                rows.join(", ")
            )));
        }
        for target in &plan.targets {
            let symbol = target.symbol.to_string();
            if target.active.is_some() || target.pause.is_some() {
                self.apply_change(&Change::Pair {
                    symbol: symbol.clone(),
                })
                .await;
            }
            if target.risk.is_some() {
                self.apply_change(&Change::PairRisk {
                    symbol: symbol.clone(),
                })
                .await;
            }
            for copy in &target.strategies {
                self.apply_change(&Change::PairStrategy {
                    symbol: symbol.clone(),
                    strategy: copy.strategy.clone(),
                })
                .await;
            }
        }
        Ok(())
    }

    /// Enables, disables or retunes a pair's strategy. Parameters are checked against the
    /// strategy's definitions; missing ones take their defaults.
    pub async fn update_pair_strategy(
        &self,
        symbol: &Symbol,
        strategy: &str,
        is_enabled: bool,
        weight: rust_decimal::Decimal,
        parameters: &ParamValues,
        expected_version: Option<i32>,
    ) -> Result<PairStrategy, ConfigError> {
        let definition = self
            .db(store::strategies::get(self.pool(), strategy))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("strategy {strategy}")))?;
        let weight = check_weight(weight)?;
        let parameters = definition.check_params(parameters)?;
        let update = PairStrategyUpdate {
            is_enabled,
            weight,
            parameters,
        };
        let outcome = self
            .db(store::strategies::upsert(
                self.writer(),
                symbol,
                strategy,
                &update,
                expected_version,
            ))
            .await?;
        let change = Change::PairStrategy {
            symbol: symbol.to_string(),
            strategy: strategy.to_owned(),
        };
        self.finish_write(outcome, change, || format!("pair {symbol}"))
            .await
    }

    /// Replaces a pair's risk settings if nobody changed them since `expected_version`.
    pub async fn update_risk(
        &self,
        symbol: &Symbol,
        settings: RiskSettings,
        expected_version: i32,
    ) -> Result<RiskConfig, ConfigError> {
        let settings = settings.validate()?;
        let outcome = self
            .db(store::risk::update(
                self.writer(),
                symbol,
                &settings,
                expected_version,
            ))
            .await?;
        self.finish_write(
            outcome,
            Change::PairRisk {
                symbol: symbol.to_string(),
            },
            || format!("pair {symbol}"),
        )
        .await
    }

    /// The stored setting `key`, to check a new value against its type.
    async fn existing_setting(&self, key: &str) -> Result<SystemSetting, ConfigError> {
        self.db(store::system::get(self.pool(), key))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("setting {key}")))
    }

    /// Finishes a write of one setting: invalidates it, or says why it was not written.
    async fn finish_setting_write(
        &self,
        outcome: UpdateOutcome<SystemSetting>,
        key: &str,
    ) -> Result<SystemSetting, ConfigError> {
        self.finish_write(
            outcome,
            Change::Setting {
                key: key.to_owned(),
            },
            || format!("setting {key}"),
        )
        .await
    }

    /// Sets a setting from text, checked against its type and rules.
    pub async fn set_setting(
        &self,
        key: &str,
        input: &str,
        expected_version: Option<i32>,
    ) -> Result<SystemSetting, ConfigError> {
        let current = self.existing_setting(key).await?;
        let value = parse_setting(key, current.value_type, input)?;
        let outcome = self
            .db(store::system::set(
                self.writer(),
                key,
                &value,
                expected_version,
            ))
            .await?;
        self.finish_setting_write(outcome, key).await
    }

    /// Makes an existing setting secret (its history redacted), with a new value from text
    /// when one is given.
    pub async fn make_setting_secret(
        &self,
        key: &str,
        input: Option<&str>,
    ) -> Result<SystemSetting, ConfigError> {
        let current = self.existing_setting(key).await?;
        let value = input
            .map(|input| parse_setting(key, current.value_type, input))
            .transpose()?;
        let outcome = self
            .db(store::system::make_secret(
                self.writer(),
                key,
                value.as_ref(),
            ))
            .await?;
        self.finish_setting_write(outcome, key).await
    }

    /// Creates a setting that does not exist yet, its value checked against its type.
    pub async fn create_setting(
        &self,
        new: &NewSetting,
        input: &str,
    ) -> Result<SystemSetting, ConfigError> {
        let key = new.key.as_str();
        check_setting_key(key)?;
        let value = parse_setting(key, new.value_type, input)?;
        let created = self
            .db(store::system::create(self.writer(), new, &value))
            .await
            .map_err(|e| match e {
                ConfigError::Conflict(_) => ConfigError::invalid(key.to_owned(), "already exists"),
                other => other,
            })?;
        self.apply_change(&Change::Setting {
            key: key.to_owned(),
        })
        .await;
        Ok(created)
    }

    /// Writes several parsed settings in one transaction; nothing is saved if any changed
    /// since its given version.
    pub async fn set_settings(
        &self,
        changes: &[SettingChange],
    ) -> Result<Vec<SystemSetting>, ConfigError> {
        let outcome = self
            .db(store::system::set_many(self.writer(), changes))
            .await?;
        let saved =
            match outcome {
                UpdateOutcome::Updated(saved) => saved,
                UpdateOutcome::Stale(_) => return Err(ConfigError::Conflict(
                    "these settings changed since you opened them; the current values are shown"
                        .into(),
                )),
                UpdateOutcome::NotFound => return Err(ConfigError::NotFound("setting".into())),
            };
        let mut matchers = Vec::new();
        for change in changes {
            matchers.extend(affected_keys(&Change::Setting {
                key: change.key.clone(),
            }));
        }
        self.invalidate(matchers).await;
        Ok(saved)
    }

    /// Applies a whole, already checked configuration document in one transaction, then
    /// drops everything (it may touch any key); returns how many rows changed. The
    /// operation timeout bounds each of its statements, not the whole import: a large one
    /// that keeps making progress is not an outage.
    pub async fn apply_document(
        &self,
        doc: &crate::domain::transfer::ConfigDocument,
        settings: &[(String, crate::domain::system::SettingValue)],
    ) -> Result<u64, ConfigError> {
        // An import is recorded as one, so that it can be reverted as a whole.
        let actor = self.actor().clone().with_source(Source::Import);
        let changed = store::transfer::apply(
            store::Writer::new(self.pool(), &actor),
            doc,
            settings,
            self.settings().operation_timeout,
        )
        .await?;
        self.apply_change(&Change::Everything).await;
        Ok(changed)
    }

    async fn finish_write<T>(
        &self,
        outcome: UpdateOutcome<T>,
        change: Change,
        what: impl FnOnce() -> String,
    ) -> Result<T, ConfigError> {
        match outcome {
            UpdateOutcome::Updated(value) => {
                self.apply_change(&change).await;
                Ok(value)
            }
            UpdateOutcome::Stale(_) => Err(ConfigError::Conflict(format!(
                "{} changed since you opened it; the current values are shown",
                what()
            ))),
            UpdateOutcome::NotFound => Err(ConfigError::NotFound(what())),
        }
    }

    /// Records a finished benchmark run, keeping the latest `keep`.
    pub async fn record_benchmark_run(
        &self,
        report: &crate::domain::benchmark::BenchmarkReport,
        keep: u32,
    ) -> Result<(), ConfigError> {
        self.db(store::benchmarks::insert(self.pool(), report, keep))
            .await
    }
}
