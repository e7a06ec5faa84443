//! `GET /api/v1/stream`: one event per committed revision, in order, never split, never a
//! silent gap; resumes from `Last-Event-ID`; an explicit reset where the server cannot say
//! what changed; filtering by pair.

use crate::helpers::{api_token, database_url, eventually, revision, router_over, serving_manager};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use botconfig::cache::{CacheSettings, ConfigManager};
use botconfig::domain::auth::Scope;
use futures::StreamExt;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tower::ServiceExt;

/// One event as a client received it.
#[derive(Debug, Clone, PartialEq)]
struct Received {
    event: String,
    id: u64,
    data: serde_json::Value,
}

impl Received {
    /// A change event's changes, each as canonical JSON.
    fn changes(&self) -> BTreeSet<String> {
        self.data["changes"]
            .as_array()
            .map(|changes| changes.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default()
    }
}

/// A stream client over the real router: what it reads, parsed as an `EventSource` would.
struct Client {
    body: axum::body::BodyDataStream,
    buffer: String,
    /// Comment lines seen (the heartbeat), and the last one's text.
    comments: usize,
    last_comment: String,
}

impl Client {
    async fn connect(
        router: &axum::Router,
        token: &str,
        last_event_id: Option<u64>,
        query: &str,
    ) -> Client {
        let response = open(router, token, last_event_id, query).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        Client {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
            comments: 0,
            last_comment: String::new(),
        }
    }

    /// The next event within `within`, skipping comments; `None` if none came.
    async fn next(&mut self, within: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        self.comments += 1;
                        self.last_comment = comment.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<u64>().expect("ids are revisions"));
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if id.is_some() || !data.is_empty() {
                    let data = serde_json::from_str(&data).expect("data is JSON");
                    // An event without an id (`refused`) has id 0.
                    return Some(Received {
                        event,
                        id: id.unwrap_or(0),
                        data,
                    });
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buffer
                .push_str(std::str::from_utf8(&chunk.expect("the stream goes on")).unwrap());
        }
    }
}

async fn open(
    router: &axum::Router,
    token: &str,
    last_event_id: Option<u64>,
    query: &str,
) -> axum::response::Response {
    let mut request = Request::get(format!("/api/v1/stream{query}"))
        .header(header::HOST, crate::helpers::CONSOLE)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id.to_string());
    }
    router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn server(
    pool: &PgPool,
) -> (
    axum::Router,
    ConfigManager,
    botconfig::cache::ListenerHandle,
) {
    let (manager, listener) =
        serving_manager(&database_url(pool, None), CacheSettings::default()).await;
    (router_over(&manager, Default::default()), manager, listener)
}

/// A read token for watching, once `manager`'s feed has heard its creation: events after
/// a client's start are the test's own.
async fn watcher_token(pool: &PgPool, manager: &ConfigManager) -> String {
    let token = api_token(pool, "watcher", Scope::Read).await;
    let current = revision(pool).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            manager.feed().latest() >= current
        })
        .await
    );
    token
}

async fn sql(pool: &PgPool, statements: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
        .execute(pool)
        .await
        .unwrap();
}

fn change(kind: &str, field: &str, value: &str) -> String {
    serde_json::json!({ "kind": kind, field: value }).to_string()
}

