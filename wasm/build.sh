#!/usr/bin/env bash
# Builds the npm package into wasm/pkg: the wasm module (size-optimised
# `wasm` profile), the ES-module glue from wasm-bindgen (--target web: works
# in browsers and bundlers; in Node call initSync with the module's bytes),
# the TypeScript declarations (generated: the parameter types from the
# attributes in src/lib.rs, the JSON shapes from types.d.ts),
# package.json and README.md.
#
#   wasm/build.sh            then   cd wasm/pkg && npm publish
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -p safegrade-wasm --profile wasm --target wasm32-unknown-unknown
rm -rf wasm/pkg
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-name safegrade --out-dir wasm/pkg "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm/safegrade_wasm.wasm"
cp wasm/package.json wasm/README.md wasm/pkg/
echo "npm package in wasm/pkg: $(wc -c <wasm/pkg/safegrade_bg.wasm) bytes of wasm, $(gzip -9 -c wasm/pkg/safegrade_bg.wasm | wc -c) gzipped"
