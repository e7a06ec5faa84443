//! Queries on `strategies` and `pair_strategy_config`.

use super::UpdateOutcome;
use super::Writer;
use super::{StoreError, StoreResult};
use crate::domain::pair::Symbol;
use crate::domain::strategy::{
    params_from_json, params_to_json, PairStrategy, ParamDef, ParamValues, Strategy,
};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};

struct StrategyRow {
    id: i64,
    name: String,
    display_name: String,
    description: String,
    strategy_type: String,
    is_active: bool,
    parameters: serde_json::Value,
}

impl TryFrom<StrategyRow> for Strategy {
    type Error = StoreError;
    fn try_from(r: StrategyRow) -> Result<Self, Self::Error> {
        let parameters: Vec<ParamDef> = serde_json::from_value(r.parameters)
            .map_err(|e| StoreError::corrupt(format!("strategy {}", r.name), e))?;
        Ok(Strategy {
            id: r.id,
            name: r.name,
            display_name: r.display_name,
            description: r.description,
            strategy_type: r.strategy_type,
            is_active: r.is_active,
            parameters,
        })
    }
}

/// Every strategy, by name.
pub async fn list(executor: impl PgExecutor<'_>) -> StoreResult<Vec<Strategy>> {
    sqlx::query_as!(
        StrategyRow,
        "SELECT id, strategy_name AS name, display_name, description, strategy_type, is_active, parameters \
         FROM strategies ORDER BY strategy_name"
    )
    .fetch_all(executor)
        .await?
        .into_iter()
        .map(Strategy::try_from)
        .collect()
}

/// One strategy by name.
pub async fn get(executor: impl PgExecutor<'_>, name: &str) -> StoreResult<Option<Strategy>> {
    sqlx::query_as!(
        StrategyRow,
        "SELECT id, strategy_name AS name, display_name, description, strategy_type, is_active, parameters \
         FROM strategies WHERE strategy_name = $1",
        name
    )
    .fetch_optional(executor)
        .await?
        .map(Strategy::try_from)
        .transpose()
}

struct PairStrategyRow {
    symbol: String,
    strategy: String,
    display_name: String,
    description: String,
    strategy_type: String,
    is_enabled: bool,
    weight: Decimal,
    parameters: serde_json::Value,
    version: i32,
}

impl TryFrom<PairStrategyRow> for PairStrategy {
    type Error = StoreError;
    fn try_from(r: PairStrategyRow) -> Result<Self, Self::Error> {
        let what = format!("{} parameters of {}", r.strategy, r.symbol);
        Ok(PairStrategy {
            symbol: Symbol::parse(&r.symbol)
                .map_err(|e| StoreError::corrupt("pair symbol", e.message))?,
            parameters: params_from_json(&r.parameters)
                .map_err(|e| StoreError::corrupt(what, e))?,
            strategy: r.strategy,
            display_name: r.display_name,
            description: r.description,
            strategy_type: r.strategy_type,
            is_enabled: r.is_enabled,
            weight: r.weight.normalize(),
            version: r.version,
        })
    }
}

fn convert(rows: Vec<PairStrategyRow>) -> StoreResult<Vec<PairStrategy>> {
    rows.into_iter().map(PairStrategy::try_from).collect()
}

