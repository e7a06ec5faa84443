//! Queries on `benchmark_runs`.

use super::{StoreError, StoreResult};
use crate::domain::benchmark::BenchmarkReport;
use sqlx::types::Json;
use sqlx::PgPool;

/// Records a finished run and forgets all but the latest `keep` runs, in one transaction.
pub async fn insert(pool: &PgPool, report: &BenchmarkReport, keep: u32) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO benchmark_runs (machine, pairs, threads, iterations, report) VALUES ($1, $2, $3, $4, $5)",
        report.machine,
        report.pairs as i32,
        report.threads as i32,
        report.iterations as i64,
        Json(report) as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM benchmark_runs WHERE id NOT IN \
         (SELECT id FROM benchmark_runs ORDER BY ran_at DESC, id DESC LIMIT $1)",
        i64::from(keep.max(1))
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The latest runs, newest first.
pub async fn latest(pool: &PgPool, limit: i64) -> StoreResult<Vec<BenchmarkReport>> {
    let rows = sqlx::query!(
        "SELECT ran_at, report FROM benchmark_runs ORDER BY ran_at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let (ran_at, report) = (row.ran_at, row.report);
            let mut report: BenchmarkReport = serde_json::from_value(report)
                .map_err(|e| StoreError::corrupt("benchmark run", e))?;
            report.ran_at = Some(ran_at);
            Ok(report)
        })
        .collect()
}
