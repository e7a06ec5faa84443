//! `ConfigManager`: typed, cached reads of the configuration and the writes that keep the
//! cache honest.
//!
//! Layers of one read: the thread's front map (see `front`), then moka, then a single-flight
//! load from Postgres through `Source`. Every entry records the *invalidation epoch* at
//! which its load began; an entry whose load began before an invalidation that matches its
//! key is refused and reloaded, so a slow load can never put a value older than a committed
//! write back into the cache (the load-versus-invalidate race).

use super::freshness::Freshness;
use super::front::{self, CounterRegistry};
use super::keys::{affected_keys, CacheKey, Change, KeyMatch, KeyRef, Pattern};
use super::source::Source;
use super::weight::HeapSize;
use crate::domain::pair::{PairSettings, Symbol, TradingPair};
use crate::domain::risk::{RiskConfig, RiskSettings};
use crate::domain::stats::{CacheStats, WarmReport};
use crate::domain::strategy::{check_weight, PairStrategy, ParamValues};
use crate::domain::system::{parse_setting, SystemSetting};
use crate::domain::trading::{percent_of, TradingConfig};
use crate::domain::ConfigError;
use crate::store::pairs::UpdateOutcome;
use crate::store::{self, strategies::PairStrategyUpdate};
use chrono::Utc;
use moka::notification::RemovalCause;
use moka::Expiry;
use sqlx::PgPool;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How the cache behaves; read from the environment by `Settings`.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub ttl: Duration,
    pub max_bytes: u64,
    pub warm_on_start: bool,
    /// Zero turns the background warm off.
    pub warm_interval: Duration,
    /// The staleness bound, enforced once the manager listens (see `freshness`).
    pub max_staleness: Duration,
    /// How often the listener proves its connection alive and confirms the revision.
    pub heartbeat_interval: Duration,
    /// The longest one database operation (a load, a write, a confirmation) may take.
    pub operation_timeout: Duration,
    /// The longest opening the listener's connection may take.
    pub connect_timeout: Duration,
    /// How many benchmark runs are kept.
    pub benchmark_runs_kept: u32,
}

impl Default for CacheSettings {
    /// The defaults `Settings` documents (and the CLI's flags show).
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_bytes: 64 * 1024 * 1024,
            warm_on_start: true,
            warm_interval: Duration::from_secs(3600),
            max_staleness: Duration::from_secs(5),
            heartbeat_interval: Duration::from_secs(1),
            operation_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            benchmark_runs_kept: 100,
        }
    }
}

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
    loaded_epoch: u64,
    /// The latest epoch at which no invalidation since `loaded_epoch` matched this key.
    verified_epoch: AtomicU64,
    pub(crate) expires_at: Instant,
    bytes: u32,
}

