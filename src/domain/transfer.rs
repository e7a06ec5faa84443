//! The whole configuration as one document, for backups and for moving a setup between
//! environments (`botconfig export` / `botconfig import`).

use super::pair::{PairSettings, Symbol};
use super::risk::RiskSettings;
use super::strategy::ParamValues;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "botconfig/1";

/// Everything an operator configures. Settings are values by key (their types and
/// descriptions belong to the installation); pairs carry their risk and strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    pub format: String,
    pub settings: BTreeMap<String, String>,
    pub pairs: Vec<PairDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairDocument {
    pub symbol: Symbol,
    pub is_active: bool,
    pub settings: PairSettings,
    pub risk: RiskSettings,
    pub strategies: BTreeMap<String, StrategyDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyDocument {
    pub enabled: bool,
    pub weight: Decimal,
    pub parameters: ParamValues,
}

/// The differences between two documents as readable lines: `path: old → new`.
pub fn diff(current: &ConfigDocument, incoming: &ConfigDocument) -> Vec<String> {
    let flatten = |doc: &ConfigDocument| {
        let mut out = BTreeMap::new();
        flatten_json("", &serde_json::to_value(doc).unwrap_or_default(), &mut out);
        out
    };
    let (old, new) = (flatten(current), flatten(incoming));
    let mut lines = Vec::new();
    for (path, value) in &new {
        match old.get(path) {
            None => lines.push(format!("{path}: (none) → {value}")),
            Some(before) if before != value => lines.push(format!("{path}: {before} → {value}")),
            _ => {}
        }
    }
    for path in old.keys().filter(|p| !new.contains_key(*p)) {
        lines.push(format!("{path}: left as it is (not in the document)"));
    }
    lines
}

fn flatten_json(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_json(&path, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                // Pairs are keyed by symbol so a reordering is not a change.
                let key = item
                    .get("symbol")
                    .and_then(|s| s.as_str())
                    .map(str::to_owned);
                let path = format!("{prefix}[{}]", key.unwrap_or_else(|| "?".into()));
                flatten_json(&path, item, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}
