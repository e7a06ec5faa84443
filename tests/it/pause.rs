//! Pausing a pair: what bots are told while it holds, the instant it ends (by the clock,
//! through the cache and the kept HTTP answers, with nobody touching it), the history of
//! each pause and resume, bad requests, and freqtrade's pair list reflecting it.

use crate::helpers::{console, json, revision, sym};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use botconfig::domain::auth::Scope;
use botconfig::service::{ConfigService, ReadFrom};
use chrono::{DateTime, Utc};
use serde_json::{json as j, Value};
use sqlx::PgPool;
use std::time::Duration;

const BTC: &str = "/api/v1/pairs/BTC%2FUSDT";

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Sleeps until the wall clock is past `instant` by `after`.
async fn sleep_until(instant: DateTime<Utc>, after: Duration) {
    let left = (instant - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + after).await;
}

#[sqlx::test]
async fn a_pause_holds_until_its_end_and_a_read_a_millisecond_after_trades_again(pool: PgPool) {
    let (app, manager) = console(&pool).await;
    let service = ConfigService::new(manager.clone());
    let (writer, reader) = (app.token(Scope::Write), app.token(Scope::Read));
    let body = j!({"for": "3s", "reason": "listing news", "mode": "close_out"});
    let (status, paused) = writer
        .send(json(Method::PUT, &format!("{BTC}/pause"), body.to_string()))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    let paused = parse(&paused);
    let until: DateTime<Utc> = paused["pause"]["until"].as_str().unwrap().parse().unwrap();
    assert_eq!(paused["pause"]["mode"], "close_out");

    // While it holds: refused, with the pause, its reason, mode and end; the same from the
    // API's kept answer and from the cache.
    for _ in 0..2 {
        let (status, body) = reader.get(&format!("{BTC}/should-trade")).await;
        assert_eq!(status, StatusCode::OK);
        let decision = parse(&body);
        assert_eq!(decision["trade"], false, "{decision}");
        assert_eq!(decision["pause"]["reason"], "listing news");
        assert_eq!(decision["pause"]["mode"], "close_out");
        let reasons = decision["reasons"].to_string();
        assert!(
            reasons.contains("paused until") && reasons.contains("close out"),
            "{reasons}"
        );
    }
    let cached = service
        .should_trade_pair(&sym("BTC/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert!(!cached.trade);
    assert_eq!(
        manager
            .pair(&sym("BTC/USDT"))
            .await
            .unwrap()
            .pause
            .as_ref()
            .unwrap()
            .until,
        Some(until)
    );

    // A millisecond after the end, with no write since: it trades again everywhere.
    let before = revision(&pool).await;
    sleep_until(until, Duration::from_millis(1)).await;
    let (_, body) = reader.get(&format!("{BTC}/should-trade")).await;
    let decision = parse(&body);
    assert_eq!(decision["trade"], true, "{decision}");
    assert_eq!(decision["pause"], Value::Null);
    let cached = service
        .should_trade_pair(&sym("BTC/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert!(cached.trade, "{:?}", cached.reasons);
    // The cached pair itself expired at that instant: reloaded, it holds no pause.
    assert_eq!(manager.pair(&sym("BTC/USDT")).await.unwrap().pause, None);
    let (_, config) = reader.get(&format!("{BTC}/config")).await;
    assert_eq!(parse(&config)["pair"]["pause"], Value::Null);
    assert_eq!(
        revision(&pool).await,
        before,
        "nothing was written to end it"
    );
}

#[sqlx::test]
async fn pause_and_resume_are_each_in_the_history_with_their_reason(pool: PgPool) {
    let (app, _manager) = console(&pool).await;
    let writer = app.token(Scope::Write);
    let body = j!({"reason": "exchange maintenance"}).to_string();
    let (status, paused) = writer
        .send(json(Method::PUT, &format!("{BTC}/pause"), body))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    let paused = parse(&paused);
    assert_eq!(
        paused["pause"]["until"],
        Value::Null,
        "no end: until resumed"
    );
    assert_eq!(paused["pause"]["mode"], "no_new_entries");
    let (_, decision) = app
        .token(Scope::Read)
        .get(&format!("{BTC}/should-trade"))
        .await;
    assert!(parse(&decision)["reasons"]
        .to_string()
        .contains("until resumed"));

    let resume = Request::builder()
        .method(Method::DELETE)
        .uri(format!("{BTC}/pause?reason=maintenance%20over"))
        .header(header::HOST, crate::helpers::CONSOLE)
        .body(Body::empty())
        .unwrap();
    let (status, resumed) = writer.send(resume).await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(parse(&resumed)["pause"], Value::Null);

    let rows: Vec<(Option<String>, Value)> = sqlx::query_as(
        "SELECT reason, after FROM config_changes WHERE table_name = 'trading_pairs' AND subject = 'BTC/USDT' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].0.as_deref(), Some("exchange maintenance"));
    assert_eq!(rows[0].1["pause_reason"], "exchange maintenance");
    assert_eq!(rows[1].0.as_deref(), Some("maintenance over"));
    assert_eq!(rows[1].1["paused_at"], Value::Null);

    // Resuming a pair that is not paused records nothing.
    let again = Request::builder()
        .method(Method::DELETE)
        .uri(format!("{BTC}/pause"))
        .header(header::HOST, crate::helpers::CONSOLE)
        .body(Body::empty())
        .unwrap();
    assert_eq!(writer.send(again).await.0, StatusCode::OK);
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM config_changes WHERE subject = 'BTC/USDT'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 2);
}

#[sqlx::test]
async fn a_bad_pause_names_every_field_and_changes_nothing(pool: PgPool) {
    let (app, _manager) = console(&pool).await;
    let writer = app.token(Scope::Write);
    let before = revision(&pool).await;
    for (body, fields) in [
        (
            j!({"for": "4 hours", "reason": " ", "mode": "sell"}),
            vec!["reason", "mode", "for"],
        ),
        (
            j!({"until": "2020-01-01T00:00:00Z", "reason": "x"}),
            vec!["until"],
        ),
        (
            j!({"for": "1h", "until": "2099-01-01T00:00:00Z", "reason": "x"}),
            vec!["until"],
        ),
        (j!({"for": "1h"}), vec!["body"]),
        (j!({"for": "1h", "reason": "x", "extra": 1}), vec!["body"]),
    ] {
        let (status, answer) = writer
            .send(json(Method::PUT, &format!("{BTC}/pause"), body.to_string()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let named: Vec<String> = parse(&answer)["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(named, fields, "{body}: {answer}");
    }
    let (status, _) = writer
        .send(json(
            Method::PUT,
            "/api/v1/pairs/NOPE%2FUSDT/pause",
            j!({"reason": "x"}).to_string(),
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A read token may not pause.
    let (status, _) = app
        .token(Scope::Read)
        .send(json(
            Method::PUT,
            &format!("{BTC}/pause"),
            j!({"reason": "x"}).to_string(),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(revision(&pool).await, before);
}

/// A GET as freqtrade's RemotePairList sends it: its User-Agent and the bearer token,
/// nothing else; it takes `pairs` and `int(refresh_period)` from a JSON answer.
async fn freqtrade_fetch(app: &crate::helpers::TestApp, query: &str) -> (Vec<String>, i64) {
    let request = Request::builder()
        .uri(format!("/api/v1/freqtrade/pairlist{query}"))
        .header(header::HOST, crate::helpers::CONSOLE)
        .header(header::USER_AGENT, "Freqtrade/2025.10 Remotepairlist")
        .body(Body::empty())
        .unwrap();
    let response = app.token(Scope::Read).respond(request).await;
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "{query}: {}",
        String::from_utf8_lossy(&body)
    );
    assert!(content_type.contains("application/json"), "{content_type}");
    let document: Value = serde_json::from_slice(&body).unwrap();
    let pairs = document["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    (pairs, document["refresh_period"].as_i64().unwrap())
}

#[sqlx::test]
async fn freqtrade_lists_the_pairs_that_should_trade_and_a_pause_shows_in_the_next_fetch(
    pool: PgPool,
) {
    let (app, manager) = console(&pool).await;
    let service = ConfigService::new(manager.clone());
    let (pairs, refresh) = freqtrade_fetch(&app, "").await;
    assert_eq!(pairs, ["BTC/USDT", "DOT/USDT", "ETH/USDT"]);
    assert_eq!(refresh, 300);

    service
        .pause_pair(
            &sym("DOT/USDT"),
            &botconfig::domain::pause::PauseRequest {
                duration: Some("4h".into()),
                reason: "listing news".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .set_pair_active(&sym("ETH/USDT"), false)
        .await
        .unwrap();
    service
        .set_setting("freqtrade_refresh_period", "120")
        .await
        .unwrap();
    let (pairs, refresh) = freqtrade_fetch(&app, "").await;
    assert_eq!((pairs, refresh), (vec!["BTC/USDT".to_owned()], 120));
    let (blacklist, _) = freqtrade_fetch(&app, "?mode=blacklist").await;
    assert_eq!(blacklist, ["DOT/USDT", "ETH/USDT"]);
    assert_eq!(
        freqtrade_fetch(&app, "?quote=btc").await.0,
        Vec::<String>::new()
    );
    assert_eq!(freqtrade_fetch(&app, "?quote=USDT").await.0, ["BTC/USDT"]);

    // An emergency stop lists none; nor does a pair without an enabled strategy.
    service
        .set_setting("emergency_stop_triggered", "true")
        .await
        .unwrap();
    assert!(freqtrade_fetch(&app, "").await.0.is_empty());
    service
        .set_setting("emergency_stop_triggered", "false")
        .await
        .unwrap();
    assert_eq!(freqtrade_fetch(&app, "").await.0, ["BTC/USDT"]);
    sqlx::query("UPDATE pair_strategy_config SET is_enabled = false WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    manager.clear().await;
    assert!(freqtrade_fetch(&app, "").await.0.is_empty());

    for bad in ["?mode=greylist", "?quote=usd%2Ft", "?other=1"] {
        let (status, body) = app
            .token(Scope::Read)
            .get(&format!("/api/v1/freqtrade/pairlist{bad}"))
            .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{bad}: {status} {body}"
        );
    }
    assert_eq!(
        app.anonymous().get("/api/v1/freqtrade/pairlist").await.0,
        StatusCode::UNAUTHORIZED
    );
}
