//! The typed reads: what the cache serves, each listed once here as a key, a value type
//! and the query that loads it on a miss. Where a read goes (the cache, or the database
//! for a caller that asks) is the manager's (`reading_from`), so each read serves both.

use super::keys::KeyRef;
use super::manager::ConfigManager;
use super::value::{Cacheable, CachedValue};
use crate::domain::auth::LiveToken;
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

impl ConfigManager {
    /// The value under `key`, loaded by `load` on a miss (kept for `ttl`, or the cache's).
    async fn typed<T, F, Fut>(
        &self,
        key: KeyRef<'_>,
        ttl: Option<Duration>,
        load: F,
    ) -> Result<Arc<T>, ConfigError>
    where
        T: Cacheable,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ConfigError>>,
    {
        let value = self
            .read(key, ttl, || async {
                Ok(CachedValue::new(Arc::new(load().await?)))
            })
            .await?;
        value.into_typed::<T>().ok_or_else(|| {
            ConfigError::Internal(format!("the cache held another type under {key}"))
        })
    }

    /// The grant of the live API token with this SHA-256, cached like any entry: any change
    /// to the tokens table, here or anywhere, drops every cached grant (see
    /// `migrations/*_watch.sql`). An unknown, revoked or expired token is `NotFound` and not
    /// cached; a cached grant past its expiry is refused by the clock, without asking.
    pub async fn api_token(&self, token_hash: &str) -> Result<Arc<LiveToken>, ConfigError> {
        let grant: Arc<LiveToken> = self
            .typed(KeyRef::ApiToken(token_hash), None, || {
                self.uncached().api_token(token_hash)
            })
            .await?;
        if grant.is_live_at(chrono::Utc::now()) {
            Ok(grant)
        } else {
            Err(ConfigError::NotFound("live API token".into()))
        }
    }

    /// Every active system setting.
    pub async fn system_config(&self) -> Result<Arc<Vec<SystemSetting>>, ConfigError> {
        self.typed(KeyRef::SystemConfig, None, || {
            self.uncached().system_config()
        })
        .await
    }

    /// One active setting by key.
    pub async fn setting(&self, key: &str) -> Result<Arc<SystemSetting>, ConfigError> {
        self.typed(KeyRef::Setting(key), None, || self.uncached().setting(key))
            .await
    }

    /// A boolean setting; an error if the setting holds another type.
    ///
    /// ```no_run
    /// # async fn run(manager: botconfig::cache::ConfigManager) -> Result<(), botconfig::domain::ConfigError> {
    /// if manager.setting_bool("paper_trading").await? {
    ///     println!("simulating orders");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn setting_bool(&self, key: &str) -> Result<bool, ConfigError> {
        self.setting(key).await?.bool()
    }

    /// A whole-number setting; an error if the setting holds another type.
    pub async fn setting_i64(&self, key: &str) -> Result<i64, ConfigError> {
        self.setting(key).await?.integer()
    }

    /// A numeric setting (whole or decimal) as a `Decimal`.
    pub async fn setting_decimal(&self, key: &str) -> Result<rust_decimal::Decimal, ConfigError> {
        self.setting(key).await?.decimal()
    }

    /// A text setting.
    pub async fn setting_string(&self, key: &str) -> Result<String, ConfigError> {
        self.setting(key).await?.text().map(str::to_owned)
    }

    /// The active pairs.
    pub async fn active_pairs(&self) -> Result<Arc<Vec<TradingPair>>, ConfigError> {
        self.typed(KeyRef::TradingPairs, None, || {
            self.uncached().active_pairs()
        })
        .await
    }

    /// Every pair, active or not.
    pub async fn all_pairs(&self) -> Result<Arc<Vec<TradingPair>>, ConfigError> {
        self.typed(KeyRef::AllPairs, None, || self.uncached().all_pairs())
            .await
    }

    /// One pair, active or not.
    pub async fn pair(&self, symbol: &Symbol) -> Result<Arc<TradingPair>, ConfigError> {
        self.typed(KeyRef::PairConfig(symbol), None, || {
            self.uncached().pair(symbol)
        })
        .await
    }

    /// One pair's enabled strategies.
    pub async fn pair_strategies(
        &self,
        symbol: &Symbol,
    ) -> Result<Arc<Vec<PairStrategy>>, ConfigError> {
        self.typed(KeyRef::PairStrategies(symbol), None, || {
            self.uncached().pair_strategies(symbol)
        })
        .await
    }

    /// One pair's configuration of one strategy.
    pub async fn strategy_config(
        &self,
        symbol: &Symbol,
        strategy: &str,
    ) -> Result<Arc<PairStrategy>, ConfigError> {
        self.typed(KeyRef::StrategyConfig(symbol, strategy), None, || {
            self.uncached().strategy_config(symbol, strategy)
        })
        .await
    }

    /// One pair's risk settings.
    pub async fn pair_risk(&self, symbol: &Symbol) -> Result<Arc<RiskConfig>, ConfigError> {
        self.typed(KeyRef::PairRisk(symbol), None, || {
            self.uncached().pair_risk(symbol)
        })
        .await
    }

    /// A pair's complete trading configuration, as one cached read, built from the cached
    /// pair, strategies and risk: after an edit to one of them only that one is read
    /// again (one query, not three, on every server hearing the edit). Every change that
    /// drops this entry drops the part it changed too (`keys::affected_keys`), so a part
    /// still cached is current.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<Arc<TradingConfig>, ConfigError> {
        self.typed(KeyRef::TradingConfig(symbol), None, || async {
            let (pair, strategies, risk) = tokio::try_join!(
                self.pair(symbol),
                self.pair_strategies(symbol),
                self.pair_risk(symbol)
            )
            // Whichever read noticed first, what is missing is the pair.
            .map_err(|e| match e {
                ConfigError::NotFound(_) => ConfigError::NotFound(format!("pair {symbol}")),
                other => other,
            })?;
            Ok(TradingConfig::build(
                TradingPair::clone(&pair),
                &strategies,
                risk.settings.clone(),
            ))
        })
        .await
    }

    /// Every active pair's trading configuration, as one cached read.
    pub async fn trading_configs(&self) -> Result<Arc<Vec<Arc<TradingConfig>>>, ConfigError> {
        self.typed(KeyRef::TradingConfigs, None, || async {
            let configs = self.uncached().trading_configs().await?;
            Ok(configs.into_iter().map(Arc::new).collect::<Vec<_>>())
        })
        .await
    }

    /// A read through the cache with a caller-chosen TTL for the entry it may create.
    pub async fn pair_risk_with_ttl(
        &self,
        symbol: &Symbol,
        ttl: Duration,
    ) -> Result<Arc<RiskConfig>, ConfigError> {
        self.typed(KeyRef::PairRisk(symbol), Some(ttl), || {
            self.uncached().pair_risk(symbol)
        })
        .await
    }
}
