//! What client replicas rely on from the server: `/api/v1/snapshot` at a revision, the
//! fleet's reports and warnings, and `should_trade_pair` applying each pair's outage policy
//! to the server's own age (the link to the database really broken, by the fault proxy).

use crate::helpers::{
    api_token, caught_up, database_url, eventually, revision, router_over, server_addr,
    serving_manager, CONSOLE,
};
use crate::proxy::{FaultProxy, Mode};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use botconfig::cache::CacheSettings;
use botconfig::domain::auth::Scope;
use botconfig::service::{ConfigService, ReadFrom};
use sqlx::PgPool;
use std::time::Duration;
use tower::ServiceExt;

async fn call(
    router: &axum::Router,
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, CONSOLE)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[sqlx::test]
async fn a_snapshot_is_at_least_as_new_as_its_revision(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let router = router_over(&manager, Default::default());
    let token = api_token(&pool, "replica", Scope::Read).await;
    caught_up(&manager, &pool).await;
    let (status, body) = call(&router, Method::GET, "/api/v1/snapshot", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revision"], revision(&pool).await);
    assert_eq!(body["stale"], false);
    let pairs = body["pairs"].as_object().unwrap();
    assert_eq!(pairs.len(), 3, "the active pairs: {body}");
    assert_eq!(body["pairs"]["BTC/USDT"]["risk"]["outage_policy"], "auto");
    assert_eq!(body["setting_types"]["total_portfolio_balance"], "float");
    assert_eq!(body["system"]["outage_grace_seconds"], 60);
    assert_eq!(body["portfolio"]["active_pairs"], 3);
    // A change made elsewhere: once the feed has it, the snapshot has it too.
    sqlx::query(
        "UPDATE pair_risk_config SET stop_loss_percent = 3.5 \
         WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let committed = revision(&pool).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            manager.feed().latest() >= committed
        })
        .await
    );
    let (_, body) = call(&router, Method::GET, "/api/v1/snapshot", &token, None).await;
    assert!(body["revision"].as_u64().unwrap() >= committed, "{body}");
    assert_eq!(
        body["pairs"]["BTC/USDT"]["risk"]["stop_loss_percent"],
        "3.5"
    );
    // What a client asks on a change: the pairs it touched (an unknown one is absent),
    // with the settings and the portfolio; or only those.
    let (status, partial) = call(
        &router,
        Method::GET,
        "/api/v1/snapshot?pairs=BTC%2FUSDT,NOPE%2FUSDT",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{partial}");
    let symbols: Vec<&String> = partial["pairs"].as_object().unwrap().keys().collect();
    assert_eq!(symbols, ["BTC/USDT"]);
    assert_eq!(partial["pairs"]["BTC/USDT"], body["pairs"]["BTC/USDT"]);
    assert_eq!(partial["system"], body["system"]);
    assert_eq!(partial["portfolio"], body["portfolio"]);
    let (_, settings_only) = call(
        &router,
        Method::GET,
        "/api/v1/snapshot?pairs=",
        &token,
        None,
    )
    .await;
    assert!(settings_only["pairs"].as_object().unwrap().is_empty());
    assert_eq!(settings_only["system"], body["system"]);
    let (status, refused) = call(
        &router,
        Method::GET,
        "/api/v1/snapshot?pairs=BTCUSDT",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, _) = call(
        &router,
        Method::GET,
        "/api/v1/snapshot?pair=BTC%2FUSDT",
        &token,
        None,
    )
    .await;
    assert!(
        status.is_client_error(),
        "an unknown parameter is refused: {status}"
    );
}

fn report(instance: &str, revision: u64) -> serde_json::Value {
    serde_json::json!({
        "instance": instance, "name": "btc-bot", "host": "vps-1",
        "library": "botconfig-client-python/0.1.0", "revision": revision,
        "confirmed_age_ms": 120, "stale": false,
    })
}

