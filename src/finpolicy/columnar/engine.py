"""Many facts at once: a rule set evaluated over columns, with the row engine for the rows the
columns leave to it (see ``Column.needs_row``), so both always agree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from finpolicy.columnar.columns import Column
from finpolicy.columnar.conditions import Columns, compile_ruleset
from finpolicy.engines import Evaluator, make_evaluator
from finpolicy.rules.evaluate import lookup
from finpolicy.rules.model import RuleSet

__all__ = ["ColumnarEvaluator", "columns_of"]


def columns_of(facts: Sequence[Mapping[str, Any]],
               paths: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Column]:
    """The columns of ``paths`` over nested fact mappings (a missing step is a missing
    value)."""
    out = {}
    for path in paths:
        values = [lookup(fact, path) for fact in facts]
        out[path] = Column.from_values([None if v is _MISSING else v for v in values])
    return out


_MISSING = lookup({}, ("x",))


class ColumnarEvaluator:
    """``matches_many(facts)``: the indices of the matching rules of each fact, as the row
    engine (``make_evaluator(ruleset, engine)``) gives them one fact at a time."""

    def __init__(self, ruleset: RuleSet, engine: str = "compiled") -> None:
        self.ruleset = ruleset
        self.compiled = compile_ruleset(ruleset)
        self._row: Evaluator = make_evaluator(ruleset, engine)

    def hits(self, columns: Columns, n: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """The hit matrix (rules × rows) from columns alone; rows in ``needs_row`` are not
        decided by it."""
        return self.compiled.hits(columns, n)

    def matches_many(self, facts: Sequence[Mapping[str, Any]]) -> list[list[int]]:
        """Every fact's matching rule indices, in rule order; raises what the row engine
        raises for the first fact it refuses."""
        n = len(facts)
        columns = columns_of(facts, self.compiled.paths)
        matrix = self.compiled.hits(columns, n)
        out = [np.flatnonzero(matrix[:, i]).tolist() for i in range(n)]
        for i in np.flatnonzero(self.compiled.needs_row(columns, n)):
            out[i] = list(self._row.matches(facts[int(i)]))
        return out
