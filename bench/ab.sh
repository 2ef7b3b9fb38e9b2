#!/usr/bin/env bash
# A/B of two server configurations on one seeded database, alternated (A B A B …) so that the
# noise of a shared machine falls on both. Measures GET one proposal and create+submit.
#
#   bash bench/ab.sh <database-url> [rounds]
#
# Environment (each side defaults to the release build and the given URL):
#   AB_BIN_A, AB_BIN_B   the liaison binaries to compare
#   AB_URL_A, AB_URL_B   the DATABASE_URLs to compare (e.g. the same PostgreSQL URL with and
#                        without ?sslmode=disable)
#   AB_SECONDS           seconds per measurement (default 4)
#   CARGO_TARGET_DIR     where the release build is (default: target)
#
# bench_seed adds 10 000 proposals to the database first (a PostgreSQL database must exist;
# use a fresh one). Output: one line per run, then the median of each side.
set -euo pipefail
cd "$(dirname "$0")/.."

URL=${1:?usage: bash bench/ab.sh <database-url> [rounds]}
ROUNDS=${2:-3}
SECONDS_EACH=${AB_SECONDS:-4}
RELEASE="${CARGO_TARGET_DIR:-target}/release"
BIN_A=${AB_BIN_A:-$RELEASE/liaison}
BIN_B=${AB_BIN_B:-$RELEASE/liaison}
URL_A=${AB_URL_A:-$URL}
URL_B=${AB_URL_B:-$URL}
PORT=18091
WORK=$(mktemp -d /tmp/liaison-ab.XXXXXX)
trap 'pkill -f "bind 127.0.0.1:$PORT" 2>/dev/null || true; rm -rf "$WORK"' EXIT

DATABASE_URL="$URL" "$RELEASE/bench_seed" 10000 >"$WORK/seed.out" 2>"$WORK/seed.err"
export BENCH_TOKEN BENCH_BODY_FILE="bench/proposal.json"
BENCH_TOKEN=$(sed -n 1p "$WORK/seed.out")
ID=$(sed -n 2p "$WORK/seed.out")
cat bench/create_submit.lua bench/report.lua >"$WORK/create_submit.lua"

measure() { # side binary url
    env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$3" LIAISON_RUN_WORKER=false \
        LIAISON_API_RATE_PER_MINUTE=4000000000 "$2" serve --bind "127.0.0.1:$PORT" \
        >"$WORK/server.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 50); do
        curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    local auth="Authorization: Bearer $BENCH_TOKEN"
    wrk -t2 -c32 -d1s -H "$auth" "http://127.0.0.1:$PORT/api/v1/proposals/$ID" >/dev/null
    local get cs
    get=$(wrk -t2 -c32 -d"${SECONDS_EACH}s" -H "$auth" -s bench/report.lua \
        "http://127.0.0.1:$PORT/api/v1/proposals/$ID" | grep '^BENCH')
    cs=$(wrk -t2 -c32 -d"${SECONDS_EACH}s" -s "$WORK/create_submit.lua" \
        "http://127.0.0.1:$PORT" | grep '^BENCH')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$1 get ${get#BENCH } | create+submit ${cs#BENCH }" | tee -a "$WORK/lines"
}

for _ in $(seq 1 "$ROUNDS"); do
    measure A "$BIN_A" "$URL_A"
    measure B "$BIN_B" "$URL_B"
done

python3 - "$WORK/lines" <<'PY'
import re, statistics, sys
sides = {}
for line in open(sys.argv[1]):
    side = line.split()[0]
    get = float(re.search(r"get rps=([\d.]+)", line).group(1))
    pairs = float(re.search(r"pairs=([\d.]+)", line.split("|")[1]).group(1))
    p99 = float(re.search(r"p99=([\d.]+)", line.split("|")[1]).group(1))
    sides.setdefault(side, []).append((get, pairs, p99))
for side, runs in sorted(sides.items()):
    med = [statistics.median(r[i] for r in runs) for i in range(3)]
    print(f"{side}: median GET one {med[0]:.0f} req/s, create+submit {med[1]:.0f} pairs/s "
          f"(p99 {med[2]:.1f} ms) over {len(runs)} runs")
PY
