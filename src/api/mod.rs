//! The HTTP API for bots and operator tools: thin handlers over the service layer, JSON in
//! and out, errors as JSON bodies with fitting status codes.

mod json;
mod writes;

use crate::domain::auth::Scope;
use crate::domain::system::{SettingValue, SystemSetting};
use crate::domain::trading::TradingConfig;
use crate::domain::ConfigError;
use crate::http::{ApiCaller, Group, Requirement, Routes};
use crate::service::ConfigService;
use crate::service::{parse_symbol, ReadFrom};
use axum::extract::{Path, State};
use axum::http::Method;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::str::FromStr;
use std::time::Duration;

pub use crate::http::{status_of, ApiError};

/// The API's routes and health, each group with what it requires of its caller.
pub fn routes(routes: Routes) -> Routes {
    use crate::http::paths::HEALTH_PATH;
    routes
        .group(Requirement::Public, Group::new().get(HEALTH_PATH, healthz))
        .group(
            Requirement::Token(Scope::Read),
            Group::new()
                .get("/api/v1/pairs/{symbol}/config", pair_config)
                .get("/api/v1/pairs/{symbol}/should-trade", should_trade)
                .get("/api/v1/pairs", active_pairs)
                .get("/api/v1/portfolio", portfolio)
                .get("/api/v1/validate", validate)
                .get("/api/v1/cache/stats", cache_stats)
                .route(
                    "/api/v1/{*rest}",
                    &[Method::GET, Method::POST, Method::PUT, Method::DELETE],
                    axum::routing::any(unknown_route),
                ),
        )
        .group(
            Requirement::Token(Scope::Write),
            Group::new()
                .post("/api/v1/pairs", writes::create_pair)
                .put("/api/v1/pairs/{symbol}", writes::update_pair)
                .put("/api/v1/pairs/{symbol}/risk", writes::update_risk)
                .put(
                    "/api/v1/pairs/{symbol}/strategies/{strategy}",
                    writes::update_pair_strategy,
                )
                .put("/api/v1/settings/{key}", writes::update_setting)
                .post("/api/v1/cache/warm", cache_warm)
                // Write scope; a pattern that matches everything needs admin (see below).
                .post("/api/v1/cache/invalidate", cache_invalidate),
        )
        .group(
            Requirement::Token(Scope::Admin),
            Group::new().post("/api/v1/cache/clear", cache_clear),
        )
}

/// A path under the API that no route declares.
async fn unknown_route(uri: axum::http::Uri) -> ApiError {
    ApiError(ConfigError::NotFound(format!("API route {}", uri.path())))
}

/// How long `/healthz` waits for the database before answering "down".
const HEALTH_DEADLINE: Duration = Duration::from_secs(2);

