//! `cargo bench --features ssr`: the config manager's figures against the goals,
//! on a scratch database (default data, then 1,000 pairs), Postgres on loopback.
//! Prints one table; compare within one run, absolute figures move between machines.

use botconfig::benchmark::{machine, measure, Measurement, Mode, Plan, Subjects, Workload};
use botconfig::domain::benchmark::format_ns;
use botconfig::store::scratch::Scratch;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn row(m: &Measurement) {
    println!(
        "{:<6} {:<9} {:>7} {:>10} {:>12} {:>12} {:>12} {:>14}",
        format!("{:?}", m.workload).to_lowercase(),
        format!("{:?}", m.mode).to_lowercase(),
        m.threads,
        m.iterations,
        format_ns(m.median_ns),
        format_ns(m.p99_ns),
        format_ns(m.mean_ns),
        m.reads_per_sec
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scale = if quick { 50 } else { 1 };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("machine: {}", machine());
    println!(
        "{:<6} {:<9} {:>7} {:>10} {:>12} {:>12} {:>12} {:>14}",
        "work", "mode", "threads", "iters", "median", "p99", "mean", "reads/s"
    );
    let mut results = Vec::new();
    for (pairs, workload) in [(3, Workload::Seed), (1000, Workload::Fleet)] {
        let scratch = runtime
            .block_on(Scratch::create(&server_url(), pairs))
            .expect("scratch database");
        let subjects = Arc::new(
            runtime
                .block_on(Subjects::new(scratch.pool.clone()))
                .expect("subjects"),
        );
        if workload == Workload::Fleet {
            let started = Instant::now();
            let report = runtime.block_on(subjects.manager.warm()).expect("warm");
            println!(
                "warm: {} pairs, {} entries, {} queries, {:.1} ms",
                report.pairs,
                report.entries,
                report.queries,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        let plans = [
            (
                Mode::Uncached,
                1,
                if workload == Workload::Seed {
                    3_000
                } else {
                    20
                },
            ),
            (Mode::Naive, 1, 400_000 / pairs as u64),
            (Mode::Cached, 1, 400_000 / pairs as u64),
            (Mode::Naive, 2, 400_000 / pairs as u64),
            (Mode::Cached, 2, 400_000 / pairs as u64),
        ];
        for (mode, threads, iterations) in plans {
            let plan = Plan {
                threads,
                iterations: (iterations / scale).max(1),
                max_time: Duration::from_secs(if quick { 1 } else { 5 }),
            };
            let m = measure(runtime.handle(), &subjects, workload, mode, plan).expect("measure");
            row(&m);
            results.push(m);
        }
        drop(subjects);
        runtime
            .block_on(scratch.drop())
            .expect("drop scratch database");
    }
    let find = |w: Workload, mode: Mode, t: usize| {
        results
            .iter()
            .find(|m| m.workload == w && m.mode == mode && m.threads == t)
    };
    if let (Some(c), Some(u), Some(n), Some(c2)) = (
        find(Workload::Seed, Mode::Cached, 1),
        find(Workload::Seed, Mode::Uncached, 1),
        find(Workload::Seed, Mode::Naive, 1),
        find(Workload::Seed, Mode::Cached, 2),
    ) {
        println!(
            "seed: cached {} (goal ≤ 1 µs), uncached {} (goal ≤ 800 µs), cached/naive {:.2}x (goal ≤ 4x), \
             speedup over uncached {:.0}x, 2 threads {:.2}x reads/s of 1 (goal ≥ 1.7x)",
            format_ns(c.median_ns),
            format_ns(u.median_ns),
            c.median_ns as f64 / n.median_ns.max(1) as f64,
            u.median_ns as f64 / c.median_ns.max(1) as f64,
            c2.reads_per_sec as f64 / c.reads_per_sec.max(1) as f64
        );
    }
    if let Some(f) = find(Workload::Fleet, Mode::Cached, 1) {
        println!(
            "fleet (1,000 pairs): cached {} per iteration (goal ≤ 300 µs)",
            format_ns(f.median_ns)
        );
    }
}
