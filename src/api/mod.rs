//! The HTTP API for bots and operator tools: thin handlers over the service layer, JSON in
//! and out, errors as JSON bodies with fitting status codes.

use crate::domain::ConfigError;
use crate::service::ConfigService;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
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
        .with_state(service)
}

/// 200 with the server version when the database answers, 503 otherwise.
async fn healthz(State(service): State<ConfigService>) -> Response {
    match crate::store::health(service.manager().pool()).await {
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