/// 200 when the database answers within the deadline, 503 otherwise; either way the
/// listener's state and whether cached answers are current. Nothing about the database
/// server itself (its version) is disclosed.
async fn healthz(State(service): State<ConfigService>) -> Response {
    let database = service.ping(HEALTH_DEADLINE).await;
    let stats = service.cache_stats().await;
    let body = json!({
        "status": if database.is_ok() && !stats.stale && stats.listener_connected { "ok" } else { "degraded" },
        "database": if database.is_ok() { "up" } else { "down" },
        "error": database.as_ref().err().map(ToString::to_string),
        "listener": {
            "connected": stats.listener_connected,
            "reconnects": stats.listener_reconnects,
        },
        "revision": stats.applied_revision,
        "confirmed_millis_ago": stats.confirmed_millis_ago,
        "max_staleness_millis": stats.max_staleness_millis,
        "stale": stats.stale,
    });
    let status = if database.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// The header that carries a stale answer's age, in whole seconds.
pub const STALE_HEADER: &str = "x-botconfig-stale";

/// A bot-facing answer: the JSON with `"stale": false`, or, when the server cannot vouch
/// that it is current, `"stale": true`, its age in `"stale_seconds"`, and the same age in
/// the `X-Botconfig-Stale` header. An array body gets the header only.
fn answer<T: serde::Serialize>(service: &ConfigService, value: &T) -> Response {
    let staleness = service.staleness();
    let mut body = match serde_json::to_value(value) {
        Ok(body) => body,
        Err(e) => return ApiError(ConfigError::Internal(e.to_string())).into_response(),
    };
    if let serde_json::Value::Object(fields) = &mut body {
        fields.insert("stale".into(), json!(staleness.is_some()));
        if let Some(age) = staleness {
            fields.insert(
                "stale_seconds".into(),
                json!(age.as_secs_f64().ceil() as u64),
            );
        }
    }
    stale_header(staleness, Json(body).into_response())
}

/// `response` with the `X-Botconfig-Stale` header when the answer is stale.
fn stale_header(staleness: Option<std::time::Duration>, mut response: Response) -> Response {
    if let Some(age) = staleness {
        response.headers_mut().insert(
            STALE_HEADER,
            HeaderValue::from(age.as_secs_f64().ceil() as u64),
        );
    }
    response
}

/// Where a bot-facing read goes: `Cache-Control: no-cache` (the original bots'
/// `use_cache=False`) reads from Postgres; anything else from the cache.
fn read_from(headers: &HeaderMap) -> ReadFrom {
    let no_cache = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-cache"));
    if no_cache {
        ReadFrom::Database
    } else {
        ReadFrom::Cache
    }
}

/// A trading config as bots read it: the pair carries its base and quote currencies.
fn config_json(config: &TradingConfig) -> Result<serde_json::Value, ApiError> {
    let mut value =
        serde_json::to_value(config).map_err(|e| ConfigError::Internal(e.to_string()))?;
    if let Some(pair) = value.get_mut("pair").and_then(|p| p.as_object_mut()) {
        pair.insert("base_currency".into(), json!(config.pair.symbol.base()));
        pair.insert("quote_currency".into(), json!(config.pair.symbol.quote()));
    }
    Ok(value)
}

/// A setting's value as JSON: numbers as numbers, booleans as booleans.
fn setting_json(setting: &SystemSetting) -> serde_json::Value {
    match &setting.value {
        SettingValue::Boolean(b) => json!(b),
        SettingValue::Integer(i) => json!(i),
        SettingValue::Decimal(d) => serde_json::Number::from_str(&d.normalize().to_string())
            .map_or_else(|_| json!(d.to_string()), serde_json::Value::Number),
        SettingValue::String(s) => json!(s),
        SettingValue::Json(j) => j.clone(),
    }
}

/// A pair's trading config as bots read it. The symbol is URL-encoded: `BTC%2FUSDT`.
async fn pair_config(
    State(service): State<ConfigService>,
    Path(symbol): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let config = service
        .trading_config_from(&parse_symbol(&symbol)?, read_from(&headers))
        .await?;
    Ok(answer(&service, &config_json(&config)?))
}

/// Whether a bot may trade the pair now: `{"trade": false, "reasons": [...]}`.
async fn should_trade(
    State(service): State<ConfigService>,
    Path(symbol): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let decision = service
        .should_trade_pair(&parse_symbol(&symbol)?, read_from(&headers))
        .await?;
    Ok(answer(&service, &decision))
}

/// Every active pair's trading config keyed by symbol, and the settings a bot reads at
/// each cycle under `system` (secret ones only for a token that reads secrets). Nothing
/// else is among the keys, so a bot can loop over them as symbols: a stale answer says so
/// in the `X-Botconfig-Stale` header.
async fn active_pairs(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let reads_secrets = caller.reads_secrets;
    let from = read_from(&headers);
    let configs = service.active_trading_configs(from).await?;
    let settings = service.bot_settings(from).await?;
    let mut body = serde_json::Map::new();
    for config in configs.iter() {
        body.insert(config.pair.symbol.to_string(), config_json(config)?);
    }
    let system: serde_json::Map<String, serde_json::Value> = settings
        .iter()
        .filter(|s| reads_secrets || !s.is_secret)
        .map(|s| (s.key.clone(), setting_json(s)))
        .collect();
    body.insert("system".into(), serde_json::Value::Object(system));
    Ok(stale_header(
        service.staleness(),
        Json(serde_json::Value::Object(body)).into_response(),
    ))
}

async fn portfolio(
    State(service): State<ConfigService>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(answer(
        &service,
        &service.portfolio(read_from(&headers)).await?,
    ))
}

async fn validate(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    Ok(Json(service.validate().await?).into_response())
}

async fn cache_stats(State(service): State<ConfigService>) -> Response {
    Json(service.cache_stats().await).into_response()
}

async fn cache_warm(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    Ok(Json(service.warm().await?).into_response())
}

async fn cache_clear(State(service): State<ConfigService>) -> Response {
    let cleared = service.clear().await;
    Json(json!({ "cleared": cleared })).into_response()
}

async fn cache_invalidate(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    json::StrictJson(body): json::StrictJson,
) -> Result<Response, ApiError> {
    json::only_fields(&body, &["pattern"])?;
    let pattern = body
        .get("pattern")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            ConfigError::invalid("pattern", "is required: the keys to drop, e.g. pair_risk:*")
        })?;
    if ConfigService::invalidation_clears(pattern)? && !caller.scope.allows(Scope::Admin) {
        return Err(ConfigError::Forbidden(format!(
            "pattern {pattern:?} matches every entry, like a clear: it needs an admin token"
        ))
        .into());
    }
    let invalidated = service.invalidate(pattern).await?;
    Ok(Json(json!({ "pattern": pattern, "invalidated": invalidated })).into_response())
}
