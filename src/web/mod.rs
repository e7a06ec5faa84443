//! The admin console: pages, shared components, and the server functions they call. Server
//! functions only reach the service layer, never the cache or the database.

pub mod components;
pub mod pages;

#[cfg(feature = "ssr")]
pub(crate) fn service() -> Result<crate::service::ConfigService, crate::domain::ConfigError> {
    leptos::prelude::use_context::<crate::service::ConfigService>().ok_or_else(|| {
        crate::domain::ConfigError::Unavailable("the configuration service is not running".into())
    })
}

/// A server function's answer, with the HTTP status that fits its error (422 invalid, 409
/// conflict, 404, 503 unavailable, 500 internal), so an operator's typo is not a server
/// error in the logs.
#[cfg(feature = "ssr")]
pub(crate) fn answer<T>(
    result: Result<T, crate::domain::ConfigError>,
) -> Result<T, crate::domain::ConfigError> {
    if let Err(error) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(crate::api::status_of(error));
        }
    }
    result
}
