#!/usr/bin/env bash
# Runs the admin console at http://127.0.0.1:3000: installs what is missing, makes sure
# Postgres is up, builds, then serves (the server creates and migrates its database).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_tools
ensure_node_tools
ensure_postgres
build_release

export LEPTOS_ENV=PROD
step "serving (Ctrl-C stops)"
exec "$CARGO_TARGET_DIR/release/botconfig" serve "$@"