#[sqlx::test]
async fn readers_report_and_the_fleet_warns_about_the_behind_and_the_silent(pool: PgPool) {
    let (manager, _listener) =
        serving_manager(&database_url(&pool, None), CacheSettings::default()).await;
    let router = router_over(&manager, Default::default());
    let token = api_token(&pool, "replica", Scope::Read).await;
    let current = revision(&pool).await;
    let heartbeat = "/api/v1/fleet/heartbeat";
    let (status, body) = call(
        &router,
        Method::POST,
        heartbeat,
        &token,
        Some(report("current", current)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = call(
        &router,
        Method::POST,
        heartbeat,
        &token,
        Some(report("behind", current - 1)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, fleet) = call(&router, Method::GET, "/api/v1/fleet", &token, None).await;
    let reader = |fleet: &serde_json::Value, instance: &str| {
        fleet["readers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["instance"] == instance)
            .cloned()
            .unwrap_or_else(|| panic!("{instance} not in {fleet}"))
    };
    assert_eq!(fleet["database_revision"], current);
    let up_to_date = reader(&fleet, "current");
    assert_eq!(up_to_date["revisions_behind"], 0);
    assert!(up_to_date["warning"].is_null(), "{up_to_date}");
    assert_eq!(up_to_date["kind"], "client");
    let behind = reader(&fleet, "behind");
    assert_eq!(behind["revisions_behind"], 1);
    assert!(
        behind["warning"].is_null(),
        "behind for less than 10 s: {behind}"
    );
    // Behind for a minute, and another reader silent for a minute: both warned about.
    sqlx::query("UPDATE fleet_readers SET behind_since = now() - interval '1 minute' WHERE instance = 'behind'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE fleet_readers SET last_seen = now() - interval '1 minute' WHERE instance = 'current'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, fleet) = call(&router, Method::GET, "/api/v1/fleet", &token, None).await;
    let warning = |instance: &str| {
        reader(&fleet, instance)["warning"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        warning("behind").starts_with("behind the database for 60 s"),
        "{fleet}"
    );
    assert!(warning("current").starts_with("silent for 60 s"), "{fleet}");
    // The next report of the behind reader, caught up, clears its warning.
    call(
        &router,
        Method::POST,
        heartbeat,
        &token,
        Some(report("behind", current)),
    )
    .await;
    let (_, fleet) = call(&router, Method::GET, "/api/v1/fleet", &token, None).await;
    assert!(reader(&fleet, "behind")["warning"].is_null(), "{fleet}");
    // A client that names itself on its stream request is listed too.
    let request = Request::get("/api/v1/stream")
        .header(header::HOST, CONSOLE)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            "x-botconfig-client",
            "instance=streamer; name=eth-bot; host=vps-2; library=botconfig-client-rust/0.1.0; revision=1",
        )
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        eventually(Duration::from_secs(5), || async {
            let (_, fleet) = call(&router, Method::GET, "/api/v1/fleet", &token, None).await;
            fleet["readers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == "eth-bot")
        })
        .await
    );
    // Bad reports are refused with the field named; nothing is recorded.
    let mut long = report("x".repeat(101).as_str(), 1);
    let (status, body) = call(&router, Method::POST, heartbeat, &token, Some(long.take())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("instance"), "{body}");
    let (status, body) = call(
        &router,
        Method::POST,
        heartbeat,
        &token,
        Some(serde_json::json!({"instance": "a", "revision": 1, "extra": true})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = call(
        &router,
        Method::GET,
        "/api/v1/fleet?behind_warning_seconds=0",
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn should_trade_applies_each_pairs_outage_policy_to_the_servers_own_age(pool: PgPool) {
    sqlx::query(
        "UPDATE system_config SET config_value = '1' WHERE config_key = 'outage_grace_seconds'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE pair_risk_config SET outage_policy = 'fail_open' WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')")
        .execute(&pool)
        .await
        .unwrap();
    let proxy = FaultProxy::start(server_addr()).await;
    let settings = CacheSettings {
        max_staleness: Duration::from_millis(500),
        ..CacheSettings::default()
    };
    let (manager, _listener) =
        serving_manager(&database_url(&pool, Some(proxy.port)), settings).await;
    let service = ConfigService::new(manager.clone());
    let decide = |symbol: &'static str| {
        let service = service.clone();
        async move {
            service
                .should_trade_pair(
                    &botconfig::service::parse_symbol(symbol).unwrap(),
                    ReadFrom::Cache,
                )
                .await
                .unwrap()
        }
    };
    // Warm what the decisions read, then break the link silently.
    manager.warm().await.unwrap();
    assert!(decide("BTC/USDT").await.trade);
    proxy.set(Mode::Blackhole);
    // Paper trading (the default): auto keeps trading past the grace period.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(decide("BTC/USDT").await.trade, "auto trades on paper");
    proxy.set(Mode::Pass);
    sqlx::query(
        "UPDATE system_config SET config_value = 'false' WHERE config_key = 'paper_trading'",
    )
    .execute(&pool)
    .await
    .unwrap();
    caught_up(&manager, &pool).await;
    manager.warm().await.unwrap();
    proxy.set(Mode::Blackhole);
    assert!(
        eventually(Duration::from_secs(6), || async {
            !decide("BTC/USDT").await.trade
        })
        .await,
        "auto fails closed when trading live"
    );
    let refused = decide("BTC/USDT").await;
    assert!(
        refused
            .reasons
            .iter()
            .any(|r| r.contains("outage policy auto stops new positions")),
        "{refused:?}"
    );
    assert!(decide("ETH/USDT").await.trade, "fail_open keeps trading");
    // Back: confirmed again, trading again.
    proxy.set(Mode::Pass);
    assert!(
        eventually(Duration::from_secs(10), || async {
            decide("BTC/USDT").await.trade
        })
        .await,
        "trading again once the server is confirmed"
    );
}