#[sqlx::test]
async fn a_commit_is_one_event_in_order_and_a_resume_gets_what_it_missed(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    let mut client = Client::connect(&router, &token, None, "").await;
    let start = client
        .next(Duration::from_secs(2))
        .await
        .expect("a start event");
    assert_eq!(start.event, "start");
    assert_eq!(start.id, revision(&pool).await);

    // One transaction touching two pairs and a setting: one event, all three changes.
    sql(
        &pool,
        "BEGIN;
         UPDATE trading_pairs SET initial_balance = initial_balance + 1 WHERE symbol = 'BTC/USDT';
         UPDATE pair_risk_config SET stop_loss_percent = 4 WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT');
         UPDATE system_config SET config_value = '61' WHERE config_key = 'check_interval';
         COMMIT;",
    )
    .await;
    let event = client.next(Duration::from_secs(2)).await.expect("an event");
    assert_eq!((event.event.as_str(), event.id), ("change", start.id + 1));
    assert_eq!(event.data["revision"], start.id + 1);
    assert_eq!(
        event.changes(),
        BTreeSet::from([
            change("pair", "symbol", "BTC/USDT"),
            change("pair_risk", "symbol", "ETH/USDT"),
            change("setting", "key", "check_interval"),
        ])
    );
    // TRUNCATE is "everything".
    sql(&pool, "TRUNCATE pair_strategy_config").await;
    let truncated = client.next(Duration::from_secs(2)).await.unwrap();
    assert_eq!(truncated.id, start.id + 2);
    assert_eq!(
        truncated.changes(),
        BTreeSet::from([r#"{"kind":"everything"}"#.to_owned()])
    );

    // Disconnected, three commits go by; resuming from the last id gets exactly them.
    drop(client);
    for value in ["62", "63", "64"] {
        sql(&pool, &format!("UPDATE system_config SET config_value = '{value}' WHERE config_key = 'check_interval'")).await;
    }
    let mut resumed = Client::connect(&router, &token, Some(truncated.id), "").await;
    for n in 1..=3 {
        let event = resumed.next(Duration::from_secs(2)).await.unwrap();
        assert_eq!(
            (event.event.as_str(), event.id),
            ("change", truncated.id + n)
        );
    }
    assert!(resumed.next(Duration::from_millis(200)).await.is_none());
}

#[sqlx::test]
async fn revisions_the_server_never_heard_are_an_explicit_reset(pool: PgPool) {
    use crate::proxy::{FaultProxy, Mode};
    let proxy = FaultProxy::start(crate::helpers::server_addr()).await;
    let (manager, _listener) = serving_manager(
        &database_url(&pool, Some(proxy.port)),
        CacheSettings::default(),
    )
    .await;
    let router = router_over(&manager, Default::default());
    let token = watcher_token(&pool, &manager).await;
    let current = revision(&pool).await;
    let mut client = Client::connect(&router, &token, None, "").await;
    let start = client.next(Duration::from_secs(2)).await.unwrap();
    assert_eq!(start.id, current);
    let reconnects = manager.stats().await.listener_reconnects;
    // The link resets every connection, and a commit lands while it is down: its
    // notification never reaches this server.
    proxy.set(Mode::Reset);
    assert!(
        eventually(Duration::from_secs(5), || async {
            !manager.stats().await.listener_connected
        })
        .await
    );
    sql(
        &pool,
        "UPDATE system_config SET config_value = '70' WHERE config_key = 'check_interval'",
    )
    .await;
    proxy.set(Mode::Pass);
    let event = client
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert!(manager.stats().await.listener_reconnects > reconnects);
    let missed = revision(&pool).await;
    assert_eq!(
        (event.event.as_str(), event.id),
        ("reset", missed),
        "{event:?}"
    );
    // A resume point from before the reset cannot be served: a reset again, never a gap.
    let mut late = Client::connect(&router, &token, Some(start.id), "").await;
    let event = late.next(Duration::from_secs(2)).await.unwrap();
    assert_eq!((event.event.as_str(), event.id), ("reset", missed));
}

#[sqlx::test]
async fn a_pair_filter_sends_only_what_touches_those_pairs(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    let mut client = Client::connect(&router, &token, None, "?pairs=ETH/USDT,SOL/USDT").await;
    let start = client.next(Duration::from_secs(2)).await.unwrap();
    sql(
        &pool,
        "UPDATE trading_pairs SET initial_balance = initial_balance + 1 WHERE symbol = 'BTC/USDT'",
    )
    .await;
    sql(
        &pool,
        "UPDATE system_config SET config_value = '66' WHERE config_key = 'check_interval'",
    )
    .await;
    sql(&pool, "UPDATE trading_pairs SET initial_balance = initial_balance + 1 WHERE symbol IN ('BTC/USDT', 'ETH/USDT')").await;
    sql(
        &pool,
        "UPDATE strategies SET description = 'retuned' WHERE strategy_name = 'rsi'",
    )
    .await;
    let eth = client.next(Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        eth.id,
        start.id + 3,
        "the BTC-only and setting commits are not sent"
    );
    assert_eq!(
        eth.changes(),
        BTreeSet::from([change("pair", "symbol", "ETH/USDT")])
    );
    let strategy = client.next(Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        strategy.id,
        start.id + 4,
        "a strategy's definition touches every pair"
    );
    assert_eq!(
        strategy.changes(),
        BTreeSet::from([change("strategy", "strategy", "rsi")])
    );
}

#[sqlx::test]
async fn a_bad_stream_request_gets_a_clear_error(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    for (query, last_event_id, status, says) in [
        (
            "?pairs=",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "names no pair",
        ),
        (
            "?pairs=BTCUSDT",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "symbol",
        ),
        ("?pair=BTC/USDT", None, StatusCode::BAD_REQUEST, "pair"),
    ] {
        let response = open(&router, &token, last_event_id, query).await;
        assert_eq!(response.status(), status, "{query}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains(says), "{query}: {body}");
    }
    let bad_id = Request::get("/api/v1/stream")
        .header(header::HOST, crate::helpers::CONSOLE)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("last-event-id", "yesterday")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(bad_id).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = Request::get("/api/v1/stream")
        .header(header::HOST, crate::helpers::CONSOLE)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.clone().oneshot(anonymous).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test]
async fn an_idle_stream_says_it_is_alive(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    let mut client = Client::connect(&router, &token, None, "").await;
    client.next(Duration::from_secs(2)).await.unwrap();
    let waited = botconfig::api::STREAM_HEARTBEAT + Duration::from_secs(2);
    assert!(client.next(waited).await.is_none());
    assert!(client.comments >= 1, "no heartbeat comment in {waited:?}");
    // It names the revision the stream has accounted for and how long ago the server last
    // confirmed its cache: a client holding that revision is current as of then.
    let current = revision(&pool).await;
    let fields: Vec<&str> = client.last_comment.split_whitespace().collect();
    assert_eq!(fields[0], "heartbeat", "{}", client.last_comment);
    assert_eq!(fields[1], format!("revision={current}"));
    let confirmed: u64 = fields[2]
        .strip_prefix("confirmed_ms=")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("{}", client.last_comment));
    assert!(confirmed < 5_000, "{}", client.last_comment);
    assert_eq!(fields[3], "stale=false");
}

/// A stream outlives no token: once it is revoked, the stream says so and ends, so a
/// client stops instead of following on a token nobody holds any more.
#[sqlx::test]
async fn a_revoked_tokens_stream_ends_with_refused(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    let mut client = Client::connect(&router, &token, None, "").await;
    assert_eq!(
        client.next(Duration::from_secs(2)).await.unwrap().event,
        "start"
    );
    sql(
        &pool,
        "UPDATE api_tokens SET revoked_at = now() WHERE name = 'watcher'",
    )
    .await;
    let mut events = Vec::new();
    while let Some(event) = client.next(Duration::from_secs(5)).await {
        events.push(event.event.clone());
        if event.event == "refused" {
            assert!(
                event.data["error"].as_str().unwrap().contains("revoked"),
                "{event:?}"
            );
            break;
        }
    }
    assert_eq!(
        events.last().map(String::as_str),
        Some("refused"),
        "{events:?}"
    );
    assert!(
        client.next(Duration::from_secs(3)).await.is_none(),
        "the stream ended"
    );
}

/// The database's own account of what each revision changed: every notification, grouped
/// by revision, heard on a connection nothing disturbs.
async fn truth(
    pool: &PgPool,
) -> (
    tokio::task::JoinHandle<()>,
    std::sync::Arc<std::sync::Mutex<BTreeMap<u64, BTreeSet<String>>>>,
) {
    let log = std::sync::Arc::new(std::sync::Mutex::new(
        BTreeMap::<u64, BTreeSet<String>>::new(),
    ));
    let mut listener = sqlx::postgres::PgListener::connect(&database_url(pool, None))
        .await
        .unwrap();
    listener
        .listen(botconfig::cache::notify::CHANNEL)
        .await
        .unwrap();
    let into = log.clone();
    let task = tokio::spawn(async move {
        while let Ok(notification) = listener.recv().await {
            let mut payload: serde_json::Value =
                serde_json::from_str(notification.payload()).unwrap();
            let revision = payload["revision"]
                .as_u64()
                .expect("every notification has a revision");
            let object = payload.as_object_mut().unwrap();
            object.remove("revision");
            let mut log = into.lock().unwrap();
            let changes = log.entry(revision).or_default();
            if object["kind"] != "commit" {
                changes.insert(serde_json::Value::Object(object.clone()).to_string());
            }
        }
    });
    (task, log)
}

/// A small deterministic generator for the clients' choices.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// Which of a pair filter's symbols a change touches (as the stream decides).
fn touches(change: &str, pair: &str) -> bool {
    let change: serde_json::Value = serde_json::from_str(change).unwrap();
    match change["kind"].as_str().unwrap() {
        "pair" | "pair_strategy" | "pair_risk" => change["symbol"] == pair,
        "strategy" | "everything" => true,
        _ => false,
    }
}

/// Checks one client's whole received sequence against the database's log: ids only
/// rise; a change event holds exactly its revision's changes (touching `pair`, if the
/// client filtered); no revision between two events was skipped unless it had nothing for
/// the client; every jump otherwise is an explicit reset. Returns how many resets.
fn check_sequence(
    name: &str,
    received: &[Received],
    log: &BTreeMap<u64, BTreeSet<String>>,
    pair: Option<&str>,
    last: u64,
) -> usize {
    let relevant = |revision: u64| -> BTreeSet<String> {
        log.get(&revision)
            .unwrap_or_else(|| panic!("{name}: revision {revision} is not in the database's log"))
            .iter()
            .filter(|c| pair.is_none_or(|p| touches(c, p)))
            .cloned()
            .collect()
    };
    let start = &received[0];
    assert_eq!(start.event, "start", "{name}: {start:?}");
    let (mut cursor, mut resets) = (start.id, 0);
    for event in &received[1..] {
        assert!(
            event.id > cursor,
            "{name}: {event:?} after {cursor}: out of order or twice"
        );
        match event.event.as_str() {
            "change" => {
                for skipped in cursor + 1..event.id {
                    assert!(
                        pair.is_some() && relevant(skipped).is_empty(),
                        "{name}: revision {skipped} skipped before {event:?}"
                    );
                }
                assert_eq!(
                    event.changes(),
                    relevant(event.id),
                    "{name}: revision {} split or wrong",
                    event.id
                );
            }
            "reset" => resets += 1,
            other => panic!("{name}: unexpected event {other}"),
        }
        cursor = event.id;
    }
    for unseen in cursor + 1..=last {
        assert!(
            pair.is_some() && relevant(unseen).is_empty(),
            "{name}: never got revision {unseen}"
        );
    }
    resets
}

/// Random writes through the API, the CLI, the console's server functions and plain SQL
/// (renames, deletes and TRUNCATE among them), while stream clients disconnect and resume
/// at random and the server's listener is killed now and then. Afterwards every client's
/// sequence, replayed, equals the database's log from its first revision.
#[sqlx::test]
async fn every_client_sees_the_databases_history_whatever_the_writes_and_disconnects(pool: PgPool) {
    use proptest::strategy::{Strategy, ValueTree};
    let seed: u64 = std::env::var("STREAM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("STREAM_SEED={seed}");
    let (console, _console_manager) = crate::helpers::console(&pool).await;
    let (router, manager, _listener) = server(&pool).await;
    let token = api_token(&pool, "watcher", Scope::Read).await;
    let writer = api_token(&pool, "writer", Scope::Write).await;
    let (truth_task, log) = truth(&pool).await;
    // Every client starts at a revision the database's log was listening for.
    let first = revision(&pool).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            manager.feed().latest() >= first
        })
        .await
    );

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = [None, None, None, Some("BTC/USDT")]
        .into_iter()
        .enumerate()
        .map(|(n, pair)| {
            let (router, token, stop) = (router.clone(), token.clone(), stop.clone());
            let mut dice = Dice(seed.wrapping_mul(n as u64 + 7) | 1);
            tokio::spawn(async move {
                let query = pair.map(|p| format!("?pairs={p}")).unwrap_or_default();
                let mut received: Vec<Received> = Vec::new();
                let mut connections = 0;
                loop {
                    let stopping = stop.load(std::sync::atomic::Ordering::SeqCst);
                    let last = received.last().map(|e| e.id);
                    let mut client = Client::connect(&router, &token, last, &query).await;
                    connections += 1;
                    let budget = if stopping { u64::MAX } else { 1 + dice.roll(8) };
                    let mut got = 0;
                    let wait =
                        Duration::from_millis(if stopping { 1500 } else { 50 + dice.roll(300) });
                    while got < budget {
                        match client.next(wait).await {
                            Some(event) => {
                                received.push(event);
                                got += 1;
                            }
                            None => break,
                        }
                    }
                    if stopping {
                        return (received, connections);
                    }
                }
            })
        })
        .collect();

    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        Default::default(),
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &{
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
            bytes
        }),
    );
    let mut pick = |sides: u32| (0..sides).new_tree(&mut runner).unwrap().current();
    let mut edit_runner = proptest::test_runner::TestRunner::deterministic();
    let (mut by_sql, mut by_api, mut by_cli, mut by_console, mut kills) = (0, 0, 0, 0, 0);
    for step in 0..160 {
        match pick(20) {
            0..=10 => {
                let edit = crate::faults::edit()
                    .new_tree(&mut edit_runner)
                    .unwrap()
                    .current();
                crate::faults::apply_edit(&pool, &edit).await;
                by_sql += 1;
            }
            11..=13 => {
                let version: i32 = sqlx::query_scalar("SELECT version FROM system_config WHERE config_key = 'rebalance_interval_hours'")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                let request = Request::put("/api/v1/settings/rebalance_interval_hours")
                    .header(header::HOST, crate::helpers::CONSOLE)
                    .header(header::AUTHORIZATION, format!("Bearer {writer}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(format!(
                        r#"{{"value": {}, "version": {version}}}"#,
                        1 + step % 9
                    )))
                    .unwrap();
                let response = router.clone().oneshot(request).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                by_api += 1;
            }
            14 => {
                crate::helpers::botconfig(&pool)
                    .args([
                        "set-config",
                        "total_portfolio_balance",
                        &(10_000 + step).to_string(),
                    ])
                    .assert()
                    .success();
                by_cli += 1;
            }
            15..=17 => {
                let symbol = ["BTC%2FUSDT", "ETH%2FUSDT"][pick(2) as usize];
                let active = ["true", "false"][pick(2) as usize];
                // Refused (403) when the pair was renamed or deleted: part of the game.
                console
                    .admin()
                    .send(crate::helpers::form(
                        <botconfig::web::pages::pairs::SetPairActive as leptos::server_fn::ServerFn>::PATH,
                        &format!("symbol={symbol}&active={active}"),
                    ))
                    .await;
                by_console += 1;
            }
            _ => {
                sql(&pool, &format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}' AND datname = current_database()",
                    botconfig::cache::notify::LISTENER_APPLICATION_NAME
                ))
                .await;
                kills += 1;
            }
        }
        if pick(4) == 0 {
            tokio::time::sleep(Duration::from_millis(u64::from(pick(40)))).await;
        }
    }
    let last = revision(&pool).await;
    assert!(
        eventually(Duration::from_secs(15), || async {
            manager.feed().latest() >= last
        })
        .await,
        "the feed never reached revision {last}"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            log.lock().unwrap().keys().next_back() == Some(&last)
        })
        .await,
        "the database's log never reached {last}"
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let log = log.lock().unwrap().clone();
    truth_task.abort();
    println!("writes: {by_sql} by SQL, {by_api} by the API, {by_cli} by the CLI, {by_console} by the console; {kills} listener kills; revisions up to {last}");
    for (n, client) in clients.into_iter().enumerate() {
        let (received, connections) = client.await.unwrap();
        let pair = (n == 3).then_some("BTC/USDT");
        let resets = check_sequence(&format!("client {n}"), &received, &log, pair, last);
        println!(
            "client {n}: {} events over {connections} connections, {resets} resets",
            received.len()
        );
    }
}

