//! Accounts: users and their passwords, signing in (rate-limited), and API tokens. Not
//! cached configuration, so it works on the store directly.

use crate::domain::auth::{
    check_password, check_role_name, check_token_days, check_token_name, check_user_name, Role,
    Scope, SignInAttempt, TokenInfo, UserInfo, UserView,
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

/// A browser or address the account signed in from within this many days is trusted: the
/// account's lock does not refuse it (it has a limit of its own).
pub const TRUSTED_SOURCE_DAYS: i64 = 30;

/// When an attempt is refused until (see the README's "Sign-in limits"):
/// - from a browser the account signed in from before: after `ACCOUNT_FAILURES_ALLOWED`
///   failures of the account from that browser;
/// - else from an address the account signed in from before: after as many from it;
/// - else (an unknown source): after `ACCOUNT_FAILURES_ALLOWED` failures of the account,
///   or `ADDRESS_FAILURES_ALLOWED` from the address on any account.
///
/// A lock lasts until `LOGIN_WINDOW_MINUTES` after the first of the failures that caused
/// it, so guesses made from elsewhere never lock the account's owner out.
fn refused_until(context: &store::AttemptContext, window: Duration) -> Option<DateTime<Utc>> {
    let locked = |failures: store::FailureCount, allowed: i64| {
        if failures.count >= allowed {
            failures.first.map(|first| first + window)
        } else {
            None
        }
    };
    if context.trusted_device {
        locked(context.account_device, ACCOUNT_FAILURES_ALLOWED)
    } else if context.trusted_address {
        locked(context.account_address, ACCOUNT_FAILURES_ALLOWED)
    } else {
        locked(context.account, ACCOUNT_FAILURES_ALLOWED)
            .or_else(|| locked(context.address, ADDRESS_FAILURES_ALLOWED))
    }
}

/// A refused name as the log shows it: an existing user's name, else only a digest (a
/// password typed into the name field must not end up in the log).
fn logged_account(account: &str, is_user: bool) -> String {
    if is_user {
        account.to_owned()
    } else {
        format!("(unknown, sha256 {})", &store::digest(account)[..12])
    }
}

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

#[derive(Clone)]
pub struct AccountService {
    pool: PgPool,
    /// This server's cache, told at once of a token change made here (other servers hear
    /// it as a notification).
    cache: Option<crate::cache::ConfigManager>,
}

fn db(error: crate::store::StoreError) -> ConfigError {
    ConfigError::from(error)
}

/// 32 random bytes, hex.
pub fn random_secret() -> Result<String, ConfigError> {
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
        Self { pool, cache: None }
    }

    /// Accounts whose token changes drop the cached grants of `cache` at once.
    pub fn with_cache(cache: crate::cache::ConfigManager) -> Self {
        Self {
            pool: cache.pool().clone(),
            cache: Some(cache),
        }
    }

    async fn tokens_changed(&self) {
        if let Some(cache) = &self.cache {
            cache.apply_change(&crate::cache::Change::Tokens).await;
        }
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

    /// Checks a sign-in from `address` (the key the limits use), with no browser known.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: &str,
    ) -> Result<SignedIn, ConfigError> {
        self.sign_in_from(name, password, address, None).await
    }

    /// Checks a sign-in (see `refused_until`): counted before the password is verified, in
    /// one step with the count, so a burst of guesses gets `ACCOUNT_FAILURES_ALLOWED` checks
    /// at most; `device` is the digest of the browser's device cookie, if it sent one.
    pub async fn sign_in_from(
        &self,
        name: &str,
        password: &str,
        address: &str,
        device: Option<&str>,
    ) -> Result<SignedIn, ConfigError> {
        let name = name.trim();
        // Kept as typed, but storable: text cannot hold NUL, and no user name is this long.
        let account: String = name.replace('\0', "\u{fffd}").chars().take(128).collect();
        let now = Utc::now();
        let window = Duration::minutes(LOGIN_WINDOW_MINUTES);
        let source = store::AttemptSource {
            account: &account,
            address,
            device,
        };
        let attempt = store::begin_attempt(
            &self.pool,
            source,
            now - window,
            now - Duration::days(TRUSTED_SOURCE_DAYS),
            |context| refused_until(context, window),
        )
        .await
        .map_err(db)?;
        let id = match attempt {
            store::Attempt::Checking(id) => id,
            store::Attempt::Refused(until) => {
                tracing::warn!(account = %logged_account(&account, false), %address, "sign-in refused: locked");
                let minutes = ((until - Utc::now()).num_seconds().max(0) + 59) / 60;
                return Err(ConfigError::TooManyAttempts(format!(
                    "too many failed sign-ins: try again in {} minute{}",
                    minutes.max(1),
                    if minutes > 1 { "s" } else { "" }
                )));
            }
        };
        let user = if account == name {
            store::user_by_name(&self.pool, name).await.map_err(db)?
        } else {
            None
        };
        let verified = match &user {
            Some(user) => password_matches(password, &user.password_hash).await && !user.disabled,
            None => {
                // As slow as a real check, so timing does not tell whether the name exists.
                let _ = password_matches(password, &DUMMY_HASH).await;
                false
            }
        };
        store::finish_attempt(&self.pool, id, verified)
            .await
            .map_err(db)?;
        match user {
            Some(user) if verified => Ok(SignedIn {
                id: user.id,
                view: UserView {
                    name: user.name,
                    role: user.role,
                },
            }),
            known => {
                tracing::warn!(account = %logged_account(&account, known.is_some()), %address, "sign-in failed");
                Err(ConfigError::Unauthenticated(SIGN_IN_FAILED.into()))
            }
        }
    }

    /// Lifts the sign-in lock of user `name`: failures so far no longer count.
    pub async fn unlock(&self, name: &str) -> Result<(), ConfigError> {
        if store::unlock(&self.pool, name).await.map_err(db)? {
            Ok(())
        } else {
            Err(ConfigError::NotFound(format!("user {name}")))
        }
    }

    /// Creates or updates the database role bots log in as (see `store::roles`); true when
    /// it was created.
    pub async fn bot_role(&self, name: &str, password: &str) -> Result<bool, ConfigError> {
        let mut errors = FieldErrors::default();
        errors.take(check_role_name(name));
        errors.take(check_password(password));
        errors.finish(|| ())?;
        crate::store::roles::ensure_bot_role(&self.pool, name, password)
            .await
            .map_err(db)
    }

    /// The latest sign-in attempts, newest first (of one account, when named).
    pub async fn sign_in_attempts(
        &self,
        account: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SignInAttempt>, ConfigError> {
        store::sign_in_attempts(&self.pool, account, i64::from(limit))
            .await
            .map_err(db)
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

    /// Every user, with when their lock ends if they are locked.
    pub async fn users(&self) -> Result<Vec<UserInfo>, ConfigError> {
        let window = Duration::minutes(LOGIN_WINDOW_MINUTES);
        let mut users = store::list_users(&self.pool).await.map_err(db)?;
        let failing =
            store::failing_accounts(&self.pool, Utc::now() - window, ACCOUNT_FAILURES_ALLOWED)
                .await
                .map_err(db)?;
        for user in &mut users {
            user.locked_until = failing
                .iter()
                .find(|(account, _)| *account == user.name)
                .map(|(_, first)| *first + window);
        }
        Ok(users)
    }

    /// Creates a token and returns it: the only time it is shown.
    pub async fn create_token(
        &self,
        name: &str,
        scope: Scope,
        expires_in_days: Option<u32>,
        created_by: &str,
    ) -> Result<String, ConfigError> {
        self.create_token_with(name, scope, expires_in_days, false, created_by)
            .await
    }

    /// Creates a token that may also read secret settings when `reads_secrets`.
    pub async fn create_token_with(
        &self,
        name: &str,
        scope: Scope,
        expires_in_days: Option<u32>,
        reads_secrets: bool,
        created_by: &str,
    ) -> Result<String, ConfigError> {
        let mut errors = FieldErrors::default();
        errors.take(check_token_name(name));
        if let Some(days) = expires_in_days {
            errors.take(check_token_days(days));
        }
        errors.finish(|| ())?;
        let token = format!("bcfg_{}", random_secret()?);
        let expires_at = expires_in_days.map(|d| Utc::now() + Duration::days(i64::from(d)));
        store::create_token(
            &self.pool,
            name,
            scope,
            &store::digest(&token),
            created_by,
            expires_at,
            reads_secrets,
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
            self.tokens_changed().await;
            Ok(())
        } else {
            Err(ConfigError::NotFound(format!("live token {name}")))
        }
    }
}

/// A real argon2id hash, verified against when the name does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password_auth::generate_hash("no user has this password"));
