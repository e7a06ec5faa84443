//! Every setting the program reads from its environment, in one typed struct, read once at
//! startup (clap fills it from flags or environment variables, with defaults).

use crate::cache::settings::defaults as cache;
use crate::cache::CacheSettings;
use crate::store::{defaults as database, DatabaseSettings};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Postgres URL of the configuration database; created on start if missing.
    // Its value is never shown in help: it may hold a password.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = database::URL,
        global = true
    )]
    pub database_url: String,

    /// Address the console and API listen on.
    #[arg(
        long,
        env = "BOTCONFIG_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen: SocketAddr,

    /// URL of a running botconfig server (for `cache` commands).
    #[arg(
        long,
        env = "BOTCONFIG_SERVER",
        default_value = "http://127.0.0.1:3000",
        global = true
    )]
    pub server: String,

    /// Seconds a cached entry lives.
    #[arg(long, env = "CACHE_TTL_SECONDS", default_value_t = cache::TTL_SECONDS, global = true)]
    pub cache_ttl_seconds: u64,

    /// Most bytes the cache may hold.
    #[arg(long, env = "CACHE_MAX_BYTES", default_value_t = cache::MAX_BYTES, global = true)]
    pub cache_max_bytes: u64,

    /// Warm the cache when the server starts.
    #[arg(long, env = "CACHE_WARM_ON_START", default_value_t = cache::WARM_ON_START, action = clap::ArgAction::Set, global = true)]
    pub cache_warm_on_start: bool,

    /// Seconds between background warms; 0 turns them off.
    #[arg(
        long,
        env = "CACHE_WARM_INTERVAL_SECONDS",
        default_value_t = cache::WARM_INTERVAL_SECONDS,
        global = true
    )]
    pub cache_warm_interval_seconds: u64,

    /// Most connections in the database pool.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = database::MAX_CONNECTIONS,
        global = true
    )]
    pub database_max_connections: u32,

    /// Seconds to wait for a new database connection (startup, listener, CLI).
    #[arg(long, env = "DATABASE_CONNECT_TIMEOUT", default_value_t = database::CONNECT_TIMEOUT_SECONDS, value_parser = seconds, global = true)]
    pub database_connect_timeout: f64,

    /// Seconds to wait for a pooled connection.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT", default_value_t = database::ACQUIRE_TIMEOUT_SECONDS, value_parser = seconds, global = true)]
    pub database_acquire_timeout: f64,

    /// Seconds one statement may take.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT", default_value_t = database::STATEMENT_TIMEOUT_SECONDS, value_parser = seconds, global = true)]
    pub database_statement_timeout: f64,

    /// The staleness bound, in seconds: a cached value is served as current only while the
    /// server has confirmed, this recently, that it has applied every committed change.
    #[arg(long, env = "BOTCONFIG_MAX_STALENESS", default_value_t = cache::MAX_STALENESS_SECONDS, value_parser = seconds, global = true)]
    pub max_staleness: f64,

    /// Seconds between two heartbeats on the change listener's connection.
    #[arg(long, env = "BOTCONFIG_HEARTBEAT_INTERVAL", default_value_t = cache::HEARTBEAT_INTERVAL_SECONDS, value_parser = seconds, global = true)]
    pub heartbeat_interval: f64,

    /// Host names (optionally with a port) the console answers to besides the listen
    /// address, `localhost` and `127.0.0.1`; comma-separated.
    #[arg(
        long,
        env = "BOTCONFIG_ALLOWED_HOSTS",
        value_delimiter = ',',
        default_value = "",
        global = true
    )]
    pub allowed_hosts: Vec<String>,

    /// The first admin's password on a database without users; without it one is generated
    /// and printed once.
    #[arg(
        long,
        env = "BOTCONFIG_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub admin_password: Option<String>,

    /// Minutes a console session may sit unused before it ends.
    #[arg(
        long,
        env = "BOTCONFIG_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u64,

    /// Hours after sign-in that a console session ends, however busy.
    #[arg(
        long,
        env = "BOTCONFIG_SESSION_MAX_HOURS",
        default_value_t = 12,
        global = true
    )]
    pub session_max_hours: u64,

    /// Send the session cookie only over HTTPS (set this when the console is behind TLS).
    #[arg(long, env = "BOTCONFIG_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub secure_cookies: bool,

    /// Let API reads from this machine (127.0.0.1, ::1) through without a token.
    #[arg(long, env = "BOTCONFIG_LOCAL_READS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub local_reads: bool,

    /// Let `GET /metrics` from this machine through without a token (a local scraper).
    #[arg(long, env = "BOTCONFIG_LOCAL_METRICS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub local_metrics: bool,

    /// Proxies whose `X-Forwarded-For` names the client (addresses or networks,
    /// comma-separated): the sign-in limits then count by the client's address.
    #[arg(long, env = "BOTCONFIG_TRUSTED_PROXIES", default_value = "", value_parser = crate::address::TrustedProxies::parse, global = true)]
    pub trusted_proxies: crate::address::TrustedProxies,

    /// The API token the CLI's server commands (`cache …`) send.
    #[arg(long, env = "BOTCONFIG_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,

    /// How many benchmark runs to keep.
    #[arg(
        long,
        env = "BOTCONFIG_BENCHMARK_RUNS_KEPT",
        default_value_t = cache::BENCHMARK_RUNS_KEPT,
        global = true
    )]
    pub benchmark_runs_kept: u32,
}

/// A duration given in (possibly fractional) seconds: `5`, `0.5`.
fn seconds(input: &str) -> Result<f64, String> {
    let value: f64 = input
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("must be a number of seconds, not \"{input}\""))?;
    if !value.is_finite() || value <= 0.0 || value > 86_400.0 {
        return Err(format!("must be between 0 and 86400 seconds, not {input}"));
    }
    Ok(value)
}

impl Settings {
    /// How sessions and API tokens are handled.
    pub fn access(&self) -> crate::http::AccessPolicy {
        crate::http::AccessPolicy {
            session_idle: Duration::from_secs(self.session_idle_minutes.max(1) * 60),
            session_max: Duration::from_secs(self.session_max_hours.max(1) * 3600),
            secure_cookies: self.secure_cookies,
            local_reads: self.local_reads,
            local_metrics: self.local_metrics,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    pub fn cache(&self) -> CacheSettings {
        CacheSettings {
            ttl: Duration::from_secs(self.cache_ttl_seconds),
            max_bytes: self.cache_max_bytes,
            warm_on_start: self.cache_warm_on_start,
            warm_interval: Duration::from_secs(self.cache_warm_interval_seconds),
            max_staleness: Duration::from_secs_f64(self.max_staleness),
            heartbeat_interval: Duration::from_secs_f64(self.heartbeat_interval),
            operation_timeout: Duration::from_secs_f64(self.database_statement_timeout),
            connect_timeout: Duration::from_secs_f64(self.database_connect_timeout),
            benchmark_runs_kept: self.benchmark_runs_kept,
        }
    }

    pub fn database(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.database_url.clone(),
            max_connections: self.database_max_connections,
            connect_timeout: Duration::from_secs_f64(self.database_connect_timeout),
            acquire_timeout: Duration::from_secs_f64(self.database_acquire_timeout),
            statement_timeout: Duration::from_secs_f64(self.database_statement_timeout),
        }
    }
}
