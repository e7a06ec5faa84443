//! Reports the cache gives about itself: statistics and warm results. Plain data, shown by
//! the console, the CLI and the API alike.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The database pool's connections at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: u64,
    pub idle: u64,
}

/// The change listener's state, read without touching the cache or the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerHealth {
    pub connected: bool,
    pub reconnects: u64,
    pub applied_revision: u64,
    pub confirmed_millis_ago: Option<u64>,
    pub max_staleness_millis: u64,
    /// Past the staleness bound: answers made now are marked stale.
    pub stale: bool,
}

/// A snapshot of the config cache's state and counters since start (or the last clear of
/// counters, which never happens implicitly).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CacheStats {
    /// Entries held, live or expired but not yet removed.
    pub entries_total: u64,
    pub entries_live: u64,
    pub entries_expired: u64,
    pub bytes_used: u64,
    pub bytes_max: u64,
    pub hits: u64,
    pub misses: u64,
    /// Hits as a percentage of reads, two decimals.
    pub hit_ratio_percent: Decimal,
    /// Loads from Postgres started on a miss (single-flight: one per key, however many wait).
    pub loads: u64,
    pub load_failures: u64,
    pub mean_load_micros: u64,
    /// Queries the manager sent to Postgres (loads and warms).
    pub queries: u64,
    pub evictions_expired: u64,
    pub evictions_size: u64,
    pub evictions_explicit: u64,
    /// Invalidation requests: writes here, notifications from elsewhere, operators' patterns.
    pub invalidations: u64,
    pub ttl_seconds: u64,
    pub last_warm_at: Option<DateTime<Utc>>,
    pub last_warm_millis: Option<u64>,
    /// Whether this instance hears other instances' writes right now.
    pub listener_connected: bool,
    pub listener_reconnects: u64,
    /// The highest configuration revision this instance has applied.
    #[serde(default)]
    pub applied_revision: u64,
    /// Milliseconds since the instance last confirmed it had applied every committed
    /// change; `None` while it does not listen (then it hears only its own writes).
    #[serde(default)]
    pub confirmed_millis_ago: Option<u64>,
    /// The staleness bound in milliseconds.
    #[serde(default)]
    pub max_staleness_millis: u64,
    /// Whether cached answers are served past the bound (marked stale) right now.
    #[serde(default)]
    pub stale: bool,
    /// Reads answered with a fresh value that writes kept invalidating before it could be
    /// cached.
    #[serde(default)]
    pub uncached_answers: u64,
    /// Reads that asked to bypass the cache and went to Postgres.
    #[serde(default)]
    pub bypasses: u64,
}

impl CacheStats {
    /// The statistics as labelled lines, as the console and the CLI show them.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let last_warm = match (self.last_warm_at, self.last_warm_millis) {
            (Some(at), Some(ms)) => format!("{} ({ms} ms)", at.format("%Y-%m-%d %H:%M:%S UTC")),
            _ => "never".to_owned(),
        };
        use super::format::{bytes, micros, thousands};
        let count = |n: u64| thousands(n as usize);
        vec![
            (
                "Entries",
                format!(
                    "{} ({} live, {} expired)",
                    count(self.entries_total),
                    count(self.entries_live),
                    count(self.entries_expired)
                ),
            ),
            (
                "Bytes used",
                format!("{} of {}", bytes(self.bytes_used), bytes(self.bytes_max)),
            ),
            ("Hits", count(self.hits)),
            ("Misses", count(self.misses)),
            ("Bypasses (no-cache reads)", count(self.bypasses)),
            ("Hit ratio", format!("{}%", self.hit_ratio_percent)),
            (
                "Loads",
                format!(
                    "{} ({} failed)",
                    count(self.loads),
                    count(self.load_failures)
                ),
            ),
            ("Mean load time", micros(self.mean_load_micros)),
            (
                "Evictions",
                format!(
                    "{} expired, {} for size, {} invalidated",
                    self.evictions_expired, self.evictions_size, self.evictions_explicit
                ),
            ),
            ("Invalidations", self.invalidations.to_string()),
            ("TTL", format!("{} s", self.ttl_seconds)),
            ("Last warm", last_warm),
            (
                "Change listener",
                format!(
                    "{} ({} reconnects)",
                    if self.listener_connected {
                        "connected"
                    } else {
                        "disconnected"
                    },
                    self.listener_reconnects
                ),
            ),
            (
                "Freshness",
                match self.confirmed_millis_ago {
                    None => "not bounded (not listening)".to_owned(),
                    Some(ms) => format!(
                        "{}: revision {}, confirmed {ms} ms ago (bound {} ms)",
                        if self.stale { "STALE" } else { "current" },
                        self.applied_revision,
                        self.max_staleness_millis
                    ),
                },
            ),
        ]
    }
}

/// What one warm loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WarmReport {
    pub entries: u64,
    pub pairs: u64,
    pub queries: u64,
    pub millis: u64,
    pub micros: u64,
}

impl WarmReport {
    pub fn summary(&self) -> String {
        format!("Warmed {} entries in {} ms", self.entries, self.millis)
    }
}
