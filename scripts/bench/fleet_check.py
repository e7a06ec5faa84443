"""The fleet under load and faults (scripts/fleet-check.sh runs it).

Two servers on one database (their database connections through a fault proxy), client
replicas (Python and Rust, half on each server), a write every 100 ms through the console's
server function, the REST API, the CLI and plain SQL in turn, and bots reading the bot-facing
API over HTTP at 1,000 reads/s, while it: terminates one server's listener backend, refuses every database connection
of both servers for a while, and kills and restarts one server. Then it prints, from the
clients' own logs of what they applied and when they said they were stale:

- commit -> every replica lag (median, p99, max), in steady state and overall;
- how long replicas served stale, and any read older than a committed write beyond the
  bound that was not marked stale (must be 0);
- how long after the database returned every replica was current;
- lost writes (acknowledged but not in the database, or never applied by a replica);
- the HTTP read's requests/s and the errors by kind.

The fault proxies and the load generator run in processes of their own, and the proxies
relay without Nagle's delay: measured in the check's own process, their threads waiting on
the interpreter lock, and a relayed write held for a delayed acknowledgement (35-40 ms
every 2 s), were reported as the replicas' lag.
"""

import argparse
import atexit
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "conformance"))

from harness import PG, FaultProxyProcess, Server, agent_command, drop_database, fresh_database, psql, wait_for  # noqa: E402

SYMBOLS = ["BTC/USDT", "ETH/USDT", "DOT/USDT"]


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


