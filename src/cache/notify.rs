//! Hearing every committed change: LISTEN on `botconfig_changes`, whose notifications the
//! schema's triggers send with the global revision, and invalidate the same keys here.
//!
//! The listener also proves its connection alive: every heartbeat interval it asks the
//! database for the current revision on that same connection, under a timeout. When the
//! answer shows every revision applied, the cache is *confirmed* current as of the moment
//! the question was sent (see `freshness`). A heartbeat that does not come back in time
//! means the link is gone, even if no error ever arrives (packets dropped, not reset):
//! the listener then reconnects, and on reconnecting clears the cache if it missed a
//! revision meanwhile.

use super::keys::Change;
use super::manager::ConfigManager;
use crate::domain::ConfigError;
use crate::store;
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// The longest wait between two reconnection attempts of the listener.
const RECONNECT_BACKOFF_MAX: Duration = Duration::from_millis(250);

pub const CHANNEL: &str = "botconfig_changes";

/// The application name the listener's connection shows in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "botconfig-listener";

/// One notification: what changed, and the revision its transaction committed; or the
/// marker that a revision's changes have all been sent.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Notification {
    Commit(CommitMarker),
    Change {
        #[serde(default)]
        revision: Option<u64>,
        #[serde(flatten)]
        change: Change,
    },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CommitMarker {
    /// `at`: when the revision committed, in seconds since the epoch (the database's clock).
    Commit { revision: u64, at: Option<f64> },
}

/// The running listener; stops when dropped.
pub struct ListenerHandle {
    task: JoinHandle<()>,
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listening connection of its own (a fresh one-connection pool each time, so that a
/// connection hung on a dead link never blocks the next attempt).
async fn connect(options: &PgConnectOptions, limit: Duration) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(limit)
        .connect_lazy_with(options.clone());
    store::within(limit, async {
        let mut listener = PgListener::connect_with(&pool).await?;
        // Reconnecting is ours to do: we must know it happened.
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await?;
        Ok(listener)
    })
    .await
}

impl ConfigManager {
    /// Starts listening for every committed change and enforcing the staleness bound.
    /// Fails if the first connection fails; later losses reconnect with backoff.
    pub async fn listen(&self) -> Result<ListenerHandle, ConfigError> {
        let options = (*self.pool().connect_options())
            .clone()
            .application_name(LISTENER_APPLICATION_NAME);
        let limit = self.settings().connect_timeout;
        let mut listener = connect(&options, limit)
            .await
            .map_err(|e| ConfigError::Unavailable(format!("cannot listen for changes: {e}")))?;
        let asked_at = self
            .catch_up(&mut listener)
            .await
            .map_err(|e| ConfigError::Unavailable(format!("cannot listen for changes: {e}")))?;
        self.freshness().enforce(asked_at);
        self.set_listener_connected(true, false);
        let manager = self.clone();
        let task = tokio::spawn(
            async move {
                loop {
                    manager.hear(&mut listener).await;
                    manager.set_listener_connected(false, false);
                    drop(listener);
                    listener = manager.reconnect(&options, limit).await;
                    manager.set_listener_connected(true, true);
                }
            }
            .instrument(tracing::info_span!("change_listener")),
        );
        Ok(ListenerHandle { task })
    }

    /// Reads the revision on a connection that already listens. If this server has not
    /// applied it, it missed notifications (or never heard any): everything cached is
    /// dropped. Returns when the question was sent: the cache is current as of then.
    async fn catch_up(&self, listener: &mut PgListener) -> Result<Instant, sqlx::Error> {
        let asked_at = Instant::now();
        let revision =
            store::within(self.heartbeat_timeout(), store::revision(&mut *listener)).await?;
        self.drain(listener).await;
        self.catch_up_to(revision).await;
        Ok(asked_at)
    }

