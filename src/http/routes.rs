//! The server's routes, built from groups that each carry their requirement, so a route
//! cannot exist without one; the table of what was built (method, path, requirement) is
//! kept, for the test that calls every route as every kind of caller.

use super::require::Requirement;
use super::state::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use axum::Router;

/// One route of the built router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// The path as declared (`/api/v1/pairs/{symbol}`); the fallback's is `*`.
    pub path: String,
    pub requirement: Requirement,
}

/// Routes that share a requirement, declared together.
#[derive(Default)]
pub struct Group {
    router: Router<AppState>,
    declared: Vec<(Method, String)>,
}

impl Group {
    pub fn new() -> Self {
        Self::default()
    }

    /// `path` answered by `route` for each of `methods` (what `route` handles).
    pub fn route(mut self, path: &str, methods: &[Method], route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.declared
            .extend(methods.iter().map(|m| (m.clone(), path.to_owned())));
        self
    }

    /// Routes built elsewhere (the console's pages and server functions), with the methods
    /// and paths they answer.
    pub fn merge(
        mut self,
        router: Router<AppState>,
        declared: impl IntoIterator<Item = (Method, String)>,
    ) -> Self {
        self.router = self.router.merge(router);
        self.declared.extend(declared);
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route(path, &[Method::GET], axum::routing::get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route(path, &[Method::POST], axum::routing::post(handler))
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route(path, &[Method::PUT], axum::routing::put(handler))
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.route(path, &[Method::DELETE], axum::routing::delete(handler))
    }
}

/// The server's router under construction, and its table.
pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// The state the routes will share.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// `group`'s routes, each guarded by `requirement`.
    pub fn group(mut self, requirement: Requirement, group: Group) -> Self {
        let guarded = requirement.guard(group.router, &self.state);
        self.router = self.router.merge(guarded);
        self.table
            .extend(group.declared.into_iter().map(|(method, path)| RouteInfo {
                method,
                path,
                requirement,
            }));
        self
    }

    /// What answers every path no route declares, guarded by `requirement`.
    pub fn fallback<H: Handler<T, AppState>, T: 'static>(
        mut self,
        requirement: Requirement,
        handler: H,
    ) -> Self {
        let guarded = requirement.guard_all(Router::new().fallback(handler), &self.state);
        self.router = self
            .router
            .fallback_service(guarded.with_state(self.state.clone()));
        self.table.push(RouteInfo {
            method: Method::GET,
            path: "*".into(),
            requirement,
        });
        self
    }

    /// The router, ready to serve, and its table.
    pub fn finish(self) -> (Router, Vec<RouteInfo>) {
        (self.router.with_state(self.state), self.table)
    }
}
