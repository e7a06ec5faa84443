//! The console's routes: the sign-in page and its form, the bundle and static files for
//! anyone; every other page and server function for a signed-in user.

use crate::app::{shell, App};
use crate::http::paths::{BUNDLE_PATH, FAVICON_PATH, LOGIN_PATH, SIGN_IN_PATH};
use crate::http::{AppState, Group, Requirement, Routes};
use axum::http::Method;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list_with_exclusions, LeptosRoutes};

/// A route as declared: its method and path.
type Declared = (Method, String);

/// What anyone may fetch of the console.
const PUBLIC: [&str; 2] = [LOGIN_PATH, SIGN_IN_PATH];

/// A static file, from memory (see `http::assets`).
async fn asset(
    axum::extract::State(assets): axum::extract::State<crate::http::assets::Assets>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    assets.respond(uri.path(), &headers)
}

pub fn routes(routes: Routes) -> Routes {
    let state = routes.state().clone();
    let server_fns: Vec<(String, Method)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method))
        .collect();
    let pages: Vec<String> = leptos_axum::generate_route_list(App)
        .iter()
        .map(|listing| listing.path().to_owned())
        .collect();
    let (public, signed_in): (Vec<Declared>, Vec<Declared>) = pages
        .iter()
        .map(|path| (Method::GET, path.clone()))
        .chain(server_fns.iter().map(|(p, m)| (m.clone(), p.clone())))
        .partition(|(_, path)| PUBLIC.contains(&path.as_str()));
    // Each part is Leptos's router over the app with the other part excluded.
    let console = |excluded: &[Declared]| -> Router<AppState> {
        let excluded = excluded.iter().map(|(_, path)| path.clone()).collect();
        let listing = generate_route_list_with_exclusions(App, Some(excluded));
        let leptos = state.leptos.clone();
        Router::new().leptos_routes_with_context(
            &state,
            listing,
            {
                let leptos = leptos.clone();
                move || provide_context(leptos.clone())
            },
            move || shell(leptos.clone()),
        )
    };
    let static_file = leptos_axum::file_and_error_handler::<AppState, _>(shell);
    let (public_router, signed_in_router) = (console(&signed_in), console(&public));
    routes
        .group(
            Requirement::Public,
            Group::new()
                .merge(public_router, public)
                .get(BUNDLE_PATH, asset)
                .get(FAVICON_PATH, asset),
        )
        .group(
            Requirement::SignedIn,
            Group::new().merge(signed_in_router, signed_in),
        )
        // Any other path: the 404 page, for a signed-in user.
        .fallback(Requirement::SignedIn, static_file)
}
