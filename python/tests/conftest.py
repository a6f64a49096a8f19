"""Shared fixtures: the repository, the shipped rule files, and the
`safegrade` command line the package is held equal to."""

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
SCHEME = RULES / "schemes" / "hazchem.toml"
RULE_FILES = sorted(RULES.glob("*.toml")) + [SCHEME]


def read_toml(path):
    """A rule file as TOML data, its floats exact (decimal.Decimal)."""
    with open(path, "rb") as f:
        return tomllib.load(f, parse_float=Decimal)


def cases():
    """Every embedded `[[tests]]` case of the shipped rule files and the scheme."""
    out = []
    for path in RULE_FILES:
        for i, case in enumerate(read_toml(path).get("tests", [])):
            as_of = case.get("as_of", "2026-01-01")
            out.append(pytest.param(path, case["input"], str(as_of), id=f"{path.stem}[{i}]"))
    return out


def _binary():
    given = os.environ.get("SAFEGRADE_BIN")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    built = target / "debug" / "safegrade"
    if not built.exists():
        cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
        subprocess.run([cargo, "build", "-q", "-p", "safegrade-cli", "--bin", "safegrade"], cwd=ROOT, check=True)
    return built


@pytest.fixture(scope="session")
def cli():
    """Runs `safegrade ARGS…` from the repository: (exit code, stdout, stderr)."""
    binary = _binary()

    def run(*args):
        done = subprocess.run([str(binary), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr

    return run


def to_json_text(value):
    """Answers as JSON text, numbers exact: what a firm's data file holds."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def loads_exact(text):
    """JSON text as the package answers it: fractions as decimal.Decimal."""
    return json.loads(text, parse_float=Decimal)
