//! One rule per field, in one table per form: its name, label, kind, bounds, scale and help.
//!
//! Everything that checks a field reads it here: the server's parse of a form, the
//! console's check as the operator types, the input's `inputmode`, the CLI (which fills
//! the same forms) and the API's field errors. A rule cannot drift between them.

use super::number::{parse_decimal, parse_integer, DecimalRule};
use super::FieldError;
use rust_decimal::Decimal;

/// What a field holds and the bounds it must keep.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    Decimal(DecimalRule),
    Integer { min: i64, max: i64 },
}

/// The rule of one form field.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    /// The form's field name, and the key its errors are reported under.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub help: &'static str,
}

impl FieldRule {
    /// The field as a decimal, or the message the operator reads.
    pub fn decimal(&self, input: &str) -> Result<Decimal, FieldError> {
        match self.kind {
            FieldKind::Decimal(rule) => parse_decimal(self.name, input, rule),
            FieldKind::Integer { min, max } => {
                parse_integer(self.name, input, min, max).map(Decimal::from)
            }
        }
    }

    /// The field as a whole number, or the message the operator reads.
    pub fn integer(&self, input: &str) -> Result<i64, FieldError> {
        match self.kind {
            FieldKind::Integer { min, max } => parse_integer(self.name, input, min, max),
            FieldKind::Decimal(_) => Err(FieldError::new(self.name, "is not a whole-number field")),
        }
    }

    /// The check the console runs as the operator types: the very parse the server runs.
    pub fn check(&self, input: &str) -> Option<String> {
        let verdict = match self.kind {
            FieldKind::Decimal(_) => self.decimal(input).err(),
            FieldKind::Integer { .. } => self.integer(input).err(),
        };
        verdict.map(|e| e.message)
    }

    /// The input's `min`, `max` and `step` attributes. The console's inputs stay free text
    /// (so a wrong entry gets a message rather than being dropped by the browser); these
    /// state the rule in the markup for tools and assistive technology.
    pub fn bounds(&self) -> (Option<String>, Option<String>, String) {
        match self.kind {
            FieldKind::Decimal(rule) => (
                Some(rule.min.to_string()),
                rule.max.map(|m| m.to_string()),
                Decimal::new(1, rule.max_scale).to_string(),
            ),
            FieldKind::Integer { min, max } => {
                (Some(min.to_string()), Some(max.to_string()), "1".to_owned())
            }
        }
    }

    /// The keyboard a phone should show.
    pub fn inputmode(&self) -> &'static str {
        match self.kind {
            FieldKind::Decimal(_) => "decimal",
            FieldKind::Integer { .. } => "numeric",
        }
    }
}

const fn decimal(
    name: &'static str,
    label: &'static str,
    rule: DecimalRule,
    help: &'static str,
) -> FieldRule {
    FieldRule {
        name,
        label,
        kind: FieldKind::Decimal(rule),
        help,
    }
}

const fn integer(
    name: &'static str,
    label: &'static str,
    min: i64,
    max: i64,
    help: &'static str,
) -> FieldRule {
    FieldRule {
        name,
        label,
        kind: FieldKind::Integer { min, max },
        help,
    }
}

/// `NUMERIC(30, 12)`: trade amounts in the base currency.
const AMOUNT: DecimalRule = DecimalRule {
    min: Decimal::ZERO,
    min_exclusive: false,
    max: None,
    max_scale: 12,
    integer_digits: 18,
};

/// The settings of a trading pair (`trading_pairs`).
pub mod pair {
    use super::*;

    pub const INITIAL_BALANCE: FieldRule = decimal(
        "initial_balance",
        "Initial balance",
        DecimalRule::money(false),
        "USD set aside for this pair, 0 or more",
    );
    pub const TRADE_SIZE_USD: FieldRule = decimal(
        "trade_size_usd",
        "Trade size (USD)",
        DecimalRule::money(true),
        "USD per trade, more than 0 and at most the initial balance",
    );
    pub const MAX_POSITION_PERCENT: FieldRule = decimal(
        "max_position_percent",
        "Max position (%)",
        DecimalRule::percent(100),
        "Largest position as a share of the balance, above 0 and at most 100",
    );
    pub const MIN_TRADE_AMOUNT: FieldRule = decimal(
        "min_trade_amount",
        "Min trade amount",
        AMOUNT,
        "Smallest order in the base currency, 0 or more",
    );
    pub const MAX_TRADE_AMOUNT: FieldRule = decimal(
        "max_trade_amount",
        "Max trade amount",
        DecimalRule {
            min_exclusive: true,
            ..AMOUNT
        },
        "Largest order in the base currency, more than 0 and at least the min",
    );
    pub const PRICE_PRECISION: FieldRule = integer(
        "price_precision",
        "Price precision",
        0,
        18,
        "Decimal places of a price, 0 to 18",
    );
    pub const AMOUNT_PRECISION: FieldRule = integer(
        "amount_precision",
        "Amount precision",
        0,
        18,
        "Decimal places of an amount, 0 to 18",
    );

