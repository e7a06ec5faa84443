//! `add-pair`, `update-strategy` and `update-risk`: edits through the service, with the
//! same rules as the console; and `should-trade`, the bots' own question.

use crate::cli::{
    AddPairArgs, BulkArgs, CopyArgs, Exit, Failure, PauseArgs, SetConfigArgs, UpdateRiskArgs,
    UpdateStrategyArgs,
};
use crate::domain::forms::PairStrategyForm;
use crate::domain::pair::PairForm;
use crate::domain::risk::RiskForm;
use crate::domain::system::NewSetting;
use crate::domain::ConfigError;
use crate::service::{parse_symbol, ConfigService};
use std::collections::BTreeMap;

pub async fn add_pair(service: &ConfigService, args: AddPairArgs) -> Result<Exit, Failure> {
    // The original tool took BASE and QUOTE apart: they must say what SYMBOL says.
    if let Ok(symbol) = parse_symbol(&args.symbol) {
        for (field, given, expected) in [
            ("base", &args.base, symbol.base()),
            ("quote", &args.quote, symbol.quote()),
        ] {
            if let Some(given) = given {
                if given != expected {
                    return Err(ConfigError::invalid(
                        field,
                        format!("is {given}, but {symbol} says {expected}"),
                    )
                    .into());
                }
            }
        }
    }
    let form = PairForm {
        symbol: args.symbol,
        initial_balance: args.initial_balance,
        trade_size_usd: args.trade_size,
        max_position_percent: args.max_position,
        min_trade_amount: args.min_trade_amount,
        max_trade_amount: args.max_trade_amount,
        price_precision: args.price_precision,
        amount_precision: args.amount_precision,
    };
    let pair = service.create_pair(&form).await?;
    if args.inactive {
        service.set_pair_active(&pair.symbol, false).await?;
    }
    println!("added {}", pair.symbol);
    Ok(Exit::Success)
}

pub async fn update_strategy(
    service: &ConfigService,
    args: UpdateStrategyArgs,
) -> Result<Exit, Failure> {
    let symbol = parse_symbol(&args.symbol)?;
    let current = service
        .pair_strategy_rows(&symbol)
        .await?
        .into_iter()
        .find(|r| r.strategy == args.strategy);
    let mut params: BTreeMap<String, String> = current
        .as_ref()
        .map(|r| {
            r.parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    for pair in &args.params {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            Failure::from(ConfigError::invalid(
                "param",
                format!("\"{pair}\" must look like name=value"),
            ))
        })?;
        params.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    if let Some(json) = &args.parameters {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| {
                Failure::from(ConfigError::invalid(
                    "parameters",
                    format!("must be a JSON object of numbers: {e}"),
                ))
            })?;
        for (name, value) in object {
            let text = match value {
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s,
                other => {
                    return Err(ConfigError::invalid(
                        name,
                        format!("must be a number, not {other}"),
                    )
                    .into())
                }
            };
            params.insert(name, text);
        }
    }
    let enabled = if let Some(text) = &args.enabled {
        crate::domain::number::parse_bool("enabled", text).map_err(ConfigError::from)?
    } else if args.enable {
        true
    } else if args.disable {
        false
    } else {
        current.as_ref().is_some_and(|r| r.is_enabled)
    };
    let form = PairStrategyForm {
        enabled: Some(enabled.to_string()),
        weight: args.weight.unwrap_or_else(|| {
            current
                .as_ref()
                .map_or("0".to_owned(), |r| r.weight.to_string())
        }),
        params,
        version: current.as_ref().map_or(0, |r| r.version),
    };
    let saved = service
        .save_pair_strategy(&symbol, &args.strategy, &form)
        .await?;
    let params = saved
        .parameters
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    println!(
        "{} {}: {}, weight {}, {params}",
        saved.symbol,
        saved.strategy,
        if saved.is_enabled {
            "enabled"
        } else {
            "disabled"
        },
        saved.weight
    );
    Ok(Exit::Success)
}

