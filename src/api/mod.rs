//! The HTTP API for bots and operator tools: thin handlers over the service layer, JSON in
//! and out, errors as JSON bodies with fitting status codes.

use crate::domain::ConfigError;
use crate::service::ConfigService;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

/// A `ConfigError` as an HTTP response.
pub struct ApiError(pub ConfigError);

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            ConfigError::NotFound(_) => StatusCode::NOT_FOUND,
            ConfigError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ConfigError::Conflict(_) => StatusCode::CONFLICT,
            ConfigError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ConfigError::Request(_) => StatusCode::BAD_REQUEST,
        };
        let fields = self
            .0
            .field_errors()
            .map(|f| f.0.clone())
            .unwrap_or_default();
        (
            status,
            Json(json!({ "error": self.0.to_string(), "fields": fields })),
        )
            .into_response()
    }
}

/// The API's routes, for any router state.
pub fn router<S: Clone + Send + Sync + 'static>(service: ConfigService) -> Router<S> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/pairs/{symbol}/config", get(pair_config))
        .route("/api/v1/pairs", get(active_pairs))
        .route("/api/v1/portfolio", get(portfolio))
        .route("/api/v1/validate", get(validate))
        .route("/api/v1/cache/stats", get(cache_stats))
        .route("/api/v1/cache/warm", post(cache_warm))
        .route("/api/v1/cache/clear", post(cache_clear))
        .route("/api/v1/cache/invalidate", post(cache_invalidate))
        .with_state(service)
}

/// 200 with the server version when the database answers, 503 otherwise.
async fn healthz(State(service): State<ConfigService>) -> Response {
    match service.database_version().await {
        Ok(version) => {
            Json(json!({ "status": "ok", "database": "up", "postgres": version })).into_response()
        }
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "degraded", "database": "down", "error": error.to_string() })),
        )
            .into_response(),
    }
}

/// A pair's trading config as bots read it (cached). The symbol is URL-encoded: `BTC%2FUSDT`.
async fn pair_config(
    State(service): State<ConfigService>,
    Path(symbol): Path<String>,
) -> Result<Response, ApiError> {
    let config = service.trading_config(&symbol).await?;
    Ok(Json(&*config).into_response())
}

/// Every active pair's trading config.
async fn active_pairs(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    let configs = service.active_trading_configs().await?;
    let list: Vec<&crate::domain::trading::TradingConfig> = configs.iter().map(|c| &**c).collect();
    Ok(Json(list).into_response())
}

async fn portfolio(State(service): State<ConfigService>) -> Result<Response, ApiError> {
    Ok(Json(service.portfolio().await?).into_response())
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

/// The pattern to invalidate.
#[derive(serde::Deserialize)]
struct InvalidateRequest {
    pattern: String,
}

async fn cache_invalidate(
    State(service): State<ConfigService>,
    body: Result<Json<InvalidateRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body.map_err(|e| ConfigError::invalid("pattern", e.body_text()))?;
    let invalidated = service.invalidate(&request.pattern).await?;
    Ok(Json(json!({ "pattern": request.pattern, "invalidated": invalidated })).into_response())
}
