//! Queries on `trading_pairs`.

use super::Writer;
use super::{StoreError, StoreResult, UpdateOutcome};
use crate::domain::pair::{PairSettings, Symbol, TradingPair};
use crate::domain::pause::{Pause, PauseMode};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};

pub(crate) struct PairRow {
    pub id: i64,
    pub symbol: String,
    pub is_active: bool,
    pub initial_balance: Decimal,
    pub trade_size_usd: Decimal,
    pub max_position_percent: Decimal,
    pub min_trade_amount: Decimal,
    pub max_trade_amount: Decimal,
    pub price_precision: i32,
    pub amount_precision: i32,
    pub version: i32,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    pub pause_reason: Option<String>,
    pub pause_mode: Option<String>,
}

impl PairRow {
    /// The pause if it still holds: one whose end has passed is over, whatever the row says.
    fn pause(&self, now: DateTime<Utc>) -> StoreResult<Option<Pause>> {
        let (Some(since), Some(reason), Some(mode)) =
            (self.paused_at, &self.pause_reason, &self.pause_mode)
        else {
            return Ok(None);
        };
        let pause = Pause {
            mode: PauseMode::parse(mode)
                .map_err(|e| StoreError::corrupt("pause mode", e.message))?,
            reason: reason.clone(),
            since,
            until: self.paused_until,
        };
        Ok(pause.in_effect(now).then_some(pause))
    }
}

impl TryFrom<PairRow> for TradingPair {
    type Error = StoreError;
    fn try_from(r: PairRow) -> Result<Self, Self::Error> {
        Ok(TradingPair {
            pause: r.pause(Utc::now())?,
            symbol: Symbol::parse(&r.symbol)
                .map_err(|e| StoreError::corrupt("pair symbol", e.message))?,
            id: r.id,
            is_active: r.is_active,
            initial_balance: r.initial_balance.normalize(),
            trade_size_usd: r.trade_size_usd.normalize(),
            max_position_percent: r.max_position_percent.normalize(),
            min_trade_amount: r.min_trade_amount.normalize(),
            max_trade_amount: r.max_trade_amount.normalize(),
            price_precision: r.price_precision,
            amount_precision: r.amount_precision,
            version: r.version,
        })
    }
}

fn convert(rows: Vec<PairRow>) -> StoreResult<Vec<TradingPair>> {
    rows.into_iter().map(TradingPair::try_from).collect()
}

/// Every pair, active or not, by symbol.
pub async fn list(pool: &PgPool) -> StoreResult<Vec<TradingPair>> {
    convert(
        sqlx::query_as!(
            PairRow,
            "SELECT id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode FROM trading_pairs ORDER BY symbol"
        )
        .fetch_all(pool)
        .await?,
    )
}

/// The active pairs, by symbol.
pub async fn list_active(pool: &PgPool) -> StoreResult<Vec<TradingPair>> {
    convert(
        sqlx::query_as!(
            PairRow,
            "SELECT id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode FROM trading_pairs WHERE is_active ORDER BY symbol"
        )
        .fetch_all(pool)
        .await?,
    )
}

