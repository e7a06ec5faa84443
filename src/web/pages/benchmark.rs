//! `/benchmark`: run a short benchmark of cached against uncached and naive reads; see the
//! latest results as a table and a chart, and the history of runs.

use crate::domain::auth::Role;
use crate::domain::benchmark::{format_ns, BenchmarkReport, Mode, Workload};
use crate::domain::display::Column;
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::PageTitle;
use crate::web::components::TableHead;
use crate::web::components::{ErrorNote, Loaded};
use leptos::either::Either;
use leptos::prelude::*;

#[server]
pub async fn run_benchmark() -> Result<BenchmarkReport, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        service.quick_benchmark().await
    })
    .await
}

#[server]
pub async fn benchmark_history() -> Result<Vec<BenchmarkReport>, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.benchmark_history().await
    })
    .await
}

const HISTORY_COLUMNS: &[Column] = &[
    Column::text("Ran at"),
    Column::number("Pairs"),
    Column::number("Seed cached"),
    Column::number("Seed uncached"),
    Column::number("Fleet cached"),
];

const MEASUREMENT_COLUMNS: &[Column] = &[
    Column::text("Workload"),
    Column::text("Mode"),
    Column::number("Iterations"),
    Column::number("Reads per iteration"),
    Column::number("Median"),
    Column::number("p99"),
    Column::number("Mean"),
    Column::number("Reads per second"),
];

#[component]
pub fn BenchmarkPage() -> impl IntoView {
    let run = ServerAction::<RunBenchmark>::new();
    let history = Resource::new(move || run.version().get(), |_| benchmark_history());
    view! {
        <PageTitle text="Benchmark"/>
        <h1>"Benchmark"</h1>
        <p>
            "Measures this database's configuration read three ways: straight from Postgres (uncached), "
            "through the config cache (cached), and through a plain locked map (naive). "
            "The console runs a short benchmark; "
            <code>"botconfig cache benchmark"</code>
            " runs longer ones."
        </p>
        <ActionForm action=run>
            <Can role=Role::Editor><button type="submit" disabled=move || run.pending().get()>"Run benchmark"</button></Can>
        </ActionForm>
        {move || run.pending().get().then(|| view! { <p role="status">"Running the benchmark… (a few seconds)"</p> })}
        {move || run.value().get().map(|r| match r {
            Ok(_) => Either::Left(view! { <p class="note ok" role="status">"Benchmark finished."</p> }),
            Err(error) => Either::Right(view! { <ErrorNote error/> }),
        })}
        <Loaded
            resource=history
            loading="Loading results…"
            show={|runs: Vec<BenchmarkReport>| {
                if runs.is_empty() {
                    view! { <p>"No benchmark has run yet."</p> }.into_any()
                } else {
                    view! { <Results runs/> }.into_any()
                }
            }}
        />
    }
}

#[component]
fn Results(runs: Vec<BenchmarkReport>) -> impl IntoView {
    let latest = runs[0].clone();
    let when = |r: &BenchmarkReport| {
        r.ran_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    };
    view! {
        <section aria-labelledby="latest-title">
            <h2 id="latest-title">"Latest results"</h2>
            <p>{format!("{} — {} pairs, {} thread(s), {}", when(&latest), latest.pairs, latest.threads, latest.machine)}</p>
            <table aria-label="Latest results">
                <TableHead columns=MEASUREMENT_COLUMNS/>
                <tbody>
                    {latest.results.iter().map(|m| view! {
                        <tr>
                            <th scope="row">{m.workload.as_str()}</th>
                            <td>{m.mode.as_str()}</td>
                            <td class="num">{m.iterations}</td>
                            <td class="num">{m.reads_per_iteration}</td>
                            <td class="num">{format_ns(m.median_ns)}</td>
                            <td class="num">{format_ns(m.p99_ns)}</td>
                            <td class="num">{format_ns(m.mean_ns)}</td>
                            <td class="num">{m.reads_per_sec}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ul>
                {latest.speedup.iter().map(|(workload, s)| view! {
                    <li>{format!("{workload}: cached is {}x faster than uncached and {}x the speed of naive", s.cached_vs_uncached, s.cached_vs_naive)}</li>
                }).collect_view()}
            </ul>
            <Chart report=latest.clone()/>
        </section>
        <section aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <table aria-label="Benchmark history">
                <TableHead columns=HISTORY_COLUMNS/>
                <tbody>
                    {runs.iter().map(|r| {
                        let cell = |w, m| r.median(w, m).map(format_ns).unwrap_or_else(|| "-".into());
                        view! {
                            <tr>
                                <th scope="row">{when(r)}</th>
                                <td class="num">{r.pairs}</td>
                                <td class="num">{cell(Workload::Seed, Mode::Cached)}</td>
                                <td class="num">{cell(Workload::Seed, Mode::Uncached)}</td>
                                <td class="num">{cell(Workload::Fleet, Mode::Cached)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Median time per iteration as horizontal bars on a log scale: the modes differ by three
/// orders of magnitude, which a linear scale would flatten into one visible bar.
#[component]
fn Chart(report: BenchmarkReport) -> impl IntoView {
    const LEFT: f64 = 140.0;
    const WIDTH: f64 = 460.0;
    const BAR: f64 = 18.0;
    let bars: Vec<(String, Mode, u64)> = [Workload::Seed, Workload::Fleet]
        .into_iter()
        .flat_map(|w| {
            let report = &report;
            Mode::ALL.into_iter().filter_map(move |m| {
                report
                    .median(w, m)
                    .map(|ns| (format!("{} {}", w.as_str(), m.as_str()), m, ns))
            })
        })
        .collect();
    let max_log = bars
        .iter()
        .map(|(_, _, ns)| ((*ns).max(1) as f64).log10())
        .fold(1.0, f64::max)
        .ceil();
    let bars_height = bars.len() as f64 * (BAR + 8.0);
    let height = bars_height + 44.0;
    let scale = move |ns: u64| ((ns.max(1) as f64).log10() / max_log * WIDTH).max(2.0);
    // A tick at each power of ten: 1 ns, 10 ns, … 1 µs, …
    let ticks = (0..=max_log as u32)
        .map(|power| {
            let x = LEFT + f64::from(power) / max_log * WIDTH;
            view! {
                <g class="tick">
                    <line x1=x x2=x y1=0.0 y2=bars_height + 4.0/>
                    <text x=x y=bars_height + 18.0 text-anchor="middle" class="axis">{format_ns(10u64.pow(power)).replace(".00", "")}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure>
            <svg role="img" aria-label="Median time per iteration, log scale" width=LEFT + WIDTH + 90.0 height=height viewBox=format!("0 0 {} {height}", LEFT + WIDTH + 90.0)>
                {ticks}
                {bars.into_iter().enumerate().map(|(i, (label, mode, ns))| {
                    let y = i as f64 * (BAR + 8.0) + 4.0;
                    let class = format!("bar {}", mode.as_str());
                    view! {
                        <g>
                            <text x=LEFT - 8.0 y=y + BAR * 0.75 text-anchor="end" class="label">{label}</text>
                            <rect x=LEFT y=y width=scale(ns) height=BAR class=class/>
                            <text x=LEFT + scale(ns) + 6.0 y=y + BAR * 0.75 class="value">{format_ns(ns)}</text>
                        </g>
                    }
                }).collect_view()}
                <text x=LEFT y=height - 6.0 class="axis">"log scale: each tick is ten times the last"</text>
            </svg>
            <figcaption>"Median time per iteration (shorter is faster), log scale"</figcaption>
        </figure>
    }
}
