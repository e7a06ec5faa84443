//! The history the schema's triggers record (`config_changes`), and reverting it.

use super::{StoreError, StoreResult, Writer};
use crate::domain::history::{ChangeRecord, HistoryFilter, HistoryPage};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

struct ChangeRow {
    id: i64,
    changed_at: chrono::DateTime<chrono::Utc>,
    txid: i64,
    actor: String,
    source: String,
    table_name: String,
    operation: String,
    row_id: Option<i64>,
    subject: String,
    symbol: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<String>,
}

impl From<ChangeRow> for ChangeRecord {
    fn from(r: ChangeRow) -> Self {
        ChangeRecord {
            id: r.id,
            changed_at: r.changed_at,
            txid: r.txid,
            actor: r.actor,
            source: r.source,
            table: r.table_name,
            operation: r.operation,
            row_id: r.row_id,
            subject: r.subject,
            symbol: r.symbol,
            before: r.before,
            after: r.after,
            reason: r.reason,
        }
    }
}

/// A page of the changes matching `filter`, newest first, and how many match in all.
pub async fn list(pool: &PgPool, filter: &HistoryFilter) -> StoreResult<HistoryPage> {
    let limit = if filter.limit > 0 { filter.limit } else { 200 };
    let offset = filter.offset.max(0);
    // strpos on upper-cased text: a part of a symbol in any case, and no LIKE wildcards to
    // escape in what the operator typed.
    let rows = sqlx::query_as!(
        ChangeRow,
        "SELECT id, changed_at, txid, actor, source, table_name, operation, row_id, subject, symbol, before, after, reason \
         FROM config_changes \
         WHERE ($1::text IS NULL OR strpos(upper(symbol), upper($1)) > 0) AND ($2::text IS NULL OR table_name = $2) \
           AND ($3::text IS NULL OR actor = $3) \
           AND ($4::timestamptz IS NULL OR changed_at >= $4) AND ($5::timestamptz IS NULL OR changed_at < $5) \
         ORDER BY changed_at DESC, id DESC LIMIT $6 OFFSET $7",
        filter.symbol,
        filter.table,
        filter.actor,
        filter.since,
        filter.until,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        "SELECT count(*) AS \"total!\" FROM config_changes \
         WHERE ($1::text IS NULL OR strpos(upper(symbol), upper($1)) > 0) AND ($2::text IS NULL OR table_name = $2) \
           AND ($3::text IS NULL OR actor = $3) \
           AND ($4::timestamptz IS NULL OR changed_at >= $4) AND ($5::timestamptz IS NULL OR changed_at < $5)",
        filter.symbol,
        filter.table,
        filter.actor,
        filter.since,
        filter.until,
    )
    .fetch_one(pool)
    .await?;
    Ok(HistoryPage {
        changes: rows.into_iter().map(ChangeRecord::from).collect(),
        total,
    })
}

/// The actors that appear in the history, for a filter's choices.
pub async fn actors(pool: &PgPool) -> StoreResult<Vec<String>> {
    Ok(
        sqlx::query_scalar!(r#"SELECT DISTINCT actor AS "actor!" FROM config_changes ORDER BY 1"#)
            .fetch_all(pool)
            .await?,
    )
}

/// One change, and every change of the transaction it belongs to (an import, a settings
/// page's save), in the order they were made.
pub async fn group_of(pool: &PgPool, id: i64) -> StoreResult<Vec<ChangeRecord>> {
    let rows = sqlx::query_as!(
        ChangeRow,
        "SELECT id, changed_at, txid, actor, source, table_name, operation, row_id, subject, symbol, before, after, reason \
         FROM config_changes WHERE txid = (SELECT txid FROM config_changes WHERE id = $1) ORDER BY id",
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ChangeRecord::from).collect())
}

/// One change.
pub async fn get(pool: &PgPool, id: i64) -> StoreResult<Option<ChangeRecord>> {
    let row = sqlx::query_as!(
        ChangeRow,
        "SELECT id, changed_at, txid, actor, source, table_name, operation, row_id, subject, symbol, before, after, reason \
         FROM config_changes WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(ChangeRecord::from))
}

/// How reverting went.
#[derive(Debug, Clone, PartialEq)]
pub enum RevertOutcome {
    /// Reverted; the new changes' ids.
    Reverted(Vec<i64>),
    /// The rows changed since: what differs now, one line each. Nothing was changed.
    ChangedSince(Vec<String>),
    /// What cannot be reverted (a secret's value, which is never kept; an emptied table).
    Impossible(String),
}

/// The tables a change may name, as SQL identifiers (they come from the triggers, but a
/// history row is data: never trust it as SQL).
fn table_ident(table: &str) -> StoreResult<&'static str> {
    crate::domain::history::TABLES
        .iter()
        .map(|(name, _)| *name)
        .find(|name| *name == table)
        .ok_or_else(|| StoreError::corrupt("history", format!("unknown table {table}")))
}

fn column_ident(column: &str) -> StoreResult<String> {
    if !column.is_empty()
        && column
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(format!("\"{column}\""))
    } else {
        Err(StoreError::corrupt(
            "history",
            format!("unknown column {column}"),
        ))
    }
}

