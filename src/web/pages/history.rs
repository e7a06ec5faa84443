//! `/history`: every recorded change, newest first, filtered by pair, table, actor and
//! time, each as a readable diff; rolling one back (or everything made with it).

use crate::domain::auth::Role;
use crate::domain::display::{history_cells, HISTORY_COLUMNS};
use crate::domain::history::{ChangeRecord, HistoryPage, HistoryQuery, TABLES};
use crate::domain::ConfigError;
use crate::web::auth::allowed;
use crate::web::components::confirm::last_input;
use crate::web::components::PageTitle;
use crate::web::components::{ErrorNote, Loaded, TableHead};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What the history page shows: a page of the changes, and who appears in them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryView {
    pub page: HistoryPage,
    pub actors: Vec<String>,
}

/// The changes matching the page's filters, a page at a time.
#[server]
pub async fn list_history(query: HistoryQuery) -> Result<HistoryView, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        let filter = query.filter(chrono::Utc::now())?;
        Ok(HistoryView {
            page: service.history(&filter).await?,
            actors: service.history_actors().await?,
        })
    })
    .await
}

/// Reverts change `id` (with `whole`, everything made with it). An editor may revert their
/// own changes, an admin anyone's; without `confirm`, a row changed since is left alone.
#[server]
pub async fn roll_back(id: i64, whole: bool, confirm: bool) -> Result<String, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        let user = crate::web::current_user()?;
        if !user.view.role.allows(Role::Admin) && service.change(id).await?.actor != user.view.name
        {
            return Err(ConfigError::Forbidden(format!(
                "{} is an editor: only an admin may roll back someone else's change",
                user.view.name
            )));
        }
        let ids = service.revert(id, whole, confirm).await?;
        Ok(format!(
            "Rolled back change #{id}{}; recorded as #{}.",
            if whole {
                " and everything made with it"
            } else {
                ""
            },
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", #")
        ))
    })
    .await
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let roll = ServerAction::<RollBack>::new();
    let history_query = move || HistoryQuery::from_params(|name| query.read().get(name));
    let changes = Resource::new(
        move || (history_query(), roll.version().get()),
        |(query, _)| list_history(query),
    );
    // A refused rollback is confirmed with what was asked.
    let last_input = last_input(roll);
    let outcome = move || {
        roll.value().get().map(|result| match result {
            Ok(message) => view! { <p class="note ok" role="status">{message}</p> }.into_any(),
            Err(ConfigError::Conflict(message)) => {
                let last = last_input.get();
                view! {
                    <div class="note error" role="alert">
                        <strong>"Not rolled back: "</strong> {message}
                        {last.map(|input| view! {
                            <RollBackForm roll id=input.id whole=input.whole confirm=true
                                label="Roll back anyway".into() name="Roll back anyway".into()/>
                        })}
                    </div>
                }
                .into_any()
            }
            Err(error) => view! { <ErrorNote error/> }.into_any(),
        })
    };
    view! {
        <PageTitle text="History"/>
        <h1>"History"</h1>
        <form method="get" action="/history" class="filters">
            <div class="field">
                <label for="history-pair">"Pair"</label>
                <input id="history-pair" name="pair" type="text" placeholder="btc, SOL/USDT" value=param("pair")/>
            </div>
            <div class="field">
                <label for="history-table">"Table"</label>
                <select id="history-table" name="table">
                    <option value="">"All tables"</option>
                    {TABLES.iter().map(|(name, title)| {
                        view! { <option value=*name selected=param("table") == *name>{*title}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="history-actor">"Who"</label>
                <input id="history-actor" name="actor" type="text" placeholder="alice, cli:ops, sql:postgres" value=param("actor")/>
            </div>
            <div class="field">
                <label for="history-since">"Since"</label>
                <input id="history-since" name="since" type="text" placeholder="2h, 7d, 2026-11-25" value=param("since")/>
            </div>
            <div class="actions"><button type="submit">"Filter"</button></div>
        </form>
        {outcome}
        <Loaded resource=changes loading="Loading the history…" show=move |view: HistoryView| {
            let query = history_query();
            let caption = view.page.caption(query.offset());
            let pages = HistoryQuery::pages(view.page.total);
            let previous = (query.page > 1).then(|| {
                let href = format!("/history{}", query.at_page(query.page - 1));
                view! { <a href=href rel="prev">"Newer changes"</a> }
            });
            let next = (query.page < pages).then(|| {
                let href = format!("/history{}", query.at_page(query.page + 1));
                view! { <a href=href rel="next">"Older changes"</a> }
            });
            view! {
                <p class="list-summary" aria-live="polite">{caption}</p>
                <HistoryTable changes=view.page.changes roll/>
                <nav class="pager" aria-label="Pages">{previous}" "{next}</nav>
            }
        }/>
    }
}

#[component]
fn HistoryTable(changes: Vec<ChangeRecord>, roll: ServerAction<RollBack>) -> impl IntoView {
    if changes.is_empty() {
        return ().into_any();
    }
    let group_sizes = |txid: i64| changes.iter().filter(|c| c.txid == txid).count();
    let rows = changes
        .iter()
        .map(|change| {
            let cells = history_cells(change)
                .into_iter()
                .enumerate()
                .map(|(i, cell)| view! { <td class=HISTORY_COLUMNS[i].numeric.then_some("num")>{cell}</td> })
                .collect_view();
            let id = change.id;
            let together = group_sizes(change.txid);
            let can_roll = change.operation != "truncate" && allowed(Role::Editor);
            view! {
                <tr>
                    {cells}
                    <td>
                        {can_roll.then(|| view! {
                            <RollBackForm roll id whole=false confirm=false
                                label="Roll back".into() name=format!("Roll back change {id}")/>
                        })}
                        {(can_roll && together > 1).then(|| view! {
                            <RollBackForm roll id whole=true confirm=false
                                label=format!("Roll back all {together}")
                                name=format!("Roll back change {id} and the {together} made with it")/>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table>
                <TableHead columns=HISTORY_COLUMNS_WITH_ACTION/>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p class="hint">"A rollback is a new change: history is never rewritten."</p>
    }
    .into_any()
}

/// One rollback button: `label` shown, `name` its accessible name.
#[component]
fn RollBackForm(
    roll: ServerAction<RollBack>,
    id: i64,
    whole: bool,
    confirm: bool,
    label: String,
    name: String,
) -> impl IntoView {
    view! {
        <ActionForm action=roll>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="whole" value=whole.to_string()/>
            <input type="hidden" name="confirm" value=confirm.to_string()/>
            <button type="submit" aria-label=name>{label}</button>
        </ActionForm>
    }
}

const HISTORY_COLUMNS_WITH_ACTION: &[crate::domain::display::Column] = &[
    HISTORY_COLUMNS[0],
    HISTORY_COLUMNS[1],
    HISTORY_COLUMNS[2],
    HISTORY_COLUMNS[3],
    HISTORY_COLUMNS[4],
    HISTORY_COLUMNS[5],
    crate::domain::display::Column::text("Roll back"),
];
