//! Who may do what: sign-in, roles on every server function, API tokens' scopes on every
//! route, the sign-in rate limit, sessions ending, and the security headers.

use crate::helpers::{
    self, api_token, router, send, session_cookie, sign_in_as, CONSOLE, PASSWORD,
};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use botconfig::domain::auth::{Role, Scope};
use botconfig::service::accounts::{
    AccountService, ACCOUNT_FAILURES_ALLOWED, ADDRESS_FAILURES_ALLOWED, LOGIN_WINDOW_MINUTES,
};
use botconfig::web::pages::pairs::SetPairActive;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

/// A GET of `path` presenting the session `cookie`.
fn page_with(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, CONSOLE)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn request(method: Method, path: &str, credentials: Option<(&str, &str)>) -> Request<Body> {
    let mut r = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::HOST, CONSOLE)
        .header("x-test-anonymous", "1");
    if method == Method::POST || method == Method::PUT {
        r = r
            .header(header::ORIGIN, format!("http://{CONSOLE}"))
            .header(header::CONTENT_TYPE, "application/json");
    }
    if let Some((name, value)) = credentials {
        r = r.header(name, value);
    }
    let body = if path.ends_with("/invalidate") {
        r#"{"pattern": "pair:*"}"#
    } else if method == Method::POST || method == Method::PUT {
        "{}"
    } else {
        ""
    };
    r.body(Body::from(body)).unwrap()
}

/// Every API route against every kind of caller: the status each gets.
#[sqlx::test]
async fn token_scopes_on_every_api_route(pool: PgPool) {
    let (app, _) = router(&pool);
    let app = helpers::TestApp {
        router: app,
        cookie: String::new(),
        token: String::new(),
    };
    let read = api_token(&pool, "reader", Scope::Read).await;
    let write = api_token(&pool, "writer", Scope::Write).await;
    let admin = api_token(&pool, "admin", Scope::Admin).await;
    let revoked = api_token(&pool, "old", Scope::Admin).await;
    AccountService::new(pool.clone())
        .revoke_token("old")
        .await
        .unwrap();
    let routes: [(Method, &str); 15] = [
        (Method::GET, "/healthz"),
        (Method::GET, "/api/v1/pairs"),
        (Method::GET, "/api/v1/pairs/BTC%2FUSDT/config"),
        (Method::GET, "/api/v1/pairs/BTC%2FUSDT/should-trade"),
        (Method::GET, "/api/v1/portfolio"),
        (Method::GET, "/api/v1/validate"),
        (Method::GET, "/api/v1/cache/stats"),
        (Method::POST, "/api/v1/cache/warm"),
        (Method::POST, "/api/v1/cache/invalidate"),
        (Method::POST, "/api/v1/cache/clear"),
        // The writes, sent an empty body: past the token check they are refused as invalid.
        (Method::POST, "/api/v1/pairs"),
        (Method::PUT, "/api/v1/pairs/BTC%2FUSDT"),
        (Method::PUT, "/api/v1/pairs/BTC%2FUSDT/risk"),
        (Method::PUT, "/api/v1/pairs/BTC%2FUSDT/strategies/rsi"),
        (Method::PUT, "/api/v1/settings/check_interval"),
    ];
    let callers: [(&str, Option<String>); 5] = [
        ("none", None),
        ("revoked", Some(revoked)),
        ("read", Some(read)),
        ("write", Some(write)),
        ("admin", Some(admin)),
    ];
    let expected = |method: &Method, path: &str, caller: &str| -> u16 {
        if path == "/healthz" {
            return 200;
        }
        let needed = botconfig::access::scope_needed(method, path);
        match caller {
            "none" | "revoked" => 401,
            "read" if needed > Scope::Read => 403,
            "write" if needed > Scope::Write => 403,
            _ if !path.starts_with("/api/v1/cache") && *method != Method::GET => 422,
            _ => 200,
        }
    };
    println!("route × scope → status");
    println!("{:<52} none revoked read write admin", "");
    for (method, path) in &routes {
        let mut line = format!("{:<52}", format!("{method} {path}"));
        for (caller, token) in &callers {
            let bearer = token.as_ref().map(|t| format!("Bearer {t}"));
            let credentials = bearer
                .as_deref()
                .map(|b| (header::AUTHORIZATION.as_str(), b));
            let (status, body) = send(&app, request(method.clone(), path, credentials)).await;
            assert_eq!(
                status.as_u16(),
                expected(method, path, caller),
                "{method} {path} as {caller}: {body}"
            );
            line.push_str(&format!(" {:>4}", status.as_u16()));
        }
        println!("{line}");
    }
}

