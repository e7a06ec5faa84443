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

/// The largest document `parse` reads: ten thousand pairs with every strategy fit in a
/// fifth of it, and reading stays far from exhausting memory.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// A document from its text, refusing any field it does not know at any depth (a typo in
/// a pair's `risk` must not be silently dropped) and anything over `MAX_DOCUMENT_BYTES`.
pub fn parse(text: &str) -> Result<ConfigDocument, String> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "is {} MiB, more than the {} MiB a document may be",
            text.len() >> 20,
            MAX_DOCUMENT_BYTES >> 20
        ));
    }
    let given: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let doc: ConfigDocument = serde_json::from_value(given.clone()).map_err(|e| e.to_string())?;
    let read = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    unknown_fields("", &given, &read, &mut unknown);
    match unknown.first() {
        None => Ok(doc),
        Some(path) => Err(format!(
            "{path} is not a field botconfig knows{}",
            match unknown.len() {
                1 => String::new(),
                n => format!(" ({} more unknown fields)", n - 1),
            }
        )),
    }
}

/// The paths of `given` that `read` (the document as understood) does not have.
fn unknown_fields(
    path: &str,
    given: &serde_json::Value,
    read: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (given, read) {
        (Value::Object(given), Value::Object(read)) => {
            for (key, value) in given {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match read.get(key) {
                    Some(known) => unknown_fields(&at, value, known, out),
                    // An absent optional field, spelled out.
                    None if value.is_null() => {}
                    None => out.push(at),
                }
            }
        }
        (Value::Array(given), Value::Array(read)) => {
            for (i, (value, known)) in given.iter().zip(read).enumerate() {
                let at = match value.get("symbol").and_then(Value::as_str) {
                    Some(symbol) => format!("{path}[{symbol}]"),
                    None => format!("{path}[{i}]"),
                };
                unknown_fields(&at, value, known, out);
            }
        }
        _ => {}
    }
}

/// How `diff` says a value the document does not name stays: not a change.
pub const LEFT_AS_IT_IS: &str = "left as it is (not in the document)";

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
        lines.push(format!("{path}: {LEFT_AS_IT_IS}"));
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
        // 5 and 5.00 are one value: a number's text is compared normalized.
        serde_json::Value::String(s) => {
            let normalized = s
                .parse::<Decimal>()
                .map_or_else(|_| s.clone(), |d| d.normalize().to_string());
            out.insert(prefix.to_owned(), normalized);
        }
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            let normalized = text
                .parse::<Decimal>()
                .map_or(text, |d| d.normalize().to_string());
            out.insert(prefix.to_owned(), normalized);
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(value: serde_json::Value) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        flatten_json("", &value, &mut out);
        out
    }

    #[test]
    fn numbers_are_compared_by_value_not_by_text() {
        let stored = flat(serde_json::json!({"balance": "1000", "stop": 5, "name": "x"}));
        let written = flat(serde_json::json!({"balance": "1000.000", "stop": 5.0, "name": "x"}));
        assert_eq!(stored, written);
        assert_ne!(
            stored,
            flat(serde_json::json!({"balance": "1000.001", "stop": 5, "name": "x"}))
        );
    }

    #[test]
    fn unknown_fields_are_refused_at_any_depth() {
        assert!(
            parse(r#"{"format": "botconfig/1", "settings": {}, "pairs": [], "extra": 1}"#)
                .unwrap_err()
                .contains("extra")
        );
        assert!(parse(r#"{"format": "botconfig/1", "settings": {}, "pairs": []}"#).is_ok());
    }
}
