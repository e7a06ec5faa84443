//! The API's writes, for tools: create a pair, update a pair, its risk, one of its
//! strategies, and a setting. Each takes the row's `version` (optimistic concurrency: 409
//! with the current row when someone changed it since), validates with the same rules as
//! the console (422 with field errors), is recorded under the token's name, and
//! invalidates the cache like every write.

use super::json::{only_fields, typed, StrictJson};
use super::{ApiError, ConfigError};
use crate::domain::forms::PairStrategyForm;
use crate::domain::pair::{PairForm, TradingPair};
use crate::domain::pause::PauseRequest;
use crate::domain::risk::{RiskConfig, RiskForm};
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::http::ApiCaller;
use crate::service::{parse_symbol, ConfigService};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// A form from JSON: numbers and booleans may come as JSON values or as text, as a tool
/// finds natural; the form's own parse applies the rules. `version` stays a number.
fn form<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    fn as_text(value: Value) -> Value {
        match value {
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = if k == "version" { v } else { as_text(v) };
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    serde_json::from_value(as_text(body))
        .map_err(|e| ApiError(ConfigError::invalid("body", e.to_string())))
}

fn version_of(body: &Value) -> Result<i32, ApiError> {
    body.get("version")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| {
            ApiError(ConfigError::invalid(
                "version",
                "is required: the version of the row you read",
            ))
        })
}

/// 409 with the row as it is now, or the error as usual.
async fn conflict_with<T: serde::Serialize>(
    error: ConfigError,
    current: impl std::future::Future<Output = Result<T, ConfigError>>,
) -> Response {
    match error {
        ConfigError::Conflict(message) => {
            let current = current.await.ok();
            (
                StatusCode::CONFLICT,
                Json(json!({ "error": message, "fields": [], "current": current })),
            )
                .into_response()
        }
        other => ApiError(other).into_response(),
    }
}

fn acting(service: &ConfigService, caller: &ApiCaller) -> ConfigService {
    service.acting_as(caller.actor())
}

