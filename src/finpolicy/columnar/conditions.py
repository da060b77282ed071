"""The condition language compiled to array expressions over fact columns.

Each condition becomes a function from the columns (one ``Column`` per path) to a boolean
array, with exactly the semantics of ``rules.conditions``: a missing operand makes every
comparison false, ``eq`` is false across kinds, ordering compares numbers only. Text tests
(``eq``, ``in``, ``matches``) are decided once per distinct text of the column and looked up
by code. A rule set becomes a matrix of hits, one row per rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from finpolicy.columnar.columns import BOOLEAN, LIST, MISSING, NUMBER, TEXT, Column
from finpolicy.rules.conditions import (
    All,
    Compare,
    Condition,
    Exists,
    FieldRef,
    Not,
    paths,
    scalar_type,
)
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.evaluate import _equal
from finpolicy.rules.model import RuleSet
from finpolicy.rules.patterns import compile_pattern

__all__ = ["Columns", "CompiledRuleSet", "compile_condition", "compile_ruleset"]

Path = tuple[str, ...]
Columns = Mapping[Path, Column]
Bools = Any  # boolean arrays; numpy's operators are untyped under mypy
Test = Callable[[Columns, int], Bools]
_KIND = {"text": TEXT, "number": NUMBER, "boolean": BOOLEAN}
_ORDER = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}


def _column(columns: Columns, path: Path, n: int) -> Column:
    found = columns.get(path)
    return Column.missing(n) if found is None else found


def _text_table(column: Column, accept: Callable[[str], bool]) -> Bools:
    """For each row, whether its text is accepted (decided once per distinct text)."""
    table = np.fromiter((accept(t) for t in column.texts), np.bool_, len(column.texts))
    if not len(table):
        return np.zeros(len(column), np.bool_)
    return (column.kind == TEXT) & table[np.where(column.text >= 0, column.text, 0)]


def _equals_literal(column: Column, literal: Any) -> Bools:
    kind = _KIND.get(scalar_type(literal) or "", -1)
    if kind == TEXT:
        return _text_table(column, lambda t: t == literal)
    if kind == NUMBER:
        return (column.kind == NUMBER) & (column.number == float(literal))
    if kind == BOOLEAN:
        return (column.kind == BOOLEAN) & (column.boolean == bool(literal))
    return np.zeros(len(column), np.bool_)


def _in(column: Column, items: tuple[Any, ...]) -> Bools:
    hit = np.zeros(len(column), np.bool_)
    texts = [i for i in items if scalar_type(i) == "text"]
    if texts:
        wanted = set(texts)
        hit |= _text_table(column, wanted.__contains__)
    for item in items:
        if scalar_type(item) in ("number", "boolean"):
            hit |= _equals_literal(column, item)
    return hit


def _contains(column: Column, literal: Any) -> Bools:
    lists = column.lists
    if lists is None:
        return np.zeros(len(column), np.bool_)
    is_list = column.kind == LIST
    out = np.zeros(len(column), np.bool_)
    for i in np.flatnonzero(is_list):
        out[i] = any(_equal(item, literal) for item in lists[i])
    return out


def _compare_literal(op: str, path: Path, literal: Any) -> Test:
    def test(columns: Columns, n: int) -> Bools:
        column = _column(columns, path, n)
        present = column.kind != MISSING
        if op == "eq":
            return _equals_literal(column, literal)
        if op == "ne":
            return present & ~_equals_literal(column, literal)
        if op == "in":
            return _in(column, literal)
        if op == "not_in":
            return present & ~_in(column, literal)
        if op == "matches":
            pattern = compile_pattern(literal)
            return _text_table(column, lambda t: bool(pattern.fullmatch(t)))
        if op == "contains":
            return _contains(column, literal)
        if scalar_type(literal) != "number":
            return np.zeros(n, np.bool_)
        return (column.kind == NUMBER) & _ORDER[op](column.number, float(literal))
    return test


def _same_text(a: Column, b: Column) -> Bools:
    """Where both hold a text and the texts are equal (codes come from two tables)."""
    position = {t: i for i, t in enumerate(a.texts)}
    mapped = np.array([position.get(t, -2) for t in b.texts] or [-2], np.int32)
    other = np.where(b.text >= 0, mapped[np.where(b.text >= 0, b.text, 0)], -3)
    return (a.kind == TEXT) & (b.kind == TEXT) & (a.text == other)


def _fields_equal(a: Column, b: Column) -> Bools:
    numbers = (a.kind == NUMBER) & (b.kind == NUMBER) & (a.number == b.number)
    booleans = (a.kind == BOOLEAN) & (b.kind == BOOLEAN) & (a.boolean == b.boolean)
    return numbers | booleans | _same_text(a, b)


def _compare_fields(op: str, path: Path, other: Path) -> Test:
    def test(columns: Columns, n: int) -> Bools:
        a, b = _column(columns, path, n), _column(columns, other, n)
        if op in ("eq", "ne"):
            equal = _fields_equal(a, b)
            if op == "eq":
                return equal
            return (a.kind != MISSING) & (b.kind != MISSING) & ~equal
        both = (a.kind == NUMBER) & (b.kind == NUMBER)
        return both & _ORDER[op](a.number, b.number)
    return test


def compile_condition(condition: Condition) -> Test:
    """A function from columns (and the row count) to where ``condition`` holds."""
    match condition:
        case All(items):
            parts = [compile_condition(i) for i in items]

            def every(columns: Columns, n: int) -> Bools:
                out = np.ones(n, np.bool_)
                for part in parts:
                    out &= part(columns, n)
                return out
            return every
        case AnyOf(items):
            options = [compile_condition(i) for i in items]

            def some(columns: Columns, n: int) -> Bools:
                out = np.zeros(n, np.bool_)
                for option in options:
                    out |= option(columns, n)
                return out
            return some
        case Not(item):
            inner = compile_condition(item)
            return lambda columns, n: ~inner(columns, n)
        case Exists(path, present):
            return lambda columns, n: (_column(columns, path, n).kind != MISSING) == present
        case Compare(op, path, FieldRef(other)):
            return _compare_fields(op, path, other)
        case Compare(op, path, literal):
            return _compare_literal(op, path, literal)
    raise TypeError(f"not a condition: {condition!r}")


class CompiledRuleSet:
    """A rule set compiled to array expressions: ``hits(columns, n)`` is a boolean matrix
    with one row per rule (in rule order) and one column per fact."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._tests = [compile_condition(rule.when) for rule in ruleset.rules]
        self._reads = [sorted(paths(rule.when)) for rule in ruleset.rules]
        self.paths = sorted(ruleset.paths())

    def hits(self, columns: Columns, n: int,
             shared: tuple[Columns, dict[int, Any]] | None = None
             ) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """The matrix. ``shared``: columns that several calls pass (one customer book
        against several products) and a memo of the rules that read nothing else."""
        out = np.zeros((len(self._tests), n), np.bool_)
        for i, test in enumerate(self._tests):
            if shared is None or any(columns.get(p) is not shared[0].get(p)
                                     for p in self._reads[i]):
                out[i] = test(columns, n)
                continue
            found = shared[1].get(i)
            if found is None:
                found = shared[1][i] = test(columns, n)
            out[i] = found
        return out

    def needs_row(self, columns: Columns, n: int) -> Bools:
        """Rows some read column leaves to the row engine."""
        out = np.zeros(n, np.bool_)
        for path in self.paths:
            column = columns.get(path)
            if column is not None and column.needs_row is not None:
                out |= column.needs_row
        return out


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    """Compile every rule of ``ruleset``."""
    return CompiledRuleSet(ruleset)
