#!/usr/bin/env bash
# The fleet under load and faults (scripts/bench/fleet_check.py says what it does and
# prints): two servers on one database, 20 client replicas (Python and Rust), a write every
# 100 ms for 60 s through the console, the REST API, the CLI and plain SQL, bots reading the
# bot-facing API; a listener backend terminated, database connections refused for 10 s, a
# server killed and restarted. Then the client read benchmarks, all three ways.
#   bash scripts/fleet-check.sh            # the full run (about 2 minutes)
#   bash scripts/fleet-check.sh --short    # what CI runs: 20 s, 3 s of refusal
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHORT=false
[ "${1:-}" = "--short" ] && SHORT=true

ensure_rust_tools
ensure_node_tools
ensure_compat_venv
ensure_postgres
ensure_client_libraries

if [ "${FLEET_SKIP_BUILD:-}" != 1 ]; then
  build_release
fi

export BOTCONFIG_BIN="$CARGO_TARGET_DIR/release/botconfig"
export AGENT_RUST_BIN="$CARGO_TARGET_DIR/release/examples/agent" AGENT_PYTHON="$ROOT/tools/.venv/bin/python"
if $SHORT; then
  step "fleet check (short): 20 replicas, writes every 100 ms for 20 s, 3 s of refused connections"
  "$AGENT_PYTHON" scripts/bench/fleet_check.py --seconds 20 --refuse-seconds 3
else
  step "fleet check: 20 replicas, writes every 100 ms for 60 s, 10 s of refused connections"
  "$AGENT_PYTHON" scripts/bench/fleet_check.py --seconds 60 --refuse-seconds 10
fi

step "client reads: the replica, the original service's way of caching, and HTTP"
bench_db="botconfig_reads_$$"
"$AGENT_PYTHON" - "$bench_db" <<'PY'
import os, subprocess, sys
sys.path.insert(0, "clients/conformance")
from harness import Server, drop_database, fresh_database
name = sys.argv[1]
fresh_database(name)
server = Server(os.environ["BOTCONFIG_BIN"], name)
server.start()
try:
    env = {**os.environ, "BOTCONFIG_URL": server.url, "BOTCONFIG_TOKEN": server.token("bench-reader")}
    iterations = "2000000" if os.environ.get("CI") else "5000000"
    subprocess.run([os.environ["AGENT_RUST_BIN"].replace("/agent", "/read_bench")], env={**env, "BENCH_ITERATIONS": iterations}, check=True)
    subprocess.run([os.environ["AGENT_PYTHON"], "scripts/bench/client_reads.py"], env=env, check=True)
finally:
    server.stop()
    drop_database(name)
PY
