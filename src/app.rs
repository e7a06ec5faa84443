//! The console's HTML shell, layout, navigation and routes.

use crate::web::pages::{
    benchmark::BenchmarkPage, dashboard::DashboardPage, not_found::NotFound, pair::PairPage,
    pair_risk::PairRiskPage, pair_strategies::PairStrategiesPage, pairs::PairsPage,
    risk::RiskOverviewPage, strategies::StrategiesPage, system::SystemPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    ParamSegment, SsrMode, StaticSegment,
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.ico"/>
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once the WASM has hydrated the page:
    // end-to-end tests wait for it before relying on client behaviour.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/botconfig.css"/>
        <Title text="botconfig"/>
        <Router>
            <div class="layout" data-hydrated=move || hydrated.get().to_string()>
                <header class="topbar">
                    <a class="brand" href="/">"botconfig"</a>
                    <nav aria-label="Main">
                        <A href="/" exact=true>"Dashboard"</A>
                        <A href="/pairs">"Pairs"</A>
                        <A href="/strategies">"Strategies"</A>
                        <A href="/risk">"Risk"</A>
                        <A href="/system">"System"</A>
                        <A href="/benchmark">"Benchmark"</A>
                    </nav>
                </header>
                <main>
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
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
