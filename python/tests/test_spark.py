"""`safegrade.spark` in Spark's local mode: the sample district scored from
Spark DataFrames, lists nested or keyed, gives what `safegrade score` gives
for the same CSV files (results cell for cell, rejects but their line
numbers), however the frames are partitioned; the rules reach the tasks as
text; bad input is refused on the driver."""

import os
import re
import shutil
import sys

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("pyspark", reason="PySpark is not installed (scripts/python.sh --test installs it)")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java for Spark (scripts/python.sh --test installs it)", allow_module_level=True)

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import safegrade
from conftest import ROOT, SCHEME
from safegrade import spark as sgs
from test_score import AS_OF, CARRY, LISTS, SAMPLE, cells, cli_score, strings

# PySpark warns of pandas 3 on every Arrow function; these functions read no pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    """One local Spark of two cores for the module, its workers this interpreter."""
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    local = (
        SparkSession.builder.master("local[2]")
        .appName("safegrade-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    local.sparkContext.setLogLevel("ERROR")
    yield local
    local.stop()
    if before is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = before


@pytest.fixture(scope="module")
def sample_cli(cli, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample")
    lists = {name: SAMPLE / f"{name}.csv" for name in LISTS}
    return cli_score(cli, tmp, SAMPLE / "firms.csv", lists, "--carry", ",".join(CARRY), "--explain")


@pytest.fixture(scope="module")
def frames(spark):
    """The sample district as Spark frames of text columns: firms and list name → records."""
    firms = spark.createDataFrame(strings(SAMPLE / "firms.csv"))
    return firms, {name: spark.createDataFrame(strings(SAMPLE / f"{name}.csv")) for name in LISTS}


def nest(firms, lists, key="uscc"):
    """The firm frame with each list as an array of its records, built in Spark."""
    for name, records in lists.items():
        fields = [c for c in records.columns if c != key]
        grouped = records.groupBy(key).agg(F.collect_list(F.struct(*fields)).alias(name))
        firms = firms.join(grouped, key, "left")
    return firms


def collect(scored):
    """The results and rejects of a Spark run as sorted rows of text, scored once."""
    scored.frame.cache()
    try:
        results = scored.results.toArrow()
        rejects = scored.rejects.toArrow()
    finally:
        scored.frame.unpersist()
    return results, sorted(cells(results)), sorted(cells(rejects))


def rejected(rows):
    """Rejects as sorted (file, column, key, reason, reason_code), a line a reason names left out.

    A repeated key's reason names the line of the key's first row: in Spark,
    its place in the task's rows, not in the file."""
    return sorted((*r[:3], re.sub(r"on line \d+", "on line …", r[3]), r[4]) for r in rows)


def test_nested_lists_score_as_the_command_line_does(frames, sample_cli):
    results, rejects, _ = sample_cli
    firms, lists = frames
    scored = sgs.score_nested(nest(firms, lists), SCHEME, as_of=AS_OF, carry=CARRY, explain=True)
    assert isinstance(scored, sgs.Scored)
    got, rows, rejected_rows = collect(scored)
    assert got.column_names == results.column_names
    assert all(pa.types.is_string(t) for t in got.schema.types)
    assert rows == sorted(cells(results))
    assert len(rows) == 1000 and rejected_rows == [] and rejects.num_rows == 0


def test_keyed_lists_score_as_the_command_line_does(frames, sample_cli):
    results, _, _ = sample_cli
    firms, lists = frames
    scored = sgs.score_keyed(firms, lists, SCHEME, as_of=AS_OF, carry=CARRY, explain=True)
    got, rows, rejected_rows = collect(scored)
    assert got.column_names == results.column_names
    assert rows == sorted(cells(results))
    assert rejected_rows == []


def test_the_files_read_by_spark_score_alike(spark, sample_cli):
    # docs/SPARK.md's recipe: Spark's CSV reader gives text columns, an empty cell null (a missing answer).
    read = spark.read.option("header", True)
    firms = read.csv(str(SAMPLE / "firms.csv"))
    lists = {name: read.csv(str(SAMPLE / f"{name}.csv")) for name in LISTS}
    assert lists["penalties"].where(F.col("listing_date").isNull()).count() > 0
    settings = {"as_of": AS_OF, "carry": CARRY, "explain": True}
    want = sorted(cells(sample_cli[0]))
    assert collect(sgs.score_nested(nest(firms, lists), SCHEME, **settings))[1:] == (want, [])
    assert collect(sgs.score_keyed(firms, lists, SCHEME, **settings))[1:] == (want, [])


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_both_shapes_agree_however_partitioned(frames, sample_cli, parts):
    firms, lists = frames
    firms = firms.repartition(parts)
    lists = {name: records.repartition(parts) for name, records in lists.items()}
    nested = nest(firms, lists).repartition(parts)
    settings = {"as_of": AS_OF, "carry": CARRY, "explain": True}
    _, by_batch, none = collect(sgs.score_nested(nested, SCHEME, **settings))
    _, by_group, none_either = collect(sgs.score_keyed(firms, lists, SCHEME, groups=parts * 3, **settings))
    assert by_batch == by_group == sorted(cells(sample_cli[0]))
    assert none == none_either == []


@pytest.fixture(scope="module")
def adversarial(cli, tmp_path_factory):
    """40 firms with a repeated key, a bad key and a bad count, 30 accidents and one of no firm; the CLI's run."""
    tmp = tmp_path_factory.mktemp("adversarial")
    lines = (SAMPLE / "firms.csv").read_text(encoding="utf-8").splitlines()[:41]
    lines.append(lines[3])  # a repeated key
    lines.append("91320506XXXXXXXXXX" + lines[4][18:])  # a key that is no 统一社会信用代码
    lines[5] = lines[5].replace(",0,0,0,", ",0,many,0,", 1)  # a count that is no number
    firms = tmp / "firms.csv"
    firms.write_text("\n".join(lines) + "\n", encoding="utf-8")
    accidents = (SAMPLE / "accidents.csv").read_text(encoding="utf-8").splitlines()[:30]
    accidents.append("91320506012F4QKJ9X,x-1,2025-01-01,0,0,1,否,否,,是")  # no such firm
    paths = {"accidents": tmp / "accidents.csv"}
    paths["accidents"].write_text("\n".join(accidents) + "\n", encoding="utf-8")
    results, rejects, _ = cli_score(cli, tmp, firms, paths)
    names = {str(firms): "firms", str(paths["accidents"]): "accidents"}
    rows = rejects.select(["file", "column", "key", "reason", "reason_code"]).to_pylist()
    return firms, paths, results, rejected([names[r["file"]], *list(r.values())[1:]] for r in rows)


def test_rejects_are_the_command_lines_but_their_line_numbers(spark, adversarial):
    firms_csv, paths, results, want = adversarial
    assert {r[4] for r in want} == {"duplicate_key", "bad_key", "bad_value", "no_firm"}
    assert {r[4] for r in want if r[0] == "firms"} == {"duplicate_key", "bad_key", "bad_value"}
    firms = spark.createDataFrame(strings(firms_csv)).repartition(3)
    lists = {"accidents": spark.createDataFrame(strings(paths["accidents"])).repartition(2)}

    # Keyed: a key's firm rows and records meet in one group, so every reject is found,
    # in groups of one firm or two as in groups of many.
    for groups in (64, 3):
        keyed = sgs.score_keyed(firms, lists, SCHEME, as_of=AS_OF, groups=groups)
        got, rows, rejects = collect(keyed)
        assert got.column_names == results.column_names
        assert rows == sorted(cells(results))
        assert rejected(rejects) == want
    assert keyed.rejects.columns == ["file", "column", "key", "reason", "reason_code"]

    # Nested, in one partition: the repeated key is seen; the records of no firm are dropped by the join.
    nested = sgs.score_nested(nest(firms, lists).repartition(1), SCHEME, as_of=AS_OF)
    _, rows, rejects = collect(nested)
    assert rows == sorted(cells(results))
    assert rejected(rejects) == [r for r in want if r[0] == "firms"]


def test_a_key_repeated_in_two_batches_is_scored_twice(spark):
    table = strings(SAMPLE / "firms.csv").slice(0, 3)
    halves = spark.createDataFrame(table).union(spark.createDataFrame(table.slice(0, 1)))
    assert halves.rdd.getNumPartitions() >= 2
    _, rows, rejects = collect(sgs.score_nested(halves, SCHEME, as_of=AS_OF))
    keys = [r[0] for r in rows]
    assert sorted(keys) == sorted(table["uscc"].to_pylist() + table["uscc"].to_pylist()[:1])
    assert rejects == []


def test_the_rules_travel_as_text(spark, frames, tmp_path, sample_cli):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    (root / "notes").mkdir()
    (root / "notes" / "old.toml").write_bytes(b"\xff not UTF-8, no rule file")
    scheme = root / "schemes" / "hazchem.toml"
    # Text of its own, so no worker has these rules loaded from an earlier test.
    scheme.write_text(scheme.read_text(encoding="utf-8") + "# a copy\n", encoding="utf-8")
    assert safegrade.load(scheme).hash != safegrade.load(SCHEME).hash
    firms, lists = frames
    scored = sgs.score_keyed(firms.limit(50), lists, scheme, as_of=AS_OF, carry=CARRY, explain=True)
    shutil.rmtree(root)  # the tasks read no file: the texts came with them
    _, rows, _ = collect(scored)
    want = {r[0]: r for r in cells(sample_cli[0])}
    assert len(rows) == 50
    assert rows == sorted(want[r[0]] for r in rows)


def test_an_include_of_another_name_is_refused_on_the_driver(frames, tmp_path):
    (tmp_path / "shared.rules").write_text((ROOT / "rules" / "accident-severity.toml").read_text(encoding="utf-8"))
    text = (ROOT / "rules" / "hazchem-risk-2018.toml").read_text(encoding="utf-8")
    assert 'include = ["accident-severity.toml"]' in text
    (tmp_path / "risk.toml").write_text(text.replace('"accident-severity.toml"', '"shared.rules"'), encoding="utf-8")
    assert safegrade.load(tmp_path / "risk.toml").kind == "ruleset"
    with pytest.raises(ValueError, match=r"does not load from a copy of the rule files \(\*\.toml\)"):
        sgs.score_nested(frames[0], tmp_path / "risk.toml", as_of=AS_OF)


def test_a_rule_file_that_does_not_check_raises_on_the_driver(frames, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[ruleset]\nid = "broken"\nversion = \n', encoding="utf-8")
    firms, lists = frames
    with pytest.raises(safegrade.RulesError) as info:
        sgs.score_nested(firms, broken, as_of=AS_OF)
    assert info.value.diagnostics and "broken.toml" in str(info.value)
    with pytest.raises(safegrade.RulesError):
        sgs.score_keyed(firms, lists, broken, as_of=AS_OF)
    with pytest.raises(safegrade.RulesError):
        sgs.score_nested(firms, tmp_path / "missing.toml", as_of=AS_OF)


def test_bad_input_is_refused_on_the_driver(frames):
    firms, lists = frames
    with pytest.raises(TypeError, match="not a loaded Rules"):
        sgs.score_nested(firms, safegrade.load(SCHEME), as_of=AS_OF)
    with pytest.raises(TypeError, match="rules must be the path of a rule file"):
        sgs.score_nested(firms, 42, as_of=AS_OF)
    with pytest.raises(TypeError, match="df must be a Spark DataFrame, not Table"):
        sgs.score_nested(strings(SAMPLE / "firms.csv"), SCHEME, as_of=AS_OF)
    with pytest.raises(safegrade.ScoreError) as info:
        sgs.score_nested(firms.drop("uscc"), SCHEME, as_of=AS_OF)
    assert info.value.code == "no_key_column"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        sgs.score_nested(firms, SCHEME, as_of="30/06/2026")
    with pytest.raises(safegrade.ScoreError) as info:
        sgs.score_nested(firms, SCHEME, as_of=AS_OF, strict=True, carry=["name"])
    assert info.value.code == "unknown_column"
    with pytest.raises(ValueError, match=r"lists\['accidents'\] has no key column 'uscc'"):
        sgs.score_keyed(firms, {**lists, "accidents": lists["accidents"].drop("uscc")}, SCHEME, as_of=AS_OF)
    with pytest.raises(ValueError, match="firms has no key column 'id'"):
        sgs.score_keyed(firms, lists, SCHEME, as_of=AS_OF, key="id")
    with pytest.raises(TypeError, match=r"lists\['accidents'\]'s key column 'uscc' is bigint, the firms' is string"):
        typed = lists["accidents"].withColumn("uscc", F.lit(1).cast("bigint"))
        sgs.score_keyed(firms, {**lists, "accidents": typed}, SCHEME, as_of=AS_OF)
    with pytest.raises(ValueError, match="groups must be a whole number of at least 1, not 0"):
        sgs.score_keyed(firms, lists, SCHEME, as_of=AS_OF, groups=0)
    with pytest.raises(TypeError, match="without lists, use score_nested"):
        sgs.score_keyed(firms, {}, SCHEME, as_of=AS_OF)
    with pytest.raises(safegrade.ScoreError) as info:
        sgs.score_keyed(firms, {"nonsense": lists["accidents"]}, SCHEME, as_of=AS_OF)
    assert info.value.code == "unknown_list"
