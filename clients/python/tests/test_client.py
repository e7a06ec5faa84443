"""botconfig_client against a real server and its database (the test command's e2e
server): the one-import switch, and every method's answer compared with what the original
service would have returned, computed here from the same rows with SQLAlchemy, as the
original read them. Environment: BASE_URL, BOTCONFIG_TOKEN, E2E_DATABASE_URL.
"""

import json
import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

BASE_URL = os.environ["BASE_URL"]
TOKEN = os.environ["BOTCONFIG_TOKEN"]
ENGINE = create_engine(os.environ["E2E_DATABASE_URL"].replace("postgres://", "postgresql+psycopg2://", 1))


def rows(sql, **params):
    with ENGINE.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(sql), params)]


@pytest.fixture(scope="module")
def client():
    from botconfig_client import BotConfig

    replica = BotConfig(BASE_URL, TOKEN, name="pytest")
    yield replica
    replica.close()


def active_symbols():
    return [r["symbol"] for r in rows("SELECT symbol FROM trading_pairs WHERE is_active ORDER BY symbol")]


def test_the_one_import_switch():
    # A bot's `from services.cached_config_service import cached_config_service` becomes
    # this line; the instance is built from BOTCONFIG_URL and BOTCONFIG_TOKEN.
    program = (
        "from botconfig_client import cached_config_service\n"
        "import json\n"
        "print(json.dumps(sorted(cached_config_service.get_all_active_pairs_config())))\n"
    )
    env = {**os.environ, "BOTCONFIG_URL": BASE_URL, "BOTCONFIG_TOKEN": TOKEN}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == active_symbols()
    # Without the environment it says what is missing, instead of trading on defaults.
    env.pop("BOTCONFIG_URL")
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "set BOTCONFIG_URL" in done.stderr


def test_pairs_strategies_and_risk_as_the_original_returned_them(client):
    symbols = active_symbols()
    assert sorted(client.get_all_active_pairs_config()) == symbols
    for symbol in symbols:
        config = client.get_trading_config_for_pair(symbol)
        assert set(config) == {"pair", "strategies", "risk", "system"}
        # The original: dict(row) of this SELECT, NUMERIC columns as Decimal.
        (pair,) = rows("SELECT id, symbol, base_currency, quote_currency, initial_balance, trade_size_usd, "
                       "max_position_percent, min_trade_amount, max_trade_amount, price_precision, amount_precision "
                       "FROM trading_pairs WHERE symbol = :s AND is_active = true", s=symbol)
        assert config["pair"] == pair
        assert all(type(config["pair"][k]) is type(pair[k]) for k in pair), config["pair"]
        strategies = rows("SELECT s.strategy_name, s.display_name, s.description, s.strategy_type, psc.is_enabled, "
                          "psc.weight, psc.parameters FROM pair_strategy_config psc JOIN strategies s ON psc.strategy_id = s.id "
                          "JOIN trading_pairs tp ON psc.pair_id = tp.id WHERE tp.symbol = :s AND psc.is_enabled = true "
                          "AND s.is_active = true ORDER BY psc.weight DESC, s.strategy_name", s=symbol)
        for strategy in strategies:
            strategy["parameters"] = strategy["parameters"] or {}
        assert config["strategies"] == strategies
        (risk,) = rows("SELECT stop_loss_percent, take_profit_percent, max_daily_trades, max_daily_loss_percent, "
                       "trailing_stop_enabled, trailing_stop_percent, max_drawdown_percent, position_sizing_method, "
                       "volatility_lookback_days FROM pair_risk_config prc JOIN trading_pairs tp ON prc.pair_id = tp.id "
                       "WHERE tp.symbol = :s", s=symbol)
        assert config["risk"] == risk
        limits = client.get_risk_limits_for_pair(symbol)
        assert limits["stop_loss_percent"] == float(risk["stop_loss_percent"])
        assert type(limits["stop_loss_percent"]) is float and type(limits["max_daily_trades"]) is int
        enabled = [s["strategy_name"] for s in strategies]
        assert client.get_enabled_strategies_for_pair(symbol) == enabled
        total = sum(float(s["weight"]) for s in strategies)
        assert client.get_strategy_weights_for_pair(symbol) == {
            s["strategy_name"]: float(s["weight"]) / total for s in strategies}
        assert client.is_pair_active(symbol)
    assert client.get_trading_config_for_pair("NOPE/USDT") == {}
    assert client.get_risk_limits_for_pair("NOPE/USDT") == {}
    assert client.get_enabled_strategies_for_pair("NOPE/USDT") == []
    assert not client.is_pair_active("NOPE/USDT") and not client.should_trade_pair("NOPE/USDT")


