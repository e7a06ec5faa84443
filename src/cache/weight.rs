//! What a cached value costs in memory: its inline size plus every heap allocation it owns
//! (string and vector capacities, map nodes), so the byte bound means bytes.

use crate::domain::auth::LiveToken;
use crate::domain::pair::{Symbol, TradingPair};
use crate::domain::risk::{RiskConfig, RiskSettings};
use crate::domain::strategy::{PairStrategy, ParamValues};
use crate::domain::system::{SettingValue, SystemSetting};
use crate::domain::trading::{TradingConfig, WeightedStrategy};
use rust_decimal::Decimal;
use std::mem::size_of;
use std::sync::Arc;

/// Bytes owned on the heap beyond `size_of::<Self>()`.
pub trait HeapSize {
    fn heap_size(&self) -> usize;

    /// Inline plus heap bytes.
    fn total_size(&self) -> usize
    where
        Self: Sized,
    {
        size_of::<Self>() + self.heap_size()
    }
}

impl HeapSize for String {
    fn heap_size(&self) -> usize {
        self.capacity()
    }
}

impl HeapSize for Box<str> {
    fn heap_size(&self) -> usize {
        self.len()
    }
}

impl HeapSize for Symbol {
    fn heap_size(&self) -> usize {
        // Symbols are built from exact-length strings.
        self.as_str().len()
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_size(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Arc<T> {
    fn heap_size(&self) -> usize {
        // The Arc's allocation: two counters and the value. Shared values are counted by
        // every holder: an over-estimate, never an under-estimate.
        2 * size_of::<usize>() + size_of::<T>() + (**self).heap_size()
    }
}

impl HeapSize for LiveToken {
    fn heap_size(&self) -> usize {
        self.name.heap_size()
    }
}

impl HeapSize for ParamValues {
    fn heap_size(&self) -> usize {
        // A B-tree node holds up to 11 entries plus edges; count a node per 11 entries.
        let nodes = self.len().div_ceil(11).max(usize::from(!self.is_empty()));
        nodes * (11 * (size_of::<String>() + size_of::<Decimal>()) + 12 * size_of::<usize>())
            + self.keys().map(HeapSize::heap_size).sum::<usize>()
    }
}

impl HeapSize for serde_json::Value {
    fn heap_size(&self) -> usize {
        use serde_json::Value::*;
        match self {
            Null | Bool(_) | Number(_) => 0,
            String(s) => s.capacity(),
            Array(a) => {
                a.capacity() * size_of::<Self>() + a.iter().map(HeapSize::heap_size).sum::<usize>()
            }
            Object(o) => o
                .iter()
                .map(|(k, v)| {
                    k.capacity()
                        + size_of::<std::string::String>()
                        + v.total_size()
                        + 3 * size_of::<usize>()
                })
                .sum(),
        }
    }
}

impl HeapSize for SettingValue {
    fn heap_size(&self) -> usize {
        match self {
            SettingValue::String(s) => s.heap_size(),
            SettingValue::Json(j) => j.heap_size(),
            _ => 0,
        }
    }
}

impl HeapSize for SystemSetting {
    fn heap_size(&self) -> usize {
        self.key.heap_size() + self.value.heap_size() + self.description.heap_size()
    }
}

impl HeapSize for TradingPair {
    fn heap_size(&self) -> usize {
        self.symbol.heap_size()
    }
}

impl HeapSize for PairStrategy {
    fn heap_size(&self) -> usize {
        self.symbol.heap_size()
            + self.strategy.heap_size()
            + self.display_name.heap_size()
            + self.description.heap_size()
            + self.strategy_type.heap_size()
            + self.parameters.heap_size()
    }
}

impl HeapSize for RiskSettings {
    fn heap_size(&self) -> usize {
        0
    }
}

impl HeapSize for RiskConfig {
    fn heap_size(&self) -> usize {
        self.symbol.heap_size()
    }
}

impl HeapSize for WeightedStrategy {
    fn heap_size(&self) -> usize {
        self.strategy.heap_size()
            + self.display_name.heap_size()
            + self.description.heap_size()
            + self.strategy_type.heap_size()
            + self.parameters.heap_size()
    }
}

impl HeapSize for TradingConfig {
    fn heap_size(&self) -> usize {
        self.pair.heap_size() + self.strategies.heap_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_count_their_capacity() {
        let mut s = String::with_capacity(100);
        s.push('x');
        assert_eq!(s.heap_size(), 100);
        assert_eq!(s.total_size(), 100 + size_of::<String>());
    }

    #[test]
    fn vectors_count_capacity_and_children() {
        let v: Vec<String> = vec!["abc".into(), "de".into()];
        assert_eq!(v.heap_size(), v.capacity() * size_of::<String>() + 3 + 2);
    }

    #[test]
    fn a_bigger_value_weighs_more() {
        let small: Vec<String> = vec!["a".into()];
        let big: Vec<String> = (0..100).map(|i| format!("setting number {i}")).collect();
        assert!(big.total_size() > 50 * small.total_size());
    }
}
