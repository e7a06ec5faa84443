//! What the cache holds: shared values of any cacheable type, the entry around each (its epoch, expiry and
//! weight), and the expiry policy moka applies to entries.

use super::keys::CacheKey;
use super::weight::HeapSize;
use crate::domain::auth::LiveToken;
use crate::domain::pair::TradingPair;
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::{TradingConfig, WeightedStrategy};
use chrono::{DateTime, Utc};
use moka::Expiry;
use std::any::Any;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the cache can hold: a value with a measured weight, and a deep copy for one
/// thread's front (fresh allocations, so threads do not share reference counts).
pub trait Cacheable: HeapSize + Send + Sync + 'static {
    fn front_copy(&self) -> Self
    where
        Self: Sized;

    /// When the value stops being true by the clock alone (a pause that ends): its entry
    /// expires then, whatever its TTL.
    fn valid_until(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// Domain values whose `clone` is already a deep copy.
macro_rules! cacheable_by_clone {
    ($($type:ty),* $(,)?) => {
        $(impl Cacheable for $type {
            fn front_copy(&self) -> Self {
                self.clone()
            }
        })*
    };
}

cacheable_by_clone!(
    SystemSetting,
    PairStrategy,
    RiskConfig,
    WeightedStrategy,
    LiveToken
);

impl Cacheable for TradingPair {
    fn front_copy(&self) -> Self {
        self.clone()
    }

    fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.pause.as_ref()?.until
    }
}

impl Cacheable for TradingConfig {
    fn front_copy(&self) -> Self {
        self.clone()
    }

    fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.pair.valid_until()
    }
}

/// A list of cacheable values is cacheable: a new read of a list needs nothing here.
impl<T: Cacheable> Cacheable for Vec<T> {
    fn front_copy(&self) -> Self {
        self.iter().map(Cacheable::front_copy).collect()
    }

    fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.iter().filter_map(Cacheable::valid_until).min()
    }
}

/// Shared values inside a cached one are copied too (`trading_configs` shares each config
/// with its `trading_config:{symbol}` entry).
impl<T: Cacheable> Cacheable for Arc<T> {
    fn front_copy(&self) -> Self {
        Arc::new((**self).front_copy())
    }

    fn valid_until(&self) -> Option<DateTime<Utc>> {
        (**self).valid_until()
    }
}

/// A cached value, shared: a hit clones an `Arc`, never the data. One type for every read
/// (see `reads`), so a new read needs no new variant here.
#[derive(Clone)]
pub struct CachedValue {
    value: Arc<dyn Any + Send + Sync>,
    copy: fn(&CachedValue) -> CachedValue,
    bytes: usize,
    valid_until: Option<DateTime<Utc>>,
    type_name: &'static str,
}

impl std::fmt::Debug for CachedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CachedValue<{}>({} bytes)", self.type_name, self.bytes)
    }
}

impl CachedValue {
    pub fn new<T: Cacheable>(value: Arc<T>) -> Self {
        CachedValue {
            bytes: value.total_size(),
            valid_until: value.valid_until(),
            value,
            copy: |v| {
                let value = v.get::<T>().expect("a value's copy is of its own type");
                CachedValue::new(Arc::new(T::front_copy(&value)))
            },
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The value, if it is a `T`.
    pub fn get<T: Cacheable>(&self) -> Option<Arc<T>> {
        self.clone().into_typed()
    }

    /// The value, if it is a `T`, without another reference count.
    pub fn into_typed<T: Cacheable>(self) -> Option<Arc<T>> {
        self.value.downcast::<T>().ok()
    }

    /// A copy in fresh allocations, for one thread's front (see `front`).
    pub(crate) fn private_copy(&self) -> CachedValue {
        (self.copy)(self)
    }

    fn bytes(&self) -> usize {
        self.bytes
    }
}

/// One cache entry.
#[derive(Debug)]
pub struct Entry {
    pub(crate) value: CachedValue,
    /// The invalidation epoch read before this value's load began.
    pub(crate) loaded_epoch: u64,
    /// The latest epoch at which no invalidation since `loaded_epoch` matched this key.
    pub(crate) verified_epoch: AtomicU64,
    pub(crate) expires_at: Instant,
    pub(crate) bytes: u32,
}

impl Entry {
    pub(crate) fn new(
        value: CachedValue,
        loaded_epoch: u64,
        ttl: Duration,
        key: &CacheKey,
    ) -> Self {
        let bytes = value.bytes()
            + std::mem::size_of::<Entry>()
            + std::mem::size_of::<CacheKey>()
            + key.to_string().len();
        let now = Instant::now();
        // A value true only until a time expires at that instant (the wall clock's distance
        // to it, measured once, on the monotonic clock).
        let until_end = value
            .valid_until
            .map(|end| (end - Utc::now()).to_std().unwrap_or(Duration::ZERO));
        Entry {
            value,
            loaded_epoch,
            verified_epoch: AtomicU64::new(loaded_epoch),
            expires_at: now + until_end.map_or(ttl, |left| left.min(ttl)),
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
        }
    }
}

pub(crate) struct EntryExpiry;

impl Expiry<CacheKey, Arc<Entry>> for EntryExpiry {
    fn expire_after_create(
        &self,
        _: &CacheKey,
        value: &Arc<Entry>,
        _: Instant,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(Instant::now()))
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        value: &Arc<Entry>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pair::Symbol;
    use crate::domain::risk::RiskSettings;

    fn risk(symbol: &str) -> Arc<RiskConfig> {
        Arc::new(RiskConfig {
            symbol: Symbol::parse(symbol).unwrap(),
            settings: RiskSettings::default(),
            version: 1,
        })
    }

    #[test]
    fn a_front_copy_shares_no_allocation_with_the_entry_even_inside_a_list() {
        let shared = vec![risk("BTC/USDT"), risk("ETH/USDT")];
        let value = CachedValue::new(Arc::new(shared.clone()));
        let copy = value.private_copy();
        let (original, copied) = (
            value.get::<Vec<Arc<RiskConfig>>>().unwrap(),
            copy.get::<Vec<Arc<RiskConfig>>>().unwrap(),
        );
        assert!(!Arc::ptr_eq(&original, &copied));
        for (a, b) in original.iter().zip(copied.iter()) {
            assert!(!Arc::ptr_eq(a, b), "{} shared", a.symbol);
            assert_eq!(a, b);
        }
        assert_eq!(value.bytes(), copy.bytes());
        assert!(
            value.get::<Vec<RiskConfig>>().is_none(),
            "another type is refused"
        );
    }
}
