//! Postgres access: connecting, creating the database, migrating, and one module of
//! queries per table family. Every multi-row write runs in one transaction.

pub mod accounts;
pub mod adopt;
pub mod benchmarks;
pub mod copy;
pub mod fleet;
pub mod history;
pub mod pairs;
pub mod risk;
pub mod roles;
pub mod scratch;
pub mod strategies;
pub mod system;
pub mod transfer;

use crate::domain::history::Actor;
use crate::domain::ConfigError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// What can go wrong below the config manager.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored row that the domain rules refuse (edited by hand, or an older schema).
    #[error("stored {what} is invalid: {message}")]
    Corrupt { what: String, message: String },
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// One statement got no answer within its deadline.
    #[error("{} to one statement within {} ms", crate::domain::error::NO_ANSWER, .0.as_millis())]
    TimedOut(Duration),
    /// A request the store will not carry out, with why.
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    pub fn corrupt(what: impl Into<String>, message: impl ToString) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            message: message.to_string(),
        }
    }
}

/// Whether `error` means the database could not be reached or the connection broke, as
/// opposed to a query the database answered with an error.
pub fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exception; 57P01-57P03: the server is shutting down or
        // terminated this backend; 53300: too many connections.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }),
        _ => false,
    }
}

impl From<StoreError> for ConfigError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(e) if is_connection_error(&e) => {
                ConfigError::Unavailable(e.to_string())
            }
            StoreError::Database(sqlx::Error::Database(db)) => {
                // Constraint names come from the migrations; the message names the rule broken.
                let constraint = db.constraint().unwrap_or_default().to_owned();
                match db.code().as_deref() {
                    _ if db.is_unique_violation() => {
                        ConfigError::Conflict(format!("already exists ({constraint})"))
                    }
                    _ if db.is_check_violation() || db.is_foreign_key_violation() => {
                        ConfigError::invalid(constraint, db.message().to_owned())
                    }
                    // numeric_value_out_of_range, string_data_right_truncation,
                    // invalid_text_representation: input the domain rules should have
                    // refused; still the caller's input, not an outage.
                    Some("22003" | "22001" | "22P02") => {
                        ConfigError::invalid("value", db.message().to_owned())
                    }
                    // character_not_in_repertoire, untranslatable_character: a NUL in text
                    // or JSON, which Postgres cannot hold.
                    Some("22021" | "22P05") => ConfigError::invalid(
                        "value",
                        "contains a NUL character, which cannot be stored",
                    ),
                    // query_canceled: our statement timeout fired.
                    Some("57014") => ConfigError::Unavailable(format!(
                        "{} within the statement timeout ({})",
                        crate::domain::error::NO_ANSWER,
                        db.message()
                    )),
                    _ => internal(&db),
                }
            }
            StoreError::Database(sqlx::Error::RowNotFound) => ConfigError::NotFound("row".into()),
            StoreError::Database(other) => internal(&other),
            StoreError::Corrupt { what, message } => {
                internal(&format!("stored {what} is invalid: {message}"))
            }
            StoreError::Migrate(e) => internal(&e),
            StoreError::Refused(message) => ConfigError::invalid("name", message),
            timed_out @ StoreError::TimedOut(_) => ConfigError::Unavailable(timed_out.to_string()),
        }
    }
}

/// Logs the full cause and answers with a generic message.
fn internal(cause: &dyn std::fmt::Display) -> ConfigError {
    tracing::error!(%cause, "internal error");
    ConfigError::Internal("the server hit an unexpected error; its log has the details".into())
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Where a write goes and whom it is recorded under: every write to the configuration
/// tables runs in a transaction that names its actor to the history triggers.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    pub pool: &'a PgPool,
    pub actor: &'a Actor,
}

impl<'a> Writer<'a> {
    pub fn new(pool: &'a PgPool, actor: &'a Actor) -> Self {
        Self { pool, actor }
    }

    /// A transaction whose changes the history records under this writer's actor.
    pub async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.pool.begin().await?;
        record_as(&mut tx, self.actor).await?;
        Ok(tx)
    }
}