/// `POST /api/v1/pairs`: a new pair (default risk, no strategies).
#[utoipa::path(
    post,
    path = "/api/v1/pairs",
    tag = "writes",
    request_body(content = Object, description = "The pair's fields: symbol, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision"),
    responses((status = 201, description = "The new pair", body = TradingPair), (status = 409, description = "The pair exists", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn create_pair(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let form: PairForm = form(body)?;
    let pair = acting(&service, &caller).create_pair(&form).await?;
    Ok((StatusCode::CREATED, Json(pair)).into_response())
}

/// `PUT /api/v1/pairs/{symbol}`: a pair's settings, at `version`.
#[utoipa::path(
    put,
    path = "/api/v1/pairs/{symbol}",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT")),
    request_body(content = Object, description = "The fields to change, and the version of the row you read"),
    responses((status = 200, description = "The pair as saved", body = TradingPair), (status = 409, description = "The version is stale: the row as it is now", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn update_pair(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(symbol): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<Response, ApiError> {
    let symbol = parse_symbol(&symbol)?;
    let version = version_of(&body)?;
    if let Value::Object(map) = &mut body {
        map.remove("version");
        map.insert("symbol".into(), Value::String(symbol.to_string()));
    }
    let form: PairForm = form(body)?;
    match acting(&service, &caller)
        .update_pair(&symbol, &form, version)
        .await
    {
        Ok(pair) => Ok(Json(pair).into_response()),
        Err(e) => Ok(conflict_with(e, service.pair(&symbol)).await),
    }
}

/// The pairs a request names, each a valid symbol.
fn symbols(names: &[String]) -> Result<Vec<crate::domain::pair::Symbol>, ConfigError> {
    names.iter().map(|s| parse_symbol(s.trim())).collect()
}

/// What `POST /api/v1/pairs/{symbol}/copy` takes.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The pairs to copy to.
    to: Vec<String>,
    #[serde(default)]
    risk: bool,
    #[serde(default)]
    strategies: bool,
    /// Answer the diff and change nothing.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/pairs/{symbol}/copy`: copies the pair's risk and/or strategies to others.
#[utoipa::path(
    post,
    path = "/api/v1/pairs/{symbol}/copy",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair copied from, URL-encoded: BTC%2FUSDT")),
    request_body(content = CopyRequest, description = "{\"to\": [\"SOL/USDT\"], \"risk\": true, \"strategies\": true, \"dry_run\": false}"),
    responses((status = 200, description = "{\"changes\": [{symbol, field, old, new}], \"applied\": true}", body = Object), (status = 409, description = "A row changed since the plan: nothing was copied", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn copy_setup(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(symbol): Path<String>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let from = parse_symbol(&symbol)?;
    let request: CopyRequest = typed(body)?;
    let to = symbols(&request.to)?;
    let service = acting(&service, &caller);
    let plan = service
        .plan_copy(&from, &to, request.risk, request.strategies)
        .await?;
    let changes: Vec<_> = plan.changes().cloned().collect();
    let applied = !request.dry_run && !changes.is_empty();
    if applied {
        service.apply_plan(&plan).await?;
    }
    Ok(Json(json!({ "changes": changes, "applied": applied })).into_response())
}

/// Which pairs a bulk edit is for: named, or a Pairs-list filter.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Part of the symbol, any case.
    #[serde(default)]
    q: String,
    #[serde(default)]
    quote: Option<String>,
    /// active, inactive or paused.
    #[serde(default)]
    state: Option<String>,
}

/// What `POST /api/v1/pairs/bulk` takes.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    #[serde(default)]
    pairs: Option<Vec<String>>,
    #[serde(default)]
    filter: Option<BulkFilter>,
    edit: crate::domain::bulk::BulkEdit,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/pairs/bulk`: one edit on many pairs, in one transaction.
#[utoipa::path(
    post,
    path = "/api/v1/pairs/bulk",
    tag = "writes",
    request_body(content = BulkRequest, description = "{\"filter\": {\"quote\": \"USDT\"}, \"edit\": {\"kind\": \"risk\", \"field\": \"stop_loss_percent\", \"value\": \"3\"}, \"dry_run\": true}; or \"pairs\": [\"SOL/USDT\"]; kinds: activate, deactivate, risk, strategy_enabled, strategy_weight"),
    responses((status = 200, description = "{\"pairs\": 12, \"changes\": [{symbol, field, old, new}], \"applied\": true}", body = Object), (status = 409, description = "A row changed since it was read: nothing was applied; the rows are named", body = Object), (status = 422, description = "A field is invalid (named with its pair)", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn bulk_edit(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let request: BulkRequest = typed(body)?;
    let service = acting(&service, &caller);
    let symbols = match (request.pairs, request.filter) {
        (Some(pairs), None) => symbols(&pairs)?,
        (None, Some(filter)) => {
            let query = crate::domain::pair_list::PairQuery::from_params(|name| match name {
                "q" => Some(filter.q.clone()),
                "quote" => filter.quote.clone(),
                "state" => filter.state.clone(),
                _ => None,
            });
            service.pairs_matching(&query).await?
        }
        _ => {
            return Err(ApiError(ConfigError::invalid(
                "pairs",
                "give either pairs or a filter",
            )))
        }
    };
    let plan = service.plan_bulk(&symbols, &request.edit).await?;
    let changes: Vec<_> = plan.changes().cloned().collect();
    let applied = !request.dry_run && !changes.is_empty();
    if applied {
        service.apply_plan(&plan).await?;
    }
    Ok(
        Json(json!({ "pairs": symbols.len(), "changes": changes, "applied": applied }))
            .into_response(),
    )
}

/// `PUT /api/v1/pairs/{symbol}/pause`: pauses a pair from now, whatever its version.
#[utoipa::path(
    put,
    path = "/api/v1/pairs/{symbol}/pause",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT")),
    request_body(content = PauseRequest, description = "reason (required); for (\"4h\", \"30m\", \"1h30m\") or until (RFC 3339), neither: until resumed; mode: no_new_entries (default) or close_out"),
    responses((status = 200, description = "The pair, paused", body = TradingPair), (status = 404, description = "No such pair", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn pause_pair(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(symbol): Path<String>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let symbol = parse_symbol(&symbol)?;
    let request: PauseRequest = typed(body)?;
    let pair = acting(&service, &caller)
        .pause_pair(&symbol, &request)
        .await?;
    Ok(Json(pair).into_response())
}

/// `DELETE /api/v1/pairs/{symbol}/pause`: resumes a pair now.
#[utoipa::path(
    delete,
    path = "/api/v1/pairs/{symbol}/pause",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT"), ("reason" = Option<String>, Query, description = "Why, for the history")),
    responses((status = 200, description = "The pair, not paused", body = TradingPair), (status = 404, description = "No such pair", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn resume_pair(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(symbol): Path<String>,
    Query(query): Query<ResumeQuery>,
) -> Result<Response, ApiError> {
    let symbol = parse_symbol(&symbol)?;
    let pair = acting(&service, &caller)
        .resume_pair(&symbol, query.reason.as_deref())
        .await?;
    Ok(Json(pair).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeQuery {
    reason: Option<String>,
}

/// `PUT /api/v1/pairs/{symbol}/risk`: a pair's risk settings, at `version`.
#[utoipa::path(
    put,
    path = "/api/v1/pairs/{symbol}/risk",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT")),
    request_body(content = Object, description = "Every risk field, and the version of the row you read"),
    responses((status = 200, description = "The risk settings as saved", body = RiskConfig), (status = 409, description = "The version is stale", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn update_risk(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(symbol): Path<String>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let symbol = parse_symbol(&symbol)?;
    version_of(&body)?;
    let form: RiskForm = form(body)?;
    match acting(&service, &caller).update_risk(&symbol, &form).await {
        Ok(risk) => Ok(Json(risk).into_response()),
        Err(e) => Ok(conflict_with(e, service.risk(&symbol)).await),
    }
}

/// `PUT /api/v1/pairs/{symbol}/strategies/{strategy}`: a pair's use of a strategy, at
/// `version` (0 when the pair has no row for it yet).
#[utoipa::path(
    put,
    path = "/api/v1/pairs/{symbol}/strategies/{strategy}",
    tag = "writes",
    params(("symbol" = String, Path, description = "The pair, URL-encoded: BTC%2FUSDT"), ("strategy" = String, Path, description = "The strategy's name")),
    responses((status = 200, description = "The pair's strategy as saved", body = PairStrategy), (status = 409, description = "The version is stale", body = Object), (status = 422, description = "A field is invalid", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn update_pair_strategy(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path((symbol, strategy)): Path<(String, String)>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let symbol = parse_symbol(&symbol)?;
    version_of(&body)?;
    let form: PairStrategyForm = form(body)?;
    match acting(&service, &caller)
        .save_pair_strategy(&symbol, &strategy, &form)
        .await
    {
        Ok(row) => Ok(Json(row).into_response()),
        Err(e) => {
            let current = async {
                service
                    .pair_strategy_rows(&symbol)
                    .await
                    .map(|rows| rows.into_iter().find(|r| r.strategy == strategy))
            };
            Ok(conflict_with(e, current).await)
        }
    }
}

/// `PUT /api/v1/settings/{key}`: `{"value": …, "version": n}`.
#[utoipa::path(
    put,
    path = "/api/v1/settings/{key}",
    tag = "writes",
    params(("key" = String, Path, description = "The setting's key")),
    request_body(content = Object, description = "{\"value\": …, \"version\": n}"),
    responses((status = 200, description = "The setting as saved", body = SystemSetting), (status = 409, description = "The version is stale", body = Object), (status = 422, description = "The value does not fit the setting", body = Object), crate::http::error::Refusals),
    security(("write_token" = []))
)]
pub async fn update_setting(
    State(service): State<ConfigService>,
    caller: ApiCaller,
    Path(key): Path<String>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    only_fields(&body, &["value", "version"])?;
    let version = version_of(&body)?;
    let value = match body.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other @ (Value::Object(_) | Value::Array(_))) => other.to_string(),
        _ => return Err(ApiError(ConfigError::invalid("value", "is required"))),
    };
    match acting(&service, &caller)
        .set_setting_at(&key, &value, version)
        .await
    {
        Ok(setting) => Ok(Json(setting).into_response()),
        Err(e) => {
            let current = async {
                service
                    .settings()
                    .await
                    .map(|all| all.into_iter().find(|s| s.key == key))
            };
            Ok(conflict_with(e, current).await)
        }
    }
}
