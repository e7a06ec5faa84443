"""How long a Python bot's read takes, three ways in one run (BOTCONFIG_URL and
BOTCONFIG_TOKEN name a running server):

- the botconfig_client replica (memory, no lock);
- a baseline written the way the original service caches: a dict of entries with their
  times behind a threading.RLock, TTL 300 s, and get_trading_config_for_pair assembling its
  answer from four cached entries, as the original did;
- an HTTP read of /api/v1/pairs/{symbol}/config per call (one kept-alive connection).
"""

import http.client
import os
import threading
import time
import timeit
import urllib.parse

from botconfig_client import BotConfig


class BaselineCache:
    """As the original ConfigCache: entries and their times behind an RLock, TTL 300 s."""

    def __init__(self, default_ttl=300):
        self.cache, self.timestamps, self.default_ttl = {}, {}, default_ttl
        self.lock = threading.RLock()

    def get(self, key, ttl=None):
        with self.lock:
            if key not in self.cache:
                return None
            ttl = ttl or self.default_ttl
            if time.time() - self.timestamps[key] > ttl:
                del self.cache[key]
                del self.timestamps[key]
                return None
            return self.cache[key]

    def set(self, key, value):
        with self.lock:
            self.cache[key] = value
            self.timestamps[key] = time.time()


class BaselineService:
    """get_trading_config_for_pair over the baseline cache, assembled as the original's."""

    def __init__(self, replica, symbol):
        self.cache = BaselineCache()
        config = replica.get_trading_config_for_pair(symbol)
        self.cache.set(f"pair_config:{symbol}", config["pair"])
        self.cache.set(f"pair_strategies:{symbol}", config["strategies"])
        self.cache.set(f"pair_risk:{symbol}", config["risk"])
        self.cache.set("system_config", dict(replica._state.system))

    def get_trading_config_for_pair(self, symbol):
        pair = self.cache.get(f"pair_config:{symbol}")
        if not pair:
            return {}
        strategies = self.cache.get(f"pair_strategies:{symbol}")
        risk = self.cache.get(f"pair_risk:{symbol}")
        system = self.cache.get("system_config")
        return {"pair": pair, "strategies": strategies, "risk": risk,
                "system": {"paper_trading": system.get("paper_trading", True),
                           "check_interval": system.get("check_interval", 60),
                           "max_concurrent_positions": system.get("max_concurrent_positions", 3)}}


def per_call(function, number):
    function()
    best = min(timeit.repeat(function, number=number, repeat=5))
    return best / number


def main():
    url, token = os.environ["BOTCONFIG_URL"], os.environ["BOTCONFIG_TOKEN"]
    symbol = os.environ.get("BENCH_SYMBOL", "BTC/USDT")
    replica = BotConfig(url, token)
    assert replica.is_pair_active(symbol), symbol
    baseline = BaselineService(replica, symbol)
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    path = f"/api/v1/pairs/{urllib.parse.quote(symbol, safe='')}/config"

    def http_read():
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status

    rows = [
        ("botconfig_client get_trading_config_for_pair", per_call(lambda: replica.get_trading_config_for_pair(symbol), 200_000)),
        ("botconfig_client should_trade_pair", per_call(lambda: replica.should_trade_pair(symbol), 200_000)),
        ("botconfig_client get_risk_limits_for_pair", per_call(lambda: replica.get_risk_limits_for_pair(symbol), 200_000)),
        ("baseline (dict + RLock + TTL) one key", per_call(lambda: baseline.cache.get(f"pair_risk:{symbol}"), 200_000)),
        ("baseline get_trading_config_for_pair", per_call(lambda: baseline.get_trading_config_for_pair(symbol), 100_000)),
        ("HTTP GET /api/v1/pairs/{symbol}/config", per_call(http_read, 500)),
    ]
    for name, seconds in rows:
        print(f"python {name}: {seconds * 1e6:.3f} µs per read")
    replica.close()


if __name__ == "__main__":
    main()
