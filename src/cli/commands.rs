//! What each command does. Local commands go through the service layer over the database
//! (so the running server hears every write); `cache` commands go through the server's API.

use super::output::{json, table};
use super::{
    remote, AddPairArgs, BenchmarkArgs, CacheCommand, Cli, Command, Failure, ListCommand,
    UpdateRiskArgs, UpdateStrategyArgs,
};
use crate::cache::ConfigManager;
use crate::domain::benchmark::{format_ns, BenchmarkReport};
use crate::domain::forms::PairStrategyForm;
use crate::domain::pair::PairForm;
use crate::domain::risk::RiskForm;
use crate::domain::stats::{CacheStats, WarmReport};
use crate::domain::transfer::ConfigDocument;
use crate::domain::ConfigError;
use crate::service::{parse_symbol, ConfigService};
use crate::settings::Settings;
use std::collections::BTreeMap;

pub async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::server::serve(&settings)
            .await
            .map(|_| 0)
            .map_err(Failure::from),
        Command::Migrate => {
            crate::server::open_database(&settings).await?;
            println!(
                "database {} is up to date",
                crate::store::redact_url(&settings.database_url)
            );
            Ok(0)
        }
        Command::Cache { action } => cache(&settings, action).await,
        Command::List { what, json } => list(&service(&settings).await?, what, json).await,
        Command::AddPair(args) => add_pair(&service(&settings).await?, args).await,
        Command::UpdateStrategy(args) => update_strategy(&service(&settings).await?, args).await,
        Command::UpdateRisk(args) => update_risk(&service(&settings).await?, args).await,
        Command::SetConfig { key, value } => {
            let saved = service(&settings).await?.set_setting(&key, &value).await?;
            println!("{} = {}", saved.key, saved.value);
            Ok(0)
        }
        Command::Validate { json: as_json } => {
            let report = service(&settings).await?.validate().await?;
            if as_json {
                json(&report)?;
            } else {
                for e in &report.errors {
                    println!("error: {e}");
                }
                for w in &report.warnings {
                    println!("warning: {w}");
                }
                if report.errors.is_empty() && report.warnings.is_empty() {
                    println!("the configuration is valid");
                }
            }
            Ok(if report.is_valid() { 0 } else { 1 })
        }
        Command::Export { file } => {
            let doc = service(&settings).await?.export().await?;
            let text = serde_json::to_string_pretty(&doc).map_err(|e| fail(1, e))?;
            match file {
                Some(path) => {
                    std::fs::write(&path, text + "\n")
                        .map_err(|e| fail(1, format!("cannot write {}: {e}", path.display())))?;
                    eprintln!(
                        "exported {} settings and {} pairs to {}",
                        doc.settings.len(),
                        doc.pairs.len(),
                        path.display()
                    );
                }
                None => println!("{text}"),
            }
            Ok(0)
        }
        Command::Import { file, dry_run } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| fail(2, format!("cannot read {}: {e}", file.display())))?;
            let doc: ConfigDocument = serde_json::from_str(&text).map_err(|e| {
                fail(
                    2,
                    format!("{} is not a botconfig document: {e}", file.display()),
                )
            })?;
            let changes = service(&settings).await?.import(&doc, dry_run).await?;
            for line in &changes {
                println!("{line}");
            }
            let verb = if dry_run { "would change" } else { "changed" };
            println!(
                "{} {verb}{}",
                plural(changes.len(), "value"),
                if dry_run {
                    " (dry run: nothing saved)"
                } else {
                    ""
                }
            );
            Ok(0)
        }
    }
}

