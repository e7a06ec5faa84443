//! How current the cache is known to be: the staleness bound.
//!
//! Every committed change advances the database's global revision, and its notifications
//! carry it (`migrations/*_revision.sql`). The listener records the highest revision it has
//! applied, and *confirms* the cache at the moment it learns that this revision is the
//! database's current one (a heartbeat on its own connection, about once a second). A
//! cached value is served as current only while the last confirmation is younger than the
//! bound (`BOTCONFIG_MAX_STALENESS`). Past it, the next read confirms with one query on the
//! pool (clearing the cache if it missed a revision); if even that fails, the cached value
//! is still served, but [`Freshness::staleness`] reports its age so that every answer says
//! so.
//!
//! A manager that never listens hears only its own writes and is not bounded: nothing can
//! confirm it. `ConfigManager::listen` turns the bound on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Freshness {
    base: Instant,
    max_staleness: Duration,
    enforced: AtomicBool,
    /// Nanoseconds since `base` until which cached values count as current; `u64::MAX`
    /// while the bound is not enforced. The hit path reads only this.
    fresh_until: AtomicU64,
    /// Nanoseconds since `base` of the latest confirmation.
    confirmed_at: AtomicU64,
    /// The highest revision whose notifications have all been applied.
    applied_revision: AtomicU64,
    /// When a confirmation on the pool last failed: readers then serve marked-stale values
    /// without each waiting for another timeout.
    last_failure: Mutex<Option<Instant>>,
    /// One confirmation on the pool at a time.
    pub(crate) confirming: tokio::sync::Mutex<()>,
}

impl Freshness {
    pub(crate) fn new(max_staleness: Duration) -> Self {
        Freshness {
            base: Instant::now(),
            max_staleness,
            enforced: AtomicBool::new(false),
            fresh_until: AtomicU64::new(u64::MAX),
            confirmed_at: AtomicU64::new(0),
            applied_revision: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            confirming: tokio::sync::Mutex::new(()),
        }
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    fn instant(&self, nanos: u64) -> Instant {
        self.base + Duration::from_nanos(nanos)
    }

    /// Whether cached values may be served as current at `now`.
    #[inline]
    pub(crate) fn is_fresh(&self, now: Instant) -> bool {
        self.nanos(now) < self.fresh_until.load(Ordering::Acquire)
    }

    pub(crate) fn max_staleness(&self) -> Duration {
        self.max_staleness
    }

    pub(crate) fn is_enforced(&self) -> bool {
        self.enforced.load(Ordering::Acquire)
    }

    /// Starts enforcing the bound, the cache being current as of `as_of`.
    pub(crate) fn enforce(&self, as_of: Instant) {
        let at = self.nanos(as_of);
        self.confirmed_at.store(at, Ordering::Release);
        self.fresh_until
            .store(at.saturating_add(self.bound_nanos()), Ordering::Release);
        self.enforced.store(true, Ordering::Release);
    }

    fn bound_nanos(&self) -> u64 {
        u64::try_from(self.max_staleness.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Records that every change committed before `as_of` has been applied.
    pub(crate) fn confirm(&self, as_of: Instant) {
        let at = self.nanos(as_of);
        self.confirmed_at.fetch_max(at, Ordering::AcqRel);
        self.fresh_until
            .fetch_max(at.saturating_add(self.bound_nanos()), Ordering::AcqRel);
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub(crate) fn applied_revision(&self) -> u64 {
        self.applied_revision.load(Ordering::Acquire)
    }

    /// Records that every change up to `revision` has been applied (never goes back).
    pub(crate) fn applied(&self, revision: u64) {
        self.applied_revision.fetch_max(revision, Ordering::AcqRel);
    }

    pub(crate) fn note_failure(&self, at: Instant) {
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// Whether a confirmation failed less than `window` ago.
    pub(crate) fn failed_within(&self, now: Instant, window: Duration) -> bool {
        self.last_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| now.saturating_duration_since(at) < window)
    }

    /// How long ago the cache was last confirmed current, if the bound is enforced.
    pub(crate) fn confirmed_ago(&self, now: Instant) -> Option<Duration> {
        self.is_enforced().then(|| {
            now.saturating_duration_since(self.instant(self.confirmed_at.load(Ordering::Acquire)))
        })
    }

    /// `Some(age)` when cached values can no longer be served as current: the time since
    /// the cache was last confirmed.
    pub(crate) fn staleness(&self, now: Instant) -> Option<Duration> {
        if self.is_fresh(now) {
            return None;
        }
        self.confirmed_ago(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unenforced_is_always_fresh() {
        let f = Freshness::new(Duration::from_secs(5));
        let later = Instant::now() + Duration::from_secs(3600);
        assert!(f.is_fresh(later));
        assert_eq!(f.staleness(later), None);
    }

    #[test]
    fn a_confirmation_is_good_for_the_bound_and_no_longer() {
        let f = Freshness::new(Duration::from_secs(5));
        let t0 = Instant::now();
        f.enforce(t0);
        assert!(f.is_fresh(t0 + Duration::from_millis(4_999)));
        assert!(!f.is_fresh(t0 + Duration::from_secs(5)));
        assert_eq!(
            f.staleness(t0 + Duration::from_secs(7)),
            Some(Duration::from_secs(7))
        );
        f.confirm(t0 + Duration::from_secs(6));
        assert!(f.is_fresh(t0 + Duration::from_secs(10)));
        // An older confirmation arriving late never shortens what a newer one gave.
        f.confirm(t0 + Duration::from_secs(1));
        assert!(f.is_fresh(t0 + Duration::from_secs(10)));
    }

    #[test]
    fn applied_revision_never_goes_back() {
        let f = Freshness::new(Duration::from_secs(5));
        f.applied(7);
        f.applied(3);
        assert_eq!(f.applied_revision(), 7);
    }
}
