//! Strategies, their parameter definitions, and a pair's configuration of one strategy.
//!
//! A strategy's parameters are data (stored with the strategy), so forms and validation are
//! generated from the definitions rather than written per strategy.

use super::number::{check_decimal, parse_decimal, DecimalRule};
use super::pair::Symbol;
use super::{ConfigError, FieldErrors};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The kinds of strategy the schema allows.
pub const STRATEGY_TYPES: &[&str] = &["technical", "fundamental", "hybrid"];

/// Whether a parameter takes whole numbers or decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    Integer,
    Decimal,
}

/// The definition of one strategy parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    pub name: String,
    pub label: String,
    pub kind: ParamKind,
    pub min: Decimal,
    pub max: Decimal,
    pub default: Decimal,
    #[serde(default)]
    pub help: String,
    /// The name of another parameter this one must exceed (long period > short period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greater_than: Option<String>,
}

impl ParamDef {
    /// Parses and checks one typed-in value of this parameter.
    pub fn parse_value(&self, input: &str) -> Result<Decimal, super::FieldError> {
        let value = parse_decimal(&self.name, input, self.rule())?;
        self.check_kind(value)
    }

    /// Checks an already-typed value of this parameter.
    pub fn check_value(&self, value: Decimal) -> Result<Decimal, super::FieldError> {
        let value = check_decimal(&self.name, value, self.rule())?;
        self.check_kind(value)
    }

    fn rule(&self) -> DecimalRule {
        DecimalRule {
            min: self.min,
            min_exclusive: false,
            max: Some(self.max),
            max_scale: 6,
            // Stored in JSON; bounded by `max` long before this.
            integer_digits: 18,
        }
    }

    fn check_kind(&self, value: Decimal) -> Result<Decimal, super::FieldError> {
        if self.kind == ParamKind::Integer && !value.fract().is_zero() {
            return Err(super::FieldError::new(&self.name, "must be a whole number"));
        }
        Ok(value)
    }
}

/// A strategy the bot knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub strategy_type: String,
    pub is_active: bool,
    pub parameters: Vec<ParamDef>,
}

/// Parameter values by name.
pub type ParamValues = BTreeMap<String, Decimal>;

impl Strategy {
    /// Validates raw parameter inputs against this strategy's definitions. A parameter
    /// left out takes its default; an unknown one is refused.
    pub fn parse_params(&self, raw: &BTreeMap<String, String>) -> Result<ParamValues, ConfigError> {
        let mut errors = FieldErrors::default();
        let mut values = ParamValues::new();
        for name in raw.keys() {
            if !self.parameters.iter().any(|d| &d.name == name) {
                errors.push(
                    name.clone(),
                    format!("is not a parameter of {}", self.display_name),
                );
            }
        }
        for def in &self.parameters {
            let value = match raw.get(&def.name) {
                Some(input) => errors.take(def.parse_value(input)),
                None => Some(def.default),
            };
            if let Some(v) = value {
                values.insert(def.name.clone(), v);
            }
        }
        self.check_relations(&values, &mut errors);
        errors.finish(|| values)
    }

    /// Validates typed parameter values (from stored JSON, the CLI or an import).
    pub fn check_params(&self, given: &ParamValues) -> Result<ParamValues, ConfigError> {
        let raw = given
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        self.parse_params(&raw)
    }

    fn check_relations(&self, values: &ParamValues, errors: &mut FieldErrors) {
        for def in &self.parameters {
            let Some(other_name) = &def.greater_than else {
                continue;
            };
            if let (Some(v), Some(other)) = (values.get(&def.name), values.get(other_name)) {
                if v <= other {
                    let other_label = self
                        .parameters
                        .iter()
                        .find(|d| &d.name == other_name)
                        .map_or(other_name.as_str(), |d| d.label.as_str());
                    errors.push(
                        def.name.clone(),
                        format!("must be greater than {other_label} ({other})"),
                    );
                }
            }
        }
    }

    /// The definitions' defaults.
    pub fn default_params(&self) -> ParamValues {
        self.parameters
            .iter()
            .map(|d| (d.name.clone(), d.default))
            .collect()
    }
}

/// A strategy weight in [0, 1] with four decimal places.
pub fn parse_weight(input: &str) -> Result<Decimal, super::FieldError> {
    parse_decimal("weight", input, WEIGHT_RULE)
}

/// Checks a typed weight.
pub fn check_weight(value: Decimal) -> Result<Decimal, super::FieldError> {
    check_decimal("weight", value, WEIGHT_RULE)
}

const WEIGHT_RULE: DecimalRule = DecimalRule {
    min: Decimal::ZERO,
    min_exclusive: false,
    max: Some(Decimal::ONE),
    max_scale: 4,
    // `NUMERIC(5, 4)`.
    integer_digits: 1,
};

/// One pair's configuration of one strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PairStrategy {
    pub symbol: Symbol,
    pub strategy: String,
    pub display_name: String,
    /// The strategy's description and type, as its definition has them.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub strategy_type: String,
    pub is_enabled: bool,
    pub weight: Decimal,
    /// Each parameter's value, as a decimal string.
    #[cfg_attr(feature = "ssr", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub parameters: ParamValues,
    pub version: i32,
}

