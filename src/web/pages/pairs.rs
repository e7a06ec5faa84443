//! `/pairs`: every pair with its state, filtered, sorted and paged by the URL; activate
//! or deactivate one.

use crate::domain::auth::Role;
use crate::domain::display::thousands;
use crate::domain::pair::{PairForm, TradingPair};
use crate::domain::pair_list::{PairListPage, PairQuery, SortKey, StateFilter};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::bulk::BulkEditor;
use crate::web::components::confirm::{last_input, questions_of, ConfirmDialog};
use crate::web::components::form_warnings::FormWarnings;
use crate::web::components::pair_form::{PairSettingsFields, SymbolField};
pub use crate::web::components::pair_scope::SetPairActive;
use crate::web::components::pause::PauseBadge;
use crate::web::components::PageTitle;
use crate::web::components::{submission_errors, ActiveBadge, ErrorNote, Loaded, SaveOutcome};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// One page of the pairs the URL's filter and sort ask for (see `PairQuery`).
#[server]
pub async fn list_pairs(
    q: String,
    quote: String,
    state: String,
    sort: String,
    desc: bool,
    page: usize,
) -> Result<PairListPage, ConfigError> {
    let desc = if desc { "1" } else { "" }.to_owned();
    let page = page.to_string();
    let query = PairQuery::from_params(|name| {
        match name {
            "q" => Some(&q),
            "quote" => Some(&quote),
            "state" => Some(&state),
            "sort" => Some(&sort),
            "desc" => Some(&desc),
            "page" => Some(&page),
            _ => None,
        }
        .cloned()
    });
    crate::web::as_role(Role::Viewer, move |service| async move {
        Ok(query.page_of(&service.all_pairs().await?, chrono::Utc::now()))
    })
    .await
}

/// Creates a pair (default risk, no strategies yet).
#[server]
pub async fn add_pair(
    form: PairForm,
    template: Option<String>,
) -> Result<TradingPair, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        // A template is checked before the pair is made: a bad one makes nothing.
        let template = match template.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(symbol) => Some(
                service
                    .pair(&crate::service::parse_symbol(symbol)?)
                    .await?
                    .symbol,
            ),
        };
        let pair = service.create_pair(&form).await?;
        if let Some(template) = template {
            // Its risk and strategies, as the template has them.
            let plan = service
                .plan_copy(&template, std::slice::from_ref(&pair.symbol), true, true)
                .await?;
            service.apply_plan(&plan).await?;
        }
        Ok(pair)
    })
    .await
}

/// The console's address for a pair's pages: `/pairs/BTC/USDT`.
pub fn pair_href(pair: &TradingPair) -> String {
    format!("/pairs/{}", pair.symbol)
}

/// The list's columns: header, the key it sorts by (if any), numeric.
const PAIR_COLUMNS: [(&str, Option<SortKey>, bool); 7] = [
    ("Select", None, false),
    ("Symbol", Some(SortKey::Symbol), false),
    ("Status", Some(SortKey::Status), false),
    ("Initial balance", Some(SortKey::InitialBalance), true),
    ("Trade size (USD)", Some(SortKey::TradeSize), true),
    ("Max position", Some(SortKey::MaxPosition), true),
    ("Action", None, false),
];

/// The address of the Pairs list as `query` narrows it.
fn list_href(query: &PairQuery) -> String {
    format!("/pairs{}", query.to_query())
}

