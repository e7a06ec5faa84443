//! Signing in and out of the console, and who is signed in.
//!
//! The sign-in and sign-out forms are plain HTML posts answered with a redirect, so the
//! whole page (and with it the signed-in user) is rendered afresh either way, with or
//! without the WASM bundle.

use crate::domain::auth::{Role, UserView};
use crate::domain::ConfigError;
use crate::web::components::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub use crate::http::paths::SIGN_IN_PATH;

/// Only a path on this console, never another site (see `local_redirect`).
fn local_path(next: Option<&str>) -> String {
    next.and_then(crate::domain::auth::local_redirect)
        .unwrap_or("/")
        .to_owned()
}

/// Signs in and returns to `next`; a failure returns to the sign-in page with the reason,
/// which never says whether the name or the password was wrong.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    name: String,
    password: String,
    next: Option<String>,
) -> Result<(), ConfigError> {
    use crate::http::session::{DEVICE_COOKIE, SIGNED_IN_AT, USER_ID};
    use axum::http::{header, HeaderMap, HeaderValue};
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|e| ConfigError::Internal(format!("no session: {e}")))?;
    let state = crate::web::app_state()?;
    let policy = &state.access;
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let address = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|c| crate::address::limit_key(policy.trusted_proxies.client(c.0.ip(), &headers)))
        .unwrap_or_else(|_| "unknown".into());
    // A browser without a device cookie gets one now, so that the attempt is recorded
    // under it: if it succeeds, this browser is known from then on.
    let (device, new_device) = match cookie(&headers, DEVICE_COOKIE) {
        Some(device) => (device, false),
        None => (crate::service::accounts::random_secret()?, true),
    };
    let accounts = state.service.accounts();
    let next = local_path(next.as_deref());
    let device_digest = crate::store::accounts::digest(&device);
    match accounts
        .sign_in_from(&name, &password, &address, Some(&device_digest))
        .await
    {
        Ok(user) => {
            let store_failed = |e: tower_sessions::session::Error| {
                ConfigError::Unavailable(format!("sessions: {e}"))
            };
            // A new id at sign-in: an id planted before it is worth nothing after.
            session.cycle_id().await.map_err(store_failed)?;
            session
                .insert(USER_ID, user.id)
                .await
                .map_err(store_failed)?;
            let now = chrono::Utc::now().timestamp();
            session
                .insert(SIGNED_IN_AT, now)
                .await
                .map_err(store_failed)?;
            if new_device {
                // Known from now on: others' failures do not lock this browser out.
                let value = format!(
                    "{DEVICE_COOKIE}={device}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
                    crate::service::accounts::TRUSTED_SOURCE_DAYS * 86_400,
                    if policy.secure_cookies {
                        "; Secure"
                    } else {
                        ""
                    }
                );
                if let (Some(response), Ok(value)) = (
                    use_context::<leptos_axum::ResponseOptions>(),
                    HeaderValue::from_str(&value),
                ) {
                    response.append_header(header::SET_COOKIE, value);
                }
            }
            tracing::info!(user = %user.view.name, %address, "signed in");
            leptos_axum::redirect(&next);
        }
        Err(error) => {
            let page =
                crate::http::session::login_url(&[("error", &error.to_string()), ("next", &next)]);
            leptos_axum::redirect(&page);
        }
    }
    Ok(())
}

/// The value of cookie `name` in the request's `Cookie` headers.
#[cfg(feature = "ssr")]
fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Ends this session.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ConfigError> {
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|e| ConfigError::Internal(format!("no session: {e}")))?;
    session
        .flush()
        .await
        .map_err(|e| ConfigError::Unavailable(format!("sessions: {e}")))?;
    leptos_axum::redirect(crate::http::paths::LOGIN_PATH);
    Ok(())
}

/// Ends every session of the signed-in user, on every browser.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), ConfigError> {
    let user = crate::web::current_user()?;
    let ended = crate::web::context_service()?
        .accounts()
        .sign_out_everywhere(user.id)
        .await?;
    tracing::info!(user = %user.view.name, ended, "signed out everywhere");
    leptos_axum::redirect(crate::http::paths::LOGIN_PATH);
    Ok(())
}

/// The signed-in user of the page being rendered; on the client, what the server said.
pub fn signed_in_user() -> Option<UserView> {
    #[cfg(feature = "ssr")]
    {
        crate::web::current_user().ok().map(|u| u.view)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Whether the signed-in user's role allows `needed` (for hiding what they may not do;
/// the server checks again).
pub fn allowed(needed: Role) -> bool {
    use_context::<Option<UserView>>()
        .flatten()
        .is_some_and(|u| u.role.allows(needed))
}

/// Shows its children only to a role that allows `role`.
#[component]
pub fn Can(role: Role, children: ChildrenFn) -> impl IntoView {
    allowed(role).then(|| children())
}

/// Who is signed in, with sign-out buttons.
#[component]
pub fn UserMenu() -> impl IntoView {
    let user = use_context::<Option<UserView>>().flatten();
    user.map(|user| {
        view! {
            <div class="user-menu">
                <span>"Signed in as " <strong>{user.name.clone()}</strong> " (" {user.role.as_str()} ")"</span>
                <form method="post" action=crate::http::paths::SIGN_OUT_PATH>
                    <button type="submit">"Sign out"</button>
                </form>
                <form method="post" action=crate::http::paths::SIGN_OUT_EVERYWHERE_PATH>
                    <button type="submit" class="secondary">"Sign out everywhere"</button>
                </form>
            </div>
        }
    })
}

/// `/login`: the sign-in form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error");
    let next = move || local_path(query.read().get("next").as_deref());
    view! {
        <PageTitle text="Sign in"/>
        <section class="login">
            <h1>"Sign in"</h1>
            {move || error().map(|message| view! {
                <div class="note error" role="alert">
                    <strong>"Sign-in failed"</strong> " " <span>{message}</span>
                </div>
            })}
            <form method="post" action=SIGN_IN_PATH>
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="login-name">"User name"</label>
                    <input id="login-name" name="name" type="text" autocomplete="username" required/>
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required/>
                </div>
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}
