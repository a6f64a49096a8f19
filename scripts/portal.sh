#!/usr/bin/env bash
# Builds the self-assessment portal into a static folder and serves it on
# 127.0.0.1.
#
#   scripts/portal.sh [--build-only] [--port PORT] [--out DIR]
#
# Installs what is missing first: the wasm32 target and wasm-bindgen-cli at
# the version in Cargo.lock. Builds web/ with the `wasm` profile (opt-level z,
# LTO), then runs wasm-bindgen (no wasm-opt: -Oz makes the module 6 % smaller
# but its gzipped size larger; see docs/PERFORMANCE.md, "Portal size").
# The folder (default dist/) holds index.html, style.css,
# main.js (starts the page; offline.js registers the service worker and
# shows the update notice), worker.js (the worker that checks and
# evaluates), app.js and app_bg.wasm (shared by both), rules/ (the shipped
# rule sets and rules/schemes/, read on demand), sw.js (the service worker
# keeping the site for offline use, stamped with the build's version),
# manifest.webmanifest and icons/ (installing); it can be copied to any
# static web server. index.html carries a Content-Security-Policy; a server
# may send the same policy as a header (the worker, which gets no <meta>,
# then has it too).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

BUILD_ONLY=0
PORT=8080
OUT=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) BUILD_ONLY=1 ;;
    --port) PORT="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "portal.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
  shift
done

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WBG" ]; then
  cargo install wasm-bindgen-cli --version "$WBG" --locked || cargo install wasm-bindgen-cli --version "$WBG"
fi

echo "== building the portal (cargo build -p safegrade-web --profile wasm --target wasm32-unknown-unknown)"
cargo build -p safegrade-web --profile wasm --target wasm32-unknown-unknown
WASM="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm/safegrade-web.wasm"

rm -rf "$OUT"
mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-name app --out-dir "$OUT" "$WASM"
cp web/index.html web/style.css web/main.js web/offline.js web/worker.js web/sw.js web/manifest.webmanifest "$OUT/"
mkdir -p "$OUT/rules/schemes" "$OUT/icons"
cp web/icons/* "$OUT/icons/"
cp rules/*.toml "$OUT/rules/"
cp rules/schemes/*.toml "$OUT/rules/schemes/"
# The build's version: a hash of every file's path and bytes, stamped into
# sw.js (its cache's name) and offline.js; any other build has another one.
VERSION=$(cd "$OUT" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
sed -i "s/__SAFEGRADE_VERSION__/$VERSION/" "$OUT/sw.js" "$OUT/offline.js"
RAW=$(wc -c <"$OUT/app_bg.wasm")
GZ=$(gzip -9 -c "$OUT/app_bg.wasm" | wc -c)
echo "portal $VERSION built in $OUT/: app_bg.wasm $RAW bytes, $GZ bytes gzipped"

[ "$BUILD_ONLY" = 1 ] && exit 0
echo "serving $OUT/ on http://127.0.0.1:$PORT/ (Ctrl-C to stop)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$OUT"
