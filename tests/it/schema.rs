//! The schema: migrations apply to an empty database, the defaults are there, and the
//! database itself refuses what the rules forbid.

use sqlx::postgres::PgListener;
use sqlx::PgPool;

async fn count(pool: &PgPool, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"));
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn migrations_install_the_defaults(pool: PgPool) {
    // 19 defaults, and outage_grace_seconds (added with the outage policy).
    assert_eq!(count(&pool, "system_config").await, 21);
    assert_eq!(count(&pool, "trading_pairs").await, 3);
    assert_eq!(count(&pool, "strategies").await, 5);
    assert_eq!(count(&pool, "pair_strategy_config").await, 6);
    assert_eq!(count(&pool, "pair_risk_config").await, 3);
    let (balance, size, pct): (rust_decimal::Decimal, rust_decimal::Decimal, rust_decimal::Decimal) = sqlx::query_as(
        "SELECT initial_balance, trade_size_usd, max_position_percent FROM trading_pairs WHERE symbol = 'BTC/USDT'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (
            balance.normalize().to_string(),
            size.normalize().to_string(),
            pct.normalize().to_string()
        ),
        ("3000".into(), "200".into(), "30".into())
    );
    let interval = crate::helpers::setting(&pool, "check_interval").await;
    assert_eq!(interval, "60");
}

fn is_check_violation(e: sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_check_violation())
}

#[sqlx::test]
async fn a_weight_above_one_is_refused(pool: PgPool) {
    let e = sqlx::query("UPDATE pair_strategy_config SET weight = 1.5")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(is_check_violation(e));
}

#[sqlx::test]
async fn a_duplicate_symbol_is_refused(pool: PgPool) {
    let e = sqlx::query(
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
         VALUES ('BTC/USDT', 'BTC', 'USDT', 1, 1, 1)",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(matches!(e, sqlx::Error::Database(db) if db.is_unique_violation()));
}

#[sqlx::test]
async fn a_negative_stop_loss_is_refused(pool: PgPool) {
    let e = sqlx::query("UPDATE pair_risk_config SET stop_loss_percent = -1")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(is_check_violation(e));
}

#[sqlx::test]
async fn a_malformed_symbol_or_setting_value_is_refused(pool: PgPool) {
    let e = sqlx::query(
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
         VALUES ('btcusdt', 'btc', 'usdt', 1, 1, 1)",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(is_check_violation(e));
    let e = sqlx::query(
        "UPDATE system_config SET config_value = 'soon' WHERE config_key = 'check_interval'",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(is_check_violation(e));
}

#[sqlx::test]
async fn deleting_a_pair_cascades_to_its_strategies_and_risk(pool: PgPool) {
    sqlx::query("DELETE FROM trading_pairs WHERE symbol = 'DOT/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(count(&pool, "pair_strategy_config").await, 4);
    assert_eq!(count(&pool, "pair_risk_config").await, 2);
}

#[sqlx::test]
async fn every_update_bumps_the_version_and_timestamp(pool: PgPool) {
    let before: (i32, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "SELECT version, updated_at FROM system_config WHERE config_key = 'check_interval'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE system_config SET config_value = '30' WHERE config_key = 'check_interval'")
        .execute(&pool)
        .await
        .unwrap();
    let after: (i32, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "SELECT version, updated_at FROM system_config WHERE config_key = 'check_interval'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(after.0, before.0 + 1);
    assert!(after.1 >= before.1);
}

#[sqlx::test]
async fn a_committed_change_is_announced_with_what_changed(pool: PgPool) {
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen("botconfig_changes").await.unwrap();
    sqlx::query(
        "UPDATE pair_risk_config SET stop_loss_percent = 6 \
         WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let n = listener.recv().await.unwrap();
    let payload: serde_json::Value = serde_json::from_str(n.payload()).unwrap();
    assert_eq!(
        payload,
        // Revisions 1 and 2 were the migrations that added outage_grace_seconds and
        // freqtrade_refresh_period.
        serde_json::json!({"kind": "pair_risk", "symbol": "ETH/USDT", "revision": 3})
    );
}

#[sqlx::test]
async fn a_rolled_back_change_is_not_announced(pool: PgPool) {
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen("botconfig_changes").await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE system_config SET config_value = '30' WHERE config_key = 'check_interval'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    sqlx::query(
        "UPDATE system_config SET config_value = '3' WHERE config_key = 'max_concurrent_positions'",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Notifications arrive in commit order: the first one heard is the committed write.
    let n = listener.recv().await.unwrap();
    assert!(
        n.payload().contains("max_concurrent_positions"),
        "{}",
        n.payload()
    );
}
