//! Pieces every page uses: error notes and status badges.

use crate::domain::ConfigError;
use leptos::prelude::*;

/// A failure told to the operator in words, never a blank page.
#[component]
pub fn ErrorNote(error: ConfigError) -> impl IntoView {
    let (title, detail) = match &error {
        ConfigError::NotFound(what) => ("Not found", format!("{what} does not exist.")),
        ConfigError::Invalid(errors) => ("Invalid input", errors.to_string()),
        ConfigError::Conflict(message) => ("Conflict", message.clone()),
        ConfigError::Unavailable(message) => ("Database unavailable", message.clone()),
        ConfigError::Request(message) => ("Request failed", message.clone()),
    };
    view! {
        <div class="note error" role="alert">
            <strong>{title}</strong>
            " "
            <span>{detail}</span>
        </div>
    }
}

/// "Active" or "Inactive", styled.
#[component]
pub fn ActiveBadge(active: bool) -> impl IntoView {
    let (class, text) = if active {
        ("badge on", "Active")
    } else {
        ("badge off", "Inactive")
    };
    view! { <span class=class>{text}</span> }
}
