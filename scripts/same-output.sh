#!/usr/bin/env bash
# Checks that two `safegrade` binaries score alike: `same-output.sh OLD_BIN
# NEW_BIN [FIRMS]` runs `safegrade score` with both on every shipped rule set
# (rules/*.toml) and scheme (rules/schemes/*.toml), over tests/data/sample, a
# generated district (`gen --firms FIRMS --seed 4`, default 20000) and the
# same district's rows shuffled; sorted inputs with and without `--sorted`,
# shuffled ones without; all on 2 threads, the generated district sorted also
# on 1 thread (and held equal to its 2-thread run), and the scheme once as
# JSON lines. Each case compares, byte for byte, the exit code, the
# results, the rejects, the summary (`--summary` JSON and the text on
# stderr), and the manifest; a run that fails must fail alike on both sides.
# It says which cases differ and exits 1 when any does.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 OLD_BIN NEW_BIN [FIRMS]" >&2
  exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
FIRMS=${3:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

SAMPLE=$ROOT/tests/data/sample
GENERATED=$WORK/data/generated
SHUFFLED=$WORK/data/shuffled
cases=0
failing_alike=0
differing=()

# Writes a copy of CSV file $1 to $2 with its header first and its rows in a
# fixed pseudo-random order (sorted by a hash of the line number).
shuffle_rows() {
  awk 'NR == 1 { print "0\t" $0; next } { print 1 + (NR * 1103515245 + 12345) % 2147483648 "\t" $0 }' "$1" |
    LC_ALL=C sort -s -n -k1,1 | cut -f2- >"$2"
}

# Sets `lists` to the `--list` arguments for rule file $1 on data folder $2:
# each list it declares (the list files `template` writes), from the data
# folder, or the template's empty file (its header only) when the data has
# no such list.
set_lists() {
  local template=$WORK/template/$(basename "$1" .toml)
  [[ -d $template ]] || "$OLD" template --lang en --rules "$1" --out "$template/firms.csv" >/dev/null 2>&1 || true
  lists=()
  local f name
  for f in "$template"/firms.*.csv; do
    [[ -e $f ]] || continue
    name=${f##*/firms.}
    name=${name%.csv}
    [[ $name == columns ]] && continue
    if [[ -e $2/$name.csv ]]; then
      lists+=(--list "$name=$2/$name.csv")
    else
      lists+=(--list "$name=$f")
    fi
  done
}

# Runs binary $1 into folder $2 (same depth for both binaries, so the paths
# the manifest gives relative to itself agree) with results file name $3,
# then the arguments of `score` that follow.
run_score() {
  local bin=$1 out=$2 results=$3
  shift 3
  mkdir -p "$out"
  local code=0
  "$bin" score "$@" --out "$out/$results" --rejects "$out/rejects.csv" --summary "$out/summary.json" \
    >"$out/stdout" 2>"$out/stderr.raw" || code=$?
  echo "$code" >"$out/exit"
  # The text summary on stderr names the output folder and the run's speed
  # ("0.14 s, 7236 firms/s, …"): both must differ between runs, so the folder
  # is replaced and the speed line dropped before comparing.
  sed -e "s#$out#OUT#g" -e '/ s, [0-9]* firms\/s/d' "$out/stderr.raw" >"$out/stderr"
  rm "$out/stderr.raw"
}

# Compares the files of two run folders; records case $3 when any differs.
compare_runs() {
  local a=$1 b=$2 name=$3 diffs
  cases=$((cases + 1))
  # The manifest is compared whole: it holds the tool's version, options,
  # rule and input hashes, counts and output hashes, and no times or absolute
  # paths. Two builds of different versions would differ in `tool.version`
  # only; none is excluded here, since both binaries report 0.1.0.
  if ! diffs=$(diff -r "$a" "$b" 2>&1); then
    differing+=("$name")
    echo "DIFFERENT: $name" >&2
    head -20 <<<"$diffs" >&2
  elif [[ $(cat "$a/exit") != [03] ]]; then
    failing_alike=$((failing_alike + 1))
  fi
}

# Scores rule file $1 on data folder $2 with both binaries as case $3 ($4:
# results file name, then further arguments of `score`).
check_case() {
  local rules=$1 data=$2 name=$3 results=$4
  shift 4
  set_lists "$rules" "$data"
  local args=(--rules "$rules" --firms "$data/firms.csv" "${lists[@]}" --as-of 2026-06-30 --carry name,sector,region)
  run_score "$OLD" "$WORK/old/$name" "$results" "${args[@]}" "$@"
  run_score "$NEW" "$WORK/new/$name" "$results" "${args[@]}" "$@"
  compare_runs "$WORK/old/$name" "$WORK/new/$name" "$name"
}

mkdir -p "$GENERATED" "$SHUFFLED" "$WORK/gen-new"
"$OLD" gen --firms "$FIRMS" --seed 4 --out "$GENERATED" >/dev/null 2>&1
"$NEW" gen --firms "$FIRMS" --seed 4 --out "$WORK/gen-new" >/dev/null 2>&1
cases=$((cases + 1))
if ! diff -r "$GENERATED" "$WORK/gen-new" >/dev/null; then
  differing+=("gen --firms $FIRMS --seed 4")
  echo "DIFFERENT: gen --firms $FIRMS --seed 4" >&2
fi
for f in "$GENERATED"/*.csv; do
  shuffle_rows "$f" "$SHUFFLED/${f##*/}"
done

# The shipped rule files, and the batch bench's flat scorecard: the one rule
# set without lists that the generated firm file answers in full (the
# shipped ones without lists read inputs it does not have, so their runs
# stop at the header, alike on both sides).
for rules in "$ROOT"/rules/*.toml "$ROOT"/rules/schemes/*.toml "$ROOT"/cli/benches/data/flat.toml; do
  id=$(basename "$rules" .toml)
  check_case "$rules" "$SAMPLE" "$id/sample/sorted" results.csv --sorted --threads 2
  check_case "$rules" "$SAMPLE" "$id/sample/unsorted" results.csv --threads 2
  check_case "$rules" "$GENERATED" "$id/generated/sorted" results.csv --sorted --threads 2
  check_case "$rules" "$GENERATED" "$id/generated/unsorted" results.csv --threads 2
  check_case "$rules" "$SHUFFLED" "$id/shuffled/unsorted" results.csv --threads 2
  check_case "$rules" "$GENERATED" "$id/generated/sorted-1-thread" results.csv --sorted --threads 1
  # The thread count must not change any output either (nor the manifest,
  # which does not record it).
  compare_runs "$WORK/new/$id/generated/sorted-1-thread" "$WORK/new/$id/generated/sorted" "$id/generated/sorted: 1 thread against 2"
done

check_case "$ROOT/rules/schemes/hazchem.toml" "$GENERATED" "hazchem/generated/jsonl" results.jsonl --sorted --threads 2

if [[ $(cat "$WORK/old/hazchem/sample/sorted/exit") != 0 ]]; then
  echo "same-output: the hazchem scheme did not score tests/data/sample: see its stderr" >&2
  exit 1
fi
if ((${#differing[@]})); then
  echo "same-output: ${#differing[@]} of $cases cases differ:" >&2
  printf '  %s\n' "${differing[@]}" >&2
  exit 1
fi
echo "same-output: all $cases cases identical, $failing_alike of them failing alike ($OLD, $NEW; $FIRMS generated firms)"