/// The strategies configured for one pair (enabled or not), by strategy name.
pub async fn for_pair(
    executor: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Vec<PairStrategy>> {
    convert(
        sqlx::query_as!(
            PairStrategyRow,
            "SELECT p.symbol, s.strategy_name AS strategy, s.display_name, s.description, s.strategy_type, c.is_enabled, c.weight, c.parameters, c.version FROM pair_strategy_config c JOIN trading_pairs p ON p.id = c.pair_id JOIN strategies s ON s.id = c.strategy_id WHERE p.symbol = $1 ORDER BY s.strategy_name",
            symbol.as_str()
        )
        .fetch_all(executor)
        .await?,
    )
}

/// One pair's configuration of one strategy.
pub async fn for_pair_strategy(
    executor: impl PgExecutor<'_>,
    symbol: &Symbol,
    strategy: &str,
) -> StoreResult<Option<PairStrategy>> {
    sqlx::query_as!(
        PairStrategyRow,
        "SELECT p.symbol, s.strategy_name AS strategy, s.display_name, s.description, s.strategy_type, c.is_enabled, c.weight, c.parameters, c.version FROM pair_strategy_config c JOIN trading_pairs p ON p.id = c.pair_id JOIN strategies s ON s.id = c.strategy_id WHERE p.symbol = $1 AND s.strategy_name = $2",
        symbol.as_str(),
        strategy
    )
    .fetch_optional(executor)
        .await?
        .map(PairStrategy::try_from)
        .transpose()
}

/// Every pair's strategy configuration, in one query (warming).
pub async fn list_all(pool: &PgPool) -> StoreResult<Vec<PairStrategy>> {
    convert(
        sqlx::query_as!(
            PairStrategyRow,
            "SELECT p.symbol, s.strategy_name AS strategy, s.display_name, s.description, s.strategy_type, c.is_enabled, c.weight, c.parameters, c.version FROM pair_strategy_config c JOIN trading_pairs p ON p.id = c.pair_id JOIN strategies s ON s.id = c.strategy_id ORDER BY p.symbol, s.strategy_name"
        )
        .fetch_all(pool)
        .await?,
    )
}

/// The new state of a pair's strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct PairStrategyUpdate {
    pub is_enabled: bool,
    pub weight: Decimal,
    pub parameters: ParamValues,
}

/// Creates or updates a pair's configuration of a strategy. With `expected_version`, an
/// existing row is only changed at that version (0 means "expected not to exist yet").
pub async fn upsert(
    writer: Writer<'_>,
    symbol: &Symbol,
    strategy: &str,
    update: &PairStrategyUpdate,
    expected_version: Option<i32>,
) -> StoreResult<UpdateOutcome<PairStrategy>> {
    let mut tx = writer.begin().await?;
    let outcome = upsert_in(&mut tx, symbol, strategy, update, expected_version).await?;
    if matches!(outcome, UpdateOutcome::Updated(_)) {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// `upsert`, inside the caller's transaction (a copy to many pairs is one).
pub async fn upsert_in(
    tx: &mut sqlx::PgConnection,
    symbol: &Symbol,
    strategy: &str,
    update: &PairStrategyUpdate,
    expected_version: Option<i32>,
) -> StoreResult<UpdateOutcome<PairStrategy>> {
    let ids = sqlx::query!(
        "SELECT p.id AS pair_id, s.id AS strategy_id FROM trading_pairs p, strategies s \
         WHERE p.symbol = $1 AND s.strategy_name = $2 FOR UPDATE OF p",
        symbol.as_str(),
        strategy
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|ids| (ids.pair_id, ids.strategy_id));
    let Some((pair_id, strategy_id)) = ids else {
        return Ok(UpdateOutcome::NotFound);
    };
    let existing = for_pair_strategy(&mut *tx, symbol, strategy).await?;
    // Versions start at 1: an expected 0 ("no row yet") is stale once someone made one.
    if let (Some(expected), Some(current)) = (expected_version, &existing) {
        if current.version != expected {
            return Ok(UpdateOutcome::Stale(current.clone()));
        }
    }
    sqlx::query!(
        "INSERT INTO pair_strategy_config (pair_id, strategy_id, is_enabled, weight, parameters) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pair_id, strategy_id) DO UPDATE \
         SET is_enabled = EXCLUDED.is_enabled, weight = EXCLUDED.weight, parameters = EXCLUDED.parameters",
        pair_id,
        strategy_id,
        update.is_enabled,
        update.weight,
        params_to_json(&update.parameters)
    )
    .execute(&mut *tx)
    .await?;
    let saved = for_pair_strategy(&mut *tx, symbol, strategy)
        .await?
        .ok_or_else(|| {
            StoreError::corrupt("pair strategy", "vanished inside its own transaction")
        })?;
    Ok(UpdateOutcome::Updated(saved))
}
