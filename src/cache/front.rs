//! The per-thread front of the cache: the hit path.
//!
//! A moka get costs ~115–150 ns of its own bookkeeping, and a shared counter or lock on
//! the read path stops two threads from scaling. So each thread keeps a small map of the
//! entries it has already read through moka, valid for one *front epoch*: any
//! invalidation or size eviction bumps the epoch and every thread drops its map on its next
//! read. Hit counters live here too, written only by their own thread.
//!
//! The front holds its own copy of each value, made once when the thread first reads it:
//! two threads cloning one shared `Arc` would bounce its reference count between their
//! cores on every read, and reads would stop scaling with threads. The cost is memory: up to
//! one copy of the hot entries per reading thread, outside the cache's byte bound.

use super::keys::{CacheKey, KeyRef};
use super::value::{CachedValue, Entry};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Counters written by one thread only (plain load + store, no read-modify-write),
/// summed by whoever asks for statistics.
#[derive(Default)]
pub struct ThreadCounters {
    pub hits: AtomicU64,
}

impl ThreadCounters {
    #[inline]
    fn add_hit(&self) {
        self.hits
            .store(self.hits.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// The counters of every thread that has read through one manager.
#[derive(Default)]
pub struct CounterRegistry(Mutex<Vec<Arc<ThreadCounters>>>);

impl CounterRegistry {
    pub fn hits(&self) -> u64 {
        let threads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        threads.iter().map(|c| c.hits.load(Ordering::Relaxed)).sum()
    }

    fn register(&self) -> Arc<ThreadCounters> {
        let counters = Arc::new(ThreadCounters::default());
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(counters.clone());
        counters
    }
}

struct Front {
    manager: u64,
    epoch: u64,
    map: hashbrown::HashMap<CacheKey, FrontEntry>,
    counters: Arc<ThreadCounters>,
}

struct FrontEntry {
    expires_at: Instant,
    value: CachedValue,
}

thread_local! {
    static FRONTS: RefCell<Vec<Front>> = const { RefCell::new(Vec::new()) };
}

fn with_front<R>(manager: u64, registry: &CounterRegistry, f: impl FnOnce(&mut Front) -> R) -> R {
    FRONTS.with(|fronts| {
        let mut fronts = fronts.borrow_mut();
        let index = match fronts.iter().position(|front| front.manager == manager) {
            Some(i) => i,
            None => {
                fronts.push(Front {
                    manager,
                    epoch: u64::MAX,
                    map: hashbrown::HashMap::default(),
                    counters: registry.register(),
                });
                fronts.len() - 1
            }
        };
        f(&mut fronts[index])
    })
}

/// Looks `key` up in this thread's front; counts a hit when found and fresh.
#[inline]
pub fn get(
    manager: u64,
    epoch: &AtomicU64,
    registry: &CounterRegistry,
    key: KeyRef<'_>,
    now: Instant,
) -> Option<CachedValue> {
    let current = epoch.load(Ordering::Acquire);
    with_front(manager, registry, |front| {
        if front.epoch != current {
            front.map.clear();
            front.epoch = current;
            return None;
        }
        let entry = front.map.get(&key)?;
        if entry.expires_at <= now {
            front.map.remove(&key);
            return None;
        }
        front.counters.add_hit();
        Some(entry.value.clone())
    })
}

/// Counts a hit served by moka rather than the front.
pub fn count_hit(manager: u64, registry: &CounterRegistry) {
    with_front(manager, registry, |front| front.counters.add_hit());
}

/// Remembers `entry` in this thread's front, if the epoch is still `seen_epoch` (the one
/// read before the entry was verified): otherwise the entry may already be stale.
pub fn put(
    manager: u64,
    epoch: &AtomicU64,
    registry: &CounterRegistry,
    seen_epoch: u64,
    key: CacheKey,
    entry: &Entry,
) {
    with_front(manager, registry, |front| {
        if epoch.load(Ordering::Acquire) != seen_epoch {
            return;
        }
        if front.epoch != seen_epoch {
            front.map.clear();
            front.epoch = seen_epoch;
        }
        front.map.insert(
            key,
            FrontEntry {
                expires_at: entry.expires_at,
                value: entry.value.private_copy(),
            },
        );
    })
}