#[component]
pub fn PairsPage() -> impl IntoView {
    let toggle = ServerAction::<SetPairActive>::new();
    let add = ServerAction::<AddPair>::new();
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        PairQuery::from_params(|name| params.get(name))
    });
    let selected = RwSignal::new(std::collections::BTreeSet::<String>::new());
    let bulk_applied = RwSignal::new(0u32);
    let pairs = Resource::new(
        move || {
            (
                query.get(),
                toggle.version().get(),
                add.version().get(),
                bulk_applied.get(),
            )
        },
        |(q, _, _, _)| {
            list_pairs(
                q.text,
                q.quote.unwrap_or_default(),
                q.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                q.sort.as_str().to_owned(),
                q.descending,
                q.page,
            )
        },
    );

    let matching = Signal::derive(move || {
        pairs
            .get()
            .and_then(Result::ok)
            .map_or(0, |page| page.matching)
    });
    let outcome = move || {
        toggle.value().get().map(|result| match result {
            Ok(pair) => Either::Left(view! {
                <p class="note ok" role="status">
                    {format!("{} is now {}.", pair.symbol, if pair.is_active { "active" } else { "inactive" })}
                </p>
            }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })
    };

    // Every row's button shares the action: one dialog asks, and sends the row's input again.
    let asked = last_input(toggle);
    let confirm_deactivation = move || {
        asked.get().map(|input| view! {
            <ActionForm action=toggle>
                <input type="hidden" name="symbol" value=input.symbol.clone()/>
                <input type="hidden" name="active" value=input.active.to_string()/>
                <ConfirmDialog questions=questions_of(toggle.value()) confirm_label=format!("Deactivate {}", input.symbol)/>
            </ActionForm>
        })
    };
    view! {
        <PageTitle text="Pairs"/>
        <h1>"Pairs"</h1>
        <FormWarnings/>
        {outcome}
        {confirm_deactivation}
        <PairFilter query pairs/>
        <Loaded resource=pairs loading="Loading pairs…" show=move |page| view! { <PairTable page query=query.get_untracked() toggle selected/> }/>
        <BulkEditor selected query matching applied=bulk_applied/>
        <AddPairForm add/>
    }
}

