"""What a bundle's rules talk about: literals per field path, numeric boundaries, dates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from finpolicy.documents.bundle import Bundle
from finpolicy.rules.conditions import All, Compare, Condition, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf


def _walk(cond: Condition, out: dict[str, set[Any]]) -> None:
    match cond:
        case All(items) | AnyOf(items):
            for item in items:
                _walk(item, out)
        case Not(item):
            _walk(item, out)
        case Compare(_, path, FieldRef()):
            out.setdefault(".".join(path), set())
        case Compare(_, path, tuple(values)):
            out[".".join(path)].update(values)
        case Compare(_, path, value):
            out[".".join(path)].add(value)


def literals(bundle: Bundle, kind: str) -> dict[str, set[Any]]:
    """Every literal the rules and the invariants of ``kind`` compare each field path with.

    The invariants' own values count too, so the strategies still reach an invariant's
    ``given`` when the rule that mentioned them is removed (a change the invariant exists to
    catch).
    """
    out: dict[str, set[Any]] = defaultdict(set)
    for doc in bundle.policies(kind):
        for ruleset in doc.policy.rulesets.values():
            for rule in ruleset.rules:
                _walk(rule.when, out)
        for invariant in getattr(doc.policy, "invariants", ()):
            _walk(invariant.given, out)
            _walk(invariant.expect, out)
    return dict(out)


def numbers(found: dict[str, set[Any]], path: str) -> list[float]:
    """The numeric literals of ``path`` and their neighbours (to land on both sides)."""
    out: set[float] = set()
    for value in found.get(path, ()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.update({value - 1, value, value + 1})
    return sorted(out)


def effective_dates(bundle: Bundle, kind: str) -> list[dt.date]:
    """The first and last days of every version's window, and the days around them."""
    days: set[dt.date] = set()
    for doc in bundle.policies(kind):
        start, until = doc.metadata.effective_from, doc.metadata.effective_until
        days.update({start, start + dt.timedelta(days=1)})
        if until is not None:
            days.update({until, until - dt.timedelta(days=1)})
    return sorted(days)
