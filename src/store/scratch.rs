//! A scratch database for measurements: the default data plus synthetic pairs, on the
//! server the operator's URL names, under a name of its own, dropped afterwards. Never the
//! operator's database.

use super::{drop_database, ensure_database, migrate, DatabaseSettings, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;

/// A scratch database, open; `drop` removes it.
pub struct Scratch {
    server_url: String,
    name: String,
    pub pool: PgPool,
}

impl Scratch {
    /// Creates and migrates a scratch database on the server of `server_url` with `pairs`
    /// active pairs (the three default ones, then synthetic ones).
    pub async fn create(server_url: &str, pairs: usize) -> StoreResult<Scratch> {
        let name = format!(
            "botconfig_bench_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        let options = PgConnectOptions::from_str(server_url)?.database(&name);
        let url = options.to_url_lossy().to_string();
        ensure_database(&DatabaseSettings::new(url.as_str())).await?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        if pairs > 3 {
            super::pairs::insert_synthetic(&pool, pairs - 3).await?;
        }
        Ok(Scratch {
            server_url: server_url.to_owned(),
            name,
            pool,
        })
    }

    /// Closes the pool and drops the database.
    pub async fn drop(self) -> StoreResult<()> {
        self.pool.close().await;
        drop_database(&self.server_url, &self.name).await
    }
}
