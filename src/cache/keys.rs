//! Cache keys, their textual scheme, glob patterns, and the table of which change drops
//! which keys. Every key is built here; no call site formats one.
//!
//! | key                               | holds                                        |
//! |-----------------------------------|----------------------------------------------|
//! | `system_config`                   | every active system setting                  |
//! | `system_config:{key}`             | one setting                                  |
//! | `trading_pairs`                   | the active pairs                             |
//! | `all_pairs`                       | every pair, active or not                    |
//! | `pair_config:{symbol}`            | one pair                                     |
//! | `pair_strategies:{symbol}`        | one pair's enabled strategies                |
//! | `strategy_config:{symbol}:{name}` | one pair's configuration of one strategy     |
//! | `pair_risk:{symbol}`              | one pair's risk settings                     |
//! | `trading_config:{symbol}`         | pair + normalized strategies + risk          |
//! | `trading_configs`                 | every active pair's trading config           |
//! | `api_token:{sha256}`              | a live API token's verdict (its grant)       |

use crate::domain::pair::Symbol;
use hashbrown::Equivalent;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};

/// An owned cache key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheKey {
    SystemConfig,
    Setting(Box<str>),
    TradingPairs,
    AllPairs,
    PairConfig(Symbol),
    PairStrategies(Symbol),
    StrategyConfig(Symbol, Box<str>),
    PairRisk(Symbol),
    TradingConfig(Symbol),
    TradingConfigs,
    /// By the SHA-256 of the token, never the token.
    ApiToken(Box<str>),
}

/// A borrowed view of a key, so a cache hit needs no allocation.
#[derive(Debug, Clone, Copy)]
pub enum KeyRef<'a> {
    SystemConfig,
    Setting(&'a str),
    TradingPairs,
    AllPairs,
    PairConfig(&'a Symbol),
    PairStrategies(&'a Symbol),
    StrategyConfig(&'a Symbol, &'a str),
    PairRisk(&'a Symbol),
    TradingConfig(&'a Symbol),
    TradingConfigs,
    ApiToken(&'a str),
}

impl CacheKey {
    pub fn as_ref(&self) -> KeyRef<'_> {
        match self {
            CacheKey::SystemConfig => KeyRef::SystemConfig,
            CacheKey::Setting(k) => KeyRef::Setting(k),
            CacheKey::TradingPairs => KeyRef::TradingPairs,
            CacheKey::AllPairs => KeyRef::AllPairs,
            CacheKey::PairConfig(s) => KeyRef::PairConfig(s),
            CacheKey::PairStrategies(s) => KeyRef::PairStrategies(s),
            CacheKey::StrategyConfig(s, n) => KeyRef::StrategyConfig(s, n),
            CacheKey::PairRisk(s) => KeyRef::PairRisk(s),
            CacheKey::TradingConfig(s) => KeyRef::TradingConfig(s),
            CacheKey::TradingConfigs => KeyRef::TradingConfigs,
            CacheKey::ApiToken(h) => KeyRef::ApiToken(h),
        }
    }
}

impl<'a> KeyRef<'a> {
    /// The owned key, for inserting into the cache.
    pub fn to_owned(self) -> CacheKey {
        match self {
            KeyRef::SystemConfig => CacheKey::SystemConfig,
            KeyRef::Setting(k) => CacheKey::Setting(k.into()),
            KeyRef::TradingPairs => CacheKey::TradingPairs,
            KeyRef::AllPairs => CacheKey::AllPairs,
            KeyRef::PairConfig(s) => CacheKey::PairConfig(s.clone()),
            KeyRef::PairStrategies(s) => CacheKey::PairStrategies(s.clone()),
            KeyRef::StrategyConfig(s, n) => CacheKey::StrategyConfig(s.clone(), n.into()),
            KeyRef::PairRisk(s) => CacheKey::PairRisk(s.clone()),
            KeyRef::TradingConfig(s) => CacheKey::TradingConfig(s.clone()),
            KeyRef::TradingConfigs => CacheKey::TradingConfigs,
            KeyRef::ApiToken(h) => CacheKey::ApiToken(h.into()),
        }
    }

    fn parts(&self) -> (u8, &'a str, &'a str) {
        match *self {
            KeyRef::SystemConfig => (0, "", ""),
            KeyRef::Setting(k) => (1, k, ""),
            KeyRef::TradingPairs => (2, "", ""),
            KeyRef::PairConfig(s) => (3, s.as_str(), ""),
            KeyRef::PairStrategies(s) => (4, s.as_str(), ""),
            KeyRef::StrategyConfig(s, n) => (5, s.as_str(), n),
            KeyRef::PairRisk(s) => (6, s.as_str(), ""),
            KeyRef::TradingConfig(s) => (7, s.as_str(), ""),
            KeyRef::TradingConfigs => (8, "", ""),
            KeyRef::ApiToken(h) => (9, h, ""),
            KeyRef::AllPairs => (10, "", ""),
        }
    }
}

// Owned and borrowed keys must hash alike for `Equivalent` lookups.
impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (tag, a, b) = self.parts();
        state.write_u8(tag);
        state.write(a.as_bytes());
        state.write_u8(0xff);
        state.write(b.as_bytes());
    }
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_ref().hash(state)
    }
}

impl PartialEq for KeyRef<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (tag, a, b) = self.parts();
        let (other_tag, other_a, other_b) = other.parts();
        tag == other_tag && short_str_eq(a, other_a) && short_str_eq(b, other_b)
    }
}

