//! "Copy settings from…" on a pair's Risk and Strategies pages: choose another pair, see
//! what would change (field by field), then apply exactly that, or nothing if a row changed
//! since the preview.

use crate::domain::auth::Role;
use crate::domain::copy::{FieldChange, Preview};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::{ErrorNote, Loaded};
use leptos::either::Either;
use leptos::prelude::*;

/// What is copied: the pair's risk settings, or its strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Risk,
    Strategies,
}

impl CopyWhat {
    fn flags(self) -> (bool, bool) {
        (self == CopyWhat::Risk, self == CopyWhat::Strategies)
    }

    fn words(self) -> &'static str {
        match self {
            CopyWhat::Risk => "risk settings",
            CopyWhat::Strategies => "strategies",
        }
    }
}

/// Every pair's symbol, to copy from.
#[server]
pub async fn pair_symbols() -> Result<Vec<String>, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        Ok(service
            .all_pairs()
            .await?
            .into_iter()
            .map(|p| p.symbol.to_string())
            .collect())
    })
    .await
}

/// What copying `from`'s risk or strategies onto `to` would change.
#[server]
pub async fn preview_copy(
    from: String,
    to: String,
    risk: bool,
    strategies: bool,
) -> Result<Preview, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        let (from, to) = (
            crate::service::parse_symbol(&from)?,
            crate::service::parse_symbol(&to)?,
        );
        let plan = service.plan_copy(&from, &[to], risk, strategies).await?;
        Ok(plan.preview())
    })
    .await
}

/// Applies the copy the operator previewed: `previewed` is that diff (JSON); if the pairs
/// no longer give the same one, nothing is copied.
#[server]
pub async fn apply_copy(
    from: String,
    to: String,
    risk: bool,
    strategies: bool,
    previewed: String,
) -> Result<usize, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        let (from, to) = (
            crate::service::parse_symbol(&from)?,
            crate::service::parse_symbol(&to)?,
        );
        let previewed: Preview = serde_json::from_str(&previewed)
            .map_err(|e| ConfigError::invalid("previewed", e.to_string()))?;
        let plan = service.plan_copy(&from, &[to], risk, strategies).await?;
        plan.check_against(&previewed)?;
        service.apply_plan(&plan).await?;
        Ok(previewed.changes.len())
    })
    .await
}

/// The diff as a table: pair, field, now, after.
#[component]
fn Diff(changes: Vec<FieldChange>) -> impl IntoView {
    let rows = changes
        .into_iter()
        .map(|c| {
            view! {
                <tr><th scope="row">{c.field}</th><td>{c.old}</td><td>{c.new}</td></tr>
            }
        })
        .collect_view();
    view! {
        <table class="diff">
            <thead><tr><th scope="col">"Field"</th><th scope="col">"Now"</th><th scope="col">"After the copy"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The section: a source pair, Preview, the diff, Apply.
#[component]
pub fn CopyFrom(
    /// The pair copied to (this page's).
    symbol: String,
    what: CopyWhat,
    /// Moves when a copy was applied, so the page reloads its form.
    applied: RwSignal<u32>,
) -> impl IntoView {
    let (risk, strategies) = what.flags();
    let symbols = Resource::new(|| (), |_| pair_symbols());
    let preview = ServerAction::<PreviewCopy>::new();
    let apply = ServerAction::<ApplyCopy>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = apply.value().get() {
            applied.update(|n| *n += 1);
        }
    });
    // The action clears its input when the answer arrives: keep the pair it asked about.
    let last_from = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(input) = preview.input().get() {
            last_from.set(input.from);
        }
    });
    let title = format!("Copy {} from another pair", what.words());
    let here = symbol.clone();
    let choices = move |list: Vec<String>| {
        let here = here.clone();
        view! {
            <select id=format!("copy-from-{}", what.words().replace(' ', "-")) name="from">
                {list.into_iter().filter(|s| *s != here).map(|s| { let label = s.clone(); view! { <option value=s>{label}</option> } }).collect_view()}
            </select>
        }
    };
    let to = symbol.clone();
    let shown = move || {
        let to = to.clone();
        preview.value().get().map(|result| match result {
            Ok(preview) if preview.changes.is_empty() => Either::Left(view! {
                <p class="note ok" role="status">"Nothing to copy: " {to} " already has the same " {what.words()} "."</p>
            }.into_any()),
            Ok(preview) => {
                let previewed = serde_json::to_string(&preview).unwrap_or_default();
                let changes = preview.changes;
                let from = last_from.get_untracked();
                let count = changes.len();
                Either::Right(view! {
                    <p>{format!("Copying from {from} changes {count} field{} of {to}:", if count == 1 { "" } else { "s" })}</p>
                    <Diff changes/>
                    <ActionForm action=apply>
                        <input type="hidden" name="from" value=from/>
                        <input type="hidden" name="to" value=to/>
                        <input type="hidden" name="risk" value=risk.to_string()/>
                        <input type="hidden" name="strategies" value=strategies.to_string()/>
                        <input type="hidden" name="previewed" value=previewed/>
                        <Can role=Role::Editor><button type="submit">"Apply the copy"</button></Can>
                    </ActionForm>
                }.into_any())
            }
            Err(error) => Either::Left(view! { <ErrorNote error/> }.into_any()),
        })
    };
    let outcome = move || {
        apply.value().get().map(|result| match result {
            Ok(n) => Either::Left(view! { <p class="note ok" role="status">{format!("Copied {n} field{}.", if n == 1 { "" } else { "s" })}</p> }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })
    };
    let label_for = format!("copy-from-{}", what.words().replace(' ', "-"));
    let heading = title.clone();
    view! {
        <section class="card" aria-label=title>
            <h2>{heading}</h2>
            <ActionForm action=preview attr:class="form-grid">
                <input type="hidden" name="to" value=symbol/>
                <input type="hidden" name="risk" value=risk.to_string()/>
                <input type="hidden" name="strategies" value=strategies.to_string()/>
                <div class="field">
                    <label for=label_for>"Copy settings from…"</label>
                    <Loaded resource=symbols loading="Loading pairs…" show=choices/>
                </div>
                <div class="actions"><button type="submit">"Preview the copy"</button></div>
            </ActionForm>
            {shown}
            {outcome}
        </section>
    }
}