pub async fn update_risk(service: &ConfigService, args: UpdateRiskArgs) -> Result<Exit, Failure> {
    let symbol = parse_symbol(&args.symbol)?;
    let current = service.risk(&symbol).await?;
    let mut form = RiskForm::from_settings(&current.settings, current.version);
    let set = |field: &mut String, value: Option<String>| {
        if let Some(v) = value {
            *field = v;
        }
    };
    set(&mut form.stop_loss_percent, args.stop_loss);
    set(&mut form.take_profit_percent, args.take_profit);
    set(&mut form.max_daily_trades, args.max_daily_trades);
    set(&mut form.max_daily_loss_percent, args.max_daily_loss);
    set(&mut form.trailing_stop_percent, args.trailing_stop_percent);
    set(&mut form.max_drawdown_percent, args.max_drawdown);
    set(&mut form.position_sizing_method, args.position_sizing);
    set(&mut form.volatility_lookback_days, args.volatility_lookback);
    set(&mut form.outage_policy, args.outage_policy);
    if let Some(toggle) = args.trailing_stop {
        form.trailing_stop_enabled = match toggle.as_str() {
            "on" | "true" => Some("true".to_owned()),
            "off" | "false" => Some("false".to_owned()),
            other => {
                return Err(ConfigError::invalid(
                    "trailing_stop",
                    format!("must be on or off, not \"{other}\""),
                )
                .into())
            }
        };
    }
    let saved = service.update_risk(&symbol, &form).await?;
    println!(
        "{}: stop loss {}%, take profit {}%, sizing {}, outage policy {}",
        saved.symbol,
        saved.settings.stop_loss_percent,
        saved.settings.take_profit_percent,
        saved.settings.position_sizing_method,
        saved.settings.outage_policy
    );
    Ok(Exit::Success)
}

/// Pauses one pair, and says until when and why.
pub async fn pause(
    service: &ConfigService,
    args: PauseArgs,
    reason: &str,
) -> Result<Exit, Failure> {
    let symbol = parse_symbol(&args.symbol)?;
    let request = args.timing.request(reason);
    let pair = service.pause_pair(&symbol, &request).await?;
    let pause = pair
        .pause
        .as_ref()
        .expect("a pair just paused has its pause");
    println!("{symbol}: {}", pause.describe());
    Ok(Exit::Success)
}

pub async fn resume(service: &ConfigService, symbol: &str, reason: &str) -> Result<Exit, Failure> {
    let symbol = parse_symbol(symbol)?;
    let before = service.pair(&symbol).await?;
    service
        .resume_pair(&symbol, Some(reason).filter(|r| !r.trim().is_empty()))
        .await?;
    match before.pause {
        Some(_) => println!("{symbol}: resumed"),
        None => println!("{symbol}: was not paused"),
    }
    Ok(Exit::Success)
}

pub async fn bulk(service: &ConfigService, args: BulkArgs, reason: &str) -> Result<Exit, Failure> {
    use crate::cli::BulkCommand;
    use crate::domain::bulk::BulkEdit;
    let edit = match args.edit {
        BulkCommand::Activate => BulkEdit::Activate,
        BulkCommand::Pause(timing) => BulkEdit::Pause(timing.request(reason)),
        BulkCommand::Resume => BulkEdit::Resume,
        BulkCommand::Deactivate => BulkEdit::Deactivate,
        BulkCommand::SetRisk {
            stop_loss,
            take_profit,
            max_daily_trades,
            max_daily_loss,
            trailing_stop_percent,
            max_drawdown,
            outage_policy,
        } => {
            let given: Vec<(&str, String)> = [
                ("stop_loss_percent", stop_loss),
                ("take_profit_percent", take_profit),
                ("max_daily_trades", max_daily_trades),
                ("max_daily_loss_percent", max_daily_loss),
                ("trailing_stop_percent", trailing_stop_percent),
                ("max_drawdown_percent", max_drawdown),
                ("outage_policy", outage_policy),
            ]
            .into_iter()
            .filter_map(|(field, value)| value.map(|v| (field, v)))
            .collect();
            let [(field, value)] = given.as_slice() else {
                return Err(
                    ConfigError::invalid("set-risk", "give exactly one risk field to set").into(),
                );
            };
            BulkEdit::Risk {
                field: (*field).to_owned(),
                value: value.clone(),
            }
        }
        BulkCommand::SetStrategy {
            strategy,
            enable,
            disable,
            weight,
        } => match (enable, disable, weight) {
            (true, _, _) => BulkEdit::StrategyEnabled {
                strategy,
                enabled: true,
            },
            (_, true, _) => BulkEdit::StrategyEnabled {
                strategy,
                enabled: false,
            },
            (_, _, Some(weight)) => BulkEdit::StrategyWeight { strategy, weight },
            _ => {
                return Err(ConfigError::invalid(
                    "set-strategy",
                    "give --enable, --disable or --weight",
                )
                .into())
            }
        },
    };
    let filtered = args.quote.is_some() || args.state.is_some() || args.text.is_some();
    let symbols = match (args.pairs.is_empty(), filtered) {
        (false, false) => args
            .pairs
            .iter()
            .map(|s| parse_symbol(s.trim()))
            .collect::<Result<Vec<_>, _>>()?,
        (true, true) => {
            let query = crate::domain::pair_list::PairQuery::from_params(|name| match name {
                "q" => args.text.clone(),
                "quote" => args.quote.clone(),
                "state" => args.state.clone(),
                _ => None,
            });
            service.pairs_matching(&query).await?
        }
        _ => {
            return Err(ConfigError::invalid(
                "pairs",
                "select with --pairs, or with --quote/--state/--match",
            )
            .into())
        }
    };
    let plan = service.plan_bulk(&symbols, &edit).await?;
    let changes: Vec<_> = plan.changes().collect();
    for change in &changes {
        println!(
            "{:<12} {:<28} {} -> {}",
            change.symbol, change.field, change.old, change.new
        );
    }
    let selected = super::plural(symbols.len(), "pair");
    let count = super::plural(changes.len(), "change");
    if args.dry_run {
        println!(
            "dry run: {} on {selected}: {count} shown, nothing applied",
            edit.describe()
        );
    } else if changes.is_empty() {
        println!("nothing to change: {selected} already as asked");
    } else {
        service.apply_plan(&plan).await?;
        println!("applied {} to {selected}: {count}", edit.describe());
    }
    Ok(Exit::Success)
}

