//! What the cache tells about itself: counts, bytes, hit ratio, loads, evictions, the
//! listener and freshness.

use super::manager::ConfigManager;
use crate::domain::stats::{CacheStats, ListenerHealth};
use crate::domain::trading::percent_of;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl ConfigManager {
    /// Current statistics. Runs moka's pending maintenance first so counts are exact.
    pub async fn stats(&self) -> CacheStats {
        let census = self.census().await;
        let (live, total) = (census.live, census.total);
        let c = self.counters();
        let hits = self.hits();
        let misses = c.misses.load(Ordering::Relaxed);
        let loads = c.loads.load(Ordering::Relaxed);
        let settings = self.settings();
        let health = self.health();
        debug_assert!(total >= live);
        let warm = *c.last_warm_at.lock().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            entries_total: total,
            entries_live: live,
            entries_expired: total - live,
            bytes_used: census.bytes,
            bytes_max: settings.max_bytes,
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
            queries: self.uncached().queries(),
            evictions_expired: c.evicted_expired.load(Ordering::Relaxed),
            evictions_size: c.evicted_size.load(Ordering::Relaxed),
            evictions_explicit: c.evicted_explicit.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            ttl_seconds: settings.ttl.as_secs(),
            last_warm_at: warm.map(|(at, _)| at),
            last_warm_millis: warm.map(|(_, ms)| ms),
            listener_connected: health.connected,
            listener_reconnects: health.reconnects,
            applied_revision: health.applied_revision,
            confirmed_millis_ago: health.confirmed_millis_ago,
            max_staleness_millis: health.max_staleness_millis,
            stale: health.stale,
            uncached_answers: c.uncached_answers.load(Ordering::Relaxed),
            bypasses: c.bypasses.load(Ordering::Relaxed),
        }
    }

    /// The listener's state: atomics only, so a health check costs nothing.
    pub fn health(&self) -> ListenerHealth {
        let (c, freshness) = (self.counters(), self.freshness());
        let now = Instant::now();
        ListenerHealth {
            connected: c.listener_connected.load(Ordering::Relaxed),
            reconnects: c.listener_reconnects.load(Ordering::Relaxed),
            applied_revision: freshness.applied_revision(),
            confirmed_millis_ago: freshness.confirmed_ago(now).map(|d| d.as_millis() as u64),
            max_staleness_millis: freshness.max_staleness().as_millis() as u64,
            stale: freshness.staleness(now).is_some(),
        }
    }

    pub(crate) fn set_listener_connected(&self, connected: bool, reconnected: bool) {
        let c = self.counters();
        c.listener_connected.store(connected, Ordering::Relaxed);
        if reconnected {
            c.listener_reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }
}
