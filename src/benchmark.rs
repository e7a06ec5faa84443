//! Measuring the config manager as bots use it: cached against uncached reads and against
//! the naive design (a `RwLock<HashMap<String, (Instant, Arc<_>)>>` with a TTL check, the
//! original tool's cache written in Rust), on the same data, in the same run.
//!
//! Used by `cargo bench` and by `botconfig cache benchmark`.

use crate::cache::{CacheSettings, ConfigManager, Source};
pub use crate::domain::benchmark::{BenchmarkReport, Measurement, Mode, Speedup, Workload};
use crate::domain::pair::TradingPair;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The original tool's cache in Rust: one lock around a map of string keys, a TTL check on
/// every read, keys formatted per read.
pub struct NaiveCache {
    ttl: Duration,
    map: RwLock<HashMap<String, (Instant, NaiveValue)>>,
}

#[derive(Clone)]
pub enum NaiveValue {
    Settings(Arc<Vec<SystemSetting>>),
    Pairs(Arc<Vec<TradingPair>>),
    Strategies(Arc<Vec<PairStrategy>>),
    Risk(Arc<crate::domain::risk::RiskConfig>),
    Trading(Arc<TradingConfig>),
}

impl NaiveCache {
    /// Filled from one snapshot of the database, as a warm would.
    pub async fn load(source: &Source, ttl: Duration) -> Result<NaiveCache, ConfigError> {
        let settings = source.system_config().await?;
        let snapshot = source.snapshot_pairs().await?;
        let now = Instant::now();
        let mut map = HashMap::new();
        map.insert(
            "system_config".to_owned(),
            (now, NaiveValue::Settings(Arc::new(settings))),
        );
        let active: Vec<TradingPair> = snapshot
            .pairs
            .iter()
            .filter(|p| p.is_active)
            .cloned()
            .collect();
        map.insert(
            "trading_pairs".to_owned(),
            (now, NaiveValue::Pairs(Arc::new(active))),
        );
        let by_symbol = snapshot.strategies_by_symbol();
        for pair in &snapshot.pairs {
            let enabled: Vec<PairStrategy> = by_symbol
                .get(pair.symbol.as_str())
                .map(|rows| rows.iter().filter(|s| s.is_enabled).cloned().collect())
                .unwrap_or_default();
            map.insert(
                format!("pair_strategies:{}", pair.symbol),
                (now, NaiveValue::Strategies(Arc::new(enabled))),
            );
        }
        for risk in &snapshot.risks {
            map.insert(
                format!("pair_risk:{}", risk.symbol),
                (now, NaiveValue::Risk(Arc::new(risk.clone()))),
            );
        }
        for config in snapshot.trading_configs() {
            map.insert(
                format!("trading_config:{}", config.pair.symbol),
                (now, NaiveValue::Trading(Arc::new(config))),
            );
        }
        Ok(NaiveCache {
            ttl,
            map: RwLock::new(map),
        })
    }

    pub fn get(&self, key: &str) -> Option<NaiveValue> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let (at, value) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }
}

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

/// A scratch database with the default data plus synthetic pairs, dropped by `drop_scratch`.
/// Never the operator's database.
pub async fn create_scratch(
    server_url: &str,
    pairs: usize,
) -> Result<(String, sqlx::PgPool), ConfigError> {
    use sqlx::postgres::PgConnectOptions;
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    let options = PgConnectOptions::from_str(server_url)
        .map_err(|e| ConfigError::Unavailable(e.to_string()))?;
    let name = format!(
        "botconfig_bench_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let url_options = options.clone().database(&name);
    let url = url_options.to_url_lossy().to_string();
    crate::store::ensure_database(&crate::store::DatabaseSettings::new(url.as_str())).await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .connect_with(url_options)
        .await
        .map_err(|e| ConfigError::Unavailable(e.to_string()))?;
    crate::store::migrate(&pool).await?;
    if pairs > 3 {
        crate::store::pairs::insert_synthetic(&pool, pairs - 3).await?;
    }
    Ok((name, pool))
}

/// Drops a scratch database made by `create_scratch`.
pub async fn drop_scratch(
    server_url: &str,
    name: &str,
    pool: sqlx::PgPool,
) -> Result<(), ConfigError> {
    pool.close().await;
    crate::store::drop_database(server_url, name).await?;
    Ok(())
}

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
        (true, Some(url)) => Some(create_scratch(url, wanted as usize).await?),
        (true, None) => {
            return Err(ConfigError::invalid(
                "pairs",
                format!("at most {real_pairs} here; more needs a scratch database (use the CLI)"),
            ))
        }
        (false, _) => None,
    };
    let database_url = server_url.unwrap_or_default();
    let pool = scratch
        .as_ref()
        .map_or_else(|| operator.pool().clone(), |(_, p)| p.clone());
    let result = measure_all(pool, options, &progress).await;
    if let Some((name, pool)) = scratch {
        drop_scratch(database_url, &name, pool).await?;
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
