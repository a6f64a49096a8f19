#!/usr/bin/env bash
# Builds the Python package `safegrade` (python/) into one abi3 wheel for
# CPython 3.10 and later and installs it into .venv-python/, skipping what is
# already there; prints the wheel's path.
#
#   bash scripts/python.sh          release wheel into $CARGO_TARGET_DIR/wheels (default target/wheels)
#   bash scripts/python.sh --test   a quicker wheel (profile `wheel-test`) into .../wheels-test,
#                                   then pytest on python/tests (with pyarrow, polars, pandas, duckdb,
#                                   PySpark with Debian's Java 17 for safegrade.spark, DataFusion 55)
#
# PYTHON names the interpreter to make the venv with (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

MATURIN_VERSION=1.16.0
# The newest PySpark the tests of safegrade.spark pass with (Spark 4 runs on Java 17 or later).
PYSPARK_VERSION=4.3.0
# The DataFusion the package's function is built against (datafusion-ffi 55).
DATAFUSION_VERSION=55.0.0
TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) TEST=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "python.sh: unknown option $arg (--test)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
# Installs Debian packages, through sudo unless root.
apt_install() {
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$@"
}

PY=${PYTHON:-python3}
VENV=.venv-python
TARGET=${CARGO_TARGET_DIR:-target}

step "Python ≥ 3.10 with venv"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "python.sh: $PY is $("$PY" --version 2>&1); the package needs CPython 3.10 or later" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ] && ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian splits venv (with ensurepip) out of python3.
  apt_install python3-venv
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY=$VENV/bin/python

step "maturin $MATURIN_VERSION"
if [ "$("$VENV/bin/maturin" --version 2>/dev/null)" != "maturin $MATURIN_VERSION" ]; then
  "$VPY" -m pip install -q --disable-pip-version-check "maturin==$MATURIN_VERSION"
fi

if [ "$TEST" = 1 ]; then
  step "pytest, pyarrow, polars, pandas, duckdb"
  # tomli reads the rule files' cases where tomllib is missing (Python 3.10).
  "$VPY" -c 'import sys, pytest, pyarrow, polars, pandas, duckdb; sys.version_info >= (3, 11) or __import__("tomli")' 2>/dev/null \
    || "$VPY" -m pip install -q --disable-pip-version-check pytest pyarrow polars pandas duckdb 'tomli; python_version < "3.11"'
  step "PySpark $PYSPARK_VERSION and Java"
  "$VPY" -c "import sys, pyspark; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null \
    || "$VPY" -m pip install -q --disable-pip-version-check "pyspark==$PYSPARK_VERSION"
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  step "DataFusion $DATAFUSION_VERSION"
  "$VPY" -c "import sys, importlib.metadata as m; sys.exit(m.version('datafusion') != '$DATAFUSION_VERSION')" 2>/dev/null \
    || "$VPY" -m pip install -q --disable-pip-version-check "datafusion==$DATAFUSION_VERSION"
  # The release profile's fat LTO takes minutes on two cores; the tests need no more than `wheel-test`.
  PROFILE=(--profile wheel-test)
  OUT=$TARGET/wheels-test
else
  PROFILE=(--release)
  OUT=$TARGET/wheels
fi

step "the wheel (maturin build ${PROFILE[*]})"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
"$VENV/bin/maturin" build "${PROFILE[@]}" -m python/Cargo.toml -i "$VPY" --out "$OUT" 2>&1 | tee "$LOG"
WHEEL=$(sed -n 's/.*Built wheel.* to \(.*\.whl\).*/\1/p' "$LOG" | tail -1)
[ -f "$WHEEL" ] || { echo "python.sh: maturin named no wheel" >&2; exit 1; }

step "install into $VENV"
"$VPY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

if [ "$TEST" = 1 ]; then
  step "pytest python/tests"
  # The tests hold `evaluate` equal to the command line's `eval`.
  cargo build -q -p safegrade-cli --bin safegrade
  SAFEGRADE_BIN=$(realpath "$TARGET/debug/safegrade") "$VPY" -m pytest -q python/tests
fi

printf '\nwheel: %s\n' "$(realpath "$WHEEL")"
