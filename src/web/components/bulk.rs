//! Bulk edit on the Pairs list: the selected pairs (or every pair the filter matches), one
//! field set for all of them, each pair's old and new value previewed, then applied in one
//! transaction, or nothing if a row changed since the preview.

use crate::domain::auth::Role;
#[cfg(feature = "ssr")]
use crate::domain::bulk::BulkEdit;
use crate::domain::copy::Preview;
use crate::domain::fields::risk::FIELDS as RISK_FIELDS;
use crate::domain::pair_list::PairQuery;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::ErrorNote;
use leptos::either::Either;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// The edit as the form sends it: `action` is `activate`, `deactivate`, `pause` (for
/// `value`, empty: until resumed, with `reason` and `mode`), `resume`, a risk field's name,
/// `strategy_enabled`, `strategy_disabled` or `strategy_weight`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditFields {
    pub action: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub strategy: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub mode: String,
}

#[cfg(feature = "ssr")]
/// The edit the form describes.
fn edit_of(fields: &EditFields) -> Result<BulkEdit, ConfigError> {
    let (action, value) = (fields.action.as_str(), fields.value.as_str());
    let strategy = fields.strategy.trim().to_owned();
    let needs_strategy = || {
        if strategy.is_empty() {
            Err(ConfigError::invalid(
                "strategy",
                "name the strategy, e.g. rsi",
            ))
        } else {
            Ok(strategy.clone())
        }
    };
    Ok(match action {
        "activate" => BulkEdit::Activate,
        "deactivate" => BulkEdit::Deactivate,
        "pause" => BulkEdit::Pause(crate::domain::pause::PauseRequest {
            duration: Some(value.trim().to_owned()).filter(|v| !v.is_empty()),
            until: None,
            reason: fields.reason.clone(),
            mode: Some(fields.mode.clone()).filter(|m| !m.is_empty()),
        }),
        "resume" => BulkEdit::Resume,
        "strategy_enabled" => BulkEdit::StrategyEnabled {
            strategy: needs_strategy()?,
            enabled: true,
        },
        "strategy_disabled" => BulkEdit::StrategyEnabled {
            strategy: needs_strategy()?,
            enabled: false,
        },
        "strategy_weight" => BulkEdit::StrategyWeight {
            strategy: needs_strategy()?,
            weight: value.to_owned(),
        },
        field => BulkEdit::Risk {
            field: field.to_owned(),
            value: value.to_owned(),
        },
    })
}

#[cfg(feature = "ssr")]
async fn selection(
    service: &crate::service::ConfigService,
    pairs: &str,
    all_matching: bool,
    query: &str,
) -> Result<Vec<crate::domain::pair::Symbol>, ConfigError> {
    if all_matching {
        let params: Vec<(String, String)> = serde_urlencoded_pairs(query);
        let query = PairQuery::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        });
        return service.pairs_matching(&query).await;
    }
    pairs
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(crate::service::parse_symbol)
        .collect()
}

/// `q=sol&quote=USDT` as pairs, decoded.
#[cfg(feature = "ssr")]
fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Each selected pair's old and new value under the edit.
#[server]
pub async fn preview_bulk(
    pairs: String,
    all_matching: bool,
    query: String,
    edit: EditFields,
) -> Result<Preview, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        let edit = edit_of(&edit)?;
        let symbols = selection(&service, &pairs, all_matching, &query).await?;
        Ok(service.plan_bulk(&symbols, &edit).await?.preview())
    })
    .await
}

/// Applies the previewed bulk edit (`previewed`: that diff as JSON), or nothing if the pairs
/// no longer give the same one.
#[server]
pub async fn apply_bulk(
    pairs: String,
    all_matching: bool,
    query: String,
    edit: EditFields,
    previewed: String,
) -> Result<usize, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        let edit = edit_of(&edit)?;
        let symbols = selection(&service, &pairs, all_matching, &query).await?;
        let previewed: Preview = serde_json::from_str(&previewed)
            .map_err(|e| ConfigError::invalid("previewed", e.to_string()))?;
        let plan = service.plan_bulk(&symbols, &edit).await?;
        plan.check_against(&previewed)?;
        service.apply_plan(&plan).await?;
        Ok(previewed.changes.len())
    })
    .await
}