class Watcher:
    """One client replica in --watch mode: its log of (t, revision, stale)."""

    def __init__(self, kind, url, token, name, max_staleness):
        env = {**os.environ, "BOTCONFIG_URL": url, "BOTCONFIG_TOKEN": token, "BOTCONFIG_NAME": name,
               "BOTCONFIG_MAX_STALENESS": str(max_staleness)}
        env.pop("BOTCONFIG_SNAPSHOT", None)
        self.kind, self.name = kind, name
        self.process = subprocess.Popen(agent_command(kind) + ["--watch"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.log = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "revision" in entry:
                self.log.append((entry["t"], entry["revision"], entry["stale"]))

    def applied_at(self, revision):
        for t, r, _ in self.log:
            if r >= revision:
                return t
        return None

    def unmarked_between(self, start, end):
        """Seconds within [start, end) during which this replica said it was not stale."""
        unmarked, state, since = 0.0, None, None
        for t, _, stale in self.log:
            if t >= end:
                break
            if t <= start:
                state = stale
                continue
            if state is False:
                unmarked += t - max(start, since if since else start)
            state, since = stale, t
        if state is False:
            unmarked += end - max(start, since if since else start)
        return unmarked

    def stale_seconds(self, end):
        total, since = 0.0, None
        for t, _, stale in self.log:
            if stale and since is None:
                since = t
            elif not stale and since is not None:
                total += t - since
                since = None
        if since is not None:
            total += end - since
        return total

    def stop(self):
        self.process.kill()
        self.process.wait()


class Console:
    """The console's server function for a pair's risk, as its form posts it."""

    def __init__(self, url, password):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.post("/api/sign_in", {"name": "admin", "password": password, "next": "/"})

    def post(self, path, fields):
        request = urllib.request.Request(self.url + path, data=urllib.parse.urlencode(fields).encode(),
                                         headers={"Origin": self.url, "Accept": "application/json"})
        with self.opener.open(request, timeout=5) as response:
            return response.status, response.read()


class Writer:
    def __init__(self, server_a, database_url, write_token, password, binary):
        self.server = server_a
        self.database_url = database_url
        self.write_token = write_token
        self.binary = binary
        self.console = Console(server_a.url, password)
        import psycopg2  # the compatibility test's virtualenv has it

        # One connection kept open: plain SQL writes, and the revision after each write.
        self.connection = psycopg2.connect(database_url)
        self.connection.autocommit = True
        self.writes = []
        self.errors = {}
        self.stop = threading.Event()

    def query(self, sql, *params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None

    def version(self, symbol):
        return self.query("SELECT r.version FROM pair_risk_config r JOIN trading_pairs p "
                          "ON p.id = r.pair_id WHERE p.symbol = %s", symbol)[0]

    def write(self, path, symbol, value):
        if path == "console":
            form = {"symbol": symbol, "form[stop_loss_percent]": value, "form[take_profit_percent]": "10",
                    "form[max_daily_trades]": "10", "form[max_daily_loss_percent]": "5",
                    "form[trailing_stop_enabled]": "false", "form[trailing_stop_percent]": "2",
                    "form[max_drawdown_percent]": "15", "form[position_sizing_method]": "fixed",
                    "form[volatility_lookback_days]": "30", "form[outage_policy]": "auto",
                    "form[version]": str(self.version(symbol)),
                    # As the dialog sends it: a stop loss above the take profit is asked about first.
                    "confirm": "true"}
            self.console.post("/api/save_risk", form)
        elif path == "api":
            body = json.dumps({"stop_loss_percent": value, "take_profit_percent": "10", "max_daily_trades": 10,
                               "max_daily_loss_percent": "5", "trailing_stop_enabled": False,
                               "trailing_stop_percent": "2", "max_drawdown_percent": "15",
                               "position_sizing_method": "fixed", "volatility_lookback_days": 30,
                               "version": self.version(symbol)}).encode()
            request = urllib.request.Request(
                f"{self.server.url}/api/v1/pairs/{urllib.parse.quote(symbol, safe='')}/risk", data=body,
                method="PUT", headers={"Authorization": f"Bearer {self.write_token}",
                                       "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5):
                pass
        elif path == "cli":
            done = subprocess.run([self.binary, "update-risk", symbol, "--stop-loss", value],
                                  env={**os.environ, "DATABASE_URL": self.database_url},
                                  capture_output=True, text=True, timeout=10)
            if done.returncode != 0:
                raise RuntimeError(f"cli exit {done.returncode}: {done.stderr.strip()[:120]}")
        else:
            self.query("UPDATE pair_risk_config SET stop_loss_percent = %s "
                       "WHERE pair_id = (SELECT id FROM trading_pairs WHERE symbol = %s)", value, symbol)

    def run(self, seconds):
        paths = ["console", "api", "cli", "sql"]
        start = time.time()
        i = 0
        while not self.stop.is_set() and time.time() - start < seconds:
            due = start + i * 0.1
            time.sleep(max(0.0, due - time.time()))
            path, symbol = paths[i % 4], SYMBOLS[i % len(SYMBOLS)]
            value = f"{1 + (i % 4900) / 100:.2f}"  # distinct for 490 s of writes
            began = time.time()
            try:
                self.write(path, symbol, value)
                done = time.time()
                revision = self.query("SELECT revision FROM botconfig_revision")[0]
                self.writes.append({"path": path, "began": began, "done": done, "revision": revision,
                                    "value": value})
            except urllib.error.HTTPError as error:
                kind = f"{path}: HTTP {error.code}"
                self.errors[kind] = self.errors.get(kind, 0) + 1
            except Exception as error:  # noqa: BLE001 - every failure is counted by kind
                kind = f"{path}: {type(error).__name__}"
                self.errors[kind] = self.errors.get(kind, 0) + 1
            i += 1


class Load:
    """Bots reading over HTTP at a steady rate (kept-alive connections, one per thread):
    what a fleet of bots without the client library would send. Counts answers marked stale
    (the X-Botconfig-Stale header), answers other than 200, and errors, and keeps each
    read's latency."""

    def __init__(self, url, token, rate, threads=2):
        self.url, self.token, self.rate, self.threads = url, token, rate, threads
        self.latencies, self.stale, self.not_ok, self.errors = [], 0, 0, {}
        self.lock = threading.Lock()

    def run(self, seconds):
        workers = [threading.Thread(target=self._read, args=(seconds,)) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def _read(self, seconds):
        import http.client

        parsed = urllib.parse.urlsplit(self.url)
        connection = None
        interval = self.threads / self.rate
        start = time.monotonic()
        due = start
        path = "/api/v1/pairs/BTC%2FUSDT/config"
        while time.monotonic() - start < seconds:
            due += interval
            time.sleep(max(0.0, due - time.monotonic()))
            began = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
                connection.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
                response = connection.getresponse()
                response.read()
                with self.lock:
                    self.latencies.append(time.monotonic() - began)
                    self.stale += response.getheader("x-botconfig-stale") is not None
                    self.not_ok += response.status != 200
            except (OSError, http.client.HTTPException) as error:
                connection = None
                kind = f"read: {type(error).__name__}"
                with self.lock:
                    self.errors[kind] = self.errors.get(kind, 0) + 1


class LoadProcess:
    """The Load in a process of its own (`fleet_check.py --load URL TOKEN RATE SECONDS`), so
    its reads never hold the interpreter lock the writer's timestamps wait for. It starts a
    second before the writes: an interpreter starting beside the first writes was measured
    as their lag."""

    LEAD_SECONDS = 1.0

    def __init__(self, url, token, rate, threads=2):
        self.url, self.token, self.rate, self.threads = url, token, rate, threads
        self.latencies, self.stale, self.not_ok, self.errors = [], 0, 0, {}
        self.process = None

    def start(self, seconds):
        """Starts reading for the lead and then `seconds`; returns once the lead is over."""
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--load", self.url, self.token,
                                         str(self.rate), str(seconds + self.LEAD_SECONDS)],
                                        stdout=subprocess.PIPE, text=True)
        time.sleep(self.LEAD_SECONDS)

    def join(self):
        out, _ = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(f"the load generator exited {self.process.returncode}")
        result = json.loads(out)
        self.latencies, self.stale, self.not_ok, self.errors = (
            result["latencies"], result["stale"], result["not_ok"], result["errors"])
        self.seconds = result["seconds"]


def load_only(url, token, rate, seconds):
    load = Load(url, token, float(rate))
    load.run(float(seconds))
    print(json.dumps({"latencies": load.latencies, "stale": load.stale, "not_ok": load.not_ok, "errors": load.errors,
                      "seconds": float(seconds)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--refuse-seconds", type=float, default=10)
    parser.add_argument("--max-staleness", type=float, default=5.0, help="the clients' staleness bound")
    parser.add_argument("--load-rate", type=float, default=1000, help="HTTP reads per second by bots without the library")
    parser.add_argument("--binary", default=os.environ.get("BOTCONFIG_BIN"))
    args = parser.parse_args()
    seconds = args.seconds
    name = f"botconfig_fleet_{os.getpid()}"
    fresh_database(name)
    # Whatever happens (a failed check exits 1, a crash raises), nothing is left running.
    cleanup = [lambda: drop_database(name)]
    atexit.register(lambda: [undo() for undo in reversed(cleanup)])
    database_url = f"{PG}/{name}"
    # Each server reaches the database through a fault proxy of its own, in a process of its own.
    db_proxies = {label: FaultProxyProcess(5432, http=False) for label in ("a", "b")}
    cleanup.append(lambda: [proxy.stop() for proxy in db_proxies.values()])
    password = "fleet-check-admin-password"
    servers = {}
    for label in ("a", "b"):
        server = Server(args.binary, name, extra_env={"BOTCONFIG_ADMIN_PASSWORD": password})
        server.database_url = f"postgres://postgres@127.0.0.1:{db_proxies[label].port}/{name}"
        servers[label] = server
    cleanup.append(lambda: [server.stop() for server in servers.values()])
    servers["a"].start()
    servers["b"].start()
    for server in servers.values():
        server.database_url = database_url  # the CLI and SQL reach the database directly
    a, b = servers["a"], servers["b"]
    read_token, write_token = a.token("fleet-read"), a.token("fleet-write", "write")
    watchers = []
    for i in range(args.clients):
        kind = "python" if i % 2 == 0 else "rust"
        server = a if (i // 2) % 2 == 0 else b
        watchers.append(Watcher(kind, server.url, read_token, f"{kind}-{i}-on-{'a' if server is a else 'b'}",
                                args.max_staleness))
    cleanup.append(lambda: [w.stop() for w in watchers])
    wait_for(lambda: all(w.log for w in watchers), 30, "every replica started")
    print(f"fleet: 2 servers, {len(watchers)} replicas ({sum(w.kind == 'python' for w in watchers)} Python, "
          f"{sum(w.kind == 'rust' for w in watchers)} Rust), writes every 100 ms for {seconds:.0f} s")

    writer = Writer(a, database_url, write_token, password, args.binary)
    load = LoadProcess(a.url, read_token, args.load_rate)
    load.start(seconds)
    threads = [threading.Thread(target=writer.run, args=(seconds,))]
    started = time.time()
    for thread in threads:
        thread.start()
    faults = []

    def at(fraction):
        time.sleep(max(0.0, started + seconds * fraction - time.time()))

    at(1 / 6)
    t = time.time()
    ports = ",".join(str(p) for p in db_proxies["a"].upstream_ports()) or "0"
    killed = psql(database_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                f"WHERE application_name = 'botconfig-listener' AND client_port IN ({ports})")
    faults.append(("server a's listener backend terminated", t, t, f"{killed} backend"))
    at(2 / 6)
    t = time.time()
    for proxy in db_proxies.values():
        proxy.refuse(True)
    time.sleep(args.refuse_seconds)
    for proxy in db_proxies.values():
        proxy.refuse(False)
    back = time.time()
    back_revision = int(psql(database_url, "SELECT revision FROM botconfig_revision"))
    faults.append((f"database connections of both servers refused for {args.refuse_seconds:.0f} s", t, back, ""))
    at(4 / 6)
    t = time.time()
    b.process.send_signal(signal.SIGKILL)
    b.process.wait()
    b.database_url = f"postgres://postgres@127.0.0.1:{db_proxies['b'].port}/{name}"
    b.start()
    b.database_url = database_url
    faults.append(("server b killed and restarted", t, time.time(), ""))
    for thread in threads:
        thread.join()
    load.join()
    ended = time.time()
    final_revision = int(psql(database_url, "SELECT revision FROM botconfig_revision"))
    wait_for(lambda: all(w.log and w.log[-1][1] >= final_revision for w in watchers), 10, "every replica current")
    time.sleep(0.5)
    report(args, writer, watchers, faults, back, back_revision, final_revision, load, database_url, ended)


def report(args, writer, watchers, faults, back, back_revision, final_revision, load, database_url, ended):
    bound = args.max_staleness + 0.25  # the flag is sampled every 20 ms; 250 ms of slack
    print("faults:")
    for label, start, end, note in faults:
        print(f"  {label} at +{start - writer.writes[0]['began']:.1f} s" + (f" ({note})" if note else ""))
    windows = [(start - 0.2, end + 3.0) for _, start, end, _ in faults]
    lags_all, lags_steady, fleet_all, fleet_steady = [], [], [], []
    violations, never = [], 0
    fleet_by_path = {}
    slowest = []
    for write in writer.writes:
        steady = not any(lo <= write["done"] <= hi for lo, hi in windows)
        per_write = []
        for w in watchers:
            applied = w.applied_at(write["revision"])
            if applied is None:
                never += 1
                continue
            lag = max(0.0, applied - write["done"])
            per_write.append(lag)
            (lags_steady if steady else lags_all).append(lag)
            if lag > bound:
                unmarked = w.unmarked_between(write["done"] + bound, applied)
                if unmarked > 0.05:
                    violations.append((w.name, write["revision"], unmarked))
        if per_write and steady:
            slowest.append((max(per_write), min(per_write), statistics.median(per_write), write["done"] - writer.writes[0]["began"],
                            write["path"]))
        if per_write:
            (fleet_steady if steady else fleet_all).append(max(per_write))
            if steady:
                fleet_by_path.setdefault(write["path"], []).append(max(per_write))
    lags_all += lags_steady
    fleet_all += fleet_steady
    by_path = ", ".join(f"{p} {sum(w['path'] == p for w in writer.writes)}" for p in ("console", "api", "cli", "sql"))
    print(f"writes: {len(writer.writes)} committed ({by_path}), revision {writer.writes[0]['revision']}..{final_revision}")
    first = writer.writes[0]["began"]
    gap, gap_at = max((b["began"] - a["began"], a["began"] - first) for a, b in zip(writer.writes, writer.writes[1:]))
    print(f"writer: longest pause between two writes {gap:.2f} s (at +{gap_at:.1f} s)")
    for label, lags in (("steady state", lags_steady), ("through the faults", lags_all)):
        print(f"commit -> replica ({label}, {len(lags)} applications): median {ms(statistics.median(lags))}, "
              f"p99 {ms(percentile(lags, 99))}, max {ms(max(lags))}")
    for label, lags in (("steady state", fleet_steady), ("through the faults", fleet_all)):
        print(f"commit -> all {len(watchers)} replicas ({label}, {len(lags)} writes): median {ms(statistics.median(lags))}, "
              f"p99 {ms(percentile(lags, 99))}, max {ms(max(lags))}")
    # Whether a slow write was slow for every replica (before the servers sent it) or for
    # the last ones only (the fan-out).
    print("  slowest writes (steady state): " + "; ".join(
        f"+{at:.1f} s {path}: first replica {ms(low)}, median {ms(middle)}, last {ms(high)}"
        for high, low, middle, at, path in sorted(slowest, reverse=True)[:3]))
    print("  by the write's path (steady state): " + ", ".join(
        f"{path} p99 {ms(percentile(lags, 99))}" for path, lags in sorted(fleet_by_path.items())))
    for kind in ("python", "rust"):
        lags = [max(0.0, t - write["done"]) for write in writer.writes
                if not any(lo <= write["done"] <= hi for lo, hi in windows)
                for w in watchers if w.kind == kind for t in [w.applied_at(write["revision"])] if t is not None]
        print(f"  {kind} replicas (steady state): median {ms(statistics.median(lags))}, p99 {ms(percentile(lags, 99))}")
    stale = [w.stale_seconds(ended) for w in watchers]
    print(f"replicas marked stale: {sum(s > 0 for s in stale)} of {len(watchers)}, for {max(stale):.1f} s at most "
          f"(median {statistics.median(stale):.1f} s)")
    print(f"reads older than a committed write beyond the bound ({bound:.2f} s) and not marked stale: {len(violations)}")
    for name, revision, unmarked in violations[:10]:
        print(f"  {name}: revision {revision}, unmarked for {unmarked:.2f} s")
    current = []
    for w in watchers:
        t = next((t for t, r, s in w.log if t >= back and r >= back_revision and not s), None)
        current.append(None if t is None else t - back)
    known = [c for c in current if c is not None]
    print(f"current after the database returned (revision {back_revision}): {len(known)} of {len(watchers)} replicas, "
          f"slowest {ms(max(known)) if known else 'never'}")
    # Every acknowledged write is in the history with the value it wrote.
    recorded = psql(database_url, "SELECT after->>'stop_loss_percent' FROM config_changes "
                                  "WHERE table_name = 'pair_risk_config' ORDER BY id").split()
    lost = [w for w in writer.writes if w["value"].rstrip("0").rstrip(".") not in
            {r.rstrip("0").rstrip(".") for r in recorded}]
    print(f"lost writes: {len(lost)} of {len(writer.writes)} acknowledged not in the history; "
          f"{never} replica applications never happened; every replica ends at revision {final_revision}: "
          f"{all(w.log[-1][1] >= final_revision for w in watchers)}")
    reads = len(load.latencies)
    print(f"HTTP read (GET /api/v1/pairs/BTC%2FUSDT/config on server a, {load.threads} kept-alive connections at "
          f"{args.load_rate:.0f}/s): {reads / load.seconds:.0f} requests/s served, median {ms(statistics.median(load.latencies))}, "
          f"p99 {ms(percentile(load.latencies, 99))}; {load.stale} marked stale, {load.not_ok} not 200")
    errors = {**writer.errors, **load.errors}
    print("errors by kind: " + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"))
    failed = bool(violations) or bool(lost) or never > 0
    print("fleet check: " + ("FAILED" if failed else "passed"))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        load_only(*sys.argv[2:6])
    else:
        main()
