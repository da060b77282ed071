"""Deadlines for complaint milestones: ``WorkingCalendar`` plus caches, and a ``weeks`` unit.

Without pauses a working-day deadline depends only on the local receipt day, whether the
receipt was after the cut-off, and the count; a calendar-day deadline only on the local day and
the count. Those are cached per calendar, so a batch of complaints costs a dict lookup per
milestone. With pauses the calendar computes each deadline afresh.

``weeks`` (the FCA's "eight weeks after receipt") is not in ``WorkingCalendar``: the period
ends at the end of the same local weekday ``n`` weeks after receipt, with no move to a working
day; each later local day on which the clock was paused moves it out by a day.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

from finpolicy.calendars import Pause, WorkingCalendar

_UTC = dt.UTC
_MAX_CACHE = 200_000  # entries per calendar; cleared when full so memory stays flat


class Clock:
    """Cached deadline arithmetic over one ``WorkingCalendar``."""

    __slots__ = ("__weakref__", "_cache", "_lock", "calendar", "cutoff", "zone")

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.zone = calendar.local(dt.datetime(2000, 1, 1, tzinfo=_UTC)).tzinfo
        self.cutoff = calendar.cutoff
        self._cache: dict[tuple[object, ...], tuple[dt.datetime, dt.datetime]] = {}
        self._lock = threading.Lock()

    def deadline(self, start: dt.datetime, start_local: dt.datetime, amount: int, unit: str,
                 pauses: Sequence[Pause] = ()) -> tuple[dt.datetime, dt.datetime]:
        """The deadline for ``amount`` ``unit`` from ``start`` (UTC; ``start_local`` is the
        same instant in the calendar's zone), as ``(local, UTC)``."""
        if unit == "hours":
            if pauses:
                due = self.calendar.hours_deadline(start, amount, pauses)
                return due, due.astimezone(_UTC)
            due = start.astimezone(_UTC) + dt.timedelta(hours=amount)
            return due.astimezone(self.zone), due
        if unit == "weeks":
            local = self._weeks(start_local, amount, pauses)
            return local, local.astimezone(_UTC)
        if pauses:
            local = self.calendar.deadline(start_local, amount, unit,  # type: ignore[arg-type]
                                           pauses)
            return local, local.astimezone(_UTC)
        day = start_local.toordinal()
        key: tuple[object, ...]
        if unit == "working_days":
            key = (1, day, start_local.time() <= self.cutoff, amount)
        else:
            key = (2, day, amount)
        found = self._cache.get(key)
        if found is None:
            local = self.calendar.deadline(start_local, amount, unit)  # type: ignore[arg-type]
            found = (local, local.astimezone(_UTC))
            with self._lock:
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                self._cache[key] = found
        return found

    def _weeks(self, start: dt.datetime, n: int, pauses: Sequence[Pause]) -> dt.datetime:
        first = start.astimezone(self.zone).toordinal()
        due = first + 7 * n
        for paused in paused_days(pauses, start, self.zone):
            if paused <= first:
                continue
            if paused > due:
                break
            due += 1
        return self.calendar.end_of_day(dt.date.fromordinal(due))


def paused_days(pauses: Sequence[Pause], start: dt.datetime, zone: dt.tzinfo | None) -> list[int]:
    """Sorted local-day ordinals touched by a positive-length part of a pause after ``start``.

    A pause ending exactly at local midnight does not touch the next day (as in
    ``WorkingCalendar``).
    """
    touched: set[int] = set()
    for begin, end in merge(pauses, start):
        first = begin.astimezone(zone).toordinal()
        local_end = end.astimezone(zone)
        last = local_end.toordinal() - (local_end.time() == dt.time(0))
        touched.update(range(first, last + 1))
    return sorted(touched)


def merge(pauses: Sequence[Pause], not_before: dt.datetime) -> list[Pause]:
    """Pauses as sorted, disjoint, non-empty UTC intervals from ``not_before`` on."""
    floor = not_before.astimezone(_UTC)
    intervals = sorted((max(a.astimezone(_UTC), floor), b.astimezone(_UTC)) for a, b in pauses)
    merged: list[Pause] = []
    for begin, end in intervals:
        if end <= begin:
            continue
        if merged and begin <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return merged


def paused_time(pauses: Sequence[Pause], start: dt.datetime, end: dt.datetime) -> float:
    """Seconds of (merged) pause inside ``start..end``."""
    total = 0.0
    stop = end.astimezone(_UTC)
    for begin, finish in merge(pauses, start):
        if begin >= stop:
            break
        total += (min(finish, stop) - begin).total_seconds()
    return total
