//! Reads straight from Postgres, composed into the values the cache holds. The manager loads
//! through this on a miss; callers that must bypass the cache use it directly.

use crate::domain::auth::LiveToken;
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use crate::store;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The uncached reader. Every method is one well-shaped query, except the aggregates, which
/// say how many they need.
#[derive(Clone)]
pub struct Source {
    pool: PgPool,
    queries: Arc<AtomicU64>,
}

fn not_found(what: impl std::fmt::Display) -> ConfigError {
    ConfigError::NotFound(what.to_string())
}

impl Source {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            queries: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    fn count(&self, n: u64) {
        self.queries.fetch_add(n, Ordering::Relaxed);
    }

    /// The grant of the live token with this SHA-256 (noting its use); `NotFound` for a
    /// token that is unknown, revoked or expired.
    pub async fn api_token(&self, token_hash: &str) -> Result<LiveToken, ConfigError> {
        self.count(1);
        store::accounts::use_token(&self.pool, token_hash)
            .await?
            .ok_or_else(|| not_found(format_args!("live API token")))
    }

    /// Every active system setting.
    pub async fn system_config(&self) -> Result<Vec<SystemSetting>, ConfigError> {
        self.count(1);
        Ok(store::system::list(&self.pool).await?)
    }

    /// One active setting.
    pub async fn setting(&self, key: &str) -> Result<SystemSetting, ConfigError> {
        self.count(1);
        store::system::get(&self.pool, key)
            .await?
            .ok_or_else(|| not_found(format_args!("setting {key}")))
    }

    /// The active pairs.
    pub async fn active_pairs(&self) -> Result<Vec<TradingPair>, ConfigError> {
        self.count(1);
        Ok(store::pairs::list_active(&self.pool).await?)
    }

    /// Every pair, active or not (for the console).
    pub async fn all_pairs(&self) -> Result<Vec<TradingPair>, ConfigError> {
        self.count(1);
        Ok(store::pairs::list(&self.pool).await?)
    }

    /// One pair.
    pub async fn pair(&self, symbol: &Symbol) -> Result<TradingPair, ConfigError> {
        self.count(1);
        store::pairs::get(&self.pool, symbol)
            .await?
            .ok_or_else(|| not_found(format_args!("pair {symbol}")))
    }

    /// One pair's enabled strategies. An unknown pair has none; use `pair` to tell the two apart.
    pub async fn pair_strategies(&self, symbol: &Symbol) -> Result<Vec<PairStrategy>, ConfigError> {
        Ok(self
            .all_pair_strategies(symbol)
            .await?
            .into_iter()
            .filter(|s| s.is_enabled)
            .collect())
    }

    /// One pair's strategies, disabled ones included.
    pub async fn all_pair_strategies(
        &self,
        symbol: &Symbol,
    ) -> Result<Vec<PairStrategy>, ConfigError> {
        self.count(1);
        Ok(store::strategies::for_pair(&self.pool, symbol).await?)
    }

    /// One pair's configuration of one strategy.
    pub async fn strategy_config(
        &self,
        symbol: &Symbol,
        strategy: &str,
    ) -> Result<PairStrategy, ConfigError> {
        self.count(1);
        store::strategies::for_pair_strategy(&self.pool, symbol, strategy)
            .await?
            .ok_or_else(|| not_found(format_args!("strategy {strategy} of pair {symbol}")))
    }

    /// One pair's risk settings.
    pub async fn pair_risk(&self, symbol: &Symbol) -> Result<RiskConfig, ConfigError> {
        self.count(1);
        store::risk::get(&self.pool, symbol)
            .await?
            .ok_or_else(|| not_found(format_args!("risk settings of pair {symbol}")))
    }

    /// Pair, enabled strategies and risk: three queries, sent concurrently.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<TradingConfig, ConfigError> {
        let (pair, strategies, risk) = tokio::try_join!(
            self.pair(symbol),
            self.pair_strategies(symbol),
            self.pair_risk(symbol)
        )
        // Whichever query noticed first, what is missing is the pair.
        .map_err(|e| match e {
            ConfigError::NotFound(_) => not_found(format_args!("pair {symbol}")),
            other => other,
        })?;
        Ok(TradingConfig::build(pair, &strategies, risk.settings))
    }

    /// Every active pair's trading config: three queries whatever the number of pairs.
    pub async fn trading_configs(&self) -> Result<Vec<TradingConfig>, ConfigError> {
        let snapshot = self.snapshot_pairs().await?;
        Ok(snapshot.trading_configs())
    }

    /// Pairs, all strategy rows and all risk rows in three queries (warming and aggregates).
    pub async fn snapshot_pairs(&self) -> Result<PairsSnapshot, ConfigError> {
        self.count(3);
        let (pairs, strategies, risks) = tokio::try_join!(
            store::pairs::list(&self.pool),
            store::strategies::list_all(&self.pool),
            store::risk::list(&self.pool),
        )?;
        Ok(PairsSnapshot {
            pairs,
            strategies,
            risks,
        })
    }
}

/// All pairs with their strategy rows and risk rows, read together.
pub struct PairsSnapshot {
    pub pairs: Vec<TradingPair>,
    pub strategies: Vec<PairStrategy>,
    pub risks: Vec<RiskConfig>,
}

impl PairsSnapshot {
    /// Strategy rows grouped by pair symbol.
    pub fn strategies_by_symbol(&self) -> HashMap<&str, Vec<PairStrategy>> {
        let mut by: HashMap<&str, Vec<PairStrategy>> = HashMap::new();
        for s in &self.strategies {
            by.entry(s.symbol.as_str()).or_default().push(s.clone());
        }
        by
    }

    /// Active pairs' trading configs, by symbol. A pair without a risk row is skipped: the
    /// schema creates one with every pair, so that only happens mid-deletion.
    pub fn trading_configs(&self) -> Vec<TradingConfig> {
        let strategies = self.strategies_by_symbol();
        let risks: HashMap<&str, &RiskConfig> =
            self.risks.iter().map(|r| (r.symbol.as_str(), r)).collect();
        self.pairs
            .iter()
            .filter(|p| p.is_active)
            .filter_map(|p| {
                let risk = risks.get(p.symbol.as_str())?;
                let rows = strategies
                    .get(p.symbol.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                Some(TradingConfig::build(p.clone(), rows, risk.settings.clone()))
            })
            .collect()
    }
}

impl Source {
    /// Every strategy definition.
    pub async fn strategies(&self) -> Result<Vec<crate::domain::strategy::Strategy>, ConfigError> {
        self.count(1);
        Ok(store::strategies::list(&self.pool).await?)
    }
}

impl Source {
    /// Every pair's risk settings, by symbol.
    pub async fn all_risk(&self) -> Result<Vec<RiskConfig>, ConfigError> {
        self.count(1);
        let mut risks = store::risk::list(&self.pool).await?;
        risks.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(risks)
    }
}

impl Source {
    /// The latest recorded benchmark runs, newest first.
    pub async fn benchmark_runs(
        &self,
        limit: i64,
    ) -> Result<Vec<crate::domain::benchmark::BenchmarkReport>, ConfigError> {
        self.count(1);
        Ok(store::benchmarks::latest(&self.pool, limit).await?)
    }
}
