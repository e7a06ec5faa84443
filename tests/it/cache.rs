//! The config manager against a real Postgres: counting, expiry, bounds, invalidation (here
//! and across instances), single-flight, warming, bypass reads and typed errors.

use crate::helpers::{eventually, manager, sym};
use botconfig::cache::notify::LISTENER_APPLICATION_NAME;
use botconfig::cache::{CacheSettings, ConfigManager};
use botconfig::domain::ConfigError;
use rust_decimal_macros::dec;
use sqlx::PgPool;
use std::time::{Duration, Instant};

#[sqlx::test]
async fn hits_and_misses_are_counted(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    m.pair_risk(&btc).await.unwrap();
    m.pair_risk(&btc).await.unwrap();
    m.pair_risk(&btc).await.unwrap();
    let s = m.stats().await;
    assert_eq!((s.misses, s.hits, s.loads), (1, 2, 1));
    assert_eq!(s.hit_ratio_percent, dec!(66.67));
    assert_eq!(s.entries_total, 1);
    assert!(s.bytes_used > 0);
}

#[sqlx::test]
async fn hits_on_other_threads_are_counted_too(pool: PgPool) {
    let m = manager(&pool);
    m.system_config().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let m = m.clone();
        tasks.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async {
                for _ in 0..10 {
                    m.system_config().await.unwrap();
                }
            })
        }));
    }
    for t in tasks {
        t.join().unwrap();
    }
    assert_eq!(m.stats().await.hits, 40);
}

#[sqlx::test]
async fn an_entry_expires_after_its_ttl(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    m.pair_risk_with_ttl(&btc, Duration::from_millis(50))
        .await
        .unwrap();
    m.pair_risk(&btc).await.unwrap();
    assert_eq!(m.stats().await.loads, 1, "fresh entry serves the read");
    let reloaded = eventually(Duration::from_secs(3), || async {
        m.pair_risk(&btc).await.unwrap();
        m.stats().await.loads == 2
    })
    .await;
    assert!(reloaded, "an expired entry must be loaded again");
    // The default TTL (300 s) applies to the reloaded entry.
    m.pair_risk(&btc).await.unwrap();
    assert_eq!(m.stats().await.loads, 2);
}

#[sqlx::test]
async fn the_byte_bound_is_respected(pool: PgPool) {
    let settings = CacheSettings {
        max_bytes: 6_000,
        ..CacheSettings::default()
    };
    let m = ConfigManager::new(pool.clone(), settings);
    let report = m.warm().await.unwrap();
    let s = m.stats().await;
    assert!(s.bytes_used <= 6_000, "{} bytes used", s.bytes_used);
    assert!(
        s.entries_total < report.entries,
        "some entries must have been evicted"
    );
    assert!(s.evictions_size > 0);
}

#[sqlx::test]
async fn a_risk_write_invalidates_exactly_the_pairs_risk_and_trading_configs(pool: PgPool) {
    let m = manager(&pool);
    m.warm().await.unwrap();
    let before = m.keys();
    let btc = sym("BTC/USDT");
    let risk = m.pair_risk(&btc).await.unwrap();
    let mut settings = risk.settings.clone();
    settings.stop_loss_percent = dec!(4.5);
    m.update_risk(&btc, settings, risk.version).await.unwrap();
    let dropped: Vec<String> = before
        .iter()
        .filter(|k| !m.keys().contains(k))
        .cloned()
        .collect();
    assert_eq!(
        dropped,
        [
            "pair_risk:BTC/USDT",
            "trading_config:BTC/USDT",
            "trading_configs"
        ]
    );
    assert_eq!(
        m.pair_risk(&btc).await.unwrap().settings.stop_loss_percent,
        dec!(4.5)
    );
    assert_eq!(
        m.trading_config(&btc).await.unwrap().risk.stop_loss_percent,
        dec!(4.5)
    );
}

#[sqlx::test]
async fn a_setting_write_invalidates_the_setting_and_the_list(pool: PgPool) {
    let m = manager(&pool);
    m.warm().await.unwrap();
    let before = m.keys();
    m.set_setting("check_interval", "30", None).await.unwrap();
    let dropped: Vec<String> = before
        .iter()
        .filter(|k| !m.keys().contains(k))
        .cloned()
        .collect();
    assert_eq!(dropped, ["system_config", "system_config:check_interval"]);
    let setting = m.setting("check_interval").await.unwrap();
    assert_eq!(setting.value.as_i64(), Some(30));
}

