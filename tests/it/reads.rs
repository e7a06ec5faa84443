//! Bots' reads over HTTP: a cached read does no database work (not even the token check),
//! answers are conditional (`ETag`, `304`), and a token changed anywhere takes effect within
//! the staleness bound on every server.

use crate::helpers::{
    api_token, database_url, eventually, get, router_over, serving_manager, Caller,
};
use axum::http::{header, StatusCode};
use botconfig::cache::CacheSettings;
use botconfig::domain::auth::Scope;
use sqlx::PgPool;
use std::time::Duration;

/// What a bot reads at each cycle.
const BOT_READS: [&str; 4] = [
    "/api/v1/pairs/BTC%2FUSDT/config",
    "/api/v1/pairs/BTC%2FUSDT/should-trade",
    "/api/v1/pairs",
    "/api/v1/portfolio",
];

/// Each backend of the pool that connects as `application_name`, with the moment its state
/// last changed: a query on it changes that (`pg_stat_activity` is live, not sampled).
async fn pool_activity(pool: &PgPool, application_name: &str) -> Vec<(i32, String)> {
    sqlx::query_as(
        "SELECT pid, state_change::text FROM pg_stat_activity \
         WHERE application_name = $1 ORDER BY pid",
    )
    .bind(application_name)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The pool's connections once each is idle and none moved between two looks: one handed
/// back to the pool may still be finishing its last statement (the rollback of a read's
/// transaction) just after the answer went out.
async fn settled_activity(pool: &PgPool, application_name: &str) -> Vec<(i32, String)> {
    let busy = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'",
        )
        .bind(application_name)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    let mut last = pool_activity(pool, application_name).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let now = pool_activity(pool, application_name).await;
        if now == last && busy().await == 0 {
            return now;
        }
        last = now;
    }
    panic!("the pool's connections never settled: {last:?}");
}

/// A server as `botconfig serve` runs it, its pool named `application_name`.
async fn server(
    pool: &PgPool,
    application_name: &str,
) -> (
    axum::Router,
    botconfig::cache::ConfigManager,
    botconfig::cache::ListenerHandle,
) {
    let url = database_url(pool, None);
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}application_name={application_name}");
    let (manager, listener) = serving_manager(&url, CacheSettings::default()).await;
    (router_over(&manager, Default::default()), manager, listener)
}

