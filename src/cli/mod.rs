//! The `botconfig` command line: one binary that serves the console, migrates, operates the
//! running server's cache, and lists, edits, validates, exports and imports the
//! configuration. Exit codes: 0 success, 1 failure (or validation errors), 2 bad input.

mod commands;
mod everyday;
mod output;
mod remote;

use crate::settings::Settings;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub use everyday::{BulkArgs, BulkCommand, CopyArgs, PauseArgs};

#[derive(Debug, Parser)]
#[command(
    name = "botconfig",
    version,
    about = "Cached trading-bot configuration over Postgres",
    after_help = "Exit codes: 0 success; 1 failure (no database, no server, or validation errors); 2 bad input (nothing was saved)."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    /// Why: recorded with every change this command makes (see `history`).
    #[arg(long, global = true)]
    pub reason: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the admin console and the API (the default).
    Serve,
    /// Create the database if it is missing and apply pending migrations.
    Migrate,
    /// Take over a bot's own database (its five tables, every row kept), after checking every
    /// row against botconfig's rules: exit code 1 and a list when rows break them.
    Adopt {
        /// Show the rule breaks and every change adopting makes, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Mend what cannot change a value's meaning: spaces around text, the case of
        /// true/false.
        #[arg(long)]
        fix: bool,
    },
    /// Console users: add, change a password, disable, list.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for bots, scripts and the CLI: create (shown once), list, revoke.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Database roles: `db bot-role NAME` gives bots a login of their own.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Who changed what: every recorded change, newest first.
    History(HistoryArgs),
    /// Revert a recorded change (see `history`), as a new change.
    Rollback(RollbackArgs),
    /// Act on the running server's cache (through its API), or benchmark the cache.
    Cache {
        #[command(subcommand)]
        action: CacheCommand,
    },
    /// Show the configuration as tables (or JSON).
    List {
        #[command(subcommand)]
        what: ListCommand,
        /// Print JSON instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Add a trading pair (active, default risk settings, no strategy enabled yet).
    AddPair(AddPairArgs),
    /// Enable, disable or retune one strategy of a pair.
    UpdateStrategy(UpdateStrategyArgs),
    /// Change a pair's risk settings; options left out keep their value.
    UpdateRisk(UpdateRiskArgs),
    /// Set a system setting; the value is checked against the setting's type.
    SetConfig(SetConfigArgs),
    /// Pause a pair now, for a while (--for 4h) or until a time (--until), with a reason
    /// (--reason, required): bots open nothing new on it (--close-out: they exit its open
    /// positions too). It trades again by itself when the time passes.
    Pause(PauseArgs),
    /// End a pair's pause now.
    Resume { symbol: String },
    /// One edit on many pairs, previewed pair by pair and applied in one transaction (a row
    /// changed meanwhile: nothing is applied). Select with --pairs or a filter.
    Bulk(BulkArgs),
    /// Copy one pair's risk settings and/or strategies (enabled flags, weights, parameters)
    /// to others: the diff is shown, then applied in one transaction (or, --dry-run, not).
    Copy(CopyArgs),
    /// Whether a bot may trade SYMBOL now, and why not: exit code 0 when it may, 1 when not.
    ShouldTrade {
        symbol: String,
        /// Print JSON instead of a line.
        #[arg(long)]
        json: bool,
    },
    /// Every reader of the configuration (servers and client replicas) with its applied
    /// revision, lag and last report: exit code 1 when one deserves a warning.
    Fleet {
        /// Warn about a reader behind the database for longer than this many seconds.
        #[arg(long, default_value_t = crate::domain::fleet::DEFAULT_BEHIND_WARNING_SECONDS)]
        behind_warning: i64,
        /// Warn about a reader silent for longer than this many seconds.
        #[arg(long, default_value_t = crate::domain::fleet::DEFAULT_SILENT_WARNING_SECONDS)]
        silent_warning: i64,
        #[arg(long)]
        json: bool,
    },
    /// Check the configuration: exit code 1 when there are errors.
    Validate {
        #[arg(long)]
        json: bool,
    },
    /// Write the whole configuration as one JSON document (to FILE or standard output).
    Export { file: Option<PathBuf> },
    /// Apply a document written by `export`: all of it in one transaction, or nothing.
    Import {
        file: PathBuf,
        /// Show what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input or generated and shown once.
    Add {
        name: String,
        /// viewer, editor or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Read the password (one line) from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (signs them out everywhere).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (signs them out everywhere).
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
    /// Every user with their role, and whether sign-in is locked for them.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Lift a user's sign-in lock: the failures so far no longer count.
    Unlock { name: String },
    /// The latest sign-in attempts (of NAME): when, from where, and how each ended.
    SignIns {
        name: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create (or update) the database role bots should log in as: it may read and write
    /// the five configuration tables and nothing else (not the history, users, sessions or
    /// tokens), and the history records its changes as `sql:NAME`, whatever it claims.
    BotRole {
        name: String,
        /// Read the password (one line) from standard input; otherwise one is generated
        /// and shown once.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token: shown once, stored hashed.
    Create {
        name: String,
        /// read (every GET), write (also edits, warm, invalidate) or admin (also clear).
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires, 1 to 3650 (none: it lives until revoked).
        #[arg(long)]
        expires_days: Option<u32>,
        /// The token also reads secret settings (in `/api/v1/pairs`' `system` block).
        #[arg(long)]
        secrets: bool,
    },
    /// Every token (never the token itself).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a live token.
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only the changes of pairs whose symbol contains this, in any case (`btc`, `SOL/USDT`):
    /// their settings, strategies and risk.
    pub symbol: Option<String>,
    /// Only changes from then on: 2026-11-25, 2026-11-25T14:00:00Z, or an age (30m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only changes of this table (system_config, trading_pairs, strategies,
    /// pair_strategy_config, pair_risk_config).
    #[arg(long)]
    pub table: Option<String>,
    /// Only changes by this actor (a user, `token:NAME`, `cli:USER`, `sql:ROLE`).
    #[arg(long)]
    pub actor: Option<String>,
    /// At most this many changes.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Skip this many of the newest first (with --limit, a page further back).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    pub offset: i64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The change's number, as `history` shows it.
    pub id: i64,
    /// Revert every change made with it (a whole import, a whole settings save).
    #[arg(long)]
    pub whole: bool,
    /// Revert even if the row has changed since.
    #[arg(long)]
    pub confirm: bool,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// The running server's cache statistics.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Load everything into the running server's cache.
    Warm,
    /// Empty the running server's cache.
    Clear,
    /// Drop the running server's entries whose key matches PATTERN (`*`, `?`, or a substring).
    Invalidate { pattern: String },
    /// Measure cached against uncached and naive reads.
    Benchmark(BenchmarkArgs),
}

#[derive(Debug, Args)]
pub struct BenchmarkArgs {
    /// Iterations per cached and naive measurement (uncached runs a tenth of them).
    #[arg(long, default_value_t = 20_000)]
    pub iterations: u64,
    /// Active pairs to measure over; more than the database holds uses synthetic pairs in a
    /// scratch database that is dropped afterwards.
    #[arg(long)]
    pub pairs: Option<u64>,
    /// Reading threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Longest time one measurement may take, in seconds.
    #[arg(long, default_value_t = 5)]
    pub max_seconds: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Every pair and its state.
    Pairs,
    /// The system settings.
    System,
    /// Portfolio settings and each active pair's allocation.
    Portfolio,
    /// The strategies; with SYMBOL (or --symbol), that pair's strategies and weights.
    Strategies {
        symbol: Option<String>,
        /// The original tool's spelling of SYMBOL.
        #[arg(long = "symbol", conflicts_with = "symbol")]
        symbol_flag: Option<String>,
    },
    /// Every pair's risk settings, or SYMBOL's.
    Risk { symbol: Option<String> },
}

#[derive(Debug, Args)]
pub struct SetConfigArgs {
    pub key: String,
    pub value: String,
    /// Creates the setting when it does not exist yet: string, integer, float, boolean or json.
    #[arg(long = "type", value_name = "TYPE")]
    pub value_type: Option<String>,
    /// The new setting's category: general, system, notification or risk.
    #[arg(long)]
    pub category: Option<String>,
    /// The new setting's description.
    #[arg(long)]
    pub description: Option<String>,
    /// The new setting is a secret (an exchange key, a chat token): never shown, exported,
    /// logged or recorded in the history.
    #[arg(long)]
    pub secret: bool,
}

#[derive(Debug, Args)]
pub struct AddPairArgs {
    /// BASE/QUOTE in capitals, e.g. SOL/USDT.
    pub symbol: String,
    /// The base currency, as the original tool took it; must match SYMBOL.
    pub base: Option<String>,
    /// The quote currency, as the original tool took it; must match SYMBOL.
    pub quote: Option<String>,
    #[arg(long, alias = "balance", default_value = "1000")]
    pub initial_balance: String,
    #[arg(long, default_value = "100")]
    pub trade_size: String,
    /// Percent of the pair's balance one position may take.
    #[arg(long, default_value = "10")]
    pub max_position: String,
    #[arg(long, default_value = "0.0001")]
    pub min_trade_amount: String,
    #[arg(long, default_value = "1000000")]
    pub max_trade_amount: String,
    #[arg(long, default_value = "2")]
    pub price_precision: String,
    #[arg(long, default_value = "6")]
    pub amount_precision: String,
    /// Create the pair inactive.
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
pub struct UpdateStrategyArgs {
    pub symbol: String,
    pub strategy: String,
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    #[arg(long)]
    pub disable: bool,
    /// Weight between 0 and 1.
    #[arg(long)]
    pub weight: Option<String>,
    /// A parameter as name=value; repeat for several.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Parameters as one JSON object, as the original tool took them: '{"rsi_period": 21}'.
    #[arg(long, value_name = "JSON")]
    pub parameters: Option<String>,
    /// true or false, as the original tool took it.
    #[arg(long, conflicts_with_all = ["enable", "disable"])]
    pub enabled: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateRiskArgs {
    pub symbol: String,
    #[arg(long)]
    pub stop_loss: Option<String>,
    #[arg(long)]
    pub take_profit: Option<String>,
    #[arg(long, alias = "max-trades")]
    pub max_daily_trades: Option<String>,
    #[arg(long, alias = "max-loss")]
    pub max_daily_loss: Option<String>,
    /// on or off.
    #[arg(long)]
    pub trailing_stop: Option<String>,
    #[arg(long)]
    pub trailing_stop_percent: Option<String>,
    #[arg(long)]
    pub max_drawdown: Option<String>,
    /// fixed, percent, kelly or volatility.
    #[arg(long)]
    pub position_sizing: Option<String>,
    #[arg(long)]
    pub volatility_lookback: Option<String>,
    /// What should_trade_pair answers once the configuration a reader holds has gone
    /// unconfirmed past outage_grace_seconds: auto, fail_open or fail_closed.
    #[arg(long)]
    pub outage_policy: Option<String>,
}

/// How a command ended: its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// No database, no server, a failed operation, or a configuration with errors.
    Failure = 1,
    /// The input was refused: nothing was saved.
    BadInput = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A command's failure: the line to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

impl From<crate::domain::ConfigError> for Failure {
    fn from(error: crate::domain::ConfigError) -> Self {
        use crate::domain::ConfigError::*;
        let code = match &error {
            Invalid(_) | NotFound(_) | Conflict(_) | Unconfirmed(_) => Exit::BadInput,
            Unavailable(_) | Internal(_) | Request(_) | Unauthenticated(_) | Forbidden(_)
            | TooManyAttempts(_) => Exit::Failure,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

impl From<crate::server::StartupError> for Failure {
    fn from(error: crate::server::StartupError) -> Self {
        let message = match &error {
            crate::server::StartupError::Unadoptable { report, .. } => format!(
                "{error}.\n{}`botconfig adopt --dry-run` shows this list and what adopting does; \
                 `botconfig adopt --fix` also mends what cannot change meaning.",
                commands::render_adopt_report(report, Default::default())
            ),
            _ => error.to_string(),
        };
        Failure {
            code: Exit::Failure,
            message,
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a log file or journal.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Parses the command line and runs it; the exit code says how it went.
/// The operator at this terminal, `cli:<name>`, named by the process's real user id: not
/// by `$USER`, which anyone can set to anyone.
pub fn operator() -> crate::domain::history::Actor {
    crate::domain::history::Actor::new(
        format!("cli:{}", os_user_name()),
        crate::domain::history::Source::Cli,
    )
}

/// The login name of the real user id, or `uid N` when the user database has none.
fn os_user_name() -> String {
    // SAFETY: getuid cannot fail; getpwuid_r writes only into the buffers given, and the
    // name is read before they go out of scope.
    unsafe {
        let uid = libc::getuid();
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut buffer = vec![0 as libc::c_char; 4096];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let status = libc::getpwuid_r(
            uid,
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        );
        if status == 0 && !found.is_null() && !entry.pw_name.is_null() {
            std::ffi::CStr::from_ptr(entry.pw_name)
                .to_string_lossy()
                .into_owned()
        } else {
            format!("uid {uid}")
        }
    }
}

/// A command whose reader went away (`botconfig history | head -1`) ends there, silently,
/// as command-line tools do, instead of panicking in `println!`. Not for `serve`, whose
/// clients may hang up at any time.
fn end_quietly_on_closed_pipe() {
    // SAFETY: only sets the disposition of one signal, for which nothing installs a handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, None | Some(Command::Serve)) {
        init_tracing();
    } else {
        end_quietly_on_closed_pipe();
    }
    match commands::dispatch(cli).await {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.code.into()
        }
    }
}
