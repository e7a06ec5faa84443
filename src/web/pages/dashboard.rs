//! `/`: cache statistics, the portfolio at a glance, and the validation report.

use crate::domain::auth::Role;
use crate::domain::display::ALLOCATION_COLUMNS;
use crate::domain::stats::{CacheStats, WarmReport};
use crate::domain::trading::PortfolioSettings;
use crate::domain::warnings::ValidationReport;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::confirm::{questions_of, ConfirmDialog, SubmitButton};
use crate::web::components::PageTitle;
use crate::web::components::{ticker, DataTable, ErrorNote, Loaded};
use leptos::either::Either;
use leptos::prelude::*;

#[server]
pub async fn get_cache_stats() -> Result<CacheStats, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        Ok(service.cache_stats().await)
    })
    .await
}

#[server]
pub async fn get_portfolio() -> Result<PortfolioSettings, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.portfolio(crate::service::ReadFrom::Cache).await
    })
    .await
}

#[server]
pub async fn get_validation_report() -> Result<ValidationReport, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.validate().await
    })
    .await
}

#[server]
pub async fn warm_cache() -> Result<WarmReport, ConfigError> {
    crate::web::as_role(
        Role::Editor,
        move |service| async move { service.warm().await },
    )
    .await
}

/// Empties the cache, once `confirm`ed.
#[server]
pub async fn clear_cache(#[server(default)] confirm: bool) -> Result<u64, ConfigError> {
    crate::web::as_role(Role::Admin, move |service| async move {
        let proposal = crate::service::Proposal::ClearCache;
        service.ask_first(&proposal, confirm).await?;
        Ok(service.clear().await)
    })
    .await
}

/// Drops the entries matching `pattern`; one that matches everything is a clear, made only
/// once `confirm`ed.
#[server]
pub async fn invalidate_cache(
    pattern: String,
    #[server(default)] confirm: bool,
) -> Result<(String, u64), ConfigError> {
    // A pattern that drops everything is a clear, and needs the rights of one.
    let needed = match crate::service::ConfigService::invalidation_clears(&pattern) {
        Ok(true) => Role::Admin,
        Ok(false) => Role::Editor,
        Err(invalid) => return crate::web::answer(Err(invalid)),
    };
    crate::web::as_role(needed, move |service| async move {
        if needed == Role::Admin {
            let proposal = crate::service::Proposal::ClearCache;
            service.ask_first(&proposal, confirm).await?;
        }
        let dropped = service.invalidate(&pattern).await?;
        Ok((pattern, dropped))
    })
    .await
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let warm = ServerAction::<WarmCache>::new();
    let clear = ServerAction::<ClearCache>::new();
    let invalidate = ServerAction::<InvalidateCache>::new();
    let tick = ticker(std::time::Duration::from_secs(2));
    let stats = Resource::new(
        move || {
            (
                tick.get(),
                warm.version().get(),
                clear.version().get(),
                invalidate.version().get(),
            )
        },
        |_| get_cache_stats(),
    );
    let portfolio = Resource::new(|| (), |_| get_portfolio());
    let report = Resource::new(|| (), |_| get_validation_report());
    view! {
        <PageTitle text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <section aria-labelledby="stats-title">
            <h2 id="stats-title">"Cache statistics"</h2>
            <div class="cache-actions">
                <Can role=Role::Editor><ActionForm action=warm><button type="submit">"Warm cache"</button></ActionForm></Can>
                <Can role=Role::Admin>
                    <ActionForm action=clear>
                        <SubmitButton pending=clear.pending() label="Clear cache".into() busy="Clearing…"/>
                        <ConfirmDialog questions=questions_of(clear.value()) confirm_label="Clear cache".into()/>
                    </ActionForm>
                </Can>
                <ActionForm action=invalidate attr:class="inline">
                    <label for="pattern">"Pattern"</label>
                    <input id="pattern" name="pattern" type="text" placeholder="pair_risk:*" required/>
                    <Can role=Role::Editor><button type="submit">"Invalidate"</button></Can>
                    <ConfirmDialog questions=questions_of(invalidate.value()) confirm_label="Invalidate everything".into()/>
                </ActionForm>
            </div>
            <CacheActionOutcome warm clear invalidate/>
            <Loaded resource=stats loading="Loading statistics…" show=|s| view! { <StatsTable stats=s/> }/>
        </section>
        <section aria-labelledby="portfolio-title">
            <h2 id="portfolio-title">"Portfolio"</h2>
            <Loaded resource=portfolio loading="Loading portfolio…" show=|p| view! { <PortfolioSummary portfolio=p/> }/>
        </section>
        <section aria-labelledby="validation-title">
            <h2 id="validation-title">"Validation"</h2>
            <Loaded resource=report loading="Checking…" show=|r| view! { <Report report=r/> }/>
        </section>
    }
}

