"""Decide satisfiability of conditions of the closed language.

A conjunction of conditions is put in disjunctive normal form one condition at a time, dropping
every conjunct proved unsatisfiable as it goes (so the form stays small for real policies). A
conjunct of literals is satisfiable when every path it reads can take a value that makes its
literals true; literals on different paths are independent, so each path is decided alone over
a finite set of candidate values that is complete for its literals:

- a path with a known finite domain (levels, roles, enums, booleans) tries each value;
- a number tries every constant its literals name, a value between each two and one beyond
  each end (the literals' truth is constant between constants: interval arithmetic);
- a text tries every constant named and one fresh text; a pattern against the fresh text is
  not decided, so it counts as possibly true;
- a list tries exactly the elements its positive ``contains`` literals require;
- every path may also be missing.

A field-to-field comparison (``product.rank gt {field: customer.rank}``) is decided when both
facts have a known finite domain, by trying every pair of their values (``MAX_PAIRS`` at
most); otherwise it is not decided (possibly true either way). Undecided parts only
ever make a conjunct *possibly* satisfiable, so "unsatisfiable" is always a proof: lint never
reports a rule dead or shadowed that is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs

from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not, Scalar
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.evaluate import MISSING, holds

__all__ = ["Domains", "Literal", "Solver", "TooComplex", "satisfiable"]

MAX_CONJUNCTS = 2048
"""Beyond this many conjuncts in one condition's normal form, a question is left undecided."""
MAX_STEPS = 200_000
"""Beyond this many steps of the search for a consistent choice, likewise."""
MAX_PAIRS = 4096
"""Beyond this many joint values of the facts field-to-field comparisons link, those
comparisons are left undecided."""

Domains = Mapping[str, Collection[Scalar]]
"""Dotted path → every value the path can take when present (for a list: every element)."""

_FRESH = "\u2060fresh\u2060"  # a text no policy names


class TooComplex(Exception):
    """The normal form grew past ``MAX_CONJUNCTS``: the question is left undecided."""


@attrs.frozen(slots=True)
class Literal:
    """A comparison or presence test, or its negation."""

    atom: Compare | Exists
    positive: bool


Conjunct = frozenset[Literal]


def _dnf(condition: Condition, positive: bool = True) -> list[Conjunct]:
    """The condition (negated when not ``positive``) as a list of conjuncts."""
    match condition:
        case Not(item):
            return _dnf(item, not positive)
        case All(items) | AnyOf(items):
            conjunctive = isinstance(condition, All) == positive
            parts = [_dnf(item, positive) for item in items]
            if conjunctive:
                return _product(parts)
            out = [c for part in parts for c in part]
            if len(out) > MAX_CONJUNCTS:
                raise TooComplex
            return out
        case Exists(path, present):
            return [frozenset({Literal(Exists(path, True), present == positive)})]
        case Compare():
            return [frozenset({Literal(condition, positive)})]
    raise TypeError(f"not a condition: {condition!r}")


def _product(parts: Iterable[list[Conjunct]]) -> list[Conjunct]:
    out: list[Conjunct] = [frozenset()]
    for part in parts:
        out = list({a | b for a in out for b in part})
        if len(out) > MAX_CONJUNCTS:
            raise TooComplex
    return out


