//! The staleness bound and recovery, proved by injecting faults: a proxy that blackholes
//! or resets the link between a server and Postgres, terminated backends, write storms,
//! and plain-SQL edits (renames, moved rows, TRUNCATE) made behind the server's back.

use crate::helpers::{caught_up, database_url, eventually, server_addr, serving_manager, sym};
use crate::proxy::{FaultProxy, Mode};
use botconfig::cache::{CacheSettings, ConfigManager};
use botconfig::domain::risk::RiskForm;
use botconfig::domain::ConfigError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn set_stop_loss(writer: &ConfigManager, stop_loss: Decimal) {
    let btc = sym("BTC/USDT");
    let current = writer.uncached().pair_risk(&btc).await.unwrap();
    let mut form = RiskForm::from_settings(&current.settings, current.version);
    form.stop_loss_percent = stop_loss.to_string();
    writer
        .update_risk(&btc, form.parse().unwrap(), current.version)
        .await
        .unwrap();
}

/// What one phase of the fault test saw.
#[derive(Debug, Default)]
struct Observed {
    reads: u64,
    stale_marked: u64,
    errors: u64,
    /// The longest time after the commit at which a read still returned the old value
    /// without marking it stale.
    longest_unmarked_old: Duration,
    slowest_read: Duration,
}