#[sqlx::test]
async fn cached_reads_over_http_do_no_database_work_not_even_the_token_check(pool: PgPool) {
    let (router, manager, _listener) = server(&pool, "bot-reads").await;
    let bot = Caller::on(&router).with_token(&api_token(&pool, "bot", Scope::Read).await);
    // Heard later, the token's revision would drop the grant these reads are to keep.
    crate::helpers::caught_up(&manager, &pool).await;
    for path in BOT_READS {
        let (status, body) = bot.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let before = settled_activity(&pool, "bot-reads").await;
    assert!(!before.is_empty(), "the first reads went through the pool");
    let queries = manager.uncached().queries();
    for round in 0..250 {
        for path in BOT_READS {
            assert_eq!(
                bot.get(path).await.0,
                StatusCode::OK,
                "{path}, round {round}"
            );
        }
    }
    assert_eq!(manager.uncached().queries(), queries, "no load");
    assert_eq!(
        pool_activity(&pool, "bot-reads").await,
        before,
        "1,000 cached reads ran something on the pool's connections"
    );
}

#[sqlx::test]
async fn a_token_revoked_by_plain_sql_is_refused_by_every_server_within_the_bound(pool: PgPool) {
    let (a, manager_a, _listener_a) = server(&pool, "server-a").await;
    let (b, _manager_b, _listener_b) = server(&pool, "server-b").await;
    let token = api_token(&pool, "bot", Scope::Read).await;
    let (bot_a, bot_b) = (
        Caller::on(&a).with_token(&token),
        Caller::on(&b).with_token(&token),
    );
    let path = BOT_READS[0];
    assert_eq!(bot_a.get(path).await.0, StatusCode::OK);
    assert_eq!(bot_b.get(path).await.0, StatusCode::OK);

    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE name = 'bot'")
        .execute(&pool)
        .await
        .unwrap();
    let bound = manager_a.settings().max_staleness;
    for (server, bot) in [("a", &bot_a), ("b", &bot_b)] {
        assert!(
            eventually(bound, || async {
                bot.get(path).await.0 == StatusCode::UNAUTHORIZED
            })
            .await,
            "server {server} still accepts the revoked token after {bound:?}"
        );
    }
    // A new token made by plain SQL elsewhere is accepted too (no verdict is cached for a
    // token that did not exist).
    let fresh = api_token(&pool, "bot2", Scope::Read).await;
    assert_eq!(
        Caller::on(&a).with_token(&fresh).get(path).await.0,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn an_expired_token_is_refused_by_the_clock_without_asking(pool: PgPool) {
    let (router, manager, _listener) = server(&pool, "expiry").await;
    let token = api_token(&pool, "soon", Scope::Read).await;
    sqlx::query("UPDATE api_tokens SET expires_at = now() + interval '1500 milliseconds' WHERE name = 'soon'")
        .execute(&pool)
        .await
        .unwrap();
    let bot = Caller::on(&router).with_token(&token);
    let path = BOT_READS[0];
    // The expiry change notifies; once heard (and not before: an old grant answers OK too,
    // and its reload would be a query below), the new grant is loaded and cached.
    crate::helpers::caught_up(&manager, &pool).await;
    assert!(
        eventually(Duration::from_secs(1), || async {
            bot.get(path).await.0 == StatusCode::OK
        })
        .await
    );
    let before = settled_activity(&pool, "expiry").await;
    assert!(
        eventually(Duration::from_secs(3), || async {
            bot.get(path).await.0 == StatusCode::UNAUTHORIZED
        })
        .await,
        "the token was still accepted after it expired"
    );
    assert_eq!(
        pool_activity(&pool, "expiry").await,
        before,
        "refused without a query"
    );
}

/// A GET of `path` that has the answer tagged `tag` already.
fn conditional(path: &str, tag: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(path)
        .header(header::HOST, crate::helpers::CONSOLE)
        .header(header::IF_NONE_MATCH, tag)
        .body(axum::body::Body::empty())
        .unwrap()
}

#[sqlx::test]
async fn a_read_is_conditional_and_a_change_gives_it_a_new_etag(pool: PgPool) {
    let (router, manager, _listener) = server(&pool, "etag").await;
    let bot = Caller::on(&router).with_token(&api_token(&pool, "bot", Scope::Read).await);
    for path in BOT_READS {
        let first = bot.respond(get(path)).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].clone();
        assert_eq!(first.headers()[header::CACHE_CONTROL], "no-store");
        let again = bot.respond(conditional(path, etag.to_str().unwrap())).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[header::ETAG], etag);
        let body = axum::body::to_bytes(again.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(body.is_empty(), "a 304 has no body");
        let other = bot.respond(conditional(path, "\"something-else\"")).await;
        assert_eq!(other.status(), StatusCode::OK);
        assert_eq!(other.headers()[header::ETAG], etag, "same bytes, same tag");
    }

    let path = BOT_READS[0];
    let before = bot.respond(get(path)).await.headers()[header::ETAG].clone();
    sqlx::query(
        "UPDATE pair_risk_config SET stop_loss_percent = 3.3 \
         WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'BTC/USDT')",
    )
    .execute(&pool)
    .await
    .unwrap();
    crate::helpers::caught_up(&manager, &pool).await;
    let changed = bot
        .respond(conditional(path, before.to_str().unwrap()))
        .await;
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "the old tag no longer matches"
    );
    assert_ne!(changed.headers()[header::ETAG], before);
    let body = axum::body::to_bytes(changed.into_body(), 1 << 20)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["risk"]["stop_loss_percent"], "3.3", "{json}");
    assert_eq!(json["stale"], false);
}

/// Many bots at once against one cold server: every answer is the same bytes, and the
/// server loads each entry once (single flight), whatever the interleaving.
#[sqlx::test]
async fn simultaneous_first_reads_agree_and_load_once(pool: PgPool) {
    let (router, manager, _listener) = server(&pool, "burst").await;
    let token = api_token(&pool, "bot", Scope::Read).await;
    // The new token's revision, heard during the burst, would drop a grant just loaded
    // and count a second load: the burst starts once the server has heard it.
    crate::helpers::caught_up(&manager, &pool).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    let reads = (0..32).map(|_| {
        let (bot, barrier) = (Caller::on(&router).with_token(&token), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            bot.get(BOT_READS[0]).await
        })
    });
    let answers: Vec<_> = futures::future::join_all(reads)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "answers differ");
    assert_eq!(answers[0].0, StatusCode::OK);
    // The token's grant, the trading config and its parts (pair, strategies, risk): one
    // load each.
    let loads = manager.stats().await.loads;
    assert_eq!(loads, 5, "{loads} loads for one read made 32 times at once");
}

