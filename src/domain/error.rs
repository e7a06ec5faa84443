//! Errors a configuration operation reports to its caller: typed, serializable, and carrying
//! the field a message belongs to, so a form can show it beside the input.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One rejected field, with the sentence the operator will read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every field that failed validation at once, so a form shows all its problems together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, if it failed.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Records the error of `result` under its field and returns the value, if any.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// `Ok(value)` when nothing failed, the collected errors otherwise.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ConfigError> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(ConfigError::Invalid(self))
        }
    }
}

impl FieldErrors {
    /// Every error as a sentence that names its field as the form labels it: "Stop loss (%)
    /// must be at most 100."
    pub fn in_words(&self) -> String {
        self.0
            .iter()
            .map(|e| format!("{} {}.", super::fields::form_label(&e.field), e.message))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

/// What went wrong with a configuration read or write, in the caller's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ConfigError {
    /// The named thing (a pair, a setting, a strategy) does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The input broke one or more rules; nothing was saved.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The row changed (or already exists) since the caller read it; nothing was saved.
    #[error("{0}")]
    Conflict(String),
    /// The database could not be reached, or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Something that should not happen did (a corrupt row, a broken invariant). The
    /// cause is logged in full; callers get this generic message.
    #[error("internal error: {0}")]
    Internal(String),
    /// No signed-in user or valid token: sign in (or send `Authorization: Bearer`).
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role or token scope does not allow this; nothing changed.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed sign-ins; try again later.
    #[error("{0}")]
    TooManyAttempts(String),
    /// Allowed, but worth a second thought (it adds a warning, switches paper trading off,
    /// stops a pair, empties the cache): nothing was done. Each entry says why in words;
    /// the same request, confirmed, does it.
    #[error("confirm first: {}", .0.join("; "))]
    Unconfirmed(Vec<String>),
    /// The request did not reach the server function or its answer was unreadable.
    #[error("request failed: {0}")]
    Request(String),
}

/// How every "the database did not answer in time" message begins (see `is_deadline`).
pub const NO_ANSWER: &str = "the database did not answer";

impl ConfigError {
    /// Whether this is a deadline that passed (the operation's, or a statement timeout),
    /// rather than a broken connection: retrying on a fresh connection cannot help it.
    pub fn is_deadline(&self) -> bool {
        matches!(self, ConfigError::Unavailable(message) if message.starts_with(NO_ANSWER))
    }

    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid(FieldErrors(vec![FieldError::new(field, message)]))
    }

    /// The field errors, if this is a validation error.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            ConfigError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl From<FieldError> for ConfigError {
    fn from(error: FieldError) -> Self {
        ConfigError::Invalid(FieldErrors(vec![error]))
    }
}

impl leptos::server_fn::error::FromServerFnError for ConfigError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        ConfigError::Request(value.to_string())
    }
}
