//! What the cache holds: typed, shared values, the entry around each (its epoch, expiry and
//! weight), and the expiry policy moka applies to entries.

use super::keys::CacheKey;
use super::weight::HeapSize;
use crate::domain::pair::TradingPair;
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use moka::Expiry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A cached value, typed and shared: a hit clones an `Arc`, never the data.
#[derive(Debug, Clone)]
pub enum CachedValue {
    SystemConfig(Arc<Vec<SystemSetting>>),
    Setting(Arc<SystemSetting>),
    TradingPairs(Arc<Vec<TradingPair>>),
    Pair(Arc<TradingPair>),
    PairStrategies(Arc<Vec<PairStrategy>>),
    StrategyConfig(Arc<PairStrategy>),
    PairRisk(Arc<RiskConfig>),
    TradingConfig(Arc<TradingConfig>),
    TradingConfigs(Arc<Vec<Arc<TradingConfig>>>),
}

impl CachedValue {
    /// A copy in fresh allocations, for one thread's front (see `front`).
    pub(crate) fn private_copy(&self) -> CachedValue {
        match self {
            CachedValue::SystemConfig(v) => CachedValue::SystemConfig(Arc::new((**v).clone())),
            CachedValue::Setting(v) => CachedValue::Setting(Arc::new((**v).clone())),
            CachedValue::TradingPairs(v) => CachedValue::TradingPairs(Arc::new((**v).clone())),
            CachedValue::Pair(v) => CachedValue::Pair(Arc::new((**v).clone())),
            CachedValue::PairStrategies(v) => CachedValue::PairStrategies(Arc::new((**v).clone())),
            CachedValue::StrategyConfig(v) => CachedValue::StrategyConfig(Arc::new((**v).clone())),
            CachedValue::PairRisk(v) => CachedValue::PairRisk(Arc::new((**v).clone())),
            CachedValue::TradingConfig(v) => CachedValue::TradingConfig(Arc::new((**v).clone())),
            CachedValue::TradingConfigs(v) => CachedValue::TradingConfigs(Arc::new(
                v.iter().map(|c| Arc::new((**c).clone())).collect(),
            )),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            CachedValue::SystemConfig(v) => v.total_size(),
            CachedValue::Setting(v) => v.total_size(),
            CachedValue::TradingPairs(v) => v.total_size(),
            CachedValue::Pair(v) => v.total_size(),
            CachedValue::PairStrategies(v) => v.total_size(),
            CachedValue::StrategyConfig(v) => v.total_size(),
            CachedValue::PairRisk(v) => v.total_size(),
            CachedValue::TradingConfig(v) => v.total_size(),
            // The configs themselves are shared with the `trading_config:*` entries, but
            // may outlive them: count them here too.
            CachedValue::TradingConfigs(v) => v.total_size(),
        }
    }
}

/// One cache entry.
#[derive(Debug)]
pub struct Entry {
    pub(crate) value: CachedValue,
    /// The invalidation epoch read before this value's load began.
    pub(crate) loaded_epoch: u64,
    /// The latest epoch at which no invalidation since `loaded_epoch` matched this key.
    pub(crate) verified_epoch: AtomicU64,
    pub(crate) expires_at: Instant,
    pub(crate) bytes: u32,
}

impl Entry {
    pub(crate) fn new(
        value: CachedValue,
        loaded_epoch: u64,
        ttl: Duration,
        key: &CacheKey,
    ) -> Self {
        let bytes = value.bytes()
            + std::mem::size_of::<Entry>()
            + std::mem::size_of::<CacheKey>()
            + key.to_string().len();
        Entry {
            value,
            loaded_epoch,
            verified_epoch: AtomicU64::new(loaded_epoch),
            expires_at: Instant::now() + ttl,
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
        }
    }
}

pub(crate) struct EntryExpiry;

impl Expiry<CacheKey, Arc<Entry>> for EntryExpiry {
    fn expire_after_create(
        &self,
        _: &CacheKey,
        value: &Arc<Entry>,
        _: Instant,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(Instant::now()))
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        value: &Arc<Entry>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(Instant::now()))
    }
}
