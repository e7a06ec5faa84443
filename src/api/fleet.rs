//! The fleet: readers report themselves (`POST /api/v1/fleet/heartbeat`, and the
//! `X-Botconfig-Client` header of a stream request), and anyone with a read token lists
//! them (`GET /api/v1/fleet`).

use super::json::StrictJson;
use crate::domain::fleet::{Fleet, ReaderKind, ReaderReport};
use crate::domain::ConfigError;
use crate::http::ApiError;
use crate::service::ConfigService;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

/// The header a client names itself with on its stream request.
pub const CLIENT_HEADER: &str = "x-botconfig-client";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FleetQuery {
    behind_warning_seconds: Option<i64>,
    silent_warning_seconds: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/fleet",
    tag = "fleet",
    params(("behind_warning_seconds" = Option<i64>, Query, description = "Warn about a reader behind the database longer than this (default 10)"), ("silent_warning_seconds" = Option<i64>, Query, description = "Warn about a reader silent longer than this (default 30)")),
    responses((status = 200, description = "Every reader seen in the last hour: servers and client replicas, with applied revision, lag and last seen", body = Fleet), crate::http::error::Refusals),
    security(("read_token" = []))
)]
pub(super) async fn list(
    State(service): State<ConfigService>,
    Query(query): Query<FleetQuery>,
) -> Result<Response, ApiError> {
    for (field, value) in [
        ("behind_warning_seconds", query.behind_warning_seconds),
        ("silent_warning_seconds", query.silent_warning_seconds),
    ] {
        if value.is_some_and(|v| !(1..=86_400).contains(&v)) {
            return Err(ConfigError::invalid(field, "must be 1 to 86400 seconds").into());
        }
    }
    let fleet = service
        .fleet(query.behind_warning_seconds, query.silent_warning_seconds)
        .await?;
    Ok(Json(fleet).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/fleet/heartbeat",
    tag = "fleet",
    request_body(content = ReaderReport, description = "What the client replica says of itself"),
    responses((status = 200, description = "Recorded; revision is the latest this server has published on its stream", body = Object), (status = 422, description = "A field out of bounds", body = Object), crate::http::error::Refusals),
    security(("read_token" = []))
)]
pub(super) async fn heartbeat(
    State(service): State<ConfigService>,
    StrictJson(body): StrictJson,
) -> Result<Response, ApiError> {
    let report: ReaderReport = super::json::typed(body)?;
    let report = report.validate()?;
    service.report_reader(ReaderKind::Client, &report).await?;
    Ok(Json(json!({ "recorded": true, "revision": service.feed().latest() })).into_response())
}

/// Records the client that opens a stream, when it names itself; off the request's path,
/// so a slow database never delays the stream. A malformed header is ignored (logged): the
/// stream is what the client came for.
pub(super) fn note_stream_client(service: &ConfigService, headers: &HeaderMap) {
    let Some(header) = headers.get(CLIENT_HEADER) else {
        return;
    };
    let report = match ReaderReport::from_header(header.to_str().unwrap_or("")) {
        Ok(report) => report,
        Err(e) => {
            tracing::debug!("ignoring a malformed {CLIENT_HEADER} header: {e}");
            return;
        }
    };
    let service = service.clone();
    tokio::spawn(async move {
        if let Err(e) = service.report_reader(ReaderKind::Client, &report).await {
            tracing::debug!("could not record stream client {}: {e}", report.instance);
        }
    });
}
