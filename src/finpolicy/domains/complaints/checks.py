"""What a milestone asks of the events beyond their time: what a letter states, who approved
an extension, a request window, and a clock restarted by new material.

- ``requires``: a completing event counts only when it states every required content
  (``ComplaintEvent.states``); one that does not leaves the milestone open, with a note.
- an extension with ``approved_by`` counts only when its event names one of those approvers
  (``ComplaintEvent.approved_by``), and one with ``requires`` only when it states them.
- ``starts_within``: the starting event counts only when it happens after the window's event
  and by the end of the window (e.g. a review requested within 30 days of the decision); one
  before any such event is refused (``early_start``: a review of no decision).
- ``conditional``: an event completing only conditional milestones before any of their
  starting events completes nothing and is refused (``early_completion``: a review decided
  with no review requested).
- ``restarted_by``: the clock starts again from the latest such event after the start and
  before completion (new material restarts the count, CBIRC 2020 No. 3 Art. 18).

All times are UTC; notes show local times of the policy's zone.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection, Mapping, Sequence
from typing import Any

__all__ = ["Marks", "completion", "counted_extension", "early_completers", "early_completion",
           "early_start", "minute_text", "restart", "watched", "window_openers",
           "window_start"]

Marks = Mapping[tuple[str, dt.datetime], Sequence[Any]]
"""``(kind, UTC time)`` → the events of that kind at that time that carry states or an
approver (``ComplaintEvent``)."""


def _states(marks: Marks, kind: str, at: dt.datetime) -> set[str]:
    return {s for e in marks.get((kind, at), ()) for s in e.states}


def _approvers(marks: Marks, kind: str, at: dt.datetime) -> set[str]:
    return {e.approved_by for e in marks.get((kind, at), ()) if e.approved_by}


def minute_text(local: dt.datetime) -> str:
    """``local`` as notes show it: ``2026-03-05 14:30`` (what ``strftime("%Y-%m-%d %H:%M")``
    gives, a few times cheaper; %-formatting is faster still than an f-string here)."""
    return "%d-%02d-%02d %02d:%02d" % (  # noqa: UP031
        local.year, local.month, local.day, local.hour, local.minute)


def _when(at: dt.datetime, zone: Any) -> str:
    return minute_text(at.astimezone(zone))


def completion(completed_by: Collection[str], requires: Collection[str],
               every: Mapping[str, list[dt.datetime]], marks: Marks, start: dt.datetime,
               zone: Any) -> tuple[dt.datetime | None, list[str]]:
    """The first completing event at or after ``start`` that states ``requires``, and a note
    for each earlier completing event that did not."""
    best: dt.datetime | None = None
    failed: list[tuple[dt.datetime, str, list[str]]] = []
    for kind in completed_by:
        for at in every.get(kind, ()):  # in time order
            if at < start:
                continue
            missing = sorted(set(requires) - _states(marks, kind, at)) if requires else []
            if not missing:
                if best is None or at < best:
                    best = at
                break
            failed.append((at, kind, missing))
    notes = [f"`{kind}` at {_when(at, zone)} does not complete it: it did not state "
             f"{', '.join(missing)}" for at, kind, missing in sorted(failed)
             if best is None or at < best]
    return best, notes


def counted_extension(event: str, approved_by: Collection[str], requires: Collection[str],
                      every: Mapping[str, list[dt.datetime]], marks: Marks,
                      zone: Any) -> tuple[dt.datetime | None, list[str]]:
    """The first occurrence of ``event`` that was approved as required and states
    ``requires``, and a note for each earlier one that was not or did not."""
    notes: list[str] = []
    for at in every.get(event, ()):
        why = []
        if approved_by:
            who = _approvers(marks, event, at)
            if not who & set(approved_by):
                why.append(f"approved by {', '.join(sorted(who)) or 'no one'}, not by "
                           f"{' or '.join(approved_by)}")
        if requires:
            missing = sorted(set(requires) - _states(marks, event, at))
            if missing:
                why.append(f"it did not state {', '.join(missing)}")
        if not why:
            return at, notes
        notes.append(f"extension `{event}` at {_when(at, zone)} not counted: {'; '.join(why)}")
    return None, notes


def window_start(starts: str, after: str, first: Mapping[str, dt.datetime],
                 every: Mapping[str, list[dt.datetime]], window_end: Any,
                 ) -> dt.datetime | None:
    """The first ``starts`` event after the first ``after`` event and by the window's end
    (``window_end(after_time)`` gives it), or ``None``."""
    opened = first.get(after)
    if opened is None:
        return None
    end = window_end(opened)
    for at in every.get(starts, ()):
        if at >= opened:
            return at if at <= end else None
    return None


def restart(restarted_by: Collection[str], every: Mapping[str, list[dt.datetime]],
            start: dt.datetime, completed: dt.datetime | None,
            now: dt.datetime) -> dt.datetime | None:
    """The latest restarting event after ``start``, before completion and not after ``now``
    (events after ``now`` are already left out of ``every``)."""
    latest = None
    for kind in restarted_by:
        for at in every.get(kind, ()):
            if at > start and (completed is None or at < completed) and at <= now and (
                    latest is None or at > latest):
                latest = at
    return latest


_OPENERS: weakref.WeakKeyDictionary[Any, tuple[tuple[str, str, str], ...]] = \
    weakref.WeakKeyDictionary()
_STARTERS: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], frozenset[str]]] = \
    weakref.WeakKeyDictionary()


def window_openers(rules: Any) -> tuple[tuple[str, str, str], ...]:
    """``(starting event, the event its window follows, milestone)`` for each milestone of
    ``rules`` (``ComplaintRules``, hashed by identity) with a ``starts_within`` window after
    another event than the receipt."""
    found = _OPENERS.get(rules)
    if found is None:
        found = _OPENERS[rules] = tuple(
            (m.starts, m.window[0], m.name) for m in rules.milestones
            if m.window is not None and m.window[0] != "received")
    return found


_COMPLETERS: weakref.WeakKeyDictionary[Any, tuple[tuple[str, tuple[str, ...], str], ...]] = \
    weakref.WeakKeyDictionary()


def early_completers(rules: Any) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """``(completing event, the starting events of the milestones it completes, one of
    them)`` for each event of ``rules`` that completes conditional milestones only (as the
    milestones and the rules' ``completed_by`` list them), such as a review's decision."""
    found = _COMPLETERS.get(rules)
    if found is None:
        completing: dict[str, list[Any]] = {}
        for m in rules.milestones:
            kinds = set(m.completed_by).union(*(spec.completed_by.get(m.name, ())
                                                for spec in rules.specs.values()))
            for kind in sorted(kinds):
                completing.setdefault(kind, []).append(m)
        found = _COMPLETERS[rules] = tuple(
            (kind, tuple(sorted({m.starts for m in ms})), ms[0].name)
            for kind, ms in completing.items() if all(m.conditional for m in ms))
    return found


def watched(rules: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The event kinds that start a window (``window_openers``) or complete conditional
    milestones only (``early_completers``), and those a target with an answer the other way
    measures: only events of these kinds need the checks of what the events say together."""
    found = _STARTERS.get(rules)
    if found is None:
        found = _STARTERS[rules] = (
            frozenset(starts for starts, _, _ in window_openers(rules)).union(
                kind for kind, _, _ in early_completers(rules)),
            frozenset(t.event for t in rules.targets if t.against is not None))
    return found


def _firsts(ordered: Sequence[tuple[dt.datetime, int, str, Any]]
            ) -> dict[str, tuple[dt.datetime, int]]:
    first: dict[str, tuple[dt.datetime, int]] = {}
    for at, i, kind, _ in ordered:
        if kind not in first:
            first[kind] = (at, i)
    return first


def early_completion(completers: tuple[tuple[str, tuple[str, ...], str], ...],
                     ordered: Sequence[tuple[dt.datetime, int, str, Any]],
                     ) -> tuple[int, str, str, str] | None:
    """The first event completing conditional milestones only (``early_completers``) that
    happened before any of their starting events: ``(index, kind, the starting events as
    text, milestone)``, or ``None``."""
    first = _firsts(ordered)
    for kind, starts, name in completers:
        done = first.get(kind)
        if done is None:
            continue
        began = [first[s][0] for s in starts if s in first]
        if not began or done[0] < min(began):
            return done[1], kind, " or ".join(f"`{s}`" for s in starts), name
    return None


def early_start(openers: tuple[tuple[str, str, str], ...],
                ordered: Sequence[tuple[dt.datetime, int, str, Any]],
                ) -> tuple[int, str, str, str] | None:
    """The first starting event of a window that happened before any of the window's own
    event (``ordered``: the complaint's events in time order, as (time, index, kind, ...)):
    ``(index, kind, window event, milestone)``, or ``None``."""
    first = _firsts(ordered)
    for starts, after, name in openers:
        began = first.get(starts)
        if began is None:
            continue
        opened = first.get(after)
        if opened is None or began[0] < opened[0]:
            return began[1], starts, after, name
    return None