/// Parameter values to the JSON object stored in `pair_strategy_config.parameters`:
/// whole numbers as integers, others as JSON numbers.
pub fn params_to_json(values: &ParamValues) -> serde_json::Value {
    let map = values
        .iter()
        .map(|(k, v)| {
            let number = if v.fract().is_zero() {
                v.to_i64().map(serde_json::Number::from)
            } else {
                serde_json::Number::from_str(&v.normalize().to_string()).ok()
            };
            let json = number.map_or_else(
                || serde_json::Value::String(v.to_string()),
                serde_json::Value::Number,
            );
            (k.clone(), json)
        })
        .collect();
    serde_json::Value::Object(map)
}

/// The stored JSON object back to parameter values; anything not a number is an error
/// naming the parameter.
pub fn params_from_json(json: &serde_json::Value) -> Result<ParamValues, ConfigError> {
    let object = json
        .as_object()
        .ok_or_else(|| ConfigError::invalid("parameters", "must be a JSON object"))?;
    let mut values = ParamValues::new();
    for (name, value) in object {
        let text = match value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return Err(ConfigError::invalid(name.clone(), "must be a number")),
        };
        let parsed = Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| {
                ConfigError::invalid(name.clone(), format!("must be a number, not {text}"))
            })?;
        values.insert(name.clone(), parsed.normalize());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn def(name: &str, kind: ParamKind, min: Decimal, max: Decimal, default: Decimal) -> ParamDef {
        ParamDef {
            name: name.into(),
            label: name.replace('_', " "),
            kind,
            min,
            max,
            default,
            help: String::new(),
            greater_than: None,
        }
    }

    fn sma() -> Strategy {
        let mut long = def(
            "long_period",
            ParamKind::Integer,
            dec!(3),
            dec!(400),
            dec!(30),
        );
        long.greater_than = Some("short_period".into());
        Strategy {
            id: 1,
            name: "sma_crossover".into(),
            display_name: "SMA crossover".into(),
            description: String::new(),
            strategy_type: "technical".into(),
            is_active: true,
            parameters: vec![
                def(
                    "short_period",
                    ParamKind::Integer,
                    dec!(2),
                    dec!(200),
                    dec!(10),
                ),
                long,
            ],
        }
    }

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn errors(r: Result<ParamValues, ConfigError>) -> FieldErrors {
        r.unwrap_err().field_errors().cloned().unwrap()
    }

    #[test]
    fn valid_params_parse() {
        let v = sma()
            .parse_params(&raw(&[("short_period", "12"), ("long_period", "40")]))
            .unwrap();
        assert_eq!(v["short_period"], dec!(12));
        assert_eq!(v["long_period"], dec!(40));
    }

    #[test]
    fn missing_params_take_their_defaults() {
        let v = sma().parse_params(&raw(&[])).unwrap();
        assert_eq!(v, sma().default_params());
    }

    #[test]
    fn long_period_must_exceed_short_period() {
        let e = errors(sma().parse_params(&raw(&[("short_period", "30"), ("long_period", "30")])));
        assert_eq!(
            e.get("long_period"),
            Some("must be greater than short period (30)")
        );
    }

    #[test]
    fn out_of_range_parameter_is_refused_with_its_bounds() {
        let e = errors(sma().parse_params(&raw(&[("short_period", "1")])));
        assert_eq!(e.get("short_period"), Some("must be at least 2"));
        let e = errors(sma().parse_params(&raw(&[("long_period", "401")])));
        assert_eq!(e.get("long_period"), Some("must be at most 400"));
    }

    #[test]
    fn integer_parameter_refuses_fractions() {
        let e = errors(sma().parse_params(&raw(&[("short_period", "10.5")])));
        assert_eq!(e.get("short_period"), Some("must be a whole number"));
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let e = errors(sma().parse_params(&raw(&[("fast", "3")])));
        assert_eq!(e.get("fast"), Some("is not a parameter of SMA crossover"));
    }

    #[test]
    fn weight_is_between_zero_and_one() {
        assert_eq!(parse_weight("0.6"), Ok(dec!(0.6)));
        assert_eq!(
            parse_weight("1.5").unwrap_err().message,
            "must be at most 1"
        );
        assert_eq!(
            parse_weight("-0.1").unwrap_err().message,
            "must be at least 0"
        );
        assert_eq!(
            parse_weight("0.12345").unwrap_err().message,
            "must have at most 4 decimal places"
        );
    }

    #[test]
    fn params_json_round_trip_keeps_integers_integral() {
        let mut v = ParamValues::new();
        v.insert("period".into(), dec!(20));
        v.insert("std_dev".into(), dec!(2.5));
        let json = params_to_json(&v);
        assert_eq!(json, serde_json::json!({"period": 20, "std_dev": 2.5}));
        assert_eq!(params_from_json(&json).unwrap(), v);
    }

    #[test]
    fn params_json_refuses_non_numbers() {
        let e = params_from_json(&serde_json::json!({"period": true})).unwrap_err();
        assert_eq!(
            e.field_errors().unwrap().get("period"),
            Some("must be a number")
        );
    }

    #[test]
    fn definitions_deserialize_from_stored_json() {
        let defs: Vec<ParamDef> = serde_json::from_value(serde_json::json!([
            {"name": "std_dev", "label": "Standard deviations", "kind": "decimal", "min": 0.5, "max": 5, "default": 2, "help": "h"}
        ]))
        .unwrap();
        assert_eq!(defs[0].min, dec!(0.5));
        assert_eq!(defs[0].kind, ParamKind::Decimal);
    }
}
