//! What every integration test shares: the test database's URL (from `DATABASE_URL`, never
//! hard-coded), symbols, managers set up as the server sets them up, the real `botconfig`
//! binary, and polling with a deadline.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
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

/// The real router (console, server functions and API) over a test database, called
/// in-process, with its table of routes, an admin signed in through the real sign-in form
/// and a token of each scope. Every request names who sends it: `app.admin()`,
/// `app.viewer().await`, `app.token(Scope::Read)`, `app.anonymous()`.
#[derive(Clone)]
pub struct TestApp {
    pub router: axum::Router,
    pub routes: Vec<botconfig::http::RouteInfo>,
    pub pool: PgPool,
    admin_cookie: String,
    tokens: Vec<(botconfig::domain::auth::Scope, String)>,
}

/// Who sends a request: the session cookie and the token it presents, if any.
#[derive(Clone)]
pub struct Caller {
    router: axum::Router,
    cookie: Option<String>,
    token: Option<String>,
}

impl TestApp {
    /// The admin: signed in to the console, and holding an admin token for the API.
    pub fn admin(&self) -> Caller {
        Caller {
            router: self.router.clone(),
            cookie: Some(self.admin_cookie.clone()),
            token: Some(self.token_of(botconfig::domain::auth::Scope::Admin)),
        }
    }

    /// Nobody: no session, no token.
    pub fn anonymous(&self) -> Caller {
        Caller::on(&self.router)
    }

    /// A tool holding a token of `scope`.
    pub fn token(&self, scope: botconfig::domain::auth::Scope) -> Caller {
        self.bearer(&self.token_of(scope))
    }

    /// A tool presenting `token` (revoked, expired, made by the test).
    pub fn bearer(&self, token: &str) -> Caller {
        Caller::on(&self.router).with_token(token)
    }

    /// A browser presenting the session `cookie`.
    pub fn session(&self, cookie: &str) -> Caller {
        Caller::on(&self.router).with_cookie(cookie)
    }

    /// A viewer, signed in now (user "viewer", made on first use).
    pub async fn viewer(&self) -> Caller {
        self.signed_in("viewer", botconfig::domain::auth::Role::Viewer)
            .await
    }

    /// An editor, signed in now (user "editor", made on first use).
    pub async fn editor(&self) -> Caller {
        self.signed_in("editor", botconfig::domain::auth::Role::Editor)
            .await
    }

    /// The token of `scope` the app was made with.
    pub fn token_of(&self, scope: botconfig::domain::auth::Scope) -> String {
        self.tokens
            .iter()
            .find(|(s, _)| *s == scope)
            .map(|(_, token)| token.clone())
            .expect("a token of every scope")
    }

    /// The same callers against another router (one over a stopped database, say).
    pub fn with_router(&self, router: axum::Router) -> TestApp {
        TestApp {
            router,
            ..self.clone()
        }
    }

    /// User `name` with `role`, signed in now in a new session (made on first use).
    pub async fn signed_in(&self, name: &str, role: botconfig::domain::auth::Role) -> Caller {
        self.session(&sign_in_made(&self.router, &self.pool, name, role).await)
    }
}

impl Caller {
    /// Nobody, on `router` (one a test made over its own manager).
    pub fn on(router: &axum::Router) -> Caller {
        Caller {
            router: router.clone(),
            cookie: None,
            token: None,
        }
    }

    /// The same caller, presenting `token`.
    pub fn with_token(mut self, token: &str) -> Caller {
        self.token = Some(token.to_owned());
        self
    }

    /// The same caller, presenting the cookies `cookie` (`name=value; …`).
    pub fn with_cookie(mut self, cookie: &str) -> Caller {
        self.cookie = Some(cookie.to_owned());
        self
    }

    /// `request` as this caller sends it: status and body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.respond(request).await;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 4 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// `request` as this caller sends it: the whole response.
    pub async fn respond(&self, mut request: Request<Body>) -> axum::response::Response {
        use tower::ServiceExt;
        let headers = request.headers_mut();
        assert!(
            !headers.contains_key(header::COOKIE) && !headers.contains_key(header::AUTHORIZATION),
            "the caller brings the credentials, not the request"
        );
        if let Some(cookie) = &self.cookie {
            headers.insert(header::COOKIE, cookie.parse().unwrap());
        }
        if let Some(token) = &self.token {
            headers.insert(
                header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            );
        }
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// A GET of `path`.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        self.send(get(path)).await
    }
}

/// A request to the console's address, for the headers a test adds.
pub fn request(method: Method, path: &str) -> axum::http::request::Builder {
    request_to(CONSOLE, method, path)
}

