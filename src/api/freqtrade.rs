//! freqtrade's pair list from botconfig: its `RemotePairList` handler fetches
//! `{"pairs": [...], "refresh_period": N}` from a URL with a bearer token, and trades the
//! pairs it lists (or, as a blacklist, never trades them).

use super::{parse_symbol, ApiError};
use crate::domain::pair::TradingPair;
use crate::domain::ConfigError;
use crate::http::answer::Conditions;
use crate::http::{Answer, Answers, Marking};
use crate::service::{ConfigService, ReadFrom};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

/// The setting that holds freqtrade's `refresh_period`, and its value when it is missing.
pub const REFRESH_SETTING: &str = "freqtrade_refresh_period";
pub const DEFAULT_REFRESH_SECONDS: i64 = 300;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairListQuery {
    /// Only pairs quoted in this asset (`USDT`).
    quote: Option<String>,
    /// `whitelist` (the default): the pairs that should trade now; `blacklist`: the paused
    /// and inactive ones.
    mode: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Whitelist,
    Blacklist,
}

impl PairListQuery {
    fn parse(&self) -> Result<(Mode, Option<String>), ConfigError> {
        let mode = match self.mode.as_deref() {
            None | Some("whitelist") => Mode::Whitelist,
            Some("blacklist") => Mode::Blacklist,
            Some(other) => {
                return Err(ConfigError::invalid(
                    "mode",
                    format!("\"{other}\" is not whitelist or blacklist"),
                ))
            }
        };
        // Any case: `usdt` is USDT.
        let quote = self.quote.as_deref().map(|q| q.trim().to_ascii_uppercase());
        let quote = match quote.as_deref() {
            None | Some("") => None,
            // A quote asset is what follows the slash of a valid symbol.
            Some(quote) => Some(
                parse_symbol(&format!("XX/{quote}"))
                    .map_err(|_| {
                        ConfigError::invalid(
                            "quote",
                            format!("\"{quote}\" is not an asset code such as USDT"),
                        )
                    })?
                    .quote()
                    .to_owned(),
            ),
        };
        Ok((mode, quote))
    }
}

/// The pair list freqtrade's `RemotePairList` reads (`pairlists: [{"method":
/// "RemotePairList", "pairlist_url": …, "bearer_token": …}]`).
#[utoipa::path(
    get,
    path = "/api/v1/freqtrade/pairlist",
    tag = "bots",
    params(
        ("quote" = Option<String>, Query, description = "Only pairs quoted in this asset, e.g. USDT"),
        ("mode" = Option<String>, Query, description = "whitelist (default): the pairs that should trade now (active, not paused, with an enabled strategy, no emergency stop); blacklist: the paused and inactive ones")
    ),
    responses((status = 200, description = "{\"pairs\": [\"BTC/USDT\", …], \"refresh_period\": 300}", body = Object), (status = 422, description = "A bad quote or mode", body = Object), crate::http::error::Refusals),
    security(("read_token" = []))
)]
pub async fn pairlist(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    Query(query): Query<PairListQuery>,
    conditions: Conditions,
) -> Result<Response, ApiError> {
    let (mode, quote) = query.parse()?;
    let key = format!(
        "freqtrade:{}:{}",
        if mode == Mode::Whitelist {
            "white"
        } else {
            "black"
        },
        quote.as_deref().unwrap_or("")
    );
    let (service, quote) = (&service, quote.as_deref());
    Ok(answers
        .answer(service, &key, &conditions, |from| async move {
            build(service, from, mode, quote).await
        })
        .await?)
}

async fn build(
    service: &ConfigService,
    from: ReadFrom,
    mode: Mode,
    quote: Option<&str>,
) -> Result<Answer, ConfigError> {
    let now = chrono::Utc::now();
    let settings = service.bot_settings(from).await?;
    let find = |key: &str| settings.iter().find(|s| s.key == key);
    let refresh_period = match find(REFRESH_SETTING) {
        Some(setting) => setting.integer()?,
        None => DEFAULT_REFRESH_SECONDS,
    };
    let quoted = |pair: &TradingPair| quote.is_none_or(|q| pair.symbol.quote() == q);
    let (symbols, until) = match mode {
        Mode::Whitelist => {
            // A halt flag that cannot be read halts, as should_trade_pair does.
            let halted = match find("emergency_stop_triggered") {
                Some(setting) => setting.bool()?,
                None => false,
            };
            let configs = service.active_trading_configs(from).await?;
            let candidates: Vec<_> = configs
                .iter()
                .filter(|c| !halted && !c.strategies.is_empty() && quoted(&c.pair))
                .map(|c| &c.pair)
                .collect();
            listed(&candidates, |p| p.pause_at(now).is_none())
        }
        Mode::Blacklist => {
            let all = service.all_pairs_from(from).await?;
            let candidates: Vec<_> = all.iter().filter(|p| quoted(p)).collect();
            listed(&candidates, |p| !p.is_active || p.pause_at(now).is_some())
        }
    };
    let body = json!({ "pairs": symbols, "refresh_period": refresh_period });
    Ok(Answer::new(&body, Marking::InBody)?.valid_until(until))
}

/// The symbols of the `candidates` that `list` takes, and when the list changes by the
/// clock: the first end among their pauses (a pair moves between the lists then).
fn listed(
    candidates: &[&TradingPair],
    list: impl Fn(&TradingPair) -> bool,
) -> (Vec<String>, Option<chrono::DateTime<chrono::Utc>>) {
    let symbols = candidates
        .iter()
        .filter(|p| list(p))
        .map(|p| p.symbol.to_string())
        .collect();
    (
        symbols,
        crate::domain::pair::first_pause_end(candidates.iter().copied()),
    )
}
