#!/usr/bin/env bash
# Throughput, latency, scale and PDF speed of Liaison, each figure also as a ratio to the
# framework floor (GET /healthz) measured in the same run. See docs/performance.md.
# Also the web pages (proposal page, home page = proposal list, programme dashboard), each
# with a real session cookie from the sign-in form.
#
#   bash bench/run.sh            # full: SQLite (+ PostgreSQL), 10 000 and 1 000 000 proposals
#   bash bench/run.sh --quick    # 10 000 proposals only, 3 s per measurement
#   bash bench/run.sh --smoke    # CI: the debug build already there, SQLite, 500 proposals,
#                                # 1 s each; fails when a measurement errs or yields nothing
#   bash bench/run.sh --profile  # like --quick (5 s each), every measurement under `perf
#                                # record`: where the machine's time goes (per process) and
#                                # where the server's goes (per function, call graphs), in
#                                # bench/profiles/<date>/; flame graphs when inferno is installed
#
# Environment:
#   CARGO_TARGET_DIR  where cargo builds (default: target)
#   BENCH_PG_URL      an admin URL of a PostgreSQL server on this machine, e.g.
#                     postgres://postgres@127.0.0.1:5432/postgres. Without it, PostgreSQL is
#                     used when one answers at 127.0.0.1:5432 (user postgres). The database
#                     liaison_bench is created there fresh and dropped at the end.
#   BENCH_NO_PG=1     skip PostgreSQL
#   BENCH_DURATION    seconds per measurement (default 10, quick 3)
#   BENCH_KEEP=1      keep the work directory (SQLite databases, server logs)
#   BENCH_NO_BUILD=1  use the release binaries already built (no cargo)
#   BENCH_SIZES       space-separated proposal counts, e.g. "1000000" (overrides the mode's)
#   BENCH_BIN         the liaison binary to serve with (default: the build's); for A/B runs
#                     of a binary copied aside, e.g. BENCH_BIN=/tmp/liaison-a
#
# All HTTP traffic goes to 127.0.0.1. wrk (Debian package) is installed when missing, and so
# is the sqlite3 shell. Every loop is bounded in count and time; the server is killed and the
# temporary files removed on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
SMOKE=0
PROFILE=0
case "${1:-}" in
    --quick) QUICK=1 ;;
    --smoke) SMOKE=1 ;;
    --profile) QUICK=1; PROFILE=1 ;;
    "") ;;
    *) echo "usage: bash bench/run.sh [--quick|--smoke|--profile]" >&2; exit 2 ;;
esac

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
CONNECTIONS=32
THREADS=2
RELEASE="$CARGO_TARGET_DIR/release"
DATE=$(date -u +%F)
if [ "$SMOKE" = 1 ]; then
    DURATION=${BENCH_DURATION:-1}; SIZES=(500); PDF_RENDERS=3; SUFFIX="-smoke"
    RELEASE="$CARGO_TARGET_DIR/debug"; BENCH_NO_BUILD=1; BENCH_NO_PG=1
elif [ "$PROFILE" = 1 ]; then
    DURATION=${BENCH_DURATION:-5}; SIZES=(10000); PDF_RENDERS=40; SUFFIX="-profile"
elif [ "$QUICK" = 1 ]; then
    DURATION=${BENCH_DURATION:-3}; SIZES=(10000); PDF_RENDERS=40; SUFFIX="-quick"
else
    DURATION=${BENCH_DURATION:-10}; SIZES=(10000 1000000); PDF_RENDERS=300; SUFFIX=""
fi
if [ -n "${BENCH_SIZES:-}" ]; then read -r -a SIZES <<<"$BENCH_SIZES"; fi
RESULTS="bench/results-$DATE$SUFFIX.md"
# Never overwrite an earlier run's file (docs/performance.md cites them by name).
for n in $(seq 2 99); do
    [ -e "$RESULTS" ] || break
    RESULTS="bench/results-$DATE$SUFFIX-$n.md"
