//! `ConfigManager`: typed, cached reads of the configuration and the writes that keep the
//! cache honest.
//!
//! Layers of one read: the thread's front map (see `front`), then moka, then a single-flight
//! load from Postgres through `Source`. Every entry records the *invalidation epoch* at
//! which its load began; an entry whose load began before an invalidation that matches its
//! key is refused and reloaded, so a slow load can never put a value older than a committed
//! write back into the cache (the load-versus-invalidate race).

use super::counters::Counters;
use super::freshness::Freshness;
use super::front::{self, CounterRegistry};
use super::keys::{affected_keys, CacheKey, Change, KeyMatch, KeyRef, Pattern};
use super::read_from::ReadFrom;
pub use super::settings::{defaults, CacheSettings};
use super::source::Source;
use super::value::EntryExpiry;
pub use super::value::{CachedValue, Entry};
use crate::domain::history::Actor;
use crate::domain::ConfigError;
use crate::store;
use moka::notification::RemovalCause;
use sqlx::PgPool;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Recent invalidations, so an entry loaded before one of them can be recognised.
struct InvalidationLog {
    records: VecDeque<(u64, Vec<KeyMatch>)>,
}

const LOG_CAPACITY: usize = 4096;

/// Loads of one read that a write may overtake before the read answers uncached.
const STALE_LOAD_ROUNDS: usize = 4;

/// What every clone of one manager shares. Private: the cache's other rooms go through
/// the manager's methods.
struct Inner {
    id: u64,
    freshness: Freshness,
    feed: super::feed::Feed,
    source: Source,
    settings: CacheSettings,
    cache: moka::future::Cache<CacheKey, Arc<Entry>>,
    invalidation_epoch: AtomicU64,
    front_epoch: Arc<AtomicU64>,
    log: Mutex<InvalidationLog>,
    hits: CounterRegistry,
    counters: Arc<Counters>,
}

/// `operation` within `limit`; past it, the database is unavailable.
async fn timed_within<T>(
    limit: Duration,
    operation: impl Future<Output = Result<T, ConfigError>>,
) -> Result<T, ConfigError> {
    tokio::time::timeout(limit, operation)
        .await
        .unwrap_or_else(|_| {
            Err(ConfigError::Unavailable(format!(
                "{} within the {} ms operation deadline",
                crate::domain::error::NO_ANSWER,
                limit.as_millis()
            )))
        })
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
    /// Whom this handle's writes are recorded under (see `acting_as`).
    actor: Arc<Actor>,
    /// Where this handle's reads go (see `reading_from`).
    from: ReadFrom,
}

/// The entries at one moment (see `ConfigManager::census`).
pub(super) struct Census {
    pub(super) live: u64,
    pub(super) total: u64,
    pub(super) bytes: u64,
}

static NEXT_MANAGER_ID: AtomicU64 = AtomicU64::new(1);

impl ConfigManager {
    /// This manager (the same cache) with its writes recorded under `actor`.
    pub fn acting_as(&self, actor: Actor) -> Self {
        Self {
            inner: self.inner.clone(),
            actor: Arc::new(actor),
            from: self.from,
        }
    }

    /// This manager with its reads going to `from`: `ReadFrom::Database` answers every read
    /// with a fresh load and leaves the cache alone (counted once, as one bypass).
    pub fn reading_from(&self, from: ReadFrom) -> Self {
        if from == ReadFrom::Database {
            self.counters().bypasses.fetch_add(1, Ordering::Relaxed);
        }
        Self {
            inner: self.inner.clone(),
            actor: self.actor.clone(),
            from,
        }
    }