class Solver:
    """Decides conditions over one policy's domains, remembering what it decided."""

    def __init__(self, domains: Domains, types: Mapping[str, str]) -> None:
        self.domains, self.types = domains, types
        self._forms: dict[tuple[Condition, bool], list[Conjunct]] = {}
        self._paths: dict[tuple[tuple[str, ...], frozenset[Literal], bool], bool] = {}

    def form(self, condition: Condition, positive: bool) -> list[Conjunct]:
        key = (condition, positive)
        if key not in self._forms:
            self._forms[key] = [c for c in _dnf(condition, positive) if self.conjunct_ok(c)]
        return self._forms[key]

    def satisfiable(self, conditions: Sequence[tuple[Condition, bool]]) -> bool | None:
        """Whether the conditions (each negated when its flag is false) can all hold
        together; ``None`` when the question is too large to decide."""
        try:
            parts = sorted((self.form(c, p) for c, p in conditions), key=len)
            return self._search(parts, 0, frozenset(), [MAX_STEPS])
        except TooComplex:
            return None

    def _search(self, parts: list[list[Conjunct]], i: int, chosen: Conjunct,
                budget: list[int]) -> bool:
        """Depth first: one conjunct of each part, consistent together."""
        if i == len(parts):
            return True
        for conjunct in parts[i]:
            budget[0] -= 1
            if budget[0] < 0:
                raise TooComplex
            merged = chosen | conjunct
            if self.conjunct_ok(merged) and self._search(parts, i + 1, merged, budget):
                return True
        return False

    def conjunct_ok(self, conjunct: Conjunct) -> bool:
        if any(Literal(lit.atom, not lit.positive) in conjunct for lit in conjunct):
            return False
        by_path: dict[tuple[str, ...], list[Literal]] = {}
        required: set[tuple[str, ...]] = set()
        for lit in conjunct:
            if isinstance(lit.atom, Compare) and isinstance(lit.atom.value, FieldRef):
                if lit.positive:  # a comparison with a missing operand is false
                    required |= {lit.atom.path, lit.atom.value.path}
                continue
            by_path.setdefault(lit.atom.path, []).append(lit)
        for path in required - set(by_path):
            by_path[path] = []
        return all(self.path_ok(path, frozenset(lits), path in required)
                   for path, lits in by_path.items()) and self._linked_ok(
            [lit for lit in conjunct if isinstance(lit.atom, Compare)
             and isinstance(lit.atom.value, FieldRef)], by_path, required)

    def _linked_ok(self, refs: list[Literal], by_path: Mapping[tuple[str, ...], list[Literal]],
                   required: set[tuple[str, ...]]) -> bool:
        """Whether the field-to-field comparisons between facts of finite domains can hold
        together with each fact's own literals (the others are not decided: possibly)."""
        pairs = [(ref, _linked(ref)) for ref in refs]
        finite = {p: self.domains.get(".".join(p)) for _, both in pairs for p in both}
        decided = [(ref, both) for ref, both in pairs if all(
            finite[p] is not None and self.types.get(".".join(p)) != "list" for p in both)]
        if not decided:
            return True
        paths = sorted({p for _, both in decided for p in both})
        options = [[v for v in ([] if p in required else [MISSING]) + list(finite[p] or ())
                    if all(_holds(lit, p, v) for lit in by_path.get(p, ()))] for p in paths]
        if _count(options) > MAX_PAIRS:
            return True
        return any(all(holds(ref.atom, _fact(paths, values)) == ref.positive
                       for ref, _ in decided)
                   for values in itertools.product(*options))

    def path_ok(self, path: tuple[str, ...], lits: frozenset[Literal], must_exist: bool) -> bool:
        key = (path, lits, must_exist)
        found = self._paths.get(key)
        if found is None:
            dotted = ".".join(path)
            candidates: list[Any] = [] if must_exist else [MISSING]
            candidates += _values(list(lits), self.domains.get(dotted), self.types.get(dotted))
            found = any(all(_holds(lit, path, value) for lit in lits) for value in candidates)
            self._paths[key] = found
        return found


def satisfiable(conditions: Sequence[tuple[Condition, bool]], domains: Domains,
                types: Mapping[str, str]) -> bool | None:
    """``Solver(domains, types).satisfiable(conditions)``, for one question."""
    return Solver(domains, types).satisfiable(conditions)


def _holds(lit: Literal, path: tuple[str, ...], value: Any) -> bool:
    atom = lit.atom
    if (value == _FRESH and isinstance(atom, Compare) and atom.op == "matches"):
        return True  # undecided: possibly true either way
    fact: dict[str, Any] = {}
    if value is not MISSING:
        node = fact
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = list(value) if isinstance(value, tuple) else value
    return holds(atom, fact) == lit.positive


def _linked(ref: Literal) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two facts a field-to-field comparison reads."""
    atom = ref.atom
    assert isinstance(atom, Compare) and isinstance(atom.value, FieldRef)
    return atom.path, atom.value.path


def _count(options: list[list[Any]]) -> int:
    total = 1
    for option in options:
        total *= len(option)
    return total


def _fact(paths: Sequence[tuple[str, ...]], values: Sequence[Any]) -> dict[str, Any]:
    """The input holding each path's value (a missing one left out)."""
    fact: dict[str, Any] = {}
    for path, value in zip(paths, values, strict=True):
        if value is MISSING:
            continue
        node = fact
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return fact


def _constants(lits: list[Literal]) -> list[Scalar]:
    out: list[Scalar] = []
    for lit in lits:
        if isinstance(lit.atom, Compare):
            value = lit.atom.value
            out += list(value) if isinstance(value, tuple) else [value]  # type: ignore[list-item]
    return out


def _values(lits: list[Literal], domain: Collection[Scalar] | None,
            kind: str | None) -> list[Any]:
    constants = _constants(lits)
    ops = {lit.atom.op for lit in lits if isinstance(lit.atom, Compare)}
    if kind is None:  # a fact of a rule set whose types the kind does not list
        kind = ("list" if "contains" in ops else "boolean" if constants and all(
            isinstance(c, bool) for c in constants) else None)
    if kind == "list":
        need = tuple(dict.fromkeys(
            lit.atom.value for lit in lits
            if lit.positive and isinstance(lit.atom, Compare) and lit.atom.op == "contains"))
        if domain is not None and any(v not in domain for v in need):
            return []
        return [need]
    if kind == "boolean":
        return [True, False]
    if domain is not None:
        return list(domain)
    if kind == "number" or (kind is None and any(_number(c) for c in constants)):
        return _number_candidates([c for c in constants if _number(c)])
    return [*dict.fromkeys(c for c in constants if isinstance(c, str)), _FRESH]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_candidates(constants: list[Any]) -> list[Any]:
    points = sorted(set(constants))
    if not points:
        return [0]
    out: list[Any] = [points[0] - 1, points[-1] + 1, *points]
    out += [(a + b) / 2 for a, b in itertools.pairwise(points)]
    return out
