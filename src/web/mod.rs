//! The admin console: pages, shared components, and the server functions they call. Server
//! functions only reach the service layer, never the cache or the database.

pub mod auth;
pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod routes;

/// The service, acting as the signed-in user, if their role allows `needed`: every server
/// function that reads or writes goes through here, so a request made by hand is refused
/// exactly like a click.
#[cfg(feature = "ssr")]
pub(crate) fn service(
    needed: crate::domain::auth::Role,
) -> Result<crate::service::ConfigService, crate::domain::ConfigError> {
    let user = current_user()?;
    user.require(needed)?;
    Ok(context_service()?.acting_as(user.actor()))
}

/// The server's state as the router provided it.
#[cfg(feature = "ssr")]
pub(crate) fn app_state() -> Result<crate::http::AppState, crate::domain::ConfigError> {
    leptos::prelude::use_context::<crate::http::AppState>().ok_or_else(|| {
        crate::domain::ConfigError::Unavailable("the configuration service is not running".into())
    })
}

/// The service as the router provided it, acting as nobody in particular.
#[cfg(feature = "ssr")]
pub(crate) fn context_service() -> Result<crate::service::ConfigService, crate::domain::ConfigError>
{
    Ok(app_state()?.service.clone())
}

/// The signed-in user of the request being served (see `http::require`).
#[cfg(feature = "ssr")]
pub(crate) fn current_user() -> Result<crate::http::CurrentUser, crate::domain::ConfigError> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::http::CurrentUser>().cloned())
        .ok_or_else(|| crate::domain::ConfigError::Unauthenticated("sign in first".into()))
}

/// A server function's work, done by the service acting as the signed-in user when their
/// role allows `needed`, and answered with the status that fits its error (see `answer`):
/// the one wrapper every server function that reads or writes uses.
///
/// `crate::web::as_role(Role::Viewer, move |service| async move { service.all_pairs().await }).await`
#[cfg(feature = "ssr")]
pub(crate) async fn as_role<T, Fut>(
    needed: crate::domain::auth::Role,
    work: impl FnOnce(crate::service::ConfigService) -> Fut,
) -> Result<T, crate::domain::ConfigError>
where
    Fut: std::future::Future<Output = Result<T, crate::domain::ConfigError>>,
{
    let result = match service(needed) {
        Ok(service) => work(service).await,
        Err(refused) => Err(refused),
    };
    answer(result)
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
            response.set_status(crate::http::status_of(error));
        }
    }
    result
}
