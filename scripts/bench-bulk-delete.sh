#!/usr/bin/env bash
# A benchmark, not a test: how a plain-SQL bulk DELETE of pairs scales with the history
# triggers in place (each cascaded risk row finds its deleted pair among the transaction's
# changes). Prints seconds per size on a scratch database migrated from migrations/;
# linear means the time per pair stays flat.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_postgres
trap drop_schema_database EXIT
with_schema_database
printf '%8s %10s %14s\n' pairs seconds "ms per pair"
for n in ${SIZES:-500 2000 5000}; do
  psql -q "$SCHEMA_DATABASE_URL" -c "INSERT INTO trading_pairs (symbol, base_currency, quote_currency, initial_balance, trade_size_usd, max_position_percent) \
    SELECT 'P' || i || '/USDT', 'P' || i, 'USDT', 1000, 50, 10 FROM generate_series(1, $n) i" >/dev/null
  start=$(date +%s%N)
  psql -q "$SCHEMA_DATABASE_URL" -c "DELETE FROM trading_pairs WHERE symbol LIKE 'P%'" >/dev/null
  end=$(date +%s%N)
  awk -v n="$n" -v ns="$((end - start))" 'BEGIN { printf "%8d %10.3f %14.3f\n", n, ns / 1e9, ns / 1e6 / n }'
done
