#!/usr/bin/env bash
# The README's main job on the bundled sample data: score 1,000 synthetic
# firms of one district (tests/data/sample, made by `safegrade gen --firms
# 1000 --seed 2026`) through the hazchem scheme, and write the results, the
# rejects and the HTML report into out/.
#
# Exit code: that of `safegrade score` (0 all scored, 3 some rows rejected,
# 2 fatal). Extra arguments are passed on (e.g. --explain, --out out/results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cargo build -q --release -p safegrade-cli
mkdir -p out
exec "${CARGO_TARGET_DIR:-target}/release/safegrade" score \
  --rules rules/schemes/hazchem.toml \
  --firms tests/data/sample/firms.csv \
  --list accidents=tests/data/sample/accidents.csv \
  --list penalties=tests/data/sample/penalties.csv \
  --list hidden_dangers=tests/data/sample/hidden_dangers.csv \
  --as-of 2026-06-30 \
  --carry name,sector,region \
  --out out/results.csv \
  --rejects out/rejects.csv \
  --report out/report.html \
  "$@"
