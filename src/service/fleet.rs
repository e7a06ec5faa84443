//! The fleet of readers: what each reported, measured against the database's revision.
//! Not configuration: reports go to the database directly, never through the cache.

use super::ConfigService;
use crate::domain::fleet::{
    warning_for, Fleet, Reader, ReaderKind, ReaderReport, DEFAULT_BEHIND_WARNING_SECONDS,
    DEFAULT_SILENT_WARNING_SECONDS,
};
use crate::domain::ConfigError;
use crate::store::fleet as store;

/// Readers not seen for this long are no longer listed.
const LISTED_WITHIN_SECONDS: i64 = 3600;

impl ConfigService {
    /// Records what a reader says of itself.
    pub async fn report_reader(
        &self,
        kind: ReaderKind,
        report: &ReaderReport,
    ) -> Result<(), ConfigError> {
        Ok(store::report(self.manager.pool(), kind, report).await?)
    }

    /// This server's own report: its applied revision and how long ago it confirmed it.
    pub fn own_report(&self, instance: &str, name: &str) -> ReaderReport {
        let health = self.listener_health();
        ReaderReport {
            instance: instance.to_owned(),
            name: name.to_owned(),
            host: host_name(),
            library: concat!("botconfig/", env!("CARGO_PKG_VERSION")).to_owned(),
            revision: health.applied_revision,
            confirmed_age_ms: health.confirmed_millis_ago,
            stale: health.stale,
        }
    }

    /// Every reader seen in the last hour, with warnings for those behind longer than
    /// `behind_warning_seconds` or silent longer than `silent_warning_seconds`.
    pub async fn fleet(
        &self,
        behind_warning_seconds: Option<i64>,
        silent_warning_seconds: Option<i64>,
    ) -> Result<Fleet, ConfigError> {
        let behind_warning = behind_warning_seconds.unwrap_or(DEFAULT_BEHIND_WARNING_SECONDS);
        let silent_warning = silent_warning_seconds.unwrap_or(DEFAULT_SILENT_WARNING_SECONDS);
        let rows = store::list(self.manager.pool(), LISTED_WITHIN_SECONDS).await?;
        let database_revision = match rows.first() {
            Some(row) => row.database_revision as u64,
            None => self.database_revision().await?,
        };
        let readers = rows
            .into_iter()
            .map(|row| {
                let seconds = |d: chrono::TimeDelta| d.num_milliseconds().max(0) as f64 / 1000.0;
                let behind_seconds = row.behind_since.map(|since| seconds(row.now - since));
                let silent_seconds = seconds(row.now - row.last_seen);
                Reader {
                    kind: if row.kind == "server" {
                        ReaderKind::Server
                    } else {
                        ReaderKind::Client
                    },
                    warning: warning_for(
                        behind_seconds,
                        silent_seconds,
                        row.stale,
                        behind_warning,
                        silent_warning,
                    ),
                    instance: row.instance,
                    name: row.name,
                    host: row.host,
                    library: row.library,
                    applied_revision: row.applied_revision as u64,
                    revisions_behind: (row.database_revision - row.applied_revision).max(0) as u64,
                    behind_seconds,
                    stale: row.stale,
                    last_seen: row.last_seen,
                    silent_seconds,
                }
            })
            .collect();
        Ok(Fleet {
            database_revision,
            behind_warning_seconds: behind_warning,
            silent_warning_seconds: silent_warning,
            readers,
        })
    }

    async fn database_revision(&self) -> Result<u64, ConfigError> {
        Ok(crate::store::fleet::database_revision(self.manager.pool()).await? as u64)
    }
}

/// This machine's name, as the fleet lists it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}
