//! Parsing numbers typed by an operator into `Decimal` and integers, with range and
//! precision rules and messages that name the field.

use super::FieldError;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A stored number's text without the trailing zeros its column's scale adds
/// ("3000.00000000" is "3000"; "1e-05" is "0.00001"); any other text as it is.
pub fn normalize_decimal_text(text: &str) -> String {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_or_else(|_| text.to_owned(), |d| d.normalize().to_string())
}

/// Bounds for a decimal field. `min_exclusive` makes the lower bound strict (e.g. "> 0").
#[derive(Debug, Clone, Copy)]
pub struct DecimalRule {
    pub min: Decimal,
    pub min_exclusive: bool,
    pub max: Option<Decimal>,
    /// Most digits after the point that the column stores exactly.
    pub max_scale: u32,
    /// Most digits before the point that the column holds (its precision less its scale):
    /// a value that passes must never overflow it.
    pub integer_digits: u32,
}

impl DecimalRule {
    /// A percentage in (0, max], four decimal places (`NUMERIC(7, 4)`, or `(8, 4)` when
    /// `max` has four digits).
    pub const fn percent(max: i64) -> Self {
        Self {
            min: Decimal::ZERO,
            min_exclusive: true,
            max: Some(Decimal::from_parts(max as u32, 0, 0, false, 0)),
            max_scale: 4,
            integer_digits: if max >= 1000 { 4 } else { 3 },
        }
    }

    /// An amount of money in USD, at least zero (or above it when `positive`), as
    /// `NUMERIC(20, 8)` holds it.
    pub const fn money(positive: bool) -> Self {
        Self {
            min: Decimal::ZERO,
            min_exclusive: positive,
            max: None,
            max_scale: 8,
            integer_digits: 12,
        }
    }

    /// The smallest value too large for the column: 10^integer_digits.
    pub fn overflow(&self) -> Decimal {
        Decimal::from_i128_with_scale(10i128.pow(self.integer_digits.min(28)), 0)
    }
}

/// Parses `input` as a decimal for `field` and checks it against `rule`.
pub fn parse_decimal(field: &str, input: &str, rule: DecimalRule) -> Result<Decimal, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let value = Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| FieldError::new(field, format!("must be a number, not \"{text}\"")))?;
    check_decimal(field, value, rule)
}

/// Checks an already-typed decimal against `rule`.
pub fn check_decimal(
    field: &str,
    value: Decimal,
    rule: DecimalRule,
) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if rule.min_exclusive && value <= rule.min {
        return Err(FieldError::new(
            field,
            format!("must be greater than {}", rule.min),
        ));
    }
    if !rule.min_exclusive && value < rule.min {
        return Err(FieldError::new(
            field,
            format!("must be at least {}", rule.min),
        ));
    }
    if let Some(max) = rule.max {
        if value > max {
            return Err(FieldError::new(field, format!("must be at most {max}")));
        }
    }
    let overflow = rule.overflow();
    if value.abs() >= overflow {
        return Err(FieldError::new(
            field,
            format!("must be less than {overflow}"),
        ));
    }
    if value.scale() > rule.max_scale {
        return Err(FieldError::new(
            field,
            format!("must have at most {} decimal places", rule.max_scale),
        ));
    }
    Ok(value)
}

/// Parses `input` as `true` or `false` (any case); nothing else, not even empty, is a
/// boolean.
pub fn parse_bool(field: &str, input: &str) -> Result<bool, FieldError> {
    let text = input.trim();
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(FieldError::new(
            field,
            format!("must be true or false, not \"{text}\""),
        ))
    }
}

/// A form's boolean: required, `true` or `false`.
pub fn parse_required_bool(field: &str, input: Option<&str>) -> Result<bool, FieldError> {
    match input {
        None => Err(FieldError::new(field, "is required (true or false)")),
        Some(text) => parse_bool(field, text),
    }
}

