//! One edit on many pairs: the preview of each pair's old and new value, one transaction,
//! all or nothing under a concurrent write, one change set in the history that rolls back
//! as one, from the service, the API and the CLI.

use crate::helpers::{botconfig, console, json, revision, stdout, sym};
use axum::http::{Method, StatusCode};
use botconfig::domain::auth::Scope;
use botconfig::domain::bulk::BulkEdit;
use botconfig::domain::ConfigError;
use botconfig::service::ConfigService;
use sqlx::PgPool;

async fn stop_losses(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT p.symbol, r.stop_loss_percent::text FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id ORDER BY p.symbol",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

fn stop_loss(value: &str) -> BulkEdit {
    BulkEdit::Risk {
        field: "stop_loss_percent".into(),
        value: value.into(),
    }
}

#[sqlx::test]
async fn a_bulk_edit_previews_each_pair_applies_as_one_change_set_and_rolls_back_as_one(
    pool: PgPool,
) {
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager);
    let all = [sym("BTC/USDT"), sym("DOT/USDT"), sym("ETH/USDT")];
    let plan = service.plan_bulk(&all, &stop_loss("3")).await.unwrap();
    let preview: Vec<String> = plan
        .changes()
        .map(|c| format!("{} {} {} -> {}", c.symbol, c.field, c.old, c.new))
        .collect();
    assert_eq!(
        preview,
        [
            "BTC/USDT Stop loss 5 -> 3",
            "DOT/USDT Stop loss 5 -> 3",
            "ETH/USDT Stop loss 5 -> 3"
        ]
    );
    service.apply_plan(&plan).await.unwrap();
    assert!(stop_losses(&pool).await.iter().all(|(_, v)| v == "3.0000"));

    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, txid FROM config_changes WHERE table_name = 'pair_risk_config' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.iter().all(|(_, txid)| *txid == ids[0].1),
        "one change set: {ids:?}"
    );
    service.revert(ids[0].0, true, false).await.unwrap();
    assert!(
        stop_losses(&pool).await.iter().all(|(_, v)| v == "5.0000"),
        "rolled back as one"
    );
}

#[sqlx::test]
async fn a_row_written_meanwhile_refuses_the_whole_bulk_edit_and_names_it(pool: PgPool) {
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager);
    let all = [sym("BTC/USDT"), sym("DOT/USDT"), sym("ETH/USDT")];
    let plan = service.plan_bulk(&all, &stop_loss("3")).await.unwrap();
    sqlx::query("UPDATE pair_risk_config SET max_daily_trades = 7 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    let at = revision(&pool).await;
    let ConfigError::Conflict(message) = service.apply_plan(&plan).await.unwrap_err() else {
        panic!("not a conflict")
    };
    assert_eq!(
        message,
        "nothing was applied: changed since the preview: ETH/USDT risk"
    );
    assert!(
        stop_losses(&pool).await.iter().all(|(_, v)| v == "5.0000"),
        "nothing applied"
    );
    assert_eq!(revision(&pool).await, at);
}

/// Two operators apply bulk edits planned from the same rows at the same moment: whatever
/// the interleaving, exactly one applies whole and the other is refused whole.
#[sqlx::test]
async fn of_two_concurrent_bulk_edits_on_the_same_rows_exactly_one_applies(pool: PgPool) {
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager);
    let all = [sym("BTC/USDT"), sym("DOT/USDT"), sym("ETH/USDT")];
    for round in 0..5 {
        let reverse: Vec<_> = all.iter().rev().cloned().collect();
        let a = service
            .plan_bulk(&all, &stop_loss(&format!("3.{round}")))
            .await
            .unwrap();
        let b = service
            .plan_bulk(&reverse, &stop_loss(&format!("4.{round}")))
            .await
            .unwrap();
        let (ra, rb) = tokio::join!(service.apply_plan(&a), service.apply_plan(&b));
        assert!(ra.is_ok() != rb.is_ok(), "round {round}: {ra:?} / {rb:?}");
        let winner = if ra.is_ok() {
            format!("3.{round}")
        } else {
            format!("4.{round}")
        };
        let values = stop_losses(&pool).await;
        assert!(
            values.iter().all(|(_, v)| v.starts_with(&winner)),
            "round {round}: {values:?}"
        );
    }
}

