//! `GET /metrics` in the Prometheus text format (the `metrics` facade with
//! `metrics-exporter-prometheus`): HTTP requests by route and status with their latency,
//! and, read at each scrape, the cache's counters, the listener's revision, stream
//! watchers and the pool's connections. The cache's load latency and the NOTIFY lag
//! (commit to applied) are histograms recorded as they happen (`cache::manager`,
//! `cache::notify`).

use super::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets, in seconds: from a cached read (tens of microseconds) to a timeout.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    5.0,
];

/// The process's recorder, installed on first use (one per process: tests build many
/// routers).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Counts each request by its route (as declared, never the raw path: no unbounded
/// labels), method and status, with its latency.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("botconfig_http_requests_total", &labels).increment(1);
    metrics::histogram!("botconfig_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The scrape: what is read now, then everything recorded.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String), crate::http::error::Refusals),
    security(("admin_token" = []), ()),
    description = "An admin token, or none from this machine when BOTCONFIG_LOCAL_METRICS is set"
)]
pub(crate) async fn scrape(State(state): State<AppState>) -> Response {
    let service = &state.service;
    let stats = service.cache_stats().await;
    let counters = [
        ("botconfig_cache_hits_total", stats.hits),
        ("botconfig_cache_misses_total", stats.misses),
        ("botconfig_cache_loads_total", stats.loads),
        ("botconfig_cache_load_failures_total", stats.load_failures),
        ("botconfig_cache_invalidations_total", stats.invalidations),
        ("botconfig_cache_bypasses_total", stats.bypasses),
        (
            "botconfig_listener_reconnects_total",
            stats.listener_reconnects,
        ),
    ];
    for (name, value) in counters {
        metrics::counter!(name).absolute(value);
    }
    for (cause, value) in [
        ("expired", stats.evictions_expired),
        ("size", stats.evictions_size),
        ("explicit", stats.evictions_explicit),
    ] {
        metrics::counter!("botconfig_cache_evictions_total", "cause" => cause).absolute(value);
    }
    let pool = service.pool_usage();
    let gauges = [
        ("botconfig_cache_entries", stats.entries_live as f64),
        ("botconfig_cache_bytes", stats.bytes_used as f64),
        ("botconfig_applied_revision", stats.applied_revision as f64),
        (
            "botconfig_listener_connected",
            f64::from(u8::from(stats.listener_connected)),
        ),
        ("botconfig_stale", f64::from(u8::from(stats.stale))),
        ("botconfig_stream_clients", service.feed().watchers() as f64),
        ("botconfig_pool_connections_in_use", pool.in_use as f64),
        ("botconfig_pool_connections_idle", pool.idle as f64),
    ];
    for (name, value) in gauges {
        metrics::gauge!(name).set(value);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle().render(),
    )
        .into_response()
}
