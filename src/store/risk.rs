//! Queries on `pair_risk_config`.

use super::UpdateOutcome;
use super::Writer;
use super::{StoreError, StoreResult};
use crate::domain::pair::Symbol;
use crate::domain::risk::{RiskConfig, RiskSettings};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};

struct RiskRow {
    symbol: String,
    stop_loss_percent: Decimal,
    take_profit_percent: Decimal,
    max_daily_trades: i32,
    max_daily_loss_percent: Decimal,
    trailing_stop_enabled: bool,
    trailing_stop_percent: Decimal,
    max_drawdown_percent: Decimal,
    position_sizing_method: String,
    volatility_lookback_days: i32,
    outage_policy: String,
    version: i32,
}

impl TryFrom<RiskRow> for RiskConfig {
    type Error = StoreError;
    fn try_from(r: RiskRow) -> Result<Self, Self::Error> {
        Ok(RiskConfig {
            symbol: Symbol::parse(&r.symbol)
                .map_err(|e| StoreError::corrupt("pair symbol", e.message))?,
            settings: RiskSettings {
                stop_loss_percent: r.stop_loss_percent.normalize(),
                take_profit_percent: r.take_profit_percent.normalize(),
                max_daily_trades: r.max_daily_trades,
                max_daily_loss_percent: r.max_daily_loss_percent.normalize(),
                trailing_stop_enabled: r.trailing_stop_enabled,
                trailing_stop_percent: r.trailing_stop_percent.normalize(),
                max_drawdown_percent: r.max_drawdown_percent.normalize(),
                position_sizing_method: r.position_sizing_method.parse().map_err(
                    |e: crate::domain::FieldError| {
                        StoreError::corrupt("position sizing", e.message)
                    },
                )?,
                volatility_lookback_days: r.volatility_lookback_days,
                outage_policy: r.outage_policy.parse().map_err(
                    |e: crate::domain::FieldError| StoreError::corrupt("outage policy", e.message),
                )?,
            },
            version: r.version,
        })
    }
}

/// One pair's risk settings.
pub async fn get(
    executor: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<RiskConfig>> {
    sqlx::query_as!(
        RiskRow,
        "SELECT p.symbol, r.stop_loss_percent, r.take_profit_percent, r.max_daily_trades, r.max_daily_loss_percent, r.trailing_stop_enabled, r.trailing_stop_percent, r.max_drawdown_percent, r.position_sizing_method, r.volatility_lookback_days, r.outage_policy, r.version FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id WHERE p.symbol = $1",
        symbol.as_str()
    )
    .fetch_optional(executor)
        .await?
        .map(RiskConfig::try_from)
        .transpose()
}

/// Every pair's risk settings, in one query (warming).
pub async fn list(pool: &PgPool) -> StoreResult<Vec<RiskConfig>> {
    sqlx::query_as!(
        RiskRow,
        "SELECT p.symbol, r.stop_loss_percent, r.take_profit_percent, r.max_daily_trades, r.max_daily_loss_percent, r.trailing_stop_enabled, r.trailing_stop_percent, r.max_drawdown_percent, r.position_sizing_method, r.volatility_lookback_days, r.outage_policy, r.version FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id"
    )
    .fetch_all(pool)
        .await?
        .into_iter()
        .map(RiskConfig::try_from)
        .collect()
}

/// Updates a pair's risk settings if the row is still at `expected_version`.
pub async fn update(
    writer: Writer<'_>,
    symbol: &Symbol,
    s: &RiskSettings,
    expected_version: i32,
) -> StoreResult<UpdateOutcome<RiskConfig>> {
    let mut tx = writer.begin().await?;
    let outcome = update_in(&mut tx, symbol, s, expected_version).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// `update`, inside the caller's transaction (a copy to many pairs is one).
pub async fn update_in(
    tx: &mut sqlx::PgConnection,
    symbol: &Symbol,
    s: &RiskSettings,
    expected_version: i32,
) -> StoreResult<UpdateOutcome<RiskConfig>> {
    let updated = sqlx::query!(
        "UPDATE pair_risk_config r SET stop_loss_percent = $2, take_profit_percent = $3, max_daily_trades = $4, \
         max_daily_loss_percent = $5, trailing_stop_enabled = $6, trailing_stop_percent = $7, \
         max_drawdown_percent = $8, position_sizing_method = $9, volatility_lookback_days = $10, \
         outage_policy = $12 \
         FROM trading_pairs p WHERE p.id = r.pair_id AND p.symbol = $1 AND r.version = $11",
        symbol.as_str(),
        s.stop_loss_percent,
        s.take_profit_percent,
        s.max_daily_trades,
        s.max_daily_loss_percent,
        s.trailing_stop_enabled,
        s.trailing_stop_percent,
        s.max_drawdown_percent,
        s.position_sizing_method.as_str(),
        s.volatility_lookback_days,
        expected_version,
        s.outage_policy.as_str()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let current = get(&mut *tx, symbol).await?;
    Ok(match (updated, current) {
        (1, Some(current)) => UpdateOutcome::Updated(current),
        (_, Some(current)) => UpdateOutcome::Stale(current),
        (_, None) => UpdateOutcome::NotFound,
    })
}
