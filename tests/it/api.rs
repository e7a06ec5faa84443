//! The API's writes for tools: versions, validation and conflicts as the console has them,
//! recorded under the token's name, and read back through the cache at once.

use crate::helpers::{self, api_token, json, request};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use botconfig::domain::auth::Scope;
use sqlx::PgPool;

fn json_request(method: Method, path: &str, body: serde_json::Value) -> Request<Body> {
    if body.is_null() {
        request(method, path).body(Body::empty()).unwrap()
    } else {
        json(method, path, body.to_string())
    }
}

async fn call(
    app: &helpers::TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let (status, text) = app
        .bearer(token)
        .send(json_request(method, path, body))
        .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[sqlx::test]
async fn tools_write_with_versions_and_bots_read_it_at_once(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    let writer = api_token(&pool, "deploy", Scope::Write).await;
    let reader = api_token(&pool, "bot", Scope::Read).await;

    // A new pair, numbers as JSON numbers.
    let pair = serde_json::json!({
        "symbol": "SOL/USDT", "initial_balance": 1500, "trade_size_usd": 75,
        "max_position_percent": 10, "min_trade_amount": "0.01", "max_trade_amount": 10000,
        "price_precision": 3, "amount_precision": 2
    });
    let (status, _) = call(&app, Method::POST, "/api/v1/pairs", &reader, pair.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, Method::POST, "/api/v1/pairs", &writer, pair).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (actor, source) = helpers::latest_change(&pool).await;
    assert_eq!((actor.as_str(), source.as_str()), ("token:deploy", "api"));

    // Risk: read it (cached), change it at its version, and the next read shows it.
    let config = "/api/v1/pairs/SOL%2FUSDT/config";
    let (_, before) = call(&app, Method::GET, config, &reader, serde_json::Value::Null).await;
    assert_eq!(before["risk"]["stop_loss_percent"], "5");
    let risk = |version: i64, stop: serde_json::Value| {
        serde_json::json!({
            "version": version, "stop_loss_percent": stop, "take_profit_percent": 10,
            "max_daily_trades": 10, "max_daily_loss_percent": 5, "trailing_stop_enabled": false,
            "trailing_stop_percent": 2, "max_drawdown_percent": 15,
            "position_sizing_method": "fixed", "volatility_lookback_days": 30
        })
    };
    let path = "/api/v1/pairs/SOL%2FUSDT/risk";
    let (status, body) = call(
        &app,
        Method::PUT,
        path,
        &writer,
        risk(1, serde_json::json!(3.5)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = call(&app, Method::GET, config, &reader, serde_json::Value::Null).await;
    assert_eq!(after["risk"]["stop_loss_percent"], "3.5");

    // The same version again is stale: 409 with the row as it is now, and nothing changes.
    let (status, body) = call(
        &app,
        Method::PUT,
        path,
        &writer,
        risk(1, serde_json::json!(2)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["current"]["version"], 2, "{body}");
    // A value the rules refuse: 422 naming the field.
    let (status, body) = call(
        &app,
        Method::PUT,
        path,
        &writer,
        risk(2, serde_json::json!(150)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "stop_loss_percent", "{body}");
    // No version: refused before anything is read.
    let (status, body) = call(
        &app,
        Method::PUT,
        path,
        &writer,
        serde_json::json!({"stop_loss_percent": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A pair's strategy and a setting, each at its version.
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v1/pairs/SOL%2FUSDT/strategies/rsi",
        &writer,
        serde_json::json!({"version": 0, "enabled": true, "weight": 0.5, "params": {"rsi_period": 21}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v1/settings/check_interval",
        &writer,
        serde_json::json!({"value": 30, "version": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(helpers::setting(&pool, "check_interval").await, "30");
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v1/settings/check_interval",
        &writer,
        serde_json::json!({"value": 45, "version": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["current"]["value"], 30, "{body}");

    // An unknown pair is 404, whatever was asked of it.
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/v1/pairs/XRP%2FUSDT/risk",
        &writer,
        risk(1, serde_json::json!(3)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The contract covers the router: every `/api/v1` route (and health and metrics) is in
/// `GET /api/v1/openapi.json` under its method, naming the token its requirement asks for;
/// nothing in the contract is a route the router lacks.
#[sqlx::test]
async fn the_openapi_contract_lists_every_api_route_with_its_security(pool: PgPool) {
    use botconfig::http::Requirement;
    let (app, _) = helpers::console(&pool).await;
    let (status, body) = app.token(Scope::Read).get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let contract: serde_json::Value = serde_json::from_str(&body).unwrap();
    let paths = contract["paths"].as_object().unwrap();
    let mut declared = 0;
    for route in &app.routes {
        let documented = route.path.starts_with("/api/v1/")
            || ["/healthz", "/metrics"].contains(&route.path.as_str());
        if !documented || route.path == "/api/v1/{*rest}" {
            continue;
        }
        declared += 1;
        let operation = &paths
            .get(&route.path)
            .unwrap_or_else(|| panic!("{} is not in the contract", route.path))
            [route.method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} is not in the contract",
            route.method,
            route.path
        );
        let schemes: Vec<String> = operation["security"]
            .as_array()
            .map(|list| {
                list.iter()
                    .flat_map(|s| s.as_object().unwrap().keys().cloned())
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<String> = match route.requirement {
            Requirement::Public => vec![],
            Requirement::Token(scope) => vec![botconfig::api::openapi::scheme_of(scope)],
            Requirement::Monitor => vec![botconfig::api::openapi::scheme_of(Scope::Admin)],
            Requirement::SignedIn => panic!("{} needs a console session", route.path),
        };
        assert_eq!(schemes, expected, "{} {}", route.method, route.path);
    }
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations, declared,
        "the contract names operations the router lacks"
    );
    // Money is a decimal string, never a float.
    let balance =
        &contract["components"]["schemas"]["TradingPair"]["properties"]["initial_balance"];
    assert_eq!(balance["type"], "string", "{balance}");
    for scope in ["read", "write", "admin"] {
        assert_eq!(
            contract["components"]["securitySchemes"][format!("{scope}_token")]["scheme"],
            "bearer"
        );
    }
}
