//! Who may do what: users' roles, API tokens' scopes, and the rules for names and
//! passwords. Shared with the console, which hides what a role may not do (the server
//! checks it regardless).

use super::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A console user's role. Each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything except secrets.
    Viewer,
    /// Edits pairs, strategies, risk and settings; warms and invalidates the cache; rolls
    /// back their own changes.
    Editor,
    /// Users, tokens, clearing the cache, import, rolling back anything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("role", "must be viewer, editor or admin"))
    }
}

/// What an API token may do; the same ladder as roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every GET of the API.
    Read,
    /// Read, plus writes to the configuration and warming or invalidating the cache.
    Write,
    /// Write, plus clearing the cache and import.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }

    /// The scope a console role corresponds to.
    pub fn of_role(role: Role) -> Scope {
        match role {
            Role::Viewer => Scope::Read,
            Role::Editor => Scope::Write,
            Role::Admin => Scope::Admin,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("scope", "must be read, write or admin"))
    }
}

/// A signed-in user as the console sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub role: Role,
}

/// A user as listed to an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl TokenInfo {
    /// `live`, `revoked` or `expired`.
    pub fn state(&self) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
            "expired"
        } else {
            "live"
        }
    }
}

/// A user name: lower case letters, digits, `_`, `.`, `-`, starting with a letter, 2 to 64.
pub fn check_user_name(name: &str) -> Result<(), FieldError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && (2..=64).contains(&name.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "name",
            "must be 2 to 64 lower case letters, digits, _ . or -, starting with a letter",
        ))
    }
}

/// A token name: lower case letters, digits, `_`, `.`, `-`, at most 64.
pub fn check_token_name(name: &str) -> Result<(), FieldError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "name",
            "must be 1 to 64 lower case letters, digits, _ . or -",
        ))
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// A password long enough to resist guessing; any characters.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    if password.chars().count() >= MIN_PASSWORD_LENGTH {
        Ok(())
    } else {
        Err(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_are_ladders() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        assert!(Scope::Write.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Write));
        assert_eq!("editor".parse::<Role>().unwrap(), Role::Editor);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn names_and_passwords_follow_their_rules() {
        assert!(check_user_name("alice").is_ok());
        assert!(check_user_name("a").is_err());
        assert!(check_user_name("Alice").is_err());
        assert!(check_token_name("deploy-bot.1").is_ok());
        assert!(check_token_name("").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse battery").is_ok());
    }
}