def test_settings_and_portfolio_by_their_types(client):
    settings = {r["config_key"]: r for r in rows("SELECT config_key, config_value, config_type FROM system_config WHERE is_active")}
    portfolio = client.get_portfolio_settings()
    assert portfolio["total_balance"] == float(settings["total_portfolio_balance"]["config_value"])
    assert type(portfolio["total_balance"]) is float
    assert portfolio["paper_trading"] == (settings["paper_trading"]["config_value"] == "true")
    assert portfolio["active_pairs_count"] == len(active_symbols())
    # setting() keeps money exact: a float setting is a Decimal.
    assert client.setting("total_portfolio_balance") == Decimal(settings["total_portfolio_balance"]["config_value"])
    assert client.setting("check_interval") == int(settings["check_interval"]["config_value"])
    with pytest.raises(KeyError):
        client.setting("no_such_setting")


def test_a_change_is_pushed_and_counted(client, tmp_path):
    from botconfig_client import BotConfig

    snapshot = tmp_path / "last-good.json"
    replica = BotConfig(BASE_URL, TOKEN, snapshot_path=str(snapshot), name="pytest-push")
    seen = []
    replica.on_change(lambda revision, changes: seen.append((revision, changes)))
    symbol = active_symbols()[0]
    (before,) = rows("SELECT stop_loss_percent FROM pair_risk_config r JOIN trading_pairs p ON p.id = r.pair_id "
                     "WHERE p.symbol = :s", s=symbol)
    new = before["stop_loss_percent"] + Decimal("0.01")
    with ENGINE.begin() as connection:
        connection.execute(text("UPDATE pair_risk_config SET stop_loss_percent = :v WHERE pair_id = "
                                "(SELECT id FROM trading_pairs WHERE symbol = :s)"), {"v": new, "s": symbol})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and replica.get_trading_config_for_pair(symbol)["risk"]["stop_loss_percent"] != new:
        time.sleep(0.01)
    assert replica.get_trading_config_for_pair(symbol)["risk"]["stop_loss_percent"] == new
    assert any(change.get("kind") == "pair_risk" for _, changes in seen for change in changes), seen
    # The snapshot file holds the applied revision, written atomically.
    document = json.loads(snapshot.read_text())
    assert document["state"]["revision"] == replica.revision
    # The event carried the pair's new config: applied without a request, without a reload.
    metrics = replica.get_performance_metrics()
    assert metrics["events"] >= 1 and metrics["snapshots"] == 1 and metrics["pair_refetches"] == 0, metrics
    replica.close()
    with ENGINE.begin() as connection:
        connection.execute(text("UPDATE pair_risk_config SET stop_loss_percent = :v WHERE pair_id = "
                                "(SELECT id FROM trading_pairs WHERE symbol = :s)"), {"v": before["stop_loss_percent"], "s": symbol})


def test_a_bad_url_or_token_is_a_clear_error():
    from botconfig_client import BotConfig, ConfigUnavailable

    with pytest.raises(ValueError, match="http"):
        BotConfig("ftp://example", TOKEN)
    with pytest.raises(ConfigUnavailable, match="refused the token"):
        BotConfig(BASE_URL, "bc_not_a_token")
