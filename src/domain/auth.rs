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
    /// Sign-ins from unknown browsers and addresses are refused until then (failures).
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// One sign-in attempt, as the record keeps it for admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInAttempt {
    pub account: String,
    /// The address the limits are keyed on (an IPv6 address's /64).
    pub address: String,
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// `succeeded`, `failed`, `refused` (locked), or `checking`.
    pub outcome: String,
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
    /// Also reads secret settings.
    pub reads_secrets: bool,
}

/// What a live API token grants, as a request presenting it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    pub name: String,
    pub scope: Scope,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reads_secrets: bool,
}

impl LiveToken {
    /// Whether the grant still holds at `now`: an expired token is refused by the clock.
    pub fn is_live_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
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

/// A database role's name as `botconfig db bot-role` takes it: what Postgres needs no
/// quoting for, so operators can type it in a connection URL as it is.
pub fn check_role_name(name: &str) -> Result<(), FieldError> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "name",
            "must be 1 to 63 lower case letters, digits or _, not starting with a digit",
        ))
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 12;

/// A password long enough to resist guessing; any characters.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    if password.trim().is_empty() {
        Err(FieldError::new("password", "must not be only spaces"))
    } else if password.chars().count() >= MIN_PASSWORD_LENGTH {
        Ok(())
    } else {
        Err(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
        ))
    }
}

/// The longest a token may live: a bound that keeps expiry dates representable.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// A token's lifetime in days: 1 to `MAX_TOKEN_DAYS`.
pub fn check_token_days(days: u32) -> Result<(), FieldError> {
    if (1..=MAX_TOKEN_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(FieldError::new(
            "expires_days",
            format!("must be 1 to {MAX_TOKEN_DAYS} days"),
        ))
    }
}

/// `next` (where to go after signing in) when it is a path on this console, as a browser
/// would resolve it; `None` for anything that could leave this origin or break a header.
///
/// Browsers (WHATWG URL parsing) strip tabs and newlines, trim spaces and treat `\` as `/`
/// before resolving, so `/<TAB>/evil.example` becomes `//evil.example`: any control
/// character, whitespace, backslash or non-ASCII character is refused outright, and so is
/// the same value once percent-decoded (a layer of encoding must not smuggle one in).
///
/// ```
/// use botconfig::domain::auth::local_redirect;
/// assert_eq!(local_redirect("/pairs?x=1"), Some("/pairs?x=1"));
/// assert_eq!(local_redirect("/\t/evil.example"), None);
/// assert_eq!(local_redirect("//evil.example"), None);
/// ```
pub fn local_redirect(next: &str) -> Option<&str> {
    fn safe_path(path: &[u8]) -> bool {
        path.first() == Some(&b'/')
            && !matches!(path.get(1), Some(b'/' | b'\\'))
            && path.iter().all(|&b| b.is_ascii_graphic() && b != b'\\')
    }
    let decoded = percent_decoded(next.as_bytes());
    (safe_path(next.as_bytes()) && safe_path(&decoded)).then_some(next)
}

/// `%XX` sequences decoded once (malformed ones kept as they are).
fn percent_decoded(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match (
            input[i],
            input.get(i + 1).and_then(|&b| hex(b)),
            input.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_paths_on_this_origin() {
        for ok in [
            "/",
            "/pairs",
            "/pairs/BTC%2FUSDT/risk?tab=1",
            "/history?since=2h#top",
        ] {
            assert_eq!(local_redirect(ok), Some(ok), "{ok:?}");
        }
        for bypass in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/\x0b/evil.example",
            "/\x0c/evil.example",
            "/\0/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "%2F%2Fevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "javascript:alert(1)",
            "https://evil.example/",
            "https:evil.example",
            "http://127.0.0.1:3000@evil.example/",
            "evil.example",
            "/caf\u{e9}",
            "",
        ] {
            assert_eq!(local_redirect(bypass), None, "{bypass:?}");
        }
    }

    #[test]
    fn role_names_need_no_quoting() {
        for ok in ["trading_bot", "_bot", "bot2"] {
            assert!(check_role_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2bot",
            "Bot",
            "bot-1",
            "bot;drop",
            "bot\"x",
            &"b".repeat(64),
        ] {
            assert!(check_role_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_of_spaces_and_endless_tokens_are_refused() {
        assert!(check_password("            ").is_err());
        assert!(check_password(" \t  \u{3000}          ").is_err());
        assert!(check_password("a long passphrase").is_ok());
        assert!(check_token_days(0).is_err());
        assert!(check_token_days(MAX_TOKEN_DAYS).is_ok());
        assert!(check_token_days(MAX_TOKEN_DAYS + 1).is_err());
        assert!(check_token_days(u32::MAX).is_err());
    }

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
