//! `/benchmark`: cached against uncached reads. The runner arrives with the CLI's benchmark.

use leptos::prelude::*;

#[component]
pub fn BenchmarkPage() -> impl IntoView {
    view! {
        <h1>"Benchmark"</h1>
        <p>"Benchmark runs are not available in this version of the console yet."</p>
    }
}
