//! Accounts: users and their passwords, signing in (rate-limited), and API tokens. Not
//! cached configuration, so it works on the store directly.

use crate::domain::auth::{
    check_password, check_token_name, check_user_name, Role, Scope, TokenInfo, UserInfo, UserView,
};
use crate::domain::{ConfigError, FieldErrors};
use crate::store::accounts as store;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// Failed sign-ins of one account within `LOGIN_WINDOW` before it is locked.
pub const ACCOUNT_FAILURES_ALLOWED: i64 = 5;
/// Failed sign-ins from one address within `LOGIN_WINDOW` before it is locked out.
pub const ADDRESS_FAILURES_ALLOWED: i64 = 20;
/// The window failures are counted in, and how long a lockout lasts after the first.
pub const LOGIN_WINDOW_MINUTES: i64 = 15;

/// The message for any failed sign-in: it never says which of name or password was wrong.
pub const SIGN_IN_FAILED: &str = "wrong user name or password";

/// The name of the admin a new installation starts with.
pub const FIRST_ADMIN: &str = "admin";

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub id: i64,
    pub view: UserView,
}

#[derive(Debug, Clone)]
pub struct AccountService {
    pool: PgPool,
}

fn db(error: crate::store::StoreError) -> ConfigError {
    ConfigError::from(error)
}

/// 32 random bytes, hex.
fn random_secret() -> Result<String, ConfigError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConfigError::Internal(format!("no randomness available: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// argon2id is deliberately slow: off the async threads.
async fn hash_password(password: &str) -> Result<String, ConfigError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| ConfigError::Internal(e.to_string()))
}

async fn password_matches(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
        .await
        .unwrap_or(false)
}