#[sqlx::test]
async fn a_pair_write_invalidates_the_pair_list_and_its_configs(pool: PgPool) {
    let m = manager(&pool);
    m.warm().await.unwrap();
    let before = m.keys();
    m.set_pair_active(&sym("ETH/USDT"), false).await.unwrap();
    let dropped: Vec<String> = before
        .iter()
        .filter(|k| !m.keys().contains(k))
        .cloned()
        .collect();
    assert_eq!(
        dropped,
        [
            "pair_config:ETH/USDT",
            "trading_config:ETH/USDT",
            "trading_configs",
            "trading_pairs"
        ]
    );
    let active = m.active_pairs().await.unwrap();
    assert_eq!(
        active.iter().map(|p| p.symbol.as_str()).collect::<Vec<_>>(),
        ["BTC/USDT", "DOT/USDT"]
    );
}

#[sqlx::test]
async fn a_strategy_write_invalidates_the_pairs_strategy_keys(pool: PgPool) {
    let m = manager(&pool);
    m.warm().await.unwrap();
    let before = m.keys();
    let btc = sym("BTC/USDT");
    let rsi = m.strategy_config(&btc, "rsi").await.unwrap();
    m.update_pair_strategy(
        &btc,
        "rsi",
        true,
        dec!(0.2),
        &rsi.parameters,
        Some(rsi.version),
    )
    .await
    .unwrap();
    let dropped: Vec<String> = before
        .iter()
        .filter(|k| !m.keys().contains(k))
        .cloned()
        .collect();
    assert_eq!(
        dropped,
        [
            "pair_strategies:BTC/USDT",
            "strategy_config:BTC/USDT:rsi",
            "trading_config:BTC/USDT",
            "trading_configs"
        ]
    );
    let config = m.trading_config(&btc).await.unwrap();
    let weights: Vec<_> = config
        .strategies
        .iter()
        .map(|s| (s.strategy.as_str(), s.normalized_weight))
        .collect();
    assert_eq!(
        weights,
        [("rsi", dec!(0.25)), ("sma_crossover", dec!(0.75))]
    );
}

#[sqlx::test]
async fn a_stale_version_is_refused_and_nothing_is_saved(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    let risk = m.pair_risk(&btc).await.unwrap();
    let mut first = risk.settings.clone();
    first.stop_loss_percent = dec!(3);
    m.update_risk(&btc, first, risk.version).await.unwrap();
    let mut second = risk.settings.clone();
    second.stop_loss_percent = dec!(9);
    let e = m.update_risk(&btc, second, risk.version).await.unwrap_err();
    assert!(
        matches!(&e, ConfigError::Conflict(m) if m.contains("changed since you opened it")),
        "{e:?}"
    );
    assert_eq!(
        m.pair_risk(&btc).await.unwrap().settings.stop_loss_percent,
        dec!(3)
    );
}

#[sqlx::test]
async fn a_hundred_concurrent_cold_reads_send_one_query(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    let reads = (0..100).map(|_| {
        let (m, btc) = (m.clone(), btc.clone());
        tokio::spawn(async move { m.trading_config(&btc).await.map(|c| c.pair.symbol.clone()) })
    });
    for r in futures::future::join_all(reads).await {
        assert_eq!(r.unwrap().unwrap(), btc);
    }
    let s = m.stats().await;
    // Single-flight: one load of the trading config, and one of each of its three parts
    // (pair, strategies, risk), one query each.
    assert_eq!(s.loads, 4, "one load per key");
    assert_eq!(m.uncached().queries(), 3);
    assert_eq!(s.hits + s.misses, 103);
}

#[sqlx::test]
async fn after_an_edit_a_trading_config_reads_again_only_what_changed(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    let before = m.trading_config(&btc).await.unwrap();
    let risk = m.pair_risk(&btc).await.unwrap();
    let mut settings = risk.settings.clone();
    settings.stop_loss_percent = dec!(4.5);
    m.update_risk(&btc, settings, risk.version).await.unwrap();
    let queries = m.uncached().queries();
    let after = m.trading_config(&btc).await.unwrap();
    assert_eq!(after.risk.stop_loss_percent, dec!(4.5));
    assert_eq!(after.pair, before.pair);
    assert_eq!(after.strategies, before.strategies);
    assert_eq!(
        m.uncached().queries() - queries,
        1,
        "the risk, not the pair nor its strategies"
    );

    // A pair edit drops the pair part too: the trading config shows it, never the old one.
    let pair = m.pair(&btc).await.unwrap();
    let mut edit = pair.settings();
    edit.max_position_percent = dec!(12);
    m.update_pair(&btc, edit, pair.version).await.unwrap();
    assert_eq!(
        m.trading_config(&btc)
            .await
            .unwrap()
            .pair
            .max_position_percent,
        dec!(12)
    );
}

