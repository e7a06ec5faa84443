#!/usr/bin/env bash
# A benchmark, not a test: the HTTP edge of the release server, loaded by wrk on this
# machine (keep-alive, 64 connections, 2 threads). Prints one table:
#   - a bot's pair-config read with a token (200), the same read answered 304, and the
#     same bytes answered from memory by a static route of the same router;
#   - a static asset (the hashed CSS, brotli) and /healthz;
#   - database transactions during 10,000 cached reads, against the same time idle;
#   - commit (plain SQL) -> event received by 20 stream clients;
#   - the console's first load and repeat load in bytes over the wire (Chromium).
# DURATION (seconds per wrk run, default 10) and PORT (default 3950) may be set.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_rust_tools
ensure_node_tools
ensure_postgres
ensure_chromium
ensure_compat_venv
npm_install end2end
if ! command -v wrk >/dev/null; then
  step "installing wrk"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk
fi
build_release

DURATION="${DURATION:-10}"
PORT="${PORT:-3950}"
BASE="http://127.0.0.1:$PORT"
DB="botconfig_bench_$$"
URL="postgres://postgres@127.0.0.1:5432/$DB"
BIN="$CARGO_TARGET_DIR/release/botconfig"
SITE="$(mktemp -d)"
LOG="$SITE.log"
PY="$ROOT/tools/.venv/bin/python"
SERVER_PID=""
declare -A RPS

stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$SITE" "$LOG"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
}
trap cleanup EXIT

start_server() { # site root
  LEPTOS_ENV=PROD LEPTOS_SITE_ROOT="$1" DATABASE_URL="$URL" BOTCONFIG_LISTEN="127.0.0.1:$PORT" \
    RUST_LOG=warn "$BIN" serve >"$LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG"; exit 1; }
    sleep 0.5
  done
  echo "the server never became healthy"; cat "$LOG"; exit 1
}

# wrk's requests/s and p99 latency for one path: key name path [header...]
load() {
  local key="$1" name="$2" path="$3"; shift 3
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  local out
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "${args[@]}" "$BASE$path")
  local rps p99 status
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  status=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  printf '%-52s %12s %10s %s\n' "$name" "$rps" "$p99" "${status:+($status non-2xx/3xx)}"
  RPS[$key]="$rps"
}

step "a scratch database and the release server on $BASE"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
cp -r "$LEPTOS_SITE_ROOT/." "$SITE/"
start_server "$SITE"
TOKEN="$(DATABASE_URL="$URL" "$BIN" token create bench --scope read | tail -1)"
CONFIG="/api/v1/pairs/BTC%2FUSDT/config"
# The same bytes, from memory, by a static route of the same router (restarted to load it).
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$CONFIG" >"$SITE/bench-pair-config.json"
ETAG=$(curl -fsS -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "$BASE$CONFIG" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
stop_server
start_server "$SITE"
CSS="/pkg/$(ls "$SITE/pkg" | grep -E '\.css$' | head -1)"

step "load: wrk, 2 threads, 64 connections, ${DURATION}s each, keep-alive"
printf '%-52s %12s %10s\n' "request" "requests/s" "p99"
load config "pair config (token, 200)" "$CONFIG" "Authorization: Bearer $TOKEN"
load memory "same bytes from memory (static route)" "/bench-pair-config.json"
load conditional "pair config (token, If-None-Match: 304)" "$CONFIG" "Authorization: Bearer $TOKEN" "If-None-Match: $ETAG"
load asset "static asset (hashed CSS, br)" "$CSS" "Accept-Encoding: br"
load health "/healthz" "/healthz"
# The three compared once more, in the other order: the ratios use the mean of both runs
# (the load generator shares the server's two cores, so one run alone is noisy).
load conditional2 "pair config (token, If-None-Match: 304), again" "$CONFIG" "Authorization: Bearer $TOKEN" "If-None-Match: $ETAG"
load memory2 "same bytes from memory (static route), again" "/bench-pair-config.json"
load config2 "pair config (token, 200), again" "$CONFIG" "Authorization: Bearer $TOKEN"
awk -v a="$(echo "${RPS[config]} ${RPS[config2]}" | awk '{print ($1 + $2) / 2}')" \
  -v b="$(echo "${RPS[memory]} ${RPS[memory2]}" | awk '{print ($1 + $2) / 2}')" \
  -v c="$(echo "${RPS[conditional]} ${RPS[conditional2]}" | awk '{print ($1 + $2) / 2}')" \
  'BEGIN { printf "pair config / memory: %.2fx (target >= 0.8x); 304 / 200: %.2fx (target >= 1x)\n", a / b, c / a }'

step "database transactions during 10,000 cached reads (pg_stat_database)"
read -r DURING IDLE SECS < <("$PY" "$ROOT/scripts/bench/stream_and_transactions.py" transactions "$BASE" "$TOKEN" "$URL" 10000)
echo "during 10,000 reads ($SECS s): $DURING; the same time idle: $IDLE; beyond the heartbeat: $((DURING - IDLE)) (target 0)"

step "commit (plain SQL) -> event at 20 stream clients, 200 commits"
read -r P50 P99 MAX N < <("$PY" "$ROOT/scripts/bench/stream_and_transactions.py" stream "$BASE" "$TOKEN" "$URL" 20 200)
echo "p50 ${P50} ms, p99 ${P99} ms (target <= 20), max ${MAX} ms over $N deliveries"

step "the console's sign-in page in Chromium: bytes over the wire"
(cd "$ROOT/end2end" && node "$ROOT/scripts/bench/page_bytes.mjs" "$BASE")