/// Equality of the short strings in keys without a libc `memcmp` call: on the hit path
/// that call (an AVX-512 variant here) cost more than the rest of the lookup.
#[inline]
fn short_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        let x = u64::from_ne_bytes(x.try_into().expect("chunk of 8"));
        let y = u64::from_ne_bytes(y.try_into().expect("chunk of 8"));
        if x != y {
            return false;
        }
    }
    chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .all(|(x, y)| x == y)
}

impl Equivalent<CacheKey> for KeyRef<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        *self == key.as_ref()
    }
}

impl fmt::Display for KeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::SystemConfig => f.write_str("system_config"),
            KeyRef::Setting(k) => write!(f, "system_config:{k}"),
            KeyRef::TradingPairs => f.write_str("trading_pairs"),
            KeyRef::AllPairs => f.write_str("all_pairs"),
            KeyRef::PairConfig(s) => write!(f, "pair_config:{s}"),
            KeyRef::PairStrategies(s) => write!(f, "pair_strategies:{s}"),
            KeyRef::StrategyConfig(s, n) => write!(f, "strategy_config:{s}:{n}"),
            KeyRef::PairRisk(s) => write!(f, "pair_risk:{s}"),
            KeyRef::TradingConfig(s) => write!(f, "trading_config:{s}"),
            KeyRef::TradingConfigs => f.write_str("trading_configs"),
            KeyRef::ApiToken(h) => write!(f, "api_token:{h}"),
        }
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

/// An operator's pattern: a glob with `*` (any run) and `?` (one character), or, without
/// either, a plain substring, as the original tool matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern, crate::domain::ConfigError> {
        if pattern.trim().is_empty() {
            return Err(crate::domain::ConfigError::invalid(
                "pattern",
                "must not be empty",
            ));
        }
        Ok(Pattern(pattern.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern names no family of keys in particular: it matches a key of every
    /// family that has names in it, for names nobody would type (`*`, `*:*`, `_`). Such an
    /// invalidation is a clear of the whole cache, and needs the rights a clear does.
    pub fn matches_everything(&self) -> bool {
        let symbol = Symbol::parse("QZXJ/QZXJ").expect("a valid symbol");
        let name = "qzxj_unnamed";
        [
            KeyRef::Setting(name),
            KeyRef::PairConfig(&symbol),
            KeyRef::PairStrategies(&symbol),
            KeyRef::StrategyConfig(&symbol, name),
            KeyRef::PairRisk(&symbol),
            KeyRef::TradingConfig(&symbol),
        ]
        .iter()
        .all(|key| self.matches(&key.to_string()))
    }

    pub fn matches(&self, key: &str) -> bool {
        if self.0.contains(['*', '?']) {
            glob_match(self.0.as_bytes(), key.as_bytes())
        } else {
            key.contains(self.0.as_str())
        }
    }
}

/// Iterative glob matching with backtracking to the last `*`: linear in practice, no regex.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A write that happened, in the terms invalidation needs. Also the payload of the
/// cross-instance notification (see `migrations/*_notify.sql`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Setting {
        key: String,
    },
    Pair {
        symbol: String,
    },
    PairStrategy {
        symbol: String,
        strategy: String,
    },
    PairRisk {
        symbol: String,
    },
    /// A strategy's definition changed: every pair's use of it is affected.
    Strategy {
        strategy: String,
    },
    /// An API token was created, revoked, deleted or its grant changed: every token's
    /// cached verdict is dropped (tokens change rarely).
    Tokens,
    /// Anything else (a deleted pair, a bulk import): drop everything.
    Everything,
}

