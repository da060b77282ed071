"""Working days by index: a calendar's days over a span of years as arrays.

For every local day ``d`` of the span (an index from 1 January of the first year),
``through[d]`` counts the working days up to and including ``d`` (China's weekend working
days and substituted days off included, as ``WorkingCalendar.is_working_day`` says), and
``working`` lists the working days in order. "The n-th working day after ``d``" is then
``working[through[d] + n - 1]``: an array look-up, vectorised over millions of complaints.
Turning instants into local days looks them up among the UTC instants of local midnights,
computed once per day with ``zoneinfo``, so both agree with the row engine to the
microsecond.

A result outside the span is ``-1``: callers evaluate those rows with the row engine.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import numpy as np

from finpolicy.calendars import WorkingCalendar

__all__ = ["NO_DAY", "WorkdayIndex", "workday_index"]

NO_DAY = -1
"""A day index outside the span."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = 1_000_000
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    delta = value.astimezone(dt.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_micros(value: int, zone: dt.tzinfo) -> dt.datetime:
    """The aware datetime in ``zone`` of microseconds since the epoch."""
    return (_EPOCH + dt.timedelta(microseconds=int(value))).astimezone(zone)


class WorkdayIndex:
    """The days of ``calendar`` from 1 January ``first_year`` to 31 December ``last_year``.

    Attributes:
        base: the date ordinal of day index 0.
        is_working: one boolean per day.
        through: working days from day 0 up to and including each day.
        working: the day indices of the working days, in order.
        midnight: UTC microseconds at which each local day starts (one more at the end).
        end_of_day: UTC microseconds of each day's last instant (23:59:59.999999 local).
        cutoff: UTC microseconds of each day's cut-off (the wall-clock time, first fold).
    """

    def __init__(self, calendar: WorkingCalendar, first_year: int, last_year: int) -> None:
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year")
        zone = calendar.zone
        first = dt.date(first_year, 1, 1)
        days = (dt.date(last_year, 12, 31) - first).days + 1
        dates = [first + dt.timedelta(days=i) for i in range(days)]
        self.calendar = calendar
        self.first_year, self.last_year = first_year, last_year
        self.base = first.toordinal()
        self.is_working: BoolArray = np.fromiter(
            (calendar.is_working_day(d) for d in dates), dtype=np.bool_, count=days)
        self.through: IntArray = np.cumsum(self.is_working, dtype=np.int64)
        self.working: IntArray = np.flatnonzero(self.is_working).astype(np.int64)
        after = [*dates, first + dt.timedelta(days=days)]
        self.midnight: IntArray = np.array(
            [to_micros(dt.datetime.combine(d, dt.time(0), tzinfo=zone)) for d in after],
            dtype=np.int64)
        self.end_of_day: IntArray = np.array(
            [to_micros(calendar.end_of_day(d)) for d in dates], dtype=np.int64)
        self.cutoff: IntArray = np.array(
            [to_micros(dt.datetime.combine(d, calendar.cutoff, tzinfo=zone)) for d in dates],
            dtype=np.int64)
        # a day whose offset changes (DST) is left to the row engine: wall-clock cut-offs
        # and day lengths there are what zoneinfo alone decides
        self.regular: BoolArray = np.diff(self.midnight) == 86_400 * _US

    @property
    def days(self) -> int:
        """The number of days in the span."""
        return len(self.is_working)

    def local_day(self, micros: IntArray) -> IntArray:
        """The local day index of each instant (``NO_DAY`` outside the span)."""
        midnight, last = self.midnight, self.days - 1
        # days are 24 hours but for offset changes, so dividing is right or one day off: a
        # step each way corrects it, several times faster than a binary search per instant
        day = np.clip((micros - midnight[0]) // (86_400 * _US), 0, last)
        day -= (micros < midnight[day]) & (day > 0)
        day += (micros >= midnight[day + 1]) & (day < last)
        inside = (micros >= midnight[0]) & (micros < midnight[-1])
        wrong = inside & ((micros < midnight[day]) | (micros >= midnight[day + 1]))
        if wrong.any():  # a zone whose offset jumped by a day (none of the packs' calendars)
            day[wrong] = np.searchsorted(midnight, micros[wrong], side="right") - 1
        return np.where(inside, day, NO_DAY)

    def nth_after(self, day: IntArray, n: IntArray | int) -> IntArray:
        """The n-th (n >= 1) working day strictly after each ``day`` (``NO_DAY`` when it, or
        ``day``, is outside the span); ``n == 0`` gives ``day`` itself."""
        inside = day >= 0
        k = self.through[np.where(inside, day, 0)] + n - 1
        ok = inside & (k < len(self.working))
        found = self.working[np.where(ok, k, 0)]
        return np.where(ok, np.where(np.asarray(n) == 0, day, found), NO_DAY)

    def on_or_after(self, day: IntArray) -> IntArray:
        """Each day if it is a working day, else the next working day."""
        inside = (day >= 0) & (day < self.days)
        safe = np.where(inside, day, 0)
        moved = self.nth_after(safe, 1)
        return np.where(inside, np.where(self.is_working[safe], day, moved), NO_DAY)

    def effective_receipt_day(self, micros: IntArray, day: IntArray | None = None) -> IntArray:
        """The day a receipt at each instant counts for: its local day (``day``, when known)
        when that is a working day and the instant is at or before the cut-off, else the next
        working day."""
        day = self.local_day(micros) if day is None else day
        safe = np.where(day >= 0, day, 0)
        same = (day >= 0) & self.is_working[safe] & (micros < self.cutoff[safe] + 1)
        return np.where(same, day, self.nth_after(day, 1))

    def working_days_due(self, micros: IntArray, n: IntArray | int,
                         day: IntArray | None = None) -> IntArray:
        """The due day of ``n`` working days after receipt at each instant (no pauses)."""
        return self.nth_after(self.effective_receipt_day(micros, day), n)

    def calendar_days_due(self, micros: IntArray, n: IntArray | int,
                          day: IntArray | None = None) -> IntArray:
        """The due day of ``n`` calendar days from each instant, moved to a working day."""
        day = self.local_day(micros) if day is None else day
        due = np.where(day >= 0, day + n, NO_DAY)
        return np.where(due < self.days, self.on_or_after(due), NO_DAY)

    def weeks_due(self, micros: IntArray, n: IntArray | int,
                  day: IntArray | None = None) -> IntArray:
        """The due day of ``n`` weeks from each instant (same weekday, no move)."""
        day = self.local_day(micros) if day is None else day
        due = np.where(day >= 0, day + 7 * np.asarray(n), NO_DAY)
        return np.where(due < self.days, due, NO_DAY)

    def end_of(self, day: IntArray) -> IntArray:
        """UTC microseconds of the last instant of each day (undefined for ``NO_DAY``)."""
        return self.end_of_day[np.where(day >= 0, day, 0)]

    def date_of(self, day: int) -> dt.date:
        """The date of a day index."""
        return dt.date.fromordinal(self.base + day)


@functools.lru_cache(maxsize=32)
def workday_index(calendar: WorkingCalendar, first_year: int, last_year: int) -> WorkdayIndex:
    """A ``WorkdayIndex``, kept for the calendar and span (building one costs milliseconds
    per year)."""
    return WorkdayIndex(calendar, first_year, last_year)
