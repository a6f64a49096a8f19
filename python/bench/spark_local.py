"""Firms per second of `safegrade.spark` in Spark's local mode (docs/SPARK.md).

Reads a district written by `safegrade gen` (CSV) as text columns and
scores it through the hazchem scheme: with `Rules.score` in this process
(for comparison), then, the files read and cached by Spark (`spark.read.csv`,
every column text), with `score_nested` (the lists nested beforehand with
collect_list and joins, cached) and `score_keyed`. Each time is the faster
of two runs; prints one line per way.

    python python/bench/spark_local.py DIR [CORES]
"""

import os
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pc

import safegrade
from safegrade import spark as sgs

LISTS = ("accidents", "penalties", "hidden_dangers")
AS_OF = "2026-06-30"


def strings(path: Path) -> pa.Table:
    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")
    types = {n: pa.string() for n in names}
    return pc.read_csv(path, convert_options=pc.ConvertOptions(column_types=types, strings_can_be_null=False))


def best_of_two(run) -> float:
    times = []
    for _ in range(2):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(sys.argv[1])
    cores = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    scheme = Path(__file__).resolve().parents[2] / "rules" / "schemes" / "hazchem.toml"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    firms_t = strings(folder / "firms.csv")
    lists_t = {name: strings(folder / f"{name}.csv") for name in LISTS}
    n = firms_t.num_rows
    rules = safegrade.load(scheme)
    took = best_of_two(lambda: rules.score(firms_t, lists_t, as_of=AS_OF, threads=cores))
    print(f"Rules.score, {cores} threads: {n} firms in {took:.2f} s, {n / took:,.0f} firms/s")

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    read = spark.read.option("header", True)
    firms = read.csv(str(folder / "firms.csv")).cache()
    lists = {name: read.csv(str(folder / f"{name}.csv")).cache() for name in LISTS}
    nested = firms
    for name, records in lists.items():
        fields = [c for c in records.columns if c != "uscc"]
        grouped = records.groupBy("uscc").agg(F.collect_list(F.struct(*fields)).alias(name))
        nested = nested.join(grouped, "uscc", "left")
    nested = nested.cache()
    assert nested.count() == firms.count() == n

    def count(scored: sgs.Scored) -> None:
        assert scored.results.count() == n

    took = best_of_two(lambda: count(sgs.score_nested(nested, scheme, as_of=AS_OF)))
    print(f"score_nested, local[{cores}]: {n} firms in {took:.2f} s, {n / took:,.0f} firms/s")
    took = best_of_two(lambda: count(sgs.score_keyed(firms, lists, scheme, as_of=AS_OF)))
    print(f"score_keyed, local[{cores}], {2 * cores} groups: {n} firms in {took:.2f} s, {n / took:,.0f} firms/s")
    spark.stop()


if __name__ == "__main__":
    main()
