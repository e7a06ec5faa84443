//! The Pairs list as an operator narrows it: a filter (text, quote asset, state), a sort
//! by column and a page. One query, kept in the page's URL so a link can be shared, and
//! applied on the server so a thousand pairs never travel to the browser at once.

use super::pair::TradingPair;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// A pair's state as the list filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateFilter {
    Active,
    Inactive,
    Paused,
}

impl StateFilter {
    pub const ALL: [(StateFilter, &'static str, &'static str); 3] = [
        (StateFilter::Active, "active", "Active"),
        (StateFilter::Inactive, "inactive", "Inactive"),
        (StateFilter::Paused, "paused", "Paused"),
    ];

    fn parse(text: &str) -> Option<StateFilter> {
        Self::ALL
            .iter()
            .find(|(_, name, _)| *name == text)
            .map(|(state, _, _)| *state)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(state, _, _)| *state == self)
            .map_or("", |(_, name, _)| name)
    }

    fn holds(self, pair: &TradingPair, now: DateTime<Utc>) -> bool {
        match self {
            StateFilter::Active => pair.is_active,
            StateFilter::Inactive => !pair.is_active,
            StateFilter::Paused => pair.pause_at(now).is_some(),
        }
    }
}

/// The columns the list sorts by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Symbol,
    Status,
    InitialBalance,
    TradeSize,
    MaxPosition,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 5] = [
        (SortKey::Symbol, "symbol"),
        (SortKey::Status, "status"),
        (SortKey::InitialBalance, "initial_balance"),
        (SortKey::TradeSize, "trade_size"),
        (SortKey::MaxPosition, "max_position"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(key, _)| *key == self)
            .map_or("symbol", |(_, name)| name)
    }

    fn parse(text: &str) -> Option<SortKey> {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(key, _)| *key)
    }
}

/// What the operator asked the list for. Unknown or malformed parameters fall back to
/// their defaults: a hand-edited link still shows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairQuery {
    /// Part of the symbol, any case.
    pub text: String,
    pub quote: Option<String>,
    pub state: Option<StateFilter>,
    pub sort: SortKey,
    pub descending: bool,
    /// From 1.
    pub page: usize,
}

