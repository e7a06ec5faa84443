//! `GET /api/v1/snapshot`: everything a client replica holds, in one answer, with the
//! revision it is at least as new as. A client loads it, then follows `/api/v1/stream`
//! from that revision (`Last-Event-ID`), so nothing committed after it is missed.

use super::{config_json, system_json};
use crate::http::answer::Conditions;
use crate::http::{Answer, Answers, ApiCaller, ApiError, Marking};
use crate::service::ConfigService;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

#[utoipa::path(
    get,
    path = "/api/v1/snapshot",
    tag = "bots",
    responses((status = 200, description = "revision, every active pair's trading config keyed by symbol under pairs, the settings under system (secret ones only for a token that reads them) with their types under setting_types, and the portfolio", body = Object), (status = 304, description = "Unchanged"), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "The content is at least as new as revision: follow /api/v1/stream with Last-Event-ID set to it. \"stale\" says when the server cannot vouch that the answer is current"
)]
pub(super) async fn snapshot(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    caller: ApiCaller,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let reads_secrets = caller.reads_secrets;
    let key = if reads_secrets {
        "snapshot+secrets"
    } else {
        "snapshot"
    };
    let service = &service;
    Ok(answers
        .answer(service, key, &conditions, |from| async move {
            // Read before the content: every change up to it was applied to the cache
            // before the feed published it, so the content is at least this new.
            let revision = service.feed().latest();
            let configs = service.active_trading_configs(from).await?;
            let settings = service.bot_settings(from).await?;
            let portfolio = service.portfolio(from).await?;
            let mut pairs = serde_json::Map::new();
            for config in configs.iter() {
                pairs.insert(config.pair.symbol.to_string(), config_json(config)?);
            }
            // JSON does not tell the decimal 10000 from the integer 10000: the types do.
            let setting_types: serde_json::Map<String, serde_json::Value> = settings
                .iter()
                .filter(|s| reads_secrets || !s.is_secret)
                .map(|s| (s.key.clone(), json!(s.value_type.as_str())))
                .collect();
            let body = json!({
                "revision": revision,
                "pairs": pairs,
                "system": system_json(&settings, reads_secrets),
                "setting_types": setting_types,
                "portfolio": portfolio,
            });
            Answer::new(&body, Marking::InBody)
        })
        .await?)
}
