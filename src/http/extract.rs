//! The caller as a handler parameter: a route's requirement (`require`) establishes it
//! before the handler runs; a handler that names `ApiCaller` or `CurrentUser` gets it, and
//! even on a route without that requirement the extractor checks for itself rather than
//! failing at run time.

use super::caller::{ApiCaller, CurrentUser};
use super::error::refusal;
use super::state::AppState;
use crate::domain::auth::Scope;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

/// The token from `Authorization: Bearer …`, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The API caller of a request that needs `needed`: its token's holder, or, when the
/// policy allows local reads, a read from this machine. `Err` is the refusal to send.
pub(super) async fn api_caller(
    state: &AppState,
    parts: &Parts,
    needed: Scope,
) -> Result<ApiCaller, Response> {
    let caller = match bearer(parts) {
        Some(token) => super::tokens::token_caller(&state.service, &state.verified, token).await?,
        None => {
            let local = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
            if state.access.local_reads && local && needed == Scope::Read {
                ApiCaller {
                    name: "local".into(),
                    scope: Scope::Read,
                    reads_secrets: false,
                }
            } else {
                return Err(refusal(
                    StatusCode::UNAUTHORIZED,
                    "send an API token: Authorization: Bearer <token> (botconfig token create)",
                ));
            }
        }
    };
    if !caller.scope.allows(needed) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            &format!(
                "a {} token may not do this: it needs {} scope",
                caller.scope, needed
            ),
        ));
    }
    Ok(caller)
}

impl<S> FromRequestParts<S> for ApiCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        if let Some(caller) = parts.extensions.get::<ApiCaller>() {
            return Ok(caller.clone());
        }
        let caller = api_caller(&AppState::from_ref(state), parts, Scope::Read).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// The signed-in user of a request, if any: `Err` only when sessions cannot be read.
pub(super) async fn signed_in(
    state: &AppState,
    parts: &mut Parts,
) -> Result<Option<CurrentUser>, Response> {
    if let Some(user) = parts.extensions.get::<CurrentUser>() {
        return Ok(Some(user.clone()));
    }
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let user = super::session::session_user(state, &session).await?;
    if let Some(user) = &user {
        parts.extensions.insert(user.clone());
    }
    Ok(user)
}

/// The answer to a console request that needs a user and has none.
pub(super) fn sign_in_first() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({"error": "sign in first"})),
    )
        .into_response()
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        signed_in(&AppState::from_ref(state), parts)
            .await?
            .ok_or_else(sign_in_first)
    }
}
