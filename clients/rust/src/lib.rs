//! botconfig's client for Rust bots: a live replica of the configuration in the bot's own
//! process.
//!
//! [`BotConfig::connect`] loads a snapshot, then a background thread follows the server's
//! `/api/v1/stream` (resuming with `Last-Event-ID` after a reconnect), applies each committed
//! revision by refetching only what it touched (everything on a `reset` or a gap in the
//! revisions), and swaps the new [`Snapshot`] in whole. Reads are in-process lookups that
//! return shared values (`Arc`): no I/O, no lock.
//!
//! An outage is never silent: [`BotConfig::age`] grows from the moment the server last
//! confirmed the replica current, [`BotConfig::is_stale`] turns true past
//! `max_staleness`, and [`BotConfig::should_trade_pair`] applies each pair's outage policy
//! past the grace period (the setting `outage_grace_seconds`). Nothing falls back to
//! defaults or to a per-call network read.
//!
//! ```no_run
//! let config = botconfig_client::BotConfig::connect(
//!     botconfig_client::Options::new("http://127.0.0.1:3000", "bc_read_token"),
//! )?;
//! if config.should_trade_pair("BTC/USDT") {
//!     let btc = config.trading_config_for_pair("BTC/USDT").expect("active");
//!     println!("stop loss {}%", btc.risk.stop_loss_percent);
//! }
//! # Ok::<(), botconfig_client::Error>(())
//! ```

mod file;
mod follow;
mod http;
mod replica;
mod state;

pub use replica::{BotConfig, Change, Error, Options, Status, LIBRARY};
pub use state::{
    OutagePolicy, Pause, PauseMode, Portfolio, Risk, Setting, Snapshot, Strategy, TradingConfig,
    TradingPair,
};