#[sqlx::test]
async fn a_viewer_sees_pages_and_is_refused_every_change(pool: PgPool) {
    let (router, _) = router(&pool);
    let viewer = sign_in_as(&router, &pool, "victor", Role::Viewer).await;
    let editor = sign_in_as(&router, &pool, "edith", Role::Editor).await;
    let app = helpers::TestApp {
        router,
        cookie: viewer.clone(),
        token: String::new(),
    };
    let page = |cookie: &str| page_with("/pairs", cookie);
    let (status, html) = send(&app, page(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Signed in as") && html.contains("victor"),
        "{html}"
    );
    // The hand-made request a viewer could craft: refused, and nothing changes.
    let toggle = |cookie: &str| {
        Request::post(SetPairActive::PATH)
            .header(header::HOST, CONSOLE)
            .header(header::ORIGIN, format!("http://{CONSOLE}"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("symbol=BTC%2FUSDT&active=false"))
            .unwrap()
    };
    let (status, body) = send(&app, toggle(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("victor is a viewer"), "{body}");
    let active: bool =
        sqlx::query_scalar("SELECT is_active FROM trading_pairs WHERE symbol = 'BTC/USDT'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(active);
    let (status, body) = send(&app, toggle(&editor)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let change = crate::helpers::latest_change(&pool).await;
    assert_eq!((change.0.as_str(), change.1.as_str()), ("edith", "console"));
}

#[sqlx::test]
async fn without_a_session_pages_redirect_and_server_functions_answer_401(pool: PgPool) {
    let (router, _) = router(&pool);
    let app = helpers::TestApp {
        router,
        cookie: String::new(),
        token: String::new(),
    };
    let (status, _) = send(
        &app,
        Request::get("/system")
            .header(header::HOST, CONSOLE)
            .header("x-test-anonymous", "1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = send(
        &app,
        Request::get("/login")
            .header(header::HOST, CONSOLE)
            .header("x-test-anonymous", "1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<label for=\"login-password\">Password</label>"));
    let (status, _) = send(
        &app,
        Request::post(SetPairActive::PATH)
            .header(header::HOST, CONSOLE)
            .header("x-test-anonymous", "1")
            .header(header::ORIGIN, format!("http://{CONSOLE}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("symbol=BTC%2FUSDT&active=false"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn sign_in_is_rate_limited_per_account_and_per_address(pool: PgPool) {
    let (router, _) = router(&pool);
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
    let (router, _) = router(&pool);
    let first = sign_in_as(&router, &pool, "carol", Role::Editor).await;
    let second = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    let app = helpers::TestApp {
        router: router.clone(),
        cookie: first.clone(),
        token: String::new(),
    };
    let page = |cookie: &str| page_with("/", cookie);
    assert_eq!(send(&app, page(&second)).await.0, StatusCode::OK);
    let everywhere = Request::post("/api/sign_out_everywhere")
        .header(header::HOST, CONSOLE)
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, format!("http://{CONSOLE}"))
        .header(header::COOKIE, &first)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let (status, _) = send(&app, everywhere).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(send(&app, page(&first)).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, page(&second)).await.0, StatusCode::SEE_OTHER);

    // A password change ends the sessions too.
    let fourth = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    AccountService::new(pool.clone())
        .set_password("carol", "another long password")
        .await
        .unwrap();
    assert_eq!(send(&app, page(&fourth)).await.0, StatusCode::SEE_OTHER);
    AccountService::new(pool.clone())
        .set_password("carol", PASSWORD)
        .await
        .unwrap();

    let third = session_cookie(&router, "carol", PASSWORD).await.unwrap();
    AccountService::new(pool.clone())
        .set_disabled("carol", true)
        .await
        .unwrap();
    assert_eq!(send(&app, page(&third)).await.0, StatusCode::SEE_OTHER);
    assert!(session_cookie(&router, "carol", PASSWORD).await.is_err());
}

#[sqlx::test]
async fn pages_carry_a_nonce_policy_and_everything_refuses_framing(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    let response = {
        use tower::ServiceExt;
        let mut request = Request::get("/")
            .header(header::HOST, CONSOLE)
            .body(Body::empty())
            .unwrap();
        request
            .headers_mut()
            .insert(header::COOKIE, app.cookie.parse().unwrap());
        app.router.clone().oneshot(request).await.unwrap()
    };
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
    let (_, _) = send(&app, request(Method::GET, "/healthz", None)).await;
}

/// A session ends when idle too long, and when too old however busy: both are read from
/// the session's row, set back here instead of waiting.
#[sqlx::test]
async fn sessions_end_when_idle_and_when_too_old(pool: PgPool) {
    let (router, _) = router(&pool);
    let app = helpers::TestApp {
        router: router.clone(),
        cookie: String::new(),
        token: String::new(),
    };
    let page = |cookie: &str| page_with("/", cookie);
    let idle = sign_in_as(&router, &pool, "dora", Role::Viewer).await;
    assert_eq!(send(&app, page(&idle)).await.0, StatusCode::OK);
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(send(&app, page(&idle)).await.0, StatusCode::SEE_OTHER);

    let old = session_cookie(&router, "dora", PASSWORD).await.unwrap();
    assert_eq!(send(&app, page(&old)).await.0, StatusCode::OK);
    // Signed in 13 hours ago, busy ever since.
    sqlx::query(
        "UPDATE sessions SET data = jsonb_set(data, '{signed_in_at}', to_jsonb(extract(epoch FROM now() - interval '13 hours')::bigint))",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(send(&app, page(&old)).await.0, StatusCode::SEE_OTHER);
}

/// With `BOTCONFIG_LOCAL_READS`, a bot on this machine reads without a token; nothing else
/// changes: writes, and reads from elsewhere, still need one. Off by default.
#[sqlx::test]
async fn local_reads_need_no_token_only_when_allowed(pool: PgPool) {
    use tower::ServiceExt;
    let from = |router: &axum::Router, method: Method, peer: &str| {
        let router = router.clone();
        let mut request = request(method, "/api/v1/portfolio", None);
        if request.method() == Method::POST {
            *request.uri_mut() = "/api/v1/cache/warm".parse().unwrap();
        }
        request.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>().unwrap(),
        ));
        async move { router.oneshot(request).await.unwrap().status() }
    };
    let (closed, _) = router(&pool);
    assert_eq!(
        from(&closed, Method::GET, "127.0.0.1:5000").await,
        StatusCode::UNAUTHORIZED
    );
    let (open, _) = helpers::router_with(
        &pool,
        botconfig::access::AccessPolicy {
            local_reads: true,
            ..Default::default()
        },
    );
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
    let (app, _) = helpers::console(&pool).await;
    let editor = sign_in_as(&app.router, &pool, "erin", Role::Editor).await;
    let post = |cookie: &str, body: &str| {
        Request::post(SetUserDisabled::PATH)
            .header(header::HOST, CONSOLE)
            .header(header::ORIGIN, format!("http://{CONSOLE}"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (status, body) = send(&app, post(&editor, "name=root-admin&disabled=true")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send(&app, post(&app.cookie, "name=root-admin&disabled=true")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("you cannot disable yourself"), "{body}");
    let (status, body) = send(&app, post(&app.cookie, "name=erin&disabled=true")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        send(&app, page_with("/", &editor)).await.0,
        StatusCode::SEE_OTHER
    );
}