/// Which cached entries a change or an operator's request drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    Exact(CacheKey),
    Pattern(Pattern),
    All,
}

impl KeyMatch {
    pub fn matches(&self, key: &CacheKey) -> bool {
        match self {
            KeyMatch::Exact(k) => k == key,
            KeyMatch::Pattern(p) => p.matches(&key.to_string()),
            KeyMatch::All => true,
        }
    }
}

fn symbol_or_everything(symbol: &str) -> Result<Symbol, Vec<KeyMatch>> {
    Symbol::parse(symbol).map_err(|_| vec![KeyMatch::All])
}

/// The invalidation table: every key a change can have made stale, aggregates included.
pub fn affected_keys(change: &Change) -> Vec<KeyMatch> {
    use CacheKey::*;
    let exact = |keys: Vec<CacheKey>| keys.into_iter().map(KeyMatch::Exact).collect::<Vec<_>>();
    match change {
        Change::Setting { key } => exact(vec![SystemConfig, Setting(key.as_str().into())]),
        Change::Pair { symbol } => match symbol_or_everything(symbol) {
            Ok(s) => exact(vec![
                TradingPairs,
                AllPairs,
                PairConfig(s.clone()),
                TradingConfig(s),
                TradingConfigs,
            ]),
            Err(all) => all,
        },
        Change::PairStrategy { symbol, strategy } => match symbol_or_everything(symbol) {
            Ok(s) => exact(vec![
                PairStrategies(s.clone()),
                StrategyConfig(s.clone(), strategy.as_str().into()),
                TradingConfig(s),
                TradingConfigs,
            ]),
            Err(all) => all,
        },
        Change::PairRisk { symbol } => match symbol_or_everything(symbol) {
            Ok(s) => exact(vec![PairRisk(s.clone()), TradingConfig(s), TradingConfigs]),
            Err(all) => all,
        },
        Change::Strategy { strategy } => {
            let mut m = vec![
                KeyMatch::Pattern(Pattern(format!("strategy_config:*:{strategy}"))),
                KeyMatch::Pattern(Pattern("pair_strategies:*".into())),
                KeyMatch::Pattern(Pattern("trading_config:*".into())),
            ];
            m.push(KeyMatch::Exact(TradingConfigs));
            m
        }
        Change::Tokens => vec![KeyMatch::Pattern(Pattern("api_token:*".into()))],
        Change::Everything => vec![KeyMatch::All],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn keys_render_in_the_operators_scheme() {
        assert_eq!(CacheKey::SystemConfig.to_string(), "system_config");
        assert_eq!(
            CacheKey::Setting("check_interval".into()).to_string(),
            "system_config:check_interval"
        );
        assert_eq!(CacheKey::TradingPairs.to_string(), "trading_pairs");
        assert_eq!(
            CacheKey::PairConfig(sym("BTC/USDT")).to_string(),
            "pair_config:BTC/USDT"
        );
        assert_eq!(
            CacheKey::PairStrategies(sym("BTC/USDT")).to_string(),
            "pair_strategies:BTC/USDT"
        );
        assert_eq!(
            CacheKey::StrategyConfig(sym("BTC/USDT"), "rsi".into()).to_string(),
            "strategy_config:BTC/USDT:rsi"
        );
        assert_eq!(
            CacheKey::PairRisk(sym("BTC/USDT")).to_string(),
            "pair_risk:BTC/USDT"
        );
    }

    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let h = hashbrown::DefaultHashBuilder::default();
        let owned = CacheKey::StrategyConfig(sym("BTC/USDT"), "rsi".into());
        let btc = sym("BTC/USDT");
        assert_eq!(
            h.hash_one(&owned),
            h.hash_one(KeyRef::StrategyConfig(&btc, "rsi"))
        );
        // The separator keeps ("AB/CD", "e") and ("AB/CDe", "") apart.
        let (a, b) = (sym("AB/CD"), sym("AB/CDE"));
        assert_ne!(
            h.hash_one(KeyRef::StrategyConfig(&a, "E")),
            h.hash_one(KeyRef::PairConfig(&b))
        );
        assert_ne!(
            h.hash_one(KeyRef::StrategyConfig(&a, "E")),
            h.hash_one(KeyRef::StrategyConfig(&b, ""))
        );
    }

    #[test]
    fn glob_patterns() {
        let p = Pattern::new("pair_risk:*").unwrap();
        assert!(p.matches("pair_risk:BTC/USDT"));
        assert!(!p.matches("pair_config:BTC/USDT"));
        let p = Pattern::new("*:BTC*").unwrap();
        assert!(p.matches("pair_risk:BTC/USDT"));
        assert!(p.matches("strategy_config:BTC/USDT:rsi"));
        assert!(!p.matches("pair_risk:ETH/USDT"));
        let p = Pattern::new("pair_risk:???/USDT").unwrap();
        assert!(p.matches("pair_risk:BTC/USDT"));
        assert!(!p.matches("pair_risk:BTCX/USDT"));
    }

    #[test]
    fn plain_pattern_is_a_substring() {
        let p = Pattern::new("BTC").unwrap();
        assert!(p.matches("pair_risk:BTC/USDT"));
        assert!(p.matches("strategy_config:BTC/USDT:rsi"));
        assert!(!p.matches("system_config"));
    }

    #[test]
    fn patterns_that_name_nothing_in_particular_match_everything() {
        for everything in ["*", "**", "*:*", "?*", "*_*", "_", ":", "*a*"] {
            assert!(
                Pattern::new(everything).unwrap().matches_everything(),
                "{everything}"
            );
        }
        for bounded in [
            "pair_risk:*",
            "*BTC*",
            "BTC/USDT",
            "system_config*",
            "*risk*",
            "trading_config:?*",
        ] {
            assert!(
                !Pattern::new(bounded).unwrap().matches_everything(),
                "{bounded}"
            );
        }
    }

    #[test]
    fn empty_pattern_is_refused() {
        assert!(Pattern::new(" ").is_err());
    }

    fn exact(m: &[KeyMatch]) -> Vec<String> {
        m.iter()
            .map(|k| match k {
                KeyMatch::Exact(k) => k.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn setting_change_drops_the_setting_and_the_list() {
        let m = affected_keys(&Change::Setting {
            key: "check_interval".into(),
        });
        assert_eq!(exact(&m), ["system_config", "system_config:check_interval"]);
    }

    #[test]
    fn pair_change_drops_pair_list_and_its_trading_config() {
        let m = affected_keys(&Change::Pair {
            symbol: "BTC/USDT".into(),
        });
        assert_eq!(
            exact(&m),
            [
                "trading_pairs",
                "all_pairs",
                "pair_config:BTC/USDT",
                "trading_config:BTC/USDT",
                "trading_configs"
            ]
        );
    }

    #[test]
    fn pair_strategy_change_drops_strategy_keys_and_trading_config() {
        let m = affected_keys(&Change::PairStrategy {
            symbol: "BTC/USDT".into(),
            strategy: "rsi".into(),
        });
        assert_eq!(
            exact(&m),
            [
                "pair_strategies:BTC/USDT",
                "strategy_config:BTC/USDT:rsi",
                "trading_config:BTC/USDT",
                "trading_configs"
            ]
        );
    }

    #[test]
    fn risk_change_drops_risk_and_trading_config() {
        let m = affected_keys(&Change::PairRisk {
            symbol: "BTC/USDT".into(),
        });
        assert_eq!(
            exact(&m),
            [
                "pair_risk:BTC/USDT",
                "trading_config:BTC/USDT",
                "trading_configs"
            ]
        );
    }

    #[test]
    fn strategy_definition_change_drops_every_pairs_use_of_it() {
        let m = affected_keys(&Change::Strategy {
            strategy: "rsi".into(),
        });
        let hit = |k: CacheKey| m.iter().any(|x| x.matches(&k));
        assert!(hit(CacheKey::StrategyConfig(sym("ETH/USDT"), "rsi".into())));
        assert!(!hit(CacheKey::StrategyConfig(
            sym("ETH/USDT"),
            "macd".into()
        )));
        assert!(hit(CacheKey::PairStrategies(sym("ETH/USDT"))));
        assert!(hit(CacheKey::TradingConfig(sym("ETH/USDT"))));
        assert!(!hit(CacheKey::PairRisk(sym("ETH/USDT"))));
    }

    #[test]
    fn unreadable_symbol_drops_everything() {
        assert_eq!(
            affected_keys(&Change::PairRisk {
                symbol: "??".into()
            }),
            vec![KeyMatch::All]
        );
        assert_eq!(affected_keys(&Change::Everything), vec![KeyMatch::All]);
    }

    #[test]
    fn change_payload_is_the_notification_json() {
        let c: Change =
            serde_json::from_str(r#"{"kind":"pair_risk","symbol":"BTC/USDT"}"#).unwrap();
        assert_eq!(
            c,
            Change::PairRisk {
                symbol: "BTC/USDT".into()
            }
        );
    }
}
