#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each); not part of
# every CI run. Needs the nightly toolchain and cargo-fuzz (installed here if
# missing). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rules expr input_json csv_rows differential)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.1 --locked
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  cp -n fuzz/seeds/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true
  echo "== fuzzing $t for ${secs}s"
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 2>&1 | tail -n 4)
done
