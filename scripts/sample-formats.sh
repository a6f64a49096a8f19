#!/usr/bin/env bash
# Writes the bundled sample (tests/data/sample, UTF-8) in the other formats
# safegrade reads: tests/data/sample/gbk/*.csv, the same files in GB18030
# (GBK), as Excel saves "CSV (逗号分隔)" on a Chinese Windows machine.
# core/tests/encoding.rs checks that they match the UTF-8 files.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p tests/data/sample/gbk
for f in firms accidents penalties hidden_dangers; do
  iconv -f UTF-8 -t GB18030 "tests/data/sample/$f.csv" > "tests/data/sample/gbk/$f.csv"
done
