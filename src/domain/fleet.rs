//! The fleet: every reader of the configuration (server instances and the client replicas
//! in bots' processes), what each last reported, and which ones deserve a warning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A reader is behind this long, or silent this long, before it is warned about.
pub const DEFAULT_BEHIND_WARNING_SECONDS: i64 = 10;
pub const DEFAULT_SILENT_WARNING_SECONDS: i64 = 30;

/// What a reader says of itself: on connecting to the stream (the `X-Botconfig-Client`
/// header) and in its periodic heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReaderReport {
    /// Unique per process: a restarted bot is a new instance.
    pub instance: String,
    /// The bot's name, as its operator set it.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub host: String,
    /// The client library and its version, e.g. `botconfig-client-python/0.1.0`.
    #[serde(default)]
    pub library: String,
    /// The revision it has applied.
    pub revision: u64,
    /// How long before this report it last confirmed it was current (none: never).
    #[serde(default)]
    pub confirmed_age_ms: Option<u64>,
    /// Whether it marks what it serves as stale.
    #[serde(default)]
    pub stale: bool,
}

impl ReaderReport {
    /// The report's fields within their bounds, with the field named when one is not.
    pub fn validate(self) -> Result<Self, super::ConfigError> {
        let bounded = |field: &str, value: &str, min: usize, max: usize| {
            let length = value.chars().count();
            if length < min || length > max || value.chars().any(char::is_control) {
                return Err(super::ConfigError::invalid(
                    field,
                    format!("must be {min} to {max} characters without control characters"),
                ));
            }
            Ok(())
        };
        bounded("instance", &self.instance, 1, 100)?;
        bounded("name", &self.name, 0, 200)?;
        bounded("host", &self.host, 0, 200)?;
        bounded("library", &self.library, 0, 100)?;
        if i64::try_from(self.revision).is_err() {
            return Err(super::ConfigError::invalid("revision", "is out of range"));
        }
        Ok(self)
    }

    /// Parses the `X-Botconfig-Client` header: `key=value` pairs separated by `;`, e.g.
    /// `instance=4f1c; name=btc-bot; host=vps1; library=botconfig-client-python/0.1.0; revision=42`.
    pub fn from_header(header: &str) -> Result<Self, super::ConfigError> {
        let mut report = ReaderReport {
            instance: String::new(),
            name: String::new(),
            host: String::new(),
            library: String::new(),
            revision: 0,
            confirmed_age_ms: None,
            stale: false,
        };
        for part in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(super::ConfigError::invalid(
                    "X-Botconfig-Client",
                    format!("{part:?} is not key=value"),
                ));
            };
            let value = value.trim().to_owned();
            match key.trim() {
                "instance" => report.instance = value,
                "name" => report.name = value,
                "host" => report.host = value,
                "library" => report.library = value,
                "revision" => {
                    report.revision = value.parse().map_err(|_| {
                        super::ConfigError::invalid(
                            "X-Botconfig-Client",
                            format!("revision must be a whole number, not {value:?}"),
                        )
                    })?
                }
                // Unknown keys are a newer client's: ignored, not refused.
                _ => {}
            }
        }
        report.validate()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReaderKind {
    Server,
    Client,
}

impl ReaderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
        }
    }
}

/// One reader as last seen, with how it stands against the database now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reader {
    pub kind: ReaderKind,
    pub instance: String,
    pub name: String,
    pub host: String,
    pub library: String,
    pub applied_revision: u64,
    /// Revisions the database has that this reader had not applied at its last report.
    pub revisions_behind: u64,
    /// How long it has been behind (none: it is not).
    pub behind_seconds: Option<f64>,
    pub stale: bool,
    pub last_seen: DateTime<Utc>,
    pub silent_seconds: f64,
    /// Why an operator should look, if they should.
    pub warning: Option<String>,
}

/// Every reader seen recently, and the database's revision they are measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Fleet {
    pub database_revision: u64,
    pub behind_warning_seconds: i64,
    pub silent_warning_seconds: i64,
    pub readers: Vec<Reader>,
}

impl Fleet {
    pub fn warnings(&self) -> usize {
        self.readers.iter().filter(|r| r.warning.is_some()).count()
    }
}

/// The warning for a reader behind for `behind_seconds`, silent for `silent_seconds`.
pub fn warning_for(
    behind_seconds: Option<f64>,
    silent_seconds: f64,
    stale: bool,
    behind_warning_seconds: i64,
    silent_warning_seconds: i64,
) -> Option<String> {
    if silent_seconds > silent_warning_seconds as f64 {
        return Some(format!(
            "silent for {silent_seconds:.0} s (more than {silent_warning_seconds} s)"
        ));
    }
    if let Some(behind) = behind_seconds.filter(|b| *b > behind_warning_seconds as f64) {
        return Some(format!(
            "behind the database for {behind:.0} s (more than {behind_warning_seconds} s)"
        ));
    }
    stale.then(|| "marks what it serves as stale".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parses_and_ignores_unknown_keys() {
        let report = ReaderReport::from_header(
            "instance=4f1c; name=btc-bot; host=vps1; library=botconfig-client-python/0.1.0; revision=42; future=x",
        )
        .unwrap();
        assert_eq!(report.instance, "4f1c");
        assert_eq!(report.name, "btc-bot");
        assert_eq!(report.revision, 42);
        assert!(
            ReaderReport::from_header("name=x; revision=1").is_err(),
            "no instance"
        );
        assert!(ReaderReport::from_header("instance=a; revision=-1").is_err());
        assert!(ReaderReport::from_header("instance=a; junk").is_err());
    }

    #[test]
    fn warnings_name_silence_before_lag() {
        assert_eq!(warning_for(None, 1.0, false, 10, 30), None);
        assert_eq!(warning_for(Some(9.0), 1.0, false, 10, 30), None);
        assert!(warning_for(Some(11.0), 1.0, false, 10, 30)
            .unwrap()
            .starts_with("behind"));
        assert!(warning_for(Some(11.0), 31.0, false, 10, 30)
            .unwrap()
            .starts_with("silent"));
        assert!(warning_for(None, 1.0, true, 10, 30).is_some());
    }
}
