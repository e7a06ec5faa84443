//! Secret settings (exchange keys, chat tokens): set from the CLI, kept for the bots, but
//! never in the console's HTML, an export, the logs or the history.

use crate::helpers::{self, botconfig, setting, stderr, stdout};
use axum::http::StatusCode;
use botconfig::domain::forms::SettingsForm;
use botconfig::domain::history::{Actor, HistoryFilter, Source};
use botconfig::service::ConfigService;
use sqlx::PgPool;

const SECRET: &str = "k-live-0123456789abcdef";
const ROTATED: &str = "k-live-fedcba9876543210";

#[sqlx::test]
async fn a_secret_never_leaves_the_server_but_bots_have_it(pool: PgPool) {
    let out = botconfig(&pool)
        .env("RUST_LOG", "trace")
        .args([
            "set-config",
            "exchange_api_key",
            SECRET,
            "--type",
            "string",
            "--category",
            "system",
            "--secret",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !printed.contains(SECRET),
        "the CLI's output and logs: {printed}"
    );
    assert!(printed.contains("exchange_api_key is set"), "{printed}");
    assert_eq!(setting(&pool, "exchange_api_key").await, SECRET);

    // The console's page shows that it is set, not what it is.
    let (app, manager) = helpers::console(&pool).await;
    let (status, html) = app.admin().get("/system").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(SECRET));
    assert!(html.contains("set, last changed"), "{html}");

    // Nor does an export, or the CLI's list.
    for args in [
        vec!["export"],
        vec!["list", "system", "--json"],
        vec!["list", "system"],
    ] {
        let out = botconfig(&pool).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stdout(&out).contains(SECRET), "{args:?}");
    }

    // Saving its group with the field left empty keeps it; a new value replaces it.
    let alice = ConfigService::new(manager.clone()).acting_as(Actor::new("alice", Source::Console));
    let form =
        |secret_input: &str, settings: &[botconfig::domain::system::SystemSetting]| SettingsForm {
            category: "system".into(),
            values: settings
                .iter()
                .filter(|s| s.category.as_str() == "system")
                .map(|s| {
                    let value = if s.is_secret {
                        secret_input.to_owned()
                    } else {
                        s.value.to_string()
                    };
                    (s.key.clone(), value)
                })
                .collect(),
            versions: Default::default(),
        };
    let current = alice.settings().await.unwrap();
    let saved = alice.save_settings(&form("", &current)).await.unwrap();
    assert!(!format!("{saved:?}").contains(SECRET));
    assert_eq!(setting(&pool, "exchange_api_key").await, SECRET);
    alice.save_settings(&form(ROTATED, &current)).await.unwrap();
    assert_eq!(setting(&pool, "exchange_api_key").await, ROTATED);
    // The bots' reads (the cached manager) have it.
    assert_eq!(
        manager
            .setting("exchange_api_key")
            .await
            .unwrap()
            .value
            .to_string(),
        ROTATED
    );

    // The history says it changed, never to or from what.
    let history = alice
        .history(&HistoryFilter::default())
        .await
        .unwrap()
        .changes;
    let text = serde_json::to_string(&history).unwrap();
    assert!(!text.contains(SECRET) && !text.contains(ROTATED));
    assert_eq!(history[0].describe(), ["exchange api key changed"]);
    assert_eq!(history[0].actor, "alice");
}
