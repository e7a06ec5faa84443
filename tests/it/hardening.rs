//! The holes an attack and a fault probe found (issue 17), each reproduced: redirects after
//! sign-in, secrets set on existing settings, the sign-in limit under a burst, locking the
//! admin out, odd input, the history forged by a bot's login, and the smaller ones.

use crate::helpers::{self, api_token, form, get, json, router, sign_in_as, Caller, PASSWORD};
use axum::http::{header, Method, StatusCode};
use botconfig::domain::auth::{Role, Scope};
use botconfig::domain::system::{Category, NewSetting, ValueType};
use botconfig::domain::ConfigError;
use botconfig::service::accounts::{AccountService, ACCOUNT_FAILURES_ALLOWED};
use botconfig::service::ConfigService;
use sqlx::PgPool;

/// Signs in as `name` with `next`: the response's `Location`.
async fn sign_in_to(app: &axum::Router, name: &str, password: &str, next: &str) -> String {
    let body = format!(
        "name={name}&password={}&next={}",
        password.replace(' ', "+"),
        next
    );
    let mut request = form(botconfig::web::auth::SIGN_IN_PATH, &body);
    request
        .headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    let response = Caller::on(app).respond(request).await;
    let status = response.status();
    let headers = response.headers().clone();
    if !status.is_redirection() {
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        panic!(
            "{name} → {next}: {status} {headers:?} {}",
            String::from_utf8_lossy(&body)
        );
    }
    headers[header::LOCATION].to_str().unwrap().to_owned()
}

/// 1 and 5: after a real sign-in, `next` never leads off this origin, and odd characters
/// in it (which used to panic the redirect) lead home.
#[sqlx::test]
async fn sign_in_never_redirects_off_site_nor_panics_on_odd_next(pool: PgPool) {
    let (app, _) = router(&pool);
    sign_in_as(&app, &pool, "vera", Role::Viewer).await;
    // Form-encoded as a browser sends the link's query: %25 keeps a literal percent.
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%0D%2Fevil.example",
        "%2F%0B%2Fevil.example",
        "%2F%0C%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%2Fevil.example",
        "%2F%252F%252Fevil.example",
        "%2F%2509%2Fevil.example",
        "%2F%255Cevil.example",
        "javascript%3Aalert(1)",
        "https%3A%2F%2Fevil.example%2F",
        "http%3A%2F%2F127.0.0.1%3A3000%40evil.example%2F",
        "%09%2F%2Fevil.example",
    ] {
        let location = sign_in_to(&app, "vera", PASSWORD, next).await;
        assert_eq!(location, "/", "next={next}");
    }
    assert_eq!(
        sign_in_to(&app, "vera", PASSWORD, "%2Fhistory%3Fsince%3D2h").await,
        "/history?since=2h"
    );
    // The sign-in page never carries such a `next` in its form.
    let (status, body) = Caller::on(&app).get("/login?next=/%09/evil.example").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("evil.example"), "{body}");
}

/// The outcome of every attempt recorded for `account`.
async fn outcomes(pool: &PgPool, account: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT outcome FROM sign_in_attempts WHERE account = $1 ORDER BY id")
        .bind(account)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// 3: thirty guesses at once, the right one among them, from one address and then from
/// thirty: at most `ACCOUNT_FAILURES_ALLOWED` passwords are ever checked, and a success
/// erases nothing.
#[sqlx::test]
async fn a_burst_of_guesses_gets_five_checks_at_most(pool: PgPool) {
    let accounts = AccountService::new(pool.clone());
    accounts
        .add_user("carol", Role::Editor, PASSWORD)
        .await
        .unwrap();
    for spread in [false, true] {
        sqlx::query("DELETE FROM sign_in_attempts")
            .execute(&pool)
            .await
            .unwrap();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(30));
        let guesses = (0..30).map(|i| {
            let (accounts, barrier) = (accounts.clone(), barrier.clone());
            tokio::spawn(async move {
                let password = if i == 17 {
                    PASSWORD.to_owned()
                } else {
                    format!("guess number {i}")
                };
                let address = if spread {
                    format!("192.0.2.{i}")
                } else {
                    "192.0.2.1".into()
                };
                barrier.wait().await;
                accounts.sign_in("carol", &password, &address).await
            })
        });
        let results = futures::future::join_all(guesses).await;
        let recorded = outcomes(&pool, "carol").await;
        let checked = recorded
            .iter()
            .filter(|o| *o == "failed" || *o == "succeeded")
            .count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Ok(Err(ConfigError::TooManyAttempts(_)))))
            .count();
        println!(
            "spread over addresses: {spread}: {checked} checked, {refused} refused: {recorded:?}"
        );
        assert!(checked as i64 <= ACCOUNT_FAILURES_ALLOWED, "{recorded:?}");
        assert_eq!(checked + refused, 30);
        assert_eq!(recorded.len(), 30, "every attempt is kept");
    }
}

