//! The HTTP status of each kind of error, in one place: the API's answers, the server
//! functions' and the access checks' refusals all use it.

use crate::domain::ConfigError;
use axum::http::StatusCode;

/// The HTTP status that fits an error; the API and the server functions both answer with it.
pub fn status_of(error: &ConfigError) -> StatusCode {
    match error {
        ConfigError::NotFound(_) => StatusCode::NOT_FOUND,
        ConfigError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ConfigError::Conflict(_) => StatusCode::CONFLICT,
        ConfigError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ConfigError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ConfigError::Request(_) => StatusCode::BAD_REQUEST,
        ConfigError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ConfigError::Forbidden(_) => StatusCode::FORBIDDEN,
        ConfigError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
    }
}
