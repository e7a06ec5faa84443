//! Queries on `fleet_readers`: the readers' reports.

use super::StoreResult;
use crate::domain::fleet::{ReaderKind, ReaderReport};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A reader's row as stored, with the database's revision and clock at the listing.
pub struct ReaderRow {
    pub kind: String,
    pub instance: String,
    pub name: String,
    pub host: String,
    pub library: String,
    pub applied_revision: i64,
    pub stale: bool,
    pub last_seen: DateTime<Utc>,
    pub behind_since: Option<DateTime<Utc>>,
    pub database_revision: i64,
    pub now: DateTime<Utc>,
}

/// Records a reader's report; `behind_since` starts when it first reports a revision the
/// database is past, and clears when it catches up.
pub async fn report(pool: &PgPool, kind: ReaderKind, report: &ReaderReport) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO fleet_readers AS f (instance, kind, name, host, library, applied_revision, confirmed_age_ms, stale, behind_since) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $6 < r.revision THEN now() END FROM botconfig_revision r \
         ON CONFLICT (instance) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, host = EXCLUDED.host, \
         library = EXCLUDED.library, applied_revision = EXCLUDED.applied_revision, \
         confirmed_age_ms = EXCLUDED.confirmed_age_ms, stale = EXCLUDED.stale, last_seen = now(), \
         behind_since = CASE WHEN EXCLUDED.behind_since IS NULL THEN NULL ELSE COALESCE(f.behind_since, EXCLUDED.behind_since) END",
        report.instance,
        kind.as_str(),
        report.name,
        report.host,
        report.library,
        report.revision as i64,
        report.confirmed_age_ms.map(|ms| ms as i64),
        report.stale
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The readers seen within `within_seconds`, servers first; and forgets those not seen for
/// a day.
pub async fn list(pool: &PgPool, within_seconds: i64) -> StoreResult<Vec<ReaderRow>> {
    sqlx::query!("DELETE FROM fleet_readers WHERE last_seen < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(sqlx::query_as!(
        ReaderRow,
        r#"SELECT f.kind, f.instance, f.name, f.host, f.library, f.applied_revision, f.stale, f.last_seen, f.behind_since,
                  r.revision AS "database_revision!", now() AS "now!"
           FROM fleet_readers f, botconfig_revision r
           WHERE f.last_seen >= now() - make_interval(secs => $1::bigint::double precision)
           ORDER BY f.kind DESC, f.name, f.host, f.instance"#,
        within_seconds
    )
    .fetch_all(pool)
    .await?)
}

/// The database's revision now.
pub async fn database_revision(pool: &PgPool) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar!("SELECT revision FROM botconfig_revision")
            .fetch_one(pool)
            .await?,
    )
}
