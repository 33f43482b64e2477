#!/usr/bin/env bash
# Schemathesis against the API's own OpenAPI document (/api/v2/openapi.json): every operation
# called with generated requests (the schema's examples, its boundaries, random fuzzing, then
# chains of calls), as an admin and as an end user, on a fresh SQLite database. The run fails on
# any server error or any answer that breaks the document (status, media type, body schema).
#
#   tests/api/schemathesis.sh
#
# Builds nothing: the server binary is $FRONTDESK_BIN (default target/debug/frontdesk).
# Schemathesis comes from PyPI, installed once into a virtualenv under $ST_CACHE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ST_VERSION=4.32.5
CACHE="${ST_CACHE:-$ROOT/target/schemathesis}"
BIN="${FRONTDESK_BIN:-target/debug/frontdesk}"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
# Per role, the time budget and examples per operation (a longer run: raise them).
MAX_TIME="${ST_MAX_TIME:-150}"
EXAMPLES="${ST_EXAMPLES:-8}"

log() { echo "schemathesis: $*" >&2; }

if [[ ! -x "$CACHE/venv/bin/st" ]] || [[ "$("$CACHE/venv/bin/st" --version 2>/dev/null)" != *"$ST_VERSION"* ]]; then
  log "installing schemathesis $ST_VERSION into $CACHE/venv"
  rm -rf "$CACHE/venv"
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

# shellcheck source=../lib/server.sh
source "$ROOT/tests/lib/server.sh"
# Thousands of calls a minute: past the default rate limit, which is not what is tested here.
FRONTDESK_LOG=error start_server schemathesis admin@example.com "Ada Admin" "schemathesis password" --rate-limit 10000000
# The caller's own account and token are kept out of reach of the generated calls (st_hooks.py).
export ST_PROTECT_USERS=1 ST_PROTECT_TOKENS=1
# A customer with a password (API tokens are the team's), and a request of her own.
api() { curl -sf -u "admin@example.com/token:$TOKEN" -H 'Content-Type: application/json' "$BASE$1" -d "$2"; }
cora=$(api /api/v2/users '{"user":{"name":"Cora Customer","email":"cora@example.com","role":"end-user","password":"customer password"}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])')
api /api/v2/tickets "{\"ticket\":{\"subject\":\"Printer\",\"comment\":{\"body\":\"It jams\"},\"requester_id\":$cora}}" >/dev/null
export ST_PROTECT_USERS="1,$cora" SCHEMATHESIS_HOOKS=st_hooks PYTHONPATH="$ROOT/tests/api"

REPORTS="$ROOT/target/test-output/schemathesis"
mkdir -p "$REPORTS"
failed=0
for who in admin@example.com cora@example.com; do
  log "as $who: up to ${MAX_TIME}s, $EXAMPLES examples an operation"
  if [[ $who == admin@* ]]; then
    auth=$(printf '%s/token:%s' "$who" "$TOKEN" | base64 -w0)
  else
    auth=$(printf '%s:%s' "$who" "customer password" | base64 -w0)
  fi
  set +e
  # (From the reports' folder: schemathesis keeps its own cache where it runs.)
  (cd "$REPORTS" && PYTHONDONTWRITEBYTECODE=1 "$CACHE/venv/bin/st" run "$BASE/api/v2/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" --max-time "$MAX_TIME" --seed 7 --workers 2 --request-timeout 10 \
    --header "Authorization: Basic $auth" \
    --report ndjson --report-ndjson-path "$REPORTS/${who%@*}.ndjson" \
    --no-color >"$REPORTS/${who%@*}.log" 2>&1)
  rc=$?
  set -e
  tail -25 "$REPORTS/${who%@*}.log"
  if [[ $rc -ne 0 ]]; then
    log "FAILED as $who (the whole log: $REPORTS/${who%@*}.log)"
    failed=1
  fi
done
exit $failed
