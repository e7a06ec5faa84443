//! What the cache holds: shared values of any cacheable type, the entry around each (its epoch, expiry and
//! weight), and the expiry policy moka applies to entries.

use super::keys::CacheKey;
use super::weight::HeapSize;
use crate::domain::pair::TradingPair;
use crate::domain::risk::RiskConfig;
use crate::domain::strategy::PairStrategy;
use crate::domain::system::SystemSetting;
use crate::domain::trading::TradingConfig;
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
}

/// Values whose `clone` is already a deep copy.
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
    Vec<SystemSetting>,
    SystemSetting,
    Vec<TradingPair>,
    TradingPair,
    Vec<PairStrategy>,
    PairStrategy,
    RiskConfig,
    TradingConfig,
);

impl Cacheable for Vec<Arc<TradingConfig>> {
    fn front_copy(&self) -> Self {
        self.iter().map(|c| Arc::new((**c).clone())).collect()
    }
}

/// A cached value, shared: a hit clones an `Arc`, never the data. One type for every read
/// (see `reads`), so a new read needs no new variant here.
#[derive(Clone)]
pub struct CachedValue {
    value: Arc<dyn Any + Send + Sync>,
    copy: fn(&CachedValue) -> CachedValue,
    bytes: usize,
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
            value,
            copy: |v| {
                let value = v.get::<T>().expect("a value's copy is of its own type");
                CachedValue::new(Arc::new(value.front_copy()))
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
        Entry {
            value,
            loaded_epoch,
            verified_epoch: AtomicU64::new(loaded_epoch),
            expires_at: Instant::now() + ttl,
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
