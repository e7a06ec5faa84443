//! Users, API tokens, failed sign-ins, and the console's sessions (a `tower_sessions`
//! store over this pool).

use super::{StoreError, StoreResult};
pub use crate::domain::auth::LiveToken;
use crate::domain::auth::{Role, Scope, SignInAttempt, TokenInfo, UserInfo};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::str::FromStr;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A user with what signing in checks.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
}

fn role(text: &str) -> StoreResult<Role> {
    Role::from_str(text).map_err(|e| StoreError::corrupt("user role", e.message))
}

fn scope(text: &str) -> StoreResult<Scope> {
    Scope::from_str(text).map_err(|e| StoreError::corrupt("token scope", e.message))
}

/// SHA-256 of `secret`, hex: how tokens and session ids are kept.
pub fn digest(secret: &str) -> String {
    digest_bytes(secret.as_bytes())
}

/// SHA-256 of `bytes`, hex.
pub fn digest_bytes(bytes: &[u8]) -> String {
    // Every API request hashes its token: no formatting machinery per byte.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

pub async fn count_users(pool: &PgPool) -> StoreResult<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#)
        .fetch_one(pool)
        .await?)
}

struct UserRow {
    id: i64,
    name: String,
    role: String,
    password_hash: String,
    disabled: bool,
}

impl TryFrom<UserRow> for StoredUser {
    type Error = StoreError;
    fn try_from(r: UserRow) -> StoreResult<Self> {
        Ok(StoredUser {
            id: r.id,
            role: role(&r.role)?,
            name: r.name,
            password_hash: r.password_hash,
            disabled: r.disabled,
        })
    }
}

pub async fn user_by_name(pool: &PgPool, name: &str) -> StoreResult<Option<StoredUser>> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, name, role, password_hash, disabled FROM users WHERE name = $1",
        name
    )
    .fetch_optional(pool)
    .await?
    .map(StoredUser::try_from)
    .transpose()
}

pub async fn user_by_id(pool: &PgPool, id: i64) -> StoreResult<Option<StoredUser>> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, name, role, password_hash, disabled FROM users WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .map(StoredUser::try_from)
    .transpose()
}

pub async fn list_users(pool: &PgPool) -> StoreResult<Vec<UserInfo>> {
    sqlx::query!("SELECT id, name, role, disabled, created_at FROM users ORDER BY name")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(UserInfo {
                id: r.id,
                role: role(&r.role)?,
                name: r.name,
                disabled: r.disabled,
                created_at: r.created_at,
                locked_until: None,
            })
        })
        .collect()
}

/// Creates a user; a taken name is a unique violation.
pub async fn create_user(
    pool: &PgPool,
    name: &str,
    role: Role,
    password_hash: &str,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
        name,
        role.as_str(),
        password_hash
    )
    .fetch_one(pool)
    .await?)
}

/// Sets a user's password and signs them out everywhere; false when there is no such user.
pub async fn set_password(pool: &PgPool, name: &str, password_hash: &str) -> StoreResult<bool> {
    let id = sqlx::query_scalar!(
        "WITH changed AS (UPDATE users SET password_hash = $2, password_changed_at = now() WHERE name = $1 RETURNING id), \
              ended AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM changed)) \
         SELECT id AS \"id!\" FROM changed",
        name,
        password_hash
    )
    .fetch_optional(pool)
    .await?;
    Ok(id.is_some())
}

/// Disables (or enables) a user; disabling signs them out everywhere.
pub async fn set_disabled(pool: &PgPool, name: &str, disabled: bool) -> StoreResult<bool> {
    let id = sqlx::query_scalar!(
        "WITH changed AS (UPDATE users SET disabled = $2 WHERE name = $1 RETURNING id), \
              ended AS (DELETE FROM sessions WHERE $2 AND user_id IN (SELECT id FROM changed)) \
         SELECT id AS \"id!\" FROM changed",
        name,
        disabled
    )
    .fetch_optional(pool)
    .await?;
    Ok(id.is_some())
}

/// Ends every session of a user; returns how many.
pub async fn end_sessions(pool: &PgPool, user_id: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Unfinished and failed sign-ins within a window, counted for one attempt by the sources
/// it could be limited by, with the first of each (a lock lasts from the first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureCount {
    pub count: i64,
    pub first: Option<DateTime<Utc>>,
}

/// What is known of an attempt's account and sources when it is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttemptContext {
    /// Failures of the account (since an admin last unlocked it).
    pub account: FailureCount,
    /// Failures from the address, on any account.
    pub address: FailureCount,
    /// Failures of the account from this browser (its device cookie).
    pub account_device: FailureCount,
    /// Failures of the account from this address.
    pub account_address: FailureCount,
    /// The account signed in from this browser before (within the trust period).
    pub trusted_device: bool,
    /// The account signed in from this address before (within the trust period).
    pub trusted_address: bool,
}

/// Where an attempt comes from.
#[derive(Debug, Clone, Copy)]
pub struct AttemptSource<'a> {
    pub account: &'a str,
    pub address: &'a str,
    /// The digest of the browser's device cookie, when it sent one.
    pub device: Option<&'a str>,
}