    /// Whom this handle's writes are recorded under.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The pool and actor a write goes through.
    pub(super) fn writer(&self) -> crate::store::Writer<'_> {
        crate::store::Writer::new(self.pool(), &self.actor)
    }
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
            actor: Arc::new(Actor::system()),
            from: ReadFrom::Cache,
            inner: Arc::new(Inner {
                id: NEXT_MANAGER_ID.fetch_add(1, Ordering::Relaxed),
                freshness: Freshness::new(settings.max_staleness),
                feed: super::feed::Feed::default(),
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

    /// What the cache's rooms count (see `stats`).
    pub(super) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Hits served so far, by every thread's front and by moka.
    pub(super) fn hits(&self) -> u64 {
        self.inner.hits.hits()
    }

    /// The invalidation epoch now: a value loaded from here on is checked against every
    /// invalidation after it (see `verify`).
    pub fn invalidation_epoch(&self) -> u64 {
        self.inner.invalidation_epoch.load(Ordering::Acquire)
    }

    /// Puts values loaded since `epoch` into the cache (a warm), then makes every thread's
    /// front check again; anything invalidated meanwhile is dropped by `verify`.
    pub(super) async fn insert_loaded(&self, epoch: u64, values: Vec<(CacheKey, CachedValue)>) {
        let inner = &*self.inner;
        for (key, value) in values {
            let entry = Arc::new(Entry::new(value, epoch, inner.settings.ttl, &key));
            inner.cache.insert(key, entry).await;
        }
        inner.front_epoch.fetch_add(1, Ordering::AcqRel);
        inner.cache.run_pending_tasks().await;
    }

    /// The entries as they are now, after moka's pending maintenance: how many are live by
    /// our own clock, how many in all, and their bytes.
    pub(super) async fn census(&self) -> Census {
        let inner = &*self.inner;
        inner.cache.run_pending_tasks().await;
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
        Census {
            live,
            total: inner.cache.entry_count().max(live + expired),
            bytes: inner.cache.weighted_size(),
        }
    }

    /// Every committed revision's changes, as this server's listener applied them.
    pub fn feed(&self) -> &super::feed::Feed {
        &self.inner.feed
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

    pub(super) async fn read<F, Fut>(
        &self,
        key: KeyRef<'_>,
        ttl: Option<Duration>,
        load: F,
    ) -> Result<CachedValue, ConfigError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<CachedValue, ConfigError>>,
    {
        if self.from == ReadFrom::Database {
            return self.load_with_retry(&load).await;
        }
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
                    self.remember(front_epoch, owned, &entry);
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
                        let took = started.elapsed();
                        inner
                            .counters
                            .load_nanos
                            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
                        metrics::histogram!("botconfig_cache_load_seconds")
                            .record(took.as_secs_f64());
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
                    self.remember(front_epoch, owned, &entry);
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

    /// Keeps `entry` in this thread's front, unless an invalidation came after `seen_epoch`.
    fn remember(&self, seen_epoch: u64, key: CacheKey, entry: &Entry) {
        let inner = &*self.inner;
        front::put(
            inner.id,
            &inner.front_epoch,
            &inner.hits,
            seen_epoch,
            key,
            entry,
        );
    }

    /// Runs `load` within the operation timeout. A connection failure is retried once,
    /// after dead pooled connections are swept out, so that a server restart or killed
    /// backends cost no failed read; a deadline that passed is not (a second wait would
    /// only double it).
    async fn load_with_retry<F, Fut>(&self, load: &F) -> Result<CachedValue, ConfigError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<CachedValue, ConfigError>>,
    {
        match self.timed(load()).await {
            Err(first @ ConfigError::Unavailable(_)) if !first.is_deadline() => {
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
        timed_within(self.inner.settings.operation_timeout, operation).await
    }

    /// Whether the database answers within `deadline`.
    pub async fn ping(&self, deadline: Duration) -> Result<(), ConfigError> {
        timed_within(deadline, async {
            store::ping(self.pool()).await.map_err(ConfigError::from)
        })
        .await
    }

    /// A store operation within the operation timeout, its error in the caller's terms.
    pub(super) async fn db<T>(
        &self,
        operation: impl Future<Output = crate::store::StoreResult<T>>,
    ) -> Result<T, ConfigError> {
        self.timed(async { operation.await.map_err(ConfigError::from) })
            .await
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::Symbol;
    use crate::domain::risk::{RiskConfig, RiskSettings};
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
        CachedValue::new(Arc::new(RiskConfig {
            symbol: Symbol::parse("BTC/USDT").unwrap(),
            settings: RiskSettings {
                stop_loss_percent: stop_loss,
                ..RiskSettings::default()
            },
            version: 1,
        }))
    }

    fn stop_loss(value: &CachedValue) -> rust_decimal::Decimal {
        match value.get::<RiskConfig>() {
            Some(r) => r.settings.stop_loss_percent,
            None => panic!("unexpected {value:?}"),
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
    async fn a_read_overtaken_by_a_write_on_every_load_still_answers_uncached() {
        let manager = offline_manager();
        let symbol = Symbol::parse("BTC/USDT").unwrap();
        let loads = Arc::new(AtomicUsize::new(0));
        // Every load reads the row, then a write to it commits before the load returns, as
        // under a storm of writes to the very row being read.
        let loader = {
            let (manager, loads) = (manager.clone(), loads.clone());
            move || {
                let (manager, loads) = (manager.clone(), loads.clone());
                async move {
                    let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
                    manager
                        .apply_change(&Change::PairRisk {
                            symbol: "BTC/USDT".into(),
                        })
                        .await;
                    Ok(risk(rust_decimal::Decimal::from(n as i64)))
                }
            }
        };
        let answer = manager
            .read(KeyRef::PairRisk(&symbol), None, loader)
            .await
            .expect("a storm of writes is not a failure to read");
        assert_eq!(loads.load(Ordering::SeqCst), STALE_LOAD_ROUNDS);
        // The last load's value: no older than the last write that load could see.
        assert_eq!(
            stop_loss(&answer),
            rust_decimal::Decimal::from(STALE_LOAD_ROUNDS as i64)
        );
        let stats = manager.stats().await;
        assert_eq!((stats.uncached_answers, stats.entries_total), (1, 0));
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
    use crate::domain::pair::{Symbol, TradingPair};
    use sqlx::postgres::PgPoolOptions;

    #[tokio::test]
    async fn a_second_read_is_served_by_the_threads_front() {
        let pool = PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let manager = ConfigManager::new(pool, CacheSettings::default());
        let btc = Symbol::parse("BTC/USDT").unwrap();
        let load = || async { Ok(CachedValue::new(Arc::new(Vec::<TradingPair>::new()))) };
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
