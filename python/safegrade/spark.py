"""safegrade.spark: scoring Spark DataFrames with safegrade on a cluster.

This module owns the way a rule file reaches Spark's executors and the two
shapes of firm data a Spark job scores:

- :func:`score_nested`: one firm frame whose lists are ``array<struct>``
  columns named as the lists, scored batch by batch with ``mapInArrow``;
- :func:`score_keyed`: a firm frame and one frame per list joined by the
  key column, grouped by a hash of the key with ``groupBy(...).cogroup(...)
  .applyInArrow(...)`` (Spark 4.0 or later) and scored group by group.

Both give a :class:`Scored`: ``.results`` (the columns of
:meth:`safegrade.Rules.score`'s results, all text) and ``.rejects`` (``file,
column, key, reason, reason_code``), two views of one scored frame.

The rules travel as text: the driver loads the rule file, reads every rule
file (``*.toml``) under its rules root, checks that a copy of those files
loads to the same rules (the same ``hash``), and ships the texts inside the
function Spark sends to the executors. Each Python worker writes them to a
temporary folder once, loads them there and keeps the loaded rules for the
tasks it runs after.

A firm's result depends only on its own rows, so scoring each batch or
group on its own gives what one run over the whole table gives, with two
exceptions: a key repeated in two batches of :func:`score_nested` is not
seen as repeated (each copy is scored), and a reject has no line number.

pyspark is imported only when a function here is called, so the package
works without it; this module needs pyarrow, as ``Rules.score`` does.
"""

from __future__ import annotations

import datetime
import functools
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

import safegrade

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from pyspark.sql import Column, DataFrame

__all__ = ["Scored", "score_keyed", "score_nested"]

_RESULT = "result"
_REJECT = "reject"
_LIST_TAG = "__safegrade_list__"
_GROUP = "__safegrade_group__"
# The rejects' columns in Spark: a Spark row has no line number.
_REJECT_COLUMNS = ("file", "column", "key", "reason", "reason_code")


class Scored:
    """What a Spark scoring run gives: the scored frame and its two views.

    ``frame`` has two struct columns, ``result`` and ``reject``; each row
    holds one of them and a null in the other. Spark scores again for each
    action on a view, so ``frame.cache()`` (or ``persist()``) before reading
    both results and rejects scores once.
    """

    def __init__(self, frame: DataFrame):
        self.frame = frame

    @property
    def results(self) -> DataFrame:
        """One row per scored firm, the columns of ``Rules.score(...).results``, in no set order."""
        from pyspark.sql import functions as F

        return self.frame.where(F.col(_RESULT).isNotNull()).select(f"{_RESULT}.*")

    @property
    def rejects(self) -> DataFrame:
        """One row per rejected firm or list record: ``file, column, key, reason, reason_code``."""
        from pyspark.sql import functions as F

        return self.frame.where(F.col(_REJECT).isNotNull()).select(f"{_REJECT}.*")

    def __repr__(self) -> str:
        return f"<safegrade.spark.Scored {self.frame!r}>"


def score_nested(
    df: DataFrame,
    rules: str | os.PathLike[str],
    *,
    as_of: datetime.date | str,
    key: str = "uscc",
    rules_root: str | os.PathLike[str] | None = None,
    explain: bool = False,
    carry: Sequence[str] | None = None,
    strict: bool = False,
    floats: bool = False,
    threads: int | None = 1,
) -> Scored:
    """Scores a firm frame whose lists are ``array<struct>`` columns named as the lists.

    Each Arrow batch of ``df`` is scored on its own by
    :meth:`safegrade.Rules.score` (``df.mapInArrow``). A firm without
    records may hold an empty array or a null. Build the lists from keyed
    frames with ``groupBy(key).agg(collect_list(struct(...)))`` and a left
    join to the firms; a record whose key has no firm is then dropped by the
    join, not rejected. A key repeated across batches is scored each time.

    ``rules`` is the path of a rule file or scheme (``rules_root`` as
    :func:`safegrade.load` takes it); ``as_of``, ``key``, ``explain``,
    ``carry``, ``strict`` and ``floats`` are those of ``Rules.score``.
    ``threads`` bounds the threads of each task (default 1: Spark already
    runs a task per core). Raises what ``Rules.score`` raises for a table
    the rules cannot score (``safegrade.ScoreError``), on the driver.
    """
    _require_spark()
    _require_frame(df, "df")
    run = _Run(_ship(rules, rules_root), _date(as_of), key, explain, _names(carry, "carry"), strict, floats, threads)
    schema = run.output_schema(_arrow_schema(df), {})
    return Scored(df.mapInArrow(run.score_batches, schema))


