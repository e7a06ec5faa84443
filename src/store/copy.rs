//! Applying a change set over many pairs (a copy of one pair's setup, a bulk edit): every
//! target's pair, risk and strategy rows in one transaction, each at the version it was
//! planned from, or nothing.

use super::strategies::PairStrategyUpdate;
use super::{StoreResult, UpdateOutcome, Writer};
use crate::domain::copy::CopyPlan;

/// How applying a plan ended.
#[derive(Debug, PartialEq, Eq)]
pub enum CopyOutcome {
    Applied,
    /// These rows changed since the plan was made (or vanished): nothing was applied.
    Stale(Vec<String>),
}

pub async fn apply(writer: Writer<'_>, plan: &CopyPlan) -> StoreResult<CopyOutcome> {
    let mut tx = writer.begin().await?;
    let mut stale = Vec::new();
    for target in &plan.targets {
        if let Some((active, version)) = target.active {
            let updated = sqlx::query!(
                "UPDATE trading_pairs SET is_active = $2 WHERE symbol = $1 AND version = $3",
                target.symbol.as_str(),
                active,
                version
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                stale.push(target.symbol.to_string());
            }
        }
        if let Some((pause, version)) = &target.pause {
            let updated = sqlx::query!(
                "UPDATE trading_pairs SET paused_at = $2, paused_until = $3, pause_reason = $4, pause_mode = $5 \
                 WHERE symbol = $1 AND version = $6",
                target.symbol.as_str(),
                pause.as_ref().map(|p| p.since),
                pause.as_ref().and_then(|p| p.until),
                pause.as_ref().map(|p| p.reason.as_str()),
                pause.as_ref().map(|p| p.mode.as_str()),
                version
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                stale.push(target.symbol.to_string());
            }
        }
        if let Some((settings, version)) = &target.risk {
            let outcome =
                super::risk::update_in(&mut tx, &target.symbol, settings, *version).await?;
            if !matches!(outcome, UpdateOutcome::Updated(_)) {
                stale.push(format!("{} risk", target.symbol));
            }
        }
        for copy in &target.strategies {
            let update = PairStrategyUpdate {
                is_enabled: copy.is_enabled,
                weight: copy.weight,
                parameters: copy.parameters.clone(),
            };
            let outcome = super::strategies::upsert_in(
                &mut tx,
                &target.symbol,
                &copy.strategy,
                &update,
                Some(copy.expected_version),
            )
            .await?;
            if !matches!(outcome, UpdateOutcome::Updated(_)) {
                stale.push(format!("{} {}", target.symbol, copy.strategy));
            }
        }
    }
    if !stale.is_empty() {
        // Dropping the transaction rolls every row back.
        return Ok(CopyOutcome::Stale(stale));
    }
    tx.commit().await?;
    Ok(CopyOutcome::Applied)
}
