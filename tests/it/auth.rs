//! Who may do what: sign-in, roles on every server function, API tokens' scopes on every
//! route, the sign-in rate limit, sessions ending, and the security headers.

use crate::helpers::{
    self, console, form, get, json, session_cookie, sign_in_as, Caller, TestApp, PASSWORD,
};
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use botconfig::domain::auth::{Role, Scope};
use botconfig::http::paths::{SIGN_OUT_EVERYWHERE_PATH, SIGN_OUT_PATH};
use botconfig::http::{Requirement, RouteInfo};
use botconfig::service::accounts::{
    AccountService, ACCOUNT_FAILURES_ALLOWED, ADDRESS_FAILURES_ALLOWED, LOGIN_WINDOW_MINUTES,
};
use botconfig::web::pages::pairs::SetPairActive;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

/// An admin token that was revoked.
async fn revoked_token(pool: &PgPool) -> String {
    let token = helpers::api_token(pool, "old", Scope::Admin).await;
    AccountService::new(pool.clone())
        .revoke_token("old")
        .await
        .unwrap();
    token
}

/// A path of `route` to call: each parameter filled with a value that exists.
fn concrete(route: &RouteInfo) -> String {
    if route.path == "*" {
        return "/no-such-page".into();
    }
    route
        .path
        .split('/')
        .map(|segment| match segment {
            "{symbol}" => "BTC%2FUSDT",
            "{base}" => "BTC",
            "{quote}" => "USDT",
            "{strategy}" => "rsi",
            "{key}" => "check_interval",
            "{*file}" => "botconfig.css",
            "{*rest}" => "no-such-route",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The request that calls `route`: API writes an empty JSON object (refused as invalid once
/// past the token check), server functions an empty form.
fn call(route: &RouteInfo) -> axum::http::Request<Body> {
    let path = concrete(route);
    if route.method == Method::GET {
        return get(&path);
    }
    if path.starts_with("/api/v1/") {
        let body = if path.ends_with("/invalidate") {
            r#"{"pattern": "pair:*"}"#
        } else {
            "{}"
        };
        json(route.method.clone(), &path, body)
    } else {
        form(&path, "")
    }
}

/// Whether a caller of `kind` meets `requirement` (a role's own limits are the server
/// function's to check).
fn meets(requirement: Requirement, kind: &str) -> bool {
    match requirement {
        Requirement::Public => true,
        Requirement::SignedIn => matches!(kind, "viewer" | "editor" | "admin"),
        Requirement::Token(needed) => match kind {
            "read token" => Scope::Read.allows(needed),
            "write token" => Scope::Write.allows(needed),
            "admin token" => Scope::Admin.allows(needed),
            _ => false,
        },
        // This app does not open metrics to local callers.
        Requirement::Monitor => kind == "admin token",
    }
}

/// The requirement layer's refusal: 401, 403, or a page's redirect to the sign-in page (a
/// server function that signs out answers 200 and names the sign-in page for the script).
fn refused(status: StatusCode, location: Option<&str>) -> bool {
    status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
        || (status == StatusCode::SEE_OTHER && location.is_some_and(|l| l.starts_with("/login")))
}

/// Every route of the built router, read from the router's own table, called by every kind
/// of caller: the table of statuses is printed, and a route that answers a caller its
/// requirement refuses (or refuses one it admits) fails the test.
#[sqlx::test]
async fn every_route_answers_only_the_callers_its_requirement_admits(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let revoked = revoked_token(&pool).await;
    async fn callers(app: &TestApp, revoked: &str) -> Vec<(&'static str, Caller)> {
        vec![
            ("anonymous", app.anonymous()),
            ("revoked", app.bearer(revoked)),
            ("viewer", app.viewer().await),
            ("editor", app.editor().await),
            ("admin", app.signed_in("root-admin", Role::Admin).await),
            ("read token", app.token(Scope::Read)),
            ("write token", app.token(Scope::Write)),
            ("admin token", app.token(Scope::Admin)),
        ]
    }
    // Signing out ends the session that calls it: those routes go last, each with the
    // sessions signed in afresh.
    let mut routes = app.routes.clone();
    routes.sort_by_key(|r| [SIGN_OUT_PATH, SIGN_OUT_EVERYWHERE_PATH].contains(&r.path.as_str()));
    assert!(routes.len() > 40, "{} routes", routes.len());
    let mut kinds = callers(&app, &revoked).await;
    let mut header_line = format!("{:<58} {:<14}", "route", "requirement");
    for (kind, _) in &kinds {
        header_line.push_str(&format!(" {kind:>11}"));
    }
    println!("{header_line}");
    let mut wrong = Vec::new();
    for route in &routes {
        if [SIGN_OUT_PATH, SIGN_OUT_EVERYWHERE_PATH].contains(&route.path.as_str()) {
            kinds = callers(&app, &revoked).await;
        }
        let mut line = format!(
            "{:<58} {:<14}",
            format!("{} {}", route.method, route.path),
            route.requirement.to_string()
        );
        for (kind, caller) in &kinds {
            let response = caller.respond(call(route)).await;
            let status = response.status();
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            // The sign-in form answers everyone with a redirect to the sign-in page.
            let was_refused =
                route.requirement != Requirement::Public && refused(status, location.as_deref());
            // A viewer's 403 from a server function is its role's limit, not the route's.
            let role_limit = route.requirement == Requirement::SignedIn
                && status == StatusCode::FORBIDDEN
                && location.is_none();
            if meets(route.requirement, kind) == (was_refused && !role_limit) {
                wrong.push(format!(
                    "{} {} as {kind}: {status}",
                    route.method, route.path
                ));
            }
            line.push_str(&format!(" {:>11}", status.as_u16()));
        }
        println!("{line}");
    }
    assert!(
        wrong.is_empty(),
        "answered against the requirement: {wrong:#?}"
    );
    // What is public, and what only an admin token may do, is pinned: a route added to
    // the wrong group shows here, not in production.
    let public: Vec<&str> = app
        .routes
        .iter()
        .filter(|r| r.requirement == Requirement::Public)
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        public,
        [
            "/healthz",
            "/login",
            "/api/sign_in",
            "/pkg/{*file}",
            "/favicon.ico"
        ]
    );
    for route in &app.routes {
        // Every API write needs at least the write scope (an undeclared path only says so).
        let declared = route.path != "/api/v1/{*rest}";
        // A reader's report of itself to the fleet is not a configuration write: a bot's
        // read token makes it.
        let report = route.path == "/api/v1/fleet/heartbeat";
        if route.path.starts_with("/api/v1/") && route.method != Method::GET && declared && !report
        {
            assert_ne!(
                route.requirement,
                Requirement::Token(Scope::Read),
                "{route:?}"
            );
        }
    }
    let clear = app.routes.iter().find(|r| r.path == "/api/v1/cache/clear");
    assert_eq!(
        clear.map(|r| r.requirement),
        Some(Requirement::Token(Scope::Admin))
    );
}

/// Every API route against every kind of token, with the status each gets: what the
/// requirement admits reaches the handler (an empty write is refused as invalid).
#[sqlx::test]
async fn token_scopes_on_every_api_route(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let revoked = revoked_token(&pool).await;
    let callers: [(&str, Caller); 5] = [
        ("none", app.anonymous()),
        ("revoked", app.bearer(&revoked)),
        ("read", app.token(Scope::Read)),
        ("write", app.token(Scope::Write)),
        ("admin", app.token(Scope::Admin)),
    ];
    let api_routes: Vec<&RouteInfo> = app
        .routes
        .iter()
        .filter(|r| r.path == "/healthz" || r.path.starts_with("/api/v1/"))
        .filter(|r| r.path != "/api/v1/{*rest}")
        .collect();
    assert_eq!(api_routes.len(), 25);
    let expected = |route: &RouteInfo, caller: &str| -> u16 {
        let Requirement::Token(needed) = route.requirement else {
            // Health answers from the listener's state, and this app's manager does not
            // listen: degraded, for anyone.
            return 503;
        };
        match caller {
            "none" | "revoked" => 401,
            "read" if needed > Scope::Read => 403,
            "write" if needed > Scope::Write => 403,
            // A resume needs no body: it resumes (a pair that is not paused stays so).
            _ if route.method == Method::DELETE => 200,
            _ if !route.path.starts_with("/api/v1/cache") && route.method != Method::GET => 422,
            _ => 200,
        }
    };
    println!("route × scope → status");
    println!("{:<52} none revoked read write admin", "");
    for route in api_routes {
        let mut line = format!("{:<52}", format!("{} {}", route.method, concrete(route)));
        for (name, caller) in &callers {
            // The stream never ends: its status is the answer.
            let (status, body) = if route.path == "/api/v1/stream" {
                (caller.respond(call(route)).await.status(), String::new())
            } else {
                caller.send(call(route)).await
            };
            assert_eq!(
                status.as_u16(),
                expected(route, name),
                "{} {} as {name}: {body}",
                route.method,
                route.path
            );
            line.push_str(&format!(" {:>4}", status.as_u16()));
        }
        println!("{line}");
    }
    // A path under the API that no route declares: refused without a token, 404 with one.
    assert_eq!(
        app.anonymous().get("/api/v1/nothing").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = app.token(Scope::Read).get("/api/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body.contains("API route /api/v1/nothing not found"),
        "{body}"
    );
}

#[sqlx::test]
async fn a_viewer_sees_pages_and_is_refused_every_change(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let viewer = app.session(&sign_in_as(&app.router, &pool, "victor", Role::Viewer).await);
    let editor = app.session(&sign_in_as(&app.router, &pool, "edith", Role::Editor).await);
    let (status, html) = viewer.get("/pairs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Signed in as") && html.contains("victor"),
        "{html}"
    );
    // The hand-made request a viewer could craft: refused, and nothing changes.
    let toggle = || form(SetPairActive::PATH, "symbol=BTC%2FUSDT&active=false");
    let (status, body) = viewer.send(toggle()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("victor is a viewer"), "{body}");
    let active: bool =
        sqlx::query_scalar("SELECT is_active FROM trading_pairs WHERE symbol = 'BTC/USDT'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(active);
    let (status, body) = editor
        .send(form(
            SetPairActive::PATH,
            "symbol=BTC%2FUSDT&active=false&confirm=true",
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let change = crate::helpers::latest_change(&pool).await;
    assert_eq!((change.0.as_str(), change.1.as_str()), ("edith", "console"));
}

#[sqlx::test]
async fn without_a_session_pages_redirect_and_server_functions_answer_401(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let (status, _) = app.anonymous().get("/system").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = app.anonymous().get("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<label for=\"login-password\">Password</label>"));
    let (status, _) = app
        .anonymous()
        .send(form(SetPairActive::PATH, "symbol=BTC%2FUSDT&active=false"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn sign_in_is_rate_limited_per_account_and_per_address(pool: PgPool) {
    let (router, _) = helpers::router(&pool);
    sign_in_as(&router, &pool, "alice", Role::Editor).await;
    // Wrong passwords: the same words whether the name or the password was wrong.
    for _ in 0..ACCOUNT_FAILURES_ALLOWED {
        let page = session_cookie(&router, "alice", "not the password")
            .await
            .unwrap_err();
        assert!(
            page.contains("wrong+user+name+or+password")
                || page.contains("wrong%20user%20name%20or%20password"),
            "{page}"
        );
    }
    let unknown = session_cookie(&router, "nobody", "not the password")
        .await
        .unwrap_err();
    assert!(unknown.contains("wrong"), "{unknown}");
    // Locked: even the right password is refused, with when to try again.
    let locked = session_cookie(&router, "alice", PASSWORD)
        .await
        .unwrap_err();
    assert!(
        locked.contains("too%20many%20failed%20sign-ins"),
        "{locked}"
    );
    println!(
        "per account: {ACCOUNT_FAILURES_ALLOWED} failures in {LOGIN_WINDOW_MINUTES} min, then locked until {LOGIN_WINDOW_MINUTES} min after the first: {locked}"
    );
    // Another account from the same address still signs in, until the address's limit
    // (bob never signed in from it: an address an account signed in from before is not
    // refused by others' failures, see hardening.rs).
    let accounts = AccountService::new(pool.clone());
    accounts
        .add_user("bob", Role::Viewer, PASSWORD)
        .await
        .unwrap();
    let tried = ADDRESS_FAILURES_ALLOWED - ACCOUNT_FAILURES_ALLOWED - 1;
    for i in 0..tried {
        let _ = accounts
            .sign_in(&format!("guess{i}"), "x", "unknown")
            .await
            .unwrap_err();
    }
    let refused = accounts
        .sign_in("bob", PASSWORD, "unknown")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, botconfig::domain::ConfigError::TooManyAttempts(_)),
        "{refused:?}"
    );
    // Elsewhere, bob is fine.
    accounts.sign_in("bob", PASSWORD, "10.0.0.9").await.unwrap();
}

#[sqlx::test]
async fn signing_out_everywhere_and_disabling_end_sessions(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let router = app.router.clone();
    let first = sign_in_as(&router, &pool, "carol", Role::Editor).await;
    let second = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    let page = |cookie: &str| {
        let browser = app.session(cookie);
        async move { browser.get("/").await }
    };
    assert_eq!(page(&second).await.0, StatusCode::OK);
    let mut everywhere = form(SIGN_OUT_EVERYWHERE_PATH, "");
    everywhere
        .headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    let (status, _) = app.session(&first).send(everywhere).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(page(&first).await.0, StatusCode::SEE_OTHER);
    assert_eq!(page(&second).await.0, StatusCode::SEE_OTHER);

    // A password change ends the sessions too.
    let fourth = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    AccountService::new(pool.clone())
        .set_password("carol", "another long password")
        .await
        .unwrap();
    assert_eq!(page(&fourth).await.0, StatusCode::SEE_OTHER);
    AccountService::new(pool.clone())
        .set_password("carol", PASSWORD)
        .await
        .unwrap();

    let third = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    AccountService::new(pool.clone())
        .set_disabled("carol", true)
        .await
        .unwrap();
    assert_eq!(page(&third).await.0, StatusCode::SEE_OTHER);
    assert!(session_cookie(&router, "carol", PASSWORD).await.is_err());
}

#[sqlx::test]
async fn pages_carry_a_nonce_policy_and_everything_refuses_framing(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let response = app.admin().respond(get("/")).await;
    let headers = response.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .unwrap();
    let html = String::from_utf8_lossy(&body);
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    let (_, _) = app.anonymous().get("/healthz").await;
}

/// A session ends when idle too long, and when too old however busy: both are read from
/// the session's row, set back here instead of waiting.
#[sqlx::test]
async fn sessions_end_when_idle_and_when_too_old(pool: PgPool) {
    let (app, _) = console(&pool).await;
    let router = app.router.clone();
    let page = |cookie: &str| {
        let browser = app.session(cookie);
        async move { browser.get("/").await }
    };
    let idle = sign_in_as(&router, &pool, "dora", Role::Viewer).await;
    assert_eq!(page(&idle).await.0, StatusCode::OK);
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(page(&idle).await.0, StatusCode::SEE_OTHER);

    let old = session_cookie(&router, "dora", PASSWORD).await.unwrap();
    assert_eq!(page(&old).await.0, StatusCode::OK);
    // Signed in 13 hours ago, busy ever since.
    sqlx::query(
        "UPDATE sessions SET data = jsonb_set(data, '{signed_in_at}', to_jsonb(extract(epoch FROM now() - interval '13 hours')::bigint))",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(page(&old).await.0, StatusCode::SEE_OTHER);
}

/// With `BOTCONFIG_LOCAL_READS`, a bot on this machine reads without a token; nothing else
/// changes: writes, and reads from elsewhere, still need one. Off by default.
#[sqlx::test]
async fn local_reads_need_no_token_only_when_allowed(pool: PgPool) {
    let from = |app: &TestApp, method: Method, peer: &str| {
        let mut request = if method == Method::POST {
            json(Method::POST, "/api/v1/cache/warm", "{}")
        } else {
            get("/api/v1/portfolio")
        };
        request.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>().unwrap(),
        ));
        let caller = app.anonymous();
        async move { caller.respond(request).await.status() }
    };
    let (closed, _) = console(&pool).await;
    assert_eq!(
        from(&closed, Method::GET, "127.0.0.1:5000").await,
        StatusCode::UNAUTHORIZED
    );
    let (open, _) = helpers::console_with(
        &pool,
        botconfig::http::AccessPolicy {
            local_reads: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        from(&open, Method::GET, "127.0.0.1:5000").await,
        StatusCode::OK
    );
    assert_eq!(from(&open, Method::GET, "[::1]:5000").await, StatusCode::OK);
    assert_eq!(
        from(&open, Method::GET, "10.0.0.5:5000").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        from(&open, Method::POST, "127.0.0.1:5000").await,
        StatusCode::UNAUTHORIZED
    );
}

/// Users are an admin's: an editor is refused the Users page's functions, and an admin
/// cannot disable themselves (someone must always be able to sign in).
#[sqlx::test]
async fn only_admins_manage_users_and_never_disable_themselves(pool: PgPool) {
    use botconfig::web::pages::users::SetUserDisabled;
    let (app, _) = console(&pool).await;
    let editor = app.session(&sign_in_as(&app.router, &pool, "erin", Role::Editor).await);
    let post = |body: &str| form(SetUserDisabled::PATH, body);
    let (status, body) = editor.send(post("name=root-admin&disabled=true")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .admin()
        .send(post("name=root-admin&disabled=true"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("you cannot disable yourself"), "{body}");
    let (status, body) = app.admin().send(post("name=erin&disabled=true")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(editor.get("/").await.0, StatusCode::SEE_OTHER);
}
