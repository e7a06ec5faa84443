//! Every setting the program reads from its environment, in one typed struct, read once at
//! startup (clap fills it from flags or environment variables, with defaults).

use crate::cache::CacheSettings;
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
        default_value = "postgres://postgres@127.0.0.1:5432/botconfig",
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
    #[arg(long, env = "CACHE_TTL_SECONDS", default_value_t = 300, global = true)]
    pub cache_ttl_seconds: u64,

    /// Most bytes the cache may hold.
    #[arg(long, env = "CACHE_MAX_BYTES", default_value_t = 64 * 1024 * 1024, global = true)]
    pub cache_max_bytes: u64,

    /// Warm the cache when the server starts.
    #[arg(long, env = "CACHE_WARM_ON_START", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub cache_warm_on_start: bool,

    /// Seconds between background warms; 0 turns them off.
    #[arg(
        long,
        env = "CACHE_WARM_INTERVAL_SECONDS",
        default_value_t = 3600,
        global = true
    )]
    pub cache_warm_interval_seconds: u64,

    /// Most connections in the database pool.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub database_max_connections: u32,
}

impl Settings {
    pub fn cache(&self) -> CacheSettings {
        CacheSettings {
            ttl: Duration::from_secs(self.cache_ttl_seconds),
            max_bytes: self.cache_max_bytes,
            warm_on_start: self.cache_warm_on_start,
            warm_interval: Duration::from_secs(self.cache_warm_interval_seconds),
        }
    }
}
