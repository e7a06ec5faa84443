//! Forms whose fields are generated from data (a strategy's parameters, a settings group),
//! as posted by the console.

use super::system::{parse_setting, SettingValue, SystemSetting};
use super::{ConfigError, FieldErrors};
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

/// One setting's new value, parsed: what a settings save writes.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange {
    pub key: String,
    pub value: SettingValue,
    /// The version the form was opened at, when it says.
    pub version: Option<i32>,
}

impl SettingsForm {
    /// The form parsed against the settings as they are, once, into the changes to write.
    /// Every setting of the category must be present (a missing one is an error, never
    /// "false"), none of another; a secret left empty stays as it is. Every field's error
    /// is reported at once.
    pub fn parse(&self, current: &[SystemSetting]) -> Result<Vec<SettingChange>, ConfigError> {
        let group: Vec<&SystemSetting> = current
            .iter()
            .filter(|s| s.category.as_str() == self.category)
            .collect();
        if group.is_empty() {
            return Err(ConfigError::NotFound(format!(
                "settings category {}",
                self.category
            )));
        }
        let mut errors = FieldErrors::default();
        for key in self.values.keys().chain(self.versions.keys()) {
            if !group.iter().any(|s| &s.key == key) && errors.get(key).is_none() {
                errors.push(
                    key.clone(),
                    format!("is not a setting of the {} group", self.category),
                );
            }
        }
        let mut changes = Vec::with_capacity(group.len());
        for setting in group {
            match self.values.get(&setting.key) {
                Some(input) if setting.is_secret && input.is_empty() => {}
                Some(input) => {
                    let parsed = parse_setting(&setting.key, setting.value_type, input);
                    if let Some(value) = errors.take(parsed) {
                        changes.push(SettingChange {
                            key: setting.key.clone(),
                            value,
                            version: self.versions.get(&setting.key).copied(),
                        });
                    }
                }
                None => errors.push(setting.key.clone(), "is required"),
            }
        }
        errors.finish(|| changes)
    }
}
