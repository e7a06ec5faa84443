//! The change history: every write recorded with its actor, source and a diff of what
//! changed, whoever wrote it (botconfig, the CLI, plain SQL), and rollback as a new change.

use crate::helpers::{self, botconfig, setting, stderr, stdout, sym};
use botconfig::domain::history::{Actor, ChangeRecord, HistoryFilter, Source};
use botconfig::domain::risk::RiskForm;
use botconfig::domain::ConfigError;
use botconfig::service::ConfigService;
use sqlx::PgPool;

fn service(pool: &PgPool, user: &str) -> ConfigService {
    ConfigService::new(helpers::manager(pool)).acting_as(Actor::new(user, Source::Console))
}

async fn latest(service: &ConfigService) -> ChangeRecord {
    service
        .history(&HistoryFilter::default())
        .await
        .unwrap()
        .changes
        .into_iter()
        .next()
        .expect("a recorded change")
}

async fn set_stop_loss(service: &ConfigService, symbol: &str, value: &str) {
    let current = service.risk(&sym(symbol)).await.unwrap();
    let mut form = RiskForm::from_settings(&current.settings, current.version);
    form.stop_loss_percent = value.into();
    service.update_risk(&sym(symbol), &form).await.unwrap();
}

#[sqlx::test]
async fn a_plain_sql_update_is_recorded_as_its_database_role(pool: PgPool) {
    sqlx::query(
        "UPDATE pair_risk_config r SET stop_loss_percent = 3.5 FROM trading_pairs p \
         WHERE p.id = r.pair_id AND p.symbol = 'BTC/USDT'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let role: String = sqlx::query_scalar("SELECT session_user::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    let change = latest(&service(&pool, "nobody")).await;
    assert_eq!(change.actor, format!("sql:{role}"));
    assert_eq!(change.source, "sql");
    assert_eq!(change.subject, "BTC/USDT");
    assert_eq!(change.describe(), ["stop loss 5% → 3.5%"]);
    // Only the field that changed, not the version or the timestamps.
    assert_eq!(
        change.after.unwrap(),
        serde_json::json!({"stop_loss_percent": 3.5})
    );
}

#[sqlx::test]
async fn a_console_write_is_recorded_under_its_user_and_reverts(pool: PgPool) {
    let alice = service(&pool, "alice");
    set_stop_loss(&alice, "BTC/USDT", "3.5").await;
    let change = latest(&alice).await;
    assert_eq!(
        (change.actor.as_str(), change.source.as_str()),
        ("alice", "console")
    );
    assert_eq!(change.symbol.as_deref(), Some("BTC/USDT"));
    assert_eq!(change.describe(), ["stop loss 5% → 3.5%"]);

    // A reader whose cache holds 3.5 sees 5 again as soon as the rollback returns.
    let manager = helpers::manager(&pool);
    let reader = ConfigService::new(manager.clone()).acting_as(Actor::new("bob", Source::Console));
    let cached = manager.pair_risk(&sym("BTC/USDT")).await.unwrap();
    assert_eq!(
        cached.settings.stop_loss_percent.normalize().to_string(),
        "3.5"
    );
    let ids = reader.revert(change.id, false, false).await.unwrap();
    assert_eq!(ids.len(), 1);
    let after = manager.pair_risk(&sym("BTC/USDT")).await.unwrap();
    assert_eq!(
        after.settings.stop_loss_percent.normalize().to_string(),
        "5"
    );
    let revert = latest(&alice).await;
    assert_eq!(revert.actor, "bob");
    assert_eq!(revert.describe(), ["stop loss 3.5% → 5%"]);
    assert_eq!(
        revert.reason.as_deref(),
        Some(&*format!("revert of change #{}", change.id))
    );
}

#[sqlx::test]
async fn a_rollback_of_a_row_changed_since_is_refused_unless_confirmed(pool: PgPool) {
    let alice = service(&pool, "alice");
    set_stop_loss(&alice, "ETH/USDT", "4").await;
    let first = latest(&alice).await;
    set_stop_loss(&alice, "ETH/USDT", "3").await;

    let refused = alice.revert(first.id, false, false).await.unwrap_err();
    let ConfigError::Conflict(message) = refused else {
        panic!("expected a conflict, got {refused:?}");
    };
    assert!(message.contains("stop_loss_percent is now 3"), "{message}");
    let risk = alice.risk(&sym("ETH/USDT")).await.unwrap();
    assert_eq!(risk.settings.stop_loss_percent.normalize().to_string(), "3");

    alice.revert(first.id, false, true).await.unwrap();
    let risk = alice.risk(&sym("ETH/USDT")).await.unwrap();
    assert_eq!(risk.settings.stop_loss_percent.normalize().to_string(), "5");
}

#[sqlx::test]
async fn a_whole_import_reverts_at_once(pool: PgPool) {
    let alice = service(&pool, "alice");
    let mut doc = alice.export().await.unwrap();
    for pair in &mut doc.pairs {
        pair.risk.max_daily_trades += 5;
    }
    doc.settings.insert("check_interval".into(), "15".into());
    alice.import(&doc, false).await.unwrap();
    let imported = latest(&alice).await;
    assert_eq!(imported.source, "import");

    alice.revert(imported.id, true, false).await.unwrap();
    assert_eq!(setting(&pool, "check_interval").await, "60");
    for symbol in ["BTC/USDT", "ETH/USDT", "DOT/USDT"] {
        let risk = alice.risk(&sym(symbol)).await.unwrap();
        assert_eq!(risk.settings.max_daily_trades, 10, "{symbol}");
    }
}

#[sqlx::test]
async fn a_deleted_pair_comes_back_with_its_risk_and_strategies(pool: PgPool) {
    let alice = service(&pool, "alice");
    set_stop_loss(&alice, "DOT/USDT", "7").await;
    let before = alice.export().await.unwrap();
    sqlx::query("DELETE FROM trading_pairs WHERE symbol = 'DOT/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    let dot = alice
        .history(&HistoryFilter {
            symbol: Some("DOT/USDT".into()),
            ..HistoryFilter::default()
        })
        .await
        .unwrap()
        .changes;
    let deletion = dot
        .iter()
        .filter(|c| c.operation == "delete")
        .map(|c| c.subject.as_str())
        .collect::<Vec<_>>();
    assert_eq!(
        deletion,
        [
            "DOT/USDT",
            "DOT/USDT rsi",
            "DOT/USDT sma_crossover",
            "DOT/USDT"
        ]
    );
    let pair_deleted = dot
        .iter()
        .find(|c| c.table == "trading_pairs" && c.operation == "delete")
        .unwrap();
    alice.revert(pair_deleted.id, true, false).await.unwrap();
    assert_eq!(alice.export().await.unwrap(), before);
}

#[sqlx::test]
async fn a_secret_is_never_in_the_history_and_cannot_be_reverted(pool: PgPool) {
    sqlx::query(
        "INSERT INTO system_config (config_key, config_value, config_type, category, is_secret) \
         VALUES ('exchange_api_key', 'k-original-123', 'string', 'system', true)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE system_config SET config_value = 'k-rotated-456' WHERE config_key = 'exchange_api_key'")
        .execute(&pool)
        .await
        .unwrap();
    let alice = service(&pool, "alice");
    let changes = alice
        .history(&HistoryFilter::default())
        .await
        .unwrap()
        .changes;
    let text = serde_json::to_string(&changes).unwrap();
    assert!(
        !text.contains("k-original-123") && !text.contains("k-rotated-456"),
        "{text}"
    );
    assert_eq!(changes[0].describe(), ["exchange api key changed"]);
    let refused = alice.revert(changes[0].id, false, false).await.unwrap_err();
    assert!(refused.to_string().contains("secret"), "{refused}");
}

#[sqlx::test]
async fn the_cli_records_its_user_and_lists_and_reverts(pool: PgPool) {
    let out = botconfig(&pool)
        .env("USER", "ops")
        .args([
            "--reason",
            "halving risk after the outage",
            "update-risk",
            "BTC/USDT",
            "--stop-loss",
            "2.5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = botconfig(&pool)
        .args(["history", "BTC/USDT", "--since", "1h", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let changes: Vec<ChangeRecord> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    // Named by the process's real user, not by $USER, which anyone sets.
    let os_user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let os_user = String::from_utf8(os_user.stdout).unwrap();
    assert_eq!(
        (changes[0].actor.as_str(), changes[0].source.as_str()),
        (format!("cli:{}", os_user.trim()).as_str(), "cli")
    );
    assert_eq!(
        changes[0].reason.as_deref(),
        Some("halving risk after the outage")
    );

    let out = botconfig(&pool).args(["history"]).output().unwrap();
    let table = stdout(&out);
    assert!(
        table.contains("stop loss 5% → 2.5%") && table.contains(&format!("cli:{}", os_user.trim())),
        "{table}"
    );

    let out = botconfig(&pool)
        .args(["rollback", &changes[0].id.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stop: String = sqlx::query_scalar(
        "SELECT r.stop_loss_percent::text FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id WHERE p.symbol = 'BTC/USDT'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stop, "5.0000");

    // An unknown change and a malformed time are bad input.
    let out = botconfig(&pool)
        .args(["rollback", "999999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = botconfig(&pool)
        .args(["history", "--since", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a time"), "{}", stderr(&out));
}

#[sqlx::test]
async fn the_history_pages_past_its_first_rows_and_finds_a_pair_by_part_of_its_symbol(
    pool: PgPool,
) {
    // 250 changes of BTC/USDT's risk, one statement each, as a busy day of edits makes.
    sqlx::query(
        "DO $$ BEGIN FOR i IN 1..250 LOOP \
           UPDATE pair_risk_config SET max_daily_trades = i \
           WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT'); \
         END LOOP; END $$",
    )
    .execute(&pool)
    .await
    .unwrap();
    let alice = service(&pool, "alice");
    let page = |offset: i64, symbol: &str| {
        let filter = HistoryFilter {
            symbol: Some(symbol.into()),
            table: Some("pair_risk_config".into()),
            limit: 100,
            offset,
            ..HistoryFilter::default()
        };
        let alice = alice.clone();
        async move { alice.history(&filter).await.unwrap() }
    };
    let (first, second, third) = (
        page(0, "btc/u").await,
        page(100, "btc/u").await,
        page(200, "btc/u").await,
    );
    assert_eq!(
        first.total, 250,
        "every change is counted, not the first 200"
    );
    assert_eq!(
        (
            first.changes.len(),
            second.changes.len(),
            third.changes.len()
        ),
        (100, 100, 50)
    );
    let ids = [&first, &second, &third]
        .iter()
        .flat_map(|p| p.changes.iter().map(|c| c.id))
        .collect::<Vec<_>>();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, no change on two pages, none skipped"
    );
    assert_eq!(
        first.changes[0].describe(),
        ["max daily trades 249 → 250"],
        "the newest first"
    );
    assert_eq!(
        third.changes.last().unwrap().describe(),
        ["max daily trades 10 → 1"]
    );

    // Any case, any part; what the operator types is text, never a pattern.
    assert_eq!(page(0, "BtC").await.total, 250);
    assert_eq!(page(0, "usdt").await.total, 250);
    for pattern in ["_", "%", "B_C"] {
        assert_eq!(page(0, pattern).await.total, 0, "{pattern}");
    }
}