    /// Every settings field, in the form's order.
    pub const FIELDS: [FieldRule; 7] = [
        INITIAL_BALANCE,
        TRADE_SIZE_USD,
        MAX_POSITION_PERCENT,
        MIN_TRADE_AMOUNT,
        MAX_TRADE_AMOUNT,
        PRICE_PRECISION,
        AMOUNT_PRECISION,
    ];
}

/// A pair's risk settings (`pair_risk_config`).
pub mod risk {
    use super::*;

    pub const STOP_LOSS_PERCENT: FieldRule = decimal(
        "stop_loss_percent",
        "Stop loss (%)",
        DecimalRule::percent(100),
        "Loss at which a position is closed, above 0 and at most 100",
    );
    pub const TAKE_PROFIT_PERCENT: FieldRule = decimal(
        "take_profit_percent",
        "Take profit (%)",
        DecimalRule::percent(1000),
        "Gain at which a position is closed, above 0 and at most 1000",
    );
    pub const MAX_DAILY_TRADES: FieldRule = integer(
        "max_daily_trades",
        "Max daily trades",
        0,
        10_000,
        "Trades per day, 0 to 10000",
    );
    pub const MAX_DAILY_LOSS_PERCENT: FieldRule = decimal(
        "max_daily_loss_percent",
        "Max daily loss (%)",
        DecimalRule::percent(100),
        "Loss after which the pair stops for the day, above 0 and at most 100",
    );
    pub const TRAILING_STOP_PERCENT: FieldRule = decimal(
        "trailing_stop_percent",
        "Trailing stop (%)",
        DecimalRule::percent(100),
        "Distance of the trailing stop, above 0 and at most the stop loss",
    );
    pub const MAX_DRAWDOWN_PERCENT: FieldRule = decimal(
        "max_drawdown_percent",
        "Max drawdown (%)",
        DecimalRule::percent(100),
        "Drawdown after which the pair stops, above 0 and at most 100",
    );
    pub const VOLATILITY_LOOKBACK_DAYS: FieldRule = integer(
        "volatility_lookback_days",
        "Volatility lookback (days)",
        1,
        365,
        "Days of history for volatility sizing, 1 to 365",
    );

    /// Every typed field, in the form's order (the trailing stop switch and the sizing
    /// method are choices, not typed).
    pub const FIELDS: [FieldRule; 7] = [
        STOP_LOSS_PERCENT,
        TAKE_PROFIT_PERCENT,
        MAX_DAILY_TRADES,
        MAX_DAILY_LOSS_PERCENT,
        TRAILING_STOP_PERCENT,
        MAX_DRAWDOWN_PERCENT,
        VOLATILITY_LOOKBACK_DAYS,
    ];
}

/// The bounded system settings (`system_config`): each setting's value is parsed by its
/// type (`system::parse_setting`), then held to its rule here, whoever saves it (the
/// console's System page, the CLI, the API, an import).
pub mod setting {
    use super::*;

    pub const CHECK_INTERVAL: FieldRule = integer(
        "check_interval",
        "Check interval (seconds)",
        1,
        86_400,
        "How often a bot runs its cycle: 1 second to a day.",
    );
    pub const MAX_CONCURRENT_POSITIONS: FieldRule = integer(
        "max_concurrent_positions",
        "Max concurrent positions",
        1,
        1_000,
        "Positions open at once across every pair.",
    );
    pub const REBALANCE_INTERVAL_HOURS: FieldRule = integer(
        "rebalance_interval_hours",
        "Rebalance interval (hours)",
        1,
        8_760,
        "1 hour to a year.",
    );
    pub const MIN_PRICE_HISTORY: FieldRule = integer(
        "min_price_history",
        "Min price history (candles)",
        1,
        100_000,
        "Candles a strategy needs before it signals.",
    );
    pub const DATA_RETENTION_DAYS: FieldRule = integer(
        "data_retention_days",
        "Data retention (days)",
        1,
        36_500,
        "How long market data is kept.",
    );
    pub const TOTAL_PORTFOLIO_BALANCE: FieldRule = decimal(
        "total_portfolio_balance",
        "Total portfolio balance (USD)",
        DecimalRule::money(false),
        "What the pairs' initial balances are a share of.",
    );
    pub const GLOBAL_MAX_DAILY_LOSS_PERCENT: FieldRule = decimal(
        "global_max_daily_loss_percent",
        "Global max daily loss (%)",
        DecimalRule::percent(100),
        "Above 0, at most 100.",
    );
    pub const EMERGENCY_STOP_LOSS_PERCENT: FieldRule = decimal(
        "emergency_stop_loss_percent",
        "Emergency stop loss (%)",
        DecimalRule::percent(100),
        "Above 0, at most 100.",
    );

