//! The Rust client under a line protocol, for the conformance suite and the fleet check
//! (`clients/conformance/`): the same commands as `clients/conformance/agent.py`.
//!
//! Environment: BOTCONFIG_URL, BOTCONFIG_TOKEN, BOTCONFIG_SNAPSHOT, BOTCONFIG_NAME, and
//! BOTCONFIG_MAX_STALENESS (seconds). Commands on stdin, one JSON object per line:
//! `{"op": "status"}`, `{"op": "config", "symbol": "BTC/USDT"}`,
//! `{"op": "should_trade", "symbol": "BTC/USDT"}`, `{"op": "setting", "key": "..."}`,
//! `{"op": "quit"}`; one JSON answer per line on stdout. With `--watch`, no commands: a line
//! `{"t": <unix seconds>, "revision": N, "stale": bool}` at start, on every applied
//! revision, and whenever the stale flag flips.

use botconfig_client::{BotConfig, Options, Setting};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn status(config: &BotConfig) -> Value {
    let s = config.status();
    json!({
        "revision": s.revision, "age_seconds": s.age_seconds, "stale": s.stale,
        "connected": s.connected, "stopped": s.stopped, "started_from_file": s.started_from_file,
        "snapshots": s.snapshots, "events": s.events, "gaps": s.gaps, "resets": s.resets,
        "reconnects": s.reconnects,
    })
}

fn answer(config: &BotConfig, command: &Value) -> Value {
    let symbol = command["symbol"].as_str().unwrap_or_default();
    match command["op"].as_str().unwrap_or_default() {
        "status" => status(config),
        "config" => match config.trading_config_for_pair(symbol) {
            None => json!({ "active": false }),
            Some(c) => json!({
                "active": true,
                "stop_loss_percent": c.risk.stop_loss_percent.normalize().to_string(),
                "outage_policy": c.risk.outage_policy.as_str(),
                "strategies": config.enabled_strategies_for_pair(symbol),
            }),
        },
        "should_trade" => {
            let reasons = config.trade_refusals(symbol);
            json!({ "trade": reasons.is_empty(), "reasons": reasons })
        }
        "setting" => match config.setting(command["key"].as_str().unwrap_or_default()) {
            None => json!({ "value": null }),
            Some(Setting::Boolean(b)) => json!({ "value": b.to_string() }),
            Some(Setting::Integer(i)) => json!({ "value": i.to_string() }),
            Some(Setting::Decimal(d)) => json!({ "value": d.normalize().to_string() }),
            Some(Setting::Text(t)) => json!({ "value": t }),
            Some(Setting::Json(j)) => json!({ "value": j.to_string() }),
        },
        other => json!({ "error": format!("unknown op {other:?}") }),
    }
}

fn main() {
    let mut options = match Options::from_env() {
        Ok(options) => options,
        Err(e) => {
            println!("{}", json!({ "error": e.to_string() }));
            std::process::exit(1);
        }
    };
    if let Some(seconds) = std::env::var("BOTCONFIG_MAX_STALENESS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        options.max_staleness = Duration::from_secs_f64(seconds);
    }
    let config = match BotConfig::connect(options) {
        Ok(config) => config,
        Err(e) => {
            println!("{}", json!({ "error": e.to_string() }));
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout();
    if std::env::args().any(|a| a == "--watch") {
        let line = |revision: u64, stale: bool| {
            format!(
                "{}",
                json!({ "t": now(), "revision": revision, "stale": stale })
            )
        };
        let watcher = config.clone();
        let printer = std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let on_change_printer = printer.clone();
        config.on_change(move |revision, _| {
            let text = line(revision, watcher.is_stale());
            let mut out = on_change_printer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        });
        let mut stale = config.is_stale();
        {
            let mut out = printer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(out, "{}", line(config.revision(), stale));
            let _ = out.flush();
        }
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let now_stale = config.is_stale();
            if now_stale != stale {
                stale = now_stale;
                let mut out = printer.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(out, "{}", line(config.revision(), stale));
                let _ = out.flush();
            }
        }
    }
    let mut ready = status(&config);
    ready["ready"] = json!(true);
    let _ = writeln!(out, "{ready}");
    let _ = out.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(command) = serde_json::from_str::<Value>(&line) else {
            let _ = writeln!(out, "{}", json!({ "error": "not JSON" }));
            continue;
        };
        if command["op"] == "quit" {
            break;
        }
        let _ = writeln!(out, "{}", answer(&config, &command));
        let _ = out.flush();
    }
}