#[sqlx::test]
async fn bulk_edits_from_the_api_and_the_cli_with_a_filter_and_a_dry_run(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let writer = app.token(Scope::Write);
    let body = serde_json::json!({
        "filter": {"quote": "USDT", "q": "t/"},
        "edit": {"kind": "strategy_weight", "strategy": "rsi", "weight": "0.7"},
        "dry_run": true
    });
    let (status, answer) = writer
        .send(json(Method::POST, "/api/v1/pairs/bulk", body.to_string()))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        (answer["pairs"].clone(), answer["applied"].clone()),
        (1.into(), false.into()),
        "{answer}"
    );
    assert_eq!(
        answer["changes"][0]["symbol"], "DOT/USDT",
        "only the pair the filter matches"
    );
    for (bad, field) in [
        (
            serde_json::json!({"pairs": ["BTC/USDT"], "edit": {"kind": "risk", "field": "stop_loss_percent", "value": "300"}}),
            "stop_loss_percent",
        ),
        (
            serde_json::json!({"pairs": ["BTC/USDT"], "edit": {"kind": "risk", "field": "version", "value": "1"}}),
            "field",
        ),
        (
            serde_json::json!({"pairs": [], "edit": {"kind": "activate"}}),
            "pairs",
        ),
        (serde_json::json!({"edit": {"kind": "activate"}}), "pairs"),
        (
            serde_json::json!({"pairs": ["BTC/USDT"], "edit": {"kind": "explode"}}),
            "body",
        ),
    ] {
        let (status, answer) = writer
            .send(json(Method::POST, "/api/v1/pairs/bulk", bad.to_string()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {answer}");
        assert!(
            answer.contains(&format!("\"field\":\"{field}\"")),
            "{bad}: {answer}"
        );
    }

    let run = |args: &[&str]| botconfig(&pool).args(args).output().unwrap();
    let out = run(&[
        "bulk",
        "--quote",
        "USDT",
        "set-risk",
        "--stop-loss",
        "3",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out)
            .contains("dry run: Stop loss = 3 on 3 pairs: 3 changes shown, nothing applied"),
        "{}",
        stdout(&out)
    );
    assert!(stop_losses(&pool).await.iter().all(|(_, v)| v == "5.0000"));
    let out = run(&["bulk", "--pairs", "ETH/USDT,DOT/USDT", "deactivate"]);
    assert!(
        stdout(&out).contains("applied deactivate to 2 pairs: 2 changes"),
        "{}",
        stdout(&out)
    );
    let out = run(&[
        "bulk",
        "--state",
        "inactive",
        "set-strategy",
        "rsi",
        "--disable",
    ]);
    assert!(
        stdout(&out).contains("applied rsi: off to 2 pairs: 2 changes"),
        "{}",
        stdout(&out)
    );
    let out = run(&["bulk", "--quote", "USDT", "set-risk"]);
    assert_eq!(out.status.code(), Some(2));
}

#[sqlx::test]
async fn a_bulk_pause_pauses_every_pair_with_its_reason_in_one_change_set_and_a_bulk_resume_ends_it(
    pool: PgPool,
) {
    use botconfig::domain::pause::PauseRequest;
    let (_, manager) = console(&pool).await;
    let service = ConfigService::new(manager);
    let pairs = [sym("BTC/USDT"), sym("ETH/USDT")];
    // A bad request is refused whole, every field's error at once, and pauses nothing.
    let bad = BulkEdit::Pause(PauseRequest {
        duration: Some("soon".into()),
        reason: " ".into(),
        ..PauseRequest::default()
    });
    let refused = service.plan_bulk(&pairs, &bad).await.unwrap_err();
    let ConfigError::Invalid(errors) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        errors.get("reason").is_some() && errors.get("for").is_some(),
        "{errors}"
    );

    let pause = BulkEdit::Pause(PauseRequest {
        duration: Some("4h".into()),
        reason: "exchange maintenance".into(),
        mode: Some("close_out".into()),
        ..PauseRequest::default()
    });
    let plan = service.plan_bulk(&pairs, &pause).await.unwrap();
    let fields: Vec<String> = plan
        .changes()
        .map(|c| format!("{} {}", c.symbol, c.new))
        .collect();
    assert_eq!(fields.len(), 2);
    assert!(
        fields
            .iter()
            .all(|f| f.contains("exchange maintenance — close out")),
        "{fields:?}"
    );
    // A write to one of the pairs since the preview: nothing is paused.
    sqlx::query("UPDATE trading_pairs SET trade_size_usd = 151 WHERE symbol = 'ETH/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    let stale = service.apply_plan(&plan).await.unwrap_err();
    assert!(stale.to_string().contains("ETH/USDT"), "{stale}");
    for symbol in &pairs {
        assert!(service.pair(symbol).await.unwrap().pause.is_none());
    }

    let plan = service.plan_bulk(&pairs, &pause).await.unwrap();
    service.apply_plan(&plan).await.unwrap();
    for symbol in &pairs {
        let decision = service
            .should_trade_pair(symbol, botconfig::service::ReadFrom::Cache)
            .await
            .unwrap();
        assert!(!decision.trade, "{symbol} is paused");
        assert_eq!(
            decision.pause.as_ref().map(|p| p.reason.as_str()),
            Some("exchange maintenance")
        );
    }
    let txids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT txid FROM config_changes WHERE table_name = 'trading_pairs' AND after ? 'pause_reason'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(txids.len(), 1, "one change set");

    // Resume plans only the paused pairs, and ends their pauses.
    let all = [sym("BTC/USDT"), sym("DOT/USDT"), sym("ETH/USDT")];
    let plan = service.plan_bulk(&all, &BulkEdit::Resume).await.unwrap();
    assert_eq!(plan.changes().count(), 2);
    service.apply_plan(&plan).await.unwrap();
    for symbol in &all {
        assert!(
            service
                .should_trade_pair(symbol, botconfig::service::ReadFrom::Cache)
                .await
                .unwrap()
                .trade
        );
    }

    // The API takes the pause's own fields beside its kind; a field it does not know is
    // refused, not ignored.
    let (app, _) = console(&pool).await;
    let writer = app.token(Scope::Write);
    let body = serde_json::json!({
        "pairs": ["DOT/USDT"],
        "edit": {"kind": "pause", "for": "2h", "reason": "exchange maintenance", "mode": "close_out"},
        "dry_run": true
    });
    let (status, answer) = writer
        .send(json(Method::POST, "/api/v1/pairs/bulk", body.to_string()))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer.contains("exchange maintenance — close out"),
        "{answer}"
    );
    let typo = serde_json::json!({
        "pairs": ["DOT/USDT"],
        "edit": {"kind": "pause", "for": "2h", "reason": "x", "untill": "2030-01-01T00:00:00Z"}
    });
    let (status, answer) = writer
        .send(json(Method::POST, "/api/v1/pairs/bulk", typo.to_string()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");

    // The CLI, with the global --reason.
    let out = botconfig(&pool)
        .args([
            "--reason",
            "listing news",
            "bulk",
            "--pairs",
            "DOT/USDT",
            "pause",
            "--for",
            "1h",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::helpers::stderr(&out));
    assert!(stdout(&out).contains("listing news"), "{}", stdout(&out));
    assert!(
        service
            .pair(&sym("DOT/USDT"))
            .await
            .unwrap()
            .pause
            .is_none(),
        "a dry run"
    );
}
