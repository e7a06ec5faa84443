//! The HTTP API for bots and operator tools: thin handlers over the service layer, JSON in
//! and out, errors as JSON bodies with fitting status codes.

mod fleet;
pub mod freqtrade;
mod json;
pub mod openapi;
mod snapshot;
mod stream;
mod writes;

use crate::domain::auth::Scope;
use crate::domain::stats::{CacheStats, WarmReport};
use crate::domain::system::{SettingValue, SystemSetting};
use crate::domain::trading::{PortfolioSettings, TradeDecision, TradingConfig};
use crate::domain::warnings::ValidationReport;
use crate::domain::ConfigError;
use crate::http::answer::Conditions;
use crate::http::{Answer, Answers, ApiCaller, Group, Marking, Requirement, Routes};
use crate::service::parse_symbol;
use crate::service::ConfigService;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::str::FromStr;

pub use crate::http::answer::STALE_HEADER;
pub use crate::http::{status_of, ApiError};
pub use stream::HEARTBEAT as STREAM_HEARTBEAT;

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
                .get("/api/v1/stream", stream::stream)
                .get("/api/v1/snapshot", snapshot::snapshot)
                .get("/api/v1/freqtrade/pairlist", freqtrade::pairlist)
                .get("/api/v1/fleet", fleet::list)
                .post("/api/v1/fleet/heartbeat", fleet::heartbeat)
                .get("/api/v1/openapi.json", openapi::contract)
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
                .post("/api/v1/pairs/{symbol}/copy", writes::copy_setup)
                .post("/api/v1/pairs/bulk", writes::bulk_edit)
                .put("/api/v1/pairs/{symbol}", writes::update_pair)
                .put("/api/v1/pairs/{symbol}/risk", writes::update_risk)
                .put("/api/v1/pairs/{symbol}/pause", writes::pause_pair)
                .delete("/api/v1/pairs/{symbol}/pause", writes::resume_pair)
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
        .group(
            Requirement::Monitor,
            Group::new().get(
                crate::http::paths::METRICS_PATH,
                crate::http::metrics::scrape,
            ),
        )
}

/// A path under the API that no route declares.
async fn unknown_route(uri: axum::http::Uri) -> ApiError {
    ApiError(ConfigError::NotFound(format!("API route {}", uri.path())))
}

