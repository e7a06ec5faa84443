//! What the pages of one pair share: the symbol their route names, showing a pair-scoped
//! value or a 404 page, and activating or deactivating the pair (the Pairs list does too).

use crate::domain::pair::TradingPair;
use crate::domain::ConfigError;
use crate::web::components::not_found::{set_not_found_status, NotFound};
use crate::web::components::{loaded_or, ErrorNote};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Activates or deactivates a pair; deactivating an active one only once `confirm`ed.
#[server]
pub async fn set_pair_active(
    symbol: String,
    active: bool,
    #[server(default)] confirm: bool,
) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Editor,
        move |service| async move {
            let symbol = crate::service::parse_symbol(&symbol)?;
            if !active {
                let proposal = crate::service::Proposal::Deactivate(symbol.clone());
                service.ask_first(&proposal, confirm).await?;
            }
            service.set_pair_active(&symbol, active).await
        },
    )
    .await
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

/// A pair-scoped server read shown as `Loaded` shows any read, except that a pair that
/// does not exist (or a symbol that is not one) is the 404 page: every page of one pair
/// loads through this.
#[component]
pub fn PairLoaded<T, V, F>(
    resource: Resource<Result<T, ConfigError>>,
    loading: &'static str,
    show: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + Send + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    loaded_or(resource, loading, show, |error| match error {
        ConfigError::NotFound(_) | ConfigError::Invalid(_) => {
            set_not_found_status();
            view! { <NotFound/> }.into_any()
        }
        error => view! { <ErrorNote error/> }.into_any(),
    })
}
