"""Inputs aimed at what changed between two bundles, always evaluated by ``diff`` (never left
to the random draw):

- every example and case on each day a policy version of either bundle comes into or goes out
  of force, and the days beside them: the input as it is, re-dated;
- every example and case moved in time onto the first day each changed version is in force and
  the first day after it, its own dates moved with it (a customer the same age, an assessment
  as old, a complaint as far along), so the same situation is judged under the new version;
- variants that put a fact a changed rule compares with a number (``customer.age ge 60``
  where it was 65) on each side of the old and new numbers. Facts are derived (an age from a
  birth date), so which input field moves a fact, and how far, is measured: each number or
  date of the input is nudged once and the fact read again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from finpolicy.documents.bundle import Bundle
from finpolicy.documents.digests import WINDOW, content_digest
from finpolicy.rules.conditions import All, Compare, Condition, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.testing.samples import _DATE, _DATETIME, Sample, _at_day, _leaves, _set, derive

__all__ = ["FactReader", "Focus", "focus", "focused_samples"]

Path = tuple[str | int, ...]
# reads the numbers a fact path holds while an input is evaluated (one per decision)
Probe = Callable[[Sample, tuple[str, ...]], list[float]]


@attrs.frozen(slots=True)
class Focus:
    """What changed between two bundles, as ``diff`` aims inputs at it.

    Attributes:
        days: every first and last day in force of a version of either bundle, and the days
            beside them.
        changed_days: the first day in force of each version that differs between the
            bundles, and the first day after its window.
        thresholds: per fact path (``customer.age``), the numbers changed rules compare it
            with, under either bundle.
    """

    days: tuple[dt.date, ...] = ()
    changed_days: tuple[dt.date, ...] = ()
    thresholds: Mapping[tuple[str, ...], tuple[float, ...]] = attrs.field(factory=dict)
    apart: tuple[dt.date, ...] = ()
    bounds: tuple[dt.date, ...] = ()
    everywhere: bool = False  # the manifests' shared vocabulary differs: every day is apart
    sides: tuple[tuple[Any, ...], tuple[Any, ...]] = attrs.field(default=((), ()), eq=False,
                                                                 repr=False)

    def apart_on(self, day: dt.date) -> bool:
        """Whether the versions in force on ``day`` say different things on the two sides."""
        return self.everywhere or _in_force(self.sides[0], day) != _in_force(self.sides[1], day)

    def regridded(self, base: Sample) -> Iterator[Sample]:
        """``base`` moved (with its dates) onto the first day of each period in which the
        bundles' versions in force say different things, unless its own day is in it."""
        if base.as_of is None:
            return
        own = _day_of(base.as_of)
        for day in self.apart:
            if any(min(own, day) < b <= max(own, day) for b in self.bounds):
                moved = translated(base, day)
                if moved is not None:
                    yield moved

    def retargeted(self, base: Sample) -> list[Sample]:
        """Where generated variants of ``base`` are worth deriving from: ``base`` itself when
        the two sides decide apart on its day, and ``base`` moved into each other period in
        which they do (a matrix or a perturbation on a day both decide alike finds nothing).
        ``[base]`` when they decide alike every day."""
        if base.as_of is None or not (self.apart or self.everywhere):
            return [base]
        out = [base] if self.apart_on(_day_of(base.as_of)) else []
        return [*out, *self.regridded(base)] or [base]


def _shift(day: dt.date, days: int) -> dt.date | None:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def focus(old: Bundle, new: Bundle, kinds: Iterable[str]) -> Focus:
    """The days and thresholds where the bundles' policies of ``kinds`` may decide apart."""
    wanted = set(kinds)
    sides = [[d for d in b.documents if d.kind in wanted] for b in (old, new)]
    digests = [{(d.id, d.version, d.digest) for d in side} for side in sides]
    days: set[dt.date | None] = set()
    changed: set[dt.date | None] = set()
    for side, other in ((sides[0], digests[1]), (sides[1], digests[0])):
        for doc in side:
            start, until = doc.metadata.effective_from, doc.metadata.effective_until
            days |= {_shift(start, -1), start}
            if until is not None:
                days |= {until, _shift(until, 1)}
            if (doc.id, doc.version, doc.digest) not in other:
                changed |= {start, None if until is None else _shift(until, 1)}
    bounds = sorted({b for side in sides for d in side for b in _bounds(d)})
    apart = tuple(day for day in bounds if _in_force(sides[0], day) != _in_force(sides[1], day))
    everywhere = old.manifest.vocabulary != new.manifest.vocabulary
    return Focus(tuple(sorted(d for d in days if d is not None)),
                 tuple(sorted(d for d in changed if d is not None)),
                 _thresholds(sides[0], sides[1]), apart, tuple(bounds), everywhere,
                 (tuple(sides[0]), tuple(sides[1])))