/// The listener's state, not a query: an unauthenticated caller makes the database do
/// nothing. 200 while the listener holds its connection and has confirmed the cache within
/// the staleness bound (its heartbeat asks the database about once a second); 503 once it
/// has not. Nothing about the database server itself is disclosed.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The listener is connected and has confirmed the cache within the staleness bound", body = Object), (status = 503, description = "It has not: answers are marked stale", body = Object))
)]
async fn healthz(State(service): State<ConfigService>) -> Response {
    let health = service.listener_health();
    let database_up = health.connected && !health.stale;
    let body = json!({
        "status": if database_up { "ok" } else { "degraded" },
        "database": if database_up { "up" } else { "unconfirmed" },
        "listener": {
            "connected": health.connected,
            "reconnects": health.reconnects,
        },
        "revision": health.applied_revision,
        "confirmed_millis_ago": health.confirmed_millis_ago,
        "max_staleness_millis": health.max_staleness_millis,
        "stale": health.stale,
    });
    let status = if database_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A trading config as bots read it: the pair carries its base and quote currencies.
fn config_json(config: &TradingConfig) -> Result<serde_json::Value, ConfigError> {
    let mut value =
        serde_json::to_value(config).map_err(|e| ConfigError::Internal(e.to_string()))?;
    if let Some(pair) = value.get_mut("pair").and_then(|p| p.as_object_mut()) {
        pair.insert("base_currency".into(), json!(config.pair.symbol.base()));
        pair.insert("quote_currency".into(), json!(config.pair.symbol.quote()));
    }
    Ok(value)
}

/// The settings a caller may read, keyed by name: secret ones only for a token that
/// reads secrets.
fn system_json(settings: &[SystemSetting], reads_secrets: bool) -> serde_json::Value {
    settings
        .iter()
        .filter(|s| reads_secrets || !s.is_secret)
        .map(|s| (s.key.clone(), setting_json(s)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The symbols of a comma-separated list (`?pairs=BTC/USDT,ETH/USDT`), without repeats;
/// an empty entry is skipped, a malformed one refused.
fn symbols_in(
    list: &str,
) -> Result<std::collections::BTreeSet<crate::domain::pair::Symbol>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_symbol)
        .collect()
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
#[utoipa::path(
    get,
    path = "/api/v1/pairs/{symbol}/config",
    tag = "bots",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT")),
    responses((status = 200, description = "The pair (with base_currency and quote_currency), its enabled strategies with normalized weights, and its risk settings", body = TradingConfig), (status = 304, description = "Unchanged since the ETag given in If-None-Match"), (status = 404, description = "No such pair", body = Object), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "X-Botconfig-Stale and \"stale\" say when the server cannot vouch that the answer is current; ETag and If-None-Match make it conditional (304)"
)]
async fn pair_config(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    Path(symbol): Path<String>,
    uri: Uri,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let (symbol, service) = (&parse_symbol(&symbol)?, &service);
    Ok(answers
        .answer(service, uri.path(), &conditions, |from| async move {
            let config = service.trading_config_from(symbol, from).await?;
            let until = config.pair.pause.as_ref().and_then(|p| p.until);
            Ok(Answer::new(&config_json(&config)?, Marking::InBody)?.valid_until(until))
        })
        .await?)
}

/// Whether a bot may trade the pair now: `{"trade": false, "reasons": [...]}`.
#[utoipa::path(
    get,
    path = "/api/v1/pairs/{symbol}/should-trade",
    tag = "bots",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT")),
    responses((status = 200, description = "Whether a bot may trade the pair now, and why not", body = TradeDecision), (status = 304, description = "Unchanged"), (status = 404, description = "No such pair", body = Object), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "X-Botconfig-Stale and \"stale\" say when the server cannot vouch that the answer is current; ETag and If-None-Match make it conditional (304)"
)]
async fn should_trade(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    Path(symbol): Path<String>,
    uri: Uri,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let (symbol, service) = (&parse_symbol(&symbol)?, &service);
    Ok(answers
        .answer(service, uri.path(), &conditions, |from| async move {
            let decision = service.should_trade_pair(symbol, from).await?;
            let until = decision.pause.as_ref().and_then(|p| p.until);
            Ok(Answer::new(&decision, Marking::InBody)?.valid_until(until))
        })
        .await?)
}

/// Every active pair's trading config keyed by symbol, and the settings a bot reads at
/// each cycle under `system` (secret ones only for a token that reads secrets). Nothing
/// else is among the keys, so a bot can loop over them as symbols: a stale answer says so
/// in the `X-Botconfig-Stale` header.
#[utoipa::path(
    get,
    path = "/api/v1/pairs",
    tag = "bots",
    responses((status = 200, description = "Every active pair's trading config keyed by symbol, and the settings a bot reads under system", body = Object), (status = 304, description = "Unchanged"), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "X-Botconfig-Stale and \"stale\" say when the server cannot vouch that the answer is current; ETag and If-None-Match make it conditional (304)"
)]
async fn active_pairs(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    caller: ApiCaller,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let reads_secrets = caller.reads_secrets;
    let key = if reads_secrets {
        "pairs+secrets"
    } else {
        "pairs"
    };
    let service = &service;
    Ok(answers
        .answer(service, key, &conditions, |from| async move {
            let configs = service.active_trading_configs(from).await?;
            let settings = service.bot_settings(from).await?;
            let mut body = serde_json::Map::new();
            for config in configs.iter() {
                body.insert(config.pair.symbol.to_string(), config_json(config)?);
            }
            body.insert("system".into(), system_json(&settings, reads_secrets));
            let until = crate::domain::pair::first_pause_end(configs.iter().map(|c| &c.pair));
            Ok(Answer::new(&body, Marking::HeaderOnly)?.valid_until(until))
        })
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/portfolio",
    tag = "bots",
    responses((status = 200, description = "The portfolio settings", body = PortfolioSettings), (status = 304, description = "Unchanged"), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "X-Botconfig-Stale and \"stale\" say when the server cannot vouch that the answer is current; ETag and If-None-Match make it conditional (304)"
)]
async fn portfolio(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let service = &service;
    Ok(answers
        .answer(service, "portfolio", &conditions, |from| async move {
            Answer::new(&service.portfolio(from).await?, Marking::InBody)
        })
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/validate",
    tag = "bots",
    responses((status = 200, description = "Errors that stop a bot from starting, and warnings", body = ValidationReport), crate::http::error::Refusals),
    security(("read_token" = []))
)]
async fn validate(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    Ok(Json(service.validate().await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/cache/stats",
    tag = "cache",
    responses((status = 200, description = "The cache's state and counters", body = CacheStats), crate::http::error::Refusals),
    security(("read_token" = []))
)]
async fn cache_stats(State(service): State<ConfigService>) -> Response {
    Json(service.cache_stats().await).into_response()
}

#[utoipa::path(
    post,
    path = "/api/v1/cache/warm",
    tag = "cache",
    responses((status = 200, description = "What was loaded", body = WarmReport), crate::http::error::Refusals),
    security(("write_token" = []))
)]
async fn cache_warm(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    Ok(Json(service.warm().await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/cache/clear",
    tag = "cache",
    responses((status = 200, description = "How many entries were dropped", body = Object), crate::http::error::Refusals),
    security(("admin_token" = []))
)]
async fn cache_clear(State(service): State<ConfigService>) -> Response {
    let cleared = service.clear().await;
    Json(json!({ "cleared": cleared })).into_response()
}

#[utoipa::path(
    post,
    path = "/api/v1/cache/invalidate",
    tag = "cache",
    request_body(content = Object, description = "{\"pattern\": \"pair_risk:*\"}: a glob, or a plain substring; one that matches everything needs an admin token"),
    responses((status = 200, description = "How many entries the pattern dropped", body = Object), (status = 422, description = "No pattern, or an empty one", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
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
