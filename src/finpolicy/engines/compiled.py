"""The compiled engine: each condition becomes a tree of Python closures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import RuleSet
from finpolicy.rules.patterns import compile_pattern

Fact = Mapping[str, Any]
Test = Callable[[Fact], bool]
Getter = Callable[[Fact], Any]


def getter(path: tuple[str, ...]) -> Getter:
    """A function reading ``path`` from a nested mapping; ``None`` means missing."""
    if len(path) == 1:
        (key,) = path

        def get_one(fact: Fact) -> Any:
            return fact.get(key)

        return get_one

    def get_nested(fact: Fact) -> Any:
        value: Any = fact
        for key in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return get_nested


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equals(literal: Any) -> Callable[[Any], bool]:
    """Same scalar type and equal (``1 == 1.0``; ``True`` is not ``1``)."""
    if isinstance(literal, bool):
        return lambda v: isinstance(v, bool) and v is literal
    if isinstance(literal, str):
        return lambda v: isinstance(v, str) and v == literal
    return lambda v: _is_number(v) and v == literal


def same(a: Any, b: Any) -> bool:
    """Field-to-field equality with the same typing as ``equals``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, str):
        return isinstance(b, str) and a == b
    return _is_number(a) and _is_number(b) and a == b


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


def compile_condition(condition: Condition) -> Test:
    """Compile one condition to a closure ``fact -> bool``."""
    match condition:
        case All(items):
            tests = tuple(compile_condition(i) for i in items)
            return lambda f: all(t(f) for t in tests)
        case AnyOf(items):
            tests = tuple(compile_condition(i) for i in items)
            return lambda f: any(t(f) for t in tests)
        case Not(item):
            test = compile_condition(item)
            return lambda f: not test(f)
        case Exists(path, present):
            get = getter(path)
            return (lambda f: get(f) is not None) if present else (lambda f: get(f) is None)
        case Compare(op, path, FieldRef(other)):
            return _field_compare(op, getter(path), getter(other))
        case Compare(op, path, value):
            return _literal_compare(op, getter(path), value)
    raise TypeError(f"not a condition: {condition!r}")


def _field_compare(op: str, left: Getter, right: Getter) -> Test:
    if op == "eq":
        return lambda f: same(left(f), right(f))
    if op == "ne":
        def ne(f: Fact) -> bool:
            a, b = left(f), right(f)
            return a is not None and b is not None and not same(a, b)
        return ne
    order = _ORDER[op]

    def compare(f: Fact) -> bool:
        a, b = left(f), right(f)
        return _is_number(a) and _is_number(b) and order(a, b)

    return compare


def _literal_compare(op: str, get: Getter, value: Any) -> Test:
    if op == "eq":
        eq = equals(value)
        return lambda f: eq(get(f))
    if op == "ne":
        eq = equals(value)

        def ne(f: Fact) -> bool:
            v = get(f)
            return v is not None and not eq(v)

        return ne
    if op in ("in", "not_in"):
        checks = tuple(equals(v) for v in value)
        if op == "in":
            return lambda f: (lambda v: any(c(v) for c in checks))(get(f))

        def not_in(f: Fact) -> bool:
            v = get(f)
            return v is not None and not any(c(v) for c in checks)

        return not_in
    if op == "matches":
        pattern = compile_pattern(value).python

        def matches(f: Fact) -> bool:
            v = get(f)
            return isinstance(v, str) and pattern.fullmatch(v) is not None

        return matches
    if op == "contains":
        eq = equals(value)

        def contains(f: Fact) -> bool:
            v = get(f)
            return isinstance(v, list | tuple) and any(eq(e) for e in v)

        return contains
    order = _ORDER[op]

    def compare(f: Fact) -> bool:
        v = get(f)
        return _is_number(v) and order(v, value)

    return compare


class CompiledEvaluator:
    """Evaluates a rule set with closures; safe to share between threads (no state)."""

    engine_name = "compiled"

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._tests = tuple(compile_condition(r.when) for r in ruleset.rules)

    def matches(self, fact: Fact) -> tuple[int, ...]:
        """Indices of the rules whose condition holds, in rule order."""
        return tuple(i for i, test in enumerate(self._tests) if test(fact))

    def close(self) -> None:
        """Nothing to release."""
