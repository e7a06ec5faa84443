//! What the console's pages and the CLI read (fresh, so a form shows the current version)
//! and write (parsed from what an operator typed).

use super::ConfigService;
use crate::domain::bulk::{plan_edit, BulkEdit, PairRows};
use crate::domain::copy::{plan_target, CopyPlan};
use crate::domain::forms::{PairStrategyForm, SettingsForm};
use crate::domain::pair::{PairForm, Symbol, TradingPair};
use crate::domain::pair_list::PairQuery;
use crate::domain::pause::PauseRequest;
use crate::domain::risk::{RiskConfig, RiskForm};
use crate::domain::strategy::{parse_weight, PairStrategy, Strategy};
use crate::domain::system::{NewSetting, SystemSetting};
use crate::domain::ConfigError;

impl ConfigService {
    /// Every pair, active or not, read fresh.
    pub async fn all_pairs(&self) -> Result<Vec<TradingPair>, ConfigError> {
        self.manager.uncached().all_pairs().await
    }

    /// One pair, read fresh (an edit form must show the current version).
    pub async fn pair(&self, symbol: &Symbol) -> Result<TradingPair, ConfigError> {
        self.manager.uncached().pair(symbol).await
    }

    pub async fn set_pair_active(
        &self,
        symbol: &Symbol,
        active: bool,
    ) -> Result<TradingPair, ConfigError> {
        self.manager.set_pair_active(symbol, active).await
    }

    /// What copying `from`'s risk and/or strategies to `to` would change, pair by pair.
    pub async fn plan_copy(
        &self,
        from: &Symbol,
        to: &[Symbol],
        risk: bool,
        strategies: bool,
    ) -> Result<CopyPlan, ConfigError> {
        if !risk && !strategies {
            return Err(ConfigError::invalid(
                "what",
                "copy the risk, the strategies or both",
            ));
        }
        if to.is_empty() {
            return Err(ConfigError::invalid(
                "to",
                "name at least one pair to copy to",
            ));
        }
        if to.contains(from) {
            return Err(ConfigError::invalid(
                "to",
                format!("{from} is the pair copied from"),
            ));
        }
        let source = (self.risk(from).await?, self.pair_strategy_rows(from).await?);
        let mut targets = Vec::with_capacity(to.len());
        for symbol in to {
            let target = (
                self.risk(symbol).await?,
                self.pair_strategy_rows(symbol).await?,
            );
            targets.push(plan_target(
                (&source.0, &source.1),
                (&target.0, &target.1),
                risk,
                strategies,
            ));
        }
        Ok(CopyPlan {
            from: Some(from.clone()),
            targets,
        })
    }

    /// What `edit` would change on each of `symbols` (every one must exist), read in three
    /// queries whatever their number. A pair the edit cannot apply to refuses the whole.
    pub async fn plan_bulk(
        &self,
        symbols: &[Symbol],
        edit: &BulkEdit,
    ) -> Result<CopyPlan, ConfigError> {
        if symbols.is_empty() {
            return Err(ConfigError::invalid("pairs", "select at least one pair"));
        }
        let rows = self.manager.uncached().snapshot_pairs().await?;
        let by_symbol = rows.strategies_by_symbol();
        let now = chrono::Utc::now();
        let mut targets = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            let pair = rows.pairs.iter().find(|p| p.symbol == *symbol);
            let risk = rows.risks.iter().find(|r| r.symbol == *symbol);
            let (Some(pair), Some(risk)) = (pair, risk) else {
                return Err(ConfigError::NotFound(format!("pair {symbol}")));
            };
            let strategies = by_symbol
                .get(symbol.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let plan = plan_edit(
                edit,
                &PairRows {
                    pair,
                    risk,
                    strategies,
                },
                now,
            )?;
            targets.push(plan);
        }
        Ok(CopyPlan {
            from: None,
            targets,
        })
    }

    /// The pairs a Pairs-list filter selects ("select all matching"), in its order.
    pub async fn pairs_matching(&self, query: &PairQuery) -> Result<Vec<Symbol>, ConfigError> {
        let pairs = self.all_pairs().await?;
        Ok(query
            .matching(&pairs, chrono::Utc::now())
            .into_iter()
            .map(|p| p.symbol)
            .collect())
    }

    /// Applies `plan` (see `plan_copy`), refused whole if any row changed since.
    pub async fn apply_plan(&self, plan: &CopyPlan) -> Result<(), ConfigError> {
        self.manager.apply_plan(plan).await
    }

    /// Pauses a pair as `request` asks, from now.
    pub async fn pause_pair(
        &self,
        symbol: &Symbol,
        request: &PauseRequest,
    ) -> Result<TradingPair, ConfigError> {
        let pause = request.parse(chrono::Utc::now())?;
        self.manager
            .set_pair_pause(symbol, Some(&pause), None)
            .await
    }

