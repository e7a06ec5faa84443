//! How the cache behaves, and its defaults, written once: `CacheSettings::default` and the
//! command line's defaults both read them.

use std::time::Duration;

pub mod defaults {
    pub const TTL_SECONDS: u64 = 300;
    pub const MAX_BYTES: u64 = 64 * 1024 * 1024;
    pub const WARM_ON_START: bool = true;
    pub const WARM_INTERVAL_SECONDS: u64 = 3600;
    pub const MAX_STALENESS_SECONDS: f64 = 5.0;
    pub const HEARTBEAT_INTERVAL_SECONDS: f64 = 1.0;
    pub const BENCHMARK_RUNS_KEPT: u32 = 100;
}

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
        use crate::store::defaults as database;
        Self {
            ttl: Duration::from_secs(defaults::TTL_SECONDS),
            max_bytes: defaults::MAX_BYTES,
            warm_on_start: defaults::WARM_ON_START,
            warm_interval: Duration::from_secs(defaults::WARM_INTERVAL_SECONDS),
            max_staleness: Duration::from_secs_f64(defaults::MAX_STALENESS_SECONDS),
            heartbeat_interval: Duration::from_secs_f64(defaults::HEARTBEAT_INTERVAL_SECONDS),
            operation_timeout: Duration::from_secs_f64(database::STATEMENT_TIMEOUT_SECONDS),
            connect_timeout: Duration::from_secs_f64(database::CONNECT_TIMEOUT_SECONDS),
            benchmark_runs_kept: defaults::BENCHMARK_RUNS_KEPT,
        }
    }
}
