//! The one state every route of the server shares: the service, how sessions and tokens
//! are handled, the tokens this server has verified, and the Leptos options. Handlers,
//! extractors and server functions take the part they need (`FromRef`).

use super::tokens::VerifiedTokens;
use crate::service::ConfigService;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::time::Duration;

/// How sessions and tokens are handled.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_max: Duration,
    /// Cookies only over HTTPS (set when the console is served behind TLS).
    pub secure_cookies: bool,
    /// API reads without a token from 127.0.0.1 / ::1 (local bots).
    pub local_reads: bool,
    /// `GET /metrics` without a token from 127.0.0.1 / ::1 (a local scraper).
    pub local_metrics: bool,
    /// Proxies whose `X-Forwarded-For` names the client, for the sign-in limits.
    pub trusted_proxies: crate::address::TrustedProxies,
}

impl Default for AccessPolicy {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            local_reads: false,
            local_metrics: false,
            trusted_proxies: Default::default(),
        }
    }
}

/// Cheap to clone (one reference count): route layers and extractors clone it per request.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Shared>);

/// What every route shares, behind [`AppState`].
pub struct Shared {
    pub service: ConfigService,
    pub access: AccessPolicy,
    pub verified: VerifiedTokens,
    /// Bot-facing answers, serialised once per revision.
    pub answers: super::answer::Answers,
    /// The console's static files, in memory.
    pub assets: super::assets::Assets,
    pub leptos: LeptosOptions,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(service: ConfigService, access: AccessPolicy, leptos: LeptosOptions) -> Self {
        Self(std::sync::Arc::new(Shared {
            service,
            access,
            verified: VerifiedTokens::default(),
            answers: Default::default(),
            assets: super::assets::Assets::load(
                std::path::Path::new(leptos.site_root.as_ref()),
                leptos.site_pkg_dir.as_ref(),
                leptos.hash_files,
            ),
            leptos,
        }))
    }
}

impl FromRef<AppState> for ConfigService {
    fn from_ref(state: &AppState) -> Self {
        state.service.clone()
    }
}

impl FromRef<AppState> for super::answer::Answers {
    fn from_ref(state: &AppState) -> Self {
        state.answers.clone()
    }
}

impl FromRef<AppState> for super::assets::Assets {
    fn from_ref(state: &AppState) -> Self {
        state.assets.clone()
    }
}

impl FromRef<AppState> for AccessPolicy {
    fn from_ref(state: &AppState) -> Self {
        state.access.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
