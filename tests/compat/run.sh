#!/usr/bin/env bash
# Client-compatibility suites: drive a real Frontdesk server with the unmodified
# zenpy (PyPI 2.0.57) and node-zendesk (npm 6.0.1) packages.
#
#   tests/compat/run.sh
#
# Builds nothing: the server binary is $FRONTDESK_BIN (default
# target/debug/frontdesk; a relative path is taken from the repo root).
# The client packages are installed once into $COMPAT_CACHE (default target/compat-cache).
# Each suite gets its own server on a free loopback port with a fresh data dir;
# DATABASE_URL, if set, is passed through to the server untouched.
# Ends with exactly one line "compat: N passed, M failed" (N/M = client suites)
# and exits non-zero if any suite failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/compat"
CACHE="${COMPAT_CACHE:-$ROOT/target/compat-cache}"
VENV="$CACHE/venv"
NODE_DIR="$CACHE/node"
ZENPY_VERSION=2.0.57
NODE_ZENDESK_VERSION=6.0.1
SUITE_TIMEOUT=600 # seconds per client suite

BIN="${FRONTDESK_BIN:-target/debug/frontdesk}"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"

log() { echo "compat: $*" >&2; }

# --- cleanup: stop every server we started and remove its data dir ----------
SERVER_PIDS=()
TMP_DIRS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [[ ${#TMP_DIRS[@]} -eq 0 ]] || rm -rf "${TMP_DIRS[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- pinned client packages (installed once, reused while the version matches)
install_zenpy() {
  if "$VENV/bin/python" -c "import zenpy, sys; sys.exit(zenpy.__version__ != '$ZENPY_VERSION')" 2>/dev/null; then
    return 0
  fi
  log "installing zenpy==$ZENPY_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || return 1
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "zenpy==$ZENPY_VERSION" || return 1
}

install_node_zendesk() {
  local pkg="$NODE_DIR/node_modules/node-zendesk/package.json"
  if [[ -f "$pkg" ]] && [[ "$(node -p "require('$pkg').version" 2>/dev/null)" == "$NODE_ZENDESK_VERSION" ]]; then
    return 0
  fi
  log "installing node-zendesk@$NODE_ZENDESK_VERSION into $NODE_DIR"
  mkdir -p "$NODE_DIR" || return 1
  [[ -f "$NODE_DIR/package.json" ]] || echo '{"name":"frontdesk-compat","private":true}' >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "node-zendesk@$NODE_ZENDESK_VERSION") || return 1
}

# --- server ------------------------------------------------------------------
# start_server NAME: fresh data dir, admin + API token, serve on a free port.
# Sets FRONTDESK_URL / FRONTDESK_EMAIL / FRONTDESK_TOKEN / SERVER_LOG.
start_server() {
  local name="$1" dir port pid i
  dir="$(mktemp -d "${TMPDIR:-/tmp}/frontdesk-compat-$name.XXXXXX")" || return 1
  TMP_DIRS+=("$dir")
  SERVER_LOG="$dir/server.log"
  # Unique email, so runs against a shared PostgreSQL database don't collide.
  FRONTDESK_EMAIL="admin-$name-$$-$RANDOM@example.com"
  "$BIN" --data-dir "$dir" admin create --email "$FRONTDESK_EMAIL" --name "Compat Admin" \
    --password 'correct horse battery' >/dev/null || { log "$name: admin create failed"; return 1; }
  FRONTDESK_TOKEN="$("$BIN" --data-dir "$dir" token create --email "$FRONTDESK_EMAIL")" \
    || { log "$name: token create failed"; return 1; }
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" \
    || return 1
  "$BIN" --data-dir "$dir" serve --bind "127.0.0.1:$port" >"$SERVER_LOG" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  FRONTDESK_URL="http://127.0.0.1:$port"
  for ((i = 0; i < 150; i++)); do # up to ~30 s
    if curl -fsS -o /dev/null "$FRONTDESK_URL/healthz" 2>/dev/null; then
      log "$name: server pid $pid on $FRONTDESK_URL (data dir $dir)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name: server exited early; log follows"; cat "$SERVER_LOG" >&2; return 1
    fi
    sleep 0.2
  done
  log "$name: server did not answer /healthz within 30 s; log follows"; cat "$SERVER_LOG" >&2
  return 1
}

stop_server() {
  local pid="${SERVER_PIDS[-1]}"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_suite NAME INSTALL_FN CMD...: install the client, start a server, run CMD.
# Returns non-zero on any failure (errexit does not apply inside `if`, hence the
# explicit `|| return 1`s).
run_suite() {
  local name="$1" install="$2" rc=0
  shift 2
  echo "=== $name"
  "$install" || { log "$name: installing the client failed"; return 1; }
  start_server "$name" || return 1
  FRONTDESK_URL="$FRONTDESK_URL" FRONTDESK_EMAIL="$FRONTDESK_EMAIL" FRONTDESK_TOKEN="$FRONTDESK_TOKEN" \
    NODE_ZENDESK_DIR="$NODE_DIR" timeout "$SUITE_TIMEOUT" "$@" || rc=$?
  stop_server
  if [[ $rc -ne 0 ]]; then
    log "$name: FAILED (exit $rc); last server log lines:"
    tail -n 20 "$SERVER_LOG" >&2 || true
  fi
  return "$rc"
}

# --- main ----------------------------------------------------------------------
if [[ ! -x "$BIN" ]]; then
  log "server binary $BIN not found or not executable (set FRONTDESK_BIN)"
  echo "compat: 0 passed, 2 failed"
  exit 1
fi

passed=0
failed=0
for suite in zenpy node-zendesk; do
  case "$suite" in
    zenpy) cmd=(install_zenpy "$VENV/bin/python" "$HERE/zenpy_test.py") ;;
    node-zendesk) cmd=(install_node_zendesk node "$HERE/node_zendesk_test.mjs") ;;
  esac
  if run_suite "$suite" "${cmd[@]}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done

echo "compat: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