pub async fn copy(service: &ConfigService, args: CopyArgs) -> Result<Exit, Failure> {
    let from = parse_symbol(&args.from)?;
    let to = args
        .to
        .iter()
        .map(|s| parse_symbol(s.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = service
        .plan_copy(&from, &to, args.risk, args.strategies)
        .await?;
    let changes: Vec<_> = plan.changes().collect();
    for change in &changes {
        println!(
            "{:<12} {:<28} {} -> {}",
            change.symbol, change.field, change.old, change.new
        );
    }
    let count = super::plural(changes.len(), "change");
    if args.dry_run {
        println!("dry run: {count} shown, nothing copied");
    } else if changes.is_empty() {
        println!(
            "nothing to copy: {} already match {from}",
            super::plural(to.len(), "pair")
        );
    } else {
        service.apply_plan(&plan).await?;
        println!(
            "copied {from} to {}: {count}",
            super::plural(to.len(), "pair")
        );
    }
    Ok(Exit::Success)
}

pub async fn should_trade(
    service: &ConfigService,
    symbol: &str,
    as_json: bool,
) -> Result<Exit, Failure> {
    let decision = service
        .should_trade_pair(&parse_symbol(symbol)?, crate::service::ReadFrom::Cache)
        .await?;
    if as_json {
        crate::cli::output::json(&decision)?;
    } else if decision.trade {
        println!("{}: trade", decision.symbol);
    } else {
        println!(
            "{}: do not trade: {}",
            decision.symbol,
            decision.reasons.join("; ")
        );
    }
    Ok(if decision.trade {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Sets a setting; with `--type`, creates it first when it does not exist yet.
pub async fn set_config(service: &ConfigService, args: SetConfigArgs) -> Result<Exit, Failure> {
    let saved = match &args.value_type {
        None => service.set_setting(&args.key, &args.value).await?,
        Some(value_type) => {
            let new = NewSetting {
                key: args.key.clone(),
                value_type: value_type
                    .parse()
                    .map_err(|e: String| ConfigError::invalid("type", e))?,
                category: args
                    .category
                    .as_deref()
                    .unwrap_or("general")
                    .parse()
                    .map_err(|e: String| ConfigError::invalid("category", e))?,
                description: args.description.clone().unwrap_or_default(),
                is_secret: args.secret,
            };
            service.create_or_set_setting(&new, &args.value).await?
        }
    };
    if saved.is_secret {
        println!("{} is set (a secret: its value is not shown)", saved.key);
    } else {
        println!("{} = {}", saved.key, saved.value);
    }
    Ok(Exit::Success)
}
