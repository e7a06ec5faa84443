"""Two measurements for scripts/bench-http.sh, against a running server:

  transactions BASE_URL TOKEN DATABASE_URL N
      database transactions (pg_stat_database.xact_commit) during N cached reads over
      keep-alive HTTP, against the same time idle (the listener's heartbeat).
  stream BASE_URL TOKEN DATABASE_URL CLIENTS COMMITS
      commit (plain SQL, autocommit) -> the event received by each of CLIENTS stream
      clients: p50, p99, max in milliseconds.
"""
import http.client
import json
import queue
import sys
import threading
import time
import urllib.parse

import psycopg2

# Stats of other backends reach pg_stat_database when they flush: at most every 10 s
# when idle (PGSTAT_IDLE_INTERVAL), so each window is read after a pause that long.
FLUSH_WAIT = 11.5


def connect(url):
    parts = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def commits(db):
    with db.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]


def transactions(base, token, database_url, n):
    db = psycopg2.connect(database_url)
    db.autocommit = True
    conn = connect(base)
    headers = {"Authorization": f"Bearer {token}"}
    path = "/api/v1/pairs/BTC%2FUSDT/config"
    conn.request("GET", path, headers=headers)
    conn.getresponse().read()
    time.sleep(FLUSH_WAIT)
    before = commits(db)
    started = time.monotonic()
    for _ in range(n):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
    reading = time.monotonic() - started
    time.sleep(FLUSH_WAIT)
    during = commits(db) - before - 1  # the read of `before` itself
    before = commits(db)
    time.sleep(reading + FLUSH_WAIT)
    idle = commits(db) - before - 1
    print(f"{during} {idle} {reading:.2f}")


def stream(base, token, database_url, clients, count):
    received = [queue.Queue() for _ in range(clients)]
    ready = threading.Barrier(clients + 1)

    def watch(inbox):
        conn = connect(base)
        conn.request("GET", "/api/v1/stream", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
        response = conn.getresponse()
        assert response.status == 200, response.status
        started = False
        while True:
            line = response.fp.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith("event: start") and not started:
                started = True
                ready.wait()
            elif line.startswith("data:") and '"changes"' in line:
                inbox.put((time.monotonic(), json.loads(line[5:])["revision"]))

    for inbox in received:
        threading.Thread(target=watch, args=(inbox,), daemon=True).start()
    ready.wait(timeout=30)
    db = psycopg2.connect(database_url)
    db.autocommit = True
    latencies = []
    with db.cursor() as cur:
        for i in range(count):
            sent = time.monotonic()
            cur.execute("UPDATE system_config SET config_value = %s WHERE config_key = 'check_interval'", (str(60 + i % 600),))
            for inbox in received:
                at, _revision = inbox.get(timeout=10)
                latencies.append((at - sent) * 1000)
            time.sleep(0.005)
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{pick(0.5):.2f} {pick(0.99):.2f} {latencies[-1]:.2f} {len(latencies)}")


if __name__ == "__main__":
    what, base, token, database_url = sys.argv[1:5]
    if what == "transactions":
        transactions(base, token, database_url, int(sys.argv[5]))
    else:
        stream(base, token, database_url, int(sys.argv[5]), int(sys.argv[6]))
