"""The Python half of the Arrow benchmark (cli/benches/arrow.rs).

Reads the district's Parquet files with pyarrow and scores them through
the hazchem scheme with `Rules.score`, keyed and sorted lists, as the Rust
half does; prints `read_seconds score_seconds`.

    python python/bench/score_parquet.py DIR THREADS
"""

import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

import safegrade

LISTS = ("accidents", "penalties", "hidden_dangers")


def main() -> None:
    folder, threads = Path(sys.argv[1]), int(sys.argv[2])
    root = Path(__file__).resolve().parents[2]
    rules = safegrade.load(root / "rules" / "schemes" / "hazchem.toml")
    start = time.perf_counter()
    firms = pq.read_table(folder / "firms.parquet")
    lists = {name: pq.read_table(folder / f"{name}.parquet") for name in LISTS}
    read = time.perf_counter() - start
    start = time.perf_counter()
    scored = rules.score(firms, lists=lists, as_of="2026-06-30", sorted=True, threads=threads)
    score = time.perf_counter() - start
    assert scored.results.num_rows > 0
    print(f"{read:.3f} {score:.3f}")


if __name__ == "__main__":
    main()
