//! Applying a whole configuration document in one transaction.

use super::StoreResult;
use super::Writer;
use crate::domain::strategy::params_to_json;
use crate::domain::system::SettingValue;
use crate::domain::transfer::ConfigDocument;

/// Writes every setting, pair, risk and strategy the document names; all or nothing.
/// `settings` are the document's values already typed by the caller.
pub async fn apply(
    writer: Writer<'_>,
    doc: &ConfigDocument,
    settings: &[(String, SettingValue)],
) -> StoreResult<()> {
    let mut tx = writer.begin().await?;
    for (key, value) in settings {
        sqlx::query!(
            "UPDATE system_config SET config_value = $2 WHERE config_key = $1 AND config_value IS DISTINCT FROM $2",
            key,
            value.to_string()
        )
        .execute(&mut *tx)
        .await?;
    }
    for pair in &doc.pairs {
        let s = &pair.settings;
        let pair_id = sqlx::query_scalar!(
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
        .fetch_optional(&mut *tx)
        .await?;
        // An unchanged row is not written (no version bump, no false conflict for anyone
        // with a form open), so it returns nothing: look its id up.
        let pair_id: i64 = match pair_id {
            Some(id) => id,
            None => {
                sqlx::query_scalar!(
                    "SELECT id FROM trading_pairs WHERE symbol = $1",
                    pair.symbol.as_str()
                )
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let r = &pair.risk;
        sqlx::query!(
            "INSERT INTO pair_risk_config (pair_id, stop_loss_percent, take_profit_percent, max_daily_trades, \
             max_daily_loss_percent, trailing_stop_enabled, trailing_stop_percent, max_drawdown_percent, \
             position_sizing_method, volatility_lookback_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (pair_id) DO UPDATE SET stop_loss_percent = EXCLUDED.stop_loss_percent, \
             take_profit_percent = EXCLUDED.take_profit_percent, max_daily_trades = EXCLUDED.max_daily_trades, \
             max_daily_loss_percent = EXCLUDED.max_daily_loss_percent, trailing_stop_enabled = EXCLUDED.trailing_stop_enabled, \
             trailing_stop_percent = EXCLUDED.trailing_stop_percent, max_drawdown_percent = EXCLUDED.max_drawdown_percent, \
             position_sizing_method = EXCLUDED.position_sizing_method, volatility_lookback_days = EXCLUDED.volatility_lookback_days \
             WHERE (pair_risk_config.stop_loss_percent, pair_risk_config.take_profit_percent, pair_risk_config.max_daily_trades, \
             pair_risk_config.max_daily_loss_percent, pair_risk_config.trailing_stop_enabled, pair_risk_config.trailing_stop_percent, \
             pair_risk_config.max_drawdown_percent, pair_risk_config.position_sizing_method, pair_risk_config.volatility_lookback_days) \
             IS DISTINCT FROM (EXCLUDED.stop_loss_percent, EXCLUDED.take_profit_percent, EXCLUDED.max_daily_trades, \
             EXCLUDED.max_daily_loss_percent, EXCLUDED.trailing_stop_enabled, EXCLUDED.trailing_stop_percent, \
             EXCLUDED.max_drawdown_percent, EXCLUDED.position_sizing_method, EXCLUDED.volatility_lookback_days)",
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
        )
        .execute(&mut *tx)
        .await?;
        for (name, strategy) in &pair.strategies {
            sqlx::query!(
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
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
