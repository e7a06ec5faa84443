//! `/system`: the global settings, grouped by category.

use crate::domain::system::{Category, SystemSetting};
use crate::domain::ConfigError;
use crate::web::components::ErrorNote;
use leptos::either::Either;
use leptos::prelude::*;

#[server]
pub async fn list_settings() -> Result<Vec<SystemSetting>, ConfigError> {
    crate::web::service()?.settings().await
}

#[component]
pub fn SystemPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| list_settings());
    view! {
        <h1>"System"</h1>
        <Transition fallback=|| view! { <p>"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(list) => Either::Left(
                        Category::ALL
                            .into_iter()
                            .map(|category| {
                                let group: Vec<SystemSetting> = list.iter().filter(|s| s.category == category).cloned().collect();
                                view! { <SettingsGroup category settings=group/> }
                            })
                            .collect_view(),
                    ),
                    Err(error) => Either::Right(view! { <ErrorNote error/> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsGroup(category: Category, settings: Vec<SystemSetting>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{category.title()}</h2>
            <table>
                <tbody>
                    {settings
                        .into_iter()
                        .map(|s| view! {
                            <tr>
                                <th scope="row">{s.label()} <br/><code>{s.key.clone()}</code></th>
                                <td class="num">{s.value.to_string()}</td>
                                <td>{s.description.clone()}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
