//! `GET /api/v1/openapi.json`: the API's contract, generated from the handlers' own
//! annotations and the domain's types (utoipa). A test checks it against the router's
//! table: every `/api/v1` route is in it, with the token its requirement asks for.

use crate::domain::copy::FieldChange;
use crate::domain::fleet::{Fleet, Reader, ReaderKind, ReaderReport};
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::pause::{Pause, PauseMode, PauseRequest};
use crate::domain::risk::{OutagePolicy, RiskConfig, RiskSettings};
use crate::domain::stats::{CacheStats, WarmReport};
use crate::domain::strategy::PairStrategy;
use crate::domain::system::{SettingValue, SystemSetting};
use crate::domain::trading::{PortfolioSettings, TradeDecision, TradingConfig, WeightedStrategy};
use crate::domain::warnings::{ValidationReport, Warning};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The security scheme a route requiring a token of `scope` names.
pub fn scheme_of(scope: crate::domain::auth::Scope) -> String {
    format!("{scope}_token")
}

struct Tokens;

impl Modify for Tokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::domain::auth::Scope;
        let components = openapi.components.get_or_insert_with(Default::default);
        for scope in [Scope::Read, Scope::Write, Scope::Admin] {
            let mut bearer = Http::new(HttpAuthScheme::Bearer);
            bearer.description = Some(format!(
                "An API token of {scope} scope or above: botconfig token create NAME --scope {scope}"
            ));
            components.add_security_scheme(scheme_of(scope), SecurityScheme::Http(bearer));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "botconfig", description = "Cached trading-bot configuration over Postgres"),
    paths(
        super::healthz,
        super::pair_config,
        super::should_trade,
        super::active_pairs,
        super::portfolio,
        super::validate,
        super::cache_stats,
        super::cache_warm,
        super::cache_clear,
        super::cache_invalidate,
        super::stream::stream,
        super::snapshot::snapshot,
        super::fleet::list,
        super::fleet::heartbeat,
        super::writes::create_pair,
        super::writes::update_pair,
        super::writes::update_risk,
        super::freqtrade::pairlist,
        super::writes::copy_setup,
        super::writes::bulk_edit,
        super::writes::pause_pair,
        super::writes::resume_pair,
        super::writes::update_pair_strategy,
        super::writes::update_setting,
        crate::http::metrics::scrape,
        contract,
    ),
    components(schemas(
        Symbol, TradingPair, RiskConfig, RiskSettings, CacheStats, WarmReport, PairStrategy,
        SettingValue, SystemSetting, PortfolioSettings, TradeDecision, TradingConfig,
        WeightedStrategy, OutagePolicy, Fleet, Reader, ReaderKind, ReaderReport,
        Pause, PauseMode, PauseRequest, ValidationReport, Warning, FieldChange,
        super::writes::CopyRequest, super::writes::BulkRequest, super::writes::BulkFilter,
        crate::domain::bulk::BulkEdit
    )),
    modifiers(&Tokens)
)]
pub struct ApiDoc;

/// The contract as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the contract serialises")
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "contract",
    responses((status = 200, description = "This document", body = Object)),
    security(("read_token" = []))
)]
pub(super) async fn contract() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document(),
    )
        .into_response()
}
