#!/usr/bin/env bash
# Writes the bundled sample (tests/data/sample, UTF-8) in the other formats
# safegrade reads: tests/data/sample/gbk/*.csv, the same files in GB18030
# (GBK), as Excel saves "CSV (逗号分隔)" on a Chinese Windows machine.
# cli/tests/encoding.rs checks that they match the UTF-8 files.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p tests/data/sample/gbk
for f in firms accidents penalties hidden_dangers; do
  iconv -f UTF-8 -t GB18030 "tests/data/sample/$f.csv" > "tests/data/sample/gbk/$f.csv"
done
# tests/data/sample/xlsx/sample.xlsx: the four files as the sheets of one
# workbook, cells typed as Excel types them in (numbers as numbers, dates as
# dates); `--firms tests/data/sample/xlsx/sample.xlsx#firms` gives the same
# results as the CSV files.
mkdir -p tests/data/sample/xlsx
cargo run -q -p safegrade-cli --example csv-to-xlsx -- tests/data/sample/xlsx/sample.xlsx \
  firms=tests/data/sample/firms.csv accidents=tests/data/sample/accidents.csv \
  penalties=tests/data/sample/penalties.csv hidden_dangers=tests/data/sample/hidden_dangers.csv