fn fail(code: u8, message: impl ToString) -> Failure {
    Failure {
        code,
        message: message.to_string(),
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The service over the configured database (created and migrated if needed), with a
/// manager of its own: its writes reach running servers through the database's notifications.
async fn service(settings: &Settings) -> Result<ConfigService, Failure> {
    let pool = crate::server::open_database(settings).await?;
    Ok(ConfigService::new(ConfigManager::new(
        pool,
        settings.cache(),
    )))
}

async fn cache(settings: &Settings, action: CacheCommand) -> Result<u8, Failure> {
    let server = settings.server.clone();
    match action {
        CacheCommand::Stats { json: as_json } => {
            let stats: CacheStats =
                blocking(move || remote::get(&server, "/api/v1/cache/stats")).await?;
            if as_json {
                json(&stats)?;
            } else {
                let rows = stats
                    .rows()
                    .into_iter()
                    .map(|(k, v)| vec![k.to_owned(), v])
                    .collect();
                println!("{}", table(&["Statistic", "Value"], &["Value"], rows));
            }
        }
        CacheCommand::Warm => {
            let report: WarmReport = blocking(move || {
                remote::post(&server, "/api/v1/cache/warm", serde_json::json!({}))
            })
            .await?;
            println!("{}", report.summary());
        }
        CacheCommand::Clear => {
            let answer: serde_json::Value = blocking(move || {
                remote::post(&server, "/api/v1/cache/clear", serde_json::json!({}))
            })
            .await?;
            println!("Cleared {} entries", answer["cleared"]);
        }
        CacheCommand::Invalidate { pattern } => {
            let body = serde_json::json!({ "pattern": pattern });
            let answer: serde_json::Value =
                blocking(move || remote::post(&server, "/api/v1/cache/invalidate", body)).await?;
            println!(
                "Invalidated {} entries matching {}",
                answer["invalidated"], pattern
            );
        }
        CacheCommand::Benchmark(args) => return benchmark(settings, args).await,
    }
    Ok(0)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| fail(1, e))?
}

async fn benchmark(settings: &Settings, args: BenchmarkArgs) -> Result<u8, Failure> {
    if args.threads == 0 || args.iterations == 0 {
        return Err(fail(2, "--threads and --iterations must be at least 1"));
    }
    crate::server::open_database(settings).await?;
    let options = crate::benchmark::RunOptions {
        iterations: args.iterations,
        pairs: args.pairs,
        threads: args.threads,
        max_time: std::time::Duration::from_secs(args.max_seconds.max(1)),
        runs_kept: settings.benchmark_runs_kept,
    };
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(6);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} measurements {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let progress_bar = bar.clone();
    let report = crate::benchmark::run(&settings.database_url, &options, move |done, total| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    if args.json {
        json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(0)
}

fn print_report(report: &BenchmarkReport) {
    println!("machine: {}", report.machine);
    println!("pairs: {}, threads: {}", report.pairs, report.threads);
    let rows = report
        .results
        .iter()
        .map(|m| {
            vec![
                m.workload.as_str().to_owned(),
                m.mode.as_str().to_owned(),
                m.iterations.to_string(),
                m.reads_per_iteration.to_string(),
                format_ns(m.median_ns),
                format_ns(m.p99_ns),
                format_ns(m.mean_ns),
                m.reads_per_sec.to_string(),
            ]
        })
        .collect();
    let numeric = [
        "Iterations",
        "Reads/iter",
        "Median",
        "p99",
        "Mean",
        "Reads/s",
    ];
    println!(
        "{}",
        table(
            &[
                "Workload",
                "Mode",
                "Iterations",
                "Reads/iter",
                "Median",
                "p99",
                "Mean",
                "Reads/s"
            ],
            &numeric,
            rows
        )
    );
    for (workload, s) in &report.speedup {
        println!(
            "{workload}: cached is {}x faster than uncached, {}x the speed of naive",
            s.cached_vs_uncached, s.cached_vs_naive
        );
    }
}

async fn list(service: &ConfigService, what: ListCommand, as_json: bool) -> Result<u8, Failure> {
    match what {
        ListCommand::Pairs => {
            let pairs = service.all_pairs().await?;
            if as_json {
                return json(&pairs).map(|_| 0);
            }
            let rows = pairs
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
                .collect();
            let numeric = [
                "Initial balance",
                "Trade size (USD)",
                "Max position",
                "Min amount",
                "Max amount",
            ];
            println!(
                "{}",
                table(
                    &[
                        "Symbol",
                        "State",
                        "Initial balance",
                        "Trade size (USD)",
                        "Max position",
                        "Min amount",
                        "Max amount"
                    ],
                    &numeric,
                    rows
                )
            );
        }
        ListCommand::System => {
            let settings = service.settings().await?;
            if as_json {
                return json(&settings).map(|_| 0);
            }
            let rows = settings
                .iter()
                .map(|s| {
                    vec![
                        s.category.as_str().to_owned(),
                        s.key.clone(),
                        s.value.to_string(),
                        s.value_type.as_str().to_owned(),
                        s.description.clone(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["Category", "Key", "Value", "Type", "Description"],
                    &[],
                    rows
                )
            );
        }
        ListCommand::Portfolio => {
            let p = service.portfolio().await?;
            if as_json {
                return json(&p).map(|_| 0);
            }
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
            let rows = p
                .allocations
                .iter()
                .map(|a| {
                    vec![
                        a.symbol.to_string(),
                        a.initial_balance.to_string(),
                        format!("{}%", a.percent_of_portfolio),
                        format!("{}%", a.max_position_percent),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["Pair", "Allocation", "Of portfolio", "Max position"],
                    &["Allocation", "Of portfolio", "Max position"],
                    rows
                )
            );
        }
        ListCommand::Strategies { symbol: None } => {
            let strategies = service.strategies().await?;
            if as_json {
                return json(&strategies).map(|_| 0);
            }
            let rows = strategies
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
                .collect();
            println!(
                "{}",
                table(&["Name", "Strategy", "Type", "Parameters"], &[], rows)
            );
        }
        ListCommand::Strategies {
            symbol: Some(symbol),
        } => {
            let symbol = parse_symbol(&symbol)?;
            let rows_of_pair = service.pair_strategy_rows(&symbol).await?;
            let config = service.trading_config(&symbol).await?;
            if as_json {
                return json(&rows_of_pair).map(|_| 0);
            }
            let rows = rows_of_pair
                .iter()
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
                .collect();
            println!(
                "{}",
                table(
                    &["Strategy", "Enabled", "Weight", "Normalized", "Parameters"],
                    &["Weight", "Normalized"],
                    rows
                )
            );
        }
        ListCommand::Risk { symbol } => {
            let risks = match symbol {
                Some(s) => vec![service.risk(&parse_symbol(&s)?).await?],
                None => service.all_risk().await?,
            };
            if as_json {
                return json(&risks).map(|_| 0);
            }
            let rows = risks
                .iter()
                .map(|r| {
                    let s = &r.settings;
                    vec![
                        r.symbol.to_string(),
                        format!("{}%", s.stop_loss_percent),
                        format!("{}%", s.take_profit_percent),
                        s.max_daily_trades.to_string(),
                        format!("{}%", s.max_daily_loss_percent),
                        if s.trailing_stop_enabled {
                            format!("on, {}%", s.trailing_stop_percent)
                        } else {
                            "off".to_owned()
                        },
                        format!("{}%", s.max_drawdown_percent),
                        s.position_sizing_method.to_string(),
                        s.volatility_lookback_days.to_string(),
                    ]
                })
                .collect();
            let headers = [
                "Pair",
                "Stop loss",
                "Take profit",
                "Daily trades",
                "Daily loss",
                "Trailing stop",
                "Max drawdown",
                "Sizing",
                "Lookback (days)",
            ];
            println!(
                "{}",
                table(
                    &headers,
                    &[
                        "Stop loss",
                        "Take profit",
                        "Daily trades",
                        "Daily loss",
                        "Max drawdown",
                        "Lookback (days)"
                    ],
                    rows
                )
            );
        }
    }
    Ok(0)
}

async fn add_pair(service: &ConfigService, args: AddPairArgs) -> Result<u8, Failure> {
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
    Ok(0)
}

async fn update_strategy(service: &ConfigService, args: UpdateStrategyArgs) -> Result<u8, Failure> {
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
    let enabled = if args.enable {
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
    Ok(0)
}

async fn update_risk(service: &ConfigService, args: UpdateRiskArgs) -> Result<u8, Failure> {
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
        "{}: stop loss {}%, take profit {}%, sizing {}",
        saved.symbol,
        saved.settings.stop_loss_percent,
        saved.settings.take_profit_percent,
        saved.settings.position_sizing_method
    );
    Ok(0)
}
