#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine, skipping what is
# already there: the wasm32 target, wasm-bindgen-cli at the version in
# Cargo.lock, Chromium and ChromeDriver (for the browser tests), and the
# end-to-end test's npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "wasm32 target"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "wasm-bindgen-cli (version from Cargo.lock)"
WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WBG" ]; then
  cargo install wasm-bindgen-cli --version "$WBG" --locked || cargo install wasm-bindgen-cli --version "$WBG"
fi

step "Chromium and ChromeDriver"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium chromium-driver
fi

if [ -f e2e/package-lock.json ]; then
  step "end-to-end test packages (npm ci)"
  (cd e2e && { [ -d node_modules ] || npm ci --no-audit --no-fund; })
fi
