//! What every integration test shares: the test database's URL (from `DATABASE_URL`, never
//! hard-coded), symbols, managers set up as the server sets them up, the real `botconfig`
//! binary, and polling with a deadline.
#![allow(dead_code)]

use botconfig::cache::{CacheSettings, ConfigManager};
use botconfig::domain::pair::Symbol;
use botconfig::store::DatabaseSettings;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};
use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The URL of the database `pool` (made by `#[sqlx::test]`), on the server `DATABASE_URL`
/// names, optionally through another port (a proxy).
pub fn database_url(pool: &PgPool, port: Option<u16>) -> String {
    let name = pool
        .connect_options()
        .get_database()
        .expect("a test database")
        .to_owned();
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test server");
    let mut options = PgConnectOptions::from_str(&server)
        .expect("DATABASE_URL parses")
        .database(&name);
    if let Some(port) = port {
        options = options.host("127.0.0.1").port(port);
    }
    options.to_url_lossy().to_string()
}

/// A parsed symbol.
pub fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// A manager over `pool` with the default settings, not listening.
pub fn manager(pool: &PgPool) -> ConfigManager {
    ConfigManager::new(pool.clone(), CacheSettings::default())
}

/// The test server's address, for a proxy to forward to.
pub fn server_addr() -> std::net::SocketAddr {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test server");
    let options = PgConnectOptions::from_str(&server).expect("DATABASE_URL parses");
    let host = match options.get_host() {
        "localhost" => "127.0.0.1",
        other => other,
    };
    format!("{host}:{}", options.get_port())
        .parse()
        .expect("DATABASE_URL names a TCP host")
}

/// A manager set up as `botconfig serve` sets it up: its own pool with the production
/// timeouts, listening, the staleness bound enforced.
pub async fn serving_manager(
    url: &str,
    cache: CacheSettings,
) -> (ConfigManager, botconfig::cache::ListenerHandle) {
    let pool = botconfig::store::connect(&DatabaseSettings::new(url))
        .await
        .expect("connect");
    let manager = ConfigManager::new(pool, cache);
    let listener = manager.listen().await.expect("listen");
    (manager, listener)
}

/// Polls `check` until it holds or `deadline` passes: for effects that cross a connection.
pub async fn eventually<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    check().await
}

/// The database's current revision.
pub async fn revision(pool: &PgPool) -> u64 {
    let r: i64 = sqlx::query_scalar("SELECT revision FROM botconfig_revision")
        .fetch_one(pool)
        .await
        .unwrap();
    r as u64
}

/// Waits until `manager` has applied every change committed so far.
pub async fn caught_up(manager: &ConfigManager, pool: &PgPool) {
    let target = revision(pool).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            manager.stats().await.applied_revision >= target
        })
        .await,
        "the manager never applied revision {target}"
    );
}

