"""`Rules.score`: a whole table scored through Arrow gives what `safegrade
score` gives for the same data as CSV (results cell for cell, rejects, the
accounting), from pyarrow, Polars and pandas tables, keyed or nested."""

import json
from decimal import Decimal

import pytest

pa = pytest.importorskip("pyarrow")
pc = pytest.importorskip("pyarrow.csv")

import safegrade
from conftest import ROOT, SCHEME

SAMPLE = ROOT / "tests" / "data" / "sample"
LISTS = ["accidents", "penalties", "hidden_dangers"]
AS_OF = "2026-06-30"
CARRY = ["name", "sector", "region"]


def strings(path):
    """A CSV file as a pyarrow Table of text columns, empty cells empty (as the CSV path reads them)."""
    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")
    types = {n: pa.string() for n in names}
    return pc.read_csv(path, convert_options=pc.ConvertOptions(column_types=types, strings_can_be_null=False))


def cells(table):
    """A table's rows as lists of text, a null as an empty cell."""
    return [["" if v is None else v for v in row.values()] for row in table.to_pylist()]


def cli_score(cli, tmp_path, firms, lists, *flags):
    out, rejects, summary = tmp_path / "results.csv", tmp_path / "rejects.csv", tmp_path / "summary.json"
    args = ["score", "--rules", SCHEME, "--firms", firms, "--as-of", AS_OF]
    for name, path in lists.items():
        args += ["--list", f"{name}={path}"]
    code, _, err = cli(*args, "--out", out, "--rejects", rejects, "--summary", summary, *flags)
    assert code in (0, 3), err
    return strings(out), strings(rejects), json.loads(summary.read_text(encoding="utf-8"))


def counts(summary):
    """The accounting, without what names the files and their encodings."""
    out = json.loads(json.dumps(summary, default=str))
    for entry in [out["firms"], *out["lists"]]:
        entry.pop("file", None)
        entry.pop("encoding", None)
    return out


@pytest.fixture(scope="module")
def scheme():
    return safegrade.load(SCHEME)


@pytest.fixture(scope="module")
def sample_cli(cli, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample")
    lists = {name: SAMPLE / f"{name}.csv" for name in LISTS}
    return cli_score(cli, tmp, SAMPLE / "firms.csv", lists, "--carry", ",".join(CARRY), "--explain")


def test_the_sample_scores_as_the_command_line_does(scheme, sample_cli):
    results, rejects, summary = sample_cli
    firms = strings(SAMPLE / "firms.csv")
    lists = {name: strings(SAMPLE / f"{name}.csv") for name in LISTS}
    scored = scheme.score(firms, lists, as_of=AS_OF, carry=CARRY, explain=True, by=["sector", "region"])
    assert isinstance(scored, safegrade.Scored)
    assert isinstance(scored.results, pa.Table) and isinstance(scored.rejects, pa.Table)
    assert scored.results.column_names == results.column_names
    assert cells(scored.results) == cells(results)
    assert scored.rejects.num_rows == rejects.num_rows == 0
    assert counts(scored.summary) == counts(summary)
    assert repr(scored) == "<safegrade.Scored 1000 results, 0 rejects>"


def test_sorted_and_one_thread_give_the_same(scheme, sample_cli):
    firms = strings(SAMPLE / "firms.csv")
    lists = {name: strings(SAMPLE / f"{name}.csv") for name in LISTS}
    sort = lambda t: t.sort_by("uscc")  # noqa: E731
    scored = scheme.score(firms, lists, as_of=AS_OF, carry=CARRY, explain=True, threads=1)
    assert cells(scored.results) == cells(sample_cli[0])
    by_key = scheme.score(
        sort(firms), {k: sort(v) for k, v in lists.items()}, as_of=AS_OF, carry=CARRY, explain=True, sorted=True
    )
    want = sorted(cells(sample_cli[0]))
    assert sorted(cells(by_key.results)) == want


def test_polars_and_pandas_tables(scheme, sample_cli):
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    want = cells(sample_cli[0])
    as_text = {"infer_schema": False}
    firms = pl.read_csv(SAMPLE / "firms.csv", **as_text)
    lists = {name: pl.read_csv(SAMPLE / f"{name}.csv", **as_text) for name in LISTS}
    # Polars leaves an empty cell null: a missing answer, as an empty CSV cell is.
    scored = scheme.score(firms, lists, as_of=AS_OF, carry=CARRY, explain=True)
    assert cells(scored.results) == want
    frames = {name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False) for name in LISTS}
    firms = pd.read_csv(SAMPLE / "firms.csv", dtype=str, keep_default_na=False)
    firms.index = firms.index + 1000  # an index is not a column
    scored = scheme.score(firms, frames, as_of=AS_OF, carry=CARRY, explain=True)
    assert cells(scored.results) == want


