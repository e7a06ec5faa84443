"""``BotConfig``: a live replica of botconfig's configuration in the bot's own process.

It loads a snapshot, follows ``/api/v1/stream`` in a background thread (resuming with
``Last-Event-ID`` after a reconnect), applies each committed revision by refetching only what
it touched (everything on a ``reset`` or a gap in the revisions), and answers every read
from memory: the current State is one object, swapped in whole, so reads take no lock and
do no I/O. The methods and their return shapes are the original ``CachedConfigService``'s.

An outage is never silent: ``age_seconds`` grows from the moment the server last confirmed
the replica current, ``stale`` turns true past ``max_staleness``, and ``should_trade_pair``
applies each pair's outage policy past the grace period (the setting outage_grace_seconds).
Nothing falls back to defaults or to a per-call network read.
"""

import logging
import os
import socket
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable, Dict, List, Optional

from . import policy
from .state import State, dump_file, load_file, loads
from .transport import Refused, Transport, Unreachable

__version__ = "0.1.0"
LIBRARY = f"botconfig-client-python/{__version__}"

log = logging.getLogger("botconfig_client")

# How the server's stream says it is alive (see the server's api/stream.rs).
HEARTBEAT_PREFIX = "heartbeat "


class ConfigUnavailable(Exception):
    """No configuration to start from: the server is unreachable and there is no snapshot
    file (or the token was refused)."""


