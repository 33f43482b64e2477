#!/usr/bin/env bash
# Browser tests: a real headless Chromium (Debian's package) driven by playwright-core (npm)
# against a real server on a fresh SQLite database: an agent's and a customer's day in three
# languages (workspace.mjs), then the XSS corpus (xss.mjs: 600 payloads, 0 executions).
#
#   tests/browser/run.sh
#
# Builds nothing: the server binary is $FRONTDESK_BIN (default target/debug/frontdesk).
# playwright-core is installed once into $BROWSER_CACHE (default target/browser-cache); Chromium
# is installed from Debian's packages when /usr/bin/chromium is missing (never downloaded by
# Playwright). Screenshots go to $SCREENSHOTS (default target/test-output/screenshots).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/browser"
CACHE="${BROWSER_CACHE:-$ROOT/target/browser-cache}"
PLAYWRIGHT_VERSION=1.64.1
BIN="${FRONTDESK_BIN:-target/debug/frontdesk}"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"
export SCREENSHOTS="${SCREENSHOTS:-$ROOT/target/test-output/screenshots}"

log() { echo "browser: $*" >&2; }

# Debian's Chromium (never a browser downloaded by Playwright), and a CJK font, or Japanese
# text shows as empty boxes in the screenshots.
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
fc-list :lang=ja 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [[ ${#need[@]} -gt 0 ]]; then
  log "installing Debian's ${need[*]}"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q "${need[@]}"
fi
pkg="$CACHE/node_modules/playwright-core/package.json"
if [[ ! -f "$pkg" ]] || [[ "$(node -p "require('$pkg').version")" != "$PLAYWRIGHT_VERSION" ]]; then
  log "installing playwright-core@$PLAYWRIGHT_VERSION into $CACHE"
  mkdir -p "$CACHE"
  [[ -f "$CACHE/package.json" ]] || echo '{"name":"frontdesk-browser-tests","private":true}' >"$CACHE/package.json"
  (cd "$CACHE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
fi

# shellcheck source=../lib/server.sh
source "$ROOT/tests/lib/server.sh"
# The XSS corpus writes about 1,100 times in a few seconds: past the default API rate limit.
start_server browser agent@example.com "Ana Agent" "browser password" --rate-limit 100000
mkdir -p "$SCREENSHOTS"
export BASE EMAIL=agent@example.com PASSWORD="browser password" TOKEN="$TOKEN" \
  NODE_PATH="$CACHE/node_modules"
node "$HERE/workspace.mjs"
# The XSS corpus last, on the same server, so the screenshots above show ordinary data.
node "$HERE/xss.mjs"
