//! `/fleet`: every reader of the configuration (server instances and client replicas) with
//! its applied revision, lag behind the database and last report, refreshed every 2 s.

use crate::domain::display::FLEET_COLUMNS;
use crate::domain::fleet::Fleet;
use crate::domain::ConfigError;
use crate::web::components::PageTitle;
use crate::web::components::{ticker, Loaded, TableHead};
use leptos::prelude::*;

#[server]
pub async fn get_fleet() -> Result<Fleet, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Viewer,
        move |service| async move { service.fleet(None, None).await },
    )
    .await
}

#[component]
pub fn FleetPage() -> impl IntoView {
    let tick = ticker(std::time::Duration::from_secs(2));
    let fleet = Resource::new(move || tick.get(), |_| get_fleet());
    view! {
        <PageTitle text="Fleet"/>
        <h1>"Fleet"</h1>
        <p>"Every reader of the configuration: the servers, and the client replicas in bots' processes (they report on connecting and every 5 s)."</p>
        <Loaded resource=fleet loading="Loading the fleet…" show=|fleet: Fleet| view! { <FleetTable fleet/> }/>
    }
}

#[component]
fn FleetTable(fleet: Fleet) -> impl IntoView {
    let warnings = fleet.warnings();
    let summary = format!(
        "Database at revision {}. {} reader(s); {} with a warning (behind longer than {} s or silent longer than {} s).",
        fleet.database_revision,
        fleet.readers.len(),
        warnings,
        fleet.behind_warning_seconds,
        fleet.silent_warning_seconds
    );
    let note_class = if warnings > 0 { "note warning" } else { "note" };
    view! {
        <p role="status" class=note_class>{summary}</p>
        <div class="table-scroll" tabindex="0" aria-label="Readers (scrolls sideways on a narrow screen)">
            <table aria-label="Readers">
                <TableHead columns=FLEET_COLUMNS/>
                <tbody>
                    {fleet.readers.into_iter().map(|reader| {
                        let warned = reader.warning.is_some();
                        let mut cells = reader.cells().into_iter();
                        let name = cells.next().unwrap_or_default();
                        view! {
                            <tr class=warned.then_some("reader-warning")>
                                <th scope="row">{name}</th>
                                {cells
                                    .zip(&FLEET_COLUMNS[1..])
                                    .map(|(cell, column)| view! { <td class=column.numeric.then_some("num")>{cell}</td> })
                                    .collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
