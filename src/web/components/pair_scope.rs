//! What the pages of one pair share: the symbol their route names, showing a pair-scoped
//! value or a 404 page, and activating or deactivating the pair (the Pairs list does too).

use crate::domain::pair::TradingPair;
use crate::domain::ConfigError;
use crate::web::components::not_found::{set_not_found_status, NotFound};
use crate::web::components::ErrorNote;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Activates or deactivates a pair.
#[server]
pub async fn set_pair_active(symbol: String, active: bool) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Editor,
        move |service| async move {
            service
                .set_pair_active(&crate::service::parse_symbol(&symbol)?, active)
                .await
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
/// does not exist is the 404 page: every page of one pair loads through this.
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
    view! {
        <Transition fallback=move || view! { <p>{loading}</p> }>
            {move || {
                let show = show.clone();
                Suspend::new(async move { pair_scoped(resource.await, show) })
            }}
        </Transition>
    }
}

/// Shows `view` for a loaded pair-scoped value, a 404 page when the pair does not exist,
/// or the error.
fn pair_scoped<T, V: IntoView + 'static>(
    result: Result<T, ConfigError>,
    view: impl FnOnce(T) -> V,
) -> EitherOf3<V, AnyView, AnyView> {
    match result {
        Ok(value) => EitherOf3::A(view(value)),
        Err(ConfigError::NotFound(_)) | Err(ConfigError::Invalid(_)) => {
            set_not_found_status();
            EitherOf3::B(view! { <NotFound/> }.into_any())
        }
        Err(error) => EitherOf3::C(view! { <ErrorNote error/> }.into_any()),
    }
}
