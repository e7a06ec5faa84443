//! The naive design measured against: the original tool's cache written in Rust.

use crate::cache::Source;
use crate::domain::pair::TradingPair;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The original tool's cache in Rust: one lock around a map of string keys, a TTL check on
/// every read, keys formatted per read.
pub struct NaiveCache {
    ttl: Duration,
    map: RwLock<HashMap<String, (Instant, NaiveValue)>>,
}

#[derive(Clone)]
pub enum NaiveValue {
    Settings(Arc<Vec<SystemSetting>>),
    Pairs(Arc<Vec<TradingPair>>),
    Strategies(Arc<Vec<PairStrategy>>),
    Risk(Arc<crate::domain::risk::RiskConfig>),
    Trading(Arc<TradingConfig>),
}

impl NaiveCache {
    /// Filled from one snapshot of the database, as a warm would.
    pub async fn load(source: &Source, ttl: Duration) -> Result<NaiveCache, ConfigError> {
        let settings = source.system_config().await?;
        let snapshot = source.snapshot_pairs().await?;
        let now = Instant::now();
        let mut map = HashMap::new();
        map.insert(
            "system_config".to_owned(),
            (now, NaiveValue::Settings(Arc::new(settings))),
        );
        let active: Vec<TradingPair> = snapshot
            .pairs
            .iter()
            .filter(|p| p.is_active)
            .cloned()
            .collect();
        map.insert(
            "trading_pairs".to_owned(),
            (now, NaiveValue::Pairs(Arc::new(active))),
        );
        let by_symbol = snapshot.strategies_by_symbol();
        for pair in &snapshot.pairs {
            let enabled: Vec<PairStrategy> = by_symbol
                .get(pair.symbol.as_str())
                .map(|rows| rows.iter().filter(|s| s.is_enabled).cloned().collect())
                .unwrap_or_default();
            map.insert(
                format!("pair_strategies:{}", pair.symbol),
                (now, NaiveValue::Strategies(Arc::new(enabled))),
            );
        }
        for risk in &snapshot.risks {
            map.insert(
                format!("pair_risk:{}", risk.symbol),
                (now, NaiveValue::Risk(Arc::new(risk.clone()))),
            );
        }
        for config in snapshot.trading_configs() {
            map.insert(
                format!("trading_config:{}", config.pair.symbol),
                (now, NaiveValue::Trading(Arc::new(config))),
            );
        }
        Ok(NaiveCache {
            ttl,
            map: RwLock::new(map),
        })
    }

    pub fn get(&self, key: &str) -> Option<NaiveValue> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let (at, value) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }
}