impl PairQuery {
    /// From the URL's parameters (`q`, `quote`, `state`, `sort`, `desc`, `page`).
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> PairQuery {
        let text = param("q").unwrap_or_default().trim().to_owned();
        let quote = param("quote")
            .map(|q| q.trim().to_ascii_uppercase())
            .filter(|q| !q.is_empty());
        PairQuery {
            text,
            quote,
            state: param("state").as_deref().and_then(StateFilter::parse),
            sort: param("sort")
                .as_deref()
                .and_then(SortKey::parse)
                .unwrap_or_default(),
            descending: param("desc").as_deref() == Some("1"),
            page: param("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    }

    /// The URL's query for this list (`?q=sol&sort=initial_balance&desc=1`), defaults left out.
    pub fn to_query(&self) -> String {
        let page = self.page.to_string();
        super::format::query_string(&[
            ("q", &self.text),
            ("quote", self.quote.as_deref().unwrap_or_default()),
            ("state", self.state.map_or("", StateFilter::as_str)),
            (
                "sort",
                match self.sort {
                    SortKey::Symbol => "",
                    other => other.as_str(),
                },
            ),
            ("desc", if self.descending { "1" } else { "" }),
            ("page", if self.page > 1 { &page } else { "" }),
        ])
    }

    /// The same list sorted by `key`: ascending first, the other way on a second click.
    pub fn sorted_by(&self, key: SortKey) -> PairQuery {
        PairQuery {
            sort: key,
            descending: self.sort == key && !self.descending,
            page: 1,
            ..self.clone()
        }
    }

    pub fn at_page(&self, page: usize) -> PairQuery {
        PairQuery {
            page,
            ..self.clone()
        }
    }

    /// Whether `pair` is among those the filter keeps.
    pub fn keeps(&self, pair: &TradingPair, now: DateTime<Utc>) -> bool {
        let text = self.text.to_ascii_uppercase();
        pair.symbol.as_str().contains(&text)
            && self
                .quote
                .as_deref()
                .is_none_or(|q| pair.symbol.quote() == q)
            && self.state.is_none_or(|state| state.holds(pair, now))
    }

    /// Every pair the filter keeps, in the list's order (what "select all matching" takes).
    pub fn matching(&self, pairs: &[TradingPair], now: DateTime<Utc>) -> Vec<TradingPair> {
        let mut kept: Vec<TradingPair> = pairs
            .iter()
            .filter(|p| self.keeps(p, now))
            .cloned()
            .collect();
        let status = |p: &TradingPair| (p.pause_at(now).is_some(), !p.is_active);
        kept.sort_by(|a, b| {
            let order = match self.sort {
                SortKey::Symbol => a.symbol.cmp(&b.symbol),
                SortKey::Status => status(a).cmp(&status(b)),
                SortKey::InitialBalance => a.initial_balance.cmp(&b.initial_balance),
                SortKey::TradeSize => a.trade_size_usd.cmp(&b.trade_size_usd),
                SortKey::MaxPosition => a.max_position_percent.cmp(&b.max_position_percent),
            }
            .then_with(|| a.symbol.cmp(&b.symbol));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        kept
    }

    /// One page of the list.
    pub fn page_of(&self, pairs: &[TradingPair], now: DateTime<Utc>) -> PairListPage {
        let matching = self.matching(pairs, now);
        let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
        let page = self.page.clamp(1, pages);
        let mut quotes: Vec<String> = pairs.iter().map(|p| p.symbol.quote().to_owned()).collect();
        quotes.sort();
        quotes.dedup();
        PairListPage {
            matching: matching.len(),
            total: pairs.len(),
            page,
            pages,
            rows: matching
                .into_iter()
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .collect(),
            quotes,
        }
    }
}

/// One page of the Pairs list, and what the filter's choices are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairListPage {
    pub rows: Vec<TradingPair>,
    /// How many pairs the filter keeps, and how many there are.
    pub matching: usize,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Every quote asset among the pairs, for the filter's choice.
    pub quotes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::Symbol;
    use crate::domain::pause::{Pause, PauseMode};
    use rust_decimal::Decimal;

    fn pair(symbol: &str, active: bool, balance: i64) -> TradingPair {
        TradingPair {
            id: 0,
            symbol: Symbol::parse(symbol).unwrap(),
            is_active: active,
            initial_balance: Decimal::from(balance),
            trade_size_usd: Decimal::TEN,
            max_position_percent: Decimal::TEN,
            min_trade_amount: Decimal::ONE,
            max_trade_amount: Decimal::ONE_HUNDRED,
            price_precision: 2,
            amount_precision: 6,
            version: 1,
            pause: None,
        }
    }

    fn pairs() -> Vec<TradingPair> {
        let now = Utc::now();
        let mut paused = pair("SOL/USDT", true, 300);
        paused.pause = Some(Pause {
            mode: PauseMode::NoNewEntries,
            reason: "news".into(),
            since: now,
            until: Some(now + chrono::Duration::hours(1)),
        });
        vec![
            pair("BTC/USDT", true, 5000),
            pair("ETH/BTC", false, 100),
            paused,
            pair("ADA/USDT", false, 50),
        ]
    }

    fn query(params: &[(&str, &str)]) -> PairQuery {
        PairQuery::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn symbols(page: &PairListPage) -> Vec<&str> {
        page.rows.iter().map(|p| p.symbol.as_str()).collect()
    }

    #[test]
    fn filters_by_text_in_any_case_quote_and_state() {
        let now = Utc::now();
        let all = pairs();
        assert_eq!(
            symbols(&query(&[("q", "usd")]).page_of(&all, now)),
            ["ADA/USDT", "BTC/USDT", "SOL/USDT"]
        );
        assert_eq!(
            symbols(&query(&[("quote", "btc")]).page_of(&all, now)),
            ["ETH/BTC"]
        );
        assert_eq!(
            symbols(&query(&[("state", "paused")]).page_of(&all, now)),
            ["SOL/USDT"]
        );
        assert_eq!(
            symbols(&query(&[("state", "inactive"), ("quote", "USDT")]).page_of(&all, now)),
            ["ADA/USDT"]
        );
        // The pause ends: the pair is no longer among the paused ones.
        let later = now + chrono::Duration::hours(2);
        assert!(query(&[("state", "paused")])
            .page_of(&all, later)
            .rows
            .is_empty());
    }

    #[test]
    fn sorts_by_a_column_either_way_and_the_link_says_so() {
        let now = Utc::now();
        let by_balance = PairQuery::default().sorted_by(SortKey::InitialBalance);
        assert_eq!(
            symbols(&by_balance.page_of(&pairs(), now)),
            ["ADA/USDT", "ETH/BTC", "SOL/USDT", "BTC/USDT"]
        );
        let reversed = by_balance.sorted_by(SortKey::InitialBalance);
        assert!(reversed.descending);
        assert_eq!(reversed.to_query(), "?sort=initial_balance&desc=1");
        assert_eq!(
            query(&[("sort", "initial_balance"), ("desc", "1")]),
            reversed
        );
        assert_eq!(symbols(&reversed.page_of(&pairs(), now))[0], "BTC/USDT");
    }

    #[test]
    fn pages_a_thousand_pairs_and_clamps_a_page_past_the_end() {
        let now = Utc::now();
        let many: Vec<TradingPair> = (1..=1000)
            .map(|i| pair(&format!("S{i}/USDT"), true, i))
            .collect();
        let first = PairQuery::default().page_of(&many, now);
        assert_eq!(
            (first.rows.len(), first.matching, first.pages),
            (PAGE_SIZE, 1000, 20)
        );
        let last = query(&[("page", "99")]).page_of(&many, now);
        assert_eq!(last.page, 20);
        let narrowed = query(&[("q", "S99")]).page_of(&many, now);
        assert_eq!(narrowed.matching, 11); // S99 and S990..S999
    }

    #[test]
    fn odd_parameters_fall_back_to_the_defaults() {
        let odd = query(&[
            ("sort", "'; drop"),
            ("page", "-3"),
            ("state", "x"),
            ("desc", "yes"),
        ]);
        assert_eq!(odd, PairQuery::default().at_page(1));
        assert_eq!(query(&[("q", "a b&c")]).to_query(), "?q=a%20b%26c");
    }
}
