#!/usr/bin/env bash
# Runs every test: format, lint (both features), unit and Postgres-backed Rust tests, and
# the Playwright suite in Debian's Chromium against a fresh release build on its own
# throwaway database. Any failure stops the run with a non-zero exit.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_tools
ensure_node_tools
ensure_chromium
ensure_compat_venv
ensure_postgres
npm_install end2end

trap drop_schema_database EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "layout: no cycle between the files of src/, none over 600 lines before its tests"
python3 scripts/check-layout.py

step "clippy (ssr, all targets)"
cargo clippy --features ssr --all-targets -- -D warnings

step "clippy (the Rust client, all targets)"
cargo clippy -p botconfig-client --all-targets -- -D warnings

step "clippy (hydrate, wasm32)"
cargo clippy --features hydrate --lib --bins --target wasm32-unknown-unknown -- -D warnings

step "the SQL in src/ against the migrated schema, and .sqlx/ up to date with it"
with_schema_database
described="$(mktemp -d)"
describe_queries "$described"
diff -r .sqlx "$described" >/dev/null || {
  echo "error: .sqlx/ is out of date with the queries or the schema: run bash scripts/sqlx-prepare.sh and commit .sqlx/" >&2
  diff -rq .sqlx "$described" >&2 || true
  exit 1
}
rm -rf "$described"

step "Rust tests (unit, doc and Postgres-backed), compiled against the live schema"
# #[sqlx::test] creates one database per test on the server of DATABASE_URL.
SQLX_OFFLINE=false DATABASE_URL="$SCHEMA_DATABASE_URL" cargo test --features ssr

step "the Rust client's own tests"
cargo test -p botconfig-client

build_release
ensure_client_libraries

E2E_DB="botconfig_e2e_$$"
E2E_PORT="${E2E_PORT:-3107}"
E2E_URL="postgres://postgres@127.0.0.1:5432/$E2E_DB"
LOG="$CARGO_TARGET_DIR/e2e-server.log"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)"

step "starting the server on 127.0.0.1:$E2E_PORT with database $E2E_DB"
# The first admin's password comes from the environment here, instead of being generated.
E2E_ADMIN_PASSWORD="e2e-admin-$$-$RANDOM-password"
LEPTOS_ENV=PROD DATABASE_URL="$E2E_URL" BOTCONFIG_LISTEN="127.0.0.1:$E2E_PORT" \
  BOTCONFIG_ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" \
  "$CARGO_TARGET_DIR/release/botconfig" serve >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" || true
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP ROLE IF EXISTS botconfig_e2e_bot" >/dev/null 2>&1 || true
  drop_schema_database
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$E2E_PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:"; cat "$LOG"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$E2E_PORT/healthz" >/dev/null || { echo "server never became healthy:"; cat "$LOG"; exit 1; }

# A read token for the bot-style API reads of both suites.
E2E_TOKEN="$(DATABASE_URL="$E2E_URL" "$CARGO_TARGET_DIR/release/botconfig" token create e2e-reader --scope read | tail -1)"

step "Playwright end-to-end tests"
export BASE_URL="http://127.0.0.1:$E2E_PORT" E2E_DATABASE_URL="$E2E_URL" BOTCONFIG_BIN="$CARGO_TARGET_DIR/release/botconfig"
export E2E_ADMIN_PASSWORD E2E_TOKEN BOTCONFIG_TOKEN="$E2E_TOKEN"
(cd end2end && npx playwright test) || { echo "--- server log ---"; tail -50 "$LOG"; exit 1; }

step "a Python bot (SQLAlchemy + psycopg2) on the same database, by the original column names, under its own role"
BOT_ROLE="botconfig_e2e_bot"
BOT_PASSWORD="e2e-bot-$$-$RANDOM-password"
DATABASE_URL="$E2E_URL" "$CARGO_TARGET_DIR/release/botconfig" db bot-role "$BOT_ROLE" --password-stdin <<<"$BOT_PASSWORD"
export BOT_ROLE BOT_DATABASE_URL="postgres://$BOT_ROLE:$BOT_PASSWORD@127.0.0.1:5432/$E2E_DB"
tools/.venv/bin/python -m pytest tests/compat -q -p no:cacheprovider || { echo "--- server log ---"; tail -50 "$LOG"; exit 1; }

step "the Python client (installed with pip install ./clients/python) against the server and its database"
tools/.venv/bin/python -m pytest clients/python/tests -q -p no:cacheprovider || { echo "--- server log ---"; tail -50 "$LOG"; exit 1; }

step "the conformance suite: both clients against a server of their own, with injected faults"
export BOTCONFIG_BIN AGENT_RUST_BIN="$CARGO_TARGET_DIR/release/examples/agent" AGENT_PYTHON="$ROOT/tools/.venv/bin/python"
"$AGENT_PYTHON" -m pytest clients/conformance -q -p no:cacheprovider

step "the fleet check (short)"
FLEET_SKIP_BUILD=1 bash scripts/fleet-check.sh --short

step "all tests passed"
