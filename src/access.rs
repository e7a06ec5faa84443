//! Who is asking: the console's signed-in user (a server-side session) and the API's
//! bearer tokens. Every console page and server function needs a signed-in user; every API
//! route but `/healthz` a token whose scope allows it. Roles are then checked where the
//! work is done (`web::service`), so a hand-made request is refused like a click.

use crate::domain::auth::{Role, Scope, UserView};
use crate::domain::history::{Actor, Source};
use crate::service::accounts::AccountService;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_sessions::Session;

/// Session data keys.
pub const USER_ID: &str = crate::store::accounts::SESSION_USER_ID;
pub const SIGNED_IN_AT: &str = "signed_in_at";
/// The minute a session was last used in: changing it saves the session, which moves its
/// idle expiry on, at most one write a minute however busy the session is.
pub const SEEN_MINUTE: &str = "seen_minute";

/// The cookie that marks a browser its user signed in from before (see
/// `service::accounts::refused_until`): random, kept as a digest in the sign-in record.
pub const DEVICE_COOKIE: &str = "botconfig_device";

pub use crate::http::paths::LOGIN_PATH;

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
            trusted_proxies: Default::default(),
        }
    }
}

/// The signed-in user of a console request (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub view: UserView,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::new(self.view.name.clone(), Source::Console)
    }
}

/// The caller of an API request (a request extension): the token's name and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub name: String,
    pub scope: Scope,
    /// The token was created to read secret settings too.
    pub reads_secrets: bool,
}

impl ApiCaller {
    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone(), Source::Api)
    }
}

#[derive(Clone)]
pub struct AccessState {
    pub accounts: AccountService,
    pub policy: AccessPolicy,
    /// Whether the cache can vouch for its answers (the database answers).
    pub service: crate::service::ConfigService,
    pub verified: VerifiedTokens,
}

/// How long a token check may wait for the database before the remembered verdict is used.
const TOKEN_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Tokens this server has verified, by hash, with their expiry. While the database answers,
/// every request is checked there, so a revocation takes effect at once. When it cannot be
/// asked (an outage), a token verified before keeps reading until it expires, so bots get
/// the cached answers marked stale, as the staleness bound promises, instead of errors.
#[derive(Clone, Default)]
pub struct VerifiedTokens(Arc<Mutex<HashMap<String, Verified>>>);

type Verified = (ApiCaller, Option<chrono::DateTime<chrono::Utc>>);

impl VerifiedTokens {
    fn remember(&self, hash: &str, verified: Verified) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hash.to_owned(), verified);
    }

    fn forget(&self, hash: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
    }

    /// The caller of a token verified before, unless it has expired since.
    fn recall(&self, hash: &str) -> Option<ApiCaller> {
        let remembered = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (caller, expires_at) = remembered.get(hash)?;
        expires_at
            .is_none_or(|at| at > chrono::Utc::now())
            .then(|| caller.clone())
    }
}

/// The caller a token stands for: asked of the database, or, while it cannot answer, what
/// this server verified before. `Err` is the refusal to send.
async fn token_caller(state: &AccessState, token: &str) -> Result<ApiCaller, Response> {
    let hash = crate::store::accounts::digest(token);
    // Known unreachable (the cache cannot vouch): do not wait for it.
    if state.service.staleness().is_some() {
        if let Some(caller) = state.verified.recall(&hash) {
            return Ok(caller);
        }
    }
    let checked = tokio::time::timeout(
        TOKEN_CHECK_TIMEOUT,
        state.accounts.authenticate_token(token),
    )
    .await
    .unwrap_or_else(|_| {
        Err(crate::domain::ConfigError::Unavailable(
            "the token could not be checked in time".into(),
        ))
    });
    match checked {
        Ok(Some(token)) => {
            let expires_at = token.expires_at;
            let caller = ApiCaller {
                name: format!("token:{}", token.name),
                scope: token.scope,
                reads_secrets: token.reads_secrets,
            };
            state.verified.remember(&hash, (caller.clone(), expires_at));
            Ok(caller)
        }
        Ok(None) => {
            state.verified.forget(&hash);
            Err(api_refusal(
                StatusCode::UNAUTHORIZED,
                "this token is unknown, revoked or expired".into(),
            ))
        }
        Err(crate::domain::ConfigError::Unavailable(message)) => state
            .verified
            .recall(&hash)
            .ok_or_else(|| api_refusal(StatusCode::SERVICE_UNAVAILABLE, message)),
        Err(e) => Err(api_refusal(crate::http::status_of(&e), e.to_string())),
    }
}

