"""The package's API: loading (from disk, from text, the rules root),
metadata, the check report, the questionnaire, and the errors raised for
rule files that do not check and answers of the wrong kind."""

import datetime
import json
import pathlib
import threading
from decimal import Decimal

import pytest

import safegrade
from conftest import RULE_FILES, RULES, SCHEME, loads_exact, read_toml

DEMO = """
[ruleset]
id = "demo"
name = "示例"
version = "1"

[inputs.violations]
type = "integer"
label = "违法行为次数"
min = 0

[inputs.area]
type = "decimal"
label = "面积"
missing = "not_applicable"

[inputs.since]
type = "date"
label = "投产日期"
missing = "not_applicable"

[[items]]
id = "violations"
label = "违法行为"
points = "-5 * violations"
cap = 20

[score]
base = "100"

[[grades]]
id = "good"
label = "良好"
min = 90

[[grades]]
id = "poor"
label = "较差"
below = 90
"""


@pytest.fixture(scope="module")
def demo():
    return safegrade.loads(DEMO, "demo.toml")


def test_loads_evaluates(demo):
    res = demo.evaluate({"violations": 3}, "2026-11-29")
    assert (res["score"], res["grade"]) == ("85", "poor")
    assert res["ruleset"]["id"] == "demo" and res["ruleset"]["hash"] == demo.hash
    assert (demo.id, demo.version, demo.kind) == ("demo", "1", "ruleset")
    assert len(demo.hash) == 64 and int(demo.hash, 16) >= 0


def test_as_of_date_or_text(demo):
    assert demo.evaluate(answers={"violations": 0}, as_of="2026-01-02")["as_of"] == "2026-01-02"
    assert demo.evaluate({"violations": 0}, datetime.date(2026, 1, 2)) == demo.evaluate({"violations": 0}, "2026-01-02")
    for bad in ["2026-1-2", "26-01-02", "2026-02-30", ""]:
        with pytest.raises(ValueError, match="is not a date YYYY-MM-DD"):
            demo.evaluate({"violations": 0}, bad)
    with pytest.raises(TypeError, match="datetime"):
        demo.evaluate({"violations": 0}, datetime.datetime(2026, 1, 2))
    with pytest.raises(TypeError, match="as_of must be"):
        demo.evaluate({"violations": 0}, 20260102)


def test_exact_values_are_accepted(demo):
    as_text = demo.evaluate({"violations": 1, "area": "12.50", "since": "2020-05-01"}, "2026-01-01")
    exact = demo.evaluate(
        {"violations": 1, "area": Decimal("12.50"), "since": datetime.date(2020, 5, 1)}, "2026-01-01"
    )
    assert exact == as_text
    # Decimal in exponent form is written with its digits.
    assert demo.evaluate({"violations": Decimal("1E+0")}, "2026-01-01")["score"] == "95"
    assert demo.evaluate({"violations": 2, "area": None}, "2026-01-01")["score"] == "90"
    # Any integer with __index__ (numpy's, an IntEnum) is read by its digits.
    import enum

    class Count(enum.IntEnum):
        TWO = 2

    assert demo.evaluate({"violations": Count.TWO}, "2026-01-01")["score"] == "90"
    np = pytest.importorskip("numpy")
    assert demo.evaluate({"violations": np.int64(2)}, "2026-01-01")["score"] == "90"
    with pytest.raises(TypeError, match="floats are not exact"):
        demo.evaluate({"violations": np.float64(2)}, "2026-01-01")


