"""The Python client under the conformance suite's line protocol (the Rust client's is
clients/rust/examples/agent.rs; both answer the same commands the same way).

Environment: BOTCONFIG_URL, BOTCONFIG_TOKEN, BOTCONFIG_SNAPSHOT, BOTCONFIG_NAME, and
BOTCONFIG_MAX_STALENESS (seconds). Commands on stdin, one JSON object per line; one JSON
answer per line on stdout. With --watch, no commands: a line {"t", "revision", "stale"} at
start, on every applied revision, and whenever the stale flag flips.
"""

import json
import os
import sys
import threading
import time

from botconfig_client import BotConfig, ConfigUnavailable


def status(config):
    metrics = config.get_performance_metrics()
    return {
        "revision": config.revision,
        "age_seconds": config.age_seconds,
        "stale": config.stale,
        "connected": config.status()["connected"],
        "stopped": config.stopped,
        "started_from_file": config.started_from == "snapshot file",
        "snapshots": metrics["snapshots"],
        "events": metrics["events"],
        "gaps": metrics["gaps"],
        "resets": metrics["resets"],
        "reconnects": metrics["reconnects"],
    }


def answer(config, command):
    op, symbol = command.get("op"), command.get("symbol", "")
    if op == "status":
        return status(config)
    if op == "config":
        trading = config.get_trading_config_for_pair(symbol)
        if not trading:
            return {"active": False}
        return {
            "active": True,
            "stop_loss_percent": str(trading["risk"]["stop_loss_percent"].normalize()),
            "outage_policy": config.outage_policy(symbol),
            "strategies": config.get_enabled_strategies_for_pair(symbol),
        }
    if op == "should_trade":
        reasons = config.trade_refusals(symbol)
        return {"trade": not reasons, "reasons": reasons}
    if op == "setting":
        try:
            value = config.setting(command.get("key", ""))
        except KeyError:
            return {"value": None}
        if isinstance(value, bool):
            return {"value": str(value).lower()}
        if hasattr(value, "normalize"):
            return {"value": str(value.normalize())}
        return {"value": value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)}
    return {"error": f"unknown op {op!r}"}


def main():
    try:
        config = BotConfig(os.environ.get("BOTCONFIG_URL", ""), os.environ.get("BOTCONFIG_TOKEN", ""),
                           snapshot_path=os.environ.get("BOTCONFIG_SNAPSHOT") or None,
                           max_staleness=float(os.environ.get("BOTCONFIG_MAX_STALENESS", "5")))
    except (ConfigUnavailable, ValueError) as error:
        print(json.dumps({"error": str(error)}), flush=True)
        sys.exit(1)
    if "--watch" in sys.argv:
        lock = threading.Lock()

        def emit(revision, stale):
            with lock:
                print(json.dumps({"t": time.time(), "revision": revision, "stale": stale}), flush=True)

        config.on_change(lambda revision, _: emit(revision, config.stale))
        stale = config.stale
        emit(config.revision, stale)
        while True:
            time.sleep(0.02)
            if config.stale != stale:
                stale = config.stale
                emit(config.revision, stale)
    print(json.dumps({**status(config), "ready": True}), flush=True)
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except ValueError:
            print(json.dumps({"error": "not JSON"}), flush=True)
            continue
        if command.get("op") == "quit":
            break
        print(json.dumps(answer(config, command)), flush=True)


if __name__ == "__main__":
    main()
