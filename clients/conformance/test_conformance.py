"""One conformance suite for both client libraries (Python and Rust), against a real server:
a change arrives; a reconnect resumes from Last-Event-ID; a gap is caught by the revision
and repaired; server down at start (snapshot file used, age reported); server down mid-run
(last known good, age growing, marked stale); back up (caught up, stale cleared); a revoked
token (the client stops and says why); the outage policy applied to the client's own age.

Environment: BOTCONFIG_BIN (the server binary), AGENT_RUST_BIN (the Rust example agent),
AGENT_PYTHON (a Python with botconfig_client installed). Each fault is injected: the fault
proxy resets connections or drops an event; the server process is really stopped.
"""

import os
import time

import pytest

from harness import Agent, ConfigFailed, FaultProxy, Server, drop_database, fresh_database, wait_for

KINDS = ["python", "rust"]
BINARY = os.environ.get("BOTCONFIG_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "release", "botconfig")


@pytest.fixture(scope="module")
def server():
    name = f"botconfig_conformance_{os.getpid()}"
    fresh_database(name)
    server = Server(BINARY, name)
    server.start()
    yield server
    server.stop()
    drop_database(name)


@pytest.fixture()
def up(server):
    """The server, running (a test that stopped it may have left it down)."""
    if server.process is None:
        server.start()
    return server


_values = iter(range(1, 10_000))


def fresh_value() -> str:
    """A stop loss no earlier test set, so a wait sees this test's change and no other."""
    return f"{next(_values) / 100 + 1:.2f}".rstrip("0").rstrip(".")


def stop_loss(agent, symbol="BTC/USDT"):
    return agent.ask("config", symbol=symbol).get("stop_loss_percent")


def set_stop_loss(server, value, symbol="BTC/USDT"):
    server.sql(f"UPDATE pair_risk_config SET stop_loss_percent = {value} "
               f"WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = '{symbol}')")


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_arrives(up, kind):
    agent = Agent(kind, up.url, up.token(f"change-{kind}"))
    try:
        assert agent.ready["revision"] == up.revision()
        value = fresh_value()
        set_stop_loss(up, value)
        committed = time.monotonic()
        wait_for(lambda: stop_loss(agent) == value, 2, "the new stop loss")
        lag = time.monotonic() - committed
        status = agent.status()
        assert status["revision"] == up.revision()
        assert not status["stale"] and status["connected"]
        print(f"{kind}: change visible {lag * 1000:.1f} ms after the commit (polled)")
        # Only the pair was refetched: no second snapshot.
        assert status["snapshots"] == 1, status
    finally:
        agent.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_reconnect_resumes_from_last_event_id(up, kind):
    proxy = FaultProxy(up.port)
    agent = Agent(kind, proxy.url, up.token(f"resume-{kind}"))
    try:
        wait_for(lambda: agent.status()["connected"], 3, "connected")
        # The connection breaks, and a change commits while it is down.
        proxy.target_port = 1  # nothing listens there: reconnects fail until restored
        proxy.reset_all()
        value = fresh_value()
        set_stop_loss(up, value)
        time.sleep(0.3)
        proxy.target_port = up.port
        wait_for(lambda: stop_loss(agent) == value, 5, "the change made while disconnected")
        status = agent.status()
        assert status["reconnects"] >= 1, status
        # Resumed after its revision: the change came as an event, not a reload.
        assert status["snapshots"] == 1 and status["resets"] == 0, status
        assert status["revision"] == up.revision()
    finally:
        agent.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_gap_is_caught_by_the_revision_and_repaired(up, kind):
    proxy = FaultProxy(up.port)
    agent = Agent(kind, proxy.url, up.token(f"gap-{kind}"))
    try:
        wait_for(lambda: agent.status()["connected"], 3, "connected")
        proxy.drop_next_change()
        value = fresh_value()
        set_stop_loss(up, value)
        wait_for(lambda: proxy.dropped == 1, 3, "the event dropped")
        # The next heartbeat names a revision the client never got: it reloads.
        wait_for(lambda: stop_loss(agent) == value, 4, "the lost change repaired")
        status = agent.status()
        assert status["gaps"] >= 1 and status["snapshots"] >= 2, status
        assert status["revision"] == up.revision()
    finally:
        agent.close()


@pytest.mark.parametrize("kind", KINDS)
def test_server_down_mid_run_then_back(up, kind, tmp_path):
    agent = Agent(kind, up.url, up.token(f"outage-{kind}"), snapshot=str(tmp_path / "last-good.json"),
                  max_staleness=1.5)
    try:
        before, during = fresh_value(), fresh_value()
        set_stop_loss(up, before)
        wait_for(lambda: stop_loss(agent) == before, 2, "current before the outage")
        up.stop()
        # Last known good, age growing, marked stale past max_staleness.
        wait_for(lambda: agent.status()["stale"], 5, "marked stale")
        first = agent.status()["age_seconds"]
        time.sleep(0.5)
        status = agent.status()
        assert status["age_seconds"] > first >= 1.5, status
        assert stop_loss(agent) == before
        set_stop_loss(up, during)  # committed while the server is down
        up.start()
        back = time.monotonic()
        wait_for(lambda: stop_loss(agent) == during and not agent.status()["stale"], 5, "caught up, stale cleared")
        print(f"{kind}: current {(time.monotonic() - back) * 1000:.0f} ms after the server was healthy again")
        assert agent.status()["revision"] == up.revision()
    finally:
        agent.close()


@pytest.mark.parametrize("kind", KINDS)
def test_server_down_at_start_uses_the_snapshot_file(up, kind, tmp_path):
    snapshot = str(tmp_path / "last-good.json")
    token = up.token(f"start-{kind}")
    first = Agent(kind, up.url, token, snapshot=snapshot)
    value = fresh_value()
    set_stop_loss(up, value)
    wait_for(lambda: stop_loss(first) == value, 2, "current")
    revision = first.status()["revision"]
    first.close()
    up.stop()
    time.sleep(1.0)
    agent = Agent(kind, up.url, token, snapshot=snapshot, max_staleness=0.5)
    try:
        status = agent.ready
        assert status["started_from_file"] and status["revision"] == revision, status
        assert status["age_seconds"] >= 1.0 and status["stale"], status
        assert stop_loss(agent) == value
        up.start()
        wait_for(lambda: not agent.status()["stale"], 5, "confirmed once the server is back")
    finally:
        agent.close()
    # With neither a server nor a file, it says so instead of starting on defaults.
    up.stop()
    with pytest.raises(ConfigFailed, match="no snapshot file"):
        Agent(kind, up.url, token)


@pytest.mark.parametrize("kind", KINDS)
def test_a_revoked_token_stops_the_client_with_the_reason(up, kind):
    name = f"revoked-{kind}"
    agent = Agent(kind, up.url, up.token(name))
    try:
        wait_for(lambda: agent.status()["connected"], 3, "connected")
        up.cli("token", "revoke", name)
        status = wait_for(lambda: (s := agent.status())["stopped"] and s, 5, "stopped")
        assert "revoked" in status["stopped"], status
        assert status["stale"], status
    finally:
        agent.close()
    with pytest.raises(ConfigFailed, match="refused"):
        Agent(kind, up.url, "bc_not_a_token")


@pytest.mark.parametrize("kind", KINDS)
def test_outage_policy_applies_to_the_clients_own_age(up, kind):
    up.sql("UPDATE system_config SET config_value = '1' WHERE config_key = 'outage_grace_seconds'")
    up.sql("UPDATE system_config SET config_value = 'false' WHERE config_key = 'paper_trading'")
    up.sql("UPDATE pair_risk_config SET outage_policy = 'fail_open' "
           "WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = 'ETH/USDT')")
    agent = Agent(kind, up.url, up.token(f"policy-{kind}"))
    try:
        assert agent.ask("should_trade", symbol="BTC/USDT")["trade"]
        up.stop()
        refused = wait_for(lambda: (a := agent.ask("should_trade", symbol="BTC/USDT"))["trade"] is False and a,
                           6, "auto fails closed when trading live")
        assert "outage policy auto" in refused["reasons"][0], refused
        assert agent.ask("should_trade", symbol="ETH/USDT")["trade"], "fail_open keeps trading"
        up.start()
        wait_for(lambda: agent.ask("should_trade", symbol="BTC/USDT")["trade"], 5, "trading again once confirmed")
    finally:
        agent.close()
        if up.process is None:
            up.start()
        up.sql("UPDATE system_config SET config_value = '60' WHERE config_key = 'outage_grace_seconds'")
        up.sql("UPDATE system_config SET config_value = 'true' WHERE config_key = 'paper_trading'")


@pytest.mark.parametrize("kind", KINDS)
def test_a_pause_stops_the_pair_and_ends_by_the_clock(up, kind):
    agent = Agent(kind, up.url, up.token(f"pause-{kind}"))
    try:
        assert agent.ask("should_trade", symbol="DOT/USDT")["trade"]
        up.cli("pause", "DOT/USDT", "--for", "3s", "--reason", "listing news", "--close-out")
        refused = wait_for(lambda: (a := agent.ask("should_trade", symbol="DOT/USDT"))["trade"] is False and a,
                           2, "the pause applied")
        assert "paused until" in refused["reasons"][0] and "listing news" in refused["reasons"][0], refused
        revision = agent.status()["revision"]
        # No event ends it: the client's own clock does, at the end it was given.
        wait_for(lambda: agent.ask("should_trade", symbol="DOT/USDT")["trade"], 5, "trading again after the end")
        assert agent.status()["revision"] == revision == up.revision()
    finally:
        agent.close()
        up.cli("resume", "DOT/USDT")