/// Parses `input` as a whole number for `field` within `min..=max`.
pub fn parse_integer(field: &str, input: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let value = i64::from_str(text)
        .map_err(|_| FieldError::new(field, format!("must be a whole number, not \"{text}\"")))?;
    check_integer(field, value, min, max)
}

/// Checks an already-typed integer against `min..=max`.
pub fn check_integer(field: &str, value: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    if value < min || value > max {
        return Err(FieldError::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimal_accepts_plain_and_trims() {
        assert_eq!(
            parse_decimal("x", " 12.50 ", DecimalRule::money(false)),
            Ok(dec!(12.5))
        );
    }

    #[test]
    fn decimal_rejects_text_with_the_input_quoted() {
        let e = parse_decimal("Stop loss", "abc", DecimalRule::percent(100)).unwrap_err();
        assert_eq!(e.message, "must be a number, not \"abc\"");
        assert_eq!(e.field, "Stop loss");
    }

    #[test]
    fn decimal_empty_is_required() {
        let e = parse_decimal("x", "  ", DecimalRule::money(false)).unwrap_err();
        assert_eq!(e.message, "is required");
    }

    #[test]
    fn percent_is_strictly_positive_and_bounded() {
        let rule = DecimalRule::percent(100);
        assert_eq!(
            parse_decimal("p", "0", rule).unwrap_err().message,
            "must be greater than 0"
        );
        assert_eq!(
            parse_decimal("p", "-5", rule).unwrap_err().message,
            "must be greater than 0"
        );
        assert_eq!(
            parse_decimal("p", "100.5", rule).unwrap_err().message,
            "must be at most 100"
        );
        assert_eq!(parse_decimal("p", "100", rule), Ok(dec!(100)));
    }

    #[test]
    fn too_many_decimal_places_are_refused_not_rounded() {
        let e = parse_decimal("p", "1.23456", DecimalRule::percent(100)).unwrap_err();
        assert_eq!(e.message, "must have at most 4 decimal places");
        assert_eq!(
            parse_decimal("p", "1.2340000", DecimalRule::percent(100)),
            Ok(dec!(1.234))
        );
    }

    #[test]
    fn money_may_be_zero_unless_positive() {
        assert_eq!(
            parse_decimal("m", "0", DecimalRule::money(false)),
            Ok(dec!(0))
        );
        assert_eq!(
            parse_decimal("m", "0", DecimalRule::money(true))
                .unwrap_err()
                .message,
            "must be greater than 0"
        );
        assert_eq!(
            parse_decimal("m", "-1", DecimalRule::money(false))
                .unwrap_err()
                .message,
            "must be at least 0"
        );
    }

    #[test]
    fn a_value_too_large_for_its_column_is_refused() {
        assert_eq!(
            parse_decimal("m", "1e15", DecimalRule::money(false))
                .unwrap_err()
                .message,
            "must be less than 1000000000000"
        );
        assert_eq!(
            parse_decimal("m", "999999999999.99999999", DecimalRule::money(false)),
            Ok(dec!(999999999999.99999999))
        );
    }

    #[test]
    fn booleans_are_true_or_false_only() {
        assert_eq!(parse_bool("b", "TRUE"), Ok(true));
        assert_eq!(parse_bool("b", " false "), Ok(false));
        for bad in ["", "  ", "on", "1", "yes", "nope"] {
            assert!(parse_bool("b", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_required_bool("b", None).unwrap_err().message,
            "is required (true or false)"
        );
    }

    #[test]
    fn integer_rules() {
        assert_eq!(parse_integer("n", "42", 0, 100), Ok(42));
        assert_eq!(
            parse_integer("n", "4.5", 0, 100).unwrap_err().message,
            "must be a whole number, not \"4.5\""
        );
        assert_eq!(
            parse_integer("n", "101", 0, 100).unwrap_err().message,
            "must be between 0 and 100"
        );
        assert_eq!(
            parse_integer("n", "", 0, 100).unwrap_err().message,
            "is required"
        );
    }
}