done
if [ "$SMOKE" = 1 ]; then RESULTS="$(mktemp -d /tmp/liaison-bench-smoke.XXXXXX)/results.md"; fi

WORK=$(mktemp -d /tmp/liaison-bench.XXXXXX)
SERVER_PID=""
PG_ADMIN_URL=""
PG_BENCH_URL=""

log() { printf '[bench %s] %s\n' "$(date -u +%T)" "$*" >&2; }

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

drop_pg() {
    if [ -n "$PG_ADMIN_URL" ]; then
        timeout 60 psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 \
            -c 'DROP DATABASE IF EXISTS liaison_bench WITH (FORCE)' >/dev/null 2>&1 || true
    fi
}

cleanup() {
    local status=$?
    stop_server
    drop_pg
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------- tools
need_apt() {
    if ! command -v "$1" >/dev/null 2>&1; then
        log "installing $2 (apt-get)"
        timeout 600 apt-get install -y "$2" >/dev/null || {
            timeout 600 apt-get update >/dev/null && timeout 600 apt-get install -y "$2" >/dev/null
        }
    fi
}
need_apt wrk wrk
if [ "$PROFILE" = 1 ]; then
    need_apt perf linux-perf
    PROFILES="bench/profiles/$DATE"
    mkdir -p "$PROFILES"
fi
need_apt sqlite3 sqlite3
command -v curl >/dev/null || need_apt curl curl

if [ "$SMOKE" = 1 ]; then
    log "--smoke: using the debug binaries in $RELEASE"
    for bin in liaison bench_seed examples/pdf_bench; do
        [ -x "$RELEASE/$bin" ] || { echo "missing $RELEASE/$bin (cargo test builds it)" >&2; exit 1; }
    done
elif [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    log "BENCH_NO_BUILD=1: using the binaries already in $RELEASE"
else
    log "building release binaries (cargo build --release --bins --example pdf_bench)"
    # One invocation: building the example separately would resolve dependency features
    # differently (dev-dependencies) and rebuild half the tree.
    timeout 3600 nice -n 10 cargo build --release --bins --example pdf_bench --quiet
fi

# ------------------------------------------------------------------------------------ helpers
load1() { cut -d' ' -f1 /proc/loadavg; }

# A free port on 127.0.0.1 (bounded scan).
free_port() {
    local port
    for port in $(seq 18080 18179); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port in 18080-18179" >&2
    return 1
}

start_server() { # database_url
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    # The per-token API rate limit (default 600/min) would answer 429 to a load test; it is
    # raised, not disabled, so its bookkeeping is still paid on every request.
    env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$1" LIAISON_RUN_WORKER=false \
        LIAISON_API_RATE_PER_MINUTE=4000000000 \
        "${BENCH_BIN:-$RELEASE/liaison}" serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        if curl -fsS -m 1 "$BASE/healthz" >/dev/null 2>&1; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    log "server did not come up:"; tail -20 "$WORK/server.log" >&2
    return 1
}

# A real web session for the seeded user $1: a password set with `liaison user set-password`,
# then the sign-in form (GET /signin for the CSRF cookie and token, POST /signin). Prints the
# Cookie header value (session + CSRF cookie), as a browser would send it.
web_session() { # database_url email
    local url=$1 email=$2 jar="$WORK/cookies-${2%%@*}.txt" pw csrf
    pw="bench-password-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    printf '%s\n' "$pw" | env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$url" \
        timeout 120 "$RELEASE/liaison" user set-password --email "$email" >/dev/null
    csrf=$(curl -fsS -m 10 -c "$jar" "$BASE/signin" |
        sed -nE 's/.*name="csrf_token" value="([^"]+)".*/\1/p' | head -1)
    curl -sS -m 30 -o /dev/null -b "$jar" -c "$jar" --data-urlencode "email=$email" \
        --data-urlencode "password=$pw" --data-urlencode "csrf_token=$csrf" \
        --data-urlencode "next=/" "$BASE/signin"
    # Without a session the pages answer 200 with the sign-in form, which would be measured as
    # a fast page: no session cookie is a failure.
    if ! awk -F '\t' '$6 == "liaison_session" { found = 1 } END { exit !found }' "$jar"; then
        log "sign-in as $email gave no session cookie"
        FAILURES+=("web sign-in as $email: no session cookie")
    fi
    # Netscape cookie jar: name in field 6, value in field 7 (HttpOnly lines included).
    awk -F '\t' '$6 == "liaison_session" || $6 == "liaison_csrf" { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar"
}

# Lua for wrk: report.lua prints one machine-readable line per run; create_submit.lua drives
# create+submit pairs (bench/ab.sh uses the same files).
cp bench/report.lua "$WORK/report.lua"
cat bench/create_submit.lua bench/report.lua >"$WORK/create_submit.lua"
cat bench/create.lua bench/report.lua >"$WORK/create.lua"

# wrk against $BASE; prints "rps p50 p99 non2xx pairs".
run_wrk() { # label path [extra wrk args...]
    local label=$1 path=$2
    shift 2
    local out="$WORK/wrk-$label.txt"
    if [ "$PROFILE" = 1 ]; then profile_during "$label" & fi
    timeout $((DURATION + 60)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s \
        "$@" "$BASE$path" >"$out" 2>&1 || true
    if [ "$PROFILE" = 1 ]; then wait; fi
    # The server's peak RSS so far: which row raises it (the verdict uses the last one).
    printf '%s %s\n' "$label" "$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$SERVER_PID/status" 2>/dev/null || echo '?')" >>"$WORK/rss-steps.txt"
    local line
    line=$(grep '^BENCH ' "$out" | tail -1 || true)
    if [ -z "$line" ]; then
        log "wrk produced no figures for $label:"; cat "$out" >&2
        echo "0 0 0 0 0"
        return 0
    fi
    local v k
    for k in rps p50 p99 non2xx sockerr pairs; do
        v=$(sed -E "s/.* $k=([^ ]+).*/\1/" <<<"$line")
        printf -v "W_$k" '%s' "$v"
    done
    echo "$W_rps $W_p50 $W_p99 $((W_non2xx + W_sockerr)) $W_pairs"
}

# --profile: samples the whole machine (which process uses the CPU: server, database, wrk) and
# the server alone with call graphs, for the middle of a measurement. Software clock events:
# this machine kind has no hardware counters. Writes <backend>-<label>.txt (and .svg).
profile_during() { # label
    local label=$1 name="$PROFILES/${BACKEND_NOW:-x}-$1" secs=$((DURATION > 3 ? DURATION - 2 : 1))
    sleep 1
    perf record -q -a -e cpu-clock -F 499 -o "$WORK/$label.sys.data" -- sleep "$secs" >/dev/null 2>&1 &
    perf record -q -e cpu-clock -F 199 --call-graph dwarf,32768 -p "$SERVER_PID" \
        -o "$WORK/$label.srv.data" -- sleep "$secs" >/dev/null 2>&1 || true
    wait
    {
        echo "# $label on ${BACKEND_NOW:-?}: CPU samples of the whole machine by process"
        perf report -i "$WORK/$label.sys.data" --stdio --sort comm --percent-limit 1 2>/dev/null | grep -v '^#' | sed '/^$/d' || true
        echo
        echo "# the server by shared object"
        perf report --no-inline -i "$WORK/$label.srv.data" --stdio --no-children --sort dso -g none --percent-limit 1 2>/dev/null | grep -v '^#' | sed '/^$/d' || true
        echo
        echo "# the server, functions by own time (top 40)"
        perf report --no-inline -i "$WORK/$label.srv.data" --stdio --no-children --sort symbol -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | sed '/^$/d' | head -40 || true
        echo
        echo "# the server, functions by time including callees (top 60)"
        perf report --no-inline -i "$WORK/$label.srv.data" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null | grep -v '^#' | sed '/^$/d' | head -60 || true
    } | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' >"$name.txt" || true
    # (|| true: `head` closing a pipe early is a failure under pipefail, which ended this
    # function before the flame graph.)
    if command -v inferno-collapse-perf >/dev/null && command -v inferno-flamegraph >/dev/null; then
        perf script --no-inline -i "$WORK/$label.srv.data" >"$WORK/$label.script" 2>/dev/null || true
        inferno-collapse-perf "$WORK/$label.script" >"$WORK/$label.folded" 2>/dev/null || true
        if [ -s "$WORK/$label.folded" ]; then
            # Frames narrower than 0.5 px are left out: a readable graph at about 130 KB.
            inferno-flamegraph --minwidth 0.5 --title "$label (${BACKEND_NOW:-?})" \
                "$WORK/$label.folded" >"$name.svg" 2>"$WORK/$label.svg.err" ||
                { log "flame graph of $label: $(head -1 "$WORK/$label.svg.err")"; rm -f "$name.svg"; }
        else
            log "flame graph of $label: perf script gave no stacks"
        fi
        rm -f "$WORK/$label.script" "$WORK/$label.folded"
    fi
    rm -f "$WORK/$label.sys.data" "$WORK/$label.srv.data"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
check() { awk "BEGIN { exit !($1) }" && echo "✅ met" || echo "❌ missed"; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }'; }

# Times one SQL statement 5 times with the backend's own shell; prints the median in ms.
time_sql() { # backend url sql
    local backend=$1 url=$2 sql=$3
    local i
    for i in 1 2 3 4 5; do
        if [ "$backend" = sqlite ]; then
            # real has millisecond resolution only: take max(real, user + sys).
            printf '.timer on\n.output /dev/null\n%s;\n' "$sql" | timeout 300 sqlite3 "$url" 2>&1 |
                sed -nE 's/^Run Time: real ([0-9.]+) user ([0-9.]+) sys ([0-9.]+).*/\1 \2 \3/p' |
                awk '{ cpu = $2 + $3; t = ($1 > cpu ? $1 : cpu); printf "%.3f\n", t * 1000 }'
        else
            timeout 300 psql "$url" -qAt -c "EXPLAIN (ANALYZE, TIMING OFF) $sql" |
                sed -nE 's/^Execution Time: ([0-9.]+) ms/\1/p'
        fi
    done | median
}

plan_sql() { # backend url sql
    if [ "$1" = sqlite ]; then
        timeout 300 sqlite3 "$2" "EXPLAIN QUERY PLAN $3" 2>&1
    else
        timeout 300 psql "$2" -qAt -c "EXPLAIN $3" 2>&1
    fi
}

# ------------------------------------------------------------------------------- measurement
cp bench/proposal.json "$WORK/proposal.json"
ROWS="$WORK/rows.md"        # table rows
NOTES="$WORK/notes.md"      # query plans, OFFSET timings
VERDICTS="$WORK/verdicts.md"
: >"$ROWS"; : >"$NOTES"; : >"$VERDICTS"; : >"$WORK/rss-steps.txt"

row() { echo "| $* |" >>"$ROWS"; }

bench_backend() { # backend size db_url
    local backend=$1 size=$2 url=$3
    BACKEND_NOW=$backend
    local seed_out="$WORK/seed.out" started secs
    log "$backend N=$size: seeding"
    started=$(date +%s.%N)
    env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$url" \
        timeout 3600 "$RELEASE/bench_seed" "$size" >"$seed_out" 2>"$WORK/seed.err" || {
        log "seeding failed:"; tail -20 "$WORK/seed.err" >&2; return 1; }
    secs=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    local token sample
    token=$(sed -n 1p "$seed_out")
    sample=$(sed -n 2p "$seed_out")
    local owner_id owner_sql q_owner="SELECT id FROM users WHERE email = 'bench-investigator@example.jp'"
    if [ "$backend" = sqlite ]; then owner_id=$(sqlite3 "$url" "$q_owner"); else owner_id=$(psql "$url" -qAt -c "$q_owner"); fi
    owner_sql="'$owner_id'"
    local deep_id offset
    offset=100
    local q_deep="SELECT id FROM proposals WHERE owner_id = $owner_sql ORDER BY id ASC LIMIT 1 OFFSET $offset"
    if [ "$backend" = sqlite ]; then deep_id=$(sqlite3 "$url" "$q_deep"); else deep_id=$(psql "$url" -qAt -c "$q_deep"); fi
    local cursor
    cursor=$(printf '%s' "$deep_id" | base64 -w0 | tr '+/' '-_' | tr -d '=')
    local dbsize
    if [ "$backend" = sqlite ]; then
        dbsize=$(du -cm "$url"* | tail -1 | cut -f1)
    else
        dbsize=$(psql "$url" -qAt -c "SELECT pg_database_size(current_database()) / 1048576")
    fi

    # An admin for the programme dashboard (the investigator's home page is their proposal list).
    env -u LIAISON_SECRET_KEY -u LIAISON_CONFIG DATABASE_URL="$url" timeout 120 "$RELEASE/liaison" \
        user create --email bench-admin@example.jp --role admin --name "Bench Admin" >/dev/null 2>&1 || true

    start_server "$url"
    local auth="Authorization: Bearer $token"
    local inv_cookie admin_cookie
    web_session "$url" bench-investigator@example.jp >"$WORK/cookie-inv"
    web_session "$url" bench-admin@example.jp >"$WORK/cookie-admin"
    inv_cookie="Cookie: $(cat "$WORK/cookie-inv")"
    admin_cookie="Cookie: $(cat "$WORK/cookie-admin")"
    # Warm-up (not reported): a second of reads.
    timeout 30 wrk -t 1 -c 4 -d 1s -H "$auth" "$BASE/api/v1/proposals/$sample" >/dev/null 2>&1 || true

    local load_before r
    load_before=$(load1)
    read -r H_rps H_p50 H_p99 H_err _ < <(run_wrk healthz /healthz -s "$WORK/report.lua")
    read -r M_rps M_p50 M_p99 M_err _ < <(run_wrk me "/api/v1/me" -H "$auth" -s "$WORK/report.lua")
    read -r G_rps G_p50 G_p99 G_err _ < <(run_wrk get "/api/v1/proposals/$sample" -H "$auth" -s "$WORK/report.lua")
    read -r L_rps L_p50 L_p99 L_err _ < <(run_wrk list "/api/v1/proposals?limit=50" -H "$auth" -s "$WORK/report.lua")
    read -r D_rps D_p50 D_p99 D_err _ < <(run_wrk deep "/api/v1/proposals?limit=50&cursor=$cursor" -H "$auth" -s "$WORK/report.lua")
    # Web pages with the session cookie: the proposal page (owner), the investigator's home page
    # (their 200 most recent proposals: the proposal list page) and the programme dashboard (admin).
    read -r WP_rps WP_p50 WP_p99 WP_err _ < <(run_wrk web_proposal "/proposals/$sample" -H "$inv_cookie" -s "$WORK/report.lua")
    read -r WH_rps WH_p50 WH_p99 WH_err _ < <(run_wrk web_home "/" -H "$inv_cookie" -s "$WORK/report.lua")
    read -r WD_rps WD_p50 WD_p99 WD_err _ < <(run_wrk web_programme "/programme" -H "$admin_cookie" -s "$WORK/report.lua")
    export BENCH_TOKEN=$token BENCH_BODY_FILE="$WORK/proposal.json"
    read -r K_rps K_p50 K_p99 K_err _ < <(run_wrk create /api/v1/proposals -s "$WORK/create.lua")
    read -r C_rps C_p50 C_p99 C_err C_pairs < <(run_wrk create_submit /api/v1/proposals -s "$WORK/create_submit.lua")
    local rss_kb rss_steps
    rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    rss_steps=$(awk '{ printf "%s%s %s MB", sep, $1, $2; sep = ", " }' "$WORK/rss-steps.txt")
    : >"$WORK/rss-steps.txt"
    local load_after
    load_after=$(load1)
    stop_server

    # The server's own list query, deep in the set: keyset (what the API runs) vs OFFSET.
    # The columns the list reads (store::proposals::ProposalListRow): no content document.
    local cols="id, reference, status, title, product, therapeutic_area, round, updated_at, submitted_at"
    local total
    if [ "$backend" = sqlite ]; then total=$(sqlite3 "$url" "SELECT count(*) FROM proposals WHERE owner_id = $owner_sql");
    else total=$(psql "$url" -qAt -c "SELECT count(*) FROM proposals WHERE owner_id = $owner_sql"); fi
    local skip=$((total - offset - 1))
    local q_keyset="SELECT $cols FROM proposals WHERE owner_id = $owner_sql AND id < '$deep_id' ORDER BY id DESC LIMIT 51"
    local q_offset="SELECT $cols FROM proposals WHERE owner_id = $owner_sql ORDER BY id DESC LIMIT 51 OFFSET $skip"
    local t_keyset t_offset
    t_keyset=$(time_sql "$backend" "$url" "$q_keyset")
    t_offset=$(time_sql "$backend" "$url" "$q_offset")
    {
        echo "### $backend, N = $size"
        echo
        echo "Seeding took $secs s; database size $dbsize MB; load average (1 min) $load_before before and $load_after after the HTTP runs."
        echo
        echo "Server peak RSS (VmHWM) after each measurement, in order: $rss_steps."
        echo
        echo "Keyset query (the API's, cursor $offset rows from the oldest end) — median of 5: $t_keyset ms"
        echo
        echo '```'
        plan_sql "$backend" "$url" "$q_keyset"
        echo '```'
        echo
        echo "OFFSET $skip (the same page by OFFSET) — median of 5: $t_offset ms"
        echo
        echo '```'
        plan_sql "$backend" "$url" "$q_offset"
        echo '```'
        echo
    } >>"$NOTES"

    local tag="$backend | $size"
    row "$tag | GET /healthz (floor) | $H_rps | 1.000 | $H_p50 | $H_p99 | $H_err"
    row "$tag | GET /api/v1/me (authenticated floor: bearer check + one user read) | $M_rps | $(ratio "$M_rps" "$H_rps") | $M_p50 | $M_p99 | $M_err"
    row "$tag | GET /api/v1/proposals/{id} | $G_rps | $(ratio "$G_rps" "$H_rps") | $G_p50 | $G_p99 | $G_err"
    row "$tag | GET /api/v1/proposals?limit=50 (first page) | $L_rps | $(ratio "$L_rps" "$H_rps") | $L_p50 | $L_p99 | $L_err"
    row "$tag | same, cursor $offset rows from the oldest end | $D_rps | $(ratio "$D_rps" "$H_rps") | $D_p50 | $D_p99 | $D_err"
    row "$tag | create a draft (POST /api/v1/proposals) | $K_rps | $(ratio "$K_rps" "$H_rps") | $K_p50 | $K_p99 | $K_err"
    row "$tag | create+submit, requests (mixed POSTs) | $C_rps | $(ratio "$C_rps" "$H_rps") | $C_p50 | $C_p99 | $C_err"
    row "$tag | create+submit, pairs/s (= submits/s) | $C_pairs | $(ratio "$C_pairs" "$H_rps") | | | "
    row "$tag | web: proposal page /proposals/{id} (owner's session cookie) | $WP_rps | $(ratio "$WP_rps" "$H_rps") | $WP_p50 | $WP_p99 | $WP_err"
    row "$tag | web: home page / = the investigator's proposal list (200 rows) | $WH_rps | $(ratio "$WH_rps" "$H_rps") | $WH_p50 | $WH_p99 | $WH_err"
    row "$tag | web: programme dashboard /programme (admin's session cookie) | $WD_rps | $(ratio "$WD_rps" "$H_rps") | $WD_p50 | $WD_p99 | $WD_err"
    row "$tag | SQL keyset deep page (median of 5, ms) | | | $t_keyset | | "
    row "$tag | SQL OFFSET $skip deep page (median of 5, ms) | | | $t_offset | | "
    row "$tag | server peak RSS (VmHWM) | $((rss_kb / 1024)) MB | | | | "

    local measurement name rps errs
    for measurement in "healthz $H_rps $H_err" "me $M_rps $M_err" "get $G_rps $G_err" \
        "list $L_rps $L_err" "deep $D_rps $D_err" "create $K_rps $K_err" "create_submit $C_pairs $C_err" \
        "web_proposal $WP_rps $WP_err" "web_home $WH_rps $WH_err" "web_programme $WD_rps $WD_err"; do
        read -r name rps errs <<<"$measurement"
        if [ "$errs" != 0 ] || awk -v r="$rps" 'BEGIN { exit !(r <= 0) }'; then
            FAILURES+=("$backend N=$size $name: $rps/s, $errs errors")
        fi
    done

    {
        # Issue #21's targets (SQLite / PostgreSQL differ).
        local t_get=0.35 t_list=0.18 t_list_p99=15 t_create=0.05
        if [ "$backend" = postgres ]; then t_get=0.20; t_list=0.12; t_list_p99=20; t_create=0.03; fi
        echo "| $tag | GET one ≥ $t_get × floor | $(ratio "$G_rps" "$H_rps") | $(check "$G_rps >= $t_get * $H_rps") |"
        echo "| $tag | list ≥ $t_list × floor, p99 ≤ $t_list_p99 ms | $(ratio "$L_rps" "$H_rps"), p99 $L_p99 ms | $(check "$L_rps >= $t_list * $H_rps && $L_p99 <= $t_list_p99") |"
        echo "| $tag | create a draft ≥ $t_create × floor | $(ratio "$K_rps" "$H_rps"), p99 $K_p99 ms | $(check "$K_rps >= $t_create * $H_rps") |"
        echo "| $tag | create+submit pairs ≥ 0.015 × floor | $(ratio "$C_pairs" "$H_rps"), p99 $C_p99 ms | $(check "$C_pairs >= 0.015 * $H_rps") |"
        echo "| $tag | deep page p50 ≤ 1.1 × first page p50 | $D_p50 vs $L_p50 ms | $(check "$D_p50 <= 1.1 * $L_p50") |"
        echo "| $tag | web proposal page ≥ 0.10 × floor, p99 ≤ 20 ms | $(ratio "$WP_rps" "$H_rps"), p99 $WP_p99 ms | $(check "$WP_rps >= 0.10 * $H_rps && $WP_p99 <= 20") |"
        echo "| $tag | web dashboard ≥ 0.30 × floor (programme dashboard; home page in brackets) | $(ratio "$WD_rps" "$H_rps") ($(ratio "$WH_rps" "$H_rps")) | $(check "$WD_rps >= 0.30 * $H_rps") |"
        echo "| $tag | peak RSS ≤ 100 MB | $((rss_kb / 1024)) MB | $(check "$rss_kb <= 102400") |"
    } >>"$VERDICTS"
}

FAILURES=()
BACKENDS=(sqlite)
if [ "${BENCH_NO_PG:-0}" != 1 ]; then
    if [ -n "${BENCH_PG_URL:-}" ]; then
        PG_ADMIN_URL=$BENCH_PG_URL
    elif (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
        PG_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"
    fi
    if [ -n "$PG_ADMIN_URL" ]; then
        if ! [[ "$PG_ADMIN_URL" =~ ^postgres(ql)?://([^@/]*@)?(127\.0\.0\.1|localhost)([:/?]|$) ]]; then
            echo "BENCH_PG_URL must point at 127.0.0.1 or localhost" >&2
            exit 2
        fi
        if timeout 10 psql "$PG_ADMIN_URL" -qAt -c 'SELECT 1' >/dev/null 2>&1; then
            PG_BENCH_URL=$(sed -E 's#^(postgres(ql)?://[^/?]+)(/[^?]*)?#\1/liaison_bench#' <<<"$PG_ADMIN_URL")
            BACKENDS+=(postgres)
        else
            log "PostgreSQL at $PG_ADMIN_URL does not answer; SQLite only"
            PG_ADMIN_URL=""
        fi
    fi
fi

for backend in "${BACKENDS[@]}"; do
    for size in "${SIZES[@]}"; do
        if [ "$backend" = sqlite ]; then
            db="$WORK/bench-$size.db"
            bench_backend sqlite "$size" "$db"
            rm -f "$db" "$db-wal" "$db-shm"
        else
            drop_pg
            timeout 60 psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c 'CREATE DATABASE liaison_bench' >/dev/null
            bench_backend postgres "$size" "$PG_BENCH_URL"
            drop_pg
        fi
    done
done

log "summary PDF: $PDF_RENDERS renders on one thread"
pdf_val() { sed -nE "s/^$1: (.*)/\1/p" <<<"$PDF_OUT"; }
if [ -x "$RELEASE/examples/pdf_bench" ]; then
    PDF_OUT=$("$RELEASE/examples/pdf_bench" "$PDF_RENDERS")
    PDF_RATE=$(pdf_val pdfs_per_cpu_second)
    [ "$PDF_RATE" = "?" ] && PDF_RATE=$(pdf_val pdfs_per_second_wall)
    echo "| pdf | — | summary PDF ≥ 60 per CPU-second | $PDF_RATE/s | $(check "$PDF_RATE >= 60") |" >>"$VERDICTS"
else
    # BENCH_NO_BUILD with a build that has no example (cargo build --release --bins only).
    log "no $RELEASE/examples/pdf_bench: the summary PDF is not measured in this run"
    PDF_OUT=""
    echo "| pdf | — | summary PDF ≥ 60 per CPU-second | not measured (no pdf_bench build) | — |" >>"$VERDICTS"
fi

{
    echo "# Liaison benchmark, $DATE${SUFFIX:+ (quick)}"
    echo
    echo "Machine: $(nproc) CPU(s), $(sed -nE 's/^model name\s*: (.*)/\1/p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM. Load generator on the same machine: wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $THREADS threads, $CONNECTIONS connections, $DURATION s per measurement. Git: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted changes in src/)')${BENCH_BIN:+; server binary $BENCH_BIN}."
    echo
    echo "× floor = requests/s divided by GET /healthz requests/s of the same backend and size. Latencies in ms; errors = non-2xx + socket errors."
    echo
    echo "| backend | N | measurement | req/s | × floor | p50 ms | p99 ms | errors |"
    echo "|---|---|---|---|---|---|---|---|"
    cat "$ROWS"
    echo
    echo "Summary PDF (one thread, $(pdf_val renders) renders, $(pdf_val pages) pages, $(pdf_val pdf_bytes) bytes): $(pdf_val pdfs_per_cpu_second) PDFs per CPU-second ($(pdf_val pdfs_per_second_wall) per wall-clock second), median $(pdf_val median_ms) ms, p99 $(pdf_val p99_ms) ms; first render in the process $(pdf_val first_render_ms) ms."
    echo
    echo "## Targets"
    echo
    echo "| backend | N | target | measured | verdict |"
    echo "|---|---|---|---|---|"
    cat "$VERDICTS"
    echo
    echo "## Deep page: keyset vs OFFSET, query plans"
    echo
    cat "$NOTES"
} >"$RESULTS"

cat "$RESULTS"
log "written $RESULTS"
if [ "${#FAILURES[@]}" -gt 0 ]; then
    printf 'measurement failed: %s\n' "${FAILURES[@]}" >&2
    [ "$SMOKE" = 1 ] && exit 1
fi
if [ "$SMOKE" = 1 ]; then log "smoke run passed: every measurement answered without errors"; fi
