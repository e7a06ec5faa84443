//! The whole HTTP surface, driven in-process (`tower::ServiceExt::oneshot`): cross-site
//! requests, foreign Host names, explicit form fields, body limits and health.

use crate::helpers::{console as app, form, get, json, request, request_to, setting};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use botconfig::web::pages::benchmark::RunBenchmark;
use botconfig::web::pages::pairs::SetPairActive;
use botconfig::web::pages::system::SaveSettings;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

/// A form POST as a browser sends it, with the given Origin (None: no Origin, no Referer).
fn form_post(path: &str, origin: Option<&str>, body: &str) -> Request<Body> {
    let mut request = request(Method::POST, path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

async fn pair_active(pool: &PgPool, symbol: &str) -> bool {
    sqlx::query_scalar("SELECT is_active FROM trading_pairs WHERE symbol = $1")
        .bind(symbol)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn benchmark_runs(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM benchmark_runs")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn cross_site_posts_are_refused_and_change_nothing(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let attacker = Some("http://attacker.example");
    for category in ["general", "risk"] {
        let (status, body) = app
            .admin()
            .send(form_post(
                SaveSettings::PATH,
                attacker,
                &format!("form[category]={category}"),
            ))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, _) = app
        .admin()
        .send(form_post(
            SetPairActive::PATH,
            attacker,
            "symbol=BTC%2FUSDT&active=false",
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .admin()
        .send(form_post(RunBenchmark::PATH, attacker, ""))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // No Origin and no Referer at all is refused too.
    let (status, _) = app
        .admin()
        .send(form_post(
            SaveSettings::PATH,
            None,
            "form[category]=general",
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A Referer from elsewhere is no better.
    let request = request(Method::POST, SetPairActive::PATH)
        .header(header::REFERER, "https://attacker.example/page")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("symbol=BTC%2FUSDT&active=false"))
        .unwrap();
    assert_eq!(app.admin().send(request).await.0, StatusCode::FORBIDDEN);

    assert_eq!(setting(&pool, "paper_trading").await, "true");
    assert_eq!(setting(&pool, "emergency_stop_enabled").await, "true");
    assert_eq!(setting(&pool, "correlation_check_enabled").await, "true");
    assert!(pair_active(&pool, "BTC/USDT").await);
    assert_eq!(benchmark_runs(&pool).await, 0);
}

#[sqlx::test]
async fn the_apis_writes_need_the_consoles_origin_and_json(pool: PgPool) {
    let (app, manager) = app(&pool).await;
    manager.warm().await.unwrap();
    let entries = manager.stats().await.entries_total;
    let text_plain = |origin: Option<&str>| {
        // A browser's request from another site: no token, and no cookie (SameSite=Strict).
        let mut r =
            request(Method::POST, "/api/v1/cache/clear").header(header::CONTENT_TYPE, "text/plain");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        r.body(Body::from("{}")).unwrap()
    };
    let browser = app.anonymous();
    assert_eq!(
        browser
            .send(text_plain(Some("http://attacker.example")))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.send(text_plain(None)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .send(text_plain(Some("http://127.0.0.1:3000")))
            .await
            .0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(manager.stats().await.entries_total, entries);
    let clear = json(Method::POST, "/api/v1/cache/clear", "{}");
    let (status, body) = app.admin().send(clear).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(manager.stats().await.entries_total, 0);
}

#[sqlx::test]
async fn a_foreign_host_name_is_not_served(pool: PgPool) {
    let (app, _) = app(&pool).await;
    for path in ["/", "/api/v1/portfolio", "/healthz"] {
        let request = request_to("attacker.example", Method::GET, path)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.admin().send(request).await.0,
            StatusCode::MISDIRECTED_REQUEST,
            "{path}"
        );
    }
    let ok = request_to("localhost:3000", Method::GET, "/api/v1/portfolio")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.admin().send(ok).await.0, StatusCode::OK);
}

#[sqlx::test]
async fn a_save_without_its_booleans_changes_nothing(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let console = Some("http://127.0.0.1:3000");
    let (status, body) = app
        .admin()
        .send(form_post(
            SaveSettings::PATH,
            console,
            "form[category]=general&form[values][check_interval]=30",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("paper_trading") && body.contains("is required"),
        "{body}"
    );
    assert_eq!(setting(&pool, "paper_trading").await, "true");
    assert_eq!(setting(&pool, "check_interval").await, "60");

    // An unknown key is refused too, and nothing is saved.
    let full = "form[category]=general&form[values][paper_trading]=false&form[values][check_interval]=30\
                &form[values][total_portfolio_balance]=10000&form[values][rebalance_interval_hours]=24\
                &form[values][freqtrade_refresh_period]=300&form[values][not_a_setting]=1";
    let (status, body) = app
        .admin()
        .send(form_post(SaveSettings::PATH, console, full))
        .await;
    assert!(!status.is_success(), "{body}");
    assert!(body.contains("not_a_setting"), "{body}");
    assert_eq!(setting(&pool, "paper_trading").await, "true");

    // The same form from the console, complete, switches paper trading off: it is asked
    // about first (428, nothing saved), and saves once confirmed.
    let complete = full.replace("&form[values][not_a_setting]=1", "");
    let (status, body) = app
        .admin()
        .send(form_post(SaveSettings::PATH, console, &complete))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    assert!(
        body.contains("Paper trading is off: bots send real orders."),
        "{body}"
    );
    assert_eq!(setting(&pool, "paper_trading").await, "true");
    assert_eq!(setting(&pool, "check_interval").await, "60");
    let confirmed = format!("{complete}&confirm=true");
    let (status, body) = app
        .admin()
        .send(form_post(SaveSettings::PATH, console, &confirmed))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(setting(&pool, "paper_trading").await, "false");
    assert_eq!(setting(&pool, "check_interval").await, "30");
}

#[sqlx::test]
async fn an_oversized_body_is_413(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let pattern = "x".repeat(3 << 20);
    let request = json(
        Method::POST,
        "/api/v1/cache/invalidate",
        format!("{{\"pattern\": \"{pattern}\"}}"),
    );
    assert_eq!(
        app.admin().send(request).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[sqlx::test]
async fn health_tells_the_listener_and_not_the_postgres_version(pool: PgPool) {
    // A manager that does not listen cannot vouch for anything.
    let (app, _) = app(&pool).await;
    let (status, body) = app.anonymous().get("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["listener"]["connected"], false);
    // One set up as `botconfig serve` sets it up.
    let (manager, _listener) = crate::helpers::serving_manager(
        &crate::helpers::database_url(&pool, None),
        botconfig::cache::CacheSettings::default(),
    )
    .await;
    let served =
        crate::helpers::Caller::on(&crate::helpers::router_over(&manager, Default::default()));
    let (status, body) = served.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["database"], "up");
    assert_eq!(health["listener"]["connected"], true);
    assert!(health.get("postgres").is_none(), "{body}");
    assert!(!body.contains("15."), "{body}");
}

/// Each kind of error answers with its own status, from the API and from a server
/// function alike: an operator's typo is a 422, not a server error.
#[sqlx::test]
async fn every_error_answers_with_its_status(pool: PgPool) {
    use botconfig::web::pages::pair::{GetPair, SavePair};
    let (console, _) = app(&pool).await;
    let app = console;
    // API.
    assert_eq!(
        app.admin()
            .send(get("/api/v1/pairs/XRP%2FUSDT/config"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.admin().send(get("/api/v1/pairs/xrp/config")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let blank = json(
        Method::POST,
        "/api/v1/cache/invalidate",
        r#"{"pattern": " "}"#,
    );
    assert_eq!(
        app.admin().send(blank).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Server functions.
    let (status, body) = app
        .admin()
        .send(form(GetPair::PATH, "symbol=XRP%2FUSDT"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .admin()
        .send(form(
            SaveSettings::PATH,
            "form[category]=general&form[values][check_interval]=soon",
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let stale = "symbol=BTC%2FUSDT&version=99&form[initial_balance]=3000&form[trade_size_usd]=200\
                 &form[max_position_percent]=30&form[min_trade_amount]=0.00001&form[max_trade_amount]=100\
                 &form[price_precision]=2&form[amount_precision]=6&confirm=true";
    let (status, body) = app.admin().send(form(SavePair::PATH, stale)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A database that cannot be reached: 503 from both.
    let unreachable = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    // The session and the token are presented, and checking them needs the database.
    let down = app.with_router(crate::helpers::router(&unreachable).0);
    assert_eq!(
        down.admin().send(get("/api/v1/portfolio")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (status, body) = down
        .admin()
        .send(form(GetPair::PATH, "symbol=BTC%2FUSDT"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[test]
fn the_status_of_each_error_kind() {
    use botconfig::api::status_of;
    use botconfig::domain::ConfigError;
    let cases = [
        (ConfigError::NotFound("x".into()), 404),
        (ConfigError::invalid("f", "m"), 422),
        (ConfigError::Conflict("c".into()), 409),
        (ConfigError::Unavailable("u".into()), 503),
        (ConfigError::Internal("i".into()), 500),
        (ConfigError::Request("r".into()), 400),
    ];
    for (error, status) in cases {
        assert_eq!(status_of(&error).as_u16(), status, "{error:?}");
    }
}

async fn get_json(
    app: &crate::helpers::TestApp,
    request: Request<Body>,
) -> (StatusCode, serde_json::Value) {
    let (status, body) = app.admin().send(request).await;
    (status, serde_json::from_str(&body).unwrap_or_default())
}

#[sqlx::test]
async fn bots_ask_whether_to_trade_a_pair(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let (status, btc) = get_json(&app, get("/api/v1/pairs/BTC%2FUSDT/should-trade")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&btc["trade"], &btc["reasons"]),
        (&serde_json::json!(true), &serde_json::json!([]))
    );
    sqlx::query("UPDATE trading_pairs SET is_active = false WHERE symbol = 'ETH/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE system_config SET config_value = 'true' WHERE config_key = 'emergency_stop_triggered'")
        .execute(&pool)
        .await
        .unwrap();
    // This server does not listen: the bypass reads what the SQL just wrote.
    let request = request(Method::GET, "/api/v1/pairs/ETH%2FUSDT/should-trade")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::empty())
        .unwrap();
    let (_, eth) = get_json(&app, request).await;
    assert_eq!(eth["trade"], false);
    assert_eq!(
        eth["reasons"],
        serde_json::json!(["pair is inactive", "emergency stop triggered"])
    );
    for path in [
        "/api/v1/pairs/XRP%2FUSDT/should-trade",
        "/api/v1/pairs/XRP%2FUSDT/config",
    ] {
        let (status, body) = get_json(&app, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "pair XRP/USDT not found", "{path}");
    }
}

#[sqlx::test]
async fn the_pair_list_is_keyed_by_symbol_with_the_settings_a_bot_reads(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let (status, body) = get_json(&app, get("/api/v1/pairs")).await;
    assert_eq!(status, StatusCode::OK);
    let btc = &body["BTC/USDT"];
    assert_eq!(btc["pair"]["base_currency"], "BTC");
    assert_eq!(btc["pair"]["quote_currency"], "USDT");
    assert_eq!(btc["risk"]["stop_loss_percent"], "5");
    assert!(btc["strategies"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(body["system"]["paper_trading"], true);
    assert_eq!(body["system"]["check_interval"], 60);
    // Only symbols and `system`: a bot loops over the keys as symbols.
    assert!(body.get("stale").is_none(), "{body}");
}

#[sqlx::test]
async fn the_portfolio_carries_every_portfolio_setting(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let (_, p) = get_json(&app, get("/api/v1/portfolio")).await;
    assert_eq!(p["check_interval"], 60);
    assert_eq!(p["max_concurrent_positions"], 3);
    assert_eq!(p["active_pairs"], 3);
    assert_eq!(p["correlation_check_enabled"], true);
    assert_eq!(p["global_max_daily_loss_percent"], "10");
    assert_eq!(p["emergency_stop_enabled"], true);
    assert_eq!(p["emergency_stop_triggered"], false);
    assert_eq!(p["allocations"].as_array().map(Vec::len), Some(3));
}

#[sqlx::test]
async fn no_cache_reads_go_to_postgres_and_are_counted(pool: PgPool) {
    let (app, manager) = app(&pool).await;
    let (_, cached) = get_json(&app, get("/api/v1/pairs/DOT%2FUSDT/config")).await;
    assert_eq!(cached["risk"]["stop_loss_percent"], "5");
    sqlx::query(
        "UPDATE pair_risk_config SET stop_loss_percent = 4 FROM trading_pairs p \
         WHERE p.id = pair_id AND p.symbol = 'DOT/USDT'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let fresh = request(Method::GET, "/api/v1/pairs/DOT%2FUSDT/config")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::empty())
        .unwrap();
    let (_, fresh) = get_json(&app, fresh).await;
    assert_eq!(fresh["risk"]["stop_loss_percent"], "4");
    assert_eq!(manager.stats().await.bypasses, 1);
}

/// The tag of the input with `id` in `html`.
fn input_tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// The System page's inputs state their setting's rule in the markup, as the pair forms
/// do, from the one rule table the server parses with.
#[sqlx::test]
async fn the_system_page_states_each_settings_bounds(pool: PgPool) {
    let (app, _) = app(&pool).await;
    let (status, html) = app.admin().get("/system").await;
    assert_eq!(status, StatusCode::OK);
    let interval = input_tag(&html, "field-check-interval");
    for attribute in [
        "min=\"1\"",
        "max=\"86400\"",
        "step=\"1\"",
        "inputmode=\"numeric\"",
    ] {
        assert!(interval.contains(attribute), "{attribute} in {interval}");
    }
    let balance = input_tag(&html, "field-total-portfolio-balance");
    assert!(balance.contains("step=\"0.00000001\""), "{balance}");
    assert!(balance.contains("inputmode=\"decimal\""), "{balance}");
    let loss = input_tag(&html, "field-global-max-daily-loss-percent");
    assert!(loss.contains("max=\"100\""), "{loss}");
    // Another category's setting, on the same page.
    let history = input_tag(&html, "field-min-price-history");
    assert!(history.contains("max=\"100000\""), "{history}");
}