    /// Ends a pair's pause now (a pair that is not paused stays as it is).
    pub async fn resume_pair(
        &self,
        symbol: &Symbol,
        reason: Option<&str>,
    ) -> Result<TradingPair, ConfigError> {
        // Nothing to record for a pair that is not paused (an ended pause is over already).
        let pair = self.pair(symbol).await?;
        if pair.pause.is_none() {
            return Ok(pair);
        }
        self.manager.set_pair_pause(symbol, None, reason).await
    }

    pub async fn create_pair(&self, form: &PairForm) -> Result<TradingPair, ConfigError> {
        let (symbol, settings) = form.parse_new()?;
        self.manager.create_pair(&symbol, settings).await
    }

    pub async fn update_pair(
        &self,
        symbol: &Symbol,
        form: &PairForm,
        version: i32,
    ) -> Result<TradingPair, ConfigError> {
        let settings = form.parse_settings()?;
        self.manager.update_pair(symbol, settings, version).await
    }

    pub async fn risk(&self, symbol: &Symbol) -> Result<RiskConfig, ConfigError> {
        self.manager.uncached().pair_risk(symbol).await
    }

    pub async fn update_risk(
        &self,
        symbol: &Symbol,
        form: &RiskForm,
    ) -> Result<RiskConfig, ConfigError> {
        let settings = form.parse()?;
        self.manager
            .update_risk(symbol, settings, form.version)
            .await
    }

    pub async fn strategies(&self) -> Result<Vec<Strategy>, ConfigError> {
        self.manager.uncached().strategies().await
    }

    pub async fn pair_strategy_rows(
        &self,
        symbol: &Symbol,
    ) -> Result<Vec<PairStrategy>, ConfigError> {
        self.manager.uncached().all_pair_strategies(symbol).await
    }

    /// Saves a pair's use of a strategy from what the operator typed.
    pub async fn save_pair_strategy(
        &self,
        symbol: &Symbol,
        strategy: &str,
        form: &PairStrategyForm,
    ) -> Result<PairStrategy, ConfigError> {
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
            .update_pair_strategy(symbol, strategy, enabled, weight, &params, version)
            .await
    }

    /// Saves a group of settings from what the operator typed, parsed once against the
    /// settings as they are (see `SettingsForm::parse`), in one transaction.
    pub async fn save_settings(
        &self,
        form: &SettingsForm,
    ) -> Result<Vec<SystemSetting>, ConfigError> {
        let current = self.manager.uncached().system_config().await?;
        let changes = form.parse(&current)?;
        Ok(self
            .manager
            .set_settings(&changes)
            .await?
            .into_iter()
            .map(SystemSetting::redacted)
            .collect())
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
        crate::benchmark::run_on(&self.manager, None, &options, |_, _| {}).await
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

    /// Every setting as people may see it: secrets without their values.
    pub async fn settings(&self) -> Result<Vec<SystemSetting>, ConfigError> {
        Ok(self
            .manager
            .uncached()
            .system_config()
            .await?
            .into_iter()
            .map(SystemSetting::redacted)
            .collect())
    }

    /// Sets one setting from text, checked against its type and rules.
    pub async fn set_setting(&self, key: &str, input: &str) -> Result<SystemSetting, ConfigError> {
        Ok(self.manager.set_setting(key, input, None).await?.redacted())
    }

    /// Sets one setting if it is still at `version`.
    pub async fn set_setting_at(
        &self,
        key: &str,
        input: &str,
        version: i32,
    ) -> Result<SystemSetting, ConfigError> {
        Ok(self
            .manager
            .set_setting(key, input, Some(version))
            .await?
            .redacted())
    }

    /// Makes an existing setting secret: from now on it is shown, exported and recorded
    /// only as "set", and its earlier values leave the history.
    pub async fn make_setting_secret(&self, key: &str) -> Result<SystemSetting, ConfigError> {
        Ok(self
            .manager
            .make_setting_secret(key, None)
            .await?
            .redacted())
    }

    /// Creates a setting, or sets it when it exists (of the same type); a secret one
    /// (`new.is_secret`) makes an existing setting secret too.
    pub async fn create_or_set_setting(
        &self,
        new: &NewSetting,
        input: &str,
    ) -> Result<SystemSetting, ConfigError> {
        match self.manager.uncached().setting(&new.key).await {
            Ok(existing) if existing.value_type != new.value_type => Err(ConfigError::invalid(
                new.key.clone(),
                format!(
                    "is a {} setting, not {}",
                    existing.value_type.as_str(),
                    new.value_type.as_str()
                ),
            )),
            Ok(existing) if new.is_secret && !existing.is_secret => Ok(self
                .manager
                .make_setting_secret(&new.key, Some(input))
                .await?
                .redacted()),
            Ok(_) => self.set_setting(&new.key, input).await,
            Err(ConfigError::NotFound(_)) => {
                Ok(self.manager.create_setting(new, input).await?.redacted())
            }
            Err(other) => Err(other),
        }
    }
}