/// 4: failures from elsewhere never lock the account's owner out of a browser (or an
/// address) they signed in from before; an admin can lift a lock.
#[sqlx::test]
async fn guesses_from_elsewhere_do_not_lock_the_owner_out(pool: PgPool) {
    let accounts = AccountService::new(pool.clone());
    accounts
        .add_user("root2", Role::Admin, PASSWORD)
        .await
        .unwrap();
    // The owner signs in from their browser and their office.
    accounts
        .sign_in_from("root2", PASSWORD, "198.51.100.7", Some("browser-of-root2"))
        .await
        .unwrap();
    // An attacker fails five times, from a new address each time.
    for i in 0..ACCOUNT_FAILURES_ALLOWED {
        let refused = accounts
            .sign_in("root2", "wrong guess", &format!("203.0.113.{i}"))
            .await
            .unwrap_err();
        assert!(matches!(refused, ConfigError::Unauthenticated(_)));
    }
    // Unknown sources are locked out now, even with the right password...
    let locked = accounts
        .sign_in("root2", PASSWORD, "203.0.113.200")
        .await
        .unwrap_err();
    assert!(
        matches!(locked, ConfigError::TooManyAttempts(_)),
        "{locked:?}"
    );
    // ...but the owner's browser and the owner's address are not.
    accounts
        .sign_in_from("root2", PASSWORD, "203.0.113.99", Some("browser-of-root2"))
        .await
        .unwrap();
    accounts
        .sign_in("root2", PASSWORD, "198.51.100.7")
        .await
        .unwrap();
    // The Users page says the account is locked; unlocking lifts it.
    let users = accounts.users().await.unwrap();
    assert!(users
        .iter()
        .any(|u| u.name == "root2" && u.locked_until.is_some()));
    accounts.unlock("root2").await.unwrap();
    accounts
        .sign_in("root2", PASSWORD, "203.0.113.200")
        .await
        .unwrap();
    assert!(accounts
        .users()
        .await
        .unwrap()
        .iter()
        .all(|u| u.locked_until.is_none()));
    // The record keeps all of it, for admins.
    let record = accounts.sign_in_attempts(Some("root2"), 50).await.unwrap();
    assert_eq!(record.len(), 10, "{record:?}");
    assert_eq!(record.iter().filter(|a| a.outcome == "refused").count(), 1);
    assert!(matches!(
        accounts.unlock("nobody").await,
        Err(ConfigError::NotFound(_))
    ));
}