class BotConfig:
    """A live replica of the configuration. Build one per process and share it."""

    def __init__(
        self,
        url: str,
        token: str,
        snapshot_path: Optional[str] = None,
        *,
        name: Optional[str] = None,
        max_staleness: float = 5.0,
        report_interval: float = 5.0,
        request_timeout: float = 5.0,
    ):
        if not token:
            raise ValueError("a read token is required (botconfig token create <name> --scope read)")
        self.name = name or os.environ.get("BOTCONFIG_NAME") or os.path.basename(os.sys.argv[0] or "bot")
        self.host = socket.gethostname()
        self.instance = uuid.uuid4().hex
        self.snapshot_path = snapshot_path
        self.max_staleness = max_staleness
        self.report_interval = report_interval
        self._transport = Transport(url, token, request_timeout, self._client_header)
        self._state: Optional[State] = None
        # time.monotonic() at which the server last vouched for what is held.
        self._confirmed: float = float("-inf")
        self._need_snapshot = False
        self._connected = False
        self._stopped: Optional[str] = None
        self._closing = threading.Event()
        self._callbacks: List[Callable[[int, List[Dict[str, Any]]], None]] = []
        self._started = time.time()
        self._counters = {"events": 0, "snapshots": 0, "pair_refetches": 0, "reconnects": 0, "gaps": 0, "resets": 0}
        self._last_snapshot_at: Optional[float] = None
        self.started_from = "server"
        try:
            self._load_snapshot()
        except Refused as error:
            raise ConfigUnavailable(str(error)) from error
        except Unreachable as error:
            if not self._load_file():
                raise ConfigUnavailable(
                    f"cannot reach botconfig at {url} ({error}) and there is no snapshot file to start from"
                    + ("" if snapshot_path else " (pass snapshot_path= or set BOTCONFIG_SNAPSHOT to keep one)")
                ) from error
            self.started_from = "snapshot file"
            log.warning(
                "botconfig unreachable (%s): started from the snapshot file %s at revision %d, %.0f s old",
                error, snapshot_path, self.revision, self.age_seconds)
        self._thread = threading.Thread(target=self._follow, name="botconfig-stream", daemon=True)
        self._thread.start()
        self._reporter = threading.Thread(target=self._report, name="botconfig-report", daemon=True)
        self._reporter.start()

    # ---- the original service's methods: memory only ----

    def get_trading_config_for_pair(self, symbol: str) -> Dict[str, Any]:
        pair = self._state.pairs.get(symbol)
        return pair.trading_config if pair is not None else {}

    def get_all_active_pairs_config(self) -> Dict[str, Dict[str, Any]]:
        return self._state.all_active

    def get_portfolio_settings(self) -> Dict[str, Any]:
        return self._state.portfolio

    def get_strategy_weights_for_pair(self, symbol: str) -> Dict[str, float]:
        pair = self._state.pairs.get(symbol)
        return pair.weights if pair is not None else {}

    def is_pair_active(self, symbol: str) -> bool:
        return symbol in self._state.pairs

    def get_risk_limits_for_pair(self, symbol: str) -> Dict[str, Any]:
        pair = self._state.pairs.get(symbol)
        return pair.risk_limits if pair is not None else {}

    def get_enabled_strategies_for_pair(self, symbol: str) -> List[str]:
        pair = self._state.pairs.get(symbol)
        return pair.enabled if pair is not None else []

    def should_trade_pair(self, symbol: str) -> bool:
        return not self.trade_refusals(symbol)

    def trade_refusals(self, symbol: str) -> List[str]:
        """Why ``should_trade_pair`` says no, in words (empty: it says yes)."""
        state = self._state
        pair = state.pairs.get(symbol)
        if pair is None:
            return ["pair is not active (or unknown)"]
        reasons = []
        if not pair.enabled:
            reasons.append("no strategy is enabled")
        # The clock is read only for a pair that has a pause.
        pause = pair.pause and pair.paused(time.time())
        if pause:
            until = pause.get("until")
            reasons.append(f"paused {'until ' + until if until else 'until resumed'}: {pause['reason']} ({pause['mode']})")
        if state.emergency_stop_triggered:
            reasons.append("emergency stop triggered")
        age = self.age_seconds
        if not policy.allows_trading(pair.outage_policy, age, state.grace_seconds, state.paper_trading):
            reasons.append(
                f"configuration unconfirmed for {age:.0f} s, past the {state.grace_seconds} s grace period: "
                f"outage policy {pair.outage_policy} stops new positions")
        return reasons

    def pause(self, symbol: str) -> Optional[Dict[str, Any]]:
        """The pair's pause while it holds (mode ``no_new_entries`` or ``close_out``,
        reason, since, until or None), or None: a bot with ``close_out`` exits its positions."""
        pair = self._state.pairs.get(symbol)
        return None if pair is None else pair.paused(time.time())

    def warm_cache(self) -> Dict[str, int]:
        """Reloads the whole snapshot now (a replica is always warm; this forces a refetch)."""
        self._load_snapshot()
        state = self._state
        return {
            "system_config": 1,
            "trading_pairs": len(state.pairs),
            "strategies": sum(len(p.enabled) for p in state.pairs.values()),
            "risk_configs": len(state.pairs),
        }

    def get_cache_stats(self) -> Dict[str, Any]:
        state = self._state
        entries = state.entries()
        return {
            "total_entries": entries,
            "expired_entries": 0,
            "active_entries": entries,
            "cache_size_bytes": len(dump_file(state.to_json())),
            # Nothing expires by time: every change is pushed.
            "cache_ttl_seconds": None,
            "revision": state.revision,
            "age_seconds": self.age_seconds,
            "stale": self.stale,
            "connected": self._connected,
            "stopped": self._stopped,
        }

    def get_performance_metrics(self) -> Dict[str, Any]:
        return {
            "cache_stats": self.get_cache_stats(),
            "auto_warm_enabled": False,
            "warm_interval_seconds": None,
            "last_warm_time": self._last_snapshot_at,
            "service_uptime_seconds": time.time() - self._started,
            **self._counters,
        }

    # ---- what the original could not say ----

    def setting(self, key: str) -> Any:
        """A setting by its type: bool, int, Decimal, str or parsed JSON. KeyError if absent."""
        return self._state.system[key]

    def outage_policy(self, symbol: str) -> Optional[str]:
        pair = self._state.pairs.get(symbol)
        return pair.outage_policy if pair is not None else None

    @property
    def revision(self) -> int:
        """The revision applied last."""
        return self._state.revision

    @property
    def age_seconds(self) -> float:
        """How long since the server last confirmed what this replica holds."""
        return max(0.0, time.monotonic() - self._confirmed)

    @property
    def stale(self) -> bool:
        """True once unconfirmed for longer than max_staleness, or stopped."""
        return self._stopped is not None or self.age_seconds > self.max_staleness

    @property
    def stopped(self) -> Optional[str]:
        """Why the replica stopped following the server (a refused token), if it did."""
        return self._stopped

    def status(self) -> Dict[str, Any]:
        return {
            "revision": self.revision,
            "age_seconds": self.age_seconds,
            "stale": self.stale,
            "connected": self._connected,
            "stopped": self._stopped,
            "started_from": self.started_from,
        }

    def on_change(self, callback: Callable[[int, List[Dict[str, Any]]], None]) -> None:
        """Calls ``callback(revision, changes)`` after each applied revision (on the replica's
        thread; keep it short). ``changes`` is ``[{"kind": "reset"}]`` after a full reload."""
        self._callbacks.append(callback)

    def close(self) -> None:
        self._closing.set()

    # ---- following the server ----

    def _client_header(self) -> str:
        state = self._state
        return "; ".join([
            f"instance={self.instance}",
            f"name={_header_safe(self.name)}",
            f"host={_header_safe(self.host)}",
            f"library={LIBRARY}",
            f"revision={state.revision if state else 0}",
        ])

    def _confirm(self, at: float) -> None:
        if at > self._confirmed:
            self._confirmed = at

    def _load_snapshot(self) -> None:
        asked = time.monotonic()
        body = self._transport.get_json("/api/v1/snapshot")
        if body is None:
            raise Unreachable("GET /api/v1/snapshot: not found (is the server older than this client?)")
        stale = body.pop("stale", False)
        body.pop("stale_seconds", None)
        self._install(State.from_snapshot(body), None if stale else asked, [{"kind": "reset"}])
        self._counters["snapshots"] += 1
        self._last_snapshot_at = time.time()
        self._need_snapshot = False

    def _install(self, state: State, confirmed_at: Optional[float], changes: List[Dict[str, Any]]) -> None:
        self._state = state
        if confirmed_at is not None:
            self._confirm(confirmed_at)
        self._write_file()
        for callback in self._callbacks:
            try:
                callback(state.revision, changes)
            except Exception:  # a bot's callback must not stop the replica
                log.exception("botconfig on_change callback failed")

    def _write_file(self) -> None:
        if not self.snapshot_path:
            return
        confirmed_wall = time.time() - self.age_seconds if self._confirmed > float("-inf") else None
        document = {"format": 1, "confirmed_at": confirmed_wall, "state": self._state.to_json()}
        temporary = f"{self.snapshot_path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "w") as out:
                out.write(dump_file(document))
            os.replace(temporary, self.snapshot_path)  # atomic: a reader sees old or new
        except OSError as error:
            log.warning("cannot write the botconfig snapshot file %s: %s", self.snapshot_path, error)

    def _load_file(self) -> bool:
        if not self.snapshot_path or not os.path.exists(self.snapshot_path):
            return False
        with open(self.snapshot_path) as source:
            document = load_file(source.read())
        self._state = State.from_snapshot(document["state"])
        confirmed_at = document.get("confirmed_at")
        if confirmed_at is not None:
            self._confirmed = time.monotonic() - max(0.0, time.time() - confirmed_at)
        return True

    def _follow(self) -> None:
        backoff = 0.05
        first = True
        while not self._closing.is_set():
            try:
                if self._need_snapshot:
                    self._load_snapshot()
                if not first:
                    self._counters["reconnects"] += 1
                first = False
                read_timeout = 3.0  # the server's heartbeat comes every second
                for kind, _, data in self._transport.stream(self._state.revision, read_timeout):
                    self._connected = True
                    backoff = 0.05
                    if kind == "comment":
                        self._on_comment(data, time.monotonic())
                    elif kind == "change":
                        self._on_change(data)
                    elif kind == "reset":
                        self._counters["resets"] += 1
                        self._need_snapshot = True
                    elif kind == "refused":
                        raise Refused(f"the server ended the stream: {data}")
                    if self._need_snapshot or self._closing.is_set():
                        break
            except Refused as error:
                self._stopped = str(error)
                self._connected = False
                log.error("botconfig stopped following the server: %s", error)
                return
            except Unreachable as error:
                self._connected = False
                log.info("botconfig stream: %s; retrying in %.2f s", error, backoff)
                self._closing.wait(backoff)
                backoff = min(backoff * 2, 1.0)
            except Exception:
                # Something this client did not expect: start over from a snapshot.
                log.exception("botconfig stream: applying an event failed; reloading")
                self._connected = False
                self._need_snapshot = True
                self._closing.wait(backoff)
                backoff = min(backoff * 2, 1.0)

    def _on_comment(self, text: str, received: float) -> None:
        if not text.startswith(HEARTBEAT_PREFIX):
            return
        fields = dict(part.split("=", 1) for part in text[len(HEARTBEAT_PREFIX):].split() if "=" in part)
        try:
            revision = int(fields.get("revision", ""))
        except ValueError:
            return
        if revision > self._state.revision:
            # The stream has accounted for a revision this replica never got: a gap.
            self._counters["gaps"] += 1
            self._need_snapshot = True
            return
        confirmed_ms = fields.get("confirmed_ms", "none")
        if fields.get("stale") == "false" and confirmed_ms.isdigit():
            self._confirm(received - int(confirmed_ms) / 1000.0)

    def _on_change(self, data: str) -> None:
        received = time.monotonic()
        event = loads(data)
        revision = int(event["revision"])
        applied = self._state.revision
        if revision <= applied:
            return
        if revision != applied + 1:
            self._counters["gaps"] += 1
            self._need_snapshot = True
            return
        changes = event.get("changes", [])
        symbols = set()
        everything = False
        touched = False
        for change in changes:
            kind = change.get("kind")
            if kind in ("pair", "pair_strategy", "pair_risk"):
                symbol = change.get("symbol", "")
                if "/" in symbol and "*" not in symbol:
                    symbols.add(symbol)
                    touched = True
                else:
                    everything = True
            elif kind == "setting":
                touched = True
            elif kind == "tokens":
                continue
            else:  # a strategy's definition, everything, or a kind this client does not know
                everything = True
        if everything:
            self._load_snapshot_at_least(revision)
        elif touched:
            # What this revision touched: those pairs, the settings and the portfolio (built
            # once by the server for every replica applying it).
            # The server sends it with the event; a server that does not is asked.
            body = event.get("snapshot")
            if body is None:
                query = urllib.parse.quote(",".join(sorted(symbols)), safe="/,")
                body = self._transport.get_json(f"/api/v1/snapshot?pairs={query}")
                self._counters["pair_refetches"] += len(symbols)
            if body is None:
                raise Unreachable("GET /api/v1/snapshot: not found")
            stale = bool(body.pop("stale", False))
            body.pop("stale_seconds", None)
            changed = {symbol: body["pairs"].get(symbol) for symbol in symbols}
            system, types = State.settings_of(body)
            state = self._state.with_pairs(revision, changed, body["portfolio"], system, types)
            self._install(state, None if stale else received, changes)
        else:
            self._install(self._state.at(revision), received, changes)
        self._counters["events"] += 1

    def _load_snapshot_at_least(self, revision: int) -> None:
        self._load_snapshot()
        if self._state.revision < revision:
            # The snapshot's content already includes this revision (the server applies a
            # change before it publishes it); say so, so the stream resumes after it.
            self._state = self._state.at(revision)
            self._write_file()

    def _report(self) -> None:
        while not self._closing.wait(self.report_interval):
            if self._stopped:
                return
            state = self._state
            confirmed = self._confirmed
            body = {
                "instance": self.instance,
                "name": self.name[:200],
                "host": self.host[:200],
                "library": LIBRARY,
                "revision": state.revision,
                "confirmed_age_ms": None if confirmed == float("-inf") else int(self.age_seconds * 1000),
                "stale": self.stale,
            }
            try:
                self._transport.request("POST", "/api/v1/fleet/heartbeat", body)
            except Refused as error:
                self._stopped = self._stopped or str(error)
                log.error("botconfig stopped: %s", error)
                self._closing.set()
                return
            except Unreachable as error:
                log.debug("botconfig fleet report failed: %s", error)


def _header_safe(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and c not in ";=")[:200]
