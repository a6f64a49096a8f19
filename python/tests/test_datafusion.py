"""`Rules.datafusion_udf`: the SQL function `safegrade_score` registered on
Python's DataFusion through its foreign-function capsule scores the sample
district, its lists grouped by key with `array_agg(named_struct(…))`, as
`safegrade score` does; rejected firms give the command line's reasons;
a struct that does not fit the rules is refused when the query is planned."""

import pytest

pa = pytest.importorskip("pyarrow")
datafusion = pytest.importorskip("datafusion")

import safegrade
from conftest import SCHEME
from test_score import AS_OF, LISTS, SAMPLE, cells, cli_score, strings


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def scoring_sql(tables, lists):
    """The query scoring every firm of `firms` with `lists` nested, ordered by key."""
    args = [f"'{c}', f.{quoted(c)}" for c in tables["firms"].column_names]
    joins = ""
    for i, name in enumerate(lists):
        fields = ", ".join(f"'{c}', {quoted(c)}" for c in tables[name].column_names if c != "uscc")
        joins += (
            f" LEFT JOIN (SELECT uscc, array_agg(named_struct({fields})) AS records FROM {name} GROUP BY uscc) l{i}"
            f" ON l{i}.uscc = f.uscc"
        )
        args.append(f"'{name}', l{i}.records")
    return f"SELECT f.uscc AS key, safegrade_score(named_struct({', '.join(args)})) AS scored FROM firms f{joins} ORDER BY f.uscc"


def session(rules, tables, **options):
    ctx = datafusion.SessionContext()
    function = rules.datafusion_udf(as_of=AS_OF, **options)
    assert isinstance(function, safegrade.DataFusionFunction) and function.name == "safegrade_score"
    ctx.register_udf(datafusion.udf(function))
    for name, table in tables.items():
        ctx.register_record_batches(name, [table.to_batches()])
    return ctx


def scored_rows(ctx, sql):
    """(the output's columns, the scored firms' rows, {key: reject reason})."""
    table = ctx.sql(sql).to_arrow_table()
    scored = table.column("scored").combine_chunks()
    names = [scored.type.field(i).name for i in range(scored.type.num_fields)]
    rows = scored.to_pylist()
    keys = table.column("key").to_pylist()
    results = [[r[n] for n in names[:-2]] for r in rows if r["reject_reason"] is None]
    rejects = {k: r["reject_reason"] for k, r in zip(keys, rows) if r["reject_reason"] is not None}
    return names, results, rejects


@pytest.fixture(scope="module")
def tables():
    return {name: strings(SAMPLE / f"{name}.csv") for name in ["firms", *LISTS]}


def test_the_sample_scores_as_the_command_line_does(cli, tmp_path, tables):
    want, _, _ = cli_score(cli, tmp_path, SAMPLE / "firms.csv", {n: SAMPLE / f"{n}.csv" for n in LISTS}, "--explain")
    ctx = session(safegrade.load(SCHEME), tables, explain=True)
    names, results, rejects = scored_rows(ctx, scoring_sql(tables, LISTS))
    assert names[:-2] == want.column_names
    assert names[-2:] == ["reject_reason", "reject_message"]
    assert rejects == {}
    assert results == sorted(cells(want), key=lambda r: r[0])


def test_rejected_firms_give_the_command_lines_reasons(cli, tmp_path, tables):
    firms = tables["firms"].slice(0, 40).to_pylist()
    firms[3]["uscc"] = "91320506XXXXXXXXXX"  # not a 统一社会信用代码
    numbers = [c for c in tables["firms"].column_names if c.startswith("n_")]
    firms[5][numbers[0]] = "many"  # not a number
    keys = {f["uscc"] for f in firms}
    lists = {n: tables[n].filter(pa.compute.is_in(tables[n].column("uscc"), pa.array(sorted(keys)))) for n in LISTS}
    bad = {"firms": pa.Table.from_pylist(firms, schema=tables["firms"].schema), **lists}
    paths = {}
    for name, table in bad.items():
        paths[name] = tmp_path / f"{name}.csv"
        pa.csv.write_csv(table, paths[name])
    _, rejects_csv, _ = cli_score(cli, tmp_path, paths["firms"], {n: paths[n] for n in LISTS})
    want = {r["key"]: r["reason_code"] for r in rejects_csv.to_pylist() if r["file"].endswith("firms.csv")}
    assert sorted(want.values()) == ["bad_key", "bad_value"]
    ctx = session(safegrade.load(SCHEME), bad)
    _, results, rejects = scored_rows(ctx, scoring_sql(bad, LISTS))
    assert rejects == want
    assert len(results) == 38


def test_a_struct_that_does_not_fit_is_refused_when_planned(tables):
    ctx = session(safegrade.load(SCHEME), tables)
    with pytest.raises(Exception, match="takes one struct"):
        ctx.sql("SELECT safegrade_score(1)").collect()
    with pytest.raises(Exception, match="did you mean `n_explosives`"):
        ctx.sql("SELECT safegrade_score(named_struct('uscc', 'x', 'n_explosive', 1))").collect()


def test_options_and_types_are_checked():
    rules = safegrade.load(SCHEME)
    with pytest.raises(ValueError):
        rules.datafusion_udf(as_of="2026-02-30")
    function = rules.datafusion_udf(as_of="2026-06-30", name="hazchem")
    assert function.name == "hazchem" and "hazchem" in repr(function)