#[component]
pub fn StatsTable(stats: CacheStats) -> impl IntoView {
    let rows = stats.rows();
    // Never silently: when the server cannot vouch for its cache, say so above all else.
    let banner = stats.stale.then(|| {
        let seconds = stats.confirmed_millis_ago.unwrap_or_default().div_ceil(1000);
        view! {
            <div class="note error" role="alert">
                <strong>"Stale configuration. "</strong>
                {format!(
                    "This server cannot confirm with Postgres that its cache is current: bots are served values last confirmed {seconds} s ago, marked stale."
                )}
            </div>
        }
    });
    view! {
        {banner}
        <table class="stats">
            <tbody>
                {rows
                    .into_iter()
                    .map(|(name, value)| view! { <tr><th scope="row">{name}</th><td class="num">{value}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn PortfolioSummary(portfolio: PortfolioSettings) -> impl IntoView {
    view! {
        <p>
            "Total balance " <strong>{portfolio.total_balance.to_string()}</strong>
            ", allocated " {portfolio.allocated_balance.to_string()} " (" {portfolio.allocated_percent.to_string()} "%)"
            ", max " {portfolio.max_concurrent_positions} " concurrent positions. "
            "Paper trading " <strong>{if portfolio.paper_trading { "on" } else { "off" }}</strong>
            ", emergency stop " <strong>{if portfolio.emergency_stop_enabled { "armed" } else { "off" }}</strong>
            " at " {portfolio.emergency_stop_loss_percent.to_string()} "%."
        </p>
        <DataTable
            columns=ALLOCATION_COLUMNS
            rows=portfolio.allocations.iter().map(|a| a.cells()).collect()
        />
    }
}

#[component]
fn Report(report: ValidationReport) -> impl IntoView {
    if report.errors.is_empty() && report.warnings.is_empty() {
        return Either::Left(view! { <p class="note ok">"The configuration is valid."</p> });
    }
    // A warning with a form to mend it links there; the others are words.
    let linked: Vec<String> = report.details.iter().map(|d| d.message.clone()).collect();
    let plain = report
        .warnings
        .into_iter()
        .filter(|w| !linked.contains(w))
        .map(|w| view! { <li class="warning">"Warning: " {w}</li> })
        .collect_view();
    let details = report
        .details
        .into_iter()
        .map(|d| {
            let fields = d
                .fields
                .iter()
                .map(|f| crate::domain::fields::label_of(f).unwrap_or(f))
                .collect::<Vec<_>>()
                .join(", ");
            let link = if fields.is_empty() {
                "Mend it".to_owned()
            } else {
                format!("Mend: {fields}")
            };
            view! { <li class="warning">"Warning: " {d.message} " " <a href=d.href>{link}</a></li> }
        })
        .collect_view();
    Either::Right(view! {
        <ul class="report">
            {report.errors.into_iter().map(|e| view! { <li class="error">"Error: " {e}</li> }).collect_view()}
            {details}
            {plain}
        </ul>
    })
}

#[component]
fn CacheActionOutcome(
    warm: ServerAction<WarmCache>,
    clear: ServerAction<ClearCache>,
    invalidate: ServerAction<InvalidateCache>,
) -> impl IntoView {
    // The most recent of the three actions speaks.
    let latest = RwSignal::new(None::<Result<String, ConfigError>>);
    Effect::new(move |_| {
        if let Some(r) = warm.value().get() {
            latest.set(Some(r.map(|w| w.summary())));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = clear.value().get() {
            latest.set(Some(r.map(|n| format!("Cleared {n} entries"))));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = invalidate.value().get() {
            latest.set(Some(
                r.map(|(p, n)| format!("Invalidated {n} entries matching {p}")),
            ));
        }
    });
    move || {
        latest.get().map(|r| match r {
            Ok(text) => Either::Left(view! { <p class="note ok" role="status">{text}</p> }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })
    }
}