/// A counted attempt, or a refusal recorded instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted (as a failure until `finish_attempt` says otherwise); check the password.
    Checking(i64),
    /// Refused without checking, until then.
    Refused(DateTime<Utc>),
}

/// Counts and records a sign-in attempt as one step: under a lock per account and per
/// address (always taken in that order), `decide` sees the failures so far and either
/// refuses (recorded as 'refused') or lets it be checked (recorded as 'checking', and so
/// counted by every attempt after it). Simultaneous attempts are therefore counted one
/// after the other, before any password is verified.
pub async fn begin_attempt(
    pool: &PgPool,
    source: AttemptSource<'_>,
    window_start: DateTime<Utc>,
    trusted_since: DateTime<Utc>,
    decide: impl FnOnce(&AttemptContext) -> Option<DateTime<Utc>>,
) -> StoreResult<Attempt> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('botconfig sign-in account ' || $1, 0)), \
                pg_advisory_xact_lock(hashtextextended('botconfig sign-in address ' || $2, 0))",
        source.account,
        source.address
    )
    .fetch_one(&mut *tx)
    .await?;
    let r = sqlx::query!(
        r#"WITH since AS (
               SELECT greatest($4::timestamptz, coalesce((SELECT unlocked_at FROM users WHERE name = $1), '-infinity')) AS at),
           failures AS (
               SELECT account, address, device, attempted_at FROM sign_in_attempts
               WHERE outcome IN ('checking', 'failed') AND attempted_at >= $4
                 AND (account = $1 OR address = $2))
           SELECT
             (SELECT count(*) FROM failures, since WHERE account = $1 AND attempted_at >= since.at) AS "account!",
             (SELECT min(attempted_at) FROM failures, since WHERE account = $1 AND attempted_at >= since.at) AS account_first,
             (SELECT count(*) FROM failures WHERE address = $2) AS "address!",
             (SELECT min(attempted_at) FROM failures WHERE address = $2) AS address_first,
             (SELECT count(*) FROM failures, since WHERE account = $1 AND device = $3 AND attempted_at >= since.at) AS "account_device!",
             (SELECT min(attempted_at) FROM failures, since WHERE account = $1 AND device = $3 AND attempted_at >= since.at) AS account_device_first,
             (SELECT count(*) FROM failures, since WHERE account = $1 AND address = $2 AND attempted_at >= since.at) AS "account_address!",
             (SELECT min(attempted_at) FROM failures, since WHERE account = $1 AND address = $2 AND attempted_at >= since.at) AS account_address_first,
             EXISTS (SELECT 1 FROM sign_in_attempts WHERE account = $1 AND device = $3
                     AND outcome = 'succeeded' AND attempted_at >= $5) AS "trusted_device!",
             EXISTS (SELECT 1 FROM sign_in_attempts WHERE account = $1 AND address = $2
                     AND outcome = 'succeeded' AND attempted_at >= $5) AS "trusted_address!""#,
        source.account,
        source.address,
        source.device,
        window_start,
        trusted_since
    )
    .fetch_one(&mut *tx)
    .await?;
    let context = AttemptContext {
        account: FailureCount {
            count: r.account,
            first: r.account_first,
        },
        address: FailureCount {
            count: r.address,
            first: r.address_first,
        },
        account_device: FailureCount {
            count: r.account_device,
            first: r.account_device_first,
        },
        account_address: FailureCount {
            count: r.account_address,
            first: r.account_address_first,
        },
        trusted_device: r.trusted_device,
        trusted_address: r.trusted_address,
    };
    let refused_until = decide(&context);
    let id = sqlx::query_scalar!(
        "INSERT INTO sign_in_attempts (account, address, device, outcome) VALUES ($1, $2, $3, $4) RETURNING id",
        source.account,
        source.address,
        source.device,
        if refused_until.is_some() { "refused" } else { "checking" }
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(match refused_until {
        Some(until) => Attempt::Refused(until),
        None => Attempt::Checking(id),
    })
}

