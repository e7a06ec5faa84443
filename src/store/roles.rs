//! Database roles: the login bots use, allowed the five configuration tables and nothing
//! else. The history's triggers record such a role's changes as `sql:<role>`, whatever it
//! names itself (migration 9).

use super::{StoreError, StoreResult};
use sqlx::PgPool;

/// The tables a bot reads and writes, by the names bots of this family use.
pub const BOT_TABLES: [&str; 5] = [
    "system_config",
    "trading_pairs",
    "strategies",
    "pair_strategy_config",
    "pair_risk_config",
];

/// Creates role `name` (or updates the one there is) with `password`, able to log in,
/// read and write `BOT_TABLES` (their id sequences included) and nothing else. Refuses a
/// role that could do more than that by itself: a superuser, one that creates roles or
/// databases, or the one that owns botconfig's tables. True when it was created.
pub async fn ensure_bot_role(pool: &PgPool, name: &str, password: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let existing = sqlx::query!(
        r#"SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls
                  OR r.oid = (SELECT relowner FROM pg_class WHERE oid = 'public.config_changes'::regclass)
                  AS "powerful!"
           FROM pg_roles r WHERE r.rolname = $1"#,
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    if existing.as_ref().is_some_and(|r| r.powerful) {
        return Err(StoreError::Refused(format!(
            "role {name} can do more than a bot should (a superuser, a role that creates roles or \
             databases, or botconfig's own role): choose another name"
        )));
    }
    let verb = if existing.is_some() {
        "ALTER"
    } else {
        "CREATE"
    };
    // Utility statements take no parameters: the server quotes the name and the password.
    let statements = sqlx::query_scalar!(
        r#"SELECT format('%s ROLE %I WITH LOGIN NOINHERIT PASSWORD %L', $1::text, $2::text, $3::text) AS "role!""#,
        verb,
        name,
        password
    )
    .fetch_one(&mut *tx)
    .await?;
    // Audited: built by the server's format() with %I and %L, which quote every value.
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements))
        .execute(&mut *tx)
        .await?;
    let grants = sqlx::query_scalar!(
        r#"SELECT format(
               'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %1$I; '
               'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %1$I; '
               'GRANT CONNECT ON DATABASE %2$I TO %1$I; '
               'GRANT USAGE ON SCHEMA public TO %1$I; '
               'GRANT SELECT, INSERT, UPDATE, DELETE ON %3$s TO %1$I; '
               'GRANT USAGE, SELECT ON SEQUENCE %4$s TO %1$I',
               $1::text, current_database(),
               (SELECT string_agg(format('%I', t), ', ') FROM unnest($2::text[]) t),
               (SELECT string_agg(pg_get_serial_sequence(format('%I', t), 'id'), ', ') FROM unnest($2::text[]) t)
           ) AS "grants!""#,
        name,
        &BOT_TABLES.map(String::from)[..]
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(existing.is_none())
}
