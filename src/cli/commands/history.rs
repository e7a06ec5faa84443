//! `history` and `rollback`: who changed what, and reverting it.

use crate::cli::output::{show, Column};
use crate::cli::{Exit, Failure, HistoryArgs, RollbackArgs};
use crate::domain::display::{history_cells, HISTORY_COLUMNS};
use crate::domain::history::{parse_since, ChangeRecord, HistoryFilter};
use crate::service::ConfigService;

/// The recorded changes, newest first: a table, or JSON.
pub async fn history(service: &ConfigService, args: HistoryArgs) -> Result<Exit, Failure> {
    let symbol = args
        .symbol
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, chrono::Utc::now()))
        .transpose()
        .map_err(crate::domain::ConfigError::from)?;
    let filter = HistoryFilter {
        symbol,
        table: args.table,
        actor: args.actor,
        since,
        until: None,
        limit: args.limit,
        offset: args.offset,
    };
    let page = service.history(&filter).await?;
    let columns: &[Column] = HISTORY_COLUMNS;
    let exit = show(
        &page.changes,
        args.json,
        columns,
        |changes: &Vec<ChangeRecord>| changes.iter().map(history_cells).collect(),
    )?;
    if !args.json {
        // On stderr: a pipe reading the table gets the table only.
        eprintln!("{}", page.caption(filter.offset));
    }
    Ok(exit)
}

/// Reverts one change (or everything made with it), as a new change.
pub async fn rollback(service: &ConfigService, args: RollbackArgs) -> Result<Exit, Failure> {
    let ids = service.revert(args.id, args.whole, args.confirm).await?;
    println!(
        "reverted change #{}{}: recorded as {}",
        args.id,
        if args.whole {
            " and everything made with it"
        } else {
            ""
        },
        ids.iter()
            .map(|id| format!("#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Exit::Success)
}
