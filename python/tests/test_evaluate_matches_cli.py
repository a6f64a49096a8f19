"""`Rules.evaluate` gives exactly what `safegrade eval --format json` gives,
result or error, on every embedded test case of the shipped rule sets and
the scheme."""

import pytest

import safegrade
from conftest import cases, loads_exact, to_json_text

_loaded = {}


def rules_of(path):
    if path not in _loaded:
        _loaded[path] = safegrade.load(str(path))
    return _loaded[path]


@pytest.mark.parametrize("path, answers, as_of", cases())
def test_evaluate_equals_cli_eval(path, answers, as_of, cli, tmp_path):
    firm = tmp_path / "firm.json"
    firm.write_text(to_json_text(answers), encoding="utf-8")
    code, out, err = cli("eval", "--rules", path, "--input", firm, "--as-of", as_of, "--format", "json")
    rules = rules_of(path)
    if code == 0:
        assert rules.evaluate(answers, as_of) == loads_exact(out)
        return
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    try:
        rules.evaluate(answers, as_of)
    except safegrade.InputError as e:
        prefix = f"error: {firm}: "
        assert [f"{prefix}{p['path']}: {p['message']}" for p in e.problems] == lines
        assert str(e).splitlines() == [line[len(prefix):] for line in lines]
        for p in e.problems:
            assert p["code"] == p["kind"]["type"] and p["message_zh"]
    except safegrade.EvalError as e:
        assert [f"error: {e}"] == lines
        assert set(e.error) >= {"context", "message", "context_zh", "message_zh", "kind"}
    else:
        pytest.fail(f"the command line failed ({err.strip()}) but evaluate answered")


def test_every_rule_file_has_cases():
    assert len(cases()) > 100