/// 2: `--secret` on a setting that exists makes it secret, and takes its earlier values
/// out of the history; so does flagging it secret in plain SQL.
#[sqlx::test]
async fn making_an_existing_setting_secret_redacts_its_history(pool: PgPool) {
    let service = ConfigService::new(helpers::manager(&pool));
    let new = |secret: bool| NewSetting {
        key: "exchange_api_key".into(),
        value_type: ValueType::String,
        category: Category::General,
        description: String::new(),
        is_secret: secret,
    };
    service
        .create_or_set_setting(&new(false), "plain-key-one")
        .await
        .unwrap();
    service
        .create_or_set_setting(&new(false), "plain-key-two")
        .await
        .unwrap();
    let saved = service
        .create_or_set_setting(&new(true), "secret-key-three")
        .await
        .unwrap();
    assert!(saved.is_secret);
    let history: String =
        sqlx::query_scalar("SELECT coalesce(string_agg(before::text || after::text, ' '), '') FROM config_changes WHERE subject = 'exchange_api_key'")
            .fetch_one(&pool)
            .await
            .unwrap();
    for plain in ["plain-key-one", "plain-key-two", "secret-key-three"] {
        assert!(!history.contains(plain), "{plain} in {history}");
    }
    assert!(service
        .settings()
        .await
        .unwrap()
        .iter()
        .any(|s| s.key == "exchange_api_key" && s.is_secret && s.value.to_string().is_empty()));
    assert_eq!(
        helpers::setting(&pool, "exchange_api_key").await,
        "secret-key-three"
    );

    // By SQL, later: the same.
    sqlx::query("INSERT INTO system_config (config_key, config_value, config_type) VALUES ('chat_token', 'visible-token', 'string')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE system_config SET is_secret = true WHERE config_key = 'chat_token'")
        .execute(&pool)
        .await
        .unwrap();
    let history: String =
        sqlx::query_scalar("SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') FROM config_changes WHERE subject = 'chat_token'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!history.contains("visible-token"), "{history}");
    // The console's way, for admins.
    sqlx::query("INSERT INTO system_config (config_key, config_value, config_type) VALUES ('webhook_secret', 'visible-hook', 'string')")
        .execute(&pool)
        .await
        .unwrap();
    service.make_setting_secret("webhook_secret").await.unwrap();
    let listed = service.settings().await.unwrap();
    let hook = listed.iter().find(|s| s.key == "webhook_secret").unwrap();
    assert!(hook.is_secret);
    assert!(!hook.value.to_string().contains("visible-hook"));
}

/// 5: expiry days past any date, on the service and the CLI: a field error, exit 2.
#[sqlx::test]
async fn token_lifetimes_past_any_date_are_refused(pool: PgPool) {
    let accounts = AccountService::new(pool.clone());
    for days in [3651, 2_147_483_647, u32::MAX] {
        let refused = accounts
            .create_token("far-future", Scope::Read, Some(days), "test")
            .await
            .unwrap_err();
        assert!(matches!(refused, ConfigError::Invalid(_)), "{refused:?}");
    }
    let output = helpers::botconfig(&pool)
        .args([
            "token",
            "create",
            "far-future",
            "--expires-days",
            "2147483647",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        helpers::stderr(&output)
    );
    assert!(!helpers::stderr(&output).contains("panicked"));
}

/// 5: a reader that goes away ends the CLI quietly: no panic, no backtrace.
#[sqlx::test]
async fn a_closed_output_pipe_ends_the_cli_quietly(pool: PgPool) {
    use std::os::unix::process::ExitStatusExt;
    let service = ConfigService::new(helpers::manager(&pool));
    for i in 0..200 {
        service
            .set_setting("check_interval", &(30 + i % 5).to_string())
            .await
            .unwrap();
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_botconfig"))
        .env("DATABASE_URL", helpers::database_url(&pool, None))
        .args(["history", "--limit", "200"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101));
    assert!(
        output.status.success() || output.status.signal() == Some(libc_sigpipe()),
        "{:?}",
        output.status
    );
}

fn libc_sigpipe() -> i32 {
    13
}

/// 6: a NUL, which Postgres text cannot hold, is invalid input everywhere: 422 or a field
/// error, nothing written, and a sign-in with one counted as a failure.
#[sqlx::test]
async fn a_nul_character_is_invalid_input_not_a_server_error(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM config_changes")
        .fetch_one(&pool)
        .await
        .unwrap();
    let put = |path: &str, body: &str| json(Method::PUT, path, body);
    let version: i32 =
        sqlx::query_scalar("SELECT version FROM system_config WHERE config_key = 'log_level'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (status, body) = app
        .admin()
        .send(put(
            "/api/v1/settings/log_level",
            &format!(r#"{{"value": "IN\u0000FO", "version": {version}}}"#),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .admin()
        .send(put(
            "/api/v1/settings/log%00level",
            r#"{"value": "INFO", "version": 1}"#,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM config_changes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing written");

    let service = ConfigService::new(helpers::manager(&pool));
    let filter = botconfig::domain::history::HistoryFilter {
        actor: Some("adm\0in".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(matches!(
        service.history(&filter).await,
        Err(ConfigError::Invalid(_))
    ));
    let accounts = AccountService::new(pool.clone());
    assert!(matches!(
        accounts.revoke_token("bad\0name").await,
        Err(ConfigError::Invalid(_))
    ));
    assert!(matches!(
        accounts.set_disabled("bad\0name", true).await,
        Err(ConfigError::Invalid(_))
    ));
    let refused = accounts
        .sign_in("root-\0admin", "whatever it is", "192.0.2.50")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ConfigError::Unauthenticated(_)),
        "{refused:?}"
    );
    let failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sign_in_attempts WHERE address = '192.0.2.50' AND outcome = 'failed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(failures, 1, "counted as a failed sign-in");
}

/// A connection to the test database as `role`.
async fn connect_as(pool: &PgPool, role: &str, password: &str) -> sqlx::PgConnection {
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(&helpers::database_url(pool, None))
        .unwrap()
        .username(role)
        .password(password);
    sqlx::PgConnection::connect_with(&options.disable_statement_logging())
        .await
        .unwrap()
}

/// 7: a bot's own role reads and writes the configuration, and cannot forge, rewrite or
/// delete the history, nor read accounts; what it claims to be is not recorded.
#[sqlx::test]
async fn a_bots_role_cannot_forge_or_rewrite_the_history(pool: PgPool) {
    let role = format!("bot_{}", std::process::id());
    let password = "a long bot password";
    let accounts = AccountService::new(pool.clone());
    assert!(accounts.bot_role(&role, password).await.unwrap());
    assert!(
        !accounts.bot_role(&role, password).await.unwrap(),
        "updated"
    );
    assert!(matches!(
        accounts.bot_role("postgres", password).await,
        Err(ConfigError::Invalid(_))
    ));
    let mut bot = connect_as(&pool, &role, password).await;

    // What bots do works, and is recorded truthfully.
    sqlx::query("UPDATE system_config SET config_value = '45' WHERE config_key = 'check_interval'")
        .execute(&mut bot)
        .await
        .unwrap();
    sqlx::query("INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) VALUES ('XRP/USDT', 'XRP', 'USDT', 1000, 50, 10)")
        .execute(&mut bot)
        .await
        .unwrap();
    // Forgeries, one by one.
    let mut forged = sqlx::Connection::begin(&mut bot).await.unwrap();
    sqlx::query("SELECT set_config('botconfig.actor', 'editor1', true), set_config('botconfig.source', 'console', true)")
        .execute(&mut *forged)
        .await
        .unwrap();
    sqlx::query("UPDATE system_config SET config_value = '50' WHERE config_key = 'check_interval'")
        .execute(&mut *forged)
        .await
        .unwrap();
    let hidden = sqlx::query("DELETE FROM config_changes WHERE txid = txid_current()")
        .execute(&mut *forged)
        .await;
    assert!(hidden.is_err(), "deleting its own change");
    drop(forged);
    let mut forged = sqlx::Connection::begin(&mut bot).await.unwrap();
    sqlx::query("SELECT set_config('botconfig.actor', 'editor1', true)")
        .execute(&mut *forged)
        .await
        .unwrap();
    sqlx::query("UPDATE system_config SET config_value = '55' WHERE config_key = 'check_interval'")
        .execute(&mut *forged)
        .await
        .unwrap();
    forged.commit().await.unwrap();
    for forgery in [
        "UPDATE config_changes SET actor = 'editor1'",
        "DELETE FROM config_changes",
        "TRUNCATE config_changes",
        "INSERT INTO config_changes (actor, source, table_name, operation, subject) VALUES ('editor1', 'console', 'system_config', 'update', 'x')",
        "UPDATE botconfig_revision SET revision = 0",
        "SELECT * FROM users",
        "SELECT * FROM sessions",
        "SELECT * FROM api_tokens",
        "SELECT * FROM sign_in_attempts",
    ] {
        let result = sqlx::query(forgery).execute(&mut bot).await;
        assert!(result.is_err(), "{forgery} was allowed");
    }
    let actors: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, source FROM config_changes WHERE actor <> 'botconfig adopt' AND changed_at > now() - interval '1 hour' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let recorded: Vec<_> = actors
        .iter()
        .filter(|(actor, _)| actor.starts_with("sql:bot_") || actor == "editor1")
        .collect();
    assert!(!recorded.is_empty());
    for (actor, source) in &recorded {
        assert_eq!(actor, &format!("sql:{role}"));
        assert_eq!(source, "sql");
    }
    assert_eq!(helpers::setting(&pool, "check_interval").await, "55");

    // A role granted UPDATE on the history by hand still cannot rewrite it.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "GRANT UPDATE, DELETE ON config_changes TO {role}"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let rewrite = sqlx::query("UPDATE config_changes SET actor = 'editor1'")
        .execute(&mut bot)
        .await
        .unwrap_err();
    assert!(rewrite.to_string().contains("append-only"), "{rewrite}");
    drop(bot);
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP OWNED BY {role}")))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE {role}")))
        .execute(&pool)
        .await
        .unwrap();
}

/// 8: an invalidation that drops everything needs the rights of a clear.
#[sqlx::test]
async fn invalidating_everything_needs_the_admin_scope(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    let (write, admin) = (app.token(Scope::Write), app.token(Scope::Admin));
    let invalidate = |pattern: &str| {
        json(
            Method::POST,
            "/api/v1/cache/invalidate",
            format!(r#"{{"pattern": "{pattern}"}}"#),
        )
    };
    for everything in ["*", "*:*", "_"] {
        assert_eq!(
            write.send(invalidate(everything)).await.0,
            StatusCode::FORBIDDEN,
            "{everything}"
        );
        assert_eq!(admin.send(invalidate(everything)).await.0, StatusCode::OK);
    }
    assert_eq!(
        write.send(invalidate("pair_risk:*")).await.0,
        StatusCode::OK
    );
}

/// 8: the API's writes refuse fields they do not know and keys given twice.
#[sqlx::test]
async fn api_writes_refuse_unknown_fields_and_duplicate_keys(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    let version: i32 =
        sqlx::query_scalar("SELECT version FROM system_config WHERE config_key = 'check_interval'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let put = |body: String| json(Method::PUT, "/api/v1/settings/check_interval", body);
    let (status, body) = app
        .admin()
        .send(put(format!(
            r#"{{"value": 47, "version": {version}, "is_secret": true}}"#
        )))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("is_secret"), "{body}");
    let (status, body) = app
        .admin()
        .send(put(format!(
            r#"{{"value": 47, "value": 48, "version": {version}}}"#
        )))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("duplicate"), "{body}");
    let pair = json(
        Method::PUT,
        "/api/v1/pairs/BTC%2FUSDT/risk",
        r#"{"version": 1, "stop_loss_percent": 3, "stop_loss_percent": 4}"#,
    );
    let (status, body) = app.admin().send(pair).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(helpers::setting(&pool, "check_interval").await, "60");
}

/// 8: a read token gets no secret in `/api/v1/pairs`; a token made to read secrets does.
/// The body's keys are the symbols and `system`, nothing else, so a bot can loop over them.
#[sqlx::test]
async fn secrets_reach_only_tokens_that_read_secrets(pool: PgPool) {
    let service = ConfigService::new(helpers::manager(&pool));
    service
        .create_or_set_setting(
            &NewSetting {
                key: "exchange_api_key".into(),
                value_type: ValueType::String,
                category: Category::General,
                description: String::new(),
                is_secret: true,
            },
            "sk-live-123",
        )
        .await
        .unwrap();
    let (app, _) = router(&pool);
    let accounts = AccountService::new(pool.clone());
    let read = api_token(&pool, "plain-reader", Scope::Read).await;
    let secret_reader = accounts
        .create_token_with("secret-reader", Scope::Read, None, true, "test")
        .await
        .unwrap();
    let pairs = |token: &str| {
        let tool = Caller::on(&app).with_token(token);
        async move { tool.get("/api/v1/pairs").await }
    };
    let (status, body) = pairs(&read).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("sk-live-123"), "{body}");
    let listed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&body).unwrap();
    for key in listed.keys().filter(|k| *k != "system") {
        botconfig::domain::pair::Symbol::parse(key).expect("every other key is a symbol");
    }
    let (_, body) = pairs(&secret_reader).await;
    assert!(body.contains("sk-live-123"), "{body}");
}

/// 8: pages and API answers are not kept by caches; static files may be.
#[sqlx::test]
async fn pages_and_answers_are_no_store(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    for path in ["/", "/system", "/api/v1/pairs", "/login"] {
        let response = app.admin().respond(get(path)).await;
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
}

/// 8: a session in use keeps going: each use (at most one write a minute) moves its idle
/// expiry on.
#[sqlx::test]
async fn using_a_session_moves_its_idle_expiry_on(pool: PgPool) {
    let (app, _) = helpers::console(&pool).await;
    // 29 minutes and 50 seconds into its 30, and last seen in an earlier minute.
    sqlx::query(
        "UPDATE sessions SET expires_at = now() + interval '10 seconds', data = data - 'seen_minute'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(app.admin().get("/").await.0, StatusCode::OK);
    let left: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(expires_at) - now())::float8 FROM sessions",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(left > 29.0 * 60.0, "{left} seconds left");
}

/// 9: an import that takes far longer than the operation deadline, while every statement
/// answers in time, succeeds: the deadline bounds statements, not the whole transaction.
/// A no-op re-import then changes (and counts) nothing, and an unknown field anywhere in
/// the document is refused.
#[sqlx::test]
async fn a_long_import_is_not_an_outage(pool: PgPool) {
    use botconfig::cache::{CacheSettings, ConfigManager};
    let settings = CacheSettings {
        // Far above what one statement takes, even on a loaded 2-core machine; far below
        // what the whole import takes.
        operation_timeout: std::time::Duration::from_millis(750),
        ..CacheSettings::default()
    };
    let service = ConfigService::new(ConfigManager::new(pool.clone(), settings));
    let mut doc = service.export().await.unwrap();
    let mut template = doc.pairs[0].clone();
    // Written as a generator might: 1000.000 for 1000, 5.0 for 5.
    template.settings.initial_balance = rust_decimal::Decimal::new(1_000_000, 3);
    template.risk.stop_loss_percent = rust_decimal::Decimal::new(50, 1);
    for i in 0..1500 {
        let mut pair = template.clone();
        pair.symbol = botconfig::domain::pair::Symbol::parse(&format!("IMP{i}/USDT")).unwrap();
        doc.pairs.push(pair);
    }
    let started = std::time::Instant::now();
    let changes = service.import(&doc, false).await.unwrap();
    let took = started.elapsed();
    println!(
        "imported {} pairs in {took:?} under a 750 ms operation deadline",
        doc.pairs.len()
    );
    assert!(
        took > std::time::Duration::from_millis(750),
        "the import must outlast the deadline to prove anything"
    );
    assert!(!changes.is_empty());
    let pairs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM trading_pairs WHERE symbol LIKE 'IMP%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pairs, 1500);

    let again = service
        .import(&service.export().await.unwrap(), true)
        .await
        .unwrap();
    let changed: Vec<_> = again
        .iter()
        .filter(|l| !l.ends_with(botconfig::domain::transfer::LEFT_AS_IT_IS))
        .collect();
    assert!(changed.is_empty(), "{changed:?}");

    let mut text = serde_json::to_value(&doc).unwrap();
    text["pairs"][0]["risk"]["stop_los_percent"] = serde_json::json!(3);
    let refused = match botconfig::domain::transfer::parse(&text.to_string()) {
        Ok(_) => panic!("a document with risk.stop_los_percent was accepted"),
        Err(refused) => refused,
    };
    assert!(refused.contains("risk.stop_los_percent"), "{refused}");
    let mut text = serde_json::to_value(&doc).unwrap();
    text["pairs"][1]["settings"]["leverage"] = serde_json::json!(3);
    assert!(
        botconfig::domain::transfer::parse(&text.to_string()).is_err(),
        "a document with settings.leverage was accepted"
    );
}

/// 9: a read that waits behind a lock fails at its deadline once; a deadline is not
/// retried as if the connection had broken.
#[sqlx::test]
async fn a_read_behind_a_lock_waits_one_deadline(pool: PgPool) {
    use botconfig::cache::{CacheSettings, ConfigManager};
    let deadline = std::time::Duration::from_secs(1);
    let manager = ConfigManager::new(
        pool.clone(),
        CacheSettings {
            operation_timeout: deadline,
            ..CacheSettings::default()
        },
    );
    let mut locker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE system_config IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *locker)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let failed = manager.system_config().await.unwrap_err();
    let waited = started.elapsed();
    locker.rollback().await.unwrap();
    println!("failed after {waited:?}: {failed}");
    assert!(failed.is_deadline(), "{failed:?}");
    assert!(
        failed.to_string().contains("1000 ms operation deadline"),
        "{failed}"
    );
    // One deadline and some slack for a loaded machine; a retry would wait two.
    assert!(waited < deadline * 17 / 10, "retried: waited {waited:?}");
}

/// 9: while the server cannot vouch for its cache (the link to Postgres blackholed), the
/// pair list is still keyed by symbols and `system` only: the staleness is in the header,
/// so a bot looping over the keys as symbols never meets a boolean.
#[sqlx::test]
async fn a_stale_pair_list_is_still_keyed_by_symbols(pool: PgPool) {
    use crate::proxy::{FaultProxy, Mode};
    use std::time::{Duration, Instant};
    let proxy = FaultProxy::start(helpers::server_addr()).await;
    let (manager, _listener) = helpers::serving_manager(
        &helpers::database_url(&pool, Some(proxy.port)),
        botconfig::cache::CacheSettings::default(),
    )
    .await;
    let router = helpers::router_over(&manager, Default::default());
    let token = api_token(&pool, "bot", Scope::Read).await;
    let read = || {
        let bot = Caller::on(&router).with_token(&token);
        async move {
            let response = bot.respond(get("/api/v1/pairs")).await;
            let stale = response
                .headers()
                .get(botconfig::api::STALE_HEADER)
                .map(|v| v.to_str().unwrap().to_owned());
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let body: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&body).unwrap();
            (stale, body)
        }
    };
    assert_eq!(read().await.0, None, "current before the outage");
    proxy.set(Mode::Blackhole);
    let outage = Instant::now();
    let (stale, body) = loop {
        let (stale, body) = read().await;
        if stale.is_some() || outage.elapsed() > Duration::from_secs(20) {
            break (stale, body);
        }
    };
    assert!(stale.is_some(), "marked stale in the header within 20 s");
    println!(
        "stale after {:?}: X-Botconfig-Stale: {stale:?}",
        outage.elapsed()
    );
    for key in body.keys().filter(|k| *k != "system") {
        botconfig::domain::pair::Symbol::parse(key)
            .unwrap_or_else(|_| panic!("{key:?} is not a symbol in a stale pair list"));
    }
    proxy.set(Mode::Pass);
}

/// 4, through the sign-in form as a browser uses it: the device cookie a first sign-in
/// sets makes that browser known, so five failures from its own address by someone else
/// (no cookie) lock out the address but not the browser.
#[sqlx::test]
async fn a_browser_that_signed_in_before_is_not_locked_out(pool: PgPool) {
    let (app, _) = router(&pool);
    AccountService::new(pool.clone())
        .add_user("dana", Role::Admin, PASSWORD)
        .await
        .unwrap();
    let post = |password: &str, cookie: Option<&str>| {
        let browser = match cookie {
            Some(cookie) => Caller::on(&app).with_cookie(cookie),
            None => Caller::on(&app),
        };
        let mut request = form(
            botconfig::web::auth::SIGN_IN_PATH,
            &format!("name=dana&password={}&next=%2F", password.replace(' ', "+")),
        );
        request
            .headers_mut()
            .insert(header::ACCEPT, "text/html".parse().unwrap());
        async move { browser.respond(request).await }
    };
    let first = post(PASSWORD, None).await;
    let device = first
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("botconfig_device="))
        .expect("a first sign-in marks the browser");
    for i in 0..ACCOUNT_FAILURES_ALLOWED {
        let failed = post(&format!("guess {i}"), None).await;
        assert!(failed.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("wrong"));
    }
    let location = |response: axum::response::Response| {
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let stranger = post(PASSWORD, None).await;
    assert!(
        location(stranger).contains("too%20many"),
        "no cookie: locked"
    );
    let known = post(PASSWORD, Some(&device)).await;
    assert_eq!(location(known), "/", "the browser that signed in before");
}
