//! What a route requires of its caller, declared where the route is declared (see
//! `routes::Routes::group`) and enforced by a route layer: nobody, a signed-in console
//! user, or an API token of at least a scope. Roles are then checked where the console's
//! work is done (`web::as_role`), so a hand-made request is refused like a click.

use super::extract::{api_caller, sign_in_first, signed_in};
use super::session::login_url;
use super::state::AppState;
use crate::domain::auth::Scope;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone: the sign-in page and its form, the bundle and static files, health.
    Public,
    /// A signed-in console user (pages redirect to the sign-in page, the rest answers 401).
    SignedIn,
    /// An API token whose scope allows this one.
    Token(Scope),
    /// Monitoring: an admin token, or, when the policy allows it, a caller on this machine.
    Monitor,
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Public => f.write_str("public"),
            Requirement::SignedIn => f.write_str("signed in"),
            Requirement::Token(scope) => write!(f, "{scope} token"),
            Requirement::Monitor => f.write_str("admin token or local"),
        }
    }
}

impl Requirement {
    /// `router` with every route guarded by this requirement.
    pub(super) fn guard(self, router: Router<AppState>, state: &AppState) -> Router<AppState> {
        match self {
            Requirement::Public => router,
            Requirement::SignedIn => router.route_layer(from_fn_with_state(state.clone(), user)),
            Requirement::Token(scope) => {
                router.route_layer(from_fn_with_state((state.clone(), scope), token))
            }
            Requirement::Monitor => router.route_layer(from_fn_with_state(state.clone(), monitor)),
        }
    }

    /// `router` guarded as a whole, its fallback too (which `guard` leaves out).
    pub(super) fn guard_all(self, router: Router<AppState>, state: &AppState) -> Router<AppState> {
        match self {
            Requirement::Public => router,
            Requirement::SignedIn => router.layer(from_fn_with_state(state.clone(), user)),
            Requirement::Token(scope) => {
                router.layer(from_fn_with_state((state.clone(), scope), token))
            }
            Requirement::Monitor => router.layer(from_fn_with_state(state.clone(), monitor)),
        }
    }
}

/// Monitoring needs an admin token, unless the policy opens it to this machine and the
/// request comes from it without a token.
async fn monitor(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let local = state.access.local_metrics
        && !request
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
        && request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|axum::extract::ConnectInfo(addr)| addr.ip().is_loopback());
    if local {
        return next.run(request).await;
    }
    token(State((state, Scope::Admin)), request, next).await
}

/// A console request needs a signed-in user: a page redirects to the sign-in page (coming
/// back afterwards), anything else answers 401. The user rides along to the handler.
pub(super) async fn user(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    match signed_in(&state, &mut parts).await {
        Err(response) => response,
        Ok(Some(_)) => next.run(Request::from_parts(parts, body)).await,
        Ok(None) if parts.method == Method::GET || parts.method == Method::HEAD => {
            let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Redirect::to(&login_url(&[("next", target)])).into_response()
        }
        Ok(None) => sign_in_first(),
    }
}

/// An API request needs a token whose scope allows `scope` (or, when the policy allows it,
/// a read from this machine). The caller rides along to the handler.
async fn token(
    State((state, scope)): State<(AppState, Scope)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match api_caller(&state, &parts, scope).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refusal,
    }
}
