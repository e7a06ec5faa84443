//! `GET /api/v1/snapshot`: everything a client replica holds, in one answer, with the
//! revision it is at least as new as. A client loads it, then follows `/api/v1/stream`
//! from that revision (`Last-Event-ID`), so nothing committed after it is missed; on each
//! change it asks `?pairs=BTC/USDT` for only the pairs the change touched (and the settings
//! and portfolio), in one request that every client applying that revision shares.

use super::{config_json, system_json};
use crate::domain::pair::Symbol;
use crate::domain::ConfigError;
use crate::http::answer::Conditions;
use crate::http::{Answer, Answers, ApiCaller, ApiError, Marking};
use crate::service::ConfigService;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

#[utoipa::path(
    get,
    path = "/api/v1/snapshot",
    tag = "bots",
    params(("pairs" = Option<String>, Query, description = "Only these pairs, comma-separated (an inactive or unknown one is absent); empty: the settings and portfolio only")),
    responses((status = 200, description = "revision, every active pair's trading config keyed by symbol under pairs, the settings under system (secret ones only for a token that reads them) with their types under setting_types, and the portfolio", body = Object), (status = 304, description = "Unchanged"), crate::http::error::Refusals),
    security(("read_token" = [])),
    description = "The content is at least as new as revision: follow /api/v1/stream with Last-Event-ID set to it. \"stale\" says when the server cannot vouch that the answer is current"
)]
pub(super) async fn snapshot(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    Query(query): Query<SnapshotQuery>,
    caller: ApiCaller,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let only = query.pairs.as_deref().map(parse_pairs).transpose()?;
    let key = key(caller.reads_secrets, only.as_ref());
    let (service, only) = (&service, only.as_ref());
    Ok(answers
        .answer(service, &key, &conditions, |from| {
            build(service, from, caller.reads_secrets, only)
        })
        .await?)
}

/// The body of the partial snapshot of `symbols` (the settings and the portfolio with
/// them), as a stream event carries it: built once per revision for every watcher and
/// every request that asks the same (see `Answers`).
pub(super) async fn partial(
    service: &ConfigService,
    answers: &Answers,
    reads_secrets: bool,
    symbols: &BTreeSet<Symbol>,
) -> Result<axum::body::Bytes, ConfigError> {
    let key = key(reads_secrets, Some(symbols));
    let (answer, staleness) = answers
        .built(service, &key, crate::service::ReadFrom::Cache, |from| {
            build(service, from, reads_secrets, Some(symbols))
        })
        .await?;
    Ok(answer.body(staleness))
}

/// What a snapshot is kept under: who may see secrets, and which pairs.
fn key(reads_secrets: bool, only: Option<&BTreeSet<Symbol>>) -> String {
    let pairs = only.map(|symbols| {
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        format!("?pairs={}", names.join(","))
    });
    format!(
        "snapshot{}{}",
        if reads_secrets { "+secrets" } else { "" },
        pairs.unwrap_or_default()
    )
}

async fn build(
    service: &ConfigService,
    from: crate::service::ReadFrom,
    reads_secrets: bool,
    only: Option<&BTreeSet<Symbol>>,
) -> Result<Answer, ConfigError> {
    // Read before the content: every change up to it was applied to the cache before the
    // feed published it, so the content is at least this new.
    let revision = service.feed().latest();
    let settings = service.bot_settings(from).await?;
    let portfolio = service.portfolio(from).await?;
    let mut pairs = serde_json::Map::new();
    let mut ends = Vec::new();
    match only {
        None => {
            for config in service.active_trading_configs(from).await?.iter() {
                ends.extend(config.pair.pause.as_ref().and_then(|p| p.until));
                pairs.insert(config.pair.symbol.to_string(), config_json(config)?);
            }
        }
        // Each pair by itself: a change to one pair reloads that pair, not all.
        Some(symbols) => {
            for symbol in symbols {
                match service.trading_config_from(symbol, from).await {
                    Ok(config) if config.pair.is_active => {
                        ends.extend(config.pair.pause.as_ref().and_then(|p| p.until));
                        pairs.insert(symbol.to_string(), config_json(&config)?);
                    }
                    Ok(_) | Err(ConfigError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
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
    // A pause that ends drops out of the pairs at that instant (see `store::pairs`).
    Ok(Answer::new(&body, Marking::InBody)?.valid_until(ends.into_iter().min()))
}

/// The most pairs a partial snapshot names.
pub(super) const MAX_PAIRS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotQuery {
    /// Comma-separated symbols: only those pairs (none: every active pair). Empty: no pair,
    /// the settings and the portfolio only.
    pairs: Option<String>,
}

/// The pairs a partial snapshot is asked for, sorted and without repeats.
fn parse_pairs(text: &str) -> Result<BTreeSet<Symbol>, ConfigError> {
    let symbols = super::symbols_in(text)?;
    if symbols.len() > MAX_PAIRS {
        return Err(ConfigError::invalid(
            "pairs",
            format!("names {} pairs: at most {MAX_PAIRS} at once", symbols.len()),
        ));
    }
    Ok(symbols)
}
