#!/usr/bin/env bash
# The full test suite, as CI runs it: set-up, formatting, lints, native tests,
# the shipped rule sets' own cases, the wasm32 build of the library, the
# Python package, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# One clean build: incremental caches would only cost disk.
export CARGO_INCREMENTAL=0

bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (native)"
cargo test --workspace

step "the plan agrees with a hand-written hazchem scorecard (bench check)"
cargo test -q -p safegrade --bench plan

step "the decision service answers 2,000 evaluations from 8 clients, each the library's result (bench check)"
cargo test -q -p safegrade-cli --bench serve

step "rule sets: safegrade check and safegrade test (and the scale bench's flat scorecard)"
cargo run -q -p safegrade-cli -- check rules/
cargo run -q -p safegrade-cli -- test rules/
cargo run -q -p safegrade-cli -- test cli/benches/data/flat.toml

step "the main job on the bundled sample (scripts/demo.sh)"
bash scripts/demo.sh

step "the library builds for wasm32 without default features"
cargo build -p safegrade --no-default-features --target wasm32-unknown-unknown

step "the Python package: build the wheel and run pytest"
bash scripts/python.sh --test

if [ -f scripts/test-browser.sh ]; then
  step "browser tests"
  bash scripts/test-browser.sh
fi
printf '\nall tests passed\n'
