//! Adopting a bot's own database in one transaction, keeping every row and its id.
//!
//! The bot's tables move aside into a schema of their own, botconfig's migrations create
//! its tables (recorded in `_sqlx_migrations`, so later migrations run normally), the
//! rows are checked against the domain's rules, copied in by column name, counted, and
//! the moved tables dropped. Anything wrong rolls the whole transaction back; a dry run
//! does all of it and rolls back too, so it shows exactly what adopting would do.

use super::{StoreError, StoreResult};
use crate::domain::adopt::{self, BotTables, RawRow, Review, TABLES};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use std::collections::BTreeMap;

/// The transaction-scoped advisory lock adopting holds: a second botconfig starting on the
/// same bot database waits, then finds it adopted instead of moving botconfig's own tables.
pub const ADOPT_LOCK: i64 = 0x626f_7463_6164_6f70; // "botcadop"

/// Where the bot's tables wait while botconfig's are created; gone when adoption ends.
const ASIDE: &str = "botconfig_adopt";

#[derive(Debug, Clone, Copy, Default)]
pub struct AdoptOptions {
    /// Apply the fixes that cannot change a value's meaning.
    pub fix: bool,
    /// Do everything, report it, and roll it back.
    pub dry_run: bool,
}

/// What adopting found and did (or, on a dry run or a refusal, would do).
#[derive(Debug, Clone, Default)]
pub struct AdoptReport {
    /// The bot's tables found; empty when there was nothing to adopt.
    pub tables: Vec<String>,
    pub review: Review,
    /// What adopting changes, one readable line each.
    pub changes: Vec<String>,
    /// Whether the database is now botconfig's (false on a dry run or a refusal).
    pub adopted: bool,
}

impl AdoptReport {
    pub fn refused(&self) -> bool {
        !self.review.violations.is_empty()
    }
}

/// Adopts the bot's tables in `pool`'s database, or reports why not.
pub async fn adopt(pool: &PgPool, options: AdoptOptions) -> StoreResult<AdoptReport> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ADOPT_LOCK)
        .execute(&mut *tx)
        .await?;
    let mut report = AdoptReport {
        tables: super::unmanaged_tables(&mut *tx).await?,
        ..AdoptReport::default()
    };
    if report.tables.is_empty() {
        return Ok(report);
    }
    let outside = foreign_keys_from_outside(&mut tx, &report.tables).await?;
    for view in dependent_views(&mut tx, &report.tables).await? {
        report.review.violations.push(adopt::Violation {
            table: view,
            row: String::new(),
            message:
                "is a view over the bot's tables: drop it before adopting and create it again after"
                    .into(),
        });
    }
    if report.refused() {
        return Ok(report);
    }
    super::record_as(
        &mut tx,
        &crate::domain::history::Actor::new(
            "botconfig adopt",
            crate::domain::history::Source::System,
        ),
    )
    .await?;
    move_aside(&mut tx, &report.tables, &outside).await?;
    report.changes.push(format!(
        "move the bot's tables ({}) aside into schema {ASIDE}, dropped at the end",
        report.tables.join(", ")
    ));

    let migrator = sqlx::migrate!("./migrations");
    migrator.run(&mut *tx).await?;
    report.changes.push(format!(
        "apply botconfig's {} migrations: its columns (version, strategy parameter definitions), \
         constraints, the triggers that keep versions and notify every botconfig server, its own \
         tables, recorded in _sqlx_migrations",
        migrator.iter().count()
    ));

    let definitions = super::strategies::list(&mut *tx).await?;
    let mut bot = read_bot_tables(&mut tx, &report.tables).await?;
    report.review = adopt::review(&mut bot, options.fix, &definitions);
    if report.refused() {
        return Ok(report);
    }
    for fix in &report.review.fixes {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {ASIDE}.{} SET {} = $1 WHERE id::text = $2",
            fix.table, fix.column
        )))
        .bind(&fix.after)
        .bind(&fix.id)
        .execute(&mut *tx)
        .await?;
    }
    match copy_rows(&mut tx, &bot).await {
        Ok(changes) => report.changes.extend(changes),
        // A rule the review does not know of (a constraint added later): the database's
        // own words, and nothing changed.
        Err(StoreError::Database(sqlx::Error::Database(db))) => {
            report.review.violations.push(adopt::Violation {
                table: db.table().unwrap_or("a table").to_owned(),
                row: String::new(),
                message: format!("cannot be copied: {}", db.message()),
            });
            return Ok(report);
        }
        Err(other) => return Err(other),
    }
    for (table, constraint, definition) in &outside {
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE {table} ADD CONSTRAINT \"{constraint}\" {definition}"
        )))
        .execute(&mut *tx)
        .await?;
        report.changes.push(format!(
            "keep the foreign key {constraint} of {table}, now on botconfig's table"
        ));
    }
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {ASIDE} CASCADE")))
        .execute(&mut *tx)
        .await?;
    if options.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        report.adopted = true;
    }
    Ok(report)
}

