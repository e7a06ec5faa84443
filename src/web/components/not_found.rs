//! The page for any address that names nothing.

use leptos::prelude::*;

/// Sets the 404 status on the server-rendered response.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <section>
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. " <a href="/">"Back to the dashboard"</a></p>
        </section>
    }
}