/// Names `actor` to the history triggers for the rest of the current transaction.
pub async fn record_as(conn: &mut sqlx::PgConnection, actor: &Actor) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT set_config('botconfig.actor', $1, true) AS actor, set_config('botconfig.source', $2, true) AS source, \
         set_config('botconfig.reason', $3, true) AS reason",
        actor.name,
        actor.source.as_str(),
        actor.reason.as_deref().unwrap_or("")
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// How an optimistic update of any table ended.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateOutcome<T> {
    Updated(T),
    NotFound,
    /// The row's version moved on since the caller read it; carries the current row.
    Stale(T),
}

/// The database URL with every credential replaced (the password in the user part and
/// any `password`-like query parameter), safe to print.
pub fn redact_url(url: &str) -> String {
    if PgConnectOptions::from_str(url).is_err() {
        return "<unparseable DATABASE_URL>".to_owned();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=***")
                }
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) => format!("{scheme}://{authority}{path}?{q}"),
        None => format!("{scheme}://{authority}{path}"),
    }
}

/// The database defaults, written once: `DatabaseSettings::new` and the command line's
/// defaults both read them.
pub mod defaults {
    pub const URL: &str = "postgres://postgres@127.0.0.1:5432/botconfig";
    pub const MAX_CONNECTIONS: u32 = 10;
    pub const CONNECT_TIMEOUT_SECONDS: f64 = 5.0;
    pub const ACQUIRE_TIMEOUT_SECONDS: f64 = 2.0;
    pub const STATEMENT_TIMEOUT_SECONDS: f64 = 5.0;
}

/// How to reach the database, and how long to wait for it before giving up.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// Opening a connection (startup, the listener, the CLI).
    pub connect_timeout: Duration,
    /// Waiting for a pooled connection, opening one included.
    pub acquire_timeout: Duration,
    /// One statement, enforced by the server and, for a link that went silent, here.
    pub statement_timeout: Duration,
}

impl DatabaseSettings {
    /// Defaults for `url`: 10 connections, 5 s to connect, 2 s to acquire, 5 s a statement.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: defaults::MAX_CONNECTIONS,
            connect_timeout: Duration::from_secs_f64(defaults::CONNECT_TIMEOUT_SECONDS),
            acquire_timeout: Duration::from_secs_f64(defaults::ACQUIRE_TIMEOUT_SECONDS),
            statement_timeout: Duration::from_secs_f64(defaults::STATEMENT_TIMEOUT_SECONDS),
        }
    }

    /// Connection options with the server-side timeouts and keepalives set.
    pub fn connect_options(&self) -> StoreResult<PgConnectOptions> {
        let statement_ms = self.statement_timeout.as_millis().max(1).to_string();
        let idle_in_tx_ms = (self.statement_timeout.as_millis().max(1) * 2).to_string();
        Ok(PgConnectOptions::from_str(&self.url)?.options([
            ("statement_timeout", statement_ms.as_str()),
            // A client that vanished mid-transaction must not hold its locks for long.
            (
                "idle_in_transaction_session_timeout",
                idle_in_tx_ms.as_str(),
            ),
            // sqlx 0.9 cannot set client-side keepalives; these make the server notice a
            // dead client. This side notices a dead server through the listener's
            // heartbeat and the timeouts on every operation.
            ("tcp_keepalives_idle", "5"),
            ("tcp_keepalives_interval", "2"),
            ("tcp_keepalives_count", "3"),
        ]))
    }
}

/// `operation` within `limit`, or an I/O timeout error that counts as a connection error.
pub async fn within<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(limit, operation)
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} ms", limit.as_millis()),
            )))
        })
}

/// Creates the database named in the settings' URL when it does not exist yet, by
/// connecting to the server's `postgres` database.
pub async fn ensure_database(settings: &DatabaseSettings) -> StoreResult<()> {
    let options = settings.connect_options()?;
    let name = options
        .get_database()
        .map(str::to_owned)
        .unwrap_or_else(|| options.get_username().to_owned());
    let limit = settings.connect_timeout;
    let mut admin = within(limit, options.clone().database("postgres").connect()).await?;
    let exists = within(
        limit,
        sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
            name
        )
        .fetch_one(&mut admin),
    )
    .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // Identifiers cannot be bound as parameters; the name is quoted above.
        let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}"));
        match within(limit, sqlx::query(create).execute(&mut admin)).await {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another process created it between our check and our CREATE.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e.into()),
        }
    }
    within(limit, admin.close()).await?;
    Ok(())
}

