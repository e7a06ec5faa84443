//! `cache stats|warm|clear|invalidate` through the running server's API, and
//! `cache benchmark`.

use super::fail;
use crate::cli::output::{json, show, table, Column};
use crate::cli::{remote, BenchmarkArgs, CacheCommand, Exit, Failure};
use crate::domain::benchmark::{format_ns, BenchmarkReport};
use crate::domain::stats::{CacheStats, WarmReport};
use crate::settings::Settings;

const STATS: &[Column] = &[Column::text("Statistic"), Column::number("Value")];

const MEASUREMENTS: &[Column] = &[
    Column::text("Workload"),
    Column::text("Mode"),
    Column::number("Iterations"),
    Column::number("Reads/iter"),
    Column::number("Median"),
    Column::number("p99"),
    Column::number("Mean"),
    Column::number("Reads/s"),
];

pub async fn run(settings: &Settings, action: CacheCommand) -> Result<Exit, Failure> {
    let server = remote::Remote {
        server: settings.server.clone(),
        token: settings.token.clone(),
    };
    match action {
        CacheCommand::Stats { json: as_json } => {
            let stats: CacheStats = blocking(move || server.get("/api/v1/cache/stats")).await?;
            show(&stats, as_json, STATS, |stats: &CacheStats| {
                stats
                    .rows()
                    .into_iter()
                    .map(|(k, v)| vec![k.to_owned(), v])
                    .collect()
            })?;
        }
        CacheCommand::Warm => {
            let report: WarmReport =
                blocking(move || server.post("/api/v1/cache/warm", serde_json::json!({}))).await?;
            println!("{}", report.summary());
        }
        CacheCommand::Clear => {
            let answer: serde_json::Value =
                blocking(move || server.post("/api/v1/cache/clear", serde_json::json!({}))).await?;
            println!("Cleared {} entries", answer["cleared"]);
        }
        CacheCommand::Invalidate { pattern } => {
            let body = serde_json::json!({ "pattern": pattern });
            let answer: serde_json::Value =
                blocking(move || server.post("/api/v1/cache/invalidate", body)).await?;
            println!(
                "Invalidated {} entries matching {}",
                answer["invalidated"], pattern
            );
        }
        CacheCommand::Benchmark(args) => return benchmark(settings, args).await,
    }
    Ok(Exit::Success)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| fail(Exit::Failure, e))?
}

async fn benchmark(settings: &Settings, args: BenchmarkArgs) -> Result<Exit, Failure> {
    if args.threads == 0 || args.iterations == 0 {
        return Err(fail(
            Exit::BadInput,
            "--threads and --iterations must be at least 1",
        ));
    }
    crate::server::open_database(settings).await?;
    let options = crate::benchmark::RunOptions {
        iterations: args.iterations,
        pairs: args.pairs,
        threads: args.threads,
        max_time: std::time::Duration::from_secs(args.max_seconds.max(1)),
        runs_kept: settings.benchmark_runs_kept,
    };
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(6);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} measurements {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let progress_bar = bar.clone();
    let report = crate::benchmark::run(&settings.database_url, &options, move |done, total| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    if args.json {
        json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(Exit::Success)
}

fn print_report(report: &BenchmarkReport) {
    println!("machine: {}", report.machine);
    println!("pairs: {}, threads: {}", report.pairs, report.threads);
    let rows = report
        .results
        .iter()
        .map(|m| {
            vec![
                m.workload.as_str().to_owned(),
                m.mode.as_str().to_owned(),
                m.iterations.to_string(),
                m.reads_per_iteration.to_string(),
                format_ns(m.median_ns),
                format_ns(m.p99_ns),
                format_ns(m.mean_ns),
                m.reads_per_sec.to_string(),
            ]
        })
        .collect();
    println!("{}", table(MEASUREMENTS, rows));
    for (workload, s) in &report.speedup {
        println!(
            "{workload}: cached is {}x faster than uncached, {}x the speed of naive",
            s.cached_vs_uncached, s.cached_vs_naive
        );
    }
}