@pytest.mark.parametrize(
    "answers, error, message",
    [
        ({"violations": 1.0}, TypeError, r"answers\[\"violations\"\] is the float 1.0: floats are not exact; pass a str or decimal.Decimal"),
        ({"violations": 1, "area": 2.5}, TypeError, "floats are not exact"),
        ({"violations": object()}, TypeError, r"answers\[\"violations\"\] is of type object"),
        ({"violations": {1, 2}}, TypeError, "is of type set"),
        ({"violations": b"1"}, TypeError, "is of type bytes"),
        ({"x": [{"y": [1, {"z": 0.5}]}]}, TypeError, r"answers\[\"x\"\]\[0\]\[\"y\"\]\[1\]\[\"z\"\] is the float 0.5"),
        ({"x": {1: "a"}}, TypeError, "keys are str"),
        ({"since": datetime.datetime(2020, 1, 1)}, TypeError, "is a datetime"),
        ({"violations": Decimal("NaN")}, ValueError, "not a finite number"),
        ({"violations": Decimal("-Infinity")}, ValueError, "not a finite number"),
    ],
)
def test_bad_values_raise_clear_errors(demo, answers, error, message):
    with pytest.raises(error, match=message):
        demo.evaluate(answers, "2026-01-01")


def test_answers_must_be_a_dict(demo):
    for bad in [[("violations", 1)], "{}", None, 3]:
        with pytest.raises(TypeError, match="answers must be a dict"):
            demo.evaluate(bad, "2026-01-01")


def test_nesting_is_bounded(demo):
    deep = {}
    deep["self"] = deep
    with pytest.raises(ValueError, match="nest more than 128 deep"):
        demo.evaluate({"violations": 0, "x": deep}, "2026-01-01")


def test_input_error_carries_its_problems(demo):
    with pytest.raises(safegrade.InputError) as info:
        demo.evaluate({"violations": -1, "violatons": 2}, "2026-01-01")
    e = info.value
    assert isinstance(e, ValueError)
    codes = {p["path"]: p["code"] for p in e.problems}
    assert codes["violations"] == "below_minimum" or "violations" in codes
    assert "violatons" in codes and codes["violatons"] == "unknown_field"
    for p in e.problems:
        assert set(p) == {"code", "path", "message", "message_zh", "kind"}
        assert p["message"] and p["message_zh"] and p["code"] == p["kind"]["type"]
    assert str(e).splitlines() == [f"{p['path']}: {p['message']}" for p in e.problems]


def test_eval_error():
    rules = safegrade.loads(DEMO.replace('points = "-5 * violations"', 'points = "100 / (violations - 1)"'))
    with pytest.raises(safegrade.EvalError) as info:
        rules.evaluate({"violations": 1}, "2026-01-01")
    assert str(info.value).startswith("evaluation failed: ")
    assert info.value.error["kind"]["type"] == "division_by_zero"
    assert isinstance(info.value, ValueError)


def test_a_file_that_does_not_check(tmp_path, cli):
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO.replace('points = "-5 * violations"', 'points = "-5 * violation"'), encoding="utf-8")
    with pytest.raises(safegrade.RulesError) as info:
        safegrade.load(bad)
    e = info.value
    assert isinstance(e, ValueError)
    errors = [d for d in e.diagnostics if d["severity"] == "error"]
    assert errors and all(set(d) == {"code", "severity", "file", "line", "column", "message", "help"} for d in errors)
    first = errors[0]
    assert first["file"] == str(bad) and first["line"] == DEMO.splitlines().index('points = "-5 * violations"') + 1
    assert f"error[{first['code']}]" in str(e) and f"{bad}:{first['line']}:{first['column']}" in str(e)
    # The same diagnostics as `safegrade check --format json`.
    code, out, _ = cli("check", bad, "--format", "json")
    assert code == 1
    assert json.loads(out)["files"][0]["diagnostics"] == e.diagnostics


def test_loads_reads_no_include():
    with pytest.raises(safegrade.RulesError) as info:
        safegrade.loads('[ruleset]\nid = "x"\nname = "x"\nversion = "1"\ninclude = ["other.toml"]\n', "main.toml")
    assert any("load(path)" in d["message"] or "load(path)" in (d["help"] or "") or "other.toml" in d["message"] for d in info.value.diagnostics)