def score_keyed(
    firms: DataFrame,
    lists: Mapping[str, DataFrame],
    rules: str | os.PathLike[str],
    *,
    as_of: datetime.date | str,
    key: str = "uscc",
    rules_root: str | os.PathLike[str] | None = None,
    explain: bool = False,
    carry: Sequence[str] | None = None,
    strict: bool = False,
    floats: bool = False,
    groups: int | None = None,
) -> Scored:
    """Scores a firm frame and its lists, one frame per list joined by ``key``.

    The lists are brought into one frame (the key, the list's name, and a
    struct column named as the list holding its record). Firms and records
    are hashed by key into ``groups`` groups (by default
    ``spark.sql.shuffle.partitions``) and grouped together
    (``groupBy(...).cogroup(...).applyInArrow(...)``, Spark 4.0 or later);
    each group is scored in one call, its records split back per list with
    their Arrow types. All rows of a key fall in one group, so a repeated
    firm key and a record whose key has no firm are rejects, as in one run
    over the whole table. A group is held in memory while it is scored:
    raise ``groups`` when groups grow too large. The key column must have
    one type in every frame.

    The other arguments are those of :func:`score_nested`.
    """
    _require_spark()
    _require_frame(firms, "firms")
    if not isinstance(lists, Mapping) or not lists:
        raise TypeError("lists must map list names to Spark DataFrames; without lists, use score_nested")
    for name, frame in lists.items():
        if not isinstance(name, str) or name in ("", _LIST_TAG, _GROUP):
            raise ValueError(f"lists: {name!r} is no list name")
        _require_frame(frame, f"lists[{name!r}]")
    _require_key(firms, key, "firms")
    if _GROUP in firms.columns:
        raise ValueError(f"firms has a column {_GROUP!r}, the name safegrade.spark groups by")
    key_type = firms.schema[key].dataType
    for name, frame in lists.items():
        _require_key(frame, key, f"lists[{name!r}]")
        if frame.schema[key].dataType != key_type:
            raise TypeError(
                f"lists[{name!r}]'s key column {key!r} is {frame.schema[key].dataType.simpleString()}, "
                f"the firms' is {key_type.simpleString()}: cast them to one type"
            )
    if groups is None:
        groups = int(str(firms.sparkSession.conf.get("spark.sql.shuffle.partitions")))
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a whole number of at least 1, not {groups!r}")

    from pyspark.sql import functions as F

    shipped = _ship(rules, rules_root)
    run = _Run(shipped, _date(as_of), key, explain, _names(carry, "carry"), strict, floats, 1, tuple(lists))
    schema = run.output_schema(_arrow_schema(firms), {name: _arrow_schema(frame) for name, frame in lists.items()})
    group = F.pmod(F.xxhash64(_col(key)), F.lit(groups)).alias(_GROUP)

    def tagged(name: str, frame: DataFrame) -> DataFrame:
        """The list's rows as its group, key, name and a struct of its record, named as the list."""
        fields = [_col(c) for c in frame.columns if c != key]
        return frame.select(group, _col(key), F.lit(name).alias(_LIST_TAG), F.struct(*fields).alias(name))

    parts = [tagged(name, frame) for name, frame in lists.items()]
    merged = functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), parts)
    grouped = firms.select(group, "*").groupBy(_GROUP).cogroup(merged.groupBy(_GROUP))

    # A function of two tables: Spark reads a bound method's `self` as the group's key.
    def score_group(firms: pa.Table, records: pa.Table) -> pa.Table:
        return run.score_group(firms, records)

    return Scored(grouped.applyInArrow(score_group, schema))


