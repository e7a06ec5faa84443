//! Postgres access: connecting, creating the database, migrating, and one module of
//! queries per table family. Every multi-row write runs in one transaction.

pub mod benchmarks;
pub mod pairs;
pub mod risk;
pub mod strategies;
pub mod system;
pub mod transfer;

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
}

impl StoreError {
    pub fn corrupt(what: impl Into<String>, message: impl ToString) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            message: message.to_string(),
        }
    }
}

impl From<StoreError> for ConfigError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(sqlx::Error::Database(db)) => {
                // Constraint names come from the migrations; the message names the rule broken.
                let constraint = db.constraint().unwrap_or_default().to_owned();
                if db.is_unique_violation() {
                    ConfigError::Conflict(format!("already exists ({constraint})"))
                } else if db.is_check_violation() || db.is_foreign_key_violation() {
                    ConfigError::invalid(constraint, db.message().to_owned())
                } else {
                    ConfigError::Unavailable(db.message().to_owned())
                }
            }
            StoreError::Database(sqlx::Error::RowNotFound) => ConfigError::NotFound("row".into()),
            StoreError::Database(other) => ConfigError::Unavailable(other.to_string()),
            StoreError::Corrupt { what, message } => {
                ConfigError::Unavailable(format!("stored {what} is invalid: {message}"))
            }
            StoreError::Migrate(e) => ConfigError::Unavailable(e.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database URL with any password replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(_) => match url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    let shown = if userinfo.contains(':') {
                        format!("{user}:***")
                    } else {
                        user.to_owned()
                    };
                    format!("{scheme}://{shown}@{host}")
                }
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        Err(_) => "<unparseable DATABASE_URL>".to_owned(),
    }
}

/// Creates the database named in `url` when it does not exist yet, by connecting to the
/// server's `postgres` database.
pub async fn ensure_database(url: &str) -> StoreResult<()> {
    let options = PgConnectOptions::from_str(url)?;
    let name = options
        .get_database()
        .map(str::to_owned)
        .unwrap_or_else(|| options.get_username().to_owned());
    let mut admin = options.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // Identifiers cannot be bound as parameters; the name is quoted above.
        let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}"));
        match sqlx::query(create).execute(&mut admin).await {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another process created it between our check and our CREATE.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e.into()),
        }
    }
    admin.close().await?;
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

/// A pool for `url`; fails fast when the server cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PgPool> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // A ping before every checkout would double each read's round trips; a dead
        // connection instead fails its query, is dropped, and the next read reconnects.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Applies the migrations in `migrations/` that have not run yet.
pub async fn migrate(pool: &PgPool) -> StoreResult<()> {
    sqlx::migrate!("./migrations").run(pool).await?;
    Ok(())
}

/// Whether the database answers, and its server version.
pub async fn health(pool: &PgPool) -> StoreResult<String> {
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await?;
    Ok(version)
}
