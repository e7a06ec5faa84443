//! Global system settings: typed values stored as text, grouped by category.

pub use super::fields::readable_name;
use super::fields::FieldKind;
use super::number::{check_decimal, check_integer, parse_bool};
use super::{ConfigError, FieldError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The type a setting's text value must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    String,
    Integer,
    Float,
    Boolean,
    Json,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Float => "float",
            Self::Boolean => "boolean",
            Self::Json => "json",
        }
    }
}

impl FromStr for ValueType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "string" => Ok(Self::String),
            "integer" => Ok(Self::Integer),
            "float" => Ok(Self::Float),
            "boolean" => Ok(Self::Boolean),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown value type \"{other}\"")),
        }
    }
}

/// The group a setting is shown and saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Category {
    General,
    Risk,
    Notification,
    System,
}

impl Category {
    pub const ALL: [Category; 4] = [Self::General, Self::Risk, Self::Notification, Self::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::System => "system",
            Self::Notification => "notification",
            Self::Risk => "risk",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::General => "General",
            Self::System => "System",
            Self::Notification => "Notifications",
            Self::Risk => "Risk",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category \"{s}\""))
    }
}

/// A setting's value, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SettingValue {
    Boolean(bool),
    Integer(i64),
    Decimal(Decimal),
    String(String),
    Json(serde_json::Value),
}

impl SettingValue {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// Integers and decimals both read as a decimal.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Self::Decimal(d) => Some(*d),
            Self::Integer(i) => Some(Decimal::from(*i)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for SettingValue {
    /// The canonical text stored in `system_config.value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean(b) => write!(f, "{b}"),
            Self::Integer(i) => write!(f, "{i}"),
            Self::Decimal(d) => write!(f, "{}", d.normalize()),
            Self::String(s) => f.write_str(s),
            Self::Json(j) => write!(f, "{j}"),
        }
    }
}

/// A setting to create: its key, type, group and description.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSetting {
    pub key: String,
    pub value_type: ValueType,
    pub category: Category,
    pub description: String,
    /// A secret (an exchange key, a chat token): never shown, exported, logged or recorded.
    pub is_secret: bool,
}

/// A setting key as the schema allows it: lower case, digits and `_`, starting with a
/// letter, at most 64 characters.
pub fn check_setting_key(key: &str) -> Result<(), FieldError> {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            key,
            "a setting key is lower case letters, digits and _, starting with a letter, at most 64 long",
        ))
    }
}

/// The largest whole number a setting may hold (18 digits, as the column's check allows).
const MAX_SETTING_INTEGER: i64 = 999_999_999_999_999_999;

pub use super::fields::setting::{choices, LOG_LEVELS};

/// Parses `input` as the value of setting `key` of type `value_type`.
///
/// ```
/// use botconfig::domain::system::{parse_setting, SettingValue, ValueType};
/// assert_eq!(parse_setting("check_interval", ValueType::Integer, "30"), Ok(SettingValue::Integer(30)));
/// assert!(parse_setting("check_interval", ValueType::Integer, "soon").is_err());
/// ```
pub fn parse_setting(
    key: &str,
    value_type: ValueType,
    input: &str,
) -> Result<SettingValue, FieldError> {
    let text = input.trim();
    let value = match value_type {
        ValueType::Boolean => SettingValue::Boolean(parse_bool(key, text)?),
        ValueType::Integer => {
            let value = text.parse::<i64>().map_err(|_| {
                FieldError::new(key, format!("must be a whole number, not \"{text}\""))
            })?;
            // The column's check allows 18 digits.
            check_integer(key, value, -MAX_SETTING_INTEGER, MAX_SETTING_INTEGER)?;
            SettingValue::Integer(value)
        }
        ValueType::Float => {
            let value = Decimal::from_str(text)
                .map_err(|_| FieldError::new(key, format!("must be a number, not \"{text}\"")))?
                .normalize();
            if value.abs() >= Decimal::from(10i64.pow(18)) {
                return Err(FieldError::new(
                    key,
                    "must be less than 1000000000000000000",
                ));
            }
            SettingValue::Decimal(value)
        }
        ValueType::String => SettingValue::String(text.to_owned()),
        ValueType::Json => SettingValue::Json(
            serde_json::from_str(text)
                .map_err(|e| FieldError::new(key, format!("must be valid JSON: {e}")))?,
        ),
    };
    let rule = super::fields::setting::rule(key).map(|r| r.kind);
    match (rule, &value) {
        (Some(FieldKind::Integer { min, max }), SettingValue::Integer(i)) => {
            check_integer(key, *i, min, max)?;
        }
        (Some(FieldKind::Decimal(rule)), SettingValue::Decimal(d)) => {
            check_decimal(key, *d, rule)?;
        }
        _ => {}
    }
    match (choices(key), &value) {
        (Some(options), SettingValue::String(s)) if !options.contains(&s.as_str()) => Err(
            FieldError::new(key, format!("must be one of {}", options.join(", "))),
        ),
        _ => Ok(value),
    }
}