/// A setting's stored text, read straight from the table.
pub async fn setting(pool: &PgPool, key: &str) -> String {
    sqlx::query_scalar("SELECT config_value FROM system_config WHERE config_key = $1")
        .bind(key)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The real `botconfig` binary, pointed at the database `pool`.
pub fn botconfig(pool: &PgPool) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("botconfig").expect("binary");
    cmd.env("DATABASE_URL", database_url(pool, None))
        .env("RUST_LOG", "warn");
    cmd
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The console's address in the in-process router's requests.
pub const CONSOLE: &str = "127.0.0.1:3000";

/// A password the test users share.
pub const PASSWORD: &str = "a long test password";

/// The real router (console, server functions and API) over `pool`, called in-process,
/// with an admin signed in through the real sign-in form and an admin API token: `send`
/// presents them unless the request brings its own (or says `x-test-anonymous`).
pub struct TestApp {
    pub router: axum::Router,
    pub cookie: String,
    pub token: String,
}

/// Creates user `name` with `role` and signs in through the sign-in endpoint: the session
/// cookie.
pub async fn sign_in_as(
    router: &axum::Router,
    pool: &PgPool,
    name: &str,
    role: botconfig::domain::auth::Role,
) -> String {
    let accounts = botconfig::service::accounts::AccountService::new(pool.clone());
    accounts.add_user(name, role, PASSWORD).await.unwrap();
    session_cookie(router, name, PASSWORD)
        .await
        .expect("signed in")
}

/// Signs in with `name` and `password`: the session cookie, or the page it was sent to.
pub async fn session_cookie(
    router: &axum::Router,
    name: &str,
    password: &str,
) -> Result<String, String> {
    use tower::ServiceExt;
    let body = format!(
        "name={name}&password={}&next=%2F",
        password.replace(' ', "+")
    );
    let request = axum::http::Request::post(botconfig::web::auth::SIGN_IN_PATH)
        .header(axum::http::header::HOST, CONSOLE)
        .header(axum::http::header::ORIGIN, format!("http://{CONSOLE}"))
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let location = response
        .headers()
        .get(axum::http::header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let session = response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("botconfig_session="));
    match session {
        Some(cookie) if location == "/" => Ok(cookie),
        _ => Err(location),
    }
}

/// The real router over `pool`, with an admin session and an admin token.
pub async fn console(pool: &PgPool) -> (TestApp, ConfigManager) {
    let (router, manager) = router(pool);
    let cookie = sign_in_as(
        &router,
        pool,
        "root-admin",
        botconfig::domain::auth::Role::Admin,
    )
    .await;
    let token = api_token(pool, "test-admin", botconfig::domain::auth::Scope::Admin).await;
    (
        TestApp {
            router,
            cookie,
            token,
        },
        manager,
    )
}

/// The real router over `pool`, nobody signed in.
pub fn router(pool: &PgPool) -> (axum::Router, ConfigManager) {
    router_with(pool, botconfig::access::AccessPolicy::default())
}

/// The real router over `pool` with the given session and token policy.
pub fn router_with(
    pool: &PgPool,
    access: botconfig::access::AccessPolicy,
) -> (axum::Router, ConfigManager) {
    let manager = ConfigManager::new(pool.clone(), CacheSettings::default());
    (router_over(&manager, access), manager)
}

/// The real router over `manager` (one set up as the server sets it up, say).
pub fn router_over(
    manager: &ConfigManager,
    access: botconfig::access::AccessPolicy,
) -> axum::Router {
    let listen: std::net::SocketAddr = CONSOLE.parse().unwrap();
    let options = leptos::config::LeptosOptions::builder()
        .output_name("botconfig")
        .site_addr(listen)
        .build();
    botconfig::server::router(
        botconfig::service::ConfigService::new(manager.clone()),
        options,
        botconfig::guard::RequestPolicy::new(listen, &[]),
        access,
    )
}

/// A new API token.
pub async fn api_token(pool: &PgPool, name: &str, scope: botconfig::domain::auth::Scope) -> String {
    botconfig::service::accounts::AccountService::new(pool.clone())
        .create_token(name, scope, None, "test")
        .await
        .unwrap()
}

/// Sends `request` to `app` in-process (as its admin, see `TestApp`): status and body.
pub async fn send(
    app: &TestApp,
    mut request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, String) {
    use axum::http::header;
    use tower::ServiceExt;
    let headers = request.headers_mut();
    if headers.remove("x-test-anonymous").is_none()
        && !headers.contains_key(header::AUTHORIZATION)
        && !headers.contains_key(header::COOKIE)
    {
        headers.insert(header::COOKIE, app.cookie.parse().unwrap());
    }
    let is_api = request.uri().path().starts_with("/api/v1/");
    let headers = request.headers_mut();
    if is_api
        && !headers.contains_key(header::AUTHORIZATION)
        && headers.contains_key(header::COOKIE)
    {
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token).parse().unwrap(),
        );
    }
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The newest recorded change's actor and source.
pub async fn latest_change(pool: &PgPool) -> (String, String) {
    sqlx::query_as("SELECT actor, source FROM config_changes ORDER BY id DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}
