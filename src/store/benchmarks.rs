//! Queries on `benchmark_runs`.

use super::{StoreError, StoreResult};
use crate::domain::benchmark::BenchmarkReport;
use sqlx::types::Json;
use sqlx::PgPool;

/// Records a finished run and forgets all but the latest `keep` runs, in one transaction.
pub async fn insert(pool: &PgPool, report: &BenchmarkReport, keep: u32) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO benchmark_runs (machine, pairs, threads, iterations, report) VALUES ($1, $2, $3, $4, $5)")
        .bind(&report.machine)
        .bind(report.pairs as i32)
        .bind(report.threads as i32)
        .bind(report.iterations as i64)
        .bind(Json(report))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM benchmark_runs WHERE id NOT IN \
         (SELECT id FROM benchmark_runs ORDER BY ran_at DESC, id DESC LIMIT $1)",
    )
    .bind(i64::from(keep.max(1)))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The latest runs, newest first.
pub async fn latest(pool: &PgPool, limit: i64) -> StoreResult<Vec<BenchmarkReport>> {
    let rows: Vec<(chrono::DateTime<chrono::Utc>, Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT ran_at, report FROM benchmark_runs ORDER BY ran_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(ran_at, Json(report))| {
            let mut report: BenchmarkReport = serde_json::from_value(report)
                .map_err(|e| StoreError::corrupt("benchmark run", e))?;
            report.ran_at = Some(ran_at);
            Ok(report)
        })
        .collect()
}
