//! How long a read from the replica takes: `cargo run --release -p botconfig-client
//! --example read_bench` with BOTCONFIG_URL and BOTCONFIG_TOKEN set. Prints nanoseconds per
//! read for the lookups a bot makes in its loop, on one thread and on two at once.

use botconfig_client::{BotConfig, Options};
use std::hint::black_box;
use std::time::Instant;

fn per_read(iterations: u32, mut read: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        read();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        read();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn main() {
    let options = Options::from_env().unwrap_or_else(|e| panic!("{e}"));
    let config = BotConfig::connect(options).unwrap_or_else(|e| panic!("{e}"));
    let symbol = std::env::var("BENCH_SYMBOL").unwrap_or_else(|_| "BTC/USDT".into());
    assert!(
        config.is_pair_active(&symbol),
        "{symbol} is not an active pair"
    );
    let n: u32 = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000_000);
    let c = &config;
    let s = symbol.as_str();
    let rows = [
        (
            "trading_config_for_pair",
            per_read(n, || {
                black_box(c.trading_config_for_pair(black_box(s)));
            }),
        ),
        (
            "is_pair_active",
            per_read(n, || {
                black_box(c.is_pair_active(black_box(s)));
            }),
        ),
        (
            "setting(paper_trading)",
            per_read(n, || {
                black_box(c.setting(black_box("paper_trading")));
            }),
        ),
        (
            "should_trade_pair",
            per_read(n, || {
                black_box(c.should_trade_pair(black_box(s)));
            }),
        ),
    ];
    for (name, ns) in rows {
        println!("rust client {name}: {ns:.1} ns per read");
    }
    let two: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    per_read(n, || {
                        black_box(c.trading_config_for_pair(black_box(s)));
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    println!(
        "rust client trading_config_for_pair on 2 threads at once: {:.1} and {:.1} ns per read",
        two[0], two[1]
    );
}
