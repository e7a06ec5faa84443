//! The typed reads: what the cache serves, each a key, a value type and the query that
//! loads it on a miss.

use super::keys::KeyRef;
use super::manager::ConfigManager;
use super::value::CachedValue;
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use std::sync::Arc;
use std::time::Duration;

macro_rules! typed_read {
    ($self:ident, $key:expr, $variant:ident, $load:expr) => {{
        let entry = $self
            .read($key, None, || async {
                Ok(CachedValue::$variant(Arc::new($load.await?)))
            })
            .await?;
        match entry {
            CachedValue::$variant(v) => Ok(v),
            _ => Err(ConfigError::Internal(format!(
                "the cache held another type under {}",
                $key
            ))),
        }
    }};
}

impl ConfigManager {
    /// Every active system setting.
    pub async fn system_config(&self) -> Result<Arc<Vec<SystemSetting>>, ConfigError> {
        typed_read!(
            self,
            KeyRef::SystemConfig,
            SystemConfig,
            self.uncached().system_config()
        )
    }

    /// One active setting by key.
    pub async fn setting(&self, key: &str) -> Result<Arc<SystemSetting>, ConfigError> {
        typed_read!(
            self,
            KeyRef::Setting(key),
            Setting,
            self.uncached().setting(key)
        )
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
        typed_read!(
            self,
            KeyRef::TradingPairs,
            TradingPairs,
            self.uncached().active_pairs()
        )
    }

    /// One pair, active or not.
    pub async fn pair(&self, symbol: &Symbol) -> Result<Arc<TradingPair>, ConfigError> {
        typed_read!(
            self,
            KeyRef::PairConfig(symbol),
            Pair,
            self.uncached().pair(symbol)
        )
    }

    /// One pair's enabled strategies.
    pub async fn pair_strategies(
        &self,
        symbol: &Symbol,
    ) -> Result<Arc<Vec<PairStrategy>>, ConfigError> {
        typed_read!(
            self,
            KeyRef::PairStrategies(symbol),
            PairStrategies,
            self.uncached().pair_strategies(symbol)
        )
    }

    /// One pair's configuration of one strategy.
    pub async fn strategy_config(
        &self,
        symbol: &Symbol,
        strategy: &str,
    ) -> Result<Arc<PairStrategy>, ConfigError> {
        typed_read!(
            self,
            KeyRef::StrategyConfig(symbol, strategy),
            StrategyConfig,
            self.uncached().strategy_config(symbol, strategy)
        )
    }

    /// One pair's risk settings.
    pub async fn pair_risk(&self, symbol: &Symbol) -> Result<Arc<RiskConfig>, ConfigError> {
        typed_read!(
            self,
            KeyRef::PairRisk(symbol),
            PairRisk,
            self.uncached().pair_risk(symbol)
        )
    }

    /// A pair's complete trading configuration, as one cached read.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<Arc<TradingConfig>, ConfigError> {
        typed_read!(
            self,
            KeyRef::TradingConfig(symbol),
            TradingConfig,
            self.uncached().trading_config(symbol)
        )
    }

    /// Every active pair's trading configuration, as one cached read.
    pub async fn trading_configs(&self) -> Result<Arc<Vec<Arc<TradingConfig>>>, ConfigError> {
        typed_read!(self, KeyRef::TradingConfigs, TradingConfigs, async {
            let configs = self.uncached().trading_configs().await?;
            Ok::<_, ConfigError>(configs.into_iter().map(Arc::new).collect::<Vec<_>>())
        })
    }

    /// A read through the cache with a caller-chosen TTL for the entry it may create.
    pub async fn pair_risk_with_ttl(
        &self,
        symbol: &Symbol,
        ttl: Duration,
    ) -> Result<Arc<RiskConfig>, ConfigError> {
        let entry = self
            .read(KeyRef::PairRisk(symbol), Some(ttl), || async {
                Ok(CachedValue::PairRisk(Arc::new(
                    self.uncached().pair_risk(symbol).await?,
                )))
            })
            .await?;
        match entry {
            CachedValue::PairRisk(v) => Ok(v),
            _ => Err(ConfigError::Internal(
                "the cache held another type under pair_risk".into(),
            )),
        }
    }
}
