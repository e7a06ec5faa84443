#!/usr/bin/env bash
# A developer's tool, not a setup step: regenerates .sqlx/, the descriptions of every
# query!/query_as! in src/ that let the build check SQL without a database
# (SQLX_OFFLINE=true). Run it after changing a query or a migration, and commit .sqlx/.
# It needs no sqlx-cli: compiling with SQLX_OFFLINE_DIR set makes the macros write their
# descriptions there, against a scratch database migrated from migrations/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_postgres
trap drop_schema_database EXIT
with_schema_database
rm -rf .sqlx
mkdir .sqlx
describe_queries "$ROOT/.sqlx"
echo "wrote $(ls .sqlx | wc -l) query descriptions to .sqlx/"