/// A request naming `host` (a foreign name, another spelling of this one).
pub fn request_to(host: &str, method: Method, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host)
}

/// A GET of `path`.
pub fn get(path: &str) -> Request<Body> {
    request(Method::GET, path).body(Body::empty()).unwrap()
}

/// A form POST from the console's own page.
pub fn form(path: &str, body: &str) -> Request<Body> {
    request(Method::POST, path)
        .header(header::ORIGIN, format!("http://{CONSOLE}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A JSON request from a tool (with the console's Origin, as a browser would send it).
pub fn json(method: Method, path: &str, body: impl Into<String>) -> Request<Body> {
    request(method, path)
        .header(header::ORIGIN, format!("http://{CONSOLE}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.into()))
        .unwrap()
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

/// Signs in as user `name` with `role`, made first if there is none: the session cookie.
pub async fn sign_in_made(
    router: &axum::Router,
    pool: &PgPool,
    name: &str,
    role: botconfig::domain::auth::Role,
) -> String {
    let accounts = botconfig::service::accounts::AccountService::new(pool.clone());
    let users = accounts.users().await.unwrap();
    if !users.iter().any(|u| u.name == name) {
        accounts.add_user(name, role, PASSWORD).await.unwrap();
    }
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
    let body = format!(
        "name={name}&password={}&next=%2F",
        password.replace(' ', "+")
    );
    let response = Caller::on(router)
        .respond(form(botconfig::web::auth::SIGN_IN_PATH, &body))
        .await;
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

/// The real router over `pool`, with an admin session and a token of each scope.
pub async fn console(pool: &PgPool) -> (TestApp, ConfigManager) {
    console_with(pool, botconfig::http::AccessPolicy::default()).await
}

/// The real router over `pool` with the given session and token policy, as `console`.
pub async fn console_with(
    pool: &PgPool,
    access: botconfig::http::AccessPolicy,
) -> (TestApp, ConfigManager) {
    use botconfig::domain::auth::{Role, Scope};
    let manager = ConfigManager::new(pool.clone(), CacheSettings::default());
    let (router, routes) = routes_over(&manager, access);
    let admin_cookie = sign_in_made(&router, pool, "root-admin", Role::Admin).await;
    let mut tokens = Vec::new();
    for scope in [Scope::Read, Scope::Write, Scope::Admin] {
        // Numbered: a second app over the same database makes its own.
        let name = format!("test-{scope}-{}", tokens_made(pool).await);
        tokens.push((scope, api_token(pool, &name, scope).await));
    }
    let app = TestApp {
        router,
        routes,
        pool: pool.clone(),
        admin_cookie,
        tokens,
    };
    (app, manager)
}

/// The real router over `pool`, nobody signed in.
pub fn router(pool: &PgPool) -> (axum::Router, ConfigManager) {
    router_with(pool, botconfig::http::AccessPolicy::default())
}

/// The real router over `pool` with the given session and token policy.
pub fn router_with(
    pool: &PgPool,
    access: botconfig::http::AccessPolicy,
) -> (axum::Router, ConfigManager) {
    let manager = ConfigManager::new(pool.clone(), CacheSettings::default());
    (router_over(&manager, access), manager)
}

/// The real router over `manager` (one set up as the server sets it up, say).
pub fn router_over(manager: &ConfigManager, access: botconfig::http::AccessPolicy) -> axum::Router {
    routes_over(manager, access).0
}

/// The real router over `manager`, and the table of its routes.
pub fn routes_over(
    manager: &ConfigManager,
    access: botconfig::http::AccessPolicy,
) -> (axum::Router, Vec<botconfig::http::RouteInfo>) {
    let listen: std::net::SocketAddr = CONSOLE.parse().unwrap();
    let options = leptos::config::LeptosOptions::builder()
        .output_name("botconfig")
        .site_addr(listen)
        .build();
    botconfig::server::routes(
        botconfig::service::ConfigService::new(manager.clone()),
        options,
        botconfig::guard::RequestPolicy::new(listen, &[]),
        access,
    )
}

async fn tokens_made(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A new API token.
pub async fn api_token(pool: &PgPool, name: &str, scope: botconfig::domain::auth::Scope) -> String {
    botconfig::service::accounts::AccountService::new(pool.clone())
        .create_token(name, scope, None, "test")
        .await
        .unwrap()
}

/// The newest recorded change's actor and source.
pub async fn latest_change(pool: &PgPool) -> (String, String) {
    sqlx::query_as("SELECT actor, source FROM config_changes ORDER BY id DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}
