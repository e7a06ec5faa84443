//! Who changed what, and reverting it: for the console's History page and `botconfig
//! history` / `botconfig revert`.

use super::ConfigService;
use crate::domain::history::{ChangeRecord, HistoryFilter, HistoryPage};
use crate::domain::ConfigError;

impl ConfigService {
    /// A page of the recorded changes matching `filter`, newest first, and their count.
    pub async fn history(&self, filter: &HistoryFilter) -> Result<HistoryPage, ConfigError> {
        self.manager.history(filter).await
    }

    /// One recorded change.
    pub async fn change(&self, id: i64) -> Result<ChangeRecord, ConfigError> {
        self.manager.change(id).await
    }

    /// Everyone who has changed something.
    pub async fn history_actors(&self) -> Result<Vec<String>, ConfigError> {
        self.manager.history_actors().await
    }

    /// Reverts change `id` (with `whole_transaction`, everything made with it); refused with
    /// what changed since unless `force`. Returns the new changes' ids.
    pub async fn revert(
        &self,
        id: i64,
        whole_transaction: bool,
        force: bool,
    ) -> Result<Vec<i64>, ConfigError> {
        self.manager.revert(id, whole_transaction, force).await
    }
}