/// Foreign keys of other tables (a bot's trades, say) that point at the bot's tables:
/// (table, constraint, definition). They are dropped while the tables move and added back
/// against botconfig's tables, which keep the same ids.
async fn foreign_keys_from_outside(
    conn: &mut PgConnection,
    tables: &[String],
) -> StoreResult<Vec<(String, String, String)>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid)
         FROM pg_constraint c
         WHERE c.contype = 'f'
           AND c.confrelid::regclass::text = ANY($1)
           AND NOT (c.conrelid::regclass::text = ANY($1))
         ORDER BY 1, 2",
    )
    .bind(tables)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows)
}

/// Views that read the bot's tables: they would silently keep reading the old copies.
async fn dependent_views(conn: &mut PgConnection, tables: &[String]) -> StoreResult<Vec<String>> {
    let views: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT v.oid::regclass::text
         FROM pg_depend d
         JOIN pg_rewrite r ON r.oid = d.objid
         JOIN pg_class v ON v.oid = r.ev_class
         WHERE d.refobjid::regclass::text = ANY($1)
           AND NOT (v.oid::regclass::text = ANY($1))
         ORDER BY 1",
    )
    .bind(tables)
    .fetch_all(&mut *conn)
    .await?;
    Ok(views)
}

async fn move_aside(
    conn: &mut PgConnection,
    tables: &[String],
    outside: &[(String, String, String)],
) -> StoreResult<()> {
    for (table, constraint, _) in outside {
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE {table} DROP CONSTRAINT \"{constraint}\""
        )))
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {ASIDE}")))
        .execute(&mut *conn)
        .await?;
    for table in tables {
        // The names come from `unmanaged_tables`, which only returns the five known ones.
        // Indexes, constraints and owned sequences move with the table, so botconfig's
        // can take their names.
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE {table} SET SCHEMA {ASIDE}"
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every row of the moved tables as text, exactly as Postgres prints each value.
async fn read_bot_tables(conn: &mut PgConnection, tables: &[String]) -> StoreResult<BotTables> {
    let mut bot = BotTables::default();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        )
        .bind(ASIDE)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        let order = if columns.iter().any(|c| c == "id") {
            "ORDER BY t.id"
        } else {
            ""
        };
        let rows: Vec<serde_json::Value> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each_text(to_jsonb(t)) e)
             FROM {ASIDE}.{table} t {order}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        let rows = rows
            .into_iter()
            .map(|row| {
                serde_json::from_value::<RawRow>(row)
                    .map_err(|e| StoreError::corrupt(format!("a row of {table}"), e))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        bot.tables.insert(table.clone(), (columns, rows));
    }
    Ok(bot)
}

/// The columns botconfig's `table` has: name to (type, default expression).
async fn target_columns(
    conn: &mut PgConnection,
    table: &str,
) -> StoreResult<BTreeMap<String, (String, Option<String>)>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, kind, default)| (name, (kind, default)))
        .collect())
}

/// Inserts the bot's rows of `table` (with their ids) into botconfig's: every column the
/// two share, cast to botconfig's type, a NULL taking botconfig's default.
async fn insert_bot_rows(
    conn: &mut PgConnection,
    bot: &BotTables,
    table: &str,
) -> StoreResult<u64> {
    let Some((columns, _)) = bot.tables.get(table) else {
        return Ok(0);
    };
    let target = target_columns(conn, table).await?;
    let shared: Vec<&str> = adopt::copied_columns(table)
        .iter()
        .copied()
        .filter(|c| columns.iter().any(|have| have == c) && target.contains_key(*c))
        .collect();
    let values: Vec<String> = shared
        .iter()
        .map(|c| {
            let (kind, default) = &target[*c];
            match default {
                Some(default) if *c != "id" => format!("COALESCE(s.{c}::{kind}, {default})"),
                _ => format!("s.{c}::{kind}"),
            }
        })
        .collect();
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {ASIDE}.{table} s ORDER BY s.id",
        shared.join(", "),
        values.join(", ")
    )))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted)
}

async fn names(conn: &mut PgConnection, sql: &str) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut *conn)
        .await?)
}

