"""Type stubs of the safegrade package (the native module `safegrade._native`)."""

import datetime
import decimal
import os
from typing import Any, Literal, Mapping, Sequence, TypedDict, Union

MAX_RULE_FILE_BYTES: int
"""The most bytes a rule file may hold (4 MiB)."""

class Diagnostic(TypedDict):
    """One diagnostic of a rule file, as `safegrade check --format json` gives it."""

    code: str
    severity: Literal["error", "warning"]
    file: str | None
    line: int | None
    column: int | None
    message: str
    help: str | None

class Problem(TypedDict):
    """One problem of a firm's answers: `code` is `kind["type"]`."""

    code: str
    path: str
    message: str
    message_zh: str
    kind: dict[str, Any]

Answer = Union[
    None,
    bool,
    int,
    str,
    decimal.Decimal,
    datetime.date,
    Sequence["Answer"],
    Mapping[str, "Answer"],
]
"""A value of a firm's answers; never a float (floats are not exact)."""

class RulesError(ValueError):
    """A rule file that does not check; str() renders its diagnostics."""

    diagnostics: list[Diagnostic]

class InputError(ValueError):
    """Answers that do not fit the declared inputs; str() is one `path: message` a line."""

    problems: list[Problem]

class EvalError(ValueError):
    """An evaluation that stopped (overflow, division by zero, an unknown table key, `error(…)`)."""

    error: dict[str, Any]
    """`{context, message, context_zh, message_zh, kind}`."""

class ScoreError(ValueError):
    """A scoring run that cannot go on (no key column, a column the rules cannot read, a likely typo …)."""

    code: str
    """`other`, `unknown_column`, `likely_typo`, `no_key_column`, `not_sorted`, `unknown_list` or `breakdown_not_carried`."""
    file: str
    line: int | None

class Scored:
    """What `Rules.score` gives."""

    @property
    def results(self) -> Any:
        """A pyarrow.Table: one row per scored firm, the columns of `safegrade score`'s results, as text."""
    @property
    def rejects(self) -> Any:
        """A pyarrow.Table: one row per rejected row (`file, line, column, key, reason, reason_code`)."""
    @property
    def summary(self) -> dict[str, Any]:
        """The accounting, as `safegrade score --summary` writes it."""

class DataFusionFunction:
    """The SQL function `safegrade_score` for Python's DataFusion, made by `Rules.datafusion_udf`."""

    @property
    def name(self) -> str:
        """The function's name in SQL."""
    def __datafusion_scalar_udf__(self, *args: Any) -> Any:
        """The function as DataFusion's foreign scalar function (a PyCapsule named `datafusion_scalar_udf`)."""

class Rules:
    """A checked rule set or scheme, ready to evaluate firms; immutable and thread-safe."""

    @property
    def id(self) -> str:
        """The rule set's or scheme's id."""
    @property
    def version(self) -> str:
        """Its version, as the rule file gives it."""
    @property
    def hash(self) -> str:
        """The sha256 (hex) every result carries."""
    @property
    def kind(self) -> Literal["ruleset", "scheme"]:
        """Whether it is one rule set or a scheme of chained steps."""
    def check_report(self) -> list[Diagnostic]:
        """The warnings the file checked with; empty when there were none."""
    def schema(self) -> dict[str, Any]:
        """The questionnaire: `{"kind": "ruleset", "schema": {...}}`, or for a
        scheme `{"kind": "scheme", "steps": [{"alias": ..., "schema": {...}}]}`."""
    def evaluate(self, answers: Mapping[str, Answer], as_of: datetime.date | str) -> dict[str, Any]:
        """One firm's result as of a date: the dict `safegrade eval --format json` prints.

        Raises TypeError for a float or a value of another type, InputError
        when the answers do not fit the inputs, EvalError when the
        evaluation stops."""
    def score(
        self,
        firms: Any,
        lists: Mapping[str, Any] | None = None,
        *,
        as_of: datetime.date | str,
        key: str = "uscc",
        explain: bool = False,
        carry: Sequence[str] | None = None,
        strict: bool = False,
        sorted: bool = False,
        floats: bool = False,
        threads: int | None = None,
        by: Sequence[str] | None = None,
    ) -> Scored:
        """Scores every firm of a table, as `safegrade score` does for CSV.

        `firms` and each table of `lists` (list name → records joined by
        `key`) are objects with `__arrow_c_stream__` (pyarrow, Polars,
        DuckDB) or pandas DataFrames. Leave `lists` out when the firm table
        holds each list as a list-of-struct column named as the list.
        `explain` adds the items fired and overrides applied, `carry` passes
        firm columns through, `by` counts grades by carried columns in the
        summary, `strict` refuses columns nothing reads, `sorted` joins
        tables in key order as they stream, `floats` reads float columns by
        their shortest text, `threads` bounds the workers. The GIL is
        released while scoring. Raises ScoreError when the run
        cannot go on."""

    def datafusion_udf(
        self,
        *,
        as_of: datetime.date | str,
        key: str = "uscc",
        explain: bool = False,
        floats: bool = False,
        name: str = "safegrade_score",
    ) -> DataFusionFunction:
        """The DataFusion function `name` scoring one firm per row through these rules as of `as_of`.

        Its argument is a struct of the firm's columns (`named_struct('uscc', uscc, …)`), each list a
        list of structs named as the list (`array_agg(named_struct(…))` grouped by the key); its value
        a struct of the results' columns as text, then `reject_reason` and `reject_message` (null for
        a scored firm). Register it with
        `ctx.register_udf(datafusion.udf(rules.datafusion_udf(as_of=...)))`."""

def load(path: str | os.PathLike[str], rules_root: str | os.PathLike[str] | None = None) -> Rules:
    """Reads a rule file or scheme from disk with its includes or steps, read
    only inside `rules_root` (by default the file's folder, or for a scheme
    the folder above it). Raises RulesError when it does not check."""

def loads(text: str, name: str = "rules.toml") -> Rules:
    """Checks rule text that includes no other file; `name` is the file name
    its diagnostics give. Raises RulesError when it does not check."""
