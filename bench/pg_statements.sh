#!/usr/bin/env bash
# Shows with pg_stat_statements that the server's statements are prepared once per connection
# and then reused (#21): a throwaway PostgreSQL cluster with pg_stat_statements preloaded and
# planning tracked, the release server on it, a few seconds of a read under load, then each
# statement's calls against its plans. A statement sent unprepared is parsed and planned on
# every call (plans = calls); a prepared one is planned a few times per connection and then
# runs its cached generic plan (plans ≪ calls).
#
#   bash bench/pg_statements.sh [seconds]        # default 5
#
# Needs the release build (cargo build --release --bins) and Debian's PostgreSQL binaries
# (/usr/lib/postgresql/<version>/bin). The cluster listens on 127.0.0.1:5439 only while this
# runs and is deleted afterwards. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_UNDER_LOAD=${1:-5}
RELEASE="${CARGO_TARGET_DIR:-target}/release"
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
PORT=5439
HTTP_PORT=18099
WORK=$(mktemp -d /tmp/liaison-pgss.XXXXXX)
chmod 755 "$WORK"
URL="postgres://postgres@127.0.0.1:$PORT/liaison"
SERVER_PID=""

as_postgres() { runuser -u postgres -- "$@"; }
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    as_postgres "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$RELEASE/liaison" ] && [ -x "$RELEASE/bench_seed" ] ||
    { echo "build first: cargo build --release --bins" >&2; exit 1; }
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null

mkdir -p "$WORK/data" && chown postgres "$WORK/data"
as_postgres "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/data/log" -w -o \
    "-p $PORT -k $WORK/data -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on" \
    start >/dev/null
psql -h 127.0.0.1 -p "$PORT" -U postgres -qAt -c 'CREATE DATABASE liaison' >/dev/null
psql "$URL" -qAt -c 'CREATE EXTENSION pg_stat_statements' >/dev/null

DATABASE_URL="$URL" "$RELEASE/bench_seed" 10000 >"$WORK/seed.out" 2>"$WORK/seed.err"
TOKEN=$(sed -n 1p "$WORK/seed.out")
ID=$(sed -n 2p "$WORK/seed.out")
env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$URL" LIAISON_RUN_WORKER=false \
    LIAISON_API_RATE_PER_MINUTE=4000000000 "$RELEASE/liaison" serve --bind "127.0.0.1:$HTTP_PORT" \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS -m 1 "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

psql "$URL" -qAt -c 'SELECT pg_stat_statements_reset()' >/dev/null
wrk -t 2 -c 32 -d "${SECONDS_UNDER_LOAD}s" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/proposals/$ID" >"$WORK/wrk.txt"
connections=$(psql "$URL" -qAt -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'liaison' AND pid <> pg_backend_pid()")

echo "GET /api/v1/proposals/{id} for ${SECONDS_UNDER_LOAD} s ($(grep -E 'Requests/sec' "$WORK/wrk.txt" | awk '{print $2}') req/s); the server held $connections connections."
echo
echo "| calls | plans | statement |"
echo "|---:|---:|---|"
psql "$URL" -qAt -F '|' -c "SELECT calls, plans, regexp_replace(left(query, 110), '\s+', ' ', 'g')
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'liaison') AND calls > 10
    ORDER BY calls DESC LIMIT 8" | sed -E 's/^([^|]*)\|([^|]*)\|(.*)$/| \1 | \2 | `\3` |/'
