//! The service every entry point (console, API, CLI, library) goes through, by the reader
//! it serves: `bots` (trading configs, portfolio, should-trade, validation), `console`
//! (what the pages and the CLI read and write) and `transfer` (export, import, check).
//! Symbols arrive parsed (`&Symbol`): each edge parses what it was given, once.

pub mod accounts;
mod bots;
mod confirm;
mod console;
pub mod fleet;
mod history;
mod transfer;

pub use bots::{portfolio_from, ReadFrom};
pub use confirm::Proposal;

use crate::cache::ConfigManager;
use crate::domain::pair::Symbol;
use crate::domain::ConfigError;

/// The settings a bot cannot start without.
pub const REQUIRED_SETTINGS: [&str; 4] = [
    "paper_trading",
    "check_interval",
    "max_concurrent_positions",
    "total_portfolio_balance",
];

/// The service every entry point (console, API, CLI, library) goes through.
#[derive(Clone)]
pub struct ConfigService {
    manager: ConfigManager,
}

/// A symbol from a URL or argument; a malformed one cannot name an existing pair.
pub fn parse_symbol(input: &str) -> Result<Symbol, ConfigError> {
    Symbol::parse(input).map_err(ConfigError::from)
}

impl ConfigService {
    /// This service with its writes recorded under `actor` (a user, a token, the CLI).
    pub fn acting_as(&self, actor: crate::domain::history::Actor) -> Self {
        Self {
            manager: self.manager.acting_as(actor),
        }
    }

    /// Users, sign-ins and tokens, over the same database.
    pub fn accounts(&self) -> accounts::AccountService {
        accounts::AccountService::with_cache(self.manager.clone())
    }

    /// What an API token grants, from the cache (see `ConfigManager::api_token`):
    /// `NotFound` when the token is unknown, revoked or expired.
    pub async fn token_grant(
        &self,
        token: &str,
    ) -> Result<std::sync::Arc<crate::domain::auth::LiveToken>, ConfigError> {
        self.manager
            .api_token(&crate::store::accounts::digest(token))
            .await
    }

    pub fn new(manager: ConfigManager) -> Self {
        Self { manager }
    }

    /// Whether the database answers within `deadline`.
    pub async fn ping(&self, deadline: std::time::Duration) -> Result<(), ConfigError> {
        self.manager.ping(deadline).await
    }

    /// `Some(age)` when cached answers can no longer be vouched for (see
    /// `ConfigManager::staleness`); every answer made now must say so.
    pub fn staleness(&self) -> Option<std::time::Duration> {
        self.manager.staleness()
    }

    /// The cache's invalidation epoch: an answer built from cached values while it stays
    /// the same is still current (see `http::answer`).
    pub fn cache_epoch(&self) -> u64 {
        self.manager.invalidation_epoch()
    }

    /// How long a cached value is kept at most.
    pub fn cache_ttl(&self) -> std::time::Duration {
        self.manager.settings().ttl
    }

    /// Every committed revision's changes, for watchers (see `cache::feed`).
    pub fn feed(&self) -> &crate::cache::feed::Feed {
        self.manager.feed()
    }

    /// The pool's connections now: in use and idle.
    pub fn pool_usage(&self) -> crate::domain::stats::PoolUsage {
        let pool = self.manager.pool();
        let idle = pool.num_idle() as u64;
        crate::domain::stats::PoolUsage {
            in_use: u64::from(pool.size()).saturating_sub(idle),
            idle,
        }
    }

    /// The change listener's state, without a query (see `ConfigManager::health`).
    pub fn listener_health(&self) -> crate::domain::stats::ListenerHealth {
        self.manager.health()
    }

    pub async fn cache_stats(&self) -> crate::domain::stats::CacheStats {
        self.manager.stats().await
    }

    pub async fn warm(&self) -> Result<crate::domain::stats::WarmReport, ConfigError> {
        self.manager.warm().await
    }

    /// Drops every entry; returns how many there were.
    pub async fn clear(&self) -> u64 {
        self.manager.clear().await
    }

    /// Whether invalidating `pattern` would drop every entry, like a clear, and so needs the
    /// rights a clear needs (`Role::Admin`, `Scope::Admin`).
    pub fn invalidation_clears(pattern: &str) -> Result<bool, ConfigError> {
        Ok(crate::cache::Pattern::new(pattern)?.matches_everything())
    }

    /// Drops the entries matching an operator's pattern; returns how many.
    pub async fn invalidate(&self, pattern: &str) -> Result<u64, ConfigError> {
        self.manager.invalidate_pattern(pattern).await
    }
}