async fn execute(conn: &mut PgConnection, sql: &str) -> StoreResult<()> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces the rows the migrations seeded with the bot's, keeping the seeded settings and
/// strategies the bot lacks. Returns what it did, one line each.
async fn copy_rows(conn: &mut PgConnection, bot: &BotTables) -> StoreResult<Vec<String>> {
    let has = |table: &str| bot.tables.contains_key(table);
    let mut changes = Vec::new();
    // The seeded pairs (and with them their strategies and risk) are an example setup,
    // not the bot's: a bot must never start trading a pair it did not have.
    execute(
        conn,
        "CREATE TEMP TABLE adopt_seed_settings ON COMMIT DROP AS SELECT * FROM system_config;
         CREATE TEMP TABLE adopt_seed_strategies ON COMMIT DROP AS SELECT * FROM strategies;
         DELETE FROM trading_pairs;",
    )
    .await?;
    if has("system_config") {
        let added = replace_keeping_missing_seeds(
            conn,
            bot,
            "system_config",
            "config_key",
            "config_key, config_value, config_type, description, category, is_active",
        )
        .await?;
        note(
            &mut changes,
            "add botconfig's default settings the bot does not have",
            &added,
        );
    }
    if has("strategies") {
        let added = replace_keeping_missing_seeds(
            conn,
            bot,
            "strategies",
            "strategy_name",
            "strategy_name, display_name, description, strategy_type, is_active, parameters",
        )
        .await?;
        let defined = names(
            conn,
            "UPDATE strategies t SET parameters = s.parameters FROM adopt_seed_strategies s
             WHERE s.strategy_name = t.strategy_name AND t.parameters = '[]' RETURNING t.strategy_name",
        )
        .await?;
        note(
            &mut changes,
            "give the bot's strategies that botconfig knows their parameter definitions",
            &defined,
        );
        note(
            &mut changes,
            "add botconfig's strategies the bot does not have",
            &added,
        );
    }
    if has("trading_pairs") {
        // The default-risk trigger must not take an id a bot's risk row holds.
        if has("pair_risk_config") {
            execute(
                conn,
                &format!(
                    "SELECT setval(pg_get_serial_sequence('pair_risk_config', 'id'),
                                   (SELECT COALESCE(max(id), 0) + 1 FROM {ASIDE}.pair_risk_config), false)"
                ),
            )
            .await?;
        }
        insert_bot_rows(conn, bot, "trading_pairs").await?;
        reset_sequence(conn, "trading_pairs").await?;
    }
    if has("pair_risk_config") {
        execute(
            conn,
            &format!(
                "DELETE FROM pair_risk_config WHERE pair_id IN (SELECT pair_id FROM {ASIDE}.pair_risk_config)"
            ),
        )
        .await?;
        insert_bot_rows(conn, bot, "pair_risk_config").await?;
    }
    reset_sequence(conn, "pair_risk_config").await?;
    let defaulted = if has("pair_risk_config") {
        names(
            conn,
            &format!(
                "SELECT symbol FROM trading_pairs
                 WHERE id NOT IN (SELECT pair_id FROM {ASIDE}.pair_risk_config) ORDER BY symbol"
            ),
        )
        .await?
    } else {
        names(conn, "SELECT symbol FROM trading_pairs ORDER BY symbol").await?
    };
    note(
        &mut changes,
        "give default risk settings to the pairs that had none",
        &defaulted,
    );
    if has("pair_strategy_config") {
        insert_bot_rows(conn, bot, "pair_strategy_config").await?;
        reset_sequence(conn, "pair_strategy_config").await?;
    }
    let mut kept = Vec::new();
    for table in TABLES.iter().filter(|t| has(t)) {
        let (source, copied): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT (SELECT count(*) FROM {ASIDE}.{table}),
                    (SELECT count(*) FROM {ASIDE}.{table} s JOIN {table} t ON t.id = s.id)"
        )))
        .fetch_one(&mut *conn)
        .await?;
        if source != copied {
            return Err(StoreError::corrupt(
                format!("adoption of {table}"),
                format!("{copied} of {source} rows arrived; nothing was changed"),
            ));
        }
        kept.push(format!("{source} {table}"));
    }
    changes.insert(
        0,
        format!("keep every row with its id: {}", kept.join(", ")),
    );
    Ok(changes)
}

/// One line of the report, when `names` is not empty.
fn note(changes: &mut Vec<String>, what: &str, names: &[String]) {
    if !names.is_empty() {
        changes.push(format!("{what}: {}", names.join(", ")));
    }
}

/// Replaces the seeded rows of `table` with the bot's (ids kept), then adds back the seeded
/// rows whose `key` the bot lacks (new ids). Returns their keys.
async fn replace_keeping_missing_seeds(
    conn: &mut PgConnection,
    bot: &BotTables,
    table: &str,
    key: &str,
    columns: &str,
) -> StoreResult<Vec<String>> {
    execute(conn, &format!("DELETE FROM {table}")).await?;
    insert_bot_rows(conn, bot, table).await?;
    reset_sequence(conn, table).await?;
    let seeds = match table {
        "system_config" => "adopt_seed_settings",
        _ => "adopt_seed_strategies",
    };
    names(
        conn,
        &format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {seeds} s
             WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = s.{key})
             RETURNING {key}"
        ),
    )
    .await
}

async fn reset_sequence(conn: &mut PgConnection, table: &str) -> StoreResult<()> {
    execute(
        conn,
        &format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                           (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
        ),
    )
    .await
}
