//! Applying a whole configuration document in one transaction.

use super::{StoreError, StoreResult, Writer};
use crate::domain::strategy::params_to_json;
use crate::domain::system::SettingValue;
use crate::domain::transfer::ConfigDocument;
use std::time::Duration;

/// `statement` within `deadline`: a transaction of many statements is bounded one statement
/// at a time, so a large import that keeps making progress is never cut off, while one
/// that stops hearing from the database still fails.
async fn bounded<T>(
    deadline: Duration,
    statement: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> StoreResult<T> {
    tokio::time::timeout(deadline, statement)
        .await
        .map_err(|_| StoreError::TimedOut(deadline))?
        .map_err(StoreError::from)
}

/// Writes every setting, pair, risk and strategy the document names; all or nothing.
/// `settings` are the document's values already typed by the caller. Each statement has
/// `deadline`; returns how many rows it changed.
pub async fn apply(
    writer: Writer<'_>,
    doc: &ConfigDocument,
    settings: &[(String, SettingValue)],
    deadline: Duration,
) -> StoreResult<u64> {
    let mut changed = 0;
    let mut tx = bounded(deadline, writer.pool.begin()).await?;
    bounded(deadline, super::record_as(&mut tx, writer.actor)).await?;
    for (key, value) in settings {
        changed += bounded(deadline, sqlx::query!(
            "UPDATE system_config SET config_value = $2 WHERE config_key = $1 AND config_value IS DISTINCT FROM $2",
            key,
            value.to_string()
        )
        .execute(&mut *tx))
        .await?
        .rows_affected();
    }
    for pair in &doc.pairs {
        let s = &pair.settings;
        let pair_id = bounded(deadline, sqlx::query_scalar!(
            "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, is_active, initial_balance, trade_size_usd, \
             max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (symbol) DO UPDATE SET is_active = EXCLUDED.is_active, initial_balance = EXCLUDED.initial_balance, \
             trade_size_usd = EXCLUDED.trade_size_usd, max_position_percent = EXCLUDED.max_position_percent, \
             min_trade_amount = EXCLUDED.min_trade_amount, max_trade_amount = EXCLUDED.max_trade_amount, \
             price_precision = EXCLUDED.price_precision, amount_precision = EXCLUDED.amount_precision \
             WHERE (trading_pairs.is_active, trading_pairs.initial_balance, trading_pairs.trade_size_usd, \
             trading_pairs.max_position_percent, trading_pairs.min_trade_amount, trading_pairs.max_trade_amount, \
             trading_pairs.price_precision, trading_pairs.amount_precision) IS DISTINCT FROM \
             (EXCLUDED.is_active, EXCLUDED.initial_balance, EXCLUDED.trade_size_usd, EXCLUDED.max_position_percent, \
             EXCLUDED.min_trade_amount, EXCLUDED.max_trade_amount, EXCLUDED.price_precision, EXCLUDED.amount_precision) \
             RETURNING id",
            pair.symbol.as_str(),
            pair.symbol.base(),
            pair.symbol.quote(),
            pair.is_active,
            s.initial_balance,
            s.trade_size_usd,
            s.max_position_percent,
            s.min_trade_amount,
            s.max_trade_amount,
            s.price_precision,
            s.amount_precision,
        )
        .fetch_optional(&mut *tx))
        .await?;
        changed += u64::from(pair_id.is_some());
        // An unchanged row is not written (no version bump, no false conflict for anyone
        // with a form open), so it returns nothing: look its id up.
        let pair_id: i64 = match pair_id {
            Some(id) => id,
            None => {
                bounded(
                    deadline,
                    sqlx::query_scalar!(
                        "SELECT id FROM trading_pairs WHERE symbol = $1",
                        pair.symbol.as_str()
                    )
                    .fetch_one(&mut *tx),
                )
                .await?
            }
        };
        let r = &pair.risk;
        changed += bounded(deadline, sqlx::query!(
            "INSERT INTO pair_risk_config (pair_id, stop_loss_percent, take_profit_percent, max_daily_trades, \
             max_daily_loss_percent, trailing_stop_enabled, trailing_stop_percent, max_drawdown_percent, \
             position_sizing_method, volatility_lookback_days, outage_policy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (pair_id) DO UPDATE SET stop_loss_percent = EXCLUDED.stop_loss_percent, \
             take_profit_percent = EXCLUDED.take_profit_percent, max_daily_trades = EXCLUDED.max_daily_trades, \
             max_daily_loss_percent = EXCLUDED.max_daily_loss_percent, trailing_stop_enabled = EXCLUDED.trailing_stop_enabled, \
             trailing_stop_percent = EXCLUDED.trailing_stop_percent, max_drawdown_percent = EXCLUDED.max_drawdown_percent, \
             position_sizing_method = EXCLUDED.position_sizing_method, volatility_lookback_days = EXCLUDED.volatility_lookback_days, \
             outage_policy = EXCLUDED.outage_policy \
             WHERE (pair_risk_config.stop_loss_percent, pair_risk_config.take_profit_percent, pair_risk_config.max_daily_trades, \
             pair_risk_config.max_daily_loss_percent, pair_risk_config.trailing_stop_enabled, pair_risk_config.trailing_stop_percent, \
             pair_risk_config.max_drawdown_percent, pair_risk_config.position_sizing_method, pair_risk_config.volatility_lookback_days, \
             pair_risk_config.outage_policy) \
             IS DISTINCT FROM (EXCLUDED.stop_loss_percent, EXCLUDED.take_profit_percent, EXCLUDED.max_daily_trades, \
             EXCLUDED.max_daily_loss_percent, EXCLUDED.trailing_stop_enabled, EXCLUDED.trailing_stop_percent, \
             EXCLUDED.max_drawdown_percent, EXCLUDED.position_sizing_method, EXCLUDED.volatility_lookback_days, \
             EXCLUDED.outage_policy)",
            pair_id,
            r.stop_loss_percent,
            r.take_profit_percent,
            r.max_daily_trades,
            r.max_daily_loss_percent,
            r.trailing_stop_enabled,
            r.trailing_stop_percent,
            r.max_drawdown_percent,
            r.position_sizing_method.as_str(),
            r.volatility_lookback_days,
            r.outage_policy.as_str(),
        )
        .execute(&mut *tx))
        .await?
        .rows_affected();
        for (name, strategy) in &pair.strategies {
            changed += bounded(deadline, sqlx::query!(
                "INSERT INTO pair_strategy_config (pair_id, strategy_id, is_enabled, weight, parameters) \
                 SELECT $1, id, $3, $4, $5 FROM strategies WHERE strategy_name = $2 \
                 ON CONFLICT (pair_id, strategy_id) DO UPDATE SET is_enabled = EXCLUDED.is_enabled, \
                 weight = EXCLUDED.weight, parameters = EXCLUDED.parameters \
                 WHERE (pair_strategy_config.is_enabled, pair_strategy_config.weight, pair_strategy_config.parameters) \
                 IS DISTINCT FROM (EXCLUDED.is_enabled, EXCLUDED.weight, EXCLUDED.parameters)",
                pair_id,
                name,
                strategy.enabled,
                strategy.weight,
                params_to_json(&strategy.parameters),
            )
            .execute(&mut *tx))
            .await?
            .rows_affected();
        }
    }
    bounded(deadline, tx.commit()).await?;
    Ok(changed)
}
