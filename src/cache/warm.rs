//! Warming: everything bots read, loaded in a bounded number of queries.

use super::keys::CacheKey;
use super::manager::ConfigManager;
use super::value::CachedValue;
use crate::domain::pair::TradingPair;
use crate::domain::stats::WarmReport;
use crate::domain::strategy::PairStrategy;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

impl ConfigManager {
    /// Loads everything bots read, in a bounded number of queries whatever the number of
    /// pairs: settings (1), pairs, strategy rows and risk rows (3).
    pub async fn warm(&self) -> Result<WarmReport, ConfigError> {
        self.warm_now()
            .instrument(tracing::info_span!("cache_warm"))
            .await
    }

    async fn warm_now(&self) -> Result<WarmReport, ConfigError> {
        let source = self.uncached();
        let started = Instant::now();
        let queries_before = source.queries();
        let epoch = self.invalidation_epoch();
        let (settings, snapshot) = self
            .timed(async { tokio::try_join!(source.system_config(), source.snapshot_pairs()) })
            .await?;
        let mut entries: Vec<(CacheKey, CachedValue)> = Vec::new();
        for s in &settings {
            entries.push((
                CacheKey::Setting(s.key.as_str().into()),
                CachedValue::new(Arc::new(s.clone())),
            ));
        }
        entries.push((CacheKey::SystemConfig, CachedValue::new(Arc::new(settings))));
        let active: Vec<TradingPair> = snapshot
            .pairs
            .iter()
            .filter(|p| p.is_active)
            .cloned()
            .collect();
        entries.push((CacheKey::TradingPairs, CachedValue::new(Arc::new(active))));
        let mut strategies = snapshot.strategies_by_symbol();
        for pair in &snapshot.pairs {
            let rows = strategies.remove(pair.symbol.as_str()).unwrap_or_default();
            for row in &rows {
                entries.push((
                    CacheKey::StrategyConfig(pair.symbol.clone(), row.strategy.as_str().into()),
                    CachedValue::new(Arc::new(row.clone())),
                ));
            }
            let enabled: Vec<PairStrategy> = rows.into_iter().filter(|s| s.is_enabled).collect();
            entries.push((
                CacheKey::PairStrategies(pair.symbol.clone()),
                CachedValue::new(Arc::new(enabled)),
            ));
            entries.push((
                CacheKey::PairConfig(pair.symbol.clone()),
                CachedValue::new(Arc::new(pair.clone())),
            ));
        }
        for risk in &snapshot.risks {
            entries.push((
                CacheKey::PairRisk(risk.symbol.clone()),
                CachedValue::new(Arc::new(risk.clone())),
            ));
        }
        let configs: Vec<Arc<TradingConfig>> = snapshot
            .trading_configs()
            .into_iter()
            .map(Arc::new)
            .collect();
        for config in &configs {
            entries.push((
                CacheKey::TradingConfig(config.pair.symbol.clone()),
                CachedValue::new(config.clone()),
            ));
        }
        entries.push((
            CacheKey::TradingConfigs,
            CachedValue::new(Arc::new(configs)),
        ));
        let count = entries.len() as u64;
        self.insert_loaded(epoch, entries).await;
        let elapsed = started.elapsed();
        let millis = elapsed.as_millis() as u64;
        *self
            .counters()
            .last_warm_at
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((Utc::now(), millis));
        let report = WarmReport {
            entries: count,
            pairs: snapshot.pairs.len() as u64,
            queries: source.queries() - queries_before,
            millis,
            micros: elapsed.as_micros() as u64,
        };
        tracing::info!(
            entries = report.entries,
            pairs = report.pairs,
            millis = report.millis,
            "cache warmed"
        );
        Ok(report)
    }
}
