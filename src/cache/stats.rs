//! What the cache tells about itself: counts, bytes, hit ratio, loads, evictions, the
//! listener and freshness.

use super::manager::ConfigManager;
use crate::domain::stats::CacheStats;
use crate::domain::trading::percent_of;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl ConfigManager {
    /// Counts a read that asked to bypass the cache (`Cache-Control: no-cache`).
    pub fn count_bypass(&self) {
        self.inner.counters.bypasses.fetch_add(1, Ordering::Relaxed);
    }

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
            bypasses: c.bypasses.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_listener_connected(&self, connected: bool, reconnected: bool) {
        let c = &self.inner.counters;
        c.listener_connected.store(connected, Ordering::Relaxed);
        if reconnected {
            c.listener_reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }
}