/// Reads BTC's stop loss through `reader` every 50 ms for `window`, after a write of `new`
/// committed at (no later than) `committed`.
async fn watch_reads(
    reader: &ConfigManager,
    old: Decimal,
    new: Decimal,
    committed: Instant,
    window: Duration,
) -> Observed {
    let btc = sym("BTC/USDT");
    let mut seen = Observed::default();
    let end = Instant::now() + window;
    while Instant::now() < end {
        let started = Instant::now();
        let result = reader.pair_risk(&btc).await;
        let stale = reader.staleness();
        seen.slowest_read = seen.slowest_read.max(started.elapsed());
        seen.reads += 1;
        match result {
            Ok(risk) if stale.is_some() => {
                seen.stale_marked += 1;
                assert!(
                    risk.settings.stop_loss_percent == old
                        || risk.settings.stop_loss_percent == new
                );
            }
            Ok(risk) if risk.settings.stop_loss_percent == old => {
                seen.longest_unmarked_old = seen
                    .longest_unmarked_old
                    .max(started.saturating_duration_since(committed));
            }
            Ok(_) => {}
            Err(_) => seen.errors += 1,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen
}

/// Two servers over one database; the first reaches it through the fault proxy, the
/// second writes. Whatever the link does, no read of the first returns the old value as
/// current later than the staleness bound after the commit.
#[sqlx::test]
async fn no_read_is_older_than_the_bound_whatever_the_link_does(pool: PgPool) {
    let proxy = FaultProxy::start(server_addr()).await;
    let settings = CacheSettings::default();
    let bound = settings.max_staleness;
    let (reader, _reader_listener) =
        serving_manager(&database_url(&pool, Some(proxy.port)), settings.clone()).await;
    let (writer, _writer_listener) = serving_manager(&database_url(&pool, None), settings).await;
    let btc = sym("BTC/USDT");
    reader.warm().await.unwrap();
    assert_eq!(
        reader
            .pair_risk(&btc)
            .await
            .unwrap()
            .settings
            .stop_loss_percent,
        dec!(5)
    );

    // 1. The link drops every packet for 30 s; a write lands meanwhile.
    proxy.set(Mode::Blackhole);
    let committed = Instant::now();
    set_stop_loss(&writer, dec!(3.5)).await;
    let blackholed = watch_reads(
        &reader,
        dec!(5),
        dec!(3.5),
        committed,
        Duration::from_secs(30),
    )
    .await;
    println!("blackhole 30 s: {blackholed:?}");
    assert!(
        blackholed.longest_unmarked_old <= bound,
        "served the old value as current {:?} after the commit (bound {bound:?})",
        blackholed.longest_unmarked_old
    );
    assert!(
        blackholed.stale_marked > 0,
        "answers past the bound must be marked stale"
    );
    assert!(
        blackholed.slowest_read < Duration::from_secs(6),
        "a read hung for {:?}",
        blackholed.slowest_read
    );

    // 2. The link comes back: the new value is served, unmarked.
    proxy.set(Mode::Pass);
    let recovered = Instant::now();
    assert!(
        eventually(Duration::from_secs(10), || async {
            matches!(reader.pair_risk(&btc).await, Ok(r) if r.settings.stop_loss_percent == dec!(3.5))
                && reader.staleness().is_none()
        })
        .await,
        "never recovered from the blackhole"
    );
    println!("recovered from the blackhole in {:?}", recovered.elapsed());

    // 3. The link is reset (every connection refused) while another write lands.
    proxy.set(Mode::Reset);
    let committed = Instant::now();
    set_stop_loss(&writer, dec!(4)).await;
    let reset = watch_reads(
        &reader,
        dec!(3.5),
        dec!(4),
        committed,
        Duration::from_secs(8),
    )
    .await;
    println!("reset 8 s: {reset:?}");
    assert!(
        reset.longest_unmarked_old <= bound,
        "served the old value as current {:?} after the commit (bound {bound:?})",
        reset.longest_unmarked_old
    );

    // 4. And recovers.
    proxy.set(Mode::Pass);
    let recovered = Instant::now();
    assert!(
        eventually(Duration::from_secs(10), || async {
            matches!(reader.pair_risk(&btc).await, Ok(r) if r.settings.stop_loss_percent == dec!(4))
                && reader.staleness().is_none()
        })
        .await,
        "never recovered from the reset"
    );
    println!("recovered from the reset in {:?}", recovered.elapsed());
    let stats = reader.stats().await;
    assert!(stats.listener_connected && !stats.stale);
    assert!(stats.listener_reconnects >= 1, "{stats:?}");
}

/// A listener whose link goes silent says so: within a few heartbeats its statistics
/// report it disconnected, never "connected" on a dead link.
#[sqlx::test]
async fn a_silent_link_is_reported_as_such(pool: PgPool) {
    let proxy = FaultProxy::start(server_addr()).await;
    let (reader, _listener) = serving_manager(
        &database_url(&pool, Some(proxy.port)),
        CacheSettings::default(),
    )
    .await;
    assert!(reader.stats().await.listener_connected);
    proxy.set(Mode::Blackhole);
    assert!(
        eventually(Duration::from_secs(5), || async {
            !reader.stats().await.listener_connected
        })
        .await,
        "the listener still claims to be connected"
    );
    proxy.set(Mode::Pass);
    assert!(
        eventually(Duration::from_secs(10), || async {
            let s = reader.stats().await;
            s.listener_connected && !s.stale
        })
        .await
    );
}

/// A bot's API token keeps reading through a silent link: the server verified it before,
/// so the bot gets the cached answer (marked stale once the bound passes), never 401 or
/// 503 and never slower than the token check's timeout; a token it never saw gets 503.
/// Once the link is back, answers are current again.
#[sqlx::test]
async fn a_verified_token_reads_through_a_silent_link(pool: PgPool) {
    use axum::http::StatusCode;
    let proxy = FaultProxy::start(server_addr()).await;
    let (manager, _listener) = serving_manager(
        &database_url(&pool, Some(proxy.port)),
        CacheSettings::default(),
    )
    .await;
    let router = crate::helpers::router_over(&manager, Default::default());
    let token = crate::helpers::api_token(&pool, "bot", botconfig::domain::auth::Scope::Read).await;
    let read = |token: String| {
        let bot = crate::helpers::Caller::on(&router).with_token(&token);
        async move {
            let request = crate::helpers::get("/api/v1/pairs/ETH%2FUSDT/config");
            let started = Instant::now();
            let response = bot.respond(request).await;
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            (status, json["stale"].as_bool(), started.elapsed())
        }
    };
    assert_eq!(read(token.clone()).await.0, StatusCode::OK);

    proxy.set(Mode::Blackhole);
    let outage = Instant::now();
    let (mut reads, mut marked, mut slowest) = (0, 0, Duration::ZERO);
    while outage.elapsed() < Duration::from_secs(8) {
        let (status, stale, took) = read(token.clone()).await;
        assert_eq!(status, StatusCode::OK, "read {reads} of the outage");
        reads += 1;
        marked += usize::from(stale == Some(true));
        slowest = slowest.max(took);
    }
    println!("outage: {reads} reads with a token, {marked} marked stale, slowest {slowest:?}");
    assert!(marked > 0, "answers past the bound are marked stale");
    assert!(slowest < Duration::from_secs(3), "{slowest:?}");
    let stranger = format!("bcfg_{}", "0".repeat(64));
    assert_eq!(read(stranger).await.0, StatusCode::SERVICE_UNAVAILABLE);

    proxy.set(Mode::Pass);
    assert!(
        eventually(Duration::from_secs(10), || async {
            matches!(read(token.clone()).await, (StatusCode::OK, Some(false), _))
        })
        .await
    );
}

/// A database that accepts connections and never answers makes nothing hang: startup
/// fails, a cache miss fails, each within its timeout.
#[sqlx::test]
async fn a_database_that_never_answers_times_out(pool: PgPool) {
    let proxy = FaultProxy::start(server_addr()).await;
    proxy.set(Mode::Blackhole);
    let url = database_url(&pool, Some(proxy.port));
    let started = Instant::now();
    let connected = botconfig::store::connect(&botconfig::store::DatabaseSettings::new(&url)).await;
    assert!(connected.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );

    // A pool made while the link worked, then a miss on a silent link.
    proxy.set(Mode::Pass);
    let pool = botconfig::store::connect(&botconfig::store::DatabaseSettings::new(&url))
        .await
        .unwrap();
    let manager = ConfigManager::new(pool, CacheSettings::default());
    manager.system_config().await.unwrap();
    proxy.set(Mode::Blackhole);
    let started = Instant::now();
    let miss = manager.pair_risk(&sym("ETH/USDT")).await;
    assert!(matches!(miss, Err(ConfigError::Unavailable(_))), "{miss:?}");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert!(manager.ping(Duration::from_secs(2)).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// After every backend is terminated, the next reads all succeed: dead pooled
/// connections are swept out and the read retried, not failed one by one.
#[sqlx::test]
async fn terminated_backends_cost_no_failed_read(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    // Fill the pool with idle connections: concurrent cold reads.
    let symbols = ["BTC/USDT", "ETH/USDT", "DOT/USDT"].map(sym);
    let mut reads = Vec::new();
    for s in &symbols {
        reads.push(manager.pair_risk(s));
    }
    futures::future::join_all(reads).await;
    manager.clear().await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(killed >= 2, "killed {killed}");
    let mut failures = Vec::new();
    for s in &symbols {
        for result in [
            manager.pair(s).await.map(|_| ()),
            manager.pair_risk(s).await.map(|_| ()),
            manager.pair_strategies(s).await.map(|_| ()),
            manager.trading_config(s).await.map(|_| ()),
        ] {
            if let Err(e) = result {
                failures.push(e);
            }
        }
    }
    assert!(manager.system_config().await.is_ok());
    assert!(failures.is_empty(), "{failures:?}");
}

/// Reads under a storm of writes to the very row they read never fail: at 10, 100 and
/// 300 writes per second, the failure rate is 0.
#[sqlx::test]
async fn reads_never_fail_under_a_write_storm(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let btc = sym("BTC/USDT");
    for rate in [10u64, 100, 300] {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writes = Arc::new(AtomicU64::new(0));
        let writer = {
            let (pool, stop, writes) = (pool.clone(), stop.clone(), writes.clone());
            tokio::spawn(async move {
                let period = Duration::from_micros(1_000_000 / rate);
                let mut ticker = tokio::time::interval(period);
                let mut value = 1u32;
                while !stop.load(Ordering::Relaxed) {
                    ticker.tick().await;
                    value = value % 50 + 1;
                    sqlx::query(
                        "UPDATE pair_risk_config SET stop_loss_percent = $1 \
                         FROM trading_pairs p WHERE p.id = pair_id AND p.symbol = 'BTC/USDT'",
                    )
                    .bind(Decimal::from(value))
                    .execute(&pool)
                    .await
                    .unwrap();
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let (mut reads, mut failures) = (0u64, Vec::new());
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            reads += 1;
            if let Err(e) = manager.trading_config(&btc).await {
                failures.push(e);
            }
            if let Err(e) = manager.pair_risk(&btc).await {
                failures.push(e);
            }
            tokio::task::yield_now().await;
        }
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        let stats = manager.stats().await;
        println!(
            "{rate} writes/s: {} writes, {} reads, {} failed ({:.3}%), {} answered uncached",
            writes.load(Ordering::Relaxed),
            reads * 2,
            failures.len(),
            failures.len() as f64 * 100.0 / (reads * 2) as f64,
            stats.uncached_answers
        );
        assert!(failures.is_empty(), "{rate} writes/s: {failures:?}");
    }
    // And after the storm the cache agrees with the database.
    caught_up(&manager, &pool).await;
    let cached = manager.pair_risk(&btc).await.unwrap();
    let fresh = manager.uncached().pair_risk(&btc).await.unwrap();
    assert_eq!(*cached, fresh);
}

/// Plain-SQL edits that change what a row *was* about are heard for the old row too.
#[sqlx::test]
async fn renaming_a_pair_by_hand_drops_the_old_symbol(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let (btc, xbt) = (sym("BTC/USDT"), sym("XBT/USDT"));
    manager.warm().await.unwrap();
    manager.pair(&btc).await.unwrap();
    manager.pair_risk(&btc).await.unwrap();
    manager.trading_config(&btc).await.unwrap();
    sqlx::query("UPDATE trading_pairs SET symbol = 'XBT/USDT', base_currency = 'XBT' WHERE symbol = 'BTC/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    caught_up(&manager, &pool).await;
    assert!(matches!(
        manager.pair(&btc).await,
        Err(ConfigError::NotFound(_))
    ));
    assert!(matches!(
        manager.pair_risk(&btc).await,
        Err(ConfigError::NotFound(_))
    ));
    assert!(matches!(
        manager.trading_config(&btc).await,
        Err(ConfigError::NotFound(_))
    ));
    assert_eq!(manager.pair(&xbt).await.unwrap().symbol, xbt);
    assert!(manager
        .trading_configs()
        .await
        .unwrap()
        .iter()
        .any(|c| c.pair.symbol == xbt));
}

#[sqlx::test]
async fn moving_a_strategy_row_to_another_pair_drops_both(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let (btc, eth) = (sym("BTC/USDT"), sym("ETH/USDT"));
    sqlx::query("DELETE FROM pair_strategy_config USING trading_pairs p, strategies s WHERE p.id = pair_id AND s.id = strategy_id AND p.symbol = 'ETH/USDT' AND s.strategy_name = 'rsi'")
        .execute(&pool)
        .await
        .unwrap();
    caught_up(&manager, &pool).await;
    let names = |v: &[botconfig::domain::strategy::PairStrategy]| {
        v.iter().map(|s| s.strategy.clone()).collect::<Vec<_>>()
    };
    assert!(names(&manager.pair_strategies(&btc).await.unwrap()).contains(&"rsi".to_owned()));
    assert!(!names(&manager.pair_strategies(&eth).await.unwrap()).contains(&"rsi".to_owned()));
    sqlx::query("UPDATE pair_strategy_config SET pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT') \
                 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT') \
                 AND strategy_id = (SELECT id FROM strategies WHERE strategy_name = 'rsi')")
        .execute(&pool)
        .await
        .unwrap();
    caught_up(&manager, &pool).await;
    assert!(!names(&manager.pair_strategies(&btc).await.unwrap()).contains(&"rsi".to_owned()));
    assert!(names(&manager.pair_strategies(&eth).await.unwrap()).contains(&"rsi".to_owned()));
}

#[sqlx::test]
async fn truncate_is_heard(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let btc = sym("BTC/USDT");
    manager.warm().await.unwrap();
    assert!(!manager.pair_strategies(&btc).await.unwrap().is_empty());
    sqlx::query("TRUNCATE pair_strategy_config")
        .execute(&pool)
        .await
        .unwrap();
    caught_up(&manager, &pool).await;
    assert!(manager.pair_strategies(&btc).await.unwrap().is_empty());
    assert!(manager
        .trading_config(&btc)
        .await
        .unwrap()
        .strategies
        .is_empty());
}

/// Every revision is one committed transaction, whatever it touched.
#[sqlx::test]
async fn each_committed_transaction_advances_the_revision_once(pool: PgPool) {
    let before = crate::helpers::revision(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE system_config SET config_value = '30' WHERE config_key = 'check_interval'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE pair_risk_config SET max_daily_trades = 3")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(crate::helpers::revision(&pool).await, before + 1);
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE system_config SET config_value = '31' WHERE config_key = 'check_interval'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(crate::helpers::revision(&pool).await, before + 1);
}

/// The statements of the property test: plain SQL against the five tables, as a person
/// with psql (or a bot) might type them.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Setting(usize, u16),
    SettingActive(usize),
    RenameSetting,
    PairBalance(usize, u16),
    PairActive(usize, bool),
    RenamePair(usize),
    InsertPair(usize),
    DeletePair(usize),
    Weight(usize, usize, u16),
    MoveStrategyRow(usize, usize, usize),
    DeleteStrategyRow(usize, usize),
    InsertStrategyRow(usize, usize),
    StopLoss(usize, u16),
    RenameStrategy,
    TruncateStrategyRows,
}

const SETTING_KEYS: [&str; 3] = [
    "check_interval",
    "max_concurrent_positions",
    "min_price_history",
];
const STRATEGIES: [&str; 3] = ["sma_crossover", "rsi", "macd"];
const EXTRA_PAIRS: [&str; 2] = ["SOL", "ADA"];

pub(crate) fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    prop_oneof![
        (0..3usize, 1..500u16).prop_map(|(k, v)| Edit::Setting(k, v)),
        (0..3usize).prop_map(Edit::SettingActive),
        Just(Edit::RenameSetting),
        (0..5usize, 0..5000u16).prop_map(|(p, v)| Edit::PairBalance(p, v)),
        (0..5usize, any::<bool>()).prop_map(|(p, a)| Edit::PairActive(p, a)),
        (0..5usize).prop_map(Edit::RenamePair),
        (0..2usize).prop_map(Edit::InsertPair),
        (0..2usize).prop_map(Edit::DeletePair),
        (0..5usize, 0..3usize, 0..10000u16).prop_map(|(p, s, w)| Edit::Weight(p, s, w)),
        (0..5usize, 0..5usize, 0..3usize).prop_map(|(a, b, s)| Edit::MoveStrategyRow(a, b, s)),
        (0..5usize, 0..3usize).prop_map(|(p, s)| Edit::DeleteStrategyRow(p, s)),
        (0..5usize, 0..3usize).prop_map(|(p, s)| Edit::InsertStrategyRow(p, s)),
        (0..5usize, 1..100u16).prop_map(|(p, v)| Edit::StopLoss(p, v)),
        Just(Edit::RenameStrategy),
        Just(Edit::TruncateStrategyRows),
    ]
}

/// The `n`th pair by id (wrapping), as a subquery.
const NTH_PAIR: &str = "(SELECT id FROM trading_pairs ORDER BY id OFFSET ($1::int % GREATEST((SELECT count(*) FROM trading_pairs), 1)::int) LIMIT 1)";

pub(crate) async fn apply_edit(pool: &PgPool, edit: &Edit) {
    let q = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    // A statement the schema refuses (a duplicate, a constraint) is part of the game.
    let _ = match edit {
        Edit::Setting(k, v) => {
            q("UPDATE system_config SET config_value = $2 WHERE config_key = $1".into())
                .bind(SETTING_KEYS[*k])
                .bind(v.to_string())
                .execute(pool)
                .await
        }
        Edit::SettingActive(k) => {
            q("UPDATE system_config SET is_active = NOT is_active WHERE config_key = $1".into())
                .bind(SETTING_KEYS[*k])
                .execute(pool)
                .await
        }
        Edit::RenameSetting => {
            q("UPDATE system_config SET config_key = CASE config_key WHEN 'data_retention_days' THEN 'retention_days' ELSE 'data_retention_days' END \
               WHERE config_key IN ('data_retention_days', 'retention_days')".into())
                .execute(pool)
                .await
        }
        Edit::PairBalance(p, v) => {
            q(format!("UPDATE trading_pairs SET initial_balance = $2 WHERE id = {NTH_PAIR}"))
                .bind(*p as i32)
                .bind(Decimal::from(*v) + Decimal::from(300))
                .execute(pool)
                .await
        }
        Edit::PairActive(p, a) => {
            q(format!("UPDATE trading_pairs SET is_active = $2 WHERE id = {NTH_PAIR}"))
                .bind(*p as i32)
                .bind(*a)
                .execute(pool)
                .await
        }
        Edit::RenamePair(p) => {
            q(format!(
                "UPDATE trading_pairs SET \
                 base_currency = CASE WHEN base_currency LIKE '%X' THEN left(base_currency, -1) ELSE base_currency || 'X' END, \
                 symbol = CASE WHEN base_currency LIKE '%X' THEN left(base_currency, -1) ELSE base_currency || 'X' END || '/' || quote_currency \
                 WHERE id = {NTH_PAIR}"
            ))
            .bind(*p as i32)
            .execute(pool)
            .await
        }
        Edit::InsertPair(i) => {
            let base = EXTRA_PAIRS[*i];
            q("INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
               VALUES ($1 || '/USDT', $1, 'USDT', 500, 50, 10) ON CONFLICT DO NOTHING".into())
                .bind(base)
                .execute(pool)
                .await
        }
        Edit::DeletePair(i) => {
            q("DELETE FROM trading_pairs WHERE base_currency IN ($1, $1 || 'X')".into())
                .bind(EXTRA_PAIRS[*i])
                .execute(pool)
                .await
        }
        Edit::Weight(p, s, w) => {
            q(format!("UPDATE pair_strategy_config SET weight = $3 WHERE pair_id = {NTH_PAIR} \
                       AND strategy_id = (SELECT id FROM strategies WHERE strategy_name LIKE $2 || '%')"))
                .bind(*p as i32)
                .bind(STRATEGIES[*s])
                .bind(Decimal::new(i64::from(*w), 4))
                .execute(pool)
                .await
        }
        Edit::MoveStrategyRow(a, b, s) => {
            q(format!("UPDATE pair_strategy_config SET pair_id = {} WHERE pair_id = {NTH_PAIR} \
                       AND strategy_id = (SELECT id FROM strategies WHERE strategy_name LIKE $3 || '%')",
                      NTH_PAIR.replace("$1", "$2")))
                .bind(*a as i32)
                .bind(*b as i32)
                .bind(STRATEGIES[*s])
                .execute(pool)
                .await
        }
        Edit::DeleteStrategyRow(p, s) => {
            q(format!("DELETE FROM pair_strategy_config WHERE pair_id = {NTH_PAIR} \
                       AND strategy_id = (SELECT id FROM strategies WHERE strategy_name LIKE $2 || '%')"))
                .bind(*p as i32)
                .bind(STRATEGIES[*s])
                .execute(pool)
                .await
        }
        Edit::InsertStrategyRow(p, s) => {
            q(format!("INSERT INTO pair_strategy_config (pair_id, strategy_id, weight, parameters) \
                       SELECT {NTH_PAIR}, id, 0.3, '{{}}' FROM strategies WHERE strategy_name LIKE $2 || '%' ON CONFLICT DO NOTHING"))
                .bind(*p as i32)
                .bind(STRATEGIES[*s])
                .execute(pool)
                .await
        }
        Edit::StopLoss(p, v) => {
            q(format!("UPDATE pair_risk_config SET stop_loss_percent = $2 WHERE pair_id = {NTH_PAIR}"))
                .bind(*p as i32)
                .bind(Decimal::from(*v))
                .execute(pool)
                .await
        }
        Edit::RenameStrategy => {
            q("UPDATE strategies SET strategy_name = CASE strategy_name WHEN 'macd' THEN 'macd_v2' ELSE 'macd' END WHERE strategy_name IN ('macd', 'macd_v2')".into())
                .execute(pool)
                .await
        }
        Edit::TruncateStrategyRows => q("TRUNCATE pair_strategy_config".into()).execute(pool).await,
    };
}

/// Two answers agree: equal values, or errors of one kind (a composite read reports
/// whichever of its concurrent queries failed first).
fn same<T: PartialEq>(a: Result<T, ConfigError>, b: Result<T, ConfigError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => std::mem::discriminant(&a) == std::mem::discriminant(&b),
        _ => false,
    }
}

/// Every read the cache serves, next to the same read made fresh from the database.
async fn disagreements(manager: &ConfigManager) -> Vec<String> {
    let fresh = manager.uncached();
    let mut found = Vec::new();
    let mut check = |what: String, same: bool| {
        if !same {
            found.push(what);
        }
    };
    let cached = manager.system_config().await.map(|v| (*v).clone());
    check(
        "system_config".into(),
        same(cached, fresh.system_config().await),
    );
    for key in SETTING_KEYS
        .iter()
        .chain(&["data_retention_days", "retention_days"])
    {
        let cached = manager.setting(key).await.map(|v| (*v).clone());
        check(
            format!("setting {key}"),
            same(cached, fresh.setting(key).await),
        );
    }
    let cached = manager.active_pairs().await.map(|v| (*v).clone());
    check(
        "active_pairs".into(),
        same(cached, fresh.active_pairs().await),
    );
    let cached = manager
        .trading_configs()
        .await
        .map(|v| v.iter().map(|c| (**c).clone()).collect::<Vec<_>>());
    check(
        "trading_configs".into(),
        same(cached, fresh.trading_configs().await),
    );
    for base in ["BTC", "ETH", "DOT", "SOL", "ADA"] {
        for name in [base.to_owned(), format!("{base}X")] {
            let s = sym(&format!("{name}/USDT"));
            let cached = manager.pair(&s).await.map(|v| (*v).clone());
            check(format!("pair {s}"), same(cached, fresh.pair(&s).await));
            let cached = manager.pair_risk(&s).await.map(|v| (*v).clone());
            check(format!("risk {s}"), same(cached, fresh.pair_risk(&s).await));
            let cached = manager.pair_strategies(&s).await.map(|v| (*v).clone());
            check(
                format!("strategies {s}"),
                same(cached, fresh.pair_strategies(&s).await),
            );
            let cached = manager.trading_config(&s).await.map(|v| (*v).clone());
            check(
                format!("trading_config {s}"),
                same(cached, fresh.trading_config(&s).await),
            );
            for strategy in STRATEGIES.iter().chain(&["macd_v2"]) {
                let cached = manager
                    .strategy_config(&s, strategy)
                    .await
                    .map(|v| (*v).clone());
                check(
                    format!("strategy_config {s} {strategy}"),
                    same(cached, fresh.strategy_config(&s, strategy).await),
                );
            }
        }
    }
    found
}

/// Random sequences of plain-SQL edits to the five tables, made behind the server's back:
/// once it has applied the revision they reached, every cached read equals a fresh one.
#[sqlx::test]
async fn after_any_sql_edits_every_cached_read_equals_a_fresh_read(pool: PgPool) {
    use proptest::strategy::{Strategy, ValueTree};
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let sequences = proptest::collection::vec(edit(), 1..6);
    let mut history = Vec::new();
    for round in 0..24 {
        // Fill the cache with everything a later edit could make stale.
        manager.warm().await.unwrap();
        let _ = disagreements(&manager).await;
        let edits = sequences.new_tree(&mut runner).unwrap().current();
        for edit in &edits {
            apply_edit(&pool, edit).await;
        }
        history.push(edits);
        caught_up(&manager, &pool).await;
        let found = disagreements(&manager).await;
        assert!(
            found.is_empty(),
            "round {round}: stale after {history:#?}: {found:?}"
        );
    }
}

/// Records, for each event marked `probe`, the spans it was logged inside.
#[derive(Clone, Default)]
struct SpanScopes(Arc<std::sync::Mutex<Vec<Vec<&'static str>>>>);

impl<S> tracing_subscriber::Layer<S> for SpanScopes
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().fields().field("probe").is_none() {
            return;
        }
        let names = ctx
            .event_scope(event)
            .map(|scope| scope.map(|span| span.name()).collect())
            .unwrap_or_default();
        self.0.lock().unwrap().push(names);
    }
}

/// While a warm or a load waits for Postgres, other work on the same thread must not run
/// inside its span: a span guard held across an await did exactly that (and, with spans
/// closing on other threads, panicked in the subscriber).
#[sqlx::test]
async fn a_waiting_warm_lends_its_span_to_nobody(pool: PgPool) {
    use tracing_subscriber::layer::SubscriberExt;
    let url = database_url(&pool, None);
    let scopes = SpanScopes::default();
    let seen = scopes.clone();
    std::thread::spawn(move || {
        let subscriber = tracing_subscriber::registry()
            .with(seen)
            .with(tracing_subscriber::filter::LevelFilter::TRACE);
        let _default = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (manager, _listener) = serving_manager(&url, CacheSettings::default()).await;
            let warming = {
                let manager = manager.clone();
                tokio::spawn(async move {
                    for _ in 0..5 {
                        manager.clear().await;
                        manager.warm().await.unwrap();
                        manager.trading_config(&sym("BTC/USDT")).await.unwrap();
                    }
                })
            };
            // Runs between the warm's awaits, on the same thread.
            while !warming.is_finished() {
                tracing::info!(probe = true, "unrelated work");
                tokio::task::yield_now().await;
            }
            warming.await.unwrap();
        });
    })
    .join()
    .expect("no thread panicked");
    let scopes = scopes.0.lock().unwrap();
    assert!(
        scopes.len() > 10,
        "the probe ran while warming: {}",
        scopes.len()
    );
    let leaked: Vec<_> = scopes.iter().filter(|names| !names.is_empty()).collect();
    assert!(
        leaked.is_empty(),
        "unrelated events logged inside {:?}",
        leaked.first()
    );
}
