//! `list pairs|system|portfolio|strategies|risk`: tables, or JSON. Each table's columns are
//! declared once, beside the rows that fill them.

use crate::cli::output::{show, Column};
use crate::cli::{Exit, Failure, ListCommand};
use crate::domain::display::{ALLOCATION_COLUMNS, RISK_COLUMNS};
use crate::domain::pair::TradingPair;
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::{PairStrategy, Strategy};
use crate::domain::system::SystemSetting;
use crate::domain::trading::PortfolioSettings;
use crate::service::{parse_symbol, ConfigService};

const PAIRS: &[Column] = &[
    Column::text("Symbol"),
    Column::text("State"),
    Column::number("Initial balance"),
    Column::number("Trade size (USD)"),
    Column::number("Max position"),
    Column::number("Min amount"),
    Column::number("Max amount"),
];

fn pair_rows(pairs: &[TradingPair]) -> Vec<Vec<String>> {
    pairs
        .iter()
        .map(|p| {
            vec![
                p.symbol.to_string(),
                if p.is_active { "active" } else { "inactive" }.to_owned(),
                p.initial_balance.to_string(),
                p.trade_size_usd.to_string(),
                format!("{}%", p.max_position_percent),
                p.min_trade_amount.to_string(),
                p.max_trade_amount.to_string(),
            ]
        })
        .collect()
}

const SETTINGS: &[Column] = &[
    Column::text("Category"),
    Column::text("Key"),
    Column::text("Value"),
    Column::text("Type"),
    Column::text("Description"),
];

fn setting_rows(settings: &[SystemSetting]) -> Vec<Vec<String>> {
    settings
        .iter()
        .map(|s| {
            vec![
                s.category.as_str().to_owned(),
                s.key.clone(),
                if s.is_secret {
                    format!("(secret, {})", s.secret_summary())
                } else {
                    s.value.to_string()
                },
                s.value_type.as_str().to_owned(),
                s.description.clone(),
            ]
        })
        .collect()
}

fn allocation_rows(p: &PortfolioSettings) -> Vec<Vec<String>> {
    println!(
        "total balance {}, allocated {} ({}%), max {} concurrent positions, paper trading {}, emergency stop {} at {}%",
        p.total_balance,
        p.allocated_balance,
        p.allocated_percent,
        p.max_concurrent_positions,
        if p.paper_trading { "on" } else { "off" },
        if p.emergency_stop_enabled { "armed" } else { "off" },
        p.emergency_stop_loss_percent
    );
    p.allocations.iter().map(|a| a.cells()).collect()
}

const STRATEGIES: &[Column] = &[
    Column::text("Name"),
    Column::text("Strategy"),
    Column::text("Type"),
    Column::text("Parameters"),
];

fn strategy_rows(strategies: &[Strategy]) -> Vec<Vec<String>> {
    strategies
        .iter()
        .map(|s| {
            let params = s
                .parameters
                .iter()
                .map(|p| format!("{} ({}–{}, default {})", p.name, p.min, p.max, p.default))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                s.name.clone(),
                s.display_name.clone(),
                s.strategy_type.clone(),
                params,
            ]
        })
        .collect()
}

const PAIR_STRATEGIES: &[Column] = &[
    Column::text("Strategy"),
    Column::text("Enabled"),
    Column::number("Weight"),
    Column::number("Normalized"),
    Column::text("Parameters"),
];

fn risk_rows(risks: &[RiskConfig]) -> Vec<Vec<String>> {
    risks.iter().map(RiskConfig::cells).collect()
}

pub async fn run(
    service: &ConfigService,
    what: ListCommand,
    as_json: bool,
) -> Result<Exit, Failure> {
    match what {
        ListCommand::Pairs => show(
            service.all_pairs().await?.as_slice(),
            as_json,
            PAIRS,
            pair_rows,
        ),
        ListCommand::System => show(
            service.settings().await?.as_slice(),
            as_json,
            SETTINGS,
            setting_rows,
        ),
        ListCommand::Portfolio => show(
            &service.portfolio(crate::service::ReadFrom::Cache).await?,
            as_json,
            ALLOCATION_COLUMNS,
            allocation_rows,
        ),
        ListCommand::Strategies {
            symbol: None,
            symbol_flag: None,
        } => show(
            service.strategies().await?.as_slice(),
            as_json,
            STRATEGIES,
            strategy_rows,
        ),
        ListCommand::Strategies {
            symbol,
            symbol_flag,
        } => {
            let given = symbol.or(symbol_flag).unwrap_or_default();
            let symbol = parse_symbol(&given)?;
            let rows_of_pair = service.pair_strategy_rows(&symbol).await?;
            let config = service.trading_config(&symbol).await?;
            show(
                rows_of_pair.as_slice(),
                as_json,
                PAIR_STRATEGIES,
                |rows: &[PairStrategy]| {
                    rows.iter()
                        .map(|r| {
                            let normalized = config
                                .strategies
                                .iter()
                                .find(|w| w.strategy == r.strategy)
                                .map_or("-".to_owned(), |w| w.normalized_weight.to_string());
                            let params = r
                                .parameters
                                .iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(" ");
                            vec![
                                r.strategy.clone(),
                                if r.is_enabled { "yes" } else { "no" }.to_owned(),
                                r.weight.to_string(),
                                normalized,
                                params,
                            ]
                        })
                        .collect()
                },
            )
        }
        ListCommand::Risk { symbol } => {
            let risks = match symbol {
                Some(s) => vec![service.risk(&parse_symbol(&s)?).await?],
                None => service.all_risk().await?,
            };
            show(risks.as_slice(), as_json, RISK_COLUMNS, risk_rows)
        }
    }
}

/// `botconfig fleet`: every reader and how it stands; exit code 1 when one has a warning.
pub async fn fleet(
    service: &ConfigService,
    behind_warning: i64,
    silent_warning: i64,
    as_json: bool,
) -> Result<Exit, Failure> {
    let fleet = service
        .fleet(Some(behind_warning), Some(silent_warning))
        .await?;
    if as_json {
        crate::cli::output::json(&fleet)?;
    } else {
        println!(
            "database at revision {}; {} reader(s), {} with a warning (behind > {} s or silent > {} s)",
            fleet.database_revision,
            fleet.readers.len(),
            fleet.warnings(),
            fleet.behind_warning_seconds,
            fleet.silent_warning_seconds
        );
        let rows = fleet.readers.iter().map(|r| r.cells()).collect();
        println!(
            "{}",
            crate::cli::output::table(crate::domain::display::FLEET_COLUMNS, rows)
        );
    }
    Ok(if fleet.warnings() == 0 {
        Exit::Success
    } else {
        Exit::Failure
    })
}