def _bounds(doc: Any) -> list[dt.date]:
    """The first day of ``doc``'s window and the first day after it."""
    until = doc.metadata.effective_until
    after = None if until is None else _shift(until, 1)
    return [doc.metadata.effective_from, *([after] if after is not None else [])]


def _in_force(docs: Sequence[Any], day: dt.date) -> frozenset[str]:
    """What the versions in force on ``day`` say: their content without window or version."""
    return frozenset(content_digest(d.data, (*WINDOW, "version"))
                     for d in docs if d.metadata.in_force(day))


def _comparisons(cond: Condition, out: set[tuple[str, str, float]]) -> None:
    if isinstance(cond, All | AnyOf):
        for item in cond.items:
            _comparisons(item, out)
    elif isinstance(cond, Not):
        _comparisons(cond.item, out)
    elif isinstance(cond, Compare) and not isinstance(cond.value, FieldRef | bool) \
            and isinstance(cond.value, int | float):
        out.add((".".join(cond.path), cond.op, float(cond.value)))


def _numbers(docs: Sequence[Any]) -> set[tuple[str, str, str, str, float]]:
    """``(policy, rule, path, op, number)`` of every numeric comparison of ``docs``' rules."""
    out: set[tuple[str, str, str, str, float]] = set()
    for doc in docs:
        for ruleset in doc.policy.rulesets.values():
            for rule in ruleset.rules:
                found: set[tuple[str, str, float]] = set()
                _comparisons(rule.when, found)
                out.update((doc.id, rule.id, path, op, n) for path, op, n in found)
    return out


def _thresholds(old: Sequence[Any], new: Sequence[Any]) -> dict[tuple[str, ...], tuple[float, ...]]:
    """The numbers of every comparison a rule of one bundle has and the other's lacks, with
    the numbers the same rule compares the same fact with elsewhere (the old and the new
    threshold both)."""
    a, b = _numbers(old), _numbers(new)
    moved = {item[:4] for item in a ^ b}
    out: dict[tuple[str, ...], set[float]] = {}
    for pid, rid, path, op, n in a | b:
        if (pid, rid, path, op) in moved:
            out.setdefault(tuple(path.split(".")), set()).add(n)
    return {path: tuple(sorted(ns)) for path, ns in sorted(out.items())}


def _targets(numbers: Iterable[float]) -> list[float]:
    """Values on both sides of each threshold: one either side of a whole number, a hundredth
    of it either side of a fraction."""
    out: set[float] = set()
    for n in numbers:
        step = 1.0 if float(n).is_integer() else max(abs(n), 1.0) / 100
        out |= {n - step, n, n + step}
    return sorted(out)


def _day_of(when: dt.date | dt.datetime) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


D = TypeVar("D", dt.date, dt.datetime)


def _plus_years(when: D, years: int) -> D:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def _moved(value: Any, delta: dt.timedelta, years: int = 0) -> Any:
    """``value`` moved by ``years`` (calendar years: a birthday stays a birthday) and
    ``delta`` when it is an ISO date or date-time, else as it is."""
    if isinstance(value, list):
        return [_moved(v, delta, years) for v in value]
    if not isinstance(value, str):
        return value
    try:
        if _DATETIME.match(value):
            return (_plus_years(dt.datetime.fromisoformat(value), years) + delta).isoformat()
        if _DATE.fullmatch(value):
            return (_plus_years(dt.date.fromisoformat(value), years) + delta).isoformat()
    except (ValueError, OverflowError):
        return value
    return value