impl AccountService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The console's session store, over the same database.
    pub fn session_store(&self) -> store::PgSessionStore {
        store::PgSessionStore::new(self.pool.clone())
    }

    /// On a database without users, creates the first admin: with `password` when given
    /// (`BOTCONFIG_ADMIN_PASSWORD`), else with a generated one, which is returned to be
    /// shown once. `None` when users exist already.
    pub async fn ensure_first_admin(
        &self,
        password: Option<&str>,
    ) -> Result<Option<String>, ConfigError> {
        if store::count_users(&self.pool).await.map_err(db)? > 0 {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(given) => {
                check_password(given)?;
                (given.to_owned(), false)
            }
            None => (random_secret()?[..24].to_owned(), true),
        };
        let hash = hash_password(&password).await?;
        match store::create_user(&self.pool, FIRST_ADMIN, Role::Admin, &hash).await {
            Ok(_) => Ok(generated.then_some(password)),
            // Another server created it first.
            Err(e) => match db(e) {
                ConfigError::Conflict(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Checks a sign-in, counting failures per account and per address.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: &str,
    ) -> Result<SignedIn, ConfigError> {
        let name = name.trim();
        let window_start = Utc::now() - Duration::minutes(LOGIN_WINDOW_MINUTES);
        let (by_account, by_address, account_first, address_first) =
            store::recent_failures(&self.pool, name, address, window_start)
                .await
                .map_err(db)?;
        let locked_until = |first: Option<DateTime<Utc>>| {
            first.map(|f| f + Duration::minutes(LOGIN_WINDOW_MINUTES))
        };
        let lock = if by_account >= ACCOUNT_FAILURES_ALLOWED {
            locked_until(account_first)
        } else if by_address >= ADDRESS_FAILURES_ALLOWED {
            locked_until(address_first)
        } else {
            None
        };
        if let Some(until) = lock {
            let minutes = ((until - Utc::now()).num_seconds().max(0) + 59) / 60;
            return Err(ConfigError::TooManyAttempts(format!(
                "too many failed sign-ins: try again in {} minute{}",
                minutes.max(1),
                if minutes > 1 { "s" } else { "" }
            )));
        }
        let user = store::user_by_name(&self.pool, name).await.map_err(db)?;
        let verified = match &user {
            Some(user) => password_matches(password, &user.password_hash).await && !user.disabled,
            None => {
                // As slow as a real check, so timing does not tell whether the name exists.
                let _ = password_matches(password, &DUMMY_HASH).await;
                false
            }
        };
        match user {
            Some(user) if verified => {
                store::clear_failures(&self.pool, name).await.map_err(db)?;
                Ok(SignedIn {
                    id: user.id,
                    view: UserView {
                        name: user.name,
                        role: user.role,
                    },
                })
            }
            _ => {
                store::record_failure(&self.pool, name, address)
                    .await
                    .map_err(db)?;
                Err(ConfigError::Unauthenticated(SIGN_IN_FAILED.into()))
            }
        }
    }

    /// The user a session belongs to, if they still exist and are enabled.
    pub async fn session_user(&self, id: i64) -> Result<Option<UserView>, ConfigError> {
        Ok(store::user_by_id(&self.pool, id)
            .await
            .map_err(db)?
            .filter(|u| !u.disabled)
            .map(|u| UserView {
                name: u.name,
                role: u.role,
            }))
    }

    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<(), ConfigError> {
        let mut errors = FieldErrors::default();
        errors.take(check_user_name(name));
        errors.take(check_password(password));
        errors.finish(|| ())?;
        let hash = hash_password(password).await?;
        store::create_user(&self.pool, name, role, &hash)
            .await
            .map(|_| ())
            .map_err(|e| match db(e) {
                ConfigError::Conflict(_) => {
                    ConfigError::invalid("name", format!("{name} already exists"))
                }
                other => other,
            })
    }

    /// Sets a password; the user is signed out everywhere.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<(), ConfigError> {
        check_password(password)?;
        let hash = hash_password(password).await?;
        if store::set_password(&self.pool, name, &hash)
            .await
            .map_err(db)?
        {
            Ok(())
        } else {
            Err(ConfigError::NotFound(format!("user {name}")))
        }
    }

    /// Disables (or re-enables) a user; disabling signs them out everywhere.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), ConfigError> {
        if store::set_disabled(&self.pool, name, disabled)
            .await
            .map_err(db)?
        {
            Ok(())
        } else {
            Err(ConfigError::NotFound(format!("user {name}")))
        }
    }

    /// Ends every session of the user; returns how many ended.
    pub async fn sign_out_everywhere(&self, user_id: i64) -> Result<u64, ConfigError> {
        store::end_sessions(&self.pool, user_id).await.map_err(db)
    }

    pub async fn users(&self) -> Result<Vec<UserInfo>, ConfigError> {
        store::list_users(&self.pool).await.map_err(db)
    }

    /// Creates a token and returns it: the only time it is shown.
    pub async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        expires_in_days: Option<u32>,
        created_by: &str,
    ) -> Result<String, ConfigError> {
        check_token_name(name)?;
        if expires_in_days == Some(0) {
            return Err(ConfigError::invalid("expires", "must be at least 1 day"));
        }
        let token = format!("bcfg_{}", random_secret()?);
        let expires_at = expires_in_days.map(|d| Utc::now() + Duration::days(i64::from(d)));
        store::create_token(
            &self.pool,
            name,
            scope,
            &store::digest(&token),
            created_by,
            expires_at,
        )
        .await
        .map_err(|e| match db(e) {
            ConfigError::Conflict(_) => {
                ConfigError::invalid("name", format!("a live token is already called {name}"))
            }
            other => other,
        })?;
        Ok(token)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, ConfigError> {
        store::list_tokens(&self.pool).await.map_err(db)
    }

    pub async fn revoke_token(&self, name: &str) -> Result<(), ConfigError> {
        if store::revoke_token(&self.pool, name).await.map_err(db)? {
            Ok(())
        } else {
            Err(ConfigError::NotFound(format!("live token {name}")))
        }
    }

    /// The name, scope and expiry of a live token, if `token` is one.
    pub async fn authenticate_token(
        &self,
        token: &str,
    ) -> Result<Option<(String, Scope, Option<DateTime<Utc>>)>, ConfigError> {
        store::use_token(&self.pool, &store::digest(token))
            .await
            .map_err(db)
    }
}

/// A real argon2id hash, verified against when the name does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password_auth::generate_hash("no user has this password"));
