#!/usr/bin/env bash
# Contract test of the OpenAPI document against a live server with schemathesis.
#
#   LIAISON_URL=http://127.0.0.1:18181 LIAISON_TOKEN=... bash bench/schemathesis.sh
#
# The server must already be running: a fresh database with the demo data loaded
# (`liaison demo`), started with LIAISON_API_RATE_PER_MINUTE high enough (e.g. 1000000) so the
# per-token limit does not answer 429, and LIAISON_TOKEN an admin bearer token
# (`liaison token create --email admin@demo.liaison.test`). The run writes to that database.
#
# Environment:
#   LIAISON_URL     base URL of the server (required); the schema is $LIAISON_URL/openapi.json
#   LIAISON_TOKEN   bearer token (required)
#   ST_VENV         virtualenv to use or create (default $HOME/.cache/liaison-st-venv)
#   ST_REPORT_DIR   where the JUnit and NDJSON reports go (default: a temporary directory)
#   ST_TIMEOUT      hard bound on the whole run in seconds (default 600)
#
# Exits non-zero when schemathesis reports any failure or error.
set -euo pipefail

ST_VERSION=4.32.5
SEED=20251125
MAX_EXAMPLES=25

: "${LIAISON_URL:?set LIAISON_URL, e.g. http://127.0.0.1:18181}"
: "${LIAISON_TOKEN:?set LIAISON_TOKEN to an admin bearer token}"
ST_VENV=${ST_VENV:-$HOME/.cache/liaison-st-venv}
ST_TIMEOUT=${ST_TIMEOUT:-600}
ST_REPORT_DIR=${ST_REPORT_DIR:-$(mktemp -d /tmp/liaison-st-report.XXXXXX)}
URL=${LIAISON_URL%/}

if ! "$ST_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$ST_VERSION')" 2>/dev/null; then
    echo "== installing schemathesis $ST_VERSION into $ST_VENV"
    python3 -m venv "$ST_VENV"
    "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

# Every check of schemathesis 4.32 except positive_data_acceptance. That one requires every
# schema-valid request to get 2xx/401/403/404/409; this API rightly answers others to
# schema-valid input that no OpenAPI schema can rule out: 412 for an If-Match that is not the
# current ETag (optimistic locking), 422 for cross-field rules (e.g. `conditions` required with
# `approve_with_conditions`, CRO users only through their organisation) and for `5.0` sent to an
# integer field (valid JSON Schema `integer`, refused by serde as i64).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability,ignored_auth,object_level_authorization

# missing_required_header stays on, with 428 added to what it accepts: the only required headers
# are If-Match on the optimistic-locking writes, and a missing precondition is 428 Precondition
# Required (RFC 6585), not one of the check's default 400/401/403/406/415/422.
CONFIG=$(mktemp /tmp/liaison-st-config.XXXXXX.toml)
trap 'rm -f "$CONFIG"' EXIT
cat > "$CONFIG" <<'TOML'
[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 415, 422, 428]

# negative_data_rejection's defaults plus 412 (a 5xx fails not_a_server_error anyway): a write
# whose If-Match is not the current ETag is refused with 412 before its body is looked at
# (RFC 9110 section 13.2.2: preconditions are evaluated before the method is applied), so an
# invalid value (e.g. a member role outside the Role enum) sent with a stale If-Match rightly
# gets 412.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 412, 415, 422, 428, 429]
TOML

echo "== schemathesis $ST_VERSION against $URL (seed $SEED, $MAX_EXAMPLES examples per operation)"
# No --max-time: in schemathesis 4 it makes fuzzing and stateful testing repeat until the budget
# is spent. The run is bounded by `timeout` instead (it takes about 1.5 minutes on the demo data).
status=0
timeout --kill-after=30 "$ST_TIMEOUT" "$ST_VENV/bin/st" --config-file "$CONFIG" run "$URL/openapi.json" \
    --header "Authorization: Bearer $LIAISON_TOKEN" \
    --checks "$CHECKS" \
    --seed "$SEED" \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --generation-database none \
    --request-timeout 30 \
    --no-color \
    --report junit,ndjson --report-dir "$ST_REPORT_DIR" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "schemathesis did not finish within ${ST_TIMEOUT}s" >&2
fi
echo "reports: $ST_REPORT_DIR"
exit "$status"