/// Reverts `changes` (one change, or a whole transaction's) in one transaction recorded
/// under `writer`'s actor: updates set back their fields, inserts are deleted, deletes
/// re-inserted. Unless `force`, a row that changed since is not touched and the outcome
/// says how it differs.
pub async fn revert(
    writer: Writer<'_>,
    changes: &[ChangeRecord],
    force: bool,
) -> StoreResult<RevertOutcome> {
    if let Some(secret) = changes.iter().find(|c| is_secret(c)) {
        return Ok(RevertOutcome::Impossible(format!(
            "{} is a secret: its earlier value is never kept, so set it again instead",
            secret.subject
        )));
    }
    if let Some(truncate) = changes.iter().find(|c| c.operation == "truncate") {
        return Ok(RevertOutcome::Impossible(format!(
            "emptying {} is not recorded row by row, so it cannot be reverted here",
            truncate.table
        )));
    }
    let mut tx = writer.begin().await?;
    let first_new: i64 =
        sqlx::query_scalar!(r#"SELECT COALESCE(max(id), 0) AS "max!" FROM config_changes"#)
            .fetch_one(&mut *tx)
            .await?;
    if !force {
        let mut differences = Vec::new();
        for change in changes {
            differences.extend(changed_since(&mut tx, change).await?);
        }
        if !differences.is_empty() {
            tx.rollback().await?;
            return Ok(RevertOutcome::ChangedSince(differences));
        }
    }
    // Undo in reverse order, except that deleted rows come back parents first (a pair
    // before the risk and strategy rows its deletion cascaded to).
    for change in changes.iter().rev().filter(|c| c.operation != "delete") {
        revert_one(&mut tx, change).await?;
    }
    for change in changes.iter().filter(|c| c.operation == "delete") {
        revert_one(&mut tx, change).await?;
    }
    let new_ids = sqlx::query_scalar!(
        "SELECT id FROM config_changes WHERE id > $1 AND txid = txid_current() ORDER BY id",
        first_new
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(RevertOutcome::Reverted(new_ids))
}

fn is_secret(change: &ChangeRecord) -> bool {
    [&change.before, &change.after].into_iter().any(|side| {
        side.as_ref()
            .and_then(|v| v.get("config_value"))
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.starts_with("(secret"))
    })
}

/// The row as it is now, as JSON, or None when it is gone.
async fn current_row(
    conn: &mut PgConnection,
    table: &str,
    row_id: i64,
) -> StoreResult<Option<serde_json::Value>> {
    let table = table_ident(table)?;
    Ok(sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT to_jsonb(t) FROM {table} t WHERE id = $1"
    )))
    .bind(row_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// How the row differs from what `change` left it as.
async fn changed_since(conn: &mut PgConnection, change: &ChangeRecord) -> StoreResult<Vec<String>> {
    let Some(row_id) = change.row_id else {
        return Ok(Vec::new());
    };
    let now = current_row(conn, &change.table, row_id).await?;
    let mut out = Vec::new();
    match (change.operation.as_str(), &now) {
        ("delete", Some(_)) => out.push(format!("{}: the row exists again", change.subject)),
        ("delete", None) => {}
        (_, None) => out.push(format!(
            "{}: the row has been deleted since",
            change.subject
        )),
        (_, Some(now)) => {
            let left = change.after.as_ref().and_then(|a| a.as_object());
            for (column, value) in left.into_iter().flatten() {
                let current = now.get(column).unwrap_or(&serde_json::Value::Null);
                if !same_value(current, value) {
                    out.push(format!(
                        "{}: {column} is now {current} (this change left it at {value})",
                        change.subject
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// JSON values equal as the database compares them (5.0 and 5.0000 are one number).
fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => {
            crate::domain::number::normalize_decimal_text(&x.to_string())
                == crate::domain::number::normalize_decimal_text(&y.to_string())
        }
        _ => a == b,
    }
}

/// The quoted columns a recorded side names.
fn columns_of(side: &serde_json::Value) -> StoreResult<Vec<String>> {
    side.as_object()
        .map(|o| o.keys().map(|c| column_ident(c)).collect())
        .unwrap_or_else(|| Ok(Vec::new()))
}

async fn revert_one(conn: &mut PgConnection, change: &ChangeRecord) -> StoreResult<()> {
    let table = table_ident(&change.table)?;
    let row_id = change
        .row_id
        .ok_or_else(|| StoreError::corrupt("history", "a row change without its row"))?;
    match change.operation.as_str() {
        "update" => {
            let before = change.before.clone().unwrap_or_default();
            let columns = columns_of(&before)?;
            if columns.is_empty() {
                return Ok(());
            }
            let list = columns.join(", ");
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET ({list}) = (SELECT {list} FROM jsonb_populate_record(NULL::{table}, $1)) WHERE id = $2"
            )))
            .bind(before)
            .bind(row_id)
            .execute(&mut *conn)
            .await?;
        }
        "insert" => {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1")))
                .bind(row_id)
                .execute(&mut *conn)
                .await?;
        }
        "delete" => {
            let before = change.before.clone().unwrap_or_default();
            let columns = columns_of(&before)?;
            if table == "pair_risk_config" {
                // Re-inserting the pair gave it a default risk row: the old one replaces it.
                if let Some(pair_id) = before.get("pair_id").and_then(|p| p.as_i64()) {
                    sqlx::query("DELETE FROM pair_risk_config WHERE pair_id = $1")
                        .bind(pair_id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            let list = columns.join(", ");
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {table} ({list}) SELECT {list} FROM jsonb_populate_record(NULL::{table}, $1)"
            )))
            .bind(before)
            .execute(&mut *conn)
            .await?;
        }
        other => {
            return Err(StoreError::corrupt(
                "history",
                format!("cannot revert a {other}"),
            ))
        }
    }
    Ok(())
}
