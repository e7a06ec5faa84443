//! Adopting a bot's own database (`tests/fixtures/bot_database.sql`, plain SQL from the
//! bots' column names): refused with one readable list while rows break the rules, nothing
//! changed by a refusal or a dry run, and once adopted every row kept with its id, the
//! bot's own tables still pointing at its pairs, and the console showing it.

use crate::helpers::{botconfig, console, setting, stderr, stdout};
use axum::http::StatusCode;
use sqlx::PgPool;

const BOT_DATABASE: &str = include_str!("../fixtures/bot_database.sql");

async fn bot_database(pool: &PgPool) {
    sqlx::raw_sql(BOT_DATABASE).execute(pool).await.unwrap();
}

/// The database as the bot left it: its six tables in `public`, nothing of botconfig's.
async fn assert_untouched(pool: &PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "public.pair_risk_config",
            "public.pair_strategy_config",
            "public.strategies",
            "public.system_config",
            "public.trades",
            "public.trading_pairs"
        ]
    );
    assert_eq!(setting(pool, "paper_trading").await, "True");
}

const UNFIXABLE: [&str; 3] = [
    "system_config check_interval: config_value must be a whole number, not \"abc\"",
    "trading_pairs BTCUSDT: symbol \"BTCUSDT\" must look like BASE/QUOTE",
    "pair_strategy_config ETH/USDT sma_crossover: parameters.long_period must be greater than",
];