#[sqlx::test]
async fn another_instances_write_is_heard_within_milliseconds(pool: PgPool) {
    let reader = manager(&pool);
    let writer = manager(&pool);
    let _listening = reader.listen().await.unwrap();
    let btc = sym("BTC/USDT");
    let risk = reader.pair_risk(&btc).await.unwrap();
    let mut settings = risk.settings.clone();
    settings.take_profit_percent = dec!(12);
    let started = Instant::now();
    writer
        .update_risk(&btc, settings, risk.version)
        .await
        .unwrap();
    let heard = eventually(Duration::from_secs(5), || async {
        reader
            .pair_risk(&btc)
            .await
            .unwrap()
            .settings
            .take_profit_percent
            == dec!(12)
    })
    .await;
    assert!(
        heard,
        "the reader must drop its entry on the writer's notification"
    );
    println!(
        "cross-instance invalidation seen after {:?}",
        started.elapsed()
    );
}

#[sqlx::test]
async fn a_hand_written_sql_edit_is_heard(pool: PgPool) {
    let m = manager(&pool);
    let _listening = m.listen().await.unwrap();
    assert_eq!(
        m.setting("log_level").await.unwrap().value.as_str(),
        Some("INFO")
    );
    sqlx::query("UPDATE system_config SET config_value = 'DEBUG' WHERE config_key = 'log_level'")
        .execute(&pool)
        .await
        .unwrap();
    let heard = eventually(Duration::from_secs(5), || async {
        m.setting("log_level").await.unwrap().value.as_str() == Some("DEBUG")
    })
    .await;
    assert!(heard);
}

#[sqlx::test]
async fn a_lost_listener_connection_reconnects_and_clears_the_cache_if_it_missed_a_change(
    pool: PgPool,
) {
    let m = manager(&pool);
    let _listening = m.listen().await.unwrap();
    m.warm().await.unwrap();
    assert!(m.stats().await.entries_total > 0);
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(killed, [true]);
    // A change committed while nobody listened is never notified to this server.
    sqlx::query("UPDATE system_config SET config_value = '45' WHERE config_key = 'check_interval'")
        .execute(&pool)
        .await
        .unwrap();
    let reconnected = eventually(Duration::from_secs(10), || async {
        let s = m.stats().await;
        s.listener_reconnects == 1 && s.listener_connected
    })
    .await;
    assert!(reconnected, "the listener must reconnect");
    // Whether the change landed before the reconnect (missed: the revision differs, the
    // cache is cleared) or after it (heard on the new connection), it is served.
    assert!(
        eventually(Duration::from_secs(5), || async {
            m.setting_i64("check_interval").await.unwrap() == 45
        })
        .await,
        "a change made while disconnected must not be lost"
    );
    // And it hears writes again.
    m.setting("log_level").await.unwrap();
    sqlx::query("UPDATE system_config SET config_value = 'ERROR' WHERE config_key = 'log_level'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            m.setting("log_level").await.unwrap().value.as_str() == Some("ERROR")
        })
        .await
    );
}

#[sqlx::test]
async fn patterns_drop_only_matching_entries(pool: PgPool) {
    let m = manager(&pool);
    m.warm().await.unwrap();
    assert_eq!(m.invalidate_pattern("pair_risk:*").await.unwrap(), 3);
    assert!(!m.keys().iter().any(|k| k.starts_with("pair_risk:")));
    assert!(m.keys().iter().any(|k| k.starts_with("pair_config:")));
    let eth_keys = m.keys().iter().filter(|k| k.contains("ETH")).count() as u64;
    assert!(eth_keys > 0);
    assert_eq!(m.invalidate_pattern("ETH").await.unwrap(), eth_keys);
    assert!(!m.keys().iter().any(|k| k.contains("ETH")));
    assert_eq!(
        m.invalidate_pattern("pair_config:???/USDT").await.unwrap(),
        2
    );
    assert!(matches!(
        m.invalidate_pattern("  ").await,
        Err(ConfigError::Invalid(_))
    ));
}

