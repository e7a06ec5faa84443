//! The warnings about what a page's forms set (see `domain::warnings`), shown on that page:
//! a warning belongs to the page its link leads to. They are read again after every save.

use crate::domain::warnings::Warning;
use crate::domain::ConfigError;
use leptos::prelude::*;

/// The warnings whose form is at `path` (`/pairs/ETH/USDT/risk`, `/system`).
#[server]
pub async fn warnings_for_page(path: String) -> Result<Vec<Warning>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Viewer,
        move |service| async move {
            let report = service.validate().await?;
            let page_of = |href: &str| {
                let end = href.find(['#', '?']).unwrap_or(href.len());
                href[..end].to_owned()
            };
            Ok(report
                .details
                .into_iter()
                .filter(|w| page_of(&w.href) == path)
                .collect())
        },
    )
    .await
}

/// A counter every save moves (see `reload_after_save`): what depends on the whole
/// configuration, like the warnings, is read again after it.
#[derive(Clone, Copy)]
pub struct ConfigChanged(pub RwSignal<u32>);

/// Provides `ConfigChanged`; once, in the layout.
pub fn provide_config_changed() {
    provide_context(ConfigChanged(RwSignal::new(0)));
}

/// Moves `ConfigChanged`, if there is one.
pub fn config_changed() {
    if let Some(ConfigChanged(counter)) = use_context::<ConfigChanged>() {
        counter.update(|c| *c += 1);
    }
}

/// This page's warnings, each linking to its field; nothing when there are none.
#[component]
pub fn FormWarnings() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let changed = use_context::<ConfigChanged>().map(|c| c.0);
    // Read in the browser only: the page is whole without them, and a read that the server
    // rendered inside the page's own suspended data would have to hydrate in step with it.
    let warnings = LocalResource::new(move || {
        let path = location.pathname.get();
        changed.map(|c| c.get());
        warnings_for_page(path)
    });
    view! {
        <div class="form-warnings-slot">
            {move || {
                let found = warnings.get().and_then(Result::ok).unwrap_or_default();
                (!found.is_empty()).then(|| view! {
                    <div class="note warning form-warnings" role="region" aria-label="Warnings">
                        <strong>"Warnings (allowed, but worth a look):"</strong>
                        <ul>
                            {found.into_iter().map(|w| {
                                let fields = w.fields.iter()
                                    .map(|f| crate::domain::fields::form_label(f))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                view! {
                                    <li>{w.message} " " <a href=w.href>{format!("Go to {fields}")}</a></li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
        </div>
    }
}
