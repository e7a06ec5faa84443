# Shared by scripts/run.sh and scripts/test.sh: install what is missing, reach Postgres.
# Every step checks before it acts, so a second run costs seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')

# Builds land outside the clone, so a fresh clone on the same machine builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/botconfig-target}"
# Incremental caches are keyed by the clone's path, so a fresh clone never reuses them:
# they would only pile up on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# The site (JS, WASM, CSS) stays in the project; the server binary serves it from here.
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LEPTOS_SITE_PKG_DIR=pkg
# The server links the bundle by its hashed names (hash.txt beside the binary).
export LEPTOS_HASH_FILES=true
# The SQL in src/ is checked when it compiles: against .sqlx/ (committed) by default, so a
# build needs no database; the test command also checks it against the live schema.
export SQLX_OFFLINE=true

step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "error: cargo not found; install Rust with rustup first" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    step "building cargo-leptos $CARGO_LEPTOS_VERSION from crates.io (10-20 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    step "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
    # Not --locked: its lockfile names a webpki-roots version the registry does not serve.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

npm_install() { # dir
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    step "installing npm packages in $1"
    (cd "$1" && npm ci --no-audit --no-fund)
  fi
}

ensure_node_tools() {
  command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20 and npm first" >&2; exit 1; }
  # binaryen's wasm-opt from npm: Debian's wasm-opt 108 builds a bundle that never hydrates.
  npm_install tools
}

# A virtualenv with what the bots of this family run on, for the compatibility test.
ensure_compat_venv() {
  command -v python3 >/dev/null || { echo "error: python3 not found; install Python 3 first" >&2; exit 1; }
  local venv="$ROOT/tools/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    step "creating the Python virtualenv for the bot compatibility test"
    python3 -m venv "$venv"
  fi
  if [ ! -f "$venv/.installed" ] || [ tests/compat/requirements.txt -nt "$venv/.installed" ]; then
    step "installing SQLAlchemy, psycopg2 and pytest"
    "$venv/bin/pip" install -q -r tests/compat/requirements.txt
    touch "$venv/.installed"
  fi
}

# The client libraries: the Python package installed in the tools virtualenv as a bot
# installs it (pip install ./clients/python), and the Rust client's example programs.
ensure_client_libraries() {
  local venv="$ROOT/tools/.venv"
  if [ ! -f "$venv/.client-installed" ] || [ -n "$(find clients/python -newer "$venv/.client-installed" -name '*.py' -o -newer "$venv/.client-installed" -name pyproject.toml | head -1)" ]; then
    step "installing the Python client (pip install ./clients/python)"
    "$venv/bin/pip" install -q ./clients/python
    touch "$venv/.client-installed"
  fi
  step "building the Rust client's examples (release)"
  cargo build --release -p botconfig-client --examples
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's Chromium"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium
  fi
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    step "starting the local Postgres cluster"
    local version
    version=$(ls /etc/postgresql | sort -n | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 0.5
    done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || {
    echo "error: Postgres does not answer on 127.0.0.1:5432; start it, or set DATABASE_URL to one that does" >&2
    exit 1
  }
}

build_release() {
  step "building the console (server and WASM, release)"
  # --precompress writes the brotli and gzip copies the server sends (http::assets).
  cargo leptos build --release --precompress
}

TEST_SERVER_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SCHEMA_DATABASE="botconfig_schema_$$"
export PGOPTIONS="-c client_min_messages=warning"

# Creates a scratch database with the schema of migrations/, to check the SQL in src/
# against it. Sets SCHEMA_DATABASE_URL; `drop_schema_database` removes it.
with_schema_database() {
  SCHEMA_DATABASE_URL="${TEST_SERVER_URL%/*}/$SCHEMA_DATABASE"
  psql -q "$TEST_SERVER_URL" -c "DROP DATABASE IF EXISTS $SCHEMA_DATABASE WITH (FORCE)" \
    -c "CREATE DATABASE $SCHEMA_DATABASE"
  local migration
  for migration in migrations/*.sql; do
    psql -q -v ON_ERROR_STOP=1 "$SCHEMA_DATABASE_URL" -f "$migration" >/dev/null
  done
  export SCHEMA_DATABASE_URL
}

drop_schema_database() {
  psql -q "$TEST_SERVER_URL" -c "DROP DATABASE IF EXISTS $SCHEMA_DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
}

# Compiles the crate's SQL against the live schema, writing each query's description to
# the directory $1. Touching a source file makes cargo expand the macros again.
describe_queries() {
  touch src/store/mod.rs
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$1" DATABASE_URL="$SCHEMA_DATABASE_URL" \
    cargo check --features ssr --lib --quiet
}
