//! What the cache counts as it works: the manager and its eviction listener add to these,
//! `stats` reads them.

use chrono::Utc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;

#[derive(Default)]
pub(super) struct Counters {
    pub(super) misses: AtomicU64,
    pub(super) loads: AtomicU64,
    pub(super) load_failures: AtomicU64,
    pub(super) load_nanos: AtomicU64,
    pub(super) evicted_expired: AtomicU64,
    pub(super) evicted_size: AtomicU64,
    pub(super) evicted_explicit: AtomicU64,
    pub(super) invalidations: AtomicU64,
    /// Reads answered with a freshly loaded value that writes kept invalidating.
    pub(super) uncached_answers: AtomicU64,
    /// Reads that asked to bypass the cache.
    pub(super) bypasses: AtomicU64,
    pub(super) last_warm_at: Mutex<Option<(chrono::DateTime<Utc>, u64)>>,
    pub(super) listener_connected: AtomicBool,
    pub(super) listener_reconnects: AtomicU64,
}
