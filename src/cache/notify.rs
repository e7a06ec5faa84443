//! Hearing other instances' writes: LISTEN on `botconfig_changes`, whose notifications the
//! schema's triggers send on every committed change, and invalidate the same keys here.
//! A lost connection may have lost notifications too, so after reconnecting the cache is
//! cleared.

use super::keys::Change;
use super::manager::ConfigManager;
use crate::domain::ConfigError;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;

pub const CHANNEL: &str = "botconfig_changes";

/// The application name the listener's connection shows in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "botconfig-listener";

/// The running listener; stops when dropped.
pub struct ListenerHandle {
    task: JoinHandle<()>,
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

impl ConfigManager {
    /// Starts listening for other instances' changes. Fails if the first connection fails;
    /// later losses reconnect with backoff, then clear the cache.
    pub async fn listen(&self) -> Result<ListenerHandle, ConfigError> {
        let options = (*self.pool().connect_options())
            .clone()
            .application_name(LISTENER_APPLICATION_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        let mut listener = connect(&pool)
            .await
            .map_err(|e| ConfigError::Unavailable(format!("cannot listen for changes: {e}")))?;
        self.set_listener_connected(true, false);
        let manager = self.clone();
        let task = tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        match serde_json::from_str::<Change>(notification.payload()) {
                            Ok(change) => {
                                manager.apply_change(&change).await;
                            }
                            Err(error) => {
                                tracing::warn!(%error, payload = notification.payload(), "unreadable change notification; clearing the cache");
                                manager.clear().await;
                            }
                        }
                    }
                    Ok(None) | Err(_) => {
                        manager.set_listener_connected(false, false);
                        tracing::warn!("change listener lost its connection; reconnecting");
                        // Its pool holds one connection: give it back before asking for another.
                        drop(listener);
                        let mut backoff = Duration::from_millis(50);
                        listener = loop {
                            match connect(&pool).await {
                                Ok(l) => break l,
                                Err(error) => {
                                    tracing::warn!(%error, "change listener cannot reconnect yet");
                                    tokio::time::sleep(backoff).await;
                                    backoff = (backoff * 2).min(Duration::from_secs(5));
                                }
                            }
                        };
                        // Notifications sent while we were away are lost: nothing cached can be trusted.
                        let dropped = manager.clear().await;
                        manager.set_listener_connected(true, true);
                        tracing::info!(dropped, "change listener reconnected; cache cleared");
                    }
                }
            }
        });
        Ok(ListenerHandle { task })
    }
}
