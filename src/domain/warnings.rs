//! Combinations that are allowed but lose money quietly: each becomes a warning (never a
//! refusal) that names the pair and the fields, and links to the form where they are set.

use super::trading::TradingConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One warning, with where to mend it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Warning {
    pub message: String,
    /// The pair it is about (none: a system setting).
    pub symbol: Option<String>,
    /// The fields involved, by their form names.
    pub fields: Vec<String>,
    /// The console's form, at the first field.
    pub href: String,
}

/// Errors stop a bot from starting; warnings deserve an operator's look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ValidationReport {
    pub errors: Vec<String>,
    /// Every warning, in words.
    pub warnings: Vec<String>,
    /// The warnings about combinations that lose money quietly, with the pair, the fields
    /// and the form to mend them in.
    #[serde(default)]
    pub details: Vec<Warning>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The id the console gives a field's input (`components::Field`).
pub fn field_anchor(field: &str) -> String {
    format!(
        "field-{}",
        field.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    )
}

fn warning(symbol: Option<&str>, page: &str, fields: &[&str], message: String) -> Warning {
    let anchor = fields.first().map(|f| format!("#{}", field_anchor(f)));
    let href = match symbol {
        Some(symbol) => format!("/pairs/{symbol}{page}{}", anchor.unwrap_or_default()),
        None => format!("{page}{}", anchor.unwrap_or_default()),
    };
    Warning {
        message,
        symbol: symbol.map(str::to_owned),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        href,
    }
}

/// What one pair's settings risk by themselves.
pub fn pair_warnings(config: &TradingConfig) -> Vec<Warning> {
    let (pair, risk) = (&config.pair, &config.risk);
    let symbol = pair.symbol.as_str();
    let mut out = Vec::new();
    if pair.is_active && config.strategies.is_empty() {
        out.push(warning(
            Some(symbol),
            "/strategies",
            &[],
            format!("{symbol} is active but has no enabled strategy: it never trades"),
        ));
    } else if pair.is_active && config.strategies.iter().all(|s| s.weight.is_zero()) {
        out.push(warning(
            Some(symbol),
            "/strategies",
            &["weight"],
            format!("{symbol}'s enabled strategies' weights add up to 0: each counts the same, whatever was meant"),
        ));
    }
    let max_position = pair.initial_balance * pair.max_position_percent / Decimal::ONE_HUNDRED;
    if pair.trade_size_usd > max_position {
        out.push(warning(
            Some(symbol),
            "",
            &["trade_size_usd", "max_position_percent"],
            format!(
                "{symbol}'s trade size ({} USD) is above its max position ({}% of {} = {} USD): every trade is capped or refused",
                pair.trade_size_usd, pair.max_position_percent, pair.initial_balance, max_position.normalize()
            ),
        ));
    }
    if risk.take_profit_percent < risk.stop_loss_percent {
        out.push(warning(
            Some(symbol),
            "/risk",
            &["take_profit_percent", "stop_loss_percent"],
            format!(
                "{symbol}'s take profit ({}%) is below its stop loss ({}%): a win earns less than a loss costs",
                risk.take_profit_percent, risk.stop_loss_percent
            ),
        ));
    }
    if risk.trailing_stop_enabled && risk.trailing_stop_percent > risk.stop_loss_percent {
        out.push(warning(
            Some(symbol),
            "/risk",
            &["trailing_stop_percent", "stop_loss_percent"],
            format!(
                "{symbol}'s trailing stop ({}%) is wider than its stop loss ({}%): it never tightens the exit",
                risk.trailing_stop_percent, risk.stop_loss_percent
            ),
        ));
    }
    // An order amount is rounded to the pair's precision: a minimum with more decimals
    // cannot be met exactly, and one that rounds to nothing is no minimum.
    let rounded = pair
        .min_trade_amount
        .round_dp(pair.amount_precision.max(0) as u32);
    if rounded != pair.min_trade_amount {
        out.push(warning(
            Some(symbol),
            "",
            &["min_trade_amount", "amount_precision"],
            format!(
                "{symbol}'s min trade amount ({}) has more decimals than its amount precision ({}): orders of exactly the minimum cannot be placed",
                pair.min_trade_amount, pair.amount_precision
            ),
        ));
    }
    out
}

/// Every warning over the active pairs' configs and the settings.
pub fn warnings(configs: &[&TradingConfig], paper_trading: bool) -> Vec<Warning> {
    let mut out: Vec<Warning> = configs.iter().flat_map(|c| pair_warnings(c)).collect();
    let active: Vec<&&TradingConfig> = configs.iter().filter(|c| c.pair.is_active).collect();
    let total: Decimal = active.iter().map(|c| c.pair.max_position_percent).sum();
    if total > Decimal::ONE_HUNDRED {
        let named: Vec<String> = active
            .iter()
            .map(|c| format!("{} {}%", c.pair.symbol, c.pair.max_position_percent))
            .collect();
        out.push(Warning {
            message: format!(
                "the active pairs' max positions add up to {}% of the balance ({}): all at once would over-commit it",
                total.normalize(),
                named.join(", ")
            ),
            symbol: None,
            fields: vec!["max_position_percent".into()],
            href: "/pairs?state=active&sort=max_position&desc=1".into(),
        });
    }
    if !paper_trading {
        out.push(warning(
            None,
            "/system",
            &["paper_trading"],
            "paper trading is off: bots send real orders".to_owned(),
        ));
    }
    out
}