@dataclass(frozen=True)
class _RuleFiles:
    """Rule files as text, to be loaded again where there is no copy of them."""

    path: str
    """The file to load, relative to the rules root (`/`-separated)."""
    files: tuple[tuple[str, str], ...]
    """Every rule file under the rules root: (relative path, text)."""
    hash: str
    """The hash of the rules they load to."""

    def load(self) -> safegrade.Rules:
        """The rules, loaded once per Python process from a temporary copy of the files."""
        rules = _LOADED.get(self.hash)
        if rules is None:
            with tempfile.TemporaryDirectory(prefix="safegrade-rules-") as root:
                for rel, text in self.files:
                    target = Path(root, *rel.split("/"))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
                rules = safegrade.load(Path(root, *self.path.split("/")), rules_root=root)
            if rules.hash != self.hash:
                raise RuntimeError(f"the shipped rule files load to hash {rules.hash}, not {self.hash}")
            _LOADED[self.hash] = rules
        return rules


# The rules each Python worker has loaded, by hash: a worker runs many tasks.
_LOADED: dict[str, safegrade.Rules] = {}


def _ship(rules: Any, rules_root: Any) -> _RuleFiles:
    """The rule file at `rules` and every rule file under its rules root, as text, checked to load alike."""
    if isinstance(rules, safegrade.Rules):
        raise TypeError(
            "rules must be the path of a rule file, not a loaded Rules: "
            "executors load the rules again from the files' text, so pass the path"
        )
    if not isinstance(rules, (str, os.PathLike)):
        raise TypeError(f"rules must be the path of a rule file (str or os.PathLike), not {type(rules).__name__}")
    if rules_root is not None and not isinstance(rules_root, (str, os.PathLike)):
        raise TypeError(f"rules_root must be a path (str or os.PathLike), not {type(rules_root).__name__}")
    loaded = safegrade.load(rules, rules_root)  # a RulesError here names the file and its diagnostics
    path = Path(os.path.realpath(rules))
    if rules_root is not None:
        root = Path(os.path.realpath(rules_root))
    else:
        root = path.parent.parent if loaded.kind == "scheme" else path.parent
    if not path.is_relative_to(root):
        raise ValueError(f"the rule file {str(rules)!r} lies outside its rules root {str(root)!r}")
    texts = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            file = Path(folder, name)
            if name.endswith(".toml") and not name.startswith("."):
                text = _rule_text(file)
                if text is not None:
                    texts.setdefault(file.relative_to(root).as_posix(), text)
    shipped = _RuleFiles(path.relative_to(root).as_posix(), tuple(sorted(texts.items())), loaded.hash)
    try:
        shipped.load()
    except safegrade.RulesError as e:
        raise ValueError(
            f"{str(rules)!r} does not load from a copy of the rule files (*.toml) under its rules root "
            f"{str(root)!r}; an include or step of another name is not shipped:\n{e}"
        ) from e
    return shipped


