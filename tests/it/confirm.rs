//! What the console asks before a change (`ConfigService::questions`): a change that adds
//! a warning, switches paper trading off, stops a pair or empties the cache; and nothing
//! for a change that adds no warning, or one the pair already had.

use crate::helpers::{self, sym};
use botconfig::domain::ConfigError;
use botconfig::service::{ConfigService, Proposal};
use rust_decimal_macros::dec;
use sqlx::PgPool;

async fn eth_risk(service: &ConfigService) -> botconfig::domain::risk::RiskSettings {
    service.risk(&sym("ETH/USDT")).await.unwrap().settings
}

#[sqlx::test]
async fn a_risk_save_that_adds_a_warning_is_asked_about_and_one_that_does_not_is_not(pool: PgPool) {
    let service = ConfigService::new(helpers::manager(&pool));
    let mut harmless = eth_risk(&service).await;
    harmless.stop_loss_percent = dec!(4);
    let risk = |settings| Proposal::Risk(sym("ETH/USDT"), settings);
    assert!(service.questions(&risk(harmless)).await.unwrap().is_empty());

    let mut above = eth_risk(&service).await;
    above.stop_loss_percent = dec!(12);
    let asked = service.questions(&risk(above.clone())).await.unwrap();
    assert_eq!(
        asked,
        ["ETH/USDT's take profit (10%) is below its stop loss (12%): a win earns less than a loss costs."]
    );
    assert!(matches!(
        service.ask_first(&risk(above.clone()), false).await,
        Err(ConfigError::Unconfirmed(q)) if q == asked
    ));
    service.ask_first(&risk(above.clone()), true).await.unwrap();

    // Saved once confirmed: the same warning, quoting other values, is not new any more.
    let form = botconfig::domain::risk::RiskForm::from_settings(&above, 1);
    service.update_risk(&sym("ETH/USDT"), &form).await.unwrap();
    let mut further = above.clone();
    further.stop_loss_percent = dec!(15);
    assert!(service.questions(&risk(further)).await.unwrap().is_empty());
    // But a second harm on the same pair is.
    let mut trailing = above;
    trailing.trailing_stop_enabled = true;
    trailing.trailing_stop_percent = dec!(20);
    let asked = service.questions(&risk(trailing)).await.unwrap();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains("trailing stop (20%) is wider"),
        "{asked:?}"
    );
}

#[sqlx::test]
async fn live_trading_a_stopped_pair_an_emptied_cache_and_over_committed_positions_are_asked_about(
    pool: PgPool,
) {
    let manager = helpers::manager(&pool);
    let service = ConfigService::new(manager.clone());
    assert_eq!(
        service
            .questions(&Proposal::PaperTrading(false))
            .await
            .unwrap(),
        ["Paper trading is off: bots send real orders."]
    );
    assert!(service
        .questions(&Proposal::PaperTrading(true))
        .await
        .unwrap()
        .is_empty());
    let asked = service
        .questions(&Proposal::Deactivate(sym("DOT/USDT")))
        .await
        .unwrap();
    assert_eq!(
        asked,
        ["Deactivating DOT/USDT stops every bot opening positions in it."]
    );
    service
        .set_pair_active(&sym("DOT/USDT"), false)
        .await
        .unwrap();
    assert!(
        service
            .questions(&Proposal::Deactivate(sym("DOT/USDT")))
            .await
            .unwrap()
            .is_empty(),
        "an inactive pair stops nothing"
    );
    assert_eq!(
        service
            .questions(&Proposal::ClearCache)
            .await
            .unwrap()
            .len(),
        1
    );

    // BTC 30% + ETH 25% active: BTC at 80% over-commits the balance.
    let mut btc = service.pair(&sym("BTC/USDT")).await.unwrap().settings();
    btc.max_position_percent = dec!(80);
    let asked = service
        .questions(&Proposal::Pair(sym("BTC/USDT"), btc))
        .await
        .unwrap();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].starts_with("The active pairs' max positions add up to 105% of the balance"),
        "{asked:?}"
    );

    // The last enabled strategy switched off leaves ETH/USDT trading nothing.
    let rows = service.pair_strategy_rows(&sym("ETH/USDT")).await.unwrap();
    let enabled: Vec<_> = rows.iter().filter(|r| r.is_enabled).collect();
    let mut asked = Vec::new();
    for (i, row) in enabled.iter().enumerate() {
        asked = service
            .questions(&Proposal::Strategy {
                symbol: sym("ETH/USDT"),
                strategy: row.strategy.clone(),
                enabled: false,
                weight: row.weight,
            })
            .await
            .unwrap();
        if i + 1 < enabled.len() {
            assert!(asked.is_empty(), "another strategy still trades: {asked:?}");
            manager
                .update_pair_strategy(
                    &sym("ETH/USDT"),
                    &row.strategy,
                    false,
                    row.weight,
                    &row.parameters,
                    None,
                )
                .await
                .unwrap();
        }
    }
    assert_eq!(
        asked,
        ["ETH/USDT is active but has no enabled strategy: it never trades."]
    );
}
