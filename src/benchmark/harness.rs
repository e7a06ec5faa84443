//! The harness: what a run reads (the manager, its uncached reader, the naive cache), how
//! each workload is one iteration, and timing iterations into a measurement.

use super::baseline::{NaiveCache, NaiveValue};
use crate::cache::{CacheSettings, ConfigManager, Source};
use crate::domain::benchmark::{Measurement, Mode, Workload};
use crate::domain::pair::TradingPair;
use crate::domain::ConfigError;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One run's subjects: the manager, its uncached reader, and the naive cache, over one
/// database.
pub struct Subjects {
    pub manager: ConfigManager,
    pub naive: NaiveCache,
    /// The active pairs, for workloads that walk them.
    pub pairs: Vec<TradingPair>,
}

impl Subjects {
    pub async fn new(pool: sqlx::PgPool) -> Result<Subjects, ConfigError> {
        let manager = ConfigManager::new(pool, CacheSettings::default());
        manager.warm().await?;
        let naive = NaiveCache::load(manager.uncached(), manager.settings().ttl).await?;
        let pairs = manager.active_pairs().await?.to_vec();
        Ok(Subjects {
            manager,
            naive,
            pairs,
        })
    }

    pub fn reads_per_iteration(&self, workload: Workload) -> u64 {
        match workload {
            Workload::Seed => 2 + 2 * self.pairs.len().min(3) as u64,
            // Active pairs, one trading config per pair, settings for the portfolio.
            Workload::Fleet => 2 + self.pairs.len() as u64,
        }
    }

    /// One iteration of `workload` in `mode`. Each mode has its own function, so one
    /// mode's (large) database futures are not built on every cached iteration.
    pub async fn iteration(&self, workload: Workload, mode: Mode) -> Result<(), ConfigError> {
        match (workload, mode) {
            (Workload::Seed, Mode::Cached) => self.seed_cached().await,
            (Workload::Fleet, Mode::Cached) => self.fleet_cached().await,
            (Workload::Seed, Mode::Naive) => {
                self.seed_naive();
                Ok(())
            }
            (Workload::Fleet, Mode::Naive) => {
                self.fleet_naive();
                Ok(())
            }
            (_, Mode::Uncached) => {
                Box::pin(self.uncached_iteration(self.manager.uncached(), workload)).await
            }
        }
    }

    async fn seed_cached(&self) -> Result<(), ConfigError> {
        let manager = &self.manager;
        black_box(manager.system_config().await?);
        let pairs = manager.active_pairs().await?;
        for pair in pairs.iter().take(3) {
            black_box(manager.pair_strategies(&pair.symbol).await?);
            black_box(manager.pair_risk(&pair.symbol).await?);
        }
        Ok(())
    }

    /// One iteration straight from Postgres through `source`.
    pub async fn uncached_iteration(
        &self,
        source: &Source,
        workload: Workload,
    ) -> Result<(), ConfigError> {
        match workload {
            Workload::Seed => self.seed_uncached(source).await,
            Workload::Fleet => self.fleet_uncached(source).await,
        }
    }

    async fn seed_uncached(&self, source: &Source) -> Result<(), ConfigError> {
        black_box(source.system_config().await?);
        let pairs = source.active_pairs().await?;
        for pair in pairs.iter().take(3) {
            black_box(source.pair_strategies(&pair.symbol).await?);
            black_box(source.pair_risk(&pair.symbol).await?);
        }
        Ok(())
    }

    fn seed_naive(&self) {
        black_box(self.naive.get("system_config"));
        if let Some(NaiveValue::Pairs(pairs)) = self.naive.get("trading_pairs") {
            for pair in pairs.iter().take(3) {
                black_box(self.naive.get(&format!("pair_strategies:{}", pair.symbol)));
                black_box(self.naive.get(&format!("pair_risk:{}", pair.symbol)));
            }
        }
    }

    async fn fleet_cached(&self) -> Result<(), ConfigError> {
        let manager = &self.manager;
        let pairs = manager.active_pairs().await?;
        for pair in pairs.iter() {
            black_box(manager.trading_config(&pair.symbol).await?);
        }
        black_box(manager.system_config().await?);
        Ok(())
    }

    async fn fleet_uncached(&self, source: &Source) -> Result<(), ConfigError> {
        let pairs = source.active_pairs().await?;
        for pair in &pairs {
            black_box(source.trading_config(&pair.symbol).await?);
        }
        black_box(source.system_config().await?);
        Ok(())
    }

