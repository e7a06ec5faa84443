//! The arguments of the everyday jobs on many pairs: pause, copy a setup, bulk edits.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct BulkArgs {
    /// These pairs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub pairs: Vec<String>,
    /// Or every pair quoted in this asset.
    #[arg(long)]
    pub quote: Option<String>,
    /// Or every pair in this state: active, inactive or paused.
    #[arg(long)]
    pub state: Option<String>,
    /// Or every pair whose symbol contains this text (any case).
    #[arg(long = "match")]
    pub text: Option<String>,
    /// Show each pair's old and new value and change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    #[command(subcommand)]
    pub edit: BulkCommand,
}

#[derive(Debug, Subcommand)]
pub enum BulkCommand {
    Activate,
    Deactivate,
    /// Set one risk field: exactly one of the options.
    SetRisk {
        #[arg(long)]
        stop_loss: Option<String>,
        #[arg(long)]
        take_profit: Option<String>,
        #[arg(long)]
        max_daily_trades: Option<String>,
        #[arg(long)]
        max_daily_loss: Option<String>,
        #[arg(long)]
        trailing_stop_percent: Option<String>,
        #[arg(long)]
        max_drawdown: Option<String>,
        /// auto, fail_open or fail_closed.
        #[arg(long)]
        outage_policy: Option<String>,
    },
    /// Pause them from now, with a reason (the global --reason, required).
    Pause(PauseTiming),
    /// End their pauses now.
    Resume,
    /// Enable or disable a strategy, or set its weight.
    SetStrategy {
        strategy: String,
        #[arg(long, conflicts_with_all = ["disable", "weight"])]
        enable: bool,
        #[arg(long, conflicts_with = "weight")]
        disable: bool,
        #[arg(long)]
        weight: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The pair to copy from.
    pub from: String,
    /// The pairs to copy to, comma-separated: SOL/USDT,ADA/USDT.
    #[arg(long, value_delimiter = ',', required = true)]
    pub to: Vec<String>,
    /// Copy the risk settings.
    #[arg(long)]
    pub risk: bool,
    /// Copy the strategies.
    #[arg(long)]
    pub strategies: bool,
    /// Show what would change and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    pub symbol: String,
    #[command(flatten)]
    pub timing: PauseTiming,
}

/// When a pause ends, and what it asks of open positions.
#[derive(Debug, Args)]
pub struct PauseTiming {
    /// How long: 90s, 30m, 4h, 2d, 1h30m. Without --for or --until: until resumed.
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: Option<String>,
    /// When it ends: 2026-12-24T18:00:00Z (UTC if no offset is given).
    #[arg(long, conflicts_with = "duration")]
    pub until: Option<String>,
    /// Exit open positions too (default: only no new entries).
    #[arg(long)]
    pub close_out: bool,
}

impl PauseTiming {
    /// The pause asked for, with `reason` (the global --reason).
    pub fn request(self, reason: &str) -> crate::domain::pause::PauseRequest {
        use crate::domain::pause::PauseMode;
        let mode = match self.close_out {
            true => PauseMode::CloseOut,
            false => PauseMode::NoNewEntries,
        };
        crate::domain::pause::PauseRequest {
            duration: self.duration,
            until: self.until,
            reason: reason.to_owned(),
            mode: Some(mode.as_str().to_owned()),
        }
    }
}