/// A change to pairs and settings carries its partial snapshot: a replica applies it
/// without asking; a filtered stream and a strategy's definition get the plain event.
#[sqlx::test]
async fn a_change_event_carries_what_it_touched(pool: PgPool) {
    let (router, manager, _listener) = server(&pool).await;
    let token = watcher_token(&pool, &manager).await;
    let mut client = Client::connect(&router, &token, None, "").await;
    assert_eq!(
        client.next(Duration::from_secs(2)).await.unwrap().event,
        "start"
    );
    sql(
        &pool,
        "UPDATE pair_risk_config SET stop_loss_percent = 4.75 \
         WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')",
    )
    .await;
    let event = client.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(event.event, "change");
    let snapshot = &event.data["snapshot"];
    assert!(
        snapshot["revision"].as_u64().unwrap() >= event.id,
        "{snapshot}"
    );
    let pairs: Vec<&String> = snapshot["pairs"].as_object().unwrap().keys().collect();
    assert_eq!(pairs, ["ETH/USDT"]);
    assert_eq!(
        snapshot["pairs"]["ETH/USDT"]["risk"]["stop_loss_percent"],
        "4.75"
    );
    assert_eq!(snapshot["stale"], false);
    assert!(snapshot["system"]["paper_trading"].is_boolean());
    sql(
        &pool,
        "UPDATE strategies SET display_name = 'RSI (14)' WHERE strategy_name = 'rsi'",
    )
    .await;
    let event = client.next(Duration::from_secs(5)).await.unwrap();
    assert!(
        event.data.get("snapshot").is_none(),
        "a definition touches every pair: {event:?}"
    );
    let mut filtered = Client::connect(&router, &token, None, "?pairs=ETH/USDT").await;
    filtered.next(Duration::from_secs(2)).await.unwrap();
    sql(
        &pool,
        "UPDATE pair_risk_config SET stop_loss_percent = 4.5 \
         WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')",
    )
    .await;
    let event = filtered.next(Duration::from_secs(5)).await.unwrap();
    assert!(event.data.get("snapshot").is_none(), "{event:?}");
}
