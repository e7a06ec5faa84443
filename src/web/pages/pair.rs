//! `/pairs/{BASE}/{QUOTE}`: one pair's settings.

use crate::domain::pair::TradingPair;
use crate::domain::ConfigError;
use crate::web::components::{ActiveBadge, ErrorNote};
use crate::web::pages::not_found::{set_not_found_status, NotFound};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// One pair, read fresh.
#[server]
pub async fn get_pair(symbol: String) -> Result<TradingPair, ConfigError> {
    crate::web::service()?.pair(&symbol).await
}

/// The symbol named by the route's `base` and `quote` segments.
pub fn use_route_symbol() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| {
        let p = params.read();
        format!(
            "{}/{}",
            p.get("base").unwrap_or_default(),
            p.get("quote").unwrap_or_default()
        )
    })
}

#[component]
pub fn PairPage() -> impl IntoView {
    let symbol = use_route_symbol();
    // Blocking, so a missing pair can still set the 404 status before the response starts.
    let pair = Resource::new_blocking(move || symbol.get(), get_pair);
    view! {
        <Suspense fallback=|| view! { <p>"Loading pair…"</p> }>
            {move || Suspend::new(async move {
                match pair.await {
                    Ok(pair) => EitherOf3::A(view! { <PairDetails pair/> }),
                    Err(ConfigError::NotFound(_)) | Err(ConfigError::Invalid(_)) => {
                        set_not_found_status();
                        EitherOf3::B(view! { <NotFound/> })
                    }
                    Err(error) => EitherOf3::C(view! { <ErrorNote error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PairDetails(pair: TradingPair) -> impl IntoView {
    view! {
        <h1>{pair.symbol.to_string()} " " <ActiveBadge active=pair.is_active/></h1>
        <dl class="facts">
            <dt>"Initial balance"</dt><dd class="num">{pair.initial_balance.to_string()}</dd>
            <dt>"Trade size (USD)"</dt><dd class="num">{pair.trade_size_usd.to_string()}</dd>
            <dt>"Max position (%)"</dt><dd class="num">{pair.max_position_percent.to_string()}</dd>
            <dt>"Min trade amount"</dt><dd class="num">{pair.min_trade_amount.to_string()}</dd>
            <dt>"Max trade amount"</dt><dd class="num">{pair.max_trade_amount.to_string()}</dd>
            <dt>"Price precision"</dt><dd class="num">{pair.price_precision}</dd>
            <dt>"Amount precision"</dt><dd class="num">{pair.amount_precision}</dd>
        </dl>
    }
}