/// Records how a checked attempt ended.
pub async fn finish_attempt(pool: &PgPool, id: i64, succeeded: bool) -> StoreResult<()> {
    sqlx::query!(
        "UPDATE sign_in_attempts SET outcome = $2 WHERE id = $1",
        id,
        if succeeded { "succeeded" } else { "failed" }
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The accounts with at least `allowed` failures since `window_start` (and since they were
/// last unlocked), with the first of them.
pub async fn failing_accounts(
    pool: &PgPool,
    window_start: DateTime<Utc>,
    allowed: i64,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    Ok(sqlx::query!(
        r#"SELECT a.account, min(a.attempted_at) AS "first!" FROM sign_in_attempts a
           LEFT JOIN users u ON u.name = a.account
           WHERE a.outcome IN ('checking', 'failed') AND a.attempted_at >= $1
             AND a.attempted_at >= coalesce(u.unlocked_at, '-infinity')
           GROUP BY a.account HAVING count(*) >= $2"#,
        window_start,
        allowed
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.account, r.first))
    .collect())
}

/// Lifts an account's lock: its failures so far no longer count. False for no such user.
pub async fn unlock(pool: &PgPool, name: &str) -> StoreResult<bool> {
    Ok(sqlx::query!(
        "UPDATE users SET unlocked_at = clock_timestamp() WHERE name = $1",
        name
    )
    .execute(pool)
    .await?
    .rows_affected()
        > 0)
}

/// The latest sign-in attempts, newest first (of one account, when named).
pub async fn sign_in_attempts(
    pool: &PgPool,
    account: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<SignInAttempt>> {
    Ok(sqlx::query_as!(
        SignInAttempt,
        "SELECT account, address, attempted_at, outcome \
         FROM sign_in_attempts WHERE ($1::text IS NULL OR account = $1) \
         ORDER BY attempted_at DESC, id DESC LIMIT $2",
        account,
        limit
    )
    .fetch_all(pool)
    .await?)
}

pub async fn create_token(
    pool: &PgPool,
    name: &str,
    scope: Scope,
    token_hash: &str,
    created_by: &str,
    expires_at: Option<DateTime<Utc>>,
    reads_secrets: bool,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO api_tokens (name, scope, token_hash, created_by, expires_at, reads_secrets) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        name,
        scope.as_str(),
        token_hash,
        created_by,
        expires_at,
        reads_secrets
    )
    .fetch_one(pool)
    .await?)
}

pub async fn list_tokens(pool: &PgPool) -> StoreResult<Vec<TokenInfo>> {
    sqlx::query!(
        "SELECT id, name, scope, created_by, created_at, expires_at, revoked_at, last_used_at, reads_secrets \
         FROM api_tokens ORDER BY revoked_at IS NOT NULL, name"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(TokenInfo {
            id: r.id,
            scope: scope(&r.scope)?,
            name: r.name,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
            reads_secrets: r.reads_secrets,
        })
    })
    .collect()
}

/// Revokes the live token called `name`; false when there is none.
pub async fn revoke_token(pool: &PgPool, name: &str) -> StoreResult<bool> {
    Ok(sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
        name
    )
    .execute(pool)
    .await?
    .rows_affected()
        > 0)
}

/// The live token with this hash: its name and scope, noting its use (at most once a minute
/// per token). A server asks when it has no cached verdict for the token (see
/// `cache::reads::api_token`).
pub async fn use_token(pool: &PgPool, token_hash: &str) -> StoreResult<Option<LiveToken>> {
    let row = sqlx::query!(
        r#"WITH live AS (
               SELECT id, name, scope, expires_at, last_used_at, reads_secrets FROM api_tokens
               WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
           noted AS (
               UPDATE api_tokens SET last_used_at = now()
               WHERE id IN (SELECT id FROM live
                            WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
           SELECT name AS "name!", scope AS "scope!", expires_at, reads_secrets AS "reads_secrets!" FROM live"#,
        token_hash
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(LiveToken {
            scope: scope(&r.scope)?,
            name: r.name,
            expires_at: r.expires_at,
            reads_secrets: r.reads_secrets,
        })
    })
    .transpose()
}

/// The console's sessions, in `sessions`. Ids are kept hashed; each record carries the
/// user it belongs to (`user_id` in its data) so a user's sessions can all be ended.
#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Drops expired sessions.
    pub async fn delete_expired(&self) -> StoreResult<u64> {
        Ok(
            sqlx::query!("DELETE FROM sessions WHERE expires_at < now()")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

/// The data key a session keeps its user's id under.
pub const SESSION_USER_ID: &str = "user_id";

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id colliding is vanishingly unlikely; try another if it does.
        loop {
            let data = serde_json::to_value(&record.data).map_err(backend)?;
            let user_id = record.data.get(SESSION_USER_ID).and_then(|v| v.as_i64());
            let inserted = sqlx::query!(
                "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, to_timestamp($4)) \
                 ON CONFLICT (id_hash) DO NOTHING",
                digest(&record.id.to_string()),
                user_id,
                data,
                record.expiry_date.unix_timestamp() as f64
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates the session if it still exists: a session ended meanwhile (signed out
    /// everywhere, a password change, disabled) is never brought back by a request that
    /// was still using it. New sessions go through `create`.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_value(&record.data).map_err(backend)?;
        let user_id = record.data.get(SESSION_USER_ID).and_then(|v| v.as_i64());
        sqlx::query!(
            "UPDATE sessions SET user_id = $2, data = $3, expires_at = to_timestamp($4) WHERE id_hash = $1",
            digest(&record.id.to_string()),
            user_id,
            data,
            record.expiry_date.unix_timestamp() as f64
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            r#"SELECT data, extract(epoch FROM expires_at)::bigint AS "expires!" FROM sessions
               WHERE id_hash = $1 AND expires_at > now()"#,
            digest(&id.to_string())
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data = serde_json::from_value(row.data).map_err(backend)?;
        let expiry_date =
            tower_sessions::cookie::time::OffsetDateTime::from_unix_timestamp(row.expires)
                .map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!(
            "DELETE FROM sessions WHERE id_hash = $1",
            digest(&id.to_string())
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_sha256_in_lower_hex() {
        assert_eq!(
            super::digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