/// The warnings in `after` that `before` did not have: a warning is the same one when it is
/// about the same pair and fields, whatever the values it quotes now.
pub fn added(before: &[Warning], after: &[Warning]) -> Vec<Warning> {
    let same = |a: &Warning, b: &Warning| a.symbol == b.symbol && a.fields == b.fields;
    after
        .iter()
        .filter(|new| !before.iter().any(|old| same(old, new)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::{Symbol, TradingPair};
    use crate::domain::risk::RiskSettings;
    use crate::domain::trading::WeightedStrategy;
    use rust_decimal_macros::dec;

    fn config(symbol: &str, max_position: Decimal) -> TradingConfig {
        TradingConfig {
            pair: TradingPair {
                id: 1,
                symbol: Symbol::parse(symbol).unwrap(),
                is_active: true,
                initial_balance: dec!(1000),
                trade_size_usd: dec!(100),
                max_position_percent: max_position,
                min_trade_amount: dec!(0.001),
                max_trade_amount: dec!(100),
                price_precision: 2,
                amount_precision: 4,
                version: 1,
                pause: None,
            },
            strategies: vec![WeightedStrategy {
                strategy: "rsi".into(),
                display_name: "RSI".into(),
                description: String::new(),
                strategy_type: "technical".into(),
                weight: dec!(0.5),
                normalized_weight: Decimal::ONE,
                parameters: Default::default(),
            }],
            risk: RiskSettings {
                stop_loss_percent: dec!(5),
                take_profit_percent: dec!(10),
                trailing_stop_percent: dec!(2),
                ..RiskSettings::default()
            },
        }
    }

    fn messages(found: &[Warning]) -> Vec<&str> {
        found.iter().map(|w| w.message.as_str()).collect()
    }

    #[test]
    fn a_sound_setup_has_no_warning() {
        let sound = config("BTC/USDT", dec!(30));
        assert_eq!(messages(&warnings(&[&sound], true)), Vec::<&str>::new());
    }

    #[test]
    fn each_harmful_combination_is_named_with_its_pair_fields_and_form() {
        let mut c = config("SOL/USDT", dec!(5));
        c.pair.trade_size_usd = dec!(60); // max position 5% of 1000 = 50
        c.risk.take_profit_percent = dec!(3);
        c.risk.trailing_stop_enabled = true;
        c.risk.trailing_stop_percent = dec!(7);
        c.pair.min_trade_amount = dec!(0.00005);
        let found = pair_warnings(&c);
        let fields: Vec<Vec<String>> = found.iter().map(|w| w.fields.clone()).collect();
        assert_eq!(
            fields,
            [
                vec!["trade_size_usd", "max_position_percent"],
                vec!["take_profit_percent", "stop_loss_percent"],
                vec!["trailing_stop_percent", "stop_loss_percent"],
                vec!["min_trade_amount", "amount_precision"],
            ]
        );
        assert_eq!(found[0].href, "/pairs/SOL/USDT#field-trade-size-usd");
        assert_eq!(
            found[1].href,
            "/pairs/SOL/USDT/risk#field-take-profit-percent"
        );
        assert!(found
            .iter()
            .all(|w| w.symbol.as_deref() == Some("SOL/USDT")));
        assert!(
            found[0]
                .message
                .contains("max position (5% of 1000 = 50 USD)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn strategies_missing_or_weighing_nothing_are_warned_about() {
        let mut none = config("ADA/USDT", dec!(10));
        none.strategies.clear();
        let mut zero = config("DOT/USDT", dec!(10));
        zero.strategies[0].weight = Decimal::ZERO;
        let found = warnings(&[&none, &zero], true);
        assert_eq!(found[0].href, "/pairs/ADA/USDT/strategies");
        assert!(found[0].message.contains("no enabled strategy"));
        assert!(found[1].message.contains("weights add up to 0"));
    }

    #[test]
    fn max_positions_over_the_balance_and_live_trading_are_warned_about() {
        let (a, b) = (config("BTC/USDT", dec!(60)), config("ETH/USDT", dec!(50)));
        let found = warnings(&[&a, &b], false);
        assert_eq!(
            messages(&found),
            [
                "the active pairs' max positions add up to 110% of the balance (BTC/USDT 60%, ETH/USDT 50%): all at once would over-commit it",
                "paper trading is off: bots send real orders",
            ]
        );
        assert_eq!(found[1].href, "/system#field-paper-trading");
    }

    #[test]
    fn a_warning_is_new_only_when_no_warning_was_about_the_same_fields() {
        let mut before = config("ETH/USDT", dec!(10));
        before.risk.take_profit_percent = dec!(2);
        let mut worse = before.clone();
        worse.risk.stop_loss_percent = dec!(9);
        let then = pair_warnings(&before);
        assert_eq!(messages(&then).len(), 1, "{:?}", messages(&then));
        assert!(
            added(&then, &pair_warnings(&worse)).is_empty(),
            "a warning that quotes other values is still the one the pair had"
        );
        let mut trailing = worse.clone();
        trailing.risk.trailing_stop_enabled = true;
        trailing.risk.trailing_stop_percent = dec!(12);
        let new = added(&then, &pair_warnings(&trailing));
        assert_eq!(
            new.iter().map(|w| w.fields.clone()).collect::<Vec<_>>(),
            [vec![
                "trailing_stop_percent".to_owned(),
                "stop_loss_percent".to_owned()
            ]]
        );
        assert!(
            added(&pair_warnings(&trailing), &then).is_empty(),
            "mending adds nothing"
        );
    }
}
