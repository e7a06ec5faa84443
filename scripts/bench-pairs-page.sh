#!/usr/bin/env bash
# A benchmark, not a test: the Pairs page with 1,000 pairs (the benchmark's synthetic
# S1/USDT…S1000/USDT beside the three default pairs), from the release server on a scratch
# database. Prints the server's render time of /pairs (curl, signed in; median and p95 of
# 30) and Chromium's time from navigation to interactive (hydrated) and from a keystroke in
# the filter to the filtered list (median of 7). Needs `bash scripts/run.sh` or the test
# command to have built the release once.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_postgres
BIN="$CARGO_TARGET_DIR/release/botconfig"
[ -x "$BIN" ] || { echo "build the release first (bash scripts/run.sh, or build_release)"; exit 1; }
DB="botconfig_pairs_page_$$"; PORT="${PORT:-3127}"; URL="postgres://postgres@127.0.0.1:5432/$DB"
PASSWORD="bench-$$-$RANDOM-password"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $DB"
LEPTOS_ENV=PROD DATABASE_URL="$URL" BOTCONFIG_LISTEN="127.0.0.1:$PORT" BOTCONFIG_ADMIN_PASSWORD="$PASSWORD" \
  "$BIN" serve >/tmp/bench-pairs-page.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
psql -q "$URL" -c "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
  SELECT 'S' || i || '/USDT', 'S' || i, 'USDT', 100, 10, 5 FROM generate_series(1, 1000) AS i"
echo "pairs: $(psql -tA "$URL" -c 'SELECT count(*) FROM trading_pairs')"

JAR="$(mktemp)"
curl -fsS -c "$JAR" -o /dev/null -H "Origin: http://127.0.0.1:$PORT" -H "Accept: application/json" \
  --data-urlencode name=admin --data-urlencode "password=$PASSWORD" --data-urlencode next=/ "http://127.0.0.1:$PORT/api/sign_in"
for _ in 1 2 3; do curl -fsS -b "$JAR" -o /dev/null "http://127.0.0.1:$PORT/pairs"; done
for _ in $(seq 1 30); do
  curl -fsS -b "$JAR" -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' "http://127.0.0.1:$PORT/pairs"
done | sort -n -k2 | awk '{ ttfb[NR] = $1 * 1000; total[NR] = $2 * 1000; bytes = $3 }
  END { printf "server render GET /pairs (1,000 pairs, page of 50): median %.1f ms, p95 %.1f ms (first byte median %.1f ms), %d bytes\n", total[int(NR/2)+1], total[int(NR*0.95)], ttfb[int(NR/2)+1], bytes }'
rm -f "$JAR"
(cd end2end && node ../scripts/bench/pairs_page.mjs "http://127.0.0.1:$PORT" "$PASSWORD" 7)