def test_duckdb_results(scheme, sample_cli):
    duckdb = pytest.importorskip("duckdb")

    def query(name):
        # A connection streams one result at a time, and a run reads its tables side by side.
        sql = f"select * from read_csv('{SAMPLE / (name + '.csv')}', all_varchar = true)"
        return duckdb.connect().sql(sql)

    scored = scheme.score(query("firms"), {n: query(n) for n in LISTS}, as_of=AS_OF, carry=CARRY, explain=True)
    assert cells(scored.results) == cells(sample_cli[0])


def test_typed_columns(scheme, sample_cli):
    pl = pytest.importorskip("polars")
    firms = pl.read_csv(SAMPLE / "firms.csv")
    lists = {name: pl.read_csv(SAMPLE / f"{name}.csv") for name in LISTS}
    assert pl.Int64 in firms.schema.values()
    floats = [name for name, t in firms.schema.items() if t == pl.Float64]
    if floats:
        with pytest.raises(safegrade.ScoreError, match="floats"):
            scheme.score(firms, lists, as_of=AS_OF, carry=CARRY, explain=True)
    scored = scheme.score(firms, lists, as_of=AS_OF, carry=CARRY, explain=True, floats=True)
    assert cells(scored.results) == cells(sample_cli[0])


def test_lists_nested_in_the_firm_table(scheme, sample_cli):
    firms = strings(SAMPLE / "firms.csv")
    nested = firms
    for name in LISTS:
        records = strings(SAMPLE / f"{name}.csv")
        by_key = {}
        for row in records.to_pylist():
            key = row.pop("uscc")
            by_key.setdefault(key, []).append(row)
        fields = [f for f in records.schema if f.name != "uscc"]
        column = pa.array([by_key.get(k, []) for k in firms["uscc"].to_pylist()], pa.list_(pa.struct(fields)))
        nested = nested.append_column(name, column)
    scored = scheme.score(nested, as_of=AS_OF, carry=CARRY, explain=True)
    assert cells(scored.results) == cells(sample_cli[0])


def test_adversarial_rows_are_rejected_as_the_command_line_rejects_them(scheme, cli, tmp_path):
    lines = (SAMPLE / "firms.csv").read_text(encoding="utf-8").splitlines()[:41]
    lines.append(lines[3])  # a repeated key
    lines.append("91320506XXXXXXXXXX" + lines[4][18:])  # a key that is no 统一社会信用代码
    lines[5] = lines[5].replace(",0,0,0,", ",0,many,0,", 1)  # a count that is no number
    firms = tmp_path / "firms.csv"
    firms.write_text("\n".join(lines) + "\n", encoding="utf-8")
    accidents = (SAMPLE / "accidents.csv").read_text(encoding="utf-8").splitlines()[:30]
    accidents.append("91320506012F4QKJ9X,x-1,2025-01-01,0,0,1,否,否,,是")  # no such firm
    paths = {"accidents": tmp_path / "accidents.csv"}
    paths["accidents"].write_text("\n".join(accidents) + "\n", encoding="utf-8")
    results, rejects, summary = cli_score(cli, tmp_path, firms, paths)
    scored = scheme.score(strings(firms), {"accidents": strings(paths["accidents"])}, as_of=AS_OF)
    assert cells(scored.results) == cells(results)
    assert scored.rejects.column_names == rejects.column_names
    names = {str(firms): "firms", str(paths["accidents"]): "accidents"}
    want = [[names[r[0]], *r[1:]] for r in cells(rejects)]
    got = [[str(v) for v in r] for r in cells(scored.rejects)]
    assert got == want
    reasons = set(scored.rejects["reason_code"].to_pylist())
    assert {"duplicate_key", "bad_key", "bad_value", "no_firm"} <= reasons
    assert counts(scored.summary) == counts(summary)


