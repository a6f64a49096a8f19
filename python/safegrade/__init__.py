"""safegrade: enterprise safety-credit and risk-grading scoring from rule files.

Load a rule file (TOML) or a scheme with :func:`load` (from disk, with its
includes or steps) or :func:`loads` (rule text), then evaluate one firm's
answers with :meth:`Rules.evaluate`: the result is the dict that
``safegrade eval --format json`` prints.

>>> from decimal import Decimal
>>> import safegrade
>>> rules = safegrade.load("rules/lec.toml")
>>> result = rules.evaluate({"l": 3, "e": Decimal("0.5"), "c": 100}, as_of="2026-11-29")
>>> result["score"], result["grade"]
('150', 'level_3')

Answers are int, str, bool, None, decimal.Decimal, datetime.date, and lists
of dicts for list inputs; a float raises TypeError, as floats are not exact.

Failures are ``ValueError`` subclasses: :class:`RulesError` (a rule file
that does not check; ``.diagnostics``), :class:`InputError` (answers that do
not fit the inputs; ``.problems``) and :class:`EvalError` (an evaluation that
stopped; ``.error``); :meth:`Rules.score` raises :class:`ScoreError` when a
run over a table cannot go on.

:meth:`Rules.score` scores a whole table (a pyarrow Table, a Polars or
pandas DataFrame, a DuckDB result: anything with ``__arrow_c_stream__``) as
``safegrade score`` scores a CSV export, into :class:`Scored` (``.results``
and ``.rejects`` as pyarrow Tables, ``.summary`` a dict).

:meth:`Rules.datafusion_udf` gives the SQL function ``safegrade_score`` for
Python's DataFusion (the package ``datafusion`` 55): register it with
``ctx.register_udf(datafusion.udf(rules.datafusion_udf(as_of=...)))``.
"""

from safegrade._native import (
    MAX_RULE_FILE_BYTES,
    DataFusionFunction,
    EvalError,
    InputError,
    Rules,
    RulesError,
    Scored,
    ScoreError,
    load,
    loads,
)

__all__ = [
    "MAX_RULE_FILE_BYTES",
    "DataFusionFunction",
    "EvalError",
    "InputError",
    "Rules",
    "RulesError",
    "Scored",
    "ScoreError",
    "load",
    "loads",
]