    fn fleet_naive(&self) {
        if let Some(NaiveValue::Pairs(pairs)) = self.naive.get("trading_pairs") {
            for pair in pairs.iter() {
                black_box(self.naive.get(&format!("trading_config:{}", pair.symbol)));
            }
        }
        black_box(self.naive.get("system_config"));
    }
}

/// How long and how hard to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub threads: usize,
    /// Iterations per thread; the run stops early when `max_time` is spent.
    pub iterations: u64,
    pub max_time: Duration,
}

/// Times `plan.iterations` runs of `iteration` in batches of `batch`, after a warm-up
/// round that fills the thread's front and the connection's statement cache.
async fn sample<F, Fut>(batch: u64, plan: Plan, iteration: F) -> Result<Vec<u64>, ConfigError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), ConfigError>>,
{
    for _ in 0..batch.min(16) {
        iteration().await?;
    }
    let mut samples = Vec::new();
    let mut done = 0;
    let deadline = Instant::now() + plan.max_time;
    while done < plan.iterations && Instant::now() < deadline {
        let t = Instant::now();
        for _ in 0..batch {
            iteration().await?;
        }
        samples.push(t.elapsed().as_nanos() as u64 / batch);
        done += batch;
    }
    Ok(samples)
}

/// Runs `workload` in `mode` per `plan` on `threads` OS threads of their own (as separate
/// bots would read), each driving its reads with `runtime`, and summarizes. Call it off the
/// runtime's own threads (e.g. from `spawn_blocking`).
pub fn measure(
    runtime: &tokio::runtime::Handle,
    subjects: &Arc<Subjects>,
    workload: Workload,
    mode: Mode,
    plan: Plan,
) -> Result<Measurement, ConfigError> {
    // Time batches of iterations when one is far below the clock's resolution.
    let batch: u64 = if mode == Mode::Uncached { 1 } else { 64 };
    let per_thread: Vec<Result<Vec<u64>, ConfigError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.threads)
            .map(|_| {
                let subjects = subjects.clone();
                let runtime = runtime.clone();
                scope.spawn(move || {
                    if mode == Mode::Uncached {
                        // As a bot process would: its own runtime and its own connection,
                        // both closed before the thread ends.
                        let own = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| ConfigError::Unavailable(e.to_string()))?;
                        let options = (*subjects.manager.pool().connect_options()).clone();
                        return own.block_on(async move {
                            // A few connections, as the server's pool has: sqlx hands a released
                            // connection back through a spawned task, so with one the next query
                            // would wait for that task.
                            let pool = sqlx::postgres::PgPoolOptions::new()
                                .max_connections(4)
                                .test_before_acquire(false)
                                .connect_with(options)
                                .await
                                .map_err(|e| ConfigError::Unavailable(e.to_string()))?;
                            let source = Source::new(pool.clone());
                            let samples = sample(batch, plan, || {
                                subjects.uncached_iteration(&source, workload)
                            })
                            .await;
                            pool.close().await;
                            samples
                        });
                    }
                    // Cached reads need no I/O; drive them with the caller's runtime, so a
                    // connection a miss might open never belongs to a runtime that ends.
                    runtime.block_on(sample(batch, plan, || subjects.iteration(workload, mode)))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ConfigError::Unavailable("benchmark thread panicked".into()))
                })
            })
            .collect()
    });
    let mut samples = Vec::new();
    // Reads per second over the measured loops only (not thread start-up or warm-up): the
    // slowest thread's measured time bounds the threads' combined rate.
    let mut measured_nanos = 0u64;
    for thread_samples in per_thread {
        let thread_samples = thread_samples?;
        measured_nanos = measured_nanos.max(thread_samples.iter().sum::<u64>() * batch);
        samples.extend(thread_samples);
    }
    samples.sort_unstable();
    let batches = samples.len() as u64;
    let iterations = batches * batch;
    let reads_per_iteration = subjects.reads_per_iteration(workload);
    let pick = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    let mean = samples
        .iter()
        .sum::<u64>()
        .checked_div(batches)
        .unwrap_or(0);
    Ok(Measurement {
        workload,
        mode,
        threads: plan.threads,
        iterations,
        reads_per_iteration,
        median_ns: pick(0.5),
        p99_ns: pick(0.99),
        mean_ns: mean,
        reads_per_sec: ((iterations * reads_per_iteration) as f64
            / (measured_nanos.max(1) as f64 / 1e9)) as u64,
    })
}

/// The machine a run happened on, for the record.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{cpu}, {cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