    pub const FREQTRADE_REFRESH_PERIOD: FieldRule = integer(
        "freqtrade_refresh_period",
        "freqtrade pair list refresh (seconds)",
        10,
        86_400,
        "How often freqtrade's RemotePairList fetches the pair list: 10 seconds to a day.",
    );

    pub const FIELDS: [FieldRule; 9] = [
        CHECK_INTERVAL,
        FREQTRADE_REFRESH_PERIOD,
        MAX_CONCURRENT_POSITIONS,
        REBALANCE_INTERVAL_HOURS,
        MIN_PRICE_HISTORY,
        DATA_RETENTION_DAYS,
        TOTAL_PORTFOLIO_BALANCE,
        GLOBAL_MAX_DAILY_LOSS_PERCENT,
        EMERGENCY_STOP_LOSS_PERCENT,
    ];

    /// The rule of setting `key`, if it has one beyond its type.
    pub fn rule(key: &str) -> Option<FieldRule> {
        FIELDS.iter().find(|rule| rule.name == key).copied()
    }

    /// Settings whose value is one of a closed list (shown as a select).
    pub const CHOICES: [(&str, &[&str]); 1] = [("log_level", LOG_LEVELS)];

    pub const LOG_LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR"];

    /// The values setting `key` may take, when they are a closed list.
    pub fn choices(key: &str) -> Option<&'static [&'static str]> {
        CHOICES
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, options)| *options)
    }
}

/// Labels of the fields no numeric rule covers.
const OTHER_LABELS: [(&str, &str); 12] = [
    ("trailing_stop_enabled", "Trailing stop"),
    ("position_sizing_method", "Position sizing"),
    ("outage_policy", "When the configuration is unconfirmed"),
    ("is_active", "Active"),
    ("is_enabled", "Enabled"),
    ("weight", "Weight"),
    ("parameters", "Parameters"),
    ("description", "Description"),
    ("paused_at", "Paused since"),
    ("paused_until", "Paused until"),
    ("pause_reason", "Pause reason"),
    ("pause_mode", "Pause mode"),
];

/// What the console calls the field (or column) `name`, without its unit: "Stop loss".
pub fn label_of(name: &str) -> Option<&'static str> {
    pair::FIELDS
        .iter()
        .chain(risk::FIELDS.iter())
        .find(|rule| rule.name == name)
        .map(|rule| rule.label.split(" (").next().unwrap_or(rule.label))
        .or_else(|| {
            OTHER_LABELS
                .iter()
                .find(|(field, _)| *field == name)
                .map(|(_, label)| *label)
        })
}

