//! `/strategies`: the strategies the bot knows and their parameters.

use crate::domain::display::Column;
use crate::domain::strategy::Strategy;
use crate::domain::ConfigError;
use crate::web::components::Loaded;
use crate::web::components::PageTitle;
use crate::web::components::TableHead;
use leptos::prelude::*;

#[server]
pub async fn list_strategies() -> Result<Vec<Strategy>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Viewer,
        move |service| async move { service.strategies().await },
    )
    .await
}

const PARAMETER_COLUMNS: &[Column] = &[
    Column::text("Parameter"),
    Column::number("Min"),
    Column::number("Max"),
    Column::number("Default"),
    Column::text("Meaning"),
];

#[component]
pub fn StrategiesPage() -> impl IntoView {
    let strategies = Resource::new(|| (), |_| list_strategies());
    view! {
        <PageTitle text="Strategies"/>
        <h1>"Strategies"</h1>
        <p>"Each pair enables strategies and tunes their parameters from its own page."</p>
        <Loaded
            resource=strategies
            loading="Loading strategies…"
            show={|list: Vec<Strategy>| list.into_iter().map(|s| view! { <StrategyCard strategy=s/> }).collect_view()}
        />
    }
}

#[component]
fn StrategyCard(strategy: Strategy) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{strategy.display_name} " " <code>{strategy.name}</code></h2>
            <p>{strategy.description}</p>
            <table>
                <TableHead columns=PARAMETER_COLUMNS/>
                <tbody>
                    {strategy
                        .parameters
                        .into_iter()
                        .map(|p| view! {
                            <tr>
                                <th scope="row">{p.label}</th>
                                <td class="num">{p.min.to_string()}</td>
                                <td class="num">{p.max.to_string()}</td>
                                <td class="num">{p.default.to_string()}</td>
                                <td>{p.help}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