#[sqlx::test]
async fn clear_empties_the_cache_and_says_how_much(pool: PgPool) {
    let m = manager(&pool);
    let report = m.warm().await.unwrap();
    assert_eq!(m.clear().await, report.entries);
    assert_eq!(m.stats().await.entries_total, 0);
}

#[sqlx::test]
async fn warming_a_thousand_pairs_takes_four_queries(pool: PgPool) {
    sqlx::query(
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
         SELECT 'P' || i || '/USDT', 'P' || i, 'USDT', 10, 1, 1 FROM generate_series(1, 997) AS i",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Their risk rows come from the schema's trigger.
    sqlx::query(
        "INSERT INTO pair_strategy_config (pair_id, strategy_id, weight, parameters) \
         SELECT p.id, s.id, 0.5, '{}' FROM trading_pairs p, strategies s \
         WHERE p.symbol LIKE 'P%' AND s.strategy_name IN ('sma_crossover', 'rsi')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let m = manager(&pool);
    let report = m.warm().await.unwrap();
    assert_eq!(report.pairs, 1000);
    assert!(report.queries <= 5, "{} queries", report.queries);
    println!(
        "warmed {} entries for 1000 pairs in {} µs",
        report.entries, report.micros
    );
    // Everything bots read is now a hit.
    m.trading_configs().await.unwrap();
    m.trading_config(&sym("P500/USDT")).await.unwrap();
    m.pair_risk(&sym("P997/USDT")).await.unwrap();
    assert_eq!(m.stats().await.misses, 0);
}

#[sqlx::test]
async fn bypass_reads_never_touch_the_cache(pool: PgPool) {
    let m = manager(&pool);
    let btc = sym("BTC/USDT");
    m.uncached().pair_risk(&btc).await.unwrap();
    m.uncached().trading_config(&btc).await.unwrap();
    m.uncached().system_config().await.unwrap();
    let s = m.stats().await;
    assert_eq!((s.entries_total, s.hits, s.misses, s.loads), (0, 0, 0, 0));
}

#[sqlx::test]
async fn missing_things_and_bad_values_are_typed_errors(pool: PgPool) {
    let m = manager(&pool);
    assert_eq!(
        m.setting("nope").await.unwrap_err(),
        ConfigError::NotFound("setting nope".into())
    );
    assert_eq!(
        m.pair_risk(&sym("NOPE/USDT")).await.unwrap_err(),
        ConfigError::NotFound("risk settings of pair NOPE/USDT".into())
    );
    let e = m
        .set_setting("check_interval", "abc", None)
        .await
        .unwrap_err();
    assert_eq!(
        e.field_errors().unwrap().get("check_interval"),
        Some("must be a whole number, not \"abc\"")
    );
    assert_eq!(
        m.setting("check_interval").await.unwrap().value.as_i64(),
        Some(60),
        "nothing saved"
    );
    let btc = sym("BTC/USDT");
    let rsi = m.strategy_config(&btc, "rsi").await.unwrap();
    let mut params = rsi.parameters.clone();
    params.insert("rsi_period".into(), dec!(1));
    let e = m
        .update_pair_strategy(&btc, "rsi", true, dec!(0.4), &params, None)
        .await
        .unwrap_err();
    assert_eq!(
        e.field_errors().unwrap().get("rsi_period"),
        Some("must be at least 2")
    );
    let e = m
        .update_pair_strategy(&btc, "rsi", true, dec!(1.5), &rsi.parameters, None)
        .await
        .unwrap_err();
    assert_eq!(
        e.field_errors().unwrap().get("weight"),
        Some("must be at most 1")
    );
}

#[sqlx::test]
async fn typed_setting_reads_check_the_type(pool: PgPool) {
    let m = manager(&pool);
    assert!(m.setting_bool("paper_trading").await.unwrap());
    assert_eq!(m.setting_i64("check_interval").await.unwrap(), 60);
    assert_eq!(
        m.setting_decimal("total_portfolio_balance").await.unwrap(),
        dec!(10000)
    );
    assert_eq!(m.setting_string("log_level").await.unwrap(), "INFO");
    let e = m.setting_bool("check_interval").await.unwrap_err();
    assert_eq!(
        e.field_errors().unwrap().get("check_interval"),
        Some("holds integer values, not true or false")
    );
    assert!(matches!(
        m.setting_i64("nope").await,
        Err(ConfigError::NotFound(_))
    ));
}