/// Drops database `name` on the server of `server_url`, closing its connections.
pub async fn drop_database(server_url: &str, name: &str) -> StoreResult<()> {
    let mut admin = PgConnectOptions::from_str(server_url)?
        .database("postgres")
        .connect()
        .await?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    admin.close().await?;
    Ok(())
}

/// A pool for the settings' database; fails within the connect timeout when the server
/// cannot be reached.
pub async fn connect(settings: &DatabaseSettings) -> StoreResult<PgPool> {
    let options = settings.connect_options()?;
    let pool = within(
        settings.connect_timeout,
        PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            // A ping before every checkout would double each read's round trips; a dead
            // connection instead fails its query, `sweep_idle` drops its dead siblings,
            // and the read is retried once.
            .test_before_acquire(false)
            .connect_with(options),
    )
    .await?;
    Ok(pool)
}

/// Checks every idle connection of `pool` with a ping and closes those that fail, so that
/// after the server restarted or killed its backends the next query gets a live one.
/// Returns how many were closed.
pub async fn sweep_idle(pool: &PgPool, limit: Duration) -> usize {
    let mut held = Vec::new();
    while let Some(conn) = pool.try_acquire() {
        held.push(conn);
    }
    let checks = held.into_iter().map(|mut conn| async move {
        match tokio::time::timeout(limit, conn.ping()).await {
            Ok(Ok(())) => 0,
            _ => {
                conn.close_on_drop();
                1
            }
        }
    });
    futures::future::join_all(checks).await.into_iter().sum()
}

/// The configuration tables that exist in a database botconfig never migrated: a bot's
/// own database. Empty for a new database or one botconfig manages.
pub async fn unmanaged_tables(executor: impl sqlx::PgExecutor<'_>) -> StoreResult<Vec<String>> {
    let tables = sqlx::query_scalar!(
        r#"SELECT table_name AS "table_name!" FROM information_schema.tables
           WHERE table_schema = current_schema()
             AND table_name IN ('system_config', 'trading_pairs', 'strategies', 'pair_strategy_config', 'pair_risk_config')
             AND NOT EXISTS (SELECT 1 FROM information_schema.tables
                             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations')
           ORDER BY table_name"#
    )
    .fetch_all(executor)
    .await?;
    Ok(tables)
}

/// Applies the migrations in `migrations/` that have not run yet.
pub async fn migrate(pool: &PgPool) -> StoreResult<()> {
    sqlx::migrate!("./migrations").run(pool).await?;
    Ok(())
}

/// Whether the database answers a query.
pub async fn ping(pool: &PgPool) -> StoreResult<()> {
    sqlx::query!("SELECT 1 AS one").fetch_one(pool).await?;
    Ok(())
}

/// The configuration's current revision (see `migrations/*_revision.sql`).
pub async fn revision(executor: impl sqlx::PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    let revision = sqlx::query_scalar!("SELECT revision FROM botconfig_revision")
        .fetch_one(executor)
        .await?;
    Ok(u64::try_from(revision).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_in_a_url_is_redacted() {
        assert_eq!(
            redact_url("postgres://admin:s3cret@db.example:5432/botconfig"),
            "postgres://admin:***@db.example:5432/botconfig"
        );
        assert_eq!(
            redact_url("postgres://admin@db.example/botconfig?sslmode=require&password=s3cret"),
            "postgres://admin@db.example/botconfig?sslmode=require&password=***"
        );
        assert_eq!(
            redact_url("postgres://a:b@h/d?PassWord=x&sslpassword=y"),
            "postgres://a:***@h/d?PassWord=***&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(redact_url("not a url"), "<unparseable DATABASE_URL>");
    }
}
