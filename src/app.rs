//! The console's HTML shell, layout, navigation and routes.

use crate::web::auth::{LoginPage, UserMenu};
use crate::web::components::not_found::NotFound;
use crate::web::components::unsaved::UnsavedEdits;
use crate::web::pages::fleet::FleetPage;
use crate::web::pages::history::HistoryPage;
use crate::web::pages::tokens::TokensPage;
use crate::web::pages::users::UsersPage;
use crate::web::pages::{
    benchmark::BenchmarkPage, dashboard::DashboardPage, pair::PairPage, pair_risk::PairRiskPage,
    pair_strategies::PairStrategiesPage, pairs::PairsPage, risk::RiskOverviewPage,
    strategies::StrategiesPage, system::SystemPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    ParamSegment, SsrMode, StaticSegment,
};

/// The policy for a console page: the bundle, and only the inline scripts Leptos writes
/// for this response (hydration, streamed resources), which carry its nonce.
pub fn page_content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = axum::http::HeaderValue::from_str(&page_content_security_policy(&nonce))
        {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.ico"/>
                // The bundle's names carry their content's hash in a release build.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// After a navigation to another page, the keyboard starts at its content, as after a full
/// page load, rather than on the link that was followed (a filter that rewrites the query
/// leaves it where it is).
#[component]
fn FocusOnNavigation() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            if let Some(main) = document().get_element_by_id("main") {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(main) = main.dyn_into::<leptos::web_sys::HtmlElement>() {
                    let _ = main.focus();
                }
            }
        }
        path
    });
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in, decided on the server and carried to the client with the page.
    let user = SharedValue::new(crate::web::auth::signed_in_user).into_inner();
    provide_context(user.clone());
    crate::web::components::form_warnings::provide_config_changed();
    // Effects run only in the browser, so this flips once the WASM has hydrated the page:
    // end-to-end tests wait for it before relying on client behaviour.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="botconfig"/>
        <Router>
            <div class="layout" data-hydrated=move || hydrated.get().to_string()>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <FocusOnNavigation/>
                <header class="topbar">
                    <a class="brand" href="/">"botconfig"</a>
                    {user.is_some().then(|| view! {
                        <nav aria-label="Main">
                            <A href="/" exact=true>"Dashboard"</A>
                            <A href="/pairs">"Pairs"</A>
                            <A href="/strategies">"Strategies"</A>
                            <A href="/risk">"Risk"</A>
                            <A href="/system">"System"</A>
                            <A href="/history">"History"</A>
                            <A href="/benchmark">"Benchmark"</A>
                            <A href="/fleet">"Fleet"</A>
                            {crate::web::auth::allowed(crate::domain::auth::Role::Admin)
                                .then(|| view! { <A href="/tokens">"Tokens"</A> <A href="/users">"Users"</A> })}
                        </nav>
                        <crate::web::components::trading_mode::TradingModeBadge/>
                    })}
                    <UserMenu/>
                </header>
                <main id="main" tabindex="-1">
                    <UnsavedEdits>
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=DashboardPage/>
                        <Route path=StaticSegment("pairs") view=PairsPage/>
                        // Rendered whole before the response starts, so a missing pair can answer 404.
                        <Route
                            path=(StaticSegment("pairs"), ParamSegment("base"), ParamSegment("quote"))
                            view=PairPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=(StaticSegment("pairs"), ParamSegment("base"), ParamSegment("quote"), StaticSegment("risk"))
                            view=PairRiskPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=(StaticSegment("pairs"), ParamSegment("base"), ParamSegment("quote"), StaticSegment("strategies"))
                            view=PairStrategiesPage
                            ssr=SsrMode::Async
                        />
                        <Route path=StaticSegment("strategies") view=StrategiesPage/>
                        <Route path=StaticSegment("risk") view=RiskOverviewPage/>
                        <Route path=StaticSegment("system") view=SystemPage/>
                        <Route path=StaticSegment("benchmark") view=BenchmarkPage/>
                        <Route path=StaticSegment("history") view=HistoryPage/>
                        <Route path=StaticSegment("fleet") view=FleetPage/>
                        <Route path=StaticSegment("login") view=LoginPage/>
                        <Route path=StaticSegment("tokens") view=TokensPage/>
                        <Route path=StaticSegment("users") view=UsersPage/>
                    </Routes>
                    </UnsavedEdits>
                </main>
            </div>
        </Router>
    }
}
