"""The server's JSON in the shapes the original ``CachedConfigService`` returns.

The original read its rows with SQLAlchemy over psycopg2, so NUMERIC columns came back as
``decimal.Decimal``, strategy parameters as parsed JSON (ints and floats), settings by their
``config_type`` (a ``float`` setting as ``float``), and ``get_risk_limits_for_pair`` and the
portfolio as floats and ints. Every answer here is built once per applied revision, so a
read is a dictionary lookup.
"""

from decimal import Decimal
from typing import Any, Dict, List

PAIR_DECIMALS = (
    "initial_balance",
    "trade_size_usd",
    "max_position_percent",
    "min_trade_amount",
    "max_trade_amount",
)
PAIR_INTEGERS = ("id", "price_precision", "amount_precision")
RISK_DECIMALS = (
    "stop_loss_percent",
    "take_profit_percent",
    "max_daily_loss_percent",
    "trailing_stop_percent",
    "max_drawdown_percent",
)
RISK_KEYS = (
    "stop_loss_percent",
    "take_profit_percent",
    "max_daily_trades",
    "max_daily_loss_percent",
    "trailing_stop_enabled",
    "trailing_stop_percent",
    "max_drawdown_percent",
    "position_sizing_method",
    "volatility_lookback_days",
)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _parameter(value: Any) -> Any:
    """A parameter as the original's json.loads gave it: an int when whole, else a float."""
    text = str(value)
    if "." in text or "e" in text.lower():
        return float(text)
    return int(text)


def pair_dict(pair: Dict[str, Any]) -> Dict[str, Any]:
    """The original's trading_pairs row: id, symbol, currencies, amounts, precisions."""
    out: Dict[str, Any] = {
        "id": int(pair["id"]),
        "symbol": pair["symbol"],
        "base_currency": pair["base_currency"],
        "quote_currency": pair["quote_currency"],
    }
    for key in PAIR_DECIMALS:
        out[key] = _decimal(pair[key])
    for key in ("price_precision", "amount_precision"):
        out[key] = int(pair[key])
    return out


def strategies_list(strategies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The enabled strategies as the original listed them: heaviest weight first."""
    rows = [
        {
            "strategy_name": s["strategy"],
            "display_name": s["display_name"],
            "description": s.get("description", ""),
            "strategy_type": s.get("strategy_type", ""),
            "is_enabled": True,
            "weight": _decimal(s["weight"]),
            "parameters": {k: _parameter(v) for k, v in s.get("parameters", {}).items()},
        }
        for s in strategies
    ]
    # Stable: equal weights keep the server's order (by name).
    rows.sort(key=lambda s: s["weight"], reverse=True)
    return rows


def risk_dict(risk: Dict[str, Any]) -> Dict[str, Any]:
    """The original's pair_risk_config row."""
    out = {key: risk[key] for key in RISK_KEYS}
    for key in RISK_DECIMALS:
        out[key] = _decimal(out[key])
    out["max_daily_trades"] = int(out["max_daily_trades"])
    out["volatility_lookback_days"] = int(out["volatility_lookback_days"])
    out["trailing_stop_enabled"] = bool(out["trailing_stop_enabled"])
    return out


def risk_limits(risk: Dict[str, Any]) -> Dict[str, Any]:
    """``get_risk_limits_for_pair``: floats and ints, as the original converted them."""
    return {
        "stop_loss_percent": float(risk["stop_loss_percent"]),
        "take_profit_percent": float(risk["take_profit_percent"]),
        "max_daily_trades": int(risk["max_daily_trades"]),
        "max_daily_loss_percent": float(risk["max_daily_loss_percent"]),
        "max_drawdown_percent": float(risk["max_drawdown_percent"]),
        "trailing_stop_enabled": bool(risk["trailing_stop_enabled"]),
        "trailing_stop_percent": float(risk["trailing_stop_percent"]),
    }


def weights(strategies: List[Dict[str, Any]]) -> Dict[str, float]:
    """``get_strategy_weights_for_pair``: each enabled weight over their sum (0 if it is 0)."""
    total = sum(float(s["weight"]) for s in strategies)
    return {s["strategy_name"]: (float(s["weight"]) / total if total > 0 else 0) for s in strategies}


def system_subset(system: Dict[str, Any]) -> Dict[str, Any]:
    """The three settings the original put under ``'system'``, with its defaults when the
    database lacks one (a validation error on the server; never an outage fallback)."""
    return {
        "paper_trading": system.get("paper_trading", True),
        "check_interval": system.get("check_interval", 60),
        "max_concurrent_positions": system.get("max_concurrent_positions", 3),
    }


def _number(value: Any) -> Any:
    """A setting as the original's config_type conversion gave it: decimals as float."""
    return float(value) if isinstance(value, Decimal) else value


def portfolio_settings(system: Dict[str, Any], pairs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """``get_portfolio_settings``."""
    return {
        "total_balance": _number(system.get("total_portfolio_balance", 10000)),
        "max_concurrent_positions": system.get("max_concurrent_positions", 3),
        "paper_trading": system.get("paper_trading", True),
        "check_interval": system.get("check_interval", 60),
        "total_allocation_percent": sum(float(p["max_position_percent"]) for p in pairs),
        "active_pairs_count": len(pairs),
        "correlation_check_enabled": system.get("correlation_check_enabled", True),
        "emergency_stop_enabled": system.get("emergency_stop_enabled", True),
        "global_max_daily_loss_percent": _number(system.get("global_max_daily_loss_percent", 10.0)),
    }