/// The bulk form under the Pairs list.
#[component]
pub fn BulkEditor(
    selected: RwSignal<BTreeSet<String>>,
    query: Memo<PairQuery>,
    matching: Signal<usize>,
    /// Moves when an edit was applied, so the list reloads.
    applied: RwSignal<u32>,
) -> impl IntoView {
    let preview = ServerAction::<PreviewBulk>::new();
    let apply = ServerAction::<ApplyBulk>::new();
    let last = RwSignal::new(None::<PreviewBulk>);
    Effect::new(move |_| {
        if let Some(input) = preview.input().get() {
            last.set(Some(input));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = apply.value().get() {
            applied.update(|n| *n += 1);
            selected.set(BTreeSet::new());
        }
    });
    let action = RwSignal::new("activate".to_owned());
    let all_matching = RwSignal::new(false);
    let needs_value = move || {
        let a = action.get();
        !(a == "activate"
            || a == "deactivate"
            || a == "resume"
            || a == "pause"
            || a == "strategy_enabled"
            || a == "strategy_disabled")
    };
    let pausing = move || action.get() == "pause";
    let needs_strategy = move || action.get().starts_with("strategy_");
    let risk_options = RISK_FIELDS
        .iter()
        .map(|rule| view! { <option value=rule.name>{format!("Set {}", rule.label)}</option> })
        .collect_view();
    let whom = move || match all_matching.get() {
        true => format!("all {} pairs matching the filter", matching.get()),
        false => format!(
            "{} selected pair{}",
            selected.with(|s| s.len()),
            if selected.with(|s| s.len()) == 1 {
                ""
            } else {
                "s"
            }
        ),
    };
    let shown = move || {
        preview.value().get().map(|result| match result {
            Ok(preview) if preview.changes.is_empty() => Either::Left(
                view! { <p class="note ok" role="status">"Nothing to change: every selected pair is already as asked."</p> }.into_any(),
            ),
            Ok(preview) => {
                let previewed = serde_json::to_string(&preview).unwrap_or_default();
                let changes = preview.changes;
                let Some(input) = last.get_untracked() else {
                    return Either::Left(().into_any());
                };
                let summary = format!("{} change{} on {} pair{}:", changes.len(), if changes.len() == 1 { "" } else { "s" },
                    changes.iter().map(|c| &c.symbol).collect::<BTreeSet<_>>().len(),
                    if changes.iter().map(|c| &c.symbol).collect::<BTreeSet<_>>().len() == 1 { "" } else { "s" });
                let rows = changes
                    .into_iter()
                    .map(|c| view! { <tr><th scope="row">{c.symbol}</th><td>{c.field}</td><td>{c.old}</td><td>{c.new}</td></tr> })
                    .collect_view();
                Either::Right(view! {
                    <p>{summary}</p>
                    <div class="table-scroll">
                        <table class="diff">
                            <thead><tr><th scope="col">"Pair"</th><th scope="col">"Field"</th><th scope="col">"Now"</th><th scope="col">"After"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <ActionForm action=apply>
                        <input type="hidden" name="pairs" value=input.pairs/>
                        <input type="hidden" name="all_matching" value=input.all_matching.to_string()/>
                        <input type="hidden" name="query" value=input.query/>
                        <input type="hidden" name="edit[action]" value=input.edit.action/>
                        <input type="hidden" name="edit[value]" value=input.edit.value/>
                        <input type="hidden" name="edit[strategy]" value=input.edit.strategy/>
                        <input type="hidden" name="edit[reason]" value=input.edit.reason/>
                        <input type="hidden" name="edit[mode]" value=input.edit.mode/>
                        <input type="hidden" name="previewed" value=previewed/>
                        <Can role=Role::Editor><button type="submit">"Apply to all of them"</button></Can>
                    </ActionForm>
                }.into_any())
            }
            Err(error) => Either::Left(view! { <ErrorNote error/> }.into_any()),
        })
    };
    let outcome = move || {
        apply.value().get().map(|result| match result {
            Ok(n) => Either::Left(view! { <p class="note ok" role="status">{format!("Applied {n} change{}.", if n == 1 { "" } else { "s" })}</p> }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })
    };
    view! {
        <section class="card" aria-labelledby="bulk-title">
            <h2 id="bulk-title">"Change many pairs"</h2>
            <ActionForm action=preview attr:class="form-grid">
                <input type="hidden" name="pairs" value=move || selected.with(|s| s.iter().cloned().collect::<Vec<_>>().join(","))/>
                <input type="hidden" name="query" value=move || query.get().to_query()/>
                <div class="field">
                    <label for="bulk-whom">"Which pairs"</label>
                    <select id="bulk-whom" name="all_matching" on:change=move |ev| all_matching.set(event_target_value(&ev) == "true")>
                        <option value="false">"The selected pairs"</option>
                        <option value="true">"All pairs matching the filter"</option>
                    </select>
                    <small class="help">{whom}</small>
                </div>
                <div class="field">
                    <label for="bulk-action">"Change"</label>
                    <select id="bulk-action" name="edit[action]" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="activate">"Activate"</option>
                        <option value="deactivate">"Deactivate"</option>
                        <option value="pause">"Pause"</option>
                        <option value="resume">"Resume"</option>
                        {risk_options}
                        <option value="strategy_enabled">"Enable a strategy"</option>
                        <option value="strategy_disabled">"Disable a strategy"</option>
                        <option value="strategy_weight">"Set a strategy's weight"</option>
                    </select>
                </div>
                <div class="field" hidden=move || !needs_strategy()>
                    <label for="bulk-strategy">"Strategy"</label>
                    <input id="bulk-strategy" name="edit[strategy]" type="text" placeholder="rsi"/>
                </div>
                <div class="field" hidden=move || !needs_value()>
                    <label for="bulk-value">"New value"</label>
                    <input id="bulk-value" name="edit[value]" type="text" prop:disabled=pausing/>
                </div>
                // A pause takes the pair page's choices: how long, why, what of open positions.
                <div class="field" hidden=move || !pausing()>
                    <label for="bulk-pause-for">"Pause for"</label>
                    <select id="bulk-pause-for" name="edit[value]" prop:disabled=move || !pausing()>
                        <option value="1h">"1 hour"</option>
                        <option value="4h">"4 hours"</option>
                        <option value="24h">"24 hours"</option>
                        <option value="">"Until resumed"</option>
                    </select>
                </div>
                <div class="field" hidden=move || !pausing()>
                    <label for="bulk-pause-reason">"Reason"</label>
                    <input id="bulk-pause-reason" name="edit[reason]" type="text" placeholder="listing news"/>
                </div>
                <div class="field" hidden=move || !pausing()>
                    <label for="bulk-pause-mode">"Open positions"</label>
                    <select id="bulk-pause-mode" name="edit[mode]">
                        {crate::domain::pause::PauseMode::ALL.into_iter().map(|m| {
                            view! { <option value=m.as_str()>{m.describe()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="actions"><button type="submit">"Preview the change"</button></div>
            </ActionForm>
            {shown}
            {outcome}
        </section>
    }
}
