//! The domain's field rules as client-side checks for `Field`: each returns the message the
//! server would give, or nothing.

use crate::domain::number::{parse_decimal, parse_integer, DecimalRule};

fn decimal(v: &str, rule: DecimalRule) -> Option<String> {
    parse_decimal("", v, rule).err().map(|e| e.message)
}

fn integer(v: &str, min: i64, max: i64) -> Option<String> {
    parse_integer("", v, min, max).err().map(|e| e.message)
}

pub fn money(v: &str) -> Option<String> {
    decimal(v, DecimalRule::money(false))
}

pub fn positive_money(v: &str) -> Option<String> {
    decimal(v, DecimalRule::money(true))
}

pub fn percent(v: &str) -> Option<String> {
    decimal(v, DecimalRule::percent(100))
}

pub fn take_profit(v: &str) -> Option<String> {
    decimal(v, DecimalRule::percent(1000))
}

pub fn amount(v: &str) -> Option<String> {
    decimal(
        v,
        DecimalRule {
            max_scale: 12,
            ..DecimalRule::money(false)
        },
    )
}

pub fn precision(v: &str) -> Option<String> {
    integer(v, 0, 18)
}

pub fn daily_trades(v: &str) -> Option<String> {
    integer(v, 0, 10_000)
}

pub fn lookback_days(v: &str) -> Option<String> {
    integer(v, 1, 365)
}

pub fn symbol(v: &str) -> Option<String> {
    crate::domain::pair::Symbol::parse(v)
        .err()
        .map(|e| e.message)
}
