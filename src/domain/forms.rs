//! Forms whose fields are generated from data (a strategy's parameters, a settings group),
//! as posted by the console.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A pair's use of one strategy, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairStrategyForm {
    /// `true` or `false`; required (a missing value is an error, never "disabled").
    #[serde(default)]
    pub enabled: Option<String>,
    pub weight: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The row's version when the form was opened; 0 when the pair has no row yet.
    #[serde(default)]
    pub version: i32,
}

/// One category of system settings, as typed: every setting of the category must be
/// present, and no other.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsForm {
    pub category: String,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, i32>,
}
