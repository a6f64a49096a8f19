#!/usr/bin/env bash
# The browser tests (scripts/test.sh runs this after the native suite):
#   0. the portal's logic natively (the web crate is not a default member);
#   1. the JS API's wasm-bindgen tests in headless Chromium, against a golden
#      produced natively (tests/data/browser/), so both targets must agree;
#   2. the npm package (wasm/build.sh) loaded in Node, against the same golden;
#   3. the portal built with scripts/portal.sh, served on 127.0.0.1 on a free
#      port, driven end to end with playwright-core (e2e/portal.test.mjs)
#      and compared with `safegrade eval` run natively on the same answers;
#   4. the hazchem scheme answered through the portal, each step compared
#      with `safegrade eval --rules rules/schemes/hazchem.toml`
#      (e2e/scheme.test.mjs);
#   5. the same portal against hostile and oversized input
#      (e2e/robust.test.mjs): rule text reaching the network, files that
#      never finish checking or evaluating, huge answer files, storage past
#      its quota, answers for another rule set;
#   6. the portal offline and across an update (e2e/offline.test.mjs): it
#      serves dist/ on a port of its own, then a second build on the same
#      port (an update is a new build at the same origin);
#   7. the portal's accessibility (e2e/a11y.test.mjs): axe-core scans
#      in both languages, labels, errors tied to inputs, the result
#      announced, and a pass with the keyboard alone.
# Screenshots and measured figures go to e2e/out/ (metrics.json, a11y.json).
# Needs what scripts/setup.sh installs (Chromium, ChromeDriver,
# wasm-bindgen-cli, e2e/node_modules); installs the last two itself if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }

AS_OF=2026-11-29
mkdir -p e2e/out

step "portal logic, natively (cargo test -p safegrade-web)"
cargo test -p safegrade-web

step "JS API: wasm-bindgen tests in headless Chromium"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}" \
  cargo test -p safegrade-wasm --target wasm32-unknown-unknown

step "npm package: build wasm/pkg and load it in Node"
bash wasm/build.sh
node e2e/pkg.test.mjs wasm/pkg tests/data/browser/hazchem-firm.expected.json

step "portal: build"
bash scripts/portal.sh --build-only --out dist

if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/axe-core ]; then
  step "end-to-end test packages (npm ci)"
  (cd e2e && npm ci --no-audit --no-fund)
fi

step "portal: expected result, evaluated natively"
cargo run -q -p safegrade-cli -- eval --rules rules/hazchem-risk-2018.toml \
  --input e2e/fixtures/firm.json --as-of "$AS_OF" >e2e/out/expected.json

step "portal: end-to-end in headless Chromium"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist >e2e/out/server.log 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break
  sleep 0.1
done
node e2e/portal.test.mjs "http://127.0.0.1:$PORT/" e2e/out/expected.json dist

step "portal: what is shown (rule sets alone, assumed answers), against safegrade eval"
node e2e/presentation.test.mjs "http://127.0.0.1:$PORT/" "${CARGO_TARGET_DIR:-target}/debug/safegrade"

step "portal: the hazchem scheme step by step, against safegrade eval"
node e2e/scheme.test.mjs "http://127.0.0.1:$PORT/" "${CARGO_TARGET_DIR:-target}/debug/safegrade"

step "portal: hostile and oversized input in headless Chromium"
node e2e/robust.test.mjs "http://127.0.0.1:$PORT/"

step "portal: offline and updated (service worker) in headless Chromium"
node e2e/offline.test.mjs dist e2e/out/expected.json

step "portal: accessibility (axe-core scans, labels, announcements, keyboard only)"
node e2e/a11y.test.mjs "http://127.0.0.1:$PORT/"
