"""The client's pure parts: the outage rule, the snapshot file, the shapes."""

import json
from decimal import Decimal

from botconfig_client import policy
from botconfig_client.state import State, dump_file, load_file


def test_the_outage_rule_matches_the_servers():
    # The same cases as the server's doc test (domain::risk::OutagePolicy::allows_trading).
    assert policy.allows_trading("auto", 61.0, 60, True)
    assert not policy.allows_trading("auto", 61.0, 60, False)
    assert policy.allows_trading("fail_closed", 59.0, 60, False)
    assert not policy.allows_trading("fail_closed", 61.0, 60, True)
    assert policy.allows_trading("fail_open", 3600.0, 60, False)


SNAPSHOT = {
    "revision": 7,
    "pairs": {"BTC/USDT": {
        "pair": {"id": 1, "symbol": "BTC/USDT", "base_currency": "BTC", "quote_currency": "USDT", "is_active": True,
                 "initial_balance": "3000", "trade_size_usd": "200", "max_position_percent": "30",
                 "min_trade_amount": "0.00001", "max_trade_amount": "100", "price_precision": 2, "amount_precision": 6,
                 "version": 1},
        "strategies": [
            {"strategy": "rsi", "display_name": "RSI", "description": "d", "strategy_type": "technical",
             "weight": "0.4", "normalized_weight": "0.4", "parameters": {"rsi_period": "14", "x": "0.5"}},
            {"strategy": "sma", "display_name": "SMA", "weight": "0.6", "normalized_weight": "0.6", "parameters": {}},
        ],
        "risk": {"stop_loss_percent": "5", "take_profit_percent": "10", "max_daily_trades": 10,
                 "max_daily_loss_percent": "5", "trailing_stop_enabled": False, "trailing_stop_percent": "2",
                 "max_drawdown_percent": "15", "position_sizing_method": "fixed", "volatility_lookback_days": 30,
                 "outage_policy": "fail_closed"}}},
    "system": {"paper_trading": False, "total_portfolio_balance": 10000, "check_interval": 60, "outage_grace_seconds": 30},
    "setting_types": {"paper_trading": "boolean", "total_portfolio_balance": "float", "check_interval": "integer"},
    "portfolio": {"active_pairs": 1},
}


def test_a_state_answers_in_the_original_shapes():
    state = State.from_snapshot(json.loads(json.dumps(SNAPSHOT)))
    pair = state.pairs["BTC/USDT"]
    assert pair.trading_config["pair"]["initial_balance"] == Decimal("3000")
    assert [s["strategy_name"] for s in pair.strategies] == ["sma", "rsi"], "heaviest first"
    assert pair.strategies[1]["parameters"] == {"rsi_period": 14, "x": 0.5}
    assert pair.weights == {"sma": 0.6, "rsi": 0.4}
    assert pair.risk_limits["max_daily_trades"] == 10 and pair.risk_limits["stop_loss_percent"] == 5.0
    assert pair.trading_config["system"] == {"paper_trading": False, "check_interval": 60, "max_concurrent_positions": 3}
    assert state.system["total_portfolio_balance"] == Decimal("10000"), "a float setting is exact"
    assert state.portfolio["total_balance"] == 10000.0 and type(state.portfolio["total_balance"]) is float
    assert state.grace_seconds == 30 and not state.paper_trading and pair.outage_policy == "fail_closed"


def test_the_snapshot_file_round_trips_exactly():
    state = State.from_snapshot(json.loads(json.dumps(SNAPSHOT)))
    document = load_file(dump_file({"state": state.to_json()}))
    again = State.from_snapshot(document["state"])
    assert again.revision == 7
    assert again.system == state.system
    assert again.all_active == state.all_active


def test_a_pause_holds_until_its_end_by_the_clients_own_clock():
    from datetime import datetime, timezone
    snapshot = json.loads(json.dumps(SNAPSHOT))
    # As the server writes it: nanoseconds and a Z.
    snapshot["pairs"]["BTC/USDT"]["pair"]["pause"] = {
        "mode": "close_out", "reason": "listing news",
        "since": "2026-12-03T10:00:00.123456789Z", "until": "2026-12-03T14:00:00.500000000Z"}
    pair = State.from_snapshot(snapshot).pairs["BTC/USDT"]
    end = datetime(2026, 12, 3, 14, 0, 0, 500000, tzinfo=timezone.utc).timestamp()
    assert pair.paused(end - 0.001)["mode"] == "close_out"
    assert pair.paused(end) is None, "a pause ending at t does not hold at t"
    assert pair.paused(end + 0.001) is None
    snapshot["pairs"]["BTC/USDT"]["pair"]["pause"]["until"] = None
    assert State.from_snapshot(snapshot).pairs["BTC/USDT"].paused(end + 1e9) is not None, "until resumed"
