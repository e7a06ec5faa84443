"""One revision of the configuration as a replica holds it, with every answer the original
service's methods give built up front, so that a read is a dictionary lookup."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

from . import shapes



class PairAnswers:
    """Everything a bot reads about one active pair."""

    __slots__ = ("raw", "trading_config", "strategies", "enabled", "weights", "risk", "risk_limits", "outage_policy",
                 "pause", "pause_until")

    def __init__(self, raw: Dict[str, Any], system: Dict[str, Any]):
        self.raw = raw
        pair = shapes.pair_dict(raw["pair"])
        self.strategies = shapes.strategies_list(raw.get("strategies", []))
        self.risk = shapes.risk_dict(raw["risk"])
        self.trading_config = {
            "pair": pair,
            "strategies": self.strategies,
            "risk": self.risk,
            "system": shapes.system_subset(system),
        }
        self.enabled = [s["strategy_name"] for s in self.strategies]
        self.weights = shapes.weights(self.strategies)
        self.risk_limits = shapes.risk_limits(self.risk)
        self.outage_policy = raw["risk"].get("outage_policy", "auto")
        # The pause as the server stored it; it ends by the clock (see ``paused``).
        self.pause = raw["pair"].get("pause")
        until = self.pause and self.pause.get("until")
        self.pause_until = _timestamp(until) if until else None

    def paused(self, now: float) -> Optional[Dict[str, Any]]:
        """The pause that holds at ``now`` (seconds since the epoch), if any: one ending
        at t holds before t, not at it."""
        if self.pause is None or (self.pause_until is not None and now >= self.pause_until):
            return None
        return self.pause


def _timestamp(text: str) -> float:
    """An RFC 3339 time as the server writes it (nanoseconds cut to microseconds)."""
    head, _, fraction = text.replace("Z", "+00:00").partition(".")
    if fraction:
        digits = "".join(c for c in fraction if c.isdigit())
        zone = fraction[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    else:
        text = head
    return datetime.fromisoformat(text).timestamp()


class State:
    """The configuration at ``revision``. Never changed once built: a new revision is a new
    State, swapped in with one assignment, so readers need no lock."""

    def __init__(self, revision: int, pairs: Dict[str, Dict[str, Any]], system: Dict[str, Any],
                 portfolio: Dict[str, Any], built: Optional[Dict[str, PairAnswers]] = None):
        self.revision = revision
        self.system = system
        self.portfolio_raw = portfolio
        # A pair unchanged since the last state keeps its answers: a change to one pair
        # builds one pair's.
        built = built or {}
        self.pairs = {symbol: built.get(symbol) or PairAnswers(raw, system) for symbol, raw in pairs.items()}
        self.all_active = {symbol: p.trading_config for symbol, p in self.pairs.items()}
        self.portfolio = shapes.portfolio_settings(system, [p.raw["pair"] for p in self.pairs.values()])
        self.paper_trading = bool(system.get("paper_trading", True))
        self.emergency_stop_triggered = bool(system.get("emergency_stop_triggered", False))
        self.grace_seconds = int(system.get("outage_grace_seconds", 60))

    @staticmethod
    def settings_of(body: Dict[str, Any]):
        """A snapshot's settings, each by its type, and the types."""
        types = body.get("setting_types", {})
        system = {
            key: Decimal(str(value)) if types.get(key) == "float" and not isinstance(value, bool) else value
            for key, value in body["system"].items()
        }
        return system, types

    @classmethod
    def from_snapshot(cls, body: Dict[str, Any]) -> "State":
        system, types = cls.settings_of(body)
        state = cls(int(body["revision"]), body["pairs"], system, body["portfolio"])
        state.setting_types = types
        return state

    def with_pairs(self, revision: int, changed: Dict[str, Optional[Dict[str, Any]]],
                   portfolio: Dict[str, Any], system: Dict[str, Any], setting_types: Dict[str, str]) -> "State":
        """This state at ``revision`` with some pairs replaced (None: no longer active), and
        the settings and portfolio as of then."""
        pairs = {symbol: p.raw for symbol, p in self.pairs.items()}
        for symbol, raw in changed.items():
            if raw is None:
                pairs.pop(symbol, None)
            else:
                pairs[symbol] = raw
        reusable = {} if system != self.system else {
            symbol: answers for symbol, answers in self.pairs.items() if symbol not in changed}
        state = State(revision, pairs, system, portfolio, reusable)
        state.setting_types = setting_types
        return state

    def at(self, revision: int) -> "State":
        """The same content, known to be current as of ``revision``."""
        state = object.__new__(State)
        state.__dict__.update(self.__dict__)
        state.revision = revision
        return state

    setting_types: Dict[str, str] = {}

    def to_json(self) -> Dict[str, Any]:
        return {
            "revision": self.revision,
            "setting_types": self.setting_types,
            "pairs": {symbol: p.raw for symbol, p in self.pairs.items()},
            "system": self.system,
            "portfolio": self.portfolio_raw,
        }

    def entries(self) -> int:
        """Entries in the original cache's terms: pair, strategies and risk per pair, plus
        the system config."""
        return 1 + 3 * len(self.pairs)


def loads(text: str) -> Any:
    """The server's JSON, with its numbers as Decimal, never float: 0.1 stays exact."""
    return json.loads(text, parse_float=Decimal)


def dump_file(value: Any) -> str:
    """JSON for the snapshot file: a Decimal as {"$decimal": "0.1"}, read back exactly."""
    return json.dumps(value, default=_encode, separators=(",", ":"))


def load_file(text: str) -> Any:
    return json.loads(text, object_hook=_decode)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decode(obj: Dict[str, Any]) -> Any:
    if len(obj) == 1 and "$decimal" in obj:
        return Decimal(obj["$decimal"])
    return obj
