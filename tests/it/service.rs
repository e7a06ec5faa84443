//! The bot-facing services: should_trade_pair, portfolio, normalized weights, validation.

use crate::helpers::sym;
use botconfig::cache::{CacheSettings, ConfigManager};
use botconfig::domain::pair::Symbol;
use botconfig::service::{ConfigService, ReadFrom};
use rust_decimal_macros::dec;
use sqlx::PgPool;

fn service(pool: &PgPool) -> ConfigService {
    ConfigService::new(ConfigManager::new(pool.clone(), CacheSettings::default()))
}

#[sqlx::test]
async fn an_active_pair_with_strategies_may_trade(pool: PgPool) {
    let d = service(&pool)
        .should_trade_pair(&sym("BTC/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert!(d.trade, "{:?}", d.reasons);
}

#[sqlx::test]
async fn an_inactive_pair_may_not_trade(pool: PgPool) {
    let s = service(&pool);
    s.set_pair_active(&sym("ETH/USDT"), false).await.unwrap();
    let d = s
        .should_trade_pair(&sym("ETH/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert_eq!(
        (d.trade, d.reasons),
        (false, vec!["pair is inactive".to_owned()])
    );
}

#[sqlx::test]
async fn a_pair_without_an_enabled_strategy_may_not_trade(pool: PgPool) {
    let m = ConfigManager::new(pool.clone(), CacheSettings::default());
    let s = ConfigService::new(m.clone());
    let m = &m;
    let dot = Symbol::parse("DOT/USDT").unwrap();
    for name in ["sma_crossover", "rsi"] {
        let row = m.strategy_config(&dot, name).await.unwrap();
        m.update_pair_strategy(
            &dot,
            name,
            false,
            row.weight,
            &row.parameters,
            Some(row.version),
        )
        .await
        .unwrap();
    }
    let d = s
        .should_trade_pair(&sym("DOT/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert_eq!(d.reasons, ["no strategy is enabled"]);
    let report = s.validate().await.unwrap();
    assert!(report
        .warnings
        .contains(&"DOT/USDT is active but has no enabled strategy: it never trades".to_owned()));
    let detail = report
        .details
        .iter()
        .find(|w| w.symbol.as_deref() == Some("DOT/USDT"))
        .unwrap();
    assert_eq!(detail.href, "/pairs/DOT/USDT/strategies");
}

#[sqlx::test]
async fn an_unknown_pair_may_not_trade(pool: PgPool) {
    let e = service(&pool)
        .should_trade_pair(&sym("XRP/USDT"), ReadFrom::Cache)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "pair XRP/USDT not found");
    assert!(
        botconfig::service::parse_symbol("xrp").is_err(),
        "a malformed symbol is refused at the edge"
    );
}

#[sqlx::test]
async fn a_triggered_emergency_stop_halts_every_pair(pool: PgPool) {
    let s = service(&pool);
    s.set_setting("emergency_stop_triggered", "true")
        .await
        .unwrap();
    let d = s
        .should_trade_pair(&sym("BTC/USDT"), ReadFrom::Cache)
        .await
        .unwrap();
    assert_eq!(d.reasons, ["emergency stop triggered"]);
    // The same answer read straight from Postgres, counted as a bypass.
    let fresh = s
        .should_trade_pair(&sym("BTC/USDT"), ReadFrom::Database)
        .await
        .unwrap();
    assert_eq!(fresh, d);
    assert_eq!(s.cache_stats().await.bypasses, 1);
}

#[sqlx::test]
async fn trading_config_normalizes_enabled_weights(pool: PgPool) {
    let c = service(&pool)
        .trading_config(&sym("BTC/USDT"))
        .await
        .unwrap();
    let w: Vec<_> = c
        .strategies
        .iter()
        .map(|s| (s.strategy.as_str(), s.weight, s.normalized_weight))
        .collect();
    assert_eq!(
        w,
        [
            ("rsi", dec!(0.4), dec!(0.4)),
            ("sma_crossover", dec!(0.6), dec!(0.6))
        ]
    );
    assert_eq!(c.risk.stop_loss_percent, dec!(5));
    let configs = service(&pool)
        .active_trading_configs(ReadFrom::Cache)
        .await
        .unwrap();
    assert_eq!(configs.len(), 3);
}

#[sqlx::test]
async fn portfolio_allocates_by_initial_balance(pool: PgPool) {
    let p = service(&pool).portfolio(ReadFrom::Cache).await.unwrap();
    assert_eq!(p.total_balance, dec!(10000));
    let a: Vec<_> = p
        .allocations
        .iter()
        .map(|a| (a.symbol.as_str(), a.percent_of_portfolio))
        .collect();
    assert_eq!(
        a,
        [
            ("BTC/USDT", dec!(30)),
            ("DOT/USDT", dec!(10)),
            ("ETH/USDT", dec!(25))
        ]
    );
    assert_eq!(p.allocated_percent, dec!(65));
    assert_eq!(p.max_concurrent_positions, 3);
    assert!(p.paper_trading && p.emergency_stop_enabled);
}

#[sqlx::test]
async fn the_default_configuration_is_valid(pool: PgPool) {
    let r = service(&pool).validate().await.unwrap();
    assert!(r.errors.is_empty() && r.warnings.is_empty(), "{r:?}");
}

#[sqlx::test]
async fn no_active_pair_is_an_error(pool: PgPool) {
    let s = service(&pool);
    for symbol in ["BTC/USDT", "ETH/USDT", "DOT/USDT"] {
        s.set_pair_active(&sym(symbol), false).await.unwrap();
    }
    assert_eq!(
        s.validate().await.unwrap().errors,
        ["no active trading pairs"]
    );
}

#[sqlx::test]
async fn a_missing_required_setting_is_an_error(pool: PgPool) {
    sqlx::query("DELETE FROM system_config WHERE config_key = 'check_interval'")
        .execute(&pool)
        .await
        .unwrap();
    let r = service(&pool).validate().await.unwrap();
    assert_eq!(r.errors, ["required setting check_interval is missing"]);
}

#[sqlx::test]
async fn allocations_above_the_portfolio_are_a_warning(pool: PgPool) {
    let s = service(&pool);
    s.set_setting("total_portfolio_balance", "5000")
        .await
        .unwrap();
    let r = s.validate().await.unwrap();
    assert_eq!(
        r.warnings,
        ["active pairs' initial balances add up to 130% of the portfolio (6500 of 5000)"]
    );
}
