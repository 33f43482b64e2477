# Sourced by the scripts that drive a real server (tests/browser/run.sh, tests/api/schemathesis.sh):
#
#   start_server LABEL EMAIL NAME PASSWORD [serve options…]
#
# migrates a fresh SQLite data directory, creates an admin (EMAIL, NAME, PASSWORD) and an API
# token for them, and starts `$BIN serve` on a free port with the options given. Sets DATA,
# TOKEN, PORT, BASE and PID; the server is stopped and the directory removed when the script
# exits. Fails, with the server's log, if it does not answer /healthz within 10 s.
start_server() {
  local label=$1 email=$2 name=$3 password=$4
  shift 4
  DATA=$(mktemp -d "/tmp/frontdesk-$label.XXXXXX")
  PID=
  trap '_stop_server' EXIT
  unset DATABASE_URL
  "$BIN" --data-dir "$DATA" migrate >/dev/null
  "$BIN" --data-dir "$DATA" admin create --email "$email" --name "$name" --password "$password" >/dev/null
  TOKEN=$("$BIN" --data-dir "$DATA" token create --email "$email")
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BASE="http://127.0.0.1:$PORT"
  FRONTDESK_LOG=${FRONTDESK_LOG:-warn} "$BIN" --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" "$@" >"$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -sf "$BASE/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not answer $BASE/healthz within 10 s:" >&2
  cat "$DATA/server.log" >&2
  return 1
}

_stop_server() {
  [[ -z "${PID:-}" ]] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [[ -z "${DATA:-}" ]] || rm -rf "$DATA"
}
