"""What both engines refuse in a fact, so that they decide alike or refuse alike.

- A number a rule compares as a number (``lt le gt ge``, ``eq ne in not_in`` with a number, a
  comparison of two fields) must lie within ±2^53: durable_rules holds numbers as 64-bit
  integers or doubles, so beyond that two different numbers can compare equal (and integers
  beyond 2^63 overflow), while Python compares them exactly. Rule literals have the same
  bound. Numbers inside a list read by ``contains`` are bound alike.
- A text tested by ``matches`` may be at most ``MAX_MATCH_TEXT`` (10,000) characters.

Either raises ``InputError`` naming the field (access decisions then deny, failing closed).
The checks run on every path the rule set reads that way, whichever rules end up tested.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from finpolicy.errors import InputError, InputProblem, PolicyError, Problem
from finpolicy.rules.conditions import ORDERING, All, Compare, Condition, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.patterns import MAX_MATCH_TEXT

MAX_EXACT_NUMBER = 2**53

__all__ = ["MAX_DEPTH", "MAX_EXACT_NUMBER", "MAX_MATCH_TEXT", "FactChecks", "check_depth",
           "check_list", "depth", "number_out_of_range", "text_too_long"]

Path = tuple[str, ...]


def _describe(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return f"`{value!r}`"


def number_out_of_range(path: Path, value: Any) -> InputError:
    """The error for a number beyond ±2^53 at ``path``."""
    return InputError([InputProblem(
        ".".join(path), f"number {_describe(value)} is beyond ±2^53 "
        f"({MAX_EXACT_NUMBER:,}), which the engines cannot compare exactly",
        code="number_out_of_range", value=value)])


def text_too_long(path: Path, value: str) -> InputError:
    """The error for a text longer than ``MAX_MATCH_TEXT`` under ``matches``."""
    return InputError([InputProblem(
        ".".join(path), f"text of {len(value):,} characters is longer than the "
        f"{MAX_MATCH_TEXT:,} a pattern is applied to", code="text_too_long",
        value=value[:100] + "…")])


def out_of_range(value: Any) -> bool:
    """A finite number (not a boolean) beyond ±2^53."""
    if value.__class__ is bool or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and infinities are present but untyped: compared with nothing
    return not -MAX_EXACT_NUMBER <= value <= MAX_EXACT_NUMBER


def check_list(path: Path, items: Iterable[Any]) -> None:
    """Raise when a list read by ``contains`` holds a number beyond ±2^53."""
    for item in items:
        if out_of_range(item):
            raise number_out_of_range(path, item)


@attrs.frozen(slots=True)
class FactChecks:
    """The paths of a rule set whose values are bounded, by the way the rules read them."""

    numbers: frozenset[Path] = frozenset()
    lists: frozenset[Path] = frozenset()
    texts: frozenset[Path] = frozenset()
    # (path, compared as a number, read by contains, tested by matches), in path order
    order: tuple[tuple[Path, bool, bool, bool], ...] = attrs.field(init=False, eq=False)

    @order.default
    def _order(self) -> tuple[tuple[Path, bool, bool, bool], ...]:
        return tuple((path, path in self.numbers, path in self.lists, path in self.texts)
                     for path in sorted(self.numbers | self.lists | self.texts))

    @classmethod
    def of(cls, conditions: Iterable[Condition]) -> FactChecks:
        numbers: set[Path] = set()
        lists: set[Path] = set()
        texts: set[Path] = set()
        stack = list(conditions)
        while stack:
            cond = stack.pop()
            kind = cond.__class__
            if kind is All or kind is AnyOf:
                stack.extend(cond.items)  # type: ignore[union-attr]
            elif kind is Not:
                stack.append(cond.item)  # type: ignore[union-attr]
            elif kind is Compare:
                op, path, value = cond.op, cond.path, cond.value  # type: ignore[union-attr]
                if value.__class__ is FieldRef:
                    numbers.update((path, value.path))
                elif op == "contains":
                    lists.add(path)
                elif op == "matches":
                    texts.add(path)
                elif op in ORDERING or any(
                        isinstance(x, int | float) and x.__class__ is not bool
                        for x in (value if isinstance(value, tuple) else (value,))):
                    numbers.add(path)
        return cls(frozenset(numbers), frozenset(lists), frozenset(texts))

    def check(self, fact: Mapping[str, Any], read: Any) -> None:
        """Raise ``InputError`` for the first value out of bounds (``read(fact, path)``)."""
        for path, number, listed, text in self.order:
            value = read(fact, path)
            if number and out_of_range(value):
                raise number_out_of_range(path, value)
            if listed and isinstance(value, list | tuple):
                check_list(path, value)
            if text and isinstance(value, str) and len(value) > MAX_MATCH_TEXT:
                raise text_too_long(path, value)


MAX_DEPTH = 64
"""The deepest nesting of ``all``/``any``/``not`` an engine builds (the parser allows 32)."""


def depth(condition: Condition) -> int:
    """How deeply ``all``/``any``/``not`` nest in ``condition`` (a comparison is 0)."""
    deepest = 0
    stack: list[tuple[Condition, int]] = [(condition, 0)]
    while stack:
        cond, level = stack.pop()
        deepest = max(deepest, level)
        match cond:
            case All(items) | AnyOf(items):
                stack.extend((item, level + 1) for item in items)
            case Not(item):
                stack.append((item, level + 1))
    return deepest


def check_depth(conditions: Iterable[tuple[str, Condition]], source: str) -> None:
    """Raise ``PolicyError`` for conditions nested deeper than ``MAX_DEPTH``.

    Args:
        conditions: (rule id, condition) pairs.
        source: the file (or rule set) named in the problems.
    """
    problems = [Problem(source, None, f"rule `{rule_id}`", f"condition nested more than "
                        f"{MAX_DEPTH} levels deep", "condition_depth")
                for rule_id, cond in conditions if depth(cond) > MAX_DEPTH]
    if problems:
        raise PolicyError(problems)
