//! "Paper trading" or "LIVE trading" in the top bar on every page: what the bots do now is
//! never more than a glance away. Read again on each navigation.

use crate::domain::ConfigError;
use leptos::prelude::*;

/// Whether paper trading is on (a missing setting is paper, as bots read it).
#[server]
pub async fn paper_trading() -> Result<bool, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Viewer,
        move |service| async move {
            let settings = service
                .bot_settings(crate::service::ReadFrom::Cache)
                .await?;
            match settings.iter().find(|s| s.key == "paper_trading") {
                Some(setting) => setting.bool(),
                None => Ok(true),
            }
        },
    )
    .await
}

#[component]
pub fn TradingModeBadge() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let mode = Resource::new(move || location.pathname.get(), |_| paper_trading());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match mode.await {
                    Ok(true) => view! { <span class="badge mode-paper" title="Bots simulate orders">"Paper trading"</span> }.into_any(),
                    Ok(false) => view! { <span class="badge mode-live" title="Bots send real orders">"LIVE trading"</span> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}