/// `/healthz` answers from the listener's state: a flood of health checks (anyone may
/// send them) makes the database do nothing.
#[sqlx::test]
async fn health_checks_cost_the_database_nothing(pool: PgPool) {
    let (router, _manager, _listener) = server(&pool, "health").await;
    let anyone = Caller::on(&router);
    assert_eq!(anyone.get("/healthz").await.0, StatusCode::OK);
    let before = settled_activity(&pool, "health").await;
    for _ in 0..500 {
        assert_eq!(anyone.get("/healthz").await.0, StatusCode::OK);
    }
    assert_eq!(
        pool_activity(&pool, "health").await,
        before,
        "a health check ran a query"
    );
}

/// `GET /metrics`: an admin token's, in the Prometheus text format, with the HTTP
/// requests by route and status, the cache's counters and load latency, the NOTIFY lag,
/// the applied revision, stream watchers and the pool.
#[sqlx::test]
async fn metrics_are_prometheus_text_for_an_admin_token(pool: PgPool) {
    let (router, _manager, _listener) = server(&pool, "metrics").await;
    let bot = Caller::on(&router).with_token(&api_token(&pool, "bot", Scope::Read).await);
    let admin = Caller::on(&router).with_token(&api_token(&pool, "ops", Scope::Admin).await);
    for path in BOT_READS {
        assert_eq!(bot.get(path).await.0, StatusCode::OK);
    }
    // A commit heard by the listener, for the lag histogram.
    sqlx::query("UPDATE system_config SET config_value = '77' WHERE config_key = 'check_interval'")
        .execute(&pool)
        .await
        .unwrap();
    crate::helpers::caught_up(&_manager, &pool).await;
    assert_eq!(bot.get("/metrics").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        Caller::on(&router).get("/metrics").await.0,
        StatusCode::UNAUTHORIZED
    );
    let response = admin.respond(get("/metrics")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    for expected in [
        r#"botconfig_http_requests_total{route="/api/v1/pairs/{symbol}/config",method="GET",status="200"}"#,
        "botconfig_http_request_duration_seconds_bucket{",
        "botconfig_cache_hits_total ",
        "botconfig_cache_misses_total ",
        r#"botconfig_cache_evictions_total{cause="size"}"#,
        "botconfig_cache_load_seconds_bucket{",
        "botconfig_notify_lag_seconds_bucket{",
        "botconfig_applied_revision ",
        "botconfig_stream_clients ",
        "botconfig_pool_connections_in_use ",
        "botconfig_pool_connections_idle ",
        "botconfig_listener_connected ",
    ] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
    // No raw paths as labels: a symbol never becomes a series of its own.
    assert!(!text.contains("BTC%2FUSDT"), "{text}");
}

/// A revocation whose notification never reaches the server (every connection reset while
/// it commits) still takes effect once the link is back: the listener finds it missed a
/// revision and drops every cached grant, within the staleness bound of the link's return.
#[sqlx::test]
async fn a_revocation_the_listener_never_heard_takes_effect_when_the_link_returns(pool: PgPool) {
    use crate::proxy::{FaultProxy, Mode};
    let proxy = FaultProxy::start(crate::helpers::server_addr()).await;
    let (manager, _listener) = serving_manager(
        &database_url(&pool, Some(proxy.port)),
        CacheSettings::default(),
    )
    .await;
    let router = router_over(&manager, Default::default());
    let bot = Caller::on(&router).with_token(&api_token(&pool, "bot", Scope::Read).await);
    let path = BOT_READS[0];
    assert!(
        eventually(Duration::from_secs(2), || async {
            bot.get(path).await.0 == StatusCode::OK
        })
        .await
    );
    proxy.set(Mode::Reset);
    assert!(
        eventually(Duration::from_secs(5), || async {
            !manager.stats().await.listener_connected
        })
        .await
    );
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE name = 'bot'")
        .execute(&pool)
        .await
        .unwrap();
    proxy.set(Mode::Pass);
    let bound = manager.settings().max_staleness;
    assert!(
        eventually(bound, || async {
            bot.get(path).await.0 == StatusCode::UNAUTHORIZED
        })
        .await,
        "the revoked token still reads {bound:?} after the link came back"
    );
}
