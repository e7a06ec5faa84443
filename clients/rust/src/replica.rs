//! The replica: the current snapshot, and the thread that keeps it current.

use crate::http::{Endpoint, HttpError};
use crate::state::{Pause, Snapshot, TradingConfig};
use arc_swap::ArcSwap;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const LIBRARY: &str = concat!("botconfig-client-rust/", env!("CARGO_PKG_VERSION"));

/// How the server's stream says it is alive (see the server's `api/stream.rs`).
pub(crate) const HEARTBEAT_PREFIX: &str = "heartbeat ";
/// The server sends a heartbeat every second; a stream silent for this long is dead.
pub(crate) const STREAM_READ_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// No configuration to start from: unreachable and no snapshot file, or refused.
    Unavailable(String),
    /// Bad options.
    Invalid(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unavailable(m) | Error::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// How to reach the server, and how this replica names itself in the fleet.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    pub token: String,
    /// Where the last known good configuration is kept (written after each revision).
    pub snapshot_path: Option<std::path::PathBuf>,
    pub name: String,
    /// Past this age without the server's confirmation, the replica says it is stale.
    pub max_staleness: Duration,
    pub report_interval: Duration,
    pub request_timeout: Duration,
}

impl Options {
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            token: token.into(),
            snapshot_path: None,
            name: std::env::args()
                .next()
                .and_then(|p| {
                    std::path::Path::new(&p)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "bot".into()),
            max_staleness: Duration::from_secs(5),
            report_interval: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
        }
    }

    /// `BOTCONFIG_URL`, `BOTCONFIG_TOKEN`, and optionally `BOTCONFIG_SNAPSHOT` and
    /// `BOTCONFIG_NAME`.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(url), Some(token)) = (var("BOTCONFIG_URL"), var("BOTCONFIG_TOKEN")) else {
            return Err(Error::Invalid(
                "set BOTCONFIG_URL and BOTCONFIG_TOKEN (the server's URL and a read token)".into(),
            ));
        };
        let mut options = Options::new(url, token);
        options.snapshot_path = var("BOTCONFIG_SNAPSHOT").map(Into::into);
        if let Some(name) = var("BOTCONFIG_NAME") {
            options.name = name;
        }
        Ok(options)
    }
}

/// One change of a revision, as the stream names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Change {
    pub kind: String,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub strategy: Option<String>,
}

/// What the replica can say about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub revision: u64,
    pub age_seconds: f64,
    pub stale: bool,
    pub connected: bool,
    pub stopped: Option<String>,
    pub started_from_file: bool,
    pub snapshots: u64,
    pub events: u64,
    pub gaps: u64,
    pub resets: u64,
    pub reconnects: u64,
}

type Callback = Box<dyn Fn(u64, &[Change]) + Send + Sync>;

pub(crate) struct Inner {
    pub(crate) endpoint: Endpoint,
    pub(crate) options: Options,
    pub(crate) instance: String,
    pub(crate) host: String,
    pub(crate) state: ArcSwap<Snapshot>,
    /// Nanoseconds after `base` (negative: before, from the snapshot file) at which the
    /// server last vouched for what is held; `NEVER`: never.
    pub(crate) confirmed: AtomicI64,
    pub(crate) base: Instant,
    pub(crate) connected: AtomicBool,
    pub(crate) stopped: Mutex<Option<String>>,
    pub(crate) closing: AtomicBool,
    pub(crate) callbacks: Mutex<Vec<Callback>>,
    pub(crate) started_from_file: bool,
    pub(crate) counters: Counters,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) snapshots: AtomicU64,
    pub(crate) events: AtomicU64,
    pub(crate) gaps: AtomicU64,
    pub(crate) resets: AtomicU64,
    pub(crate) reconnects: AtomicU64,
}

/// A live replica of the configuration; clone it freely (clones share one replica).
#[derive(Clone)]
pub struct BotConfig {
    inner: Arc<Inner>,
}

const NEVER: i64 = i64::MIN;

/// When the configuration the replica starts with was last confirmed.
enum Confirmed {
    At(Instant),
    /// This long ago (from the snapshot file).
    Ago(Duration),
}

pub(crate) enum Failure {
    Refused(String),
    Retry(String),
}

impl From<HttpError> for Failure {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Refused(m) => Failure::Refused(m),
            HttpError::Unreachable(m) => Failure::Retry(m),
        }
    }
}

