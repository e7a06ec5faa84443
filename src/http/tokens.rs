//! The API's bearer tokens: who a token stands for, asked of the database, and what this
//! server verified before, for when the database cannot be asked.

use super::caller::ApiCaller;
use super::error::refusal;
use crate::domain::ConfigError;
use crate::service::ConfigService;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a token check may wait for the database before the remembered verdict is used.
const TOKEN_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Tokens this server has verified, by hash, with their expiry. While the database answers,
/// every request is checked there, so a revocation takes effect at once. When it cannot be
/// asked (an outage), a token verified before keeps reading until it expires, so bots get
/// the cached answers marked stale, as the staleness bound promises, instead of errors.
#[derive(Clone, Default)]
pub struct VerifiedTokens(Arc<Mutex<HashMap<String, Verified>>>);

type Verified = (ApiCaller, Option<chrono::DateTime<chrono::Utc>>);

impl VerifiedTokens {
    fn remember(&self, hash: &str, verified: Verified) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hash.to_owned(), verified);
    }

    fn forget(&self, hash: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
    }

    /// The caller of a token verified before, unless it has expired since.
    fn recall(&self, hash: &str) -> Option<ApiCaller> {
        let remembered = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (caller, expires_at) = remembered.get(hash)?;
        expires_at
            .is_none_or(|at| at > chrono::Utc::now())
            .then(|| caller.clone())
    }
}

/// The caller a token stands for: asked of the database, or, while it cannot answer, what
/// this server verified before. `Err` is the refusal to send.
pub(super) async fn token_caller(
    service: &ConfigService,
    verified: &VerifiedTokens,
    token: &str,
) -> Result<ApiCaller, Response> {
    let hash = crate::store::accounts::digest(token);
    // Known unreachable (the cache cannot vouch): do not wait for it.
    if service.staleness().is_some() {
        if let Some(caller) = verified.recall(&hash) {
            return Ok(caller);
        }
    }
    let accounts = service.accounts();
    let checked = tokio::time::timeout(TOKEN_CHECK_TIMEOUT, accounts.authenticate_token(token))
        .await
        .unwrap_or_else(|_| {
            Err(ConfigError::Unavailable(
                "the token could not be checked in time".into(),
            ))
        });
    match checked {
        Ok(Some(token)) => {
            let expires_at = token.expires_at;
            let caller = ApiCaller {
                name: format!("token:{}", token.name),
                scope: token.scope,
                reads_secrets: token.reads_secrets,
            };
            verified.remember(&hash, (caller.clone(), expires_at));
            Ok(caller)
        }
        Ok(None) => {
            verified.forget(&hash);
            Err(refusal(
                StatusCode::UNAUTHORIZED,
                "this token is unknown, revoked or expired",
            ))
        }
        Err(ConfigError::Unavailable(message)) => verified
            .recall(&hash)
            .ok_or_else(|| refusal(StatusCode::SERVICE_UNAVAILABLE, &message)),
        Err(e) => Err(refusal(super::status_of(&e), &e.to_string())),
    }
}