#[sqlx::test(migrations = false)]
async fn rows_that_break_the_rules_are_listed_and_nothing_changes(pool: PgPool) {
    bot_database(&pool).await;

    let out = botconfig(&pool)
        .args(["adopt", "--dry-run"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    for line in UNFIXABLE {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(
        text.contains("system_config paper_trading: config_value \"True\" must be true or false in lower case (--fix mends this)"),
        "{text}"
    );
    assert!(
        text.contains("system_config log_level: config_value \" INFO\" has spaces around it (--fix mends this)"),
        "{text}"
    );
    assert!(text.contains("5 row problems"), "{text}");
    assert_untouched(&pool).await;

    // --fix mends the two it may, and still refuses the three it may not.
    let out = botconfig(&pool).args(["adopt", "--fix"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("3 row problems"), "{text}");
    assert!(
        text.contains("system_config paper_trading: config_value \"True\" → \"true\""),
        "{text}"
    );
    assert_untouched(&pool).await;

    // Serving (or migrating) refuses the same way, and says how to see and fix it.
    let out = botconfig(&pool).arg("migrate").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("botconfig adopt --dry-run"), "{err}");
    for line in UNFIXABLE {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert_untouched(&pool).await;
}

/// What the operator does about the three rows only they can fix.
async fn operator_fixes(pool: &PgPool) {
    sqlx::raw_sql(
        "UPDATE trading_pairs SET symbol = 'BTC/USDT' WHERE id = 3;
         UPDATE system_config SET config_value = '60' WHERE config_key = 'check_interval';
         UPDATE pair_strategy_config SET parameters = '{\"short_period\": 20, \"long_period\": 50}'
          WHERE pair_id = 7 AND strategy_id = 1;",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn an_adopted_database_keeps_every_row_and_the_console_shows_it(pool: PgPool) {
    bot_database(&pool).await;
    operator_fixes(&pool).await;

    let out = botconfig(&pool)
        .args(["adopt", "--fix", "--dry-run"])
        .output()
        .unwrap();
    let dry = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{dry}{}", stderr(&out));
    assert!(dry.contains("Dry run, nothing was changed"), "{dry}");
    assert!(
        dry.contains("keep every row with its id: 7 system_config, 3 trading_pairs, 3 strategies, 4 pair_strategy_config, 2 pair_risk_config"),
        "{dry}"
    );
    assert!(
        dry.contains("give default risk settings to the pairs that had none: ETH/USDT"),
        "{dry}"
    );
    assert!(
        dry.contains("keep the foreign key trades_pair_id_fkey of trades"),
        "{dry}"
    );
    assert_untouched(&pool).await;

    let out = botconfig(&pool).args(["adopt", "--fix"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("Adopted, in one transaction:"), "{text}");

    // Every row of the bot's, with its id and its values (fixed where --fix said so).
    let settings: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, config_key, config_value FROM system_config WHERE id <= 7 ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        (1, "paper_trading", "true"),
        (2, "check_interval", "60"),
        (3, "max_concurrent_positions", "4"),
        (4, "total_portfolio_balance", "25000"),
        (5, "emergency_stop_triggered", "false"),
        (6, "log_level", "INFO"),
        (7, "telegram_chat_id", "-1001"),
    ];
    let settings: Vec<_> = settings
        .iter()
        .map(|(id, k, v)| (*id, k.as_str(), v.as_str()))
        .collect();
    assert_eq!(settings, expected);
    // botconfig's own settings join them; its example pairs do not.
    assert_eq!(setting(&pool, "rebalance_interval_hours").await, "24");
    let pairs: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT id, symbol, is_active FROM trading_pairs ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        pairs,
        [
            (3, "BTC/USDT".into(), true),
            (7, "ETH/USDT".into(), true),
            (9, "SOL/USDT".into(), false)
        ]
    );
    let risk: Vec<(String, String, i32, bool)> = sqlx::query_as(
        "SELECT p.symbol, r.stop_loss_percent::text, r.max_daily_trades, r.trailing_stop_enabled
         FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id ORDER BY p.symbol",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        risk,
        [
            ("BTC/USDT".into(), "3.5000".into(), 20, true),
            ("ETH/USDT".into(), "5.0000".into(), 10, false),
            ("SOL/USDT".into(), "4.0000".into(), 5, false)
        ]
    );
    let grid: serde_json::Value = sqlx::query_scalar(
        "SELECT parameters FROM pair_strategy_config WHERE pair_id = 7 AND strategy_id = 5",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(grid, serde_json::json!({"levels": 12, "spacing": 0.5}));
    let psc_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM pair_strategy_config ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(psc_ids, [1, 2, 3, 4]);

    // The bot's own table still refers to botconfig's pairs, and the rule still holds.
    let trades: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM trades t JOIN trading_pairs p ON p.id = t.pair_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(trades, 2);
    let orphan = sqlx::query("INSERT INTO trades (pair_id, side, amount) VALUES (42, 'buy', 1)")
        .execute(&pool)
        .await;
    assert!(orphan.is_err(), "the trades foreign key was re-created");
    let aside: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'botconfig_adopt'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(aside, 0);

    // Later migrations run normally: the record is there and migrate has nothing to do.
    let out = botconfig(&pool).arg("migrate").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = botconfig(&pool).args(["adopt"]).output().unwrap();
    assert!(
        stdout(&out).contains("nothing to adopt"),
        "{}",
        stdout(&out)
    );

    // A new pair's ids continue after the bot's.
    sqlx::query(
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent)
         VALUES ('ADA/USDT', 'ADA', 'USDT', 100, 10, 5)",
    )
    .execute(&pool)
    .await
    .unwrap();

    // The console shows the adopted pairs and their risk settings.
    let (app, _) = console(&pool).await;
    let (status, page) = app.admin().get("/pairs").await;
    assert_eq!(status, StatusCode::OK);
    for symbol in ["BTC/USDT", "ETH/USDT", "SOL/USDT", "ADA/USDT"] {
        assert!(page.contains(symbol), "{symbol} not on /pairs");
    }
    assert!(
        !page.contains("DOT/USDT"),
        "botconfig's example pairs stay out"
    );
    let (status, body) = app.admin().get("/api/v1/pairs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pairs: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        pairs["BTC/USDT"]["risk"]["stop_loss_percent"],
        serde_json::json!("3.5"),
        "{body}"
    );
}

/// Two botconfig servers starting on the same bot database at once: one adopts it, the
/// other waits and then finds botconfig's tables, which it leaves alone.
#[sqlx::test(migrations = false)]
async fn two_servers_starting_at_once_adopt_it_once(pool: PgPool) {
    use botconfig::store::adopt::{adopt, AdoptOptions, ADOPT_LOCK};
    bot_database(&pool).await;
    operator_fixes(&pool).await;
    let options = AdoptOptions {
        fix: true,
        dry_run: false,
    };
    // Both start while the lock is held, so both have seen the bot's tables.
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(ADOPT_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    // Released once both wait on it; `join!`, not spawn: the migrator's future is not Send.
    let release = async {
        let waiting = crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            n == 2
        })
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(ADOPT_LOCK)
            .execute(&mut *holder)
            .await
            .unwrap();
        waiting
    };
    let (first, second, waiting) =
        tokio::join!(adopt(&pool, options), adopt(&pool, options), release);
    assert!(waiting, "both adoptions waited for the lock");
    let reports = [first.unwrap(), second.unwrap()];
    let adopted: Vec<bool> = reports.iter().map(|r| r.adopted).collect();
    assert_eq!(adopted.iter().filter(|a| **a).count(), 1, "{adopted:?}");
    let other = reports.iter().find(|r| !r.adopted).unwrap();
    assert!(other.tables.is_empty() && !other.refused());
    let pairs: i64 = sqlx::query_scalar("SELECT count(*) FROM trading_pairs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(pairs, 3);
}

/// A view over the bot's tables would keep reading the copies moved aside: adopting
/// refuses and says what to do.
#[sqlx::test(migrations = false)]
async fn a_view_over_the_bots_tables_stops_adoption(pool: PgPool) {
    bot_database(&pool).await;
    operator_fixes(&pool).await;
    sqlx::query("CREATE VIEW active_pairs AS SELECT symbol FROM trading_pairs WHERE is_active")
        .execute(&pool)
        .await
        .unwrap();
    let out = botconfig(&pool).args(["adopt", "--fix"]).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("active_pairs: is a view over the bot's tables: drop it before adopting"),
        "{text}"
    );
    let symbols: Vec<String> = sqlx::query_scalar("SELECT symbol FROM active_pairs ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(symbols, ["BTC/USDT", "ETH/USDT"]);
}