/// One pair by symbol.
pub async fn get(
    executor: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<TradingPair>> {
    sqlx::query_as!(
        PairRow,
        "SELECT id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode FROM trading_pairs WHERE symbol = $1",
        symbol.as_str()
    )
    .fetch_optional(executor)
        .await?
        .map(TradingPair::try_from)
        .transpose()
}

/// Creates a pair with default risk settings, in one transaction.
pub async fn create(
    writer: Writer<'_>,
    symbol: &Symbol,
    s: &PairSettings,
) -> StoreResult<TradingPair> {
    let mut tx = writer.begin().await?;
    let row = sqlx::query_as!(
        PairRow,
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, \
         max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode",
        symbol.as_str(),
        symbol.base(),
        symbol.quote(),
        s.initial_balance,
        s.trade_size_usd,
        s.max_position_percent,
        s.min_trade_amount,
        s.max_trade_amount,
        s.price_precision,
        s.amount_precision
    )
    .fetch_one(&mut *tx)
    .await?;
    // Its default risk row comes from the schema's trigger, as for a pair a bot inserts.
    tx.commit().await?;
    row.try_into()
}

/// Updates a pair's settings if its version is still `expected_version`.
pub async fn update(
    writer: Writer<'_>,
    symbol: &Symbol,
    s: &PairSettings,
    expected_version: i32,
) -> StoreResult<UpdateOutcome<TradingPair>> {
    let mut tx = writer.begin().await?;
    let row = sqlx::query_as!(
        PairRow,
        "UPDATE trading_pairs SET initial_balance = $2, trade_size_usd = $3, max_position_percent = $4, \
         min_trade_amount = $5, max_trade_amount = $6, price_precision = $7, amount_precision = $8 \
         WHERE symbol = $1 AND version = $9 RETURNING id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode",
        symbol.as_str(),
        s.initial_balance,
        s.trade_size_usd,
        s.max_position_percent,
        s.min_trade_amount,
        s.max_trade_amount,
        s.price_precision,
        s.amount_precision,
        expected_version
    )
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        Some(row) => UpdateOutcome::Updated(row.try_into()?),
        None => match get(&mut *tx, symbol).await? {
            Some(current) => UpdateOutcome::Stale(current),
            None => UpdateOutcome::NotFound,
        },
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Activates or deactivates a pair; `None` when it does not exist.
pub async fn set_active(
    writer: Writer<'_>,
    symbol: &Symbol,
    active: bool,
) -> StoreResult<Option<TradingPair>> {
    let mut tx = writer.begin().await?;
    let pair = sqlx::query_as!(
        PairRow,
        "UPDATE trading_pairs SET is_active = $2 WHERE symbol = $1 RETURNING id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode",
        symbol.as_str(),
        active
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(TradingPair::try_from)
    .transpose()?;
    tx.commit().await?;
    Ok(pair)
}

/// Pauses a pair (`Some`) or resumes it (`None`), whatever its version: an operator's stop
/// must not fail on a concurrent edit. `None` when the pair does not exist.
pub async fn set_pause(
    writer: Writer<'_>,
    symbol: &Symbol,
    pause: Option<&Pause>,
) -> StoreResult<Option<TradingPair>> {
    let mut tx = writer.begin().await?;
    let pair = sqlx::query_as!(
        PairRow,
        "UPDATE trading_pairs SET paused_at = $2, paused_until = $3, pause_reason = $4, pause_mode = $5 \
         WHERE symbol = $1 RETURNING id, symbol, is_active, initial_balance, trade_size_usd, max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision, version, paused_at, paused_until, pause_reason, pause_mode",
        symbol.as_str(),
        pause.map(|p| p.since),
        pause.and_then(|p| p.until),
        pause.map(|p| p.reason.as_str()),
        pause.map(|p| p.mode.as_str())
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(TradingPair::try_from)
    .transpose()?;
    tx.commit().await?;
    Ok(pair)
}

/// Adds `count` synthetic active pairs `S1/USDT`… with default risk and the default two
/// strategies, in one transaction (benchmarks on scratch databases).
pub async fn insert_synthetic(pool: &PgPool, count: usize) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
         SELECT 'S' || i || '/USDT', 'S' || i, 'USDT', 100, 10, 5 FROM generate_series(1, $1) AS i",
        count as i32
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO pair_risk_config (pair_id) SELECT id FROM trading_pairs p \
         WHERE NOT EXISTS (SELECT 1 FROM pair_risk_config r WHERE r.pair_id = p.id)"
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO pair_strategy_config (pair_id, strategy_id, weight, parameters) \
         SELECT p.id, s.id, CASE s.strategy_name WHEN 'sma_crossover' THEN 0.6 ELSE 0.4 END, \
                CASE s.strategy_name WHEN 'sma_crossover' THEN '{\"short_period\": 10, \"long_period\": 30}'::jsonb \
                ELSE '{\"rsi_period\": 14, \"overbought_threshold\": 70, \"oversold_threshold\": 30}'::jsonb END \
         FROM trading_pairs p CROSS JOIN strategies s \
         WHERE s.strategy_name IN ('sma_crossover', 'rsi') AND p.symbol LIKE 'S%/USDT' \
         ON CONFLICT (pair_id, strategy_id) DO NOTHING"
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