impl Entry {
    fn new(value: CachedValue, loaded_epoch: u64, ttl: Duration, key: &CacheKey) -> Self {
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

struct EntryExpiry;

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

/// Recent invalidations, so an entry loaded before one of them can be recognised.
struct InvalidationLog {
    records: VecDeque<(u64, Vec<KeyMatch>)>,
}

const LOG_CAPACITY: usize = 4096;

/// Loads of one read that a write may overtake before the read answers uncached.
const STALE_LOAD_ROUNDS: usize = 4;

#[derive(Default)]
struct Counters {
    misses: AtomicU64,
    loads: AtomicU64,
    load_failures: AtomicU64,
    load_nanos: AtomicU64,
    evicted_expired: AtomicU64,
    evicted_size: AtomicU64,
    evicted_explicit: AtomicU64,
    invalidations: AtomicU64,
    /// Reads answered with a freshly loaded value that writes kept invalidating.
    uncached_answers: AtomicU64,
    last_warm_at: Mutex<Option<(chrono::DateTime<Utc>, u64)>>,
    listener_connected: AtomicBool,
    listener_reconnects: AtomicU64,
}

struct Inner {
    id: u64,
    freshness: Freshness,
    source: Source,
    settings: CacheSettings,
    cache: moka::future::Cache<CacheKey, Arc<Entry>>,
    invalidation_epoch: AtomicU64,
    front_epoch: Arc<AtomicU64>,
    log: Mutex<InvalidationLog>,
    hits: CounterRegistry,
    counters: Arc<Counters>,
}

/// The cached configuration. Cheap to clone; clones share one cache.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> Result<(), botconfig::domain::ConfigError> {
/// use botconfig::cache::{CacheSettings, ConfigManager};
/// use botconfig::domain::pair::Symbol;
/// let manager = ConfigManager::new(pool, CacheSettings::default());
/// let risk = manager.pair_risk(&Symbol::parse("BTC/USDT").unwrap()).await?;
/// println!("stop loss {}%", risk.settings.stop_loss_percent);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConfigManager {
    inner: Arc<Inner>,
}

static NEXT_MANAGER_ID: AtomicU64 = AtomicU64::new(1);

fn wrong_type(setting: &SystemSetting, expected: &str) -> ConfigError {
    ConfigError::invalid(
        setting.key.clone(),
        format!(
            "holds {} values, not {expected}",
            setting.value_type.as_str()
        ),
    )
}

macro_rules! typed_read {
    ($self:ident, $key:expr, $variant:ident, $load:expr) => {{
        let entry = $self
            .read($key, None, || async {
                Ok(CachedValue::$variant(Arc::new($load.await?)))
            })
            .await?;
        match entry {
            CachedValue::$variant(v) => Ok(v),
            _ => Err(ConfigError::Unavailable(format!(
                "cache held another type under {}",
                $key
            ))),
        }
    }};
}

impl ConfigManager {
    /// A manager over `pool`. Call [`ConfigManager::listen`] to hear other instances' writes.
    pub fn new(pool: PgPool, settings: CacheSettings) -> Self {
        let counters = Arc::new(Counters::default());
        let front_epoch = Arc::new(AtomicU64::new(0));
        let listener_counters = counters.clone();
        let listener_epoch = front_epoch.clone();
        let cache = moka::future::Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(|_: &CacheKey, entry: &Arc<Entry>| entry.bytes)
            .expire_after(EntryExpiry)
            .eviction_listener(move |_key, _value, cause| {
                let counter = match cause {
                    RemovalCause::Expired => &listener_counters.evicted_expired,
                    RemovalCause::Size => {
                        // Threads' fronts may still hold the evicted entry: make them drop it.
                        listener_epoch.fetch_add(1, Ordering::AcqRel);
                        &listener_counters.evicted_size
                    }
                    RemovalCause::Explicit => &listener_counters.evicted_explicit,
                    RemovalCause::Replaced => return,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            })
            .build();
        ConfigManager {
            inner: Arc::new(Inner {
                id: NEXT_MANAGER_ID.fetch_add(1, Ordering::Relaxed),
                freshness: Freshness::new(settings.max_staleness),
                source: Source::new(pool),
                settings,
                cache,
                invalidation_epoch: AtomicU64::new(0),
                front_epoch,
                log: Mutex::new(InvalidationLog {
                    records: VecDeque::new(),
                }),
                hits: CounterRegistry::default(),
                counters,
            }),
        }
    }

    /// The uncached reader: every call goes to Postgres and leaves the cache alone.
    pub fn uncached(&self) -> &Source {
        &self.inner.source
    }

    pub(crate) fn freshness(&self) -> &Freshness {
        &self.inner.freshness
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.inner.settings
    }

    pub fn pool(&self) -> &PgPool {
        self.inner.source.pool()
    }

    // ---- reads -------------------------------------------------------------------------

    /// Every active system setting.
    pub async fn system_config(&self) -> Result<Arc<Vec<SystemSetting>>, ConfigError> {
        typed_read!(
            self,
            KeyRef::SystemConfig,
            SystemConfig,
            self.inner.source.system_config()
        )
    }

    /// One active setting by key.
    pub async fn setting(&self, key: &str) -> Result<Arc<SystemSetting>, ConfigError> {
        typed_read!(
            self,
            KeyRef::Setting(key),
            Setting,
            self.inner.source.setting(key)
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
        let setting = self.setting(key).await?;
        setting
            .value
            .as_bool()
            .ok_or_else(|| wrong_type(&setting, "true or false"))
    }

    /// A whole-number setting; an error if the setting holds another type.
    pub async fn setting_i64(&self, key: &str) -> Result<i64, ConfigError> {
        let setting = self.setting(key).await?;
        setting
            .value
            .as_i64()
            .ok_or_else(|| wrong_type(&setting, "a whole number"))
    }

    /// A numeric setting (whole or decimal) as a `Decimal`.
    pub async fn setting_decimal(&self, key: &str) -> Result<rust_decimal::Decimal, ConfigError> {
        let setting = self.setting(key).await?;
        setting
            .value
            .as_decimal()
            .ok_or_else(|| wrong_type(&setting, "a number"))
    }

    /// A text setting.
    pub async fn setting_string(&self, key: &str) -> Result<String, ConfigError> {
        let setting = self.setting(key).await?;
        setting
            .value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong_type(&setting, "text"))
    }

    /// The active pairs.
    pub async fn active_pairs(&self) -> Result<Arc<Vec<TradingPair>>, ConfigError> {
        typed_read!(
            self,
            KeyRef::TradingPairs,
            TradingPairs,
            self.inner.source.active_pairs()
        )
    }

    /// One pair, active or not.
    pub async fn pair(&self, symbol: &Symbol) -> Result<Arc<TradingPair>, ConfigError> {
        typed_read!(
            self,
            KeyRef::PairConfig(symbol),
            Pair,
            self.inner.source.pair(symbol)
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
            self.inner.source.pair_strategies(symbol)
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
            self.inner.source.strategy_config(symbol, strategy)
        )
    }

    /// One pair's risk settings.
    pub async fn pair_risk(&self, symbol: &Symbol) -> Result<Arc<RiskConfig>, ConfigError> {
        typed_read!(
            self,
            KeyRef::PairRisk(symbol),
            PairRisk,
            self.inner.source.pair_risk(symbol)
        )
    }

    /// A pair's complete trading configuration, as one cached read.
    pub async fn trading_config(&self, symbol: &Symbol) -> Result<Arc<TradingConfig>, ConfigError> {
        typed_read!(
            self,
            KeyRef::TradingConfig(symbol),
            TradingConfig,
            self.inner.source.trading_config(symbol)
        )
    }

    /// Every active pair's trading configuration, as one cached read.
    pub async fn trading_configs(&self) -> Result<Arc<Vec<Arc<TradingConfig>>>, ConfigError> {
        typed_read!(self, KeyRef::TradingConfigs, TradingConfigs, async {
            let configs = self.inner.source.trading_configs().await?;
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
                    self.inner.source.pair_risk(symbol).await?,
                )))
            })
            .await?;
        match entry {
            CachedValue::PairRisk(v) => Ok(v),
            _ => Err(ConfigError::Unavailable(
                "cache held another type under pair_risk".into(),
            )),
        }
    }

    async fn read<F, Fut>(
        &self,
        key: KeyRef<'_>,
        ttl: Option<Duration>,
        load: F,
    ) -> Result<CachedValue, ConfigError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<CachedValue, ConfigError>>,
    {
        let inner = &*self.inner;
        let now = Instant::now();
        if !inner.freshness.is_fresh(now) {
            // Past the staleness bound: confirm before anything cached is served.
            Box::pin(self.confirm_current()).await;
        } else if let Some(value) = front::get(inner.id, &inner.front_epoch, &inner.hits, key, now)
        {
            return Ok(value);
        }
        // Boxed: the slow path's future (moka's, the load's) is large, and would otherwise
        // make every hit build and move it.
        Box::pin(self.read_slow(key, ttl, load))
            .await
            .map(|entry| entry.value.clone())
    }

    #[inline(never)]
    async fn read_slow<F, Fut>(
        &self,
        key: KeyRef<'_>,
        ttl: Option<Duration>,
        load: F,
    ) -> Result<Arc<Entry>, ConfigError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<CachedValue, ConfigError>>,
    {
        let inner = &*self.inner;
        let owned = key.to_owned();
        let ttl = ttl.unwrap_or(inner.settings.ttl);
        let mut counted_miss = false;
        // A stale entry is refused and reloaded. Under a storm of writes to this key every
        // reload may be overtaken by the next write: after a few rounds the last loaded
        // value is served without caching it. It is no older than the last commit that
        // its load could see, which is all a read can promise.
        for round in 0..STALE_LOAD_ROUNDS {
            let front_epoch = inner.front_epoch.load(Ordering::Acquire);
            if let Some(entry) = inner.cache.get(&owned).await {
                if entry.expires_at > Instant::now() && self.verify(&owned, &entry) {
                    if !counted_miss {
                        front::count_hit(inner.id, &inner.hits);
                    }
                    front::put(
                        inner.id,
                        &inner.front_epoch,
                        &inner.hits,
                        front_epoch,
                        owned,
                        &entry,
                    );
                    return Ok(entry);
                }
                inner.cache.invalidate(&owned).await;
            }
            if !counted_miss {
                inner.counters.misses.fetch_add(1, Ordering::Relaxed);
                counted_miss = true;
            }
            let span = tracing::debug_span!("cache_load", key = %owned);
            let loaded = inner
                .cache
                .try_get_with(
                    owned.clone(),
                    async {
                        let epoch = inner.invalidation_epoch.load(Ordering::Acquire);
                        let started = Instant::now();
                        inner.counters.loads.fetch_add(1, Ordering::Relaxed);
                        let result = self.load_with_retry(&load).await;
                        inner
                            .counters
                            .load_nanos
                            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                        match result {
                            Ok(value) => Ok(Arc::new(Entry::new(value, epoch, ttl, &owned))),
                            Err(e) => {
                                inner.counters.load_failures.fetch_add(1, Ordering::Relaxed);
                                Err(e)
                            }
                        }
                    }
                    .instrument(span),
                )
                .await;
            match loaded {
                Ok(entry) if self.verify(&owned, &entry) => {
                    front::put(
                        inner.id,
                        &inner.front_epoch,
                        &inner.hits,
                        front_epoch,
                        owned,
                        &entry,
                    );
                    return Ok(entry);
                }
                Ok(entry) => {
                    inner.cache.invalidate(&owned).await;
                    if round + 1 == STALE_LOAD_ROUNDS {
                        inner
                            .counters
                            .uncached_answers
                            .fetch_add(1, Ordering::Relaxed);
                        return Ok(entry);
                    }
                }
                Err(e) => return Err((*e).clone()),
            }
        }
        unreachable!("the last round always returns")
    }

    /// Runs `load` within the operation timeout. A connection failure is retried once,
    /// after dead pooled connections are swept out, so that a server restart or killed
    /// backends cost no failed read.
    async fn load_with_retry<F, Fut>(&self, load: &F) -> Result<CachedValue, ConfigError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<CachedValue, ConfigError>>,
    {
        match self.timed(load()).await {
            Err(ConfigError::Unavailable(first)) => {
                let swept =
                    store::sweep_idle(self.pool(), self.inner.settings.operation_timeout).await;
                tracing::info!(error = %first, swept, "load failed on a connection error; retrying once");
                self.timed(load()).await
            }
            other => other,
        }
    }

    /// `operation` within the operation timeout; past it, the database is unavailable.
    pub(crate) async fn timed<T>(
        &self,
        operation: impl Future<Output = Result<T, ConfigError>>,
    ) -> Result<T, ConfigError> {
        let limit = self.inner.settings.operation_timeout;
        tokio::time::timeout(limit, operation)
            .await
            .unwrap_or_else(|_| {
                Err(ConfigError::Unavailable(format!(
                    "the database did not answer within {} ms",
                    limit.as_millis()
                )))
            })
    }

    /// Past the staleness bound: asks the database for its revision (one query). If this
    /// server has applied it, the cache is current; if it has not, notifications were
    /// missed and the cache is cleared. If the database cannot be asked, nothing changes:
    /// cached values are served, and `staleness` says how old they may be.
    async fn confirm_current(&self) {
        let inner = &*self.inner;
        let freshness = &inner.freshness;
        // Another reader is confirming: this one serves what is cached meanwhile (marked
        // stale if the confirmation has not landed by the time the answer is made).
        let Ok(_confirming) = freshness.confirming.try_lock() else {
            return;
        };
        let now = Instant::now();
        // A listener that lost its link is already probing the database (reconnecting);
        // a reader waiting for a timeout of its own would only add latency.
        if freshness.is_fresh(now)
            || !inner.counters.listener_connected.load(Ordering::Relaxed)
            || freshness.failed_within(now, inner.settings.max_staleness)
        {
            return;
        }
        let asked_at = Instant::now();
        let limit = self.heartbeat_timeout();
        match store::within(limit, store::revision(self.pool())).await {
            Ok(revision) => {
                if revision > freshness.applied_revision() {
                    let dropped = self.clear().await;
                    tracing::warn!(
                        revision,
                        applied = freshness.applied_revision(),
                        dropped,
                        "changes were committed that this server did not hear of; cache cleared"
                    );
                    freshness.applied(revision);
                }
                freshness.confirm(asked_at);
            }
            Err(error) => {
                freshness.note_failure(now);
                tracing::warn!(%error, "cannot confirm the cache is current; serving cached values marked stale");
            }
        }
    }

    /// `Some(age)` when cached answers can no longer be vouched for: the server could not
    /// confirm within the staleness bound that it has applied every committed change.
    /// Answers made now must say so.
    pub fn staleness(&self) -> Option<Duration> {
        self.inner.freshness.staleness(Instant::now())
    }

    /// The staleness bound this manager enforces once it listens.
    pub fn max_staleness(&self) -> Duration {
        self.inner.freshness.max_staleness()
    }

    /// Whether no invalidation matching `key` happened since `entry`'s load began.
    fn verify(&self, key: &CacheKey, entry: &Entry) -> bool {
        let inner = &*self.inner;
        let seen = entry.verified_epoch.load(Ordering::Acquire);
        if seen == inner.invalidation_epoch.load(Ordering::Acquire) {
            return true;
        }
        let log = inner.log.lock().unwrap_or_else(|e| e.into_inner());
        let current = inner.invalidation_epoch.load(Ordering::Acquire);
        let oldest = log.records.front().map_or(current, |(epoch, _)| *epoch);
        if oldest > seen + 1 {
            // Records the entry would need were dropped from the log: play safe.
            return false;
        }
        let stale = log
            .records
            .iter()
            .filter(|(epoch, _)| *epoch > seen)
            .any(|(_, matchers)| matchers.iter().any(|m| m.matches(key)));
        if !stale {
            entry.verified_epoch.fetch_max(current, Ordering::AcqRel);
        }
        debug_assert!(entry.loaded_epoch <= current);
        !stale
    }

    // ---- invalidation ------------------------------------------------------------------

    /// Drops every entry `matchers` select, here and in every thread's front. Returns how
    /// many entries were dropped.
    pub async fn invalidate(&self, matchers: Vec<KeyMatch>) -> u64 {
        let inner = &*self.inner;
        inner.counters.invalidations.fetch_add(1, Ordering::Relaxed);
        {
            let mut log = inner.log.lock().unwrap_or_else(|e| e.into_inner());
            let epoch = inner.invalidation_epoch.load(Ordering::Acquire) + 1;
            log.records.push_back((epoch, matchers.clone()));
            while log.records.len() > LOG_CAPACITY {
                log.records.pop_front();
            }
            inner.invalidation_epoch.store(epoch, Ordering::Release);
            inner.front_epoch.fetch_add(1, Ordering::AcqRel);
        }
        let mut dropped = 0;
        if matchers.contains(&KeyMatch::All) {
            dropped = inner.cache.iter().count() as u64;
            inner.cache.invalidate_all();
        } else {
            let (exact, patterns): (Vec<_>, Vec<_>) = matchers
                .iter()
                .partition(|m| matches!(m, KeyMatch::Exact(_)));
            for m in exact {
                if let KeyMatch::Exact(key) = m {
                    if inner.cache.remove(key).await.is_some() {
                        dropped += 1;
                    }
                }
            }
            if !patterns.is_empty() {
                let keys: Vec<Arc<CacheKey>> = inner
                    .cache
                    .iter()
                    .filter(|(k, _)| patterns.iter().any(|m| m.matches(k)))
                    .map(|(k, _)| k)
                    .collect();
                for key in keys {
                    if inner.cache.remove(&*key).await.is_some() {
                        dropped += 1;
                    }
                }
            }
        }
        inner.cache.run_pending_tasks().await;
        dropped
    }

    /// Applies the invalidation table for `change`.
    pub async fn apply_change(&self, change: &Change) -> u64 {
        tracing::debug!(?change, "invalidating");
        self.invalidate(affected_keys(change)).await
    }

    /// Drops the entries whose key matches an operator's pattern (`pair_risk:*`, `BTC`).
    pub async fn invalidate_pattern(&self, pattern: &str) -> Result<u64, ConfigError> {
        Ok(self
            .invalidate(vec![KeyMatch::Pattern(Pattern::new(pattern)?)])
            .await)
    }

    /// Drops everything; returns how many entries there were.
    pub async fn clear(&self) -> u64 {
        self.invalidate(vec![KeyMatch::All]).await
    }

    /// Every key currently cached and not expired, rendered, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .inner
            .cache
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        keys.sort();
        keys
    }

    // ---- warming -----------------------------------------------------------------------

    /// Loads everything bots read, in a bounded number of queries whatever the number of
    /// pairs: settings (1), pairs, strategy rows and risk rows (3).
    pub async fn warm(&self) -> Result<WarmReport, ConfigError> {
        self.warm_now()
            .instrument(tracing::info_span!("cache_warm"))
            .await
    }

    async fn warm_now(&self) -> Result<WarmReport, ConfigError> {
        let inner = &*self.inner;
        let started = Instant::now();
        let queries_before = inner.source.queries();
        let epoch = inner.invalidation_epoch.load(Ordering::Acquire);
        let (settings, snapshot) = self
            .timed(async {
                tokio::try_join!(inner.source.system_config(), inner.source.snapshot_pairs())
            })
            .await?;
        let ttl = inner.settings.ttl;
        let mut entries: Vec<(CacheKey, CachedValue)> = Vec::new();
        for s in &settings {
            entries.push((
                CacheKey::Setting(s.key.as_str().into()),
                CachedValue::Setting(Arc::new(s.clone())),
            ));
        }
        entries.push((
            CacheKey::SystemConfig,
            CachedValue::SystemConfig(Arc::new(settings)),
        ));
        let active: Vec<TradingPair> = snapshot
            .pairs
            .iter()
            .filter(|p| p.is_active)
            .cloned()
            .collect();
        entries.push((
            CacheKey::TradingPairs,
            CachedValue::TradingPairs(Arc::new(active)),
        ));
        let mut strategies = snapshot.strategies_by_symbol();
        for pair in &snapshot.pairs {
            let rows = strategies.remove(pair.symbol.as_str()).unwrap_or_default();
            for row in &rows {
                entries.push((
                    CacheKey::StrategyConfig(pair.symbol.clone(), row.strategy.as_str().into()),
                    CachedValue::StrategyConfig(Arc::new(row.clone())),
                ));
            }
            let enabled: Vec<PairStrategy> = rows.into_iter().filter(|s| s.is_enabled).collect();
            entries.push((
                CacheKey::PairStrategies(pair.symbol.clone()),
                CachedValue::PairStrategies(Arc::new(enabled)),
            ));
            entries.push((
                CacheKey::PairConfig(pair.symbol.clone()),
                CachedValue::Pair(Arc::new(pair.clone())),
            ));
        }
        for risk in &snapshot.risks {
            entries.push((
                CacheKey::PairRisk(risk.symbol.clone()),
                CachedValue::PairRisk(Arc::new(risk.clone())),
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
                CachedValue::TradingConfig(config.clone()),
            ));
        }
        entries.push((
            CacheKey::TradingConfigs,
            CachedValue::TradingConfigs(Arc::new(configs)),
        ));
        let count = entries.len() as u64;
        for (key, value) in entries {
            let entry = Arc::new(Entry::new(value, epoch, ttl, &key));
            inner.cache.insert(key, entry).await;
        }
        // Anything invalidated while we read is dropped by `verify`; make fronts re-check.
        inner.front_epoch.fetch_add(1, Ordering::AcqRel);
        inner.cache.run_pending_tasks().await;
        let elapsed = started.elapsed();
        let millis = elapsed.as_millis() as u64;
        *inner
            .counters
            .last_warm_at
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((Utc::now(), millis));
        let report = WarmReport {
            entries: count,
            pairs: snapshot.pairs.len() as u64,
            queries: inner.source.queries() - queries_before,
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

    // ---- statistics --------------------------------------------------------------------

    /// Current statistics. Runs moka's pending maintenance first so counts are exact.
    pub async fn stats(&self) -> CacheStats {
        let inner = &*self.inner;
        inner.cache.run_pending_tasks().await;
        let c = &inner.counters;
        let hits = inner.hits.hits();
        let misses = c.misses.load(Ordering::Relaxed);
        let loads = c.loads.load(Ordering::Relaxed);
        let now = Instant::now();
        let (mut live, mut expired) = (0, 0);
        // `iter` skips entries moka already considers expired; count by our own clock too.
        for (_, entry) in inner.cache.iter() {
            if entry.expires_at > now {
                live += 1;
            } else {
                expired += 1;
            }
        }
        let total = inner.cache.entry_count().max(live + expired);
        debug_assert!(total >= live);
        let warm = *c.last_warm_at.lock().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            entries_total: total,
            entries_live: live,
            entries_expired: total - live,
            bytes_used: inner.cache.weighted_size(),
            bytes_max: inner.settings.max_bytes,
            hits,
            misses,
            hit_ratio_percent: percent_of((hits as i64).into(), ((hits + misses) as i64).into()),
            loads,
            load_failures: c.load_failures.load(Ordering::Relaxed),
            mean_load_micros: c
                .load_nanos
                .load(Ordering::Relaxed)
                .checked_div(loads)
                .unwrap_or(0)
                / 1000,
            queries: inner.source.queries(),
            evictions_expired: c.evicted_expired.load(Ordering::Relaxed),
            evictions_size: c.evicted_size.load(Ordering::Relaxed),
            evictions_explicit: c.evicted_explicit.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            ttl_seconds: inner.settings.ttl.as_secs(),
            last_warm_at: warm.map(|(at, _)| at),
            last_warm_millis: warm.map(|(_, ms)| ms),
            listener_connected: c.listener_connected.load(Ordering::Relaxed),
            listener_reconnects: c.listener_reconnects.load(Ordering::Relaxed),
            applied_revision: inner.freshness.applied_revision(),
            confirmed_millis_ago: inner
                .freshness
                .confirmed_ago(Instant::now())
                .map(|d| d.as_millis() as u64),
            max_staleness_millis: inner.freshness.max_staleness().as_millis() as u64,
            stale: inner.freshness.staleness(Instant::now()).is_some(),
            uncached_answers: c.uncached_answers.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_listener_connected(&self, connected: bool, reconnected: bool) {
        let c = &self.inner.counters;
        c.listener_connected.store(connected, Ordering::Relaxed);
        if reconnected {
            c.listener_reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }

    // ---- writes ------------------------------------------------------------------------
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
            .db(store::pairs::create(self.pool(), symbol, &settings))
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
                self.pool(),
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
            .db(store::pairs::set_active(self.pool(), symbol, active))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("pair {symbol}")))?;
        self.apply_change(&Change::Pair {
            symbol: symbol.to_string(),
        })
        .await;
        Ok(pair)
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
                self.pool(),
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
                self.pool(),
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

    /// Sets a setting from text, checked against its type and rules.
    pub async fn set_setting(
        &self,
        key: &str,
        input: &str,
        expected_version: Option<i32>,
    ) -> Result<SystemSetting, ConfigError> {
        let current = self
            .db(store::system::get(self.pool(), key))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("setting {key}")))?;
        let value = parse_setting(key, current.value_type, input)?;
        let outcome = self
            .db(store::system::set(
                self.pool(),
                key,
                &value,
                expected_version,
            ))
            .await?;
        self.finish_write(
            outcome,
            Change::Setting {
                key: key.to_owned(),
            },
            || format!("setting {key}"),
        )
        .await
    }

    /// Sets several settings from text in one transaction; every value is checked first and
    /// nothing is saved if any fails, or if any changed since its given version.
    pub async fn set_settings(
        &self,
        changes: &[(String, String, Option<i32>)],
    ) -> Result<Vec<SystemSetting>, ConfigError> {
        let current = self.inner.source.system_config().await?;
        let mut errors = crate::domain::FieldErrors::default();
        let mut typed = Vec::with_capacity(changes.len());
        for (key, input, version) in changes {
            let Some(setting) = current.iter().find(|s| &s.key == key) else {
                return Err(ConfigError::NotFound(format!("setting {key}")));
            };
            if let Some(value) = errors.take(parse_setting(key, setting.value_type, input)) {
                typed.push((key.clone(), value, *version));
            }
        }
        if !errors.is_empty() {
            return Err(ConfigError::Invalid(errors));
        }
        let outcome = self
            .db(store::system::set_many(self.pool(), &typed))
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
        for (key, _, _) in changes {
            matchers.extend(affected_keys(&Change::Setting { key: key.clone() }));
        }
        self.invalidate(matchers).await;
        Ok(saved)
    }

    /// Applies a whole, already checked configuration document in one transaction, then
    /// drops everything (it may touch any key).
    pub async fn apply_document(
        &self,
        doc: &crate::domain::transfer::ConfigDocument,
        settings: &[(String, crate::domain::system::SettingValue)],
    ) -> Result<(), ConfigError> {
        self.db(store::transfer::apply(self.pool(), doc, settings))
            .await?;
        self.apply_change(&Change::Everything).await;
        Ok(())
    }

    /// Whether the database answers within `deadline`.
    pub async fn ping(&self, deadline: Duration) -> Result<(), ConfigError> {
        tokio::time::timeout(deadline, store::ping(self.pool()))
            .await
            .map_err(|_| {
                ConfigError::Unavailable(format!(
                    "the database did not answer within {} ms",
                    deadline.as_millis()
                ))
            })?
            .map_err(ConfigError::from)
    }

    /// A store operation within the operation timeout, its error in the caller's terms.
    async fn db<T>(
        &self,
        operation: impl Future<Output = crate::store::StoreResult<T>>,
    ) -> Result<T, ConfigError> {
        self.timed(async { operation.await.map_err(ConfigError::from) })
            .await
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::risk::PositionSizing;
    use rust_decimal_macros::dec;
    use sqlx::postgres::PgPoolOptions;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::Notify;

    /// A manager whose loads in these tests never touch a database.
    fn offline_manager() -> ConfigManager {
        let pool = PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .expect("a lazy pool never connects");
        ConfigManager::new(pool, CacheSettings::default())
    }

    fn risk(stop_loss: rust_decimal::Decimal) -> CachedValue {
        CachedValue::PairRisk(Arc::new(RiskConfig {
            symbol: Symbol::parse("BTC/USDT").unwrap(),
            settings: RiskSettings {
                stop_loss_percent: stop_loss,
                take_profit_percent: dec!(10),
                max_daily_trades: 10,
                max_daily_loss_percent: dec!(5),
                trailing_stop_enabled: false,
                trailing_stop_percent: dec!(2),
                max_drawdown_percent: dec!(15),
                position_sizing_method: PositionSizing::Fixed,
                volatility_lookback_days: 30,
            },
            version: 1,
        }))
    }

    fn stop_loss(value: &CachedValue) -> rust_decimal::Decimal {
        match value {
            CachedValue::PairRisk(r) => r.settings.stop_loss_percent,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_load_that_began_before_a_write_never_puts_the_old_value_back() {
        let manager = offline_manager();
        let symbol = Symbol::parse("BTC/USDT").unwrap();
        let loaded_old_row = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let loads = Arc::new(AtomicUsize::new(0));

        // The first load reads the row as it was (stop loss 5), then stalls before returning,
        // as a slow query would; later loads read the row as written (stop loss 7).
        let loader = {
            let (loaded_old_row, release, loads) =
                (loaded_old_row.clone(), release.clone(), loads.clone());
            move || {
                let (loaded_old_row, release, loads) =
                    (loaded_old_row.clone(), release.clone(), loads.clone());
                async move {
                    if loads.fetch_add(1, Ordering::SeqCst) == 0 {
                        loaded_old_row.notify_one();
                        release.notified().await;
                        Ok(risk(dec!(5)))
                    } else {
                        Ok(risk(dec!(7)))
                    }
                }
            }
        };
        let reader = {
            let (manager, symbol, loader) = (manager.clone(), symbol.clone(), loader.clone());
            tokio::spawn(async move { manager.read(KeyRef::PairRisk(&symbol), None, loader).await })
        };
        loaded_old_row.notified().await;
        // The write commits and invalidates while the old value is still in flight.
        manager
            .apply_change(&Change::PairRisk {
                symbol: symbol.to_string(),
            })
            .await;
        release.notify_one();

        let first = reader.await.unwrap().unwrap();
        assert_eq!(
            stop_loss(&first),
            dec!(7),
            "the reader must not see the pre-write value"
        );
        let again = manager
            .read(KeyRef::PairRisk(&symbol), None, loader)
            .await
            .unwrap();
        assert_eq!(
            stop_loss(&again),
            dec!(7),
            "the cache must not hold the pre-write value"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_invalidation_of_another_key_does_not_refuse_a_load() {
        let manager = offline_manager();
        let btc = Symbol::parse("BTC/USDT").unwrap();
        let loads = Arc::new(AtomicUsize::new(0));
        let loader = {
            let loads = loads.clone();
            move || {
                let loads = loads.clone();
                async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    Ok(risk(dec!(5)))
                }
            }
        };
        manager
            .read(KeyRef::PairRisk(&btc), None, loader.clone())
            .await
            .unwrap();
        manager
            .apply_change(&Change::PairRisk {
                symbol: "ETH/USDT".into(),
            })
            .await;
        manager
            .read(KeyRef::PairRisk(&btc), None, loader.clone())
            .await
            .unwrap();
        assert_eq!(
            loads.load(Ordering::SeqCst),
            1,
            "ETH's write must leave BTC's entry alone"
        );
        manager
            .apply_change(&Change::PairRisk {
                symbol: "BTC/USDT".into(),
            })
            .await;
        manager
            .read(KeyRef::PairRisk(&btc), None, loader)
            .await
            .unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_load_is_reported_and_not_cached() {
        let manager = offline_manager();
        let btc = Symbol::parse("BTC/USDT").unwrap();
        let result = manager
            .read(KeyRef::PairRisk(&btc), None, || async {
                Err(ConfigError::Unavailable("connection refused".into()))
            })
            .await;
        assert_eq!(
            result.unwrap_err(),
            ConfigError::Unavailable("connection refused".into())
        );
        let stats = manager.stats().await;
        assert_eq!((stats.load_failures, stats.entries_total), (1, 0));
    }
}

#[cfg(test)]
mod front_tests {
    use super::*;
    use sqlx::postgres::PgPoolOptions;

    #[tokio::test]
    async fn a_second_read_is_served_by_the_threads_front() {
        let pool = PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let manager = ConfigManager::new(pool, CacheSettings::default());
        let btc = Symbol::parse("BTC/USDT").unwrap();
        let load = || async { Ok(CachedValue::TradingPairs(Arc::new(Vec::new()))) };
        manager
            .read(KeyRef::PairConfig(&btc), None, load)
            .await
            .unwrap();
        let inner = &*manager.inner;
        let hit = front::get(
            inner.id,
            &inner.front_epoch,
            &inner.hits,
            KeyRef::PairConfig(&btc),
            Instant::now(),
        );
        assert!(
            hit.is_some(),
            "front epoch {}",
            inner.front_epoch.load(Ordering::Relaxed)
        );
    }
}
