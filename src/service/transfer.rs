//! The whole configuration as one document: export, and import checked in full before
//! anything is written.

use super::ConfigService;
use crate::domain::strategy::check_weight;
use crate::domain::system::{parse_setting, SettingValue};
use crate::domain::transfer::{ConfigDocument, PairDocument, StrategyDocument};
use crate::domain::ConfigError;

impl ConfigService {
    /// The whole configuration as one document.
    pub async fn export(&self) -> Result<ConfigDocument, ConfigError> {
        let settings = self.settings().await?;
        let snapshot = self.manager.uncached().snapshot_pairs().await?;
        let mut strategies = snapshot.strategies_by_symbol();
        let pairs = snapshot
            .pairs
            .iter()
            .filter_map(|pair| {
                let risk = snapshot.risks.iter().find(|r| r.symbol == pair.symbol)?;
                let rows = strategies.remove(pair.symbol.as_str()).unwrap_or_default();
                Some(PairDocument {
                    symbol: pair.symbol.clone(),
                    is_active: pair.is_active,
                    settings: pair.settings(),
                    risk: risk.settings.clone(),
                    strategies: rows
                        .into_iter()
                        .map(|r| {
                            let doc = StrategyDocument {
                                enabled: r.is_enabled,
                                weight: r.weight,
                                parameters: r.parameters,
                            };
                            (r.strategy, doc)
                        })
                        .collect(),
                })
            })
            .collect();
        Ok(ConfigDocument {
            format: crate::domain::transfer::FORMAT.to_owned(),
            // Secrets are never exported: they are set where they are used.
            settings: settings
                .iter()
                .filter(|s| !s.is_secret)
                .map(|s| (s.key.clone(), s.value.to_string()))
                .collect(),
            pairs,
        })
    }

    /// Checks a document against every rule before anything is written; returns the
    /// settings typed.
    async fn check_document(
        &self,
        doc: &ConfigDocument,
    ) -> Result<Vec<(String, SettingValue)>, ConfigError> {
        let mut errors = crate::domain::FieldErrors::default();
        if doc.format != crate::domain::transfer::FORMAT {
            errors.push(
                "format",
                format!("must be {}", crate::domain::transfer::FORMAT),
            );
        }
        let current = self.settings().await?;
        let mut typed = Vec::new();
        for (key, value) in &doc.settings {
            match current.iter().find(|s| &s.key == key) {
                Some(setting) if setting.is_secret => errors.push(
                    format!("settings.{key}"),
                    "is a secret: set it with botconfig set-config, not an import",
                ),
                Some(setting) => {
                    // An equal value (10 for "10.0") is not written: no version bump.
                    if let Some(v) = errors.take(parse_setting(key, setting.value_type, value)) {
                        if v != setting.value {
                            typed.push((key.clone(), v));
                        }
                    }
                }
                None => errors.push(
                    format!("settings.{key}"),
                    "is not a setting of this installation",
                ),
            }
        }
        let definitions = self.strategies().await?;
        let mut seen = std::collections::BTreeSet::new();
        for pair in &doc.pairs {
            let at = |field: &str| format!("pairs[{}].{field}", pair.symbol);
            if !seen.insert(pair.symbol.clone()) {
                errors.push(at("symbol"), "appears twice");
            }
            let mut nest = |prefix: &str, result: Result<(), ConfigError>| {
                if let Err(ConfigError::Invalid(inner)) = result {
                    for e in inner.0 {
                        errors.push(at(&format!("{prefix}{}", e.field)), e.message);
                    }
                }
            };
            nest("settings.", pair.settings.clone().validate().map(|_| ()));
            nest("risk.", pair.risk.clone().validate().map(|_| ()));
            for (name, strategy) in &pair.strategies {
                match definitions.iter().find(|d| &d.name == name) {
                    Some(definition) => {
                        nest(
                            &format!("strategies.{name}."),
                            check_weight(strategy.weight)
                                .map(|_| ())
                                .map_err(ConfigError::from),
                        );
                        nest(
                            &format!("strategies.{name}."),
                            definition.check_params(&strategy.parameters).map(|_| ()),
                        );
                    }
                    None => nest(
                        "strategies.",
                        Err(ConfigError::invalid(
                            name.clone(),
                            "is not a known strategy",
                        )),
                    ),
                }
            }
        }
        errors.finish(|| typed)
    }

    /// Validates `doc` completely, then (unless `dry_run`) applies it in one transaction.
    /// Returns the changes it makes (or would make), one readable line each.
    pub async fn import(
        &self,
        doc: &ConfigDocument,
        dry_run: bool,
    ) -> Result<Vec<String>, ConfigError> {
        let settings = self.check_document(doc).await?;
        let changes = crate::domain::transfer::diff(&self.export().await?, doc);
        if !dry_run {
            self.manager.apply_document(doc, &settings).await?;
        }
        Ok(changes)
    }
}
