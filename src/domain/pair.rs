//! Trading pairs: the `Symbol` type, the stored pair, and the form that creates or edits one.

use super::{ConfigError, FieldError, FieldErrors};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated pair symbol such as `BTC/USDT`: two upper-case asset codes of 2–12 letters
/// or digits, joined by one slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = String, example = "BTC/USDT"))]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(String);

pub const SYMBOL_RULE: &str = "must look like BASE/QUOTE in capitals, e.g. BTC/USDT";

impl Symbol {
    /// Parses a symbol exactly as typed: no trimming or case folding, so what is stored is
    /// what the operator wrote.
    ///
    /// ```
    /// use botconfig::domain::pair::Symbol;
    /// assert_eq!(Symbol::parse("BTC/USDT").unwrap().base(), "BTC");
    /// assert!(Symbol::parse("btc/usdt").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Symbol, FieldError> {
        let valid_asset = |s: &str| {
            (2..=12).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        match input.split_once('/') {
            Some((base, quote)) if valid_asset(base) && valid_asset(quote) => {
                Ok(Symbol(input.to_owned()))
            }
            _ if input.is_empty() => Err(FieldError::new("symbol", "is required")),
            _ => Err(FieldError::new(
                "symbol",
                format!("\"{input}\" {SYMBOL_RULE}"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn base(&self) -> &str {
        self.0.split_once('/').map(|(b, _)| b).unwrap_or(&self.0)
    }

    pub fn quote(&self) -> &str {
        self.0.split_once('/').map(|(_, q)| q).unwrap_or("")
    }
}

impl TryFrom<String> for Symbol {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Symbol::parse(&value).map_err(|e| e.message)
    }
}

impl From<Symbol> for String {
    fn from(value: Symbol) -> Self {
        value.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A trading pair as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TradingPair {
    pub id: i64,
    pub symbol: Symbol,
    pub is_active: bool,
    pub initial_balance: Decimal,
    pub trade_size_usd: Decimal,
    pub max_position_percent: Decimal,
    pub min_trade_amount: Decimal,
    pub max_trade_amount: Decimal,
    pub price_precision: i32,
    pub amount_precision: i32,
    pub version: i32,
    /// Its pause, while one holds (see `pause_at`: it may end while this is held).
    #[serde(default)]
    pub pause: Option<super::pause::Pause>,
}

impl TradingPair {
    /// The pause that holds at `now`, if any.
    pub fn pause_at(&self, now: chrono::DateTime<chrono::Utc>) -> Option<&super::pause::Pause> {
        self.pause.as_ref().filter(|p| p.in_effect(now))
    }

    /// The editable part of the pair.
    pub fn settings(&self) -> PairSettings {
        PairSettings {
            initial_balance: self.initial_balance,
            trade_size_usd: self.trade_size_usd,
            max_position_percent: self.max_position_percent,
            min_trade_amount: self.min_trade_amount,
            max_trade_amount: self.max_trade_amount,
            price_precision: self.price_precision,
            amount_precision: self.amount_precision,
        }
    }
}

/// The first end among `pairs`' pauses: when a view of them stops being true by the clock.
pub fn first_pause_end<'a>(
    pairs: impl IntoIterator<Item = &'a TradingPair>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    pairs
        .into_iter()
        .filter_map(|pair| pair.pause.as_ref()?.until)
        .min()
}

/// The editable settings of a pair, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairSettings {
    pub initial_balance: Decimal,
    pub trade_size_usd: Decimal,
    pub max_position_percent: Decimal,
    pub min_trade_amount: Decimal,
    pub max_trade_amount: Decimal,
    pub price_precision: i32,
    pub amount_precision: i32,
}

impl PairSettings {
    /// Checks typed settings (from the CLI, an import or the API) with the form's rules.
    pub fn validate(self) -> Result<PairSettings, ConfigError> {
        PairForm::from_settings("", &self).parse_settings()
    }
}

/// A pair form as the operator filled it in: every field is the raw text, so one bad
/// field does not hide the others' errors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairForm {
    pub symbol: String,
    pub initial_balance: String,
    pub trade_size_usd: String,
    pub max_position_percent: String,
    pub min_trade_amount: String,
    pub max_trade_amount: String,
    pub price_precision: String,
    pub amount_precision: String,
}

impl PairForm {
    /// The form pre-filled with a pair's current settings.
    pub fn from_settings(symbol: &str, s: &PairSettings) -> Self {
        Self {
            symbol: symbol.to_owned(),
            initial_balance: s.initial_balance.normalize().to_string(),
            trade_size_usd: s.trade_size_usd.normalize().to_string(),
            max_position_percent: s.max_position_percent.normalize().to_string(),
            min_trade_amount: s.min_trade_amount.normalize().to_string(),
            max_trade_amount: s.max_trade_amount.normalize().to_string(),
            price_precision: s.price_precision.to_string(),
            amount_precision: s.amount_precision.to_string(),
        }
    }

    /// Sensible starting values for a new pair.
    pub fn new_pair_defaults() -> Self {
        Self {
            symbol: String::new(),
            initial_balance: "1000".into(),
            trade_size_usd: "100".into(),
            max_position_percent: "10".into(),
            min_trade_amount: "0.0001".into(),
            max_trade_amount: "1000000".into(),
            price_precision: "2".into(),
            amount_precision: "6".into(),
        }
    }

    /// Validates a form for a new pair: symbol and settings.
    pub fn parse_new(&self) -> Result<(Symbol, PairSettings), ConfigError> {
        let mut errors = FieldErrors::default();
        let symbol = errors.take(Symbol::parse(&self.symbol));
        let settings = match self.parse_settings() {
            Ok(s) => Some(s),
            Err(ConfigError::Invalid(e)) => {
                errors.0.extend(e.0);
                None
            }
            Err(other) => return Err(other),
        };
        errors.finish(|| (symbol.expect("no errors"), settings.expect("no errors")))
    }

    /// The text of the field `name` (one of `fields::pair::FIELDS`).
    pub fn value_of(&self, name: &str) -> &str {
        match name {
            "symbol" => &self.symbol,
            "initial_balance" => &self.initial_balance,
            "trade_size_usd" => &self.trade_size_usd,
            "max_position_percent" => &self.max_position_percent,
            "min_trade_amount" => &self.min_trade_amount,
            "max_trade_amount" => &self.max_trade_amount,
            "price_precision" => &self.price_precision,
            "amount_precision" => &self.amount_precision,
            _ => "",
        }
    }

    /// Validates the settings fields (the symbol of an existing pair is not editable).
    pub fn parse_settings(&self) -> Result<PairSettings, ConfigError> {
        use super::fields::pair::*;
        let mut errors = FieldErrors::default();
        let initial_balance = errors.take(INITIAL_BALANCE.decimal(&self.initial_balance));
        let trade_size_usd = errors.take(TRADE_SIZE_USD.decimal(&self.trade_size_usd));
        let max_position_percent =
            errors.take(MAX_POSITION_PERCENT.decimal(&self.max_position_percent));
        let min_trade_amount = errors.take(MIN_TRADE_AMOUNT.decimal(&self.min_trade_amount));
        let max_trade_amount = errors.take(MAX_TRADE_AMOUNT.decimal(&self.max_trade_amount));
        if let (Some(min), Some(max)) = (min_trade_amount, max_trade_amount) {
            if max < min {
                errors.push("max_trade_amount", "must be at least the min trade amount");
            }
        }
        if let (Some(balance), Some(size)) = (initial_balance, trade_size_usd) {
            if size > balance && !balance.is_zero() {
                errors.push("trade_size_usd", "must not exceed the initial balance");
            }
        }
        let price_precision = errors.take(PRICE_PRECISION.integer(&self.price_precision));
        let amount_precision = errors.take(AMOUNT_PRECISION.integer(&self.amount_precision));
        errors.finish(|| PairSettings {
            initial_balance: initial_balance.expect("checked"),
            trade_size_usd: trade_size_usd.expect("checked"),
            max_position_percent: max_position_percent.expect("checked"),
            min_trade_amount: min_trade_amount.expect("checked"),
            max_trade_amount: max_trade_amount.expect("checked"),
            price_precision: price_precision.expect("checked") as i32,
            amount_precision: amount_precision.expect("checked") as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn symbol_accepts_base_quote_in_capitals() {
        let s = Symbol::parse("BTC/USDT").unwrap();
        assert_eq!((s.base(), s.quote()), ("BTC", "USDT"));
        assert!(Symbol::parse("1INCH/USDT").is_ok());
    }

    #[test]
    fn symbol_without_slash_is_refused_with_the_rule() {
        let e = Symbol::parse("BTCUSDT").unwrap_err();
        assert_eq!(e.field, "symbol");
        assert_eq!(
            e.message,
            "\"BTCUSDT\" must look like BASE/QUOTE in capitals, e.g. BTC/USDT"
        );
    }

    #[test]
    fn symbol_in_lower_case_or_with_spaces_is_refused() {
        assert!(Symbol::parse("btc/usdt").is_err());
        assert!(Symbol::parse("btc/usdt ").is_err());
        assert!(Symbol::parse(" BTC/USDT").is_err());
        assert!(Symbol::parse("BTC/USDT/X").is_err());
        assert!(Symbol::parse("B/USDT").is_err());
    }

    #[test]
    fn empty_symbol_is_required() {
        assert_eq!(Symbol::parse("").unwrap_err().message, "is required");
    }

    #[test]
    fn symbol_deserialization_validates() {
        assert!(serde_json::from_str::<Symbol>("\"ETH/USDT\"").is_ok());
        assert!(serde_json::from_str::<Symbol>("\"ETHUSDT\"").is_err());
    }

    fn form() -> PairForm {
        PairForm {
            symbol: "SOL/USDT".into(),
            ..PairForm::new_pair_defaults()
        }
    }

    #[test]
    fn valid_form_parses_to_settings() {
        let (symbol, s) = form().parse_new().unwrap();
        assert_eq!(symbol.as_str(), "SOL/USDT");
        assert_eq!(s.initial_balance, dec!(1000));
        assert_eq!(s.max_position_percent, dec!(10));
        assert_eq!(s.price_precision, 2);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let f = PairForm {
            symbol: "solusdt".into(),
            trade_size_usd: "0".into(),
            max_position_percent: "150".into(),
            price_precision: "x".into(),
            ..form()
        };
        let errors = f.parse_new().unwrap_err().field_errors().cloned().unwrap();
        assert!(errors.get("symbol").is_some());
        assert_eq!(errors.get("trade_size_usd"), Some("must be greater than 0"));
        assert_eq!(
            errors.get("max_position_percent"),
            Some("must be at most 100")
        );
        assert_eq!(
            errors.get("price_precision"),
            Some("must be a whole number, not \"x\"")
        );
    }

    #[test]
    fn max_trade_amount_below_min_is_refused() {
        let f = PairForm {
            min_trade_amount: "10".into(),
            max_trade_amount: "5".into(),
            ..form()
        };
        let errors = f.parse_settings().unwrap_err();
        assert_eq!(
            errors.field_errors().unwrap().get("max_trade_amount"),
            Some("must be at least the min trade amount")
        );
    }

    #[test]
    fn trade_size_above_balance_is_refused() {
        let f = PairForm {
            initial_balance: "100".into(),
            trade_size_usd: "200".into(),
            ..form()
        };
        assert_eq!(
            f.parse_settings()
                .unwrap_err()
                .field_errors()
                .unwrap()
                .get("trade_size_usd"),
            Some("must not exceed the initial balance")
        );
    }

    #[test]
    fn negative_balance_and_precision_out_of_range_are_refused() {
        let f = PairForm {
            initial_balance: "-1".into(),
            amount_precision: "19".into(),
            ..form()
        };
        let e = f.parse_settings().unwrap_err();
        let errors = e.field_errors().unwrap();
        assert_eq!(errors.get("initial_balance"), Some("must be at least 0"));
        assert_eq!(
            errors.get("amount_precision"),
            Some("must be between 0 and 18")
        );
    }

    #[test]
    fn form_round_trips_settings() {
        let (_, s) = form().parse_new().unwrap();
        assert_eq!(
            PairForm::from_settings("SOL/USDT", &s)
                .parse_settings()
                .unwrap(),
            s
        );
        assert_eq!(s.clone().validate().unwrap(), s);
    }
}
