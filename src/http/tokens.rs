//! The API's bearer tokens: what a token grants, from the cache like any configuration
//! read, and what this server verified before, for when the database cannot be asked.

use super::caller::ApiCaller;
use super::error::refusal;
use crate::domain::auth::LiveToken;
use crate::domain::ConfigError;
use crate::service::ConfigService;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long a token check may wait for the database before the remembered verdict is used.
const TOKEN_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Grants this server has verified, by token hash. A cached grant answers a request with
/// no database work, and any change to the tokens table drops it (as a notification,
/// within the staleness bound). When the database cannot be asked and the cached grant has
/// expired from the cache (an outage longer than its TTL), a token verified before keeps
/// reading until the token itself expires, so bots get the cached answers marked stale,
/// as the staleness bound promises, instead of errors.
#[derive(Clone, Default)]
pub struct VerifiedTokens(Arc<RwLock<HashMap<String, Arc<LiveToken>>>>);

impl VerifiedTokens {
    /// Remembers `grant`; a write only when it is new (the hit path takes a read lock).
    fn remember(&self, hash: &str, grant: &Arc<LiveToken>) {
        let known = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
            .is_some_and(|g| Arc::ptr_eq(g, grant) || **g == **grant);
        if !known {
            self.0
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(hash.to_owned(), grant.clone());
        }
    }

    fn forget(&self, hash: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
    }

    /// The grant of a token verified before, unless it has expired since.
    fn recall(&self, hash: &str) -> Option<Arc<LiveToken>> {
        let remembered = self.0.read().unwrap_or_else(|e| e.into_inner());
        let grant = remembered.get(hash)?;
        grant.is_live_at(chrono::Utc::now()).then(|| grant.clone())
    }
}

fn caller_of(grant: &LiveToken) -> ApiCaller {
    ApiCaller {
        name: format!("token:{}", grant.name),
        scope: grant.scope,
        reads_secrets: grant.reads_secrets,
    }
}

/// The caller a token stands for: its cached grant, or, while the database cannot answer,
/// what this server verified before. `Err` is the refusal to send.
pub(super) async fn token_caller(
    service: &ConfigService,
    verified: &VerifiedTokens,
    token: &str,
) -> Result<ApiCaller, Response> {
    let hash = crate::store::accounts::digest(token);
    // Known unreachable: a token verified before need not wait for a load to time out.
    if service.staleness().is_some() {
        if let Some(grant) = verified.recall(&hash) {
            return Ok(caller_of(&grant));
        }
    }
    let checked = tokio::time::timeout(TOKEN_CHECK_TIMEOUT, service.token_grant(token))
        .await
        .unwrap_or_else(|_| {
            Err(ConfigError::Unavailable(
                "the token could not be checked in time".into(),
            ))
        });
    match checked {
        Ok(grant) => {
            verified.remember(&hash, &grant);
            Ok(caller_of(&grant))
        }
        Err(ConfigError::NotFound(_)) => {
            verified.forget(&hash);
            Err(refusal(
                StatusCode::UNAUTHORIZED,
                "this token is unknown, revoked or expired",
            ))
        }
        Err(ConfigError::Unavailable(message)) => verified
            .recall(&hash)
            .map(|grant| caller_of(&grant))
            .ok_or_else(|| refusal(StatusCode::SERVICE_UNAVAILABLE, &message)),
        Err(e) => Err(refusal(super::status_of(&e), &e.to_string())),
    }
}
