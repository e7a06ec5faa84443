//! What the console asks before it makes a change: one that adds a warning (see
//! `domain::warnings`), switches paper trading off, stops a pair or empties the cache is
//! made only once the operator has confirmed it. The API and the CLI do not ask: a script
//! says what it means.

use super::bots::paper_trading_of;
use super::ConfigService;
use crate::domain::pair::{PairSettings, Symbol};
use crate::domain::risk::RiskSettings;
use crate::domain::trading::{TradingConfig, WeightedStrategy};
use crate::domain::warnings::{added, warnings};
use crate::domain::ConfigError;
use rust_decimal::Decimal;

/// A change, as the console is about to make it.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    Pair(Symbol, PairSettings),
    Risk(Symbol, RiskSettings),
    Strategy {
        symbol: Symbol,
        strategy: String,
        enabled: bool,
        weight: Decimal,
    },
    /// The `paper_trading` setting as it would be saved.
    PaperTrading(bool),
    Deactivate(Symbol),
    ClearCache,
}

impl ConfigService {
    /// What to ask before `proposal` is made, in words; empty: nothing to ask.
    pub async fn questions(&self, proposal: &Proposal) -> Result<Vec<String>, ConfigError> {
        let configs = self.manager.trading_configs().await?;
        let paper_now = paper_trading_of(&self.manager.system_config().await?)?;
        let before: Vec<&TradingConfig> = configs.iter().map(|c| c.as_ref()).collect();
        let mut changed: Vec<TradingConfig> = before.iter().map(|c| (*c).clone()).collect();
        let mut paper_after = paper_now;
        let mut asked = Vec::new();
        let of = |changed: &mut Vec<TradingConfig>, symbol: &Symbol| {
            changed.iter_mut().position(|c| &c.pair.symbol == symbol)
        };
        match proposal {
            Proposal::Pair(symbol, settings) => {
                if let Some(i) = of(&mut changed, symbol) {
                    let pair = &mut changed[i].pair;
                    pair.initial_balance = settings.initial_balance;
                    pair.trade_size_usd = settings.trade_size_usd;
                    pair.max_position_percent = settings.max_position_percent;
                    pair.min_trade_amount = settings.min_trade_amount;
                    pair.max_trade_amount = settings.max_trade_amount;
                    pair.price_precision = settings.price_precision;
                    pair.amount_precision = settings.amount_precision;
                }
            }
            Proposal::Risk(symbol, settings) => {
                if let Some(i) = of(&mut changed, symbol) {
                    changed[i].risk = settings.clone();
                }
            }
            Proposal::Strategy {
                symbol,
                strategy,
                enabled,
                weight,
            } => {
                if let Some(i) = of(&mut changed, symbol) {
                    let strategies = &mut changed[i].strategies;
                    strategies.retain(|s| &s.strategy != strategy);
                    if *enabled {
                        strategies.push(WeightedStrategy {
                            strategy: strategy.clone(),
                            display_name: strategy.clone(),
                            description: String::new(),
                            strategy_type: String::new(),
                            weight: *weight,
                            normalized_weight: Decimal::ZERO,
                            parameters: Default::default(),
                        });
                    }
                }
            }
            Proposal::PaperTrading(on) => paper_after = *on,
            Proposal::Deactivate(symbol) => {
                if of(&mut changed, symbol).is_some() {
                    asked.push(format!(
                        "Deactivating {symbol} stops every bot opening positions in it."
                    ));
                }
            }
            Proposal::ClearCache => asked.push(
                "Clearing the cache drops every entry: the next reads all go to the database."
                    .to_owned(),
            ),
        }
        let after: Vec<&TradingConfig> = changed.iter().collect();
        asked.extend(
            added(
                &warnings(&before, paper_now),
                &warnings(&after, paper_after),
            )
            .into_iter()
            .map(|warning| sentence(&warning.message)),
        );
        Ok(asked)
    }

    /// Refuses `proposal` with what to ask (`ConfigError::Unconfirmed`) unless `confirmed`
    /// or there is nothing to ask.
    pub async fn ask_first(&self, proposal: &Proposal, confirmed: bool) -> Result<(), ConfigError> {
        if confirmed {
            return Ok(());
        }
        let questions = self.questions(proposal).await?;
        match questions.is_empty() {
            true => Ok(()),
            false => Err(ConfigError::Unconfirmed(questions)),
        }
    }
}

/// A warning's message as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}
