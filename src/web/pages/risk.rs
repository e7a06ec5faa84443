//! `/risk`: every pair's risk settings side by side.

use crate::domain::display::RISK_COLUMNS;
use crate::domain::risk::RiskConfig;
use crate::domain::ConfigError;
use crate::web::components::PageTitle;
use crate::web::components::{Loaded, TableHead};
use leptos::prelude::*;

#[server]
pub async fn list_risk() -> Result<Vec<RiskConfig>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Viewer,
        move |service| async move { service.all_risk().await },
    )
    .await
}

#[component]
pub fn RiskOverviewPage() -> impl IntoView {
    let risks = Resource::new(|| (), |_| list_risk());
    view! {
        <PageTitle text="Risk"/>
        <h1>"Risk"</h1>
        <Loaded resource=risks loading="Loading risk settings…" show={|list: Vec<RiskConfig>| view! {
                        <table>
                            <TableHead columns=RISK_COLUMNS/>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let link = format!("/pairs/{}/risk", r.symbol);
                                    let mut cells = r.cells().into_iter();
                                    let symbol = cells.next().unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><a href=link>{symbol}</a></th>
                                            {cells
                                                .zip(&RISK_COLUMNS[1..])
                                                .map(|(cell, column)| view! { <td class=column.numeric.then_some("num")>{cell}</td> })
                                                .collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }}/>
    }
}