def translated(base: Sample, day: dt.date) -> Sample | None:
    """``base`` evaluated on ``day`` with every date and time of its input moved as far (by
    whole years first, so ages and anniversaries stay as they were)."""
    if base.as_of is None or day == _day_of(base.as_of):
        return None
    start = _day_of(base.as_of)
    years = day.year - start.year
    try:
        delta = day - _plus_years(start, years)
    except ValueError:
        return None
    data = base.input
    for path, value in _leaves(data):
        if path and _moved(value, delta, years) != value:
            data = _set(data, path, _moved(value, delta, years))
    return derive(base, data, _at_day(base.as_of, day),
                  f"its dates moved to {day.isoformat()}")


def redated(base: Sample, days: Iterable[dt.date]) -> Iterator[Sample]:
    """``base`` as it is, evaluated on each of ``days``."""
    if base.as_of is None:
        return
    for day in days:
        if day != _day_of(base.as_of):
            when = _at_day(base.as_of, day)
            yield derive(base, base.input, when, f"as of {when.isoformat()}")


_DAY = dt.timedelta(days=1)
_YEAR = 365  # days a date is nudged by to see whether a fact moves with it (an age does)


def _nudged(value: Any) -> tuple[Any, float] | None:
    """``value`` nudged by one step, and the step in the value's own unit (days for dates)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value + 1, 1.0
    if isinstance(value, str) and (_DATETIME.match(value) or _DATE.fullmatch(value)):
        moved = _moved(value, _YEAR * _DAY)
        return (moved, float(_YEAR)) if moved != value else None
    return None


def _placed(value: Any, units: float) -> Any:
    """``value`` moved by ``units`` of its own unit (days for a date)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value + round(units)
    if isinstance(value, float):
        return value + units
    return _moved(value, dt.timedelta(days=round(units)))


def boundary_samples(base: Sample, thresholds: Mapping[tuple[str, ...], tuple[float, ...]],
                     probe: Probe) -> Iterator[Sample]:
    """Variants of ``base`` whose fact of each threshold lands next to each of its numbers,
    moving the one input field the fact follows (measured by nudging each in turn)."""
    for path, numbers in thresholds.items():
        before = probe(base, path)
        if not before:
            continue
        for where, value in _leaves(base.input):
            nudge = _nudged(value) if where else None
            if nudge is None:
                continue
            after = probe(derive(base, _set(base.input, where, nudge[0]), base.as_of, ""), path)
            slopes = [(b - a) / nudge[1] for a, b in zip(before, after, strict=False) if b != a]
            if not slopes:
                continue
            # the first decision the field moved (a list of products: the product it belongs to)
            at = next(i for i, (a, b) in enumerate(zip(before, after, strict=False)) if b != a)
            for target in _targets(numbers):
                units = (target - before[at]) / slopes[0]
                if not math.isfinite(units) or abs(units) > 1e6:
                    continue
                try:
                    data = _set(base.input, where, _placed(value, units))
                except (OverflowError, ValueError):
                    continue
                name = ".".join(map(str, path))
                yield derive(base, data, base.as_of,
                             f"{'.'.join(map(str, where))} set for {name} {target:g}")


class FactReader:
    """Reads the facts an engine's rules saw while it evaluated an input (as ``probe``)."""

    def __init__(self, evaluate: Callable[[Sample], object]) -> None:
        self.facts: list[Mapping[str, Any]] = []
        self._evaluate = evaluate

    def __call__(self, doc: Any, ruleset: str, fact: Mapping[str, Any], rules: Any) -> None:
        self.facts.append(fact)

    def read(self, sample: Sample, path: tuple[str, ...]) -> list[float]:
        self.facts.clear()
        self._evaluate(sample)
        out = []
        for fact in self.facts:
            value: Any = fact
            for part in path:
                value = value.get(part) if isinstance(value, Mapping) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append(float(value))
        return out


def focused_samples(base: Sample, where: Focus, probe: Probe) -> Iterator[Sample]:
    """Every input ``where`` asks for from ``base``: re-dated onto each transition day, moved
    with its dates onto each changed version's days, and on each side of each changed
    threshold (as it is and as moved)."""
    yield from redated(base, where.days)
    moved = [s for s in (translated(base, day) for day in where.changed_days) if s is not None]
    yield from moved
    if where.thresholds:
        for each in (base, *moved):
            yield from boundary_samples(each, where.thresholds, probe)