/// A system setting as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SystemSetting {
    pub key: String,
    pub value: SettingValue,
    pub value_type: ValueType,
    pub description: String,
    pub category: Category,
    pub is_active: bool,
    pub version: i32,
    /// Never shown, exported, logged or recorded: see `redacted`.
    #[serde(default)]
    pub is_secret: bool,
    /// When the row last changed.
    #[serde(default)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The one typed reading of a setting: a value of another type is an error that names the
/// setting, whoever reads it (a bot through the cache, the portfolio, the console).
impl SystemSetting {
    /// The setting as anyone but a bot may see it: a secret's value is gone (empty).
    pub fn redacted(mut self) -> Self {
        if self.is_secret {
            self.value = SettingValue::String(String::new());
        }
        self
    }

    /// What a secret's form shows instead of its value.
    pub fn secret_summary(&self) -> String {
        match self.updated_at {
            Some(at) => format!("set, last changed {} UTC", at.format("%Y-%m-%d %H:%M")),
            None => "set".into(),
        }
    }

    fn wrong_type(&self, expected: &str) -> ConfigError {
        ConfigError::invalid(
            self.key.clone(),
            format!("holds {} values, not {expected}", self.value_type.as_str()),
        )
    }

    pub fn bool(&self) -> Result<bool, ConfigError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.wrong_type("true or false"))
    }

    pub fn integer(&self) -> Result<i64, ConfigError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.wrong_type("a whole number"))
    }

    /// A whole or decimal number.
    pub fn decimal(&self) -> Result<Decimal, ConfigError> {
        self.value
            .as_decimal()
            .ok_or_else(|| self.wrong_type("a number"))
    }

    pub fn text(&self) -> Result<&str, ConfigError> {
        self.value.as_str().ok_or_else(|| self.wrong_type("text"))
    }
}

impl SystemSetting {
    /// "max_concurrent_positions" → "Max concurrent positions".
    pub fn label(&self) -> String {
        readable_name(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn booleans_are_true_or_false_in_any_case_and_nothing_else() {
        for t in ["true", "TRUE", " True "] {
            assert_eq!(
                parse_setting("paper_trading", ValueType::Boolean, t),
                Ok(SettingValue::Boolean(true))
            );
        }
        assert_eq!(
            parse_setting("x", ValueType::Boolean, "False"),
            Ok(SettingValue::Boolean(false))
        );
        for bad in ["", "   ", "on", "off", "yes", "1", "0", "maybe"] {
            assert!(
                parse_setting("paper_trading", ValueType::Boolean, bad).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_setting("x", ValueType::Boolean, "")
                .unwrap_err()
                .message,
            "must be true or false, not \"\""
        );
    }

    #[test]
    fn numbers_too_large_for_their_column_are_refused() {
        assert!(parse_setting("x", ValueType::Integer, "9223372036854775807").is_err());
        assert!(parse_setting("x", ValueType::Integer, "999999999999999999").is_ok());
        assert!(parse_setting("x", ValueType::Float, "1e19").is_err());
        assert!(
            parse_setting("total_portfolio_balance", ValueType::Float, "1000000000000").is_err()
        );
    }

    #[test]
    fn integer_setting_refuses_text() {
        let e = parse_setting("check_interval", ValueType::Integer, "abc").unwrap_err();
        assert_eq!(e.field, "check_interval");
        assert_eq!(e.message, "must be a whole number, not \"abc\"");
    }

    #[test]
    fn known_ranges_apply() {
        assert_eq!(
            parse_setting("check_interval", ValueType::Integer, "0")
                .unwrap_err()
                .message,
            "must be between 1 and 86400"
        );
        assert_eq!(
            parse_setting("emergency_stop_loss_percent", ValueType::Float, "120")
                .unwrap_err()
                .message,
            "must be at most 100"
        );
        assert_eq!(
            parse_setting("total_portfolio_balance", ValueType::Float, "-5")
                .unwrap_err()
                .message,
            "must be at least 0"
        );
    }

    #[test]
    fn float_settings_are_decimals() {
        assert_eq!(
            parse_setting("total_portfolio_balance", ValueType::Float, "10000.50"),
            Ok(SettingValue::Decimal(dec!(10000.5)))
        );
    }

    #[test]
    fn log_level_is_a_closed_list() {
        assert!(parse_setting("log_level", ValueType::String, "DEBUG").is_ok());
        assert_eq!(
            parse_setting("log_level", ValueType::String, "LOUD")
                .unwrap_err()
                .message,
            "must be one of DEBUG, INFO, WARNING, ERROR"
        );
        assert_eq!(choices("log_level"), Some(LOG_LEVELS));
        assert_eq!(choices("check_interval"), None);
    }

    #[test]
    fn json_settings_must_parse() {
        assert!(parse_setting("x", ValueType::Json, "{\"a\": 1}").is_ok());
        assert!(parse_setting("x", ValueType::Json, "{a")
            .unwrap_err()
            .message
            .starts_with("must be valid JSON"));
    }

    #[test]
    fn canonical_text_is_what_the_database_check_accepts() {
        assert_eq!(SettingValue::Decimal(dec!(10.50)).to_string(), "10.5");
        assert_eq!(SettingValue::Boolean(false).to_string(), "false");
    }

    #[test]
    fn readable_names() {
        assert_eq!(
            readable_name("max_concurrent_positions"),
            "Max concurrent positions"
        );
    }
}
