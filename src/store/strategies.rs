//! Queries on `strategies` and `pair_strategy_config`.

use super::UpdateOutcome;
use super::{StoreError, StoreResult};
use crate::domain::pair::Symbol;
use crate::domain::strategy::{
    params_from_json, params_to_json, PairStrategy, ParamDef, ParamValues, Strategy,
};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};

#[derive(sqlx::FromRow)]
struct StrategyRow {
    id: i64,
    name: String,
    display_name: String,
    description: String,
    strategy_type: String,
    is_active: bool,
    parameters: Json<serde_json::Value>,
}

macro_rules! strategy_columns {
    () => {
        "id, name, display_name, description, strategy_type, is_active, parameters"
    };
}

impl TryFrom<StrategyRow> for Strategy {
    type Error = StoreError;
    fn try_from(r: StrategyRow) -> Result<Self, Self::Error> {
        let parameters: Vec<ParamDef> = serde_json::from_value(r.parameters.0)
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
pub async fn list(pool: &PgPool) -> StoreResult<Vec<Strategy>> {
    let sql = concat!(
        "SELECT ",
        strategy_columns!(),
        " FROM strategies ORDER BY name"
    );
    sqlx::query_as::<_, StrategyRow>(sql)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Strategy::try_from)
        .collect()
}

/// One strategy by name.
pub async fn get(executor: impl PgExecutor<'_>, name: &str) -> StoreResult<Option<Strategy>> {
    let sql = concat!(
        "SELECT ",
        strategy_columns!(),
        " FROM strategies WHERE name = $1"
    );
    sqlx::query_as::<_, StrategyRow>(sql)
        .bind(name)
        .fetch_optional(executor)
        .await?
        .map(Strategy::try_from)
        .transpose()
}

#[derive(sqlx::FromRow)]
struct PairStrategyRow {
    symbol: String,
    strategy: String,
    display_name: String,
    is_enabled: bool,
    weight: Decimal,
    parameters: Json<serde_json::Value>,
    version: i32,
}

macro_rules! pair_strategy_select {
    () => {
        "SELECT p.symbol, s.name AS strategy, s.display_name, c.is_enabled, c.weight, \
     c.parameters, c.version FROM pair_strategy_config c \
     JOIN trading_pairs p ON p.id = c.pair_id JOIN strategies s ON s.id = c.strategy_id"
    };
}

impl TryFrom<PairStrategyRow> for PairStrategy {
    type Error = StoreError;
    fn try_from(r: PairStrategyRow) -> Result<Self, Self::Error> {
        let what = format!("{} parameters of {}", r.strategy, r.symbol);
        Ok(PairStrategy {
            symbol: Symbol::parse(&r.symbol)
                .map_err(|e| StoreError::corrupt("pair symbol", e.message))?,
            parameters: params_from_json(&r.parameters.0)
                .map_err(|e| StoreError::corrupt(what, e))?,
            strategy: r.strategy,
            display_name: r.display_name,
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
    let sql = concat!(
        pair_strategy_select!(),
        " WHERE p.symbol = $1 ORDER BY s.name"
    );
    convert(
        sqlx::query_as::<_, PairStrategyRow>(sql)
            .bind(symbol.as_str())
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
    let sql = concat!(
        pair_strategy_select!(),
        " WHERE p.symbol = $1 AND s.name = $2"
    );
    sqlx::query_as::<_, PairStrategyRow>(sql)
        .bind(symbol.as_str())
        .bind(strategy)
        .fetch_optional(executor)
        .await?
        .map(PairStrategy::try_from)
        .transpose()
}

/// Every pair's strategy configuration, in one query (warming).
pub async fn list_all(pool: &PgPool) -> StoreResult<Vec<PairStrategy>> {
    let sql = concat!(pair_strategy_select!(), " ORDER BY p.symbol, s.name");
    convert(
        sqlx::query_as::<_, PairStrategyRow>(sql)
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
    pool: &PgPool,
    symbol: &Symbol,
    strategy: &str,
    update: &PairStrategyUpdate,
    expected_version: Option<i32>,
) -> StoreResult<UpdateOutcome<PairStrategy>> {
    let mut tx = pool.begin().await?;
    let ids: Option<(i64, i64)> = sqlx::query_as(
        "SELECT p.id, s.id FROM trading_pairs p, strategies s WHERE p.symbol = $1 AND s.name = $2 FOR UPDATE OF p",
    )
    .bind(symbol.as_str())
    .bind(strategy)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((pair_id, strategy_id)) = ids else {
        return Ok(UpdateOutcome::NotFound);
    };
    let existing = for_pair_strategy(&mut *tx, symbol, strategy).await?;
    if let (Some(expected), Some(current)) = (expected_version, &existing) {
        if current.version != expected {
            return Ok(UpdateOutcome::Stale(current.clone()));
        }
    }
    sqlx::query(
        "INSERT INTO pair_strategy_config (pair_id, strategy_id, is_enabled, weight, parameters) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pair_id, strategy_id) DO UPDATE \
         SET is_enabled = EXCLUDED.is_enabled, weight = EXCLUDED.weight, parameters = EXCLUDED.parameters",
    )
    .bind(pair_id)
    .bind(strategy_id)
    .bind(update.is_enabled)
    .bind(update.weight)
    .bind(Json(params_to_json(&update.parameters)))
    .execute(&mut *tx)
    .await?;
    let saved = for_pair_strategy(&mut *tx, symbol, strategy)
        .await?
        .ok_or_else(|| {
            StoreError::corrupt("pair strategy", "vanished inside its own transaction")
        })?;
    tx.commit().await?;
    Ok(UpdateOutcome::Updated(saved))
}