    /// Applies notifications and beats the heart until the connection is lost.
    async fn hear(&self, listener: &mut PgListener) {
        let interval = self.settings().heartbeat_interval;
        let mut next_beat = Instant::now() + interval;
        // A heartbeat's revision whose notifications had not all arrived yet, and when it
        // was asked: confirmed once they have.
        let mut pending: Option<(u64, Instant)> = None;
        loop {
            let wait = next_beat.saturating_duration_since(Instant::now());
            match tokio::time::timeout(wait, listener.try_recv()).await {
                Ok(Ok(Some(notification))) => {
                    self.apply_notification(notification.payload()).await;
                    self.drain(listener).await;
                    if let Some((revision, asked_at)) = pending {
                        if self.freshness().applied_revision() >= revision {
                            self.freshness().confirm(asked_at);
                            pending = None;
                        }
                    }
                }
                Ok(Ok(None)) => {
                    tracing::warn!("change listener lost its connection");
                    return;
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "change listener failed");
                    return;
                }
                Err(_) => {
                    next_beat = Instant::now() + interval;
                    let asked_at = Instant::now();
                    let answer =
                        store::within(self.heartbeat_timeout(), store::revision(&mut *listener))
                            .await;
                    match answer {
                        Ok(revision) => {
                            // Notifications that arrived during the query come first.
                            self.drain(listener).await;
                            if self.freshness().applied_revision() >= revision {
                                self.freshness().confirm(asked_at);
                                pending = None;
                            } else {
                                pending = Some((revision, asked_at));
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, "change listener's heartbeat failed; the link is down");
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Applies the notifications already received.
    async fn drain(&self, listener: &mut PgListener) {
        while let Some(notification) = listener.next_buffered() {
            self.apply_notification(notification.payload()).await;
        }
    }

    /// Invalidates what a notification names, then records its revision as applied and
    /// hands it to the change feed.
    async fn apply_notification(&self, payload: &str) {
        match serde_json::from_str::<Notification>(payload) {
            Ok(Notification::Change { revision, change }) => {
                self.apply_change(&change).await;
                if let Some(revision) = revision {
                    self.freshness().applied(revision);
                    self.feed().collect(revision, &change);
                }
            }
            Ok(Notification::Commit(CommitMarker::Commit { revision, at })) => {
                self.freshness().applied(revision);
                self.feed().commit(revision);
                if let Some(at) = at {
                    let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
                    metrics::histogram!("botconfig_notify_lag_seconds").record((now - at).max(0.0));
                }
            }
            Err(error) => {
                tracing::warn!(%error, payload, "unreadable change notification; clearing the cache");
                self.clear().await;
            }
        }
    }

    /// Connects again, with backoff, until it works; then catches up.
    async fn reconnect(&self, options: &PgConnectOptions, limit: Duration) -> PgListener {
        let mut backoff = Duration::from_millis(50);
        loop {
            match connect(options, limit).await {
                Ok(mut listener) => match self.catch_up(&mut listener).await {
                    Ok(asked_at) => {
                        self.freshness().confirm(asked_at);
                        tracing::info!("change listener reconnected");
                        return listener;
                    }
                    Err(error) => tracing::warn!(%error, "change listener cannot catch up yet"),
                },
                Err(error) => tracing::warn!(%error, "change listener cannot reconnect yet"),
            }
            tokio::time::sleep(backoff).await;
            // At most a quarter second between tries: every replica follows this listener,
            // and a refused connection costs the database next to nothing.
            backoff = (backoff * 2).min(RECONNECT_BACKOFF_MAX);
        }
    }

    /// How long a heartbeat (or a reader's confirmation) may take before the link counts
    /// as down.
    pub(crate) fn heartbeat_timeout(&self) -> Duration {
        (self.settings().heartbeat_interval * 2).max(Duration::from_millis(500))
    }
}

// Confirming the cache current, beside the heartbeat: a read past the staleness bound asks
// the database for its revision as the listener's heartbeat does.
impl ConfigManager {
    /// Past the staleness bound: asks the database for its revision (one query). If this
    /// server has applied it, the cache is current; if it has not, notifications were
    /// missed and the cache is cleared. If the database cannot be asked, nothing changes:
    /// cached values are served, and `staleness` says how old they may be.
    pub(super) async fn confirm_current(&self) {
        let freshness = self.freshness();
        // Another reader is confirming: this one serves what is cached meanwhile (marked
        // stale if the confirmation has not landed by the time the answer is made).
        let Ok(_confirming) = freshness.confirming.try_lock() else {
            return;
        };
        let now = Instant::now();
        // A listener that lost its link is already probing the database (reconnecting);
        // a reader waiting for a timeout of its own would only add latency.
        if freshness.is_fresh(now)
            || !self.counters().listener_connected.load(Ordering::Relaxed)
            || freshness.failed_within(now, self.settings().max_staleness)
        {
            return;
        }
        let asked_at = Instant::now();
        let limit = self.heartbeat_timeout();
        match store::within(limit, store::revision(self.pool())).await {
            Ok(revision) => {
                self.catch_up_to(revision).await;
                freshness.confirm(asked_at);
            }
            Err(error) => {
                freshness.note_failure(now);
                tracing::warn!(%error, "cannot confirm the cache is current; serving cached values marked stale");
            }
        }
    }

    /// Brings the cache up to `revision`, which the database just reported as current: a
    /// server that has not applied it missed notifications, and drops everything cached.
    pub(crate) async fn catch_up_to(&self, revision: u64) {
        let freshness = self.freshness();
        let applied = freshness.applied_revision();
        if revision != applied {
            let dropped = self.clear().await;
            tracing::info!(
                revision,
                applied,
                dropped,
                "this server had not applied the database's revision; cache cleared"
            );
            freshness.applied(revision);
        }
        // After the clear: a watcher told to refetch reads nothing older.
        self.feed().observe(revision);
    }

    /// `Some(age)` when cached answers can no longer be vouched for: the server could not
    /// confirm within the staleness bound that it has applied every committed change.
    /// Answers made now must say so.
    pub fn staleness(&self) -> Option<Duration> {
        self.freshness().staleness(Instant::now())
    }
}
