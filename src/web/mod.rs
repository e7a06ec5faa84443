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
