//! The config cache: moka in front of Postgres, typed values, invalidation on every write
//! (here and, through LISTEN/NOTIFY, in every other instance), warming and statistics.
//! Knows nothing of HTTP or Leptos, so a bot's own Rust process can use it as a library.

mod counters;
pub mod feed;
mod freshness;
mod front;
mod history;
pub mod keys;
pub mod manager;
pub mod notify;
mod read_from;
mod reads;
pub mod settings;
pub mod source;
mod stats;
pub mod value;
mod warm;
pub mod weight;
mod writes;

pub use keys::{CacheKey, Change, KeyMatch, Pattern};
pub use manager::{CacheSettings, ConfigManager};
pub use notify::ListenerHandle;
pub use read_from::ReadFrom;
pub use source::Source;
