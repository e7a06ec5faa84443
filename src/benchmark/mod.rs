//! Measuring the config manager as bots use it: cached against uncached reads and against
//! the naive design (a `RwLock<HashMap<String, (Instant, Arc<_>)>>` with a TTL check, the
//! original tool's cache written in Rust), on the same data, in the same run.
//!
//! Used by `cargo bench` and by `botconfig cache benchmark`. The naive design is in
//! `baseline`, the timing in `harness`; this file holds the runs the CLI and the console
//! start, on the operator's database or a scratch one the store makes.

pub mod baseline;
pub mod harness;

use crate::cache::{CacheSettings, ConfigManager};
pub use crate::domain::benchmark::{BenchmarkReport, Measurement, Mode, Speedup, Workload};
use crate::domain::ConfigError;
use crate::store::scratch::Scratch;
pub use baseline::{NaiveCache, NaiveValue};
pub use harness::{machine, measure, Plan, Subjects};
use std::sync::Arc;
use std::time::Duration;

/// What `run` measures.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Iterations per measurement (cached and naive); uncached runs a tenth, at least one.
    pub iterations: u64,
    /// Active pairs to measure over; above what the database holds, a scratch database
    /// with synthetic pairs is used and dropped.
    pub pairs: Option<u64>,
    pub threads: usize,
    /// Upper bound on each measurement's time.
    pub max_time: Duration,
    /// How many recorded runs to keep, this one included.
    pub runs_kept: u32,
}

/// Runs both workloads in every mode. `database_url` is the operator's database: it is only
/// read, or (for more pairs than it holds) only used to reach the server for a scratch one.
/// `progress` hears (done, total) after each measurement.
pub async fn run(
    database_url: &str,
    options: &RunOptions,
    progress: impl Fn(u64, u64) + Send + Sync,
) -> Result<BenchmarkReport, ConfigError> {
    let operator = crate::store::connect(&crate::store::DatabaseSettings {
        max_connections: 4,
        ..crate::store::DatabaseSettings::new(database_url)
    })
    .await?;
    let manager = ConfigManager::new(operator.clone(), CacheSettings::default());
    let report = run_on(&manager, Some(database_url), options, progress).await;
    operator.close().await;
    report
}

/// As `run`, on an open pool. Without `server_url` no scratch database can be made, so
/// `options.pairs` above the real count is refused.
pub async fn run_on(
    operator: &ConfigManager,
    server_url: Option<&str>,
    options: &RunOptions,
    progress: impl Fn(u64, u64) + Send + Sync,
) -> Result<BenchmarkReport, ConfigError> {
    let real_pairs = operator.uncached().active_pairs().await?.len() as u64;
    let wanted = options.pairs.unwrap_or(real_pairs);
    let scratch = match (wanted > real_pairs, server_url) {
        (true, Some(url)) => Some(Scratch::create(url, wanted as usize).await?),
        (true, None) => {
            return Err(ConfigError::invalid(
                "pairs",
                format!("at most {real_pairs} here; more needs a scratch database (use the CLI)"),
            ))
        }
        (false, _) => None,
    };
    let pool = scratch
        .as_ref()
        .map_or_else(|| operator.pool().clone(), |s| s.pool.clone());
    let result = measure_all(pool, options, &progress).await;
    if let Some(scratch) = scratch {
        scratch.drop().await?;
    }
    let (results, pairs) = result?;
    let speedup = [Workload::Seed, Workload::Fleet]
        .into_iter()
        .filter_map(|w| {
            let find = |mode| {
                results
                    .iter()
                    .find(|m: &&Measurement| m.workload == w && m.mode == mode)
                    .map(|m| m.median_ns)
            };
            let speedup = Speedup {
                cached_vs_uncached: crate::domain::benchmark::ratio(
                    find(Mode::Uncached)?,
                    find(Mode::Cached)?,
                ),
                cached_vs_naive: crate::domain::benchmark::ratio(
                    find(Mode::Naive)?,
                    find(Mode::Cached)?,
                ),
            };
            Some((w.as_str().to_owned(), speedup))
        })
        .collect();
    let report = BenchmarkReport {
        machine: machine(),
        pairs,
        threads: options.threads,
        iterations: options.iterations,
        results,
        speedup,
        ran_at: Some(chrono::Utc::now()),
    };
    operator
        .record_benchmark_run(&report, options.runs_kept)
        .await?;
    Ok(report)
}

async fn measure_all(
    pool: sqlx::PgPool,
    options: &RunOptions,
    progress: &(impl Fn(u64, u64) + Send + Sync),
) -> Result<(Vec<Measurement>, u64), ConfigError> {
    let subjects = Arc::new(Subjects::new(pool).await?);
    let pairs = subjects.pairs.len() as u64;
    let plans: Vec<(Workload, Mode)> = [Workload::Seed, Workload::Fleet]
        .into_iter()
        .flat_map(|w| Mode::ALL.into_iter().map(move |m| (w, m)))
        .collect();
    let total = plans.len() as u64;
    let mut results = Vec::new();
    for (done, (workload, mode)) in plans.into_iter().enumerate() {
        let iterations = if mode == Mode::Uncached {
            (options.iterations / 10).max(1)
        } else {
            options.iterations
        };
        let plan = Plan {
            threads: options.threads,
            iterations,
            max_time: options.max_time,
        };
        let subjects = subjects.clone();
        let runtime = tokio::runtime::Handle::current();
        let m =
            tokio::task::spawn_blocking(move || measure(&runtime, &subjects, workload, mode, plan))
                .await
                .map_err(|e| ConfigError::Unavailable(format!("benchmark task failed: {e}")))??;
        results.push(m);
        progress(done as u64 + 1, total);
    }
    Ok((results, pairs))
}