/// The filter: as the operator types or chooses, the URL changes (replacing the entry, so
/// Back leaves the page) and the list follows it.
#[component]
fn PairFilter(
    query: Memo<PairQuery>,
    pairs: Resource<Result<PairListPage, ConfigError>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |change: &dyn Fn(&mut PairQuery)| {
        let mut next = query.get_untracked();
        change(&mut next);
        next.page = 1;
        navigate(
            &list_href(&next),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let (on_text, on_quote, on_state) = (go.clone(), go.clone(), go);
    let initial = query.get_untracked();
    let states = StateFilter::ALL
        .iter()
        .map(|(state, name, words)| {
            view! { <option value=*name selected=initial.state == Some(*state)>{*words}</option> }
        })
        .collect_view();
    let quote_choice = move || {
        let chosen = query.get().quote.unwrap_or_default();
        let quotes = pairs
            .get()
            .and_then(Result::ok)
            .map(|page| page.quotes)
            .unwrap_or_default();
        quotes
            .into_iter()
            .map(|quote| {
                let selected = quote == chosen;
                let label = quote.clone();
                view! { <option value=quote selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <search class="filters" aria-label="Narrow the list">
            <div class="field">
                <label for="pair-filter">"Filter pairs"</label>
                <input
                    id="pair-filter"
                    type="search"
                    value=initial.text
                    placeholder="Symbol, e.g. SOL"
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        on_text(&|q: &mut PairQuery| q.text = text.trim().to_owned())
                    }
                />
            </div>
            <div class="field">
                <label for="pair-quote">"Quote asset"</label>
                <select id="pair-quote" on:change=move |ev| {
                    let quote = event_target_value(&ev);
                    on_quote(&|q: &mut PairQuery| q.quote = Some(quote.clone()).filter(|q| !q.is_empty()))
                }>
                    <option value="">"Any"</option>
                    <Transition fallback=|| ()>{quote_choice}</Transition>
                </select>
            </div>
            <div class="field">
                <label for="pair-state">"State"</label>
                <select id="pair-state" on:change=move |ev| {
                    let state = event_target_value(&ev);
                    on_state(&|q: &mut PairQuery| q.state = StateFilter::ALL.iter().find(|(_, name, _)| *name == state).map(|(s, _, _)| *s))
                }>
                    <option value="">"Any"</option>
                    {states}
                </select>
            </div>
        </search>
    }
}
#[component]
fn AddPairForm(add: ServerAction<AddPair>) -> impl IntoView {
    let errors = submission_errors(add.value());
    let defaults = PairForm::new_pair_defaults();
    let symbols = Resource::new(
        move || add.version().get(),
        |_| crate::web::components::copy_from::pair_symbols(),
    );
    view! {
        <section aria-labelledby="add-pair-title" class="card">
            <h2 id="add-pair-title">"Add a pair"</h2>
            <SaveOutcome value=add.value() success=|p: &TradingPair| format!("Added {}.", p.symbol)/>
            <ActionForm action=add attr:class="form-grid">
                <SymbolField value=String::new() errors/>
                <div class="field">
                    <label for="add-pair-template">"Start from"</label>
                    <Transition fallback=|| view! { <select id="add-pair-template" name="template"><option value="">"Default risk, no strategies"</option></select> }>
                        {move || Suspend::new(async move {
                            let symbols = symbols.await.unwrap_or_default();
                            view! {
                                <select id="add-pair-template" name="template">
                                    <option value="">"Default risk, no strategies"</option>
                                    {symbols.into_iter().map(|s| {
                                        let label = format!("{s}'s risk and strategies");
                                        view! { <option value=s>{label}</option> }
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Transition>
                </div>
                <PairSettingsFields form=defaults errors/>
                <Can role=Role::Editor><div class="actions"><button type="submit">"Add pair"</button></div></Can>
            </ActionForm>
        </section>
    }
}

#[component]
fn PairTable(
    page: PairListPage,
    query: PairQuery,
    toggle: ServerAction<SetPairActive>,
    selected: RwSignal<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    if page.total == 0 {
        return Either::Left(view! { <p>"No pairs yet."</p> });
    }
    let summary = format!(
        "{} of {} pairs match · page {} of {}",
        thousands(page.matching),
        thousands(page.total),
        page.page,
        page.pages
    );
    let headers = PAIR_COLUMNS
        .iter()
        .map(|(header, key, numeric)| {
            let sort = key.map(|key| {
                let order = match (query.sort == key, query.descending) {
                    (true, false) => "ascending",
                    (true, true) => "descending",
                    (false, _) => "none",
                };
                (list_href(&query.sorted_by(key)), order)
            });
            let class = numeric.then_some("num");
            match sort {
                Some((href, order)) => view! {
                    <th scope="col" class=class aria-sort=order>
                        <a href=href title=format!("Sort by {}", header.to_lowercase())>{*header}</a>
                    </th>
                }
                .into_any(),
                None => view! { <th scope="col" class=class>{*header}</th> }.into_any(),
            }
        })
        .collect_view();
    let now = chrono::Utc::now();
    let rows = page
        .rows
        .into_iter()
        .map(|pair| {
            let href = pair_href(&pair);
            let symbol = pair.symbol.to_string();
            let next = (!pair.is_active).to_string();
            let label = if pair.is_active {
                "Deactivate"
            } else {
                "Activate"
            };
            let pause = pair
                .pause_at(now)
                .cloned()
                .map(|pause| view! { " " <PauseBadge pause/> });
            let (checked_symbol, toggled_symbol) = (symbol.clone(), symbol.clone());
            let select_label = format!("Select {symbol}");
            let checked = move || selected.with(|s| s.contains(&checked_symbol));
            let on_check = move |_| {
                let symbol = toggled_symbol.clone();
                selected.update(|s| {
                    if !s.remove(&symbol) {
                        s.insert(symbol);
                    }
                })
            };
            view! {
                <tr>
                    <td><input type="checkbox" aria-label=select_label prop:checked=checked on:change=on_check/></td>
                    <th scope="row"><a href=href>{symbol.clone()}</a></th>
                    <td><ActiveBadge active=pair.is_active/>{pause}</td>
                    <td class="num">{pair.initial_balance.to_string()}</td>
                    <td class="num">{pair.trade_size_usd.to_string()}</td>
                    <td class="num">{format!("{}%", pair.max_position_percent)}</td>
                    <td>
                        <ActionForm action=toggle>
                            <input type="hidden" name="symbol" value=symbol/>
                            <input type="hidden" name="active" value=next/>
                            <Can role=Role::Editor><button type="submit">{label}</button></Can>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let previous = (page.page > 1).then(|| {
        let href = list_href(&query.at_page(page.page - 1));
        view! { <a href=href rel="prev">"Previous page"</a> }
    });
    let next = (page.page < page.pages).then(|| {
        let href = list_href(&query.at_page(page.page + 1));
        view! { <a href=href rel="next">"Next page"</a> }
    });
    Either::Right(view! {
        <p class="list-summary" aria-live="polite">{summary}</p>
        <div class="table-scroll">
            <table>
                <thead><tr>{headers}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">{previous}" "{next}</nav>
    })
}