impl BotConfig {
    /// Loads the configuration (from the server, or from the snapshot file when the server
    /// cannot be reached) and starts following the server.
    pub fn connect(options: Options) -> Result<Self, Error> {
        let endpoint = Endpoint::parse(&options.url, &options.token).map_err(Error::Invalid)?;
        let base = Instant::now();
        let first = load_snapshot(&endpoint, options.request_timeout);
        let (snapshot, confirmed, from_file) = match first {
            Ok((snapshot, stale)) => (snapshot, (!stale).then_some(Confirmed::At(base)), false),
            Err(HttpError::Refused(reason)) => return Err(Error::Unavailable(reason)),
            Err(HttpError::Unreachable(reason)) => {
                let Some((snapshot, age)) = options
                    .snapshot_path
                    .as_deref()
                    .and_then(crate::file::read_file)
                else {
                    return Err(Error::Unavailable(format!(
                        "cannot reach botconfig at {} ({reason}) and there is no snapshot file to start from",
                        options.url
                    )));
                };
                eprintln!(
                    "botconfig unreachable ({reason}): started from the snapshot file at revision {}, {:.0} s old",
                    snapshot.revision,
                    age.map_or(f64::INFINITY, |a| a.as_secs_f64())
                );
                (snapshot, age.map(Confirmed::Ago), true)
            }
        };
        let inner = Arc::new(Inner {
            endpoint,
            instance: format!(
                "{:x}{:x}",
                std::process::id(),
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            ),
            host: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into()),
            options,
            state: ArcSwap::from_pointee(snapshot),
            confirmed: AtomicI64::new(NEVER),
            base,
            connected: AtomicBool::new(false),
            stopped: Mutex::new(None),
            closing: AtomicBool::new(false),
            callbacks: Mutex::new(Vec::new()),
            started_from_file: from_file,
            counters: Counters::default(),
        });
        match confirmed {
            Some(Confirmed::At(at)) => inner.confirm(at),
            Some(Confirmed::Ago(age)) => inner.confirmed.store(
                -i64::try_from(age.as_nanos()).unwrap_or(i64::MAX / 2),
                Ordering::Relaxed,
            ),
            None => {}
        }
        inner
            .counters
            .snapshots
            .fetch_add(u64::from(!from_file), Ordering::Relaxed);
        if !from_file {
            inner.write_file();
        }
        let follower = inner.clone();
        std::thread::Builder::new()
            .name("botconfig-stream".into())
            .spawn(move || follower.follow())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let reporter = inner.clone();
        std::thread::Builder::new()
            .name("botconfig-report".into())
            .spawn(move || reporter.report())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        Ok(BotConfig { inner })
    }

    /// The current snapshot: every read below is a lookup in it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.state.load_full()
    }

    /// An active pair's trading config (`None`: not active or unknown).
    pub fn trading_config_for_pair(&self, symbol: &str) -> Option<Arc<TradingConfig>> {
        self.inner.state.load().pairs.get(symbol).cloned()
    }

    /// Every active pair's trading config, by symbol.
    pub fn all_active_pairs_config(&self) -> Arc<Snapshot> {
        self.snapshot()
    }

    pub fn portfolio_settings(&self) -> Arc<crate::Portfolio> {
        self.inner.state.load().portfolio.clone()
    }

    /// Each enabled strategy's weight over their sum (0 when the sum is 0), as the
    /// original service computed it.
    pub fn strategy_weights_for_pair(&self, symbol: &str) -> HashMap<String, Decimal> {
        let Some(config) = self.trading_config_for_pair(symbol) else {
            return HashMap::new();
        };
        let total: Decimal = config.strategies.iter().map(|s| s.weight).sum();
        config
            .strategies
            .iter()
            .map(|s| {
                let weight = if total.is_zero() {
                    Decimal::ZERO
                } else {
                    s.weight / total
                };
                (s.name.clone(), weight)
            })
            .collect()
    }

    pub fn is_pair_active(&self, symbol: &str) -> bool {
        self.inner.state.load().pairs.contains_key(symbol)
    }

    pub fn enabled_strategies_for_pair(&self, symbol: &str) -> Vec<String> {
        self.trading_config_for_pair(symbol)
            .map(|c| {
                c.enabled_strategies()
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A setting by its type (`None`: no such setting).
    pub fn setting(&self, key: &str) -> Option<crate::Setting> {
        self.inner.state.load().settings.get(key).cloned()
    }

    pub fn should_trade_pair(&self, symbol: &str) -> bool {
        self.trade_refusals(symbol).is_empty()
    }

    /// The pair's pause while it holds: with [`PauseMode::CloseOut`] the bot exits its
    /// open positions.
    pub fn pause(&self, symbol: &str) -> Option<Pause> {
        let state = self.inner.state.load();
        state
            .pairs
            .get(symbol)?
            .pair
            .pause_at(chrono::Utc::now())
            .cloned()
    }

    /// Why `should_trade_pair` says no, in words (empty: it says yes).
    pub fn trade_refusals(&self, symbol: &str) -> Vec<String> {
        let state = self.inner.state.load();
        let Some(config) = state.pairs.get(symbol) else {
            return vec!["pair is not active (or unknown)".into()];
        };
        let mut reasons = Vec::new();
        if config.strategies.is_empty() {
            reasons.push("no strategy is enabled".into());
        }
        // The clock is read only for a pair that has a pause: most reads need no syscall.
        let pause = match config.pair.pause {
            Some(_) => config.pair.pause_at(chrono::Utc::now()),
            None => None,
        };
        if let Some(pause) = pause {
            let until = match pause.until {
                Some(until) => format!("until {}", until.to_rfc3339()),
                None => "until resumed".to_owned(),
            };
            reasons.push(format!(
                "paused {until}: {} ({:?})",
                pause.reason, pause.mode
            ));
        }
        if state.emergency_stop_triggered {
            reasons.push("emergency stop triggered".into());
        }
        let age = self.age().as_secs_f64();
        let policy = config.risk.outage_policy;
        if !policy.allows_trading(age, state.grace_seconds, state.paper_trading) {
            reasons.push(format!(
                "configuration unconfirmed for {age:.0} s, past the {} s grace period: outage policy {} stops new positions",
                state.grace_seconds,
                policy.as_str()
            ));
        }
        reasons
    }

    /// Reloads the whole snapshot now.
    pub fn warm(&self) -> Result<u64, Error> {
        self.inner.reload().map_err(|f| match f {
            Failure::Refused(m) | Failure::Retry(m) => Error::Unavailable(m),
        })?;
        Ok(self.revision())
    }

    pub fn revision(&self) -> u64 {
        self.inner.state.load().revision
    }

    /// How long since the server last confirmed what this replica holds.
    pub fn age(&self) -> Duration {
        self.inner.age()
    }

    /// Unconfirmed for longer than `max_staleness`, or stopped.
    pub fn is_stale(&self) -> bool {
        self.stopped().is_some() || self.age() > self.inner.options.max_staleness
    }

    /// Why the replica stopped following the server (a refused token), if it did.
    pub fn stopped(&self) -> Option<String> {
        self.inner
            .stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn status(&self) -> Status {
        let c = &self.inner.counters;
        Status {
            revision: self.revision(),
            age_seconds: self.age().as_secs_f64(),
            stale: self.is_stale(),
            connected: self.inner.connected.load(Ordering::Relaxed),
            stopped: self.stopped(),
            started_from_file: self.inner.started_from_file,
            snapshots: c.snapshots.load(Ordering::Relaxed),
            events: c.events.load(Ordering::Relaxed),
            gaps: c.gaps.load(Ordering::Relaxed),
            resets: c.resets.load(Ordering::Relaxed),
            reconnects: c.reconnects.load(Ordering::Relaxed),
        }
    }

    /// Calls `callback(revision, changes)` after each applied revision, on the replica's
    /// thread (keep it short). After a full reload `changes` is one change of kind "reset".
    pub fn on_change(&self, callback: impl Fn(u64, &[Change]) + Send + Sync + 'static) {
        self.inner
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(callback));
    }

    /// Stops following the server (the last snapshot stays readable).
    pub fn close(&self) {
        self.inner.closing.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn load_snapshot(
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<(Snapshot, bool), HttpError> {
    let (status, body) = endpoint.request("GET", "/api/v1/snapshot", None, timeout)?;
    if status != 200 {
        return Err(HttpError::Unreachable(format!(
            "GET /api/v1/snapshot answered {status}"
        )));
    }
    Snapshot::parse(&body).map_err(HttpError::Unreachable)
}

impl Inner {
    pub(crate) fn age(&self) -> Duration {
        match self.confirmed.load(Ordering::Relaxed) {
            NEVER => Duration::MAX,
            at => {
                let now = i64::try_from(self.base.elapsed().as_nanos()).unwrap_or(i64::MAX);
                Duration::from_nanos(now.saturating_sub(at).max(0) as u64)
            }
        }
    }

    pub(crate) fn confirm(&self, at: Instant) {
        let nanos = match at.checked_duration_since(self.base) {
            Some(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            None => -i64::try_from((self.base - at).as_nanos()).unwrap_or(i64::MAX / 2),
        };
        self.confirmed.fetch_max(nanos, Ordering::Relaxed);
    }

    pub(crate) fn stop(&self, reason: String) {
        eprintln!("botconfig stopped following the server: {reason}");
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
        self.connected.store(false, Ordering::Relaxed);
        self.closing.store(true, Ordering::Relaxed);
    }

    pub(crate) fn install(
        &self,
        snapshot: Snapshot,
        confirmed: Option<Instant>,
        changes: &[Change],
    ) {
        let revision = snapshot.revision;
        self.state.store(Arc::new(snapshot));
        if let Some(at) = confirmed {
            self.confirm(at);
        }
        self.write_file();
        for callback in self
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            callback(revision, changes);
        }
    }

    pub(crate) fn reload(&self) -> Result<(), Failure> {
        let asked = Instant::now();
        let (snapshot, stale) = load_snapshot(&self.endpoint, self.options.request_timeout)?;
        self.counters.snapshots.fetch_add(1, Ordering::Relaxed);
        let reset = [Change {
            kind: "reset".into(),
            symbol: None,
            key: None,
            strategy: None,
        }];
        self.install(snapshot, (!stale).then_some(asked), &reset);
        Ok(())
    }

    pub(crate) fn client_header(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_control() && *c != ';' && *c != '=')
                .take(200)
                .collect()
        };
        format!(
            "instance={}; name={}; host={}; library={LIBRARY}; revision={}",
            self.instance,
            clean(&self.options.name),
            clean(&self.host),
            self.state.load().revision
        )
    }
}
