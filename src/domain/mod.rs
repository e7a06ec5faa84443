//! The configuration's vocabulary: types, parsing and validation rules.
//!
//! Compiled for the server and for WASM alike, so a form checks a value with the very
//! function the server applies before it writes anything.

pub mod adopt;
pub mod auth;
pub mod benchmark;
pub mod bulk;
pub mod copy;
pub mod display;
pub mod error;
pub mod fields;
pub mod fleet;
pub mod format;
pub mod forms;
pub mod history;
pub mod number;
pub mod pair;
pub mod pair_list;
pub mod pause;
pub mod risk;
pub mod stats;
pub mod strategy;
pub mod system;
pub mod trading;
pub mod transfer;
pub mod warnings;

pub use error::{ConfigError, FieldError, FieldErrors};
