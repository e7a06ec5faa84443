//! The console's server-side sessions: what a session holds, the user it stands for, and
//! the sign-in page's address.

use super::caller::CurrentUser;
use super::paths::LOGIN_PATH;
use super::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// Session data keys.
pub const USER_ID: &str = crate::store::accounts::SESSION_USER_ID;
pub const SIGNED_IN_AT: &str = "signed_in_at";
/// The minute a session was last used in: changing it saves the session, which moves its
/// idle expiry on, at most one write a minute however busy the session is.
pub const SEEN_MINUTE: &str = "seen_minute";

/// The cookie that marks a browser its user signed in from before (see
/// `service::accounts::refused_until`): random, kept as a digest in the sign-in record.
pub const DEVICE_COOKIE: &str = "botconfig_device";

/// The session's user, if it is signed in, within its absolute lifetime, and still enabled.
pub async fn session_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, Response> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "session store failed");
        (StatusCode::SERVICE_UNAVAILABLE, "sessions are unavailable").into_response()
    };
    let id: Option<i64> = session.get(USER_ID).await.map_err(|e| internal(&e))?;
    let Some(id) = id else {
        return Ok(None);
    };
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT)
        .await
        .map_err(|e| internal(&e))?
        .unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    if now - signed_in_at > state.access.session_max.as_secs() as i64 {
        session.flush().await.map_err(|e| internal(&e))?;
        return Ok(None);
    }
    let seen: Option<i64> = session.get(SEEN_MINUTE).await.map_err(|e| internal(&e))?;
    if seen != Some(now / 60) {
        session
            .insert(SEEN_MINUTE, now / 60)
            .await
            .map_err(|e| internal(&e))?;
    }
    match state.service.accounts().session_user(id).await {
        Ok(Some(view)) => Ok(Some(CurrentUser { id, view })),
        Ok(None) => {
            session.flush().await.map_err(|e| internal(&e))?;
            Ok(None)
        }
        Err(e) => Err(internal(&e)),
    }
}

/// The sign-in page with `params` in its query, each value percent-encoded ("/" kept, so
/// `next=/system` reads as it is).
pub fn login_url(params: &[(&str, &str)]) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    let query = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{LOGIN_PATH}?{query}")
}
