//! The real `botconfig` binary against a real database and, for `cache` commands, a real
//! running server.

use crate::helpers::{self, botconfig, setting, stderr, stdout};

fn database_url(pool: &PgPool) -> String {
    helpers::database_url(pool, None)
}

use sqlx::PgPool;
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A `botconfig serve` on a free port; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(pool: &PgPool) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("botconfig"))
        .arg("serve")
        .env("DATABASE_URL", database_url(pool))
        .env("BOTCONFIG_LISTEN", format!("127.0.0.1:{port}"))
        // Built without cargo-leptos, the binary learns its bundle name here.
        .env("LEPTOS_OUTPUT_NAME", "botconfig")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(format!("{}/healthz", server.url)).call().is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server never became healthy");
}

fn get_json(url: &str, token: &str) -> serde_json::Value {
    ureq::get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

#[sqlx::test]
async fn cache_clear_then_stats_shows_only_the_grant_of_the_token_that_asked(pool: PgPool) {
    let server = serve(&pool);
    let token = helpers::api_token(&pool, "ops", botconfig::domain::auth::Scope::Admin).await;
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", &server.url)
        .env("BOTCONFIG_TOKEN", &token)
        .args(["cache", "warm"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Warmed "), "{}", stdout(&out));
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", &server.url)
        .env("BOTCONFIG_TOKEN", &token)
        .args(["cache", "clear"])
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with("Cleared "));
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", &server.url)
        .env("BOTCONFIG_TOKEN", &token)
        .args(["cache", "stats", "--json"])
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // One entry: the grant of the token that asked for the stats (cached like any read).
    assert_eq!(stats["entries_total"], 1);
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", &server.url)
        .env("BOTCONFIG_TOKEN", &token)
        .args(["cache", "invalidate", "pair_risk:*"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        "Invalidated 0 entries matching pair_risk:*"
    );
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", &server.url)
        .env("BOTCONFIG_TOKEN", &token)
        .args(["cache", "stats"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("Hit ratio"), "{}", stdout(&out));
}

#[sqlx::test]
async fn cache_commands_without_a_server_say_how_to_start_one(pool: PgPool) {
    let out = botconfig(&pool)
        .env("BOTCONFIG_SERVER", "http://127.0.0.1:9")
        .args(["cache", "stats"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no botconfig server answers at http://127.0.0.1:9"),
        "{err}"
    );
    assert!(err.contains("botconfig serve"), "{err}");
}

#[sqlx::test]
async fn a_set_config_from_the_cli_is_seen_by_the_running_servers_next_read(pool: PgPool) {
    let server = serve(&pool);
    let portfolio = format!("{}/api/v1/portfolio", server.url);
    let token = helpers::api_token(&pool, "bot", botconfig::domain::auth::Scope::Read).await;
    assert_eq!(get_json(&portfolio, &token)["total_balance"], "10000");
    let out = botconfig(&pool)
        .args(["set-config", "total_portfolio_balance", "20000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let deadline = Instant::now() + Duration::from_secs(5);
    while get_json(&portfolio, &token)["total_balance"] != "20000" {
        assert!(
            Instant::now() < deadline,
            "the server kept serving the old balance"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[sqlx::test]
async fn bad_input_exits_2_and_saves_nothing(pool: PgPool) {
    let out = botconfig(&pool)
        .args(["add-pair", "BTCUSDT"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must look like BASE/QUOTE"),
        "{}",
        stderr(&out)
    );
    let out = botconfig(&pool)
        .args(["set-config", "check_interval", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must be a whole number"),
        "{}",
        stderr(&out)
    );
    let out = botconfig(&pool)
        .args(["update-risk", "BTC/USDT", "--stop-loss", "-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = botconfig(&pool)
        .args([
            "update-strategy",
            "BTC/USDT",
            "rsi",
            "--param",
            "rsi_period=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rsi_period: must be at least 2"),
        "{}",
        stderr(&out)
    );
    let out = botconfig(&pool)
        .args(["update-risk", "NOPE/USDT", "--stop-loss", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = botconfig(&pool)
        .args(["list", "risk", "BTC/USDT", "--json"])
        .output()
        .unwrap();
    let risk: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(risk[0]["stop_loss_percent"], "5");
    let out = botconfig(&pool)
        .args(["list", "pairs", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&out))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[sqlx::test]
async fn edits_from_the_cli_are_listed(pool: PgPool) {
    let out = botconfig(&pool)
        .args(["add-pair", "SOL/USDT", "--initial-balance", "1500"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = botconfig(&pool)
        .args([
            "update-strategy",
            "SOL/USDT",
            "macd",
            "--enable",
            "--weight",
            "0.5",
            "--param",
            "fast_period=8",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("enabled, weight 0.5"),
        "{}",
        stdout(&out)
    );
    let out = botconfig(&pool)
        .args([
            "update-risk",
            "SOL/USDT",
            "--stop-loss",
            "3.5",
            "--trailing-stop",
            "on",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = botconfig(&pool).args(["list", "pairs"]).output().unwrap();
    assert!(stdout(&out).contains("SOL/USDT"));
    let out = botconfig(&pool)
        .args(["list", "strategies", "SOL/USDT"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("fast_period=8"), "{}", stdout(&out));
    let out = botconfig(&pool)
        .args(["list", "risk", "SOL/USDT"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("3.5%"), "{}", stdout(&out));
    for what in ["system", "portfolio", "strategies"] {
        let out = botconfig(&pool).args(["list", what]).output().unwrap();
        assert!(out.status.success(), "list {what}: {}", stderr(&out));
        let out = botconfig(&pool)
            .args(["list", what, "--json"])
            .output()
            .unwrap();
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap();
    }
}

#[sqlx::test]
async fn validate_exits_1_on_errors(pool: PgPool) {
    let out = botconfig(&pool).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    sqlx::query("UPDATE trading_pairs SET is_active = false")
        .execute(&pool)
        .await
        .unwrap();
    let out = botconfig(&pool).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error: no active trading pairs"));
}

#[sqlx::test]
async fn export_change_import_restores(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    let out = botconfig(&pool).arg("export").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    botconfig(&pool)
        .args(["set-config", "check_interval", "15"])
        .assert()
        .success();
    botconfig(&pool)
        .args(["update-risk", "ETH/USDT", "--stop-loss", "2"])
        .assert()
        .success();

    let out = botconfig(&pool)
        .arg("import")
        .arg(&file)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("settings.check_interval: 15 → 60"), "{text}");
    assert!(
        text.contains("pairs[ETH/USDT].risk.stop_loss_percent: 2 → 5"),
        "{text}"
    );
    assert!(text.contains("dry run: nothing saved"));
    let interval = crate::helpers::setting(&pool, "check_interval").await;
    assert_eq!(interval, "15");

    botconfig(&pool).arg("import").arg(&file).assert().success();
    let interval = crate::helpers::setting(&pool, "check_interval").await;
    assert_eq!(interval, "60");
    let out = botconfig(&pool)
        .args(["list", "risk", "ETH/USDT", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()[0]["stop_loss_percent"],
        "5"
    );
}

#[sqlx::test]
async fn an_invalid_import_changes_nothing(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    botconfig(&pool).arg("export").arg(&file).assert().success();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["settings"]["check_interval"] = "30".into();
    doc["pairs"][0]["risk"]["stop_loss_percent"] = "-4".into();
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = botconfig(&pool).arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("risk.stop_loss_percent: must be greater than 0"),
        "{}",
        stderr(&out)
    );
    let interval = crate::helpers::setting(&pool, "check_interval").await;
    assert_eq!(
        interval, "60",
        "the valid part must not have been applied either"
    );
    std::fs::write(&file, "{ not json").unwrap();
    let out = botconfig(&pool).arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[sqlx::test]
async fn the_benchmark_prints_json_and_drops_its_scratch_database(pool: PgPool) {
    let scratch_databases = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT datname FROM pg_database WHERE datname LIKE 'botconfig_bench_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let before = scratch_databases().await;
    let out = botconfig(&pool)
        .args([
            "cache",
            "benchmark",
            "--json",
            "--iterations",
            "200",
            "--pairs",
            "20",
            "--max-seconds",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(report["machine"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(report["pairs"], 20);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for r in results {
        for field in [
            "workload",
            "mode",
            "threads",
            "iterations",
            "reads_per_iteration",
            "median_ns",
            "p99_ns",
            "mean_ns",
            "reads_per_sec",
        ] {
            assert!(!r[field].is_null(), "{field} missing in {r}");
        }
    }
    for workload in ["seed", "fleet"] {
        let speedup = &report["speedup"][workload];
        assert!(
            !speedup["cached_vs_uncached"].is_null() && !speedup["cached_vs_naive"].is_null(),
            "{speedup}"
        );
    }
    assert_eq!(
        scratch_databases().await,
        before,
        "the scratch database must be dropped"
    );
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM benchmark_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 1);
}

#[sqlx::test]
async fn empty_or_blank_is_never_a_boolean_or_a_number(pool: PgPool) {
    for (key, value) in [
        ("paper_trading", ""),
        ("paper_trading", "  "),
        ("paper_trading", "yes"),
        ("check_interval", ""),
    ] {
        let out = botconfig(&pool)
            .args(["set-config", key, value])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{key}={value:?}: {}",
            stderr(&out)
        );
    }
    let out = botconfig(&pool)
        .args(["set-config", "paper_trading", ""])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("must be true or false"),
        "{}",
        stderr(&out)
    );
    assert_eq!(setting(&pool, "paper_trading").await, "true");
    assert_eq!(setting(&pool, "check_interval").await, "60");
    botconfig(&pool)
        .args(["set-config", "paper_trading", "FALSE"])
        .assert()
        .success();
    assert_eq!(setting(&pool, "paper_trading").await, "false");
}

#[sqlx::test]
async fn values_too_large_for_their_columns_are_bad_input(pool: PgPool) {
    let out = botconfig(&pool)
        .args(["add-pair", "SOL/USDT", "--initial-balance", "1e15"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must be less than 1000000000000"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    botconfig(&pool).arg("export").arg(&file).assert().success();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["pairs"][0]["settings"]["max_trade_amount"] = "100000000000000000000".into();
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = botconfig(&pool).arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must be less than"),
        "{}",
        stderr(&out)
    );
}

#[sqlx::test]
async fn an_import_that_changes_nothing_writes_nothing(pool: PgPool) {
    let versions = || async {
        let v: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT sum(version) FROM trading_pairs), (SELECT sum(version) FROM pair_risk_config), \
             (SELECT sum(version) FROM pair_strategy_config), (SELECT sum(version) FROM system_config)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        v
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    botconfig(&pool).arg("export").arg(&file).assert().success();
    let before = versions().await;
    botconfig(&pool).arg("import").arg(&file).assert().success();
    assert_eq!(
        versions().await,
        before,
        "unchanged rows must not be written"
    );
}

/// A database that accepts TCP and never answers: the command fails with one line within
/// the connect timeout, and never prints a password, wherever the URL carries it.
#[sqlx::test]
async fn a_silent_database_fails_startup_with_one_redacted_line(pool: PgPool) {
    let proxy = crate::proxy::FaultProxy::start(helpers::server_addr()).await;
    proxy.set(crate::proxy::Mode::Blackhole);
    // A password in the user part and another as a query parameter.
    let proxied = helpers::database_url(&pool, Some(proxy.port));
    let with_password = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&proxied)
        .unwrap()
        .password("hunter2");
    let url = sqlx::ConnectOptions::to_url_lossy(&with_password).to_string();
    let url = format!(
        "{url}{}password=hunter3",
        if url.contains('?') { '&' } else { '?' }
    );
    let started = Instant::now();
    let out = botconfig(&pool)
        .env("DATABASE_URL", &url)
        .env("DATABASE_CONNECT_TIMEOUT", "2")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach Postgres"), "{err}");
    assert!(!err.contains("hunter"), "a password was printed: {err}");
}

#[sqlx::test]
async fn server_logs_carry_no_colour_codes_off_a_terminal(pool: PgPool) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("botconfig"))
        .arg("serve")
        .env("DATABASE_URL", database_url(&pool))
        .env("BOTCONFIG_LISTEN", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "botconfig")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && ureq::get(format!("http://127.0.0.1:{port}/healthz"))
            .call()
            .is_err()
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("cache warmed"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}

#[sqlx::test]
async fn only_the_latest_benchmark_runs_are_kept(pool: PgPool) {
    for _ in 0..3 {
        botconfig(&pool)
            .env("BOTCONFIG_BENCHMARK_RUNS_KEPT", "2")
            .args(["cache", "benchmark", "--iterations", "20", "--json"])
            .assert()
            .success();
    }
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM benchmark_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 2);
}

#[sqlx::test]
async fn should_trade_answers_with_its_exit_code(pool: PgPool) {
    let out = botconfig(&pool)
        .args(["should-trade", "BTC/USDT"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "BTC/USDT: trade");
    sqlx::query("UPDATE trading_pairs SET is_active = false WHERE symbol = 'ETH/USDT'")
        .execute(&pool)
        .await
        .unwrap();
    let out = botconfig(&pool)
        .args(["should-trade", "ETH/USDT"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out).trim(),
        "ETH/USDT: do not trade: pair is inactive"
    );
    let out = botconfig(&pool)
        .args(["should-trade", "XRP/USDT"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pair XRP/USDT not found"),
        "{}",
        stderr(&out)
    );
}

#[sqlx::test]
async fn pause_and_resume_from_the_command_line(pool: PgPool) {
    let run = |args: &[&str]| botconfig(&pool).args(args).output().unwrap();
    let out = run(&[
        "pause",
        "SOL/USDT",
        "--for",
        "4h",
        "--reason",
        "listing news",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown pair: {}",
        stdout(&out)
    );
    let out = run(&["pause", "ETH/USDT", "--for", "4h"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("reason: is required"),
        "{}",
        stderr(&out)
    );
    let out = run(&["pause", "ETH/USDT", "--for", "4 hours", "--reason", "x"]);
    assert!(
        stderr(&out).contains("is not a duration such as 90s, 30m, 4h or 2d"),
        "{}",
        stderr(&out)
    );

    let out = run(&[
        "pause",
        "ETH/USDT",
        "--for",
        "4h",
        "--reason",
        "listing news",
        "--close-out",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("ETH/USDT: paused until ")
            && stdout(&out)
                .contains(": listing news — close out (the bot should exit open positions)"),
        "{}",
        stdout(&out)
    );
    let out = run(&["should-trade", "ETH/USDT"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("do not trade: paused until"),
        "{}",
        stdout(&out)
    );
    let out = run(&["should-trade", "ETH/USDT", "--json"]);
    let decision: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(decision["pause"]["mode"], "close_out");

    let out = run(&["resume", "ETH/USDT", "--reason", "news is out"]);
    assert_eq!(stdout(&out).trim(), "ETH/USDT: resumed");
    assert_eq!(run(&["should-trade", "ETH/USDT"]).status.code(), Some(0));
    assert_eq!(
        stdout(&run(&["resume", "ETH/USDT"])).trim(),
        "ETH/USDT: was not paused"
    );
    let reasons: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT reason FROM config_changes WHERE subject = 'ETH/USDT' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        reasons,
        [
            Some("listing news".to_owned()),
            Some("news is out".to_owned())
        ]
    );
}

#[sqlx::test]
async fn set_config_creates_a_setting_of_the_given_type(pool: PgPool) {
    let out = botconfig(&pool)
        .args([
            "set-config",
            "max_open_orders",
            "12",
            "--type",
            "integer",
            "--category",
            "system",
            "--description",
            "Orders open at once",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(setting(&pool, "max_open_orders").await, "12");
    // Once it exists, a plain set-config changes it; a value of another type is refused.
    botconfig(&pool)
        .args(["set-config", "max_open_orders", "14"])
        .assert()
        .success();
    assert_eq!(setting(&pool, "max_open_orders").await, "14");
    let out = botconfig(&pool)
        .args(["set-config", "bot_flag", "maybe", "--type", "boolean"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must be true or false"),
        "{}",
        stderr(&out)
    );
    let out = botconfig(&pool)
        .args(["set-config", "check_interval", "30", "--type", "float"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a integer setting"),
        "{}",
        stderr(&out)
    );
    // Without --type, an unknown key is still not found.
    let out = botconfig(&pool)
        .args(["set-config", "nope", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[sqlx::test]
async fn the_original_tools_spellings_are_accepted(pool: PgPool) {
    botconfig(&pool)
        .args(["add-pair", "SOL/USDT", "SOL", "USDT", "--balance", "1500"])
        .assert()
        .success();
    let balance: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT initial_balance FROM trading_pairs WHERE symbol = 'SOL/USDT'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(balance, rust_decimal_macros::dec!(1500));
    let out = botconfig(&pool)
        .args(["add-pair", "ADA/USDT", "ADA", "USDC"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a QUOTE that contradicts the symbol is refused"
    );
    botconfig(&pool)
        .args([
            "update-strategy",
            "SOL/USDT",
            "rsi",
            "--parameters",
            r#"{"rsi_period": 21}"#,
            "--enabled",
            "true",
            "--weight",
            "0.5",
        ])
        .assert()
        .success();
    let out = botconfig(&pool)
        .args(["list", "strategies", "--symbol", "SOL/USDT", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rsi = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["strategy"] == "rsi")
        .unwrap();
    assert_eq!(rsi["is_enabled"], true);
    assert_eq!(rsi["parameters"]["rsi_period"], "21");
    botconfig(&pool)
        .args([
            "update-risk",
            "SOL/USDT",
            "--max-trades",
            "7",
            "--max-loss",
            "2.5",
        ])
        .assert()
        .success();
    let (trades, loss): (i32, rust_decimal::Decimal) = sqlx::query_as(
        "SELECT max_daily_trades, max_daily_loss_percent FROM pair_risk_config r \
         JOIN trading_pairs p ON p.id = r.pair_id WHERE p.symbol = 'SOL/USDT'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((trades, loss), (7, rust_decimal_macros::dec!(2.5)));
}

/// On a database without users, `serve` creates the admin and prints a generated password
/// once; it signs in; a second start prints nothing of the kind.
#[sqlx::test]
async fn the_first_admin_password_is_printed_once(pool: PgPool) {
    use std::io::BufRead;
    let start = || {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::process::Command::new(assert_cmd::cargo::cargo_bin("botconfig"))
            .arg("serve")
            .env("DATABASE_URL", database_url(&pool))
            .env("BOTCONFIG_LISTEN", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "botconfig")
            .env_remove("BOTCONFIG_ADMIN_PASSWORD")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts")
    };
    // Lines up to the one that says it is serving.
    let lines_until_serving = |child: &mut Child| {
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for line in out.lines() {
            let line = line.unwrap();
            let done = line.starts_with("botconfig console at");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    };
    let mut first = start();
    let lines = lines_until_serving(&mut first);
    let _ = first.kill();
    let _ = first.wait();
    let announced = lines
        .iter()
        .find(|l| l.starts_with("created the first admin"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    let password = announced
        .split("password \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let accounts = botconfig::service::accounts::AccountService::new(pool.clone());
    let admin = accounts.sign_in("admin", password, "test").await.unwrap();
    assert_eq!(admin.view.role, botconfig::domain::auth::Role::Admin);
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE name = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(password));

    let mut second = start();
    let lines = lines_until_serving(&mut second);
    let _ = second.kill();
    let _ = second.wait();
    assert!(
        !lines.iter().any(|l| l.contains("first admin")),
        "{lines:?}"
    );
}
