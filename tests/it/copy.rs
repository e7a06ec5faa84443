//! Copying a pair's setup: the diff first, then every target in one transaction, refused
//! whole when a row changed since the diff, from the service, the API and the CLI.

use crate::helpers::{botconfig, console, json, revision, stdout, sym};
use axum::http::{Method, StatusCode};
use botconfig::domain::auth::Scope;
use botconfig::domain::ConfigError;
use botconfig::service::{ConfigService, ReadFrom};
use sqlx::PgPool;

async fn stop_loss(pool: &PgPool, symbol: &str) -> String {
    sqlx::query_scalar::<_, String>(
        "SELECT r.stop_loss_percent::text FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id WHERE p.symbol = $1",
    )
    .bind(symbol)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_copy_shows_its_diff_then_applies_to_every_target_and_bots_read_it(pool: PgPool) {
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager.clone());
    sqlx::query("UPDATE pair_risk_config SET stop_loss_percent = 2.5 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE pair_strategy_config SET weight = 0.9 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT') AND strategy_id = (SELECT id FROM strategies WHERE strategy_name = 'rsi')")
        .execute(&pool)
        .await
        .unwrap();
    // Bots had read the targets before.
    let before = service
        .trading_config_from(&sym("ETH/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert_eq!(before.risk.stop_loss_percent.to_string(), "5");

    let targets = [sym("ETH/USDT"), sym("DOT/USDT")];
    let plan = service
        .plan_copy(&sym("BTC/USDT"), &targets, true, true)
        .await
        .unwrap();
    let shown: Vec<(String, String, String, String)> = plan
        .changes()
        .map(|c| {
            (
                c.symbol.clone(),
                c.field.clone(),
                c.old.clone(),
                c.new.clone(),
            )
        })
        .collect();
    assert!(
        shown.contains(&(
            "ETH/USDT".into(),
            "Stop loss".into(),
            "5".into(),
            "2.5".into()
        )),
        "{shown:?}"
    );
    assert!(
        shown.contains(&(
            "DOT/USDT".into(),
            "rsi: weight".into(),
            "0.4".into(),
            "0.9".into()
        )),
        "{shown:?}"
    );
    assert_eq!(
        stop_loss(&pool, "ETH/USDT").await,
        "5.0000",
        "a plan changes nothing"
    );

    service.apply_plan(&plan).await.unwrap();
    for symbol in ["ETH/USDT", "DOT/USDT"] {
        assert_eq!(stop_loss(&pool, symbol).await, "2.5000");
        let config = service
            .trading_config_from(&sym(symbol), ReadFrom::Cache)
            .await
            .unwrap();
        assert_eq!(
            config.risk.stop_loss_percent.to_string(),
            "2.5",
            "the cache was told"
        );
        let rsi = config
            .strategies
            .iter()
            .find(|s| s.strategy == "rsi")
            .unwrap();
        assert_eq!(rsi.weight.to_string(), "0.9");
    }
    // One change set in the history: every row under one transaction.
    let sets: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT txid) FROM config_changes WHERE symbol IN ('ETH/USDT', 'DOT/USDT')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(sets, 1, "the copy's rows are one change set");
}

#[sqlx::test]
async fn a_row_changed_since_the_diff_refuses_the_whole_copy(pool: PgPool) {
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager);
    sqlx::query("UPDATE pair_risk_config SET stop_loss_percent = 2.5 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    let plan = service
        .plan_copy(
            &sym("BTC/USDT"),
            &[sym("ETH/USDT"), sym("DOT/USDT")],
            true,
            false,
        )
        .await
        .unwrap();
    // Someone edits one target between the preview and the apply.
    sqlx::query("UPDATE pair_risk_config SET take_profit_percent = 12 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'DOT/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    let at = revision(&pool).await;
    let ConfigError::Conflict(message) = service.apply_plan(&plan).await.unwrap_err() else {
        panic!("not a conflict")
    };
    assert_eq!(
        message,
        "nothing was applied: changed since the preview: DOT/USDT risk"
    );
    assert_eq!(
        stop_loss(&pool, "ETH/USDT").await,
        "5.0000",
        "the other target is untouched too"
    );
    assert_eq!(revision(&pool).await, at);
}

#[sqlx::test]
async fn the_api_and_the_cli_copy_with_a_dry_run_first(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let writer = app.token(Scope::Write);
    sqlx::query("UPDATE pair_risk_config SET stop_loss_percent = 3 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    let body = serde_json::json!({"to": ["ETH/USDT"], "risk": true, "dry_run": true}).to_string();
    let (status, answer) = writer
        .send(json(Method::POST, "/api/v1/pairs/BTC%2FUSDT/copy", body))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["applied"], false);
    assert_eq!(answer["changes"][0]["field"], "Stop loss");
    assert_eq!(stop_loss(&pool, "ETH/USDT").await, "5.0000");
    for (bad, field) in [
        (serde_json::json!({"to": ["ETH/USDT"]}), "what"),
        (serde_json::json!({"to": [], "risk": true}), "to"),
        (serde_json::json!({"to": ["BTC/USDT"], "risk": true}), "to"),
        (serde_json::json!({"to": ["eth"], "risk": true}), "symbol"),
    ] {
        let (status, answer) = writer
            .send(json(
                Method::POST,
                "/api/v1/pairs/BTC%2FUSDT/copy",
                bad.to_string(),
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {answer}");
        assert!(
            answer.contains(&format!("\"field\":\"{field}\"")),
            "{bad}: {answer}"
        );
    }

    let out = botconfig(&pool)
        .args([
            "copy",
            "BTC/USDT",
            "--to",
            "ETH/USDT,DOT/USDT",
            "--risk",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("dry run: 2 changes shown, nothing copied"),
        "{}",
        stdout(&out)
    );
    let out = botconfig(&pool)
        .args([
            "copy",
            "BTC/USDT",
            "--to",
            "ETH/USDT,DOT/USDT",
            "--risk",
            "--strategies",
        ])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("ETH/USDT     Stop loss                    5 -> 3"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("copied BTC/USDT to 2 pairs: 2 changes"),
        "{}",
        stdout(&out)
    );
    assert_eq!(stop_loss(&pool, "DOT/USDT").await, "3.0000");
}
