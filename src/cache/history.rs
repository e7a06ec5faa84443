//! The change history, read straight from Postgres (it is for people, not for bots), and
//! reverting a change: a new change, recorded and invalidated like any other write.

use super::keys::Change;
use super::manager::ConfigManager;
use crate::domain::history::{ChangeRecord, HistoryFilter, HistoryPage};
use crate::domain::ConfigError;
use crate::store::{self, history::RevertOutcome};

impl ConfigManager {
    /// A page of the recorded changes matching `filter`, newest first, and their count.
    pub async fn history(&self, filter: &HistoryFilter) -> Result<HistoryPage, ConfigError> {
        self.db(store::history::list(self.pool(), filter)).await
    }

    /// One recorded change.
    pub async fn change(&self, id: i64) -> Result<ChangeRecord, ConfigError> {
        self.db(store::history::get(self.pool(), id))
            .await?
            .ok_or_else(|| ConfigError::NotFound(format!("change #{id}")))
    }

    /// Everyone who has changed something, for the history's filter.
    pub async fn history_actors(&self) -> Result<Vec<String>, ConfigError> {
        self.db(store::history::actors(self.pool())).await
    }

    /// Reverts change `id`, or with `whole_transaction` every change made with it (a whole
    /// import). Refused with what changed since, unless `force`. Returns the new changes'
    /// ids.
    pub async fn revert(
        &self,
        id: i64,
        whole_transaction: bool,
        force: bool,
    ) -> Result<Vec<i64>, ConfigError> {
        let changes = if whole_transaction {
            self.db(store::history::group_of(self.pool(), id)).await?
        } else {
            vec![self.change(id).await?]
        };
        if changes.is_empty() {
            return Err(ConfigError::NotFound(format!("change #{id}")));
        }
        let what = if whole_transaction && changes.len() > 1 {
            format!(
                "revert of changes #{}–#{}",
                changes[0].id,
                changes[changes.len() - 1].id
            )
        } else {
            format!("revert of change #{id}")
        };
        let actor = self.actor().clone().with_reason(what);
        let outcome = self
            .db(store::history::revert(
                store::Writer::new(self.pool(), &actor),
                &changes,
                force,
            ))
            .await?;
        match outcome {
            RevertOutcome::Reverted(ids) => {
                // Rare and possibly wide (a whole import): drop everything rather than
                // work out each key.
                self.apply_change(&Change::Everything).await;
                Ok(ids)
            }
            RevertOutcome::ChangedSince(lines) => Err(ConfigError::Conflict(format!(
                "changed since, so nothing was reverted (confirm to revert anyway): {}",
                lines.join("; ")
            ))),
            RevertOutcome::Impossible(reason) => Err(ConfigError::invalid("change", reason)),
        }
    }
}