/// A snake_case key as a readable label.
pub fn readable_name(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A field as its form labels it, unit and all ("Stop loss (%)"), for messages to people:
/// a rule's label, a known column's, a strategy's `rsi.weight` as "Weight", or the key in
/// words (`check_interval`: "Check interval").
pub fn form_label(field: &str) -> String {
    let rule = pair::FIELDS
        .iter()
        .chain(risk::FIELDS.iter())
        .find(|rule| rule.name == field);
    if let Some(rule) = rule {
        return rule.label.to_owned();
    }
    let own = field.rsplit('.').next().unwrap_or(field);
    label_of(own).map_or_else(|| readable_name(own), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::PairForm;
    use crate::domain::risk::{RiskForm, RiskSettings};
    use proptest::prelude::*;

    /// What an operator (or a fuzzing attacker) might type: numbers around every bound of
    /// every field, too many decimals, exponents, signs, words, blanks, other digits.
    fn typed() -> impl Strategy<Value = String> {
        let bounds = prop::sample::select(vec![
            "0",
            "1",
            "2",
            "17",
            "18",
            "19",
            "99",
            "100",
            "101",
            "364",
            "365",
            "366",
            "999",
            "1000",
            "1001",
            "9999",
            "10000",
            "10001",
            "999999999999",
            "1000000000000",
            "999999999999999999",
            "1000000000000000000",
        ]);
        let sign = prop::sample::select(vec!["", "-", "+"]);
        let tail = prop::sample::select(vec![
            "",
            ".0",
            ".5",
            ".0001",
            ".00001",
            ".99999999",
            ".000000001",
            ".000000000001",
            ".0000000000001",
            "e0",
            "e2",
            "E-3",
            "e40",
        ]);
        prop_oneof![
            (sign, bounds, tail).prop_map(|(s, b, t)| format!("{s}{b}{t}")),
            prop::sample::select(vec![
                "", " ", "\t", " 5 ", "NaN", "nan", "Infinity", "-inf", "1_000", "0x10", "1,5",
                "٣", "５", "1e", ".", "-", "soon", "5%",
            ])
            .prop_map(str::to_owned),
            (-20_000i64..20_000).prop_map(|n| n.to_string()),
            (any::<i64>(), 0u32..15).prop_map(|(m, scale)| Decimal::new(m, scale).to_string()),
            any::<String>(),
        ]
    }

    /// `form` with the text of `field` replaced, as a posted form would carry it.
    fn with_field<F: serde::Serialize + serde::de::DeserializeOwned>(
        form: &F,
        field: &str,
        input: &str,
    ) -> F {
        let mut value = serde_json::to_value(form).expect("a form serializes");
        assert!(value.get(field).is_some(), "{field} is a field of the form");
        value[field] = serde_json::Value::String(input.to_owned());
        serde_json::from_value(value).expect("a form deserializes")
    }

    /// A pair form whose other fields cannot make the server blame `field`.
    fn pair_form_with(field: &str, input: &str) -> PairForm {
        let mut form = PairForm::new_pair_defaults();
        match field {
            // Cross-field rules stay quiet: no balance to exceed, no min to fall below.
            "trade_size_usd" => form.initial_balance = "0".into(),
            "max_trade_amount" => form.min_trade_amount = "0".into(),
            _ => {}
        }
        with_field(&form, field, input)
    }

    fn risk_form_with(field: &str, input: &str) -> RiskForm {
        let defaults = RiskSettings::default();
        let form = RiskForm::from_settings(&defaults, 1);
        with_field(&form, field, input)
    }

    fn server_verdict(
        result: Result<impl Sized, crate::domain::ConfigError>,
        field: &str,
    ) -> Option<String> {
        result.err().and_then(|e| {
            e.field_errors()
                .and_then(|f| f.get(field))
                .map(str::to_owned)
        })
    }

    proptest! {
        #[test]
        fn the_console_and_the_server_agree_on_every_pair_field(index in 0..pair::FIELDS.len(), input in typed()) {
            let rule = pair::FIELDS[index];
            let server = server_verdict(pair_form_with(rule.name, &input).parse_settings(), rule.name);
            prop_assert_eq!(rule.check(&input), server, "field {} input {:?}", rule.name, input);
        }

        #[test]
        fn the_console_and_the_server_agree_on_every_risk_field(index in 0..risk::FIELDS.len(), input in typed()) {
            let rule = risk::FIELDS[index];
            let server = server_verdict(risk_form_with(rule.name, &input).parse(), rule.name);
            prop_assert_eq!(rule.check(&input), server, "field {} input {:?}", rule.name, input);
        }
    }

    #[test]
    fn a_max_trade_amount_of_zero_is_refused_by_the_check_too() {
        assert_eq!(
            pair::MAX_TRADE_AMOUNT.check("0").as_deref(),
            Some("must be greater than 0")
        );
        assert_eq!(pair::MIN_TRADE_AMOUNT.check("0"), None);
    }

    #[test]
    fn an_error_names_its_field_as_the_form_labels_it() {
        assert_eq!(form_label("stop_loss_percent"), "Stop loss (%)");
        assert_eq!(form_label("rsi.weight"), "Weight");
        assert_eq!(form_label("macd.fast_period"), "Fast period");
        assert_eq!(form_label("check_interval"), "Check interval");
        let errors = crate::domain::FieldErrors(vec![
            crate::domain::FieldError::new("stop_loss_percent", "must be at most 100"),
            crate::domain::FieldError::new("max_daily_trades", "must be a whole number"),
        ]);
        assert_eq!(
            errors.in_words(),
            "Stop loss (%) must be at most 100. Max daily trades must be a whole number."
        );
    }
}
