//! How errors answer over HTTP, in one place: the status of each kind of error, the API's
//! JSON error body, and the refusals of the access checks. The API, the server functions
//! and the requirements all use it.

use crate::domain::ConfigError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The HTTP status that fits an error; the API and the server functions both answer with it.
pub fn status_of(error: &ConfigError) -> StatusCode {
    match error {
        ConfigError::NotFound(_) => StatusCode::NOT_FOUND,
        ConfigError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ConfigError::Conflict(_) => StatusCode::CONFLICT,
        ConfigError::Unconfirmed(_) => StatusCode::PRECONDITION_REQUIRED,
        ConfigError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ConfigError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ConfigError::Request(_) => StatusCode::BAD_REQUEST,
        ConfigError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ConfigError::Forbidden(_) => StatusCode::FORBIDDEN,
        ConfigError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
    }
}

/// A `ConfigError` as a JSON response: `{"error": …, "fields": […]}`.
pub struct ApiError(pub ConfigError);

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
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

/// A refusal of the access checks: `{"error": …}`, with `WWW-Authenticate: Bearer` on a 401.
pub fn refusal(status: StatusCode, message: &str) -> Response {
    let mut response = (status, Json(json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// What every token-guarded route may answer before its handler runs, for the API's
/// contract (`api::openapi`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used.
pub enum Refusals {
    /// No token, or one unknown, revoked or expired.
    #[response(status = 401)]
    Unauthorized(serde_json::Value),
    /// The token's scope does not allow this.
    #[response(status = 403)]
    Forbidden(serde_json::Value),
}