def test_too_large_text():
    with pytest.raises(ValueError, match="limited to"):
        safegrade.loads(" " * (safegrade.MAX_RULE_FILE_BYTES + 1))


def test_missing_file():
    with pytest.raises(safegrade.RulesError) as info:
        safegrade.load(RULES / "no-such-file.toml")
    assert info.value.diagnostics[0]["severity"] == "error"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_every_shipped_file_loads(path, cli):
    rules = safegrade.load(path)
    meta = read_toml(path)
    head = meta.get("ruleset") or meta.get("scheme")
    assert (rules.id, rules.version) == (head["id"], head["version"])
    code, out, _ = cli("check", path, "--format", "json")
    assert code == 0
    assert json.loads(out)["files"][0]["diagnostics"] == rules.check_report()


@pytest.mark.parametrize("path", sorted(RULES.glob("*.toml")), ids=lambda p: p.stem)
def test_schema_of_a_ruleset(path):
    rules = safegrade.load(path)
    schema = rules.schema()
    assert rules.kind == "ruleset" and schema["kind"] == "ruleset" and set(schema) == {"kind", "schema"}
    q = schema["schema"]
    assert q["ruleset"]["id"] == rules.id
    declared = set(read_toml(path).get("inputs", {}))
    asked = {field["name"] for field in q["inputs"]}
    assert asked <= declared and asked
    grades = [g["id"] for g in read_toml(path)["grades"]]
    assert [g["id"] for g in q["grades"]] == grades


def test_the_scheme_with_its_steps():
    scheme = safegrade.load(str(SCHEME))
    assert scheme.kind == "scheme"
    steps = read_toml(SCHEME)["steps"]
    schema = scheme.schema()
    assert schema["kind"] == "scheme" and set(schema) == {"kind", "steps"}
    assert [s["alias"] for s in schema["steps"]] == [s["as"] for s in steps]
    for step, written in zip(schema["steps"], steps):
        assert step["schema"] == safegrade.load(SCHEME.parent / written["rules"]).schema()["schema"]
    # Its steps are read inside the folder above it, or the rules root given.
    assert safegrade.load(SCHEME, rules_root=RULES).hash == scheme.hash
    assert safegrade.load(pathlib.Path(SCHEME).resolve(), rules_root=str(RULES)).hash == scheme.hash
    with pytest.raises(safegrade.RulesError) as info:
        safegrade.load(SCHEME, rules_root=SCHEME.parent)
    assert "R0008" in {d["code"] for d in info.value.diagnostics}


def test_threads_share_one_rules(demo):
    want = demo.evaluate({"violations": 2}, "2026-01-01")
    got = []
    workers = [threading.Thread(target=lambda: got.append(demo.evaluate({"violations": 2}, "2026-01-01"))) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert got == [want] * 8


def test_results_hold_no_float(demo):
    def walk(v):
        assert not isinstance(v, float)
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(demo.evaluate({"violations": 1, "area": "0.5"}, "2026-01-01"))
    walk(safegrade.load(SCHEME).schema())


def test_repr(demo):
    assert repr(demo).startswith("<safegrade.Rules ruleset demo version 1")
    assert loads_exact("1.5") == Decimal("1.5")


def test_the_module_docstring_example(monkeypatch):
    import doctest

    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert doctest.testmod(safegrade).failed == 0


def test_a_scheme_loaded_from_its_own_folder(monkeypatch):
    # Its steps climb above the working folder (`../…`): read all the same, as `safegrade eval` reads them.
    want = safegrade.load(SCHEME).hash
    monkeypatch.chdir(SCHEME.parent)
    assert safegrade.load("hazchem.toml").hash == want
    assert safegrade.load("hazchem.toml", rules_root="..").hash == want
    with pytest.raises(safegrade.RulesError) as info:
        safegrade.load("hazchem.toml", rules_root=".")
    assert "R0008" in {d["code"] for d in info.value.diagnostics}
