//! Benchmark reports: what one run measured, shown by the CLI and the console alike.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What one iteration reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// All system settings, the active pairs, strategies and risk of the first 3 pairs.
    Seed,
    /// The trading config of every active pair, plus the portfolio settings.
    Fleet,
}

/// Where reads are answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Uncached,
    Cached,
    Naive,
}

impl Workload {
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Seed => "seed",
            Workload::Fleet => "fleet",
        }
    }
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Uncached, Mode::Naive, Mode::Cached];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Uncached => "uncached",
            Mode::Cached => "cached",
            Mode::Naive => "naive",
        }
    }
}

/// The figures of one workload in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub workload: Workload,
    pub mode: Mode,
    pub threads: usize,
    pub iterations: u64,
    pub reads_per_iteration: u64,
    pub median_ns: u64,
    pub p99_ns: u64,
    pub mean_ns: u64,
    pub reads_per_sec: u64,
}

/// How much faster cached reads were in one workload (median against median).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speedup {
    pub cached_vs_uncached: Decimal,
    pub cached_vs_naive: Decimal,
}

/// One finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkReport {
    pub machine: String,
    pub pairs: u64,
    pub threads: usize,
    pub iterations: u64,
    pub results: Vec<Measurement>,
    /// By workload name (`seed`, `fleet`).
    pub speedup: std::collections::BTreeMap<String, Speedup>,
    #[serde(default)]
    pub ran_at: Option<DateTime<Utc>>,
}

impl BenchmarkReport {
    /// The median of `workload` in `mode` at the run's thread count.
    pub fn median(&self, workload: Workload, mode: Mode) -> Option<u64> {
        self.results
            .iter()
            .find(|m| m.workload == workload && m.mode == mode)
            .map(|m| m.median_ns)
    }
}

/// `slow / fast` with two decimals, 0 when either is unknown or zero.
pub fn ratio(slow: u64, fast: u64) -> Decimal {
    if fast == 0 || slow == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(slow) / Decimal::from(fast))
        .round_dp(2)
        .normalize()
}

/// Nanoseconds in the unit that reads best.
pub fn format_ns(ns: u64) -> String {
    if ns >= 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else if ns >= 1_000 {
        format!("{:.2} µs", ns as f64 / 1e3)
    } else {
        format!("{ns} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ratios_and_units() {
        assert_eq!(ratio(1_000, 250), dec!(4));
        assert_eq!(ratio(1_000, 0), dec!(0));
        assert_eq!(format_ns(487), "487 ns");
        assert_eq!(format_ns(828_680), "828.68 µs");
        assert_eq!(format_ns(1_560_000), "1.56 ms");
    }
}