def _rule_text(file: Path) -> str | None:
    """The text of a file that may be a rule file: UTF-8, within the rule-file limit."""
    try:
        if file.stat().st_size > safegrade.MAX_RULE_FILE_BYTES:
            return None
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class _Run:
    """The settings of a run, shipped with the rules to every task."""

    rules: _RuleFiles
    as_of: str
    key: str
    explain: bool
    carry: tuple[str, ...]
    strict: bool
    floats: bool
    threads: int | None
    lists: tuple[str, ...] = ()
    """The lists of a keyed run, in the order their frames were given."""

    def score(self, firms: pa.Table, lists: dict[str, pa.Table]) -> safegrade.Scored:
        return self.rules.load().score(
            firms,
            lists or None,
            as_of=self.as_of,
            key=self.key,
            explain=self.explain,
            carry=list(self.carry),
            strict=self.strict,
            floats=self.floats,
            threads=self.threads,
        )

    def output_schema(self, firms: pa.Schema, lists: dict[str, pa.Schema]) -> Any:
        """The Spark schema of the scored frame, from a run over empty tables of these schemas."""
        from pyspark.sql.pandas.types import from_arrow_schema

        empty = self.score(firms.empty_table(), {n: s.empty_table() for n, s in lists.items()})
        return from_arrow_schema(_output_schema(empty.results.schema, empty.rejects.schema))

    def score_batches(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """`mapInArrow`'s function: each batch of firms with nested lists, scored."""
        for batch in batches:
            yield from _output(self.score(pa.Table.from_batches([batch]), {}))

    def score_group(self, firms: pa.Table, records: pa.Table) -> pa.Table:
        """`applyInArrow`'s function: one group's firm rows and list records, scored."""
        lists = {}
        tag = records.column(_LIST_TAG)
        for name in self.lists:
            rows = records.filter(pc.equal(tag, name))
            struct = rows.column(name).combine_chunks()
            names = [self.key, *(field.name for field in struct.type)]
            lists[name] = pa.Table.from_arrays([rows.column(self.key), *struct.flatten()], names=names)
        scored = self.score(firms.drop_columns([_GROUP]), lists)
        batches = list(_output(scored))
        schema = _output_schema(scored.results.schema, scored.rejects.schema)
        return pa.Table.from_batches(batches, schema)


def _output_schema(results: pa.Schema, rejects: pa.Schema) -> pa.Schema:
    """The Arrow schema of the scored frame: a struct of the results and one of the rejects, both nullable."""
    result = pa.struct([pa.field(f.name, f.type) for f in results])
    reject = pa.struct([pa.field(n, rejects.field(n).type) for n in _REJECT_COLUMNS])
    return pa.schema([pa.field(_RESULT, result), pa.field(_REJECT, reject)])


def _output(scored: safegrade.Scored) -> Iterator[pa.RecordBatch]:
    """A scored table's results and rejects as batches of the scored frame."""
    schema = _output_schema(scored.results.schema, scored.rejects.schema)
    result, reject = schema.field(_RESULT).type, schema.field(_REJECT).type
    for batch in scored.results.to_batches():
        rows = pa.StructArray.from_arrays(batch.columns, fields=list(result))
        yield pa.RecordBatch.from_arrays([rows, pa.nulls(batch.num_rows, reject)], schema=schema)
    for batch in scored.rejects.select(list(_REJECT_COLUMNS)).to_batches():
        rows = pa.StructArray.from_arrays(batch.columns, fields=list(reject))
        yield pa.RecordBatch.from_arrays([pa.nulls(batch.num_rows, result), rows], schema=schema)


def _require_spark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as e:
        raise ImportError("safegrade.spark needs PySpark 4.0 or later: pip install pyspark") from e


def _require_frame(df: Any, what: str) -> None:
    from pyspark.sql import DataFrame

    if not isinstance(df, DataFrame):
        raise TypeError(f"{what} must be a Spark DataFrame, not {type(df).__name__}")


def _require_key(df: DataFrame, key: str, what: str) -> None:
    if key not in df.columns:
        raise ValueError(f"{what} has no key column {key!r} (its columns: {', '.join(df.columns)})")


def _arrow_schema(df: DataFrame) -> pa.Schema:
    """The Arrow schema Spark gives a Python worker for the frame's rows."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema)


def _date(as_of: Any) -> str:
    if isinstance(as_of, datetime.datetime) or not isinstance(as_of, (datetime.date, str)):
        raise TypeError(f"as_of must be a datetime.date or YYYY-MM-DD text, not {type(as_of).__name__}")
    return as_of.isoformat() if isinstance(as_of, datetime.date) else as_of


def _names(names: Sequence[str] | None, what: str) -> tuple[str, ...]:
    if names is None:
        return ()
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{what} must be a sequence of column names")
    return tuple(names)


def _col(name: str) -> Column:
    """The column of that name, dots and backticks in it taken as written."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")