def test_a_run_that_cannot_go_on(scheme):
    firms = strings(SAMPLE / "firms.csv").slice(0, 5)
    with pytest.raises(safegrade.ScoreError) as info:
        scheme.score(firms.drop_columns(["uscc"]), as_of=AS_OF)
    assert info.value.code == "no_key_column" and info.value.file == "firms"
    assert isinstance(info.value, ValueError)
    with pytest.raises(safegrade.ScoreError) as info:
        scheme.score(firms, as_of=AS_OF, strict=True)
    assert info.value.code == "unknown_column"
    with pytest.raises(safegrade.ScoreError) as info:
        scheme.score(firms, {"nonsense": firms}, as_of=AS_OF)
    assert info.value.code == "unknown_list"
    risky = firms.rename_columns(["n_explosive" if n == "n_explosives" else n for n in firms.column_names])
    with pytest.raises(safegrade.ScoreError) as info:
        scheme.score(risky, as_of=AS_OF)
    assert info.value.code == "likely_typo" and "n_explosives" in str(info.value)


def test_tables_of_another_kind_are_refused(scheme):
    with pytest.raises(TypeError, match="firms must be a table"):
        scheme.score([{"uscc": "x"}], as_of=AS_OF)
    with pytest.raises(TypeError, match=r"lists\[\"accidents\"\] must be a table"):
        scheme.score(strings(SAMPLE / "firms.csv"), {"accidents": "accidents.csv"}, as_of=AS_OF)
    with pytest.raises(TypeError):
        scheme.score(strings(SAMPLE / "firms.csv"))  # as_of is required
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        scheme.score(strings(SAMPLE / "firms.csv"), as_of="30/06/2026")


def test_a_decimal_column(tmp_path):
    rules = safegrade.load(ROOT / "rules" / "lec.toml")
    table = pa.table(
        {
            "uscc": ["91110108MA00000070", "91310115MA0000007H"],
            "l": pa.array([Decimal("3"), Decimal("0.5")], pa.decimal128(5, 2)),
            "e": pa.array([Decimal("0.5"), Decimal("1")], pa.decimal128(5, 2)),
            "c": pa.array([100, 40], pa.int64()),
        }
    )
    scored = rules.score(table, as_of=AS_OF)
    one = rules.evaluate({"l": Decimal("3"), "e": Decimal("0.5"), "c": 100}, AS_OF)
    row = scored.results.to_pylist()[0]
    assert row["score"] == one["score"] and row["grade"] == one["grade"]


def test_the_gil_is_released_while_scoring(scheme):
    import threading
    import time

    firms = strings(SAMPLE / "firms.csv")
    lists = {name: strings(SAMPLE / f"{name}.csv") for name in LISTS}
    took = []

    def run():
        start = time.perf_counter()
        scheme.score(firms, lists, as_of=AS_OF, threads=1)
        took.append(time.perf_counter() - start)

    worker = threading.Thread(target=run)
    ticks = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    gap = max(b - a for a, b in zip(ticks, ticks[1:]))
    # Held, the GIL would stop this loop for the whole run.
    assert gap < took[0] / 2, (gap, took)