/// Paths anyone may fetch: the sign-in page and its server function, the bundle and
/// static files, health. The API (`/api/v1`) has its own check.
fn is_public(path: &str) -> bool {
    path == LOGIN_PATH
        || path == crate::http::paths::SIGN_IN_PATH
        || path == "/healthz"
        || path.starts_with("/pkg/")
        || path == "/favicon.ico"
        || path.starts_with("/api/v1/")
}

/// The session's user, if it is signed in, within its absolute lifetime, and still enabled.
pub async fn session_user(
    state: &AccessState,
    session: &Session,
) -> Result<Option<CurrentUser>, Response> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "session store failed");
        (StatusCode::SERVICE_UNAVAILABLE, "sessions are unavailable").into_response()
    };
    let id: Option<i64> = session.get(USER_ID).await.map_err(|e| internal(&e))?;
    let Some(id) = id else {
        return Ok(None);
    };
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT)
        .await
        .map_err(|e| internal(&e))?
        .unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    if now - signed_in_at > state.policy.session_max.as_secs() as i64 {
        session.flush().await.map_err(|e| internal(&e))?;
        return Ok(None);
    }
    let seen: Option<i64> = session.get(SEEN_MINUTE).await.map_err(|e| internal(&e))?;
    if seen != Some(now / 60) {
        session
            .insert(SEEN_MINUTE, now / 60)
            .await
            .map_err(|e| internal(&e))?;
    }
    match state.accounts.session_user(id).await {
        Ok(Some(view)) => Ok(Some(CurrentUser { id, view })),
        Ok(None) => {
            session.flush().await.map_err(|e| internal(&e))?;
            Ok(None)
        }
        Err(e) => Err(internal(&e)),
    }
}

/// Console requests need a signed-in user: pages redirect to the sign-in page, server
/// functions answer 401. The user rides along as a request extension.
pub async fn console_access(
    State(state): State<AccessState>,
    session: Session,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    // The bundle, static files, health and the API (its own check) need no user: no
    // session or user lookups for them.
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let user = match session_user(&state, &session).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    match user {
        Some(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None if request.method() == Method::GET || request.method() == Method::HEAD => {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            Redirect::to(&login_url(&[("next", &target)])).into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "sign in first"})),
        )
            .into_response(),
    }
}

/// The sign-in page with `params` in its query, each value percent-encoded ("/" kept, so
/// `next=/system` reads as it is).
pub fn login_url(params: &[(&str, &str)]) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    let query = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{LOGIN_PATH}?{query}")
}

/// What an API request needs: reads `read`, clearing the cache `admin`, other writes
/// `write`.
pub fn scope_needed(method: &Method, path: &str) -> Scope {
    if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
        Scope::Read
    } else if path == "/api/v1/cache/clear" {
        Scope::Admin
    } else {
        Scope::Write
    }
}

fn api_refusal(status: StatusCode, message: String) -> Response {
    let mut response =
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// The token from `Authorization: Bearer …`, if any.
pub fn bearer(request: &Request<Body>) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// API requests need a token whose scope allows them (or, when allowed, a read from this
/// machine).
pub async fn api_access(
    State(state): State<AccessState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let needed = scope_needed(request.method(), &path);
    let caller = match bearer(&request) {
        Some(token) => match token_caller(&state, token).await {
            Ok(caller) => caller,
            Err(refusal) => return refusal,
        },
        None => {
            let local = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
            if state.policy.local_reads && local && needed == Scope::Read {
                ApiCaller {
                    name: "local".into(),
                    scope: Scope::Read,
                    reads_secrets: false,
                }
            } else {
                return api_refusal(
                    StatusCode::UNAUTHORIZED,
                    "send an API token: Authorization: Bearer <token> (botconfig token create)"
                        .into(),
                );
            }
        }
    };
    if !caller.scope.allows(needed) {
        return api_refusal(
            StatusCode::FORBIDDEN,
            format!(
                "a {} token may not do this: it needs {} scope",
                caller.scope, needed
            ),
        );
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Whether a role may act; the refusal says what it needs.
pub fn require(user: &CurrentUser, needed: Role) -> Result<(), crate::domain::ConfigError> {
    if user.view.role.allows(needed) {
        Ok(())
    } else {
        Err(crate::domain::ConfigError::Forbidden(format!(
            "{} is a {}: this needs the {} role",
            user.view.name, user.view.role, needed
        )))
    }
}
