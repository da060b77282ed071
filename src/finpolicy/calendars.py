"""Working-day calendars and deadline arithmetic for complaint SLAs.

A :class:`WorkingCalendar` knows which local days are working days in a jurisdiction
(weekends and public holidays off, plus China's weekend working days, 调休) and turns a
receipt time into a deadline in three units:

* ``working_days``: the end of the n-th working day after the effective receipt day
  (a receipt after the cut-off, or on a day off, counts from the next working day);
* ``calendar_days``: the starting day is not counted, the period ends at the end of the
  n-th day after it, and a last day that is not a working day moves to the end of the next
  working day (民法典 Art. 201, 203);
* ``weeks``: the end of the same local weekday ``n`` weeks after the start, with no move to a
  working day (the FCA's "eight weeks after receipt");
* ``hours``: plain elapsed time.

Pause-free deadlines depend only on the local start day (and, for working days, whether the
start was after the cut-off), so each calendar caches them: a batch of complaints costs a
dictionary look-up per milestone. Paused time (e.g. waiting for the customer) never counts;
see each method for the exact rule. All deadlines are aware datetimes in the calendar's zone.

Pinning the calendar: ``calendar_data_version()`` names the ``holidays`` data in use (decision
logs record it); a policy may declare ``overrides`` (days off and working days the installed
data lacks, e.g. a schedule China published after the ``holidays`` release) and, for a
jurisdiction whose schedule is announced each year, which years are confirmed
(``is_confirmed``).
"""

from __future__ import annotations

import importlib.metadata
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from finpolicy.pauses import Pause, aware, merge_pauses, paused_seconds
from finpolicy.workdays import WorkingDays, published_years

__all__ = [
    "UNITS",
    "DeadlineUnit",
    "Pause",
    "Schedule",
    "WorkingCalendar",
    "calendar_data_version",
    "elapsed_share",
    "merge_pauses",
    "paused_seconds",
    "published_years",
]

DeadlineUnit = Literal["hours", "working_days", "calendar_days", "weeks"]
UNITS: tuple[str, ...] = ("hours", "working_days", "calendar_days", "weeks")
_UNIT_DAYS = frozenset(UNITS[1:])  # the units counted in local days
Schedule = Literal["statutory", "announced"]
"""``statutory``: days off follow fixed rules, every year is known. ``announced``: the
government publishes each year's days off and weekend working days (China's State Council,
each December), so a year is known only once that schedule is in the data."""


def calendar_data_version() -> str:
    """The holiday data deadlines are computed with, e.g. ``holidays 0.109``."""
    return f"holidays {importlib.metadata.version('holidays')}"


_MIDNIGHT = time(0)
_MAX_ORDINAL = date.max.toordinal()
_MAX_CACHED = 200_000  # deadlines kept per calendar; cleared when full

def _check_date(value: date, name: str) -> int:
    # A datetime is a date too; its own date is rarely the local one, so make it explicit.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date (use local(dt).date() for a datetime)")
    return value.toordinal()


def _check_count(n: int, name: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int")
    if n < 0:
        raise ValueError(f"{name} must not be negative, got {n}")


def _overrides(value: Iterable[tuple[date, bool]]) -> tuple[tuple[date, bool], ...]:
    return tuple(value)


def _years(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


@attrs.frozen(slots=True)
class WorkingCalendar:
    """Working days and SLA deadlines of one jurisdiction in one time zone.

    Attributes:
        jurisdiction: a ``holidays`` country code, e.g. ``"CN"`` or ``"GB"``.
        subdivision: a ``holidays`` subdivision code (``"ENG"`` for England), or ``None``.
        timezone: the IANA zone the SLA is measured in, e.g. ``"Asia/Shanghai"``.
        cutoff: the latest local time of day at which a receipt still counts for that day
            (default 17:00).
        overrides: ``(day, is_working)`` pairs that replace the ``holidays`` data for those
            days (a published schedule the installed data lacks).
        schedule: ``statutory`` or ``announced`` (see ``Schedule``).
        confirmed_years: years the overrides complete (for an ``announced`` schedule).

    Raises:
        ValueError: for an unknown jurisdiction, subdivision or time zone, or an aware cutoff.
    """

    jurisdiction: str = attrs.field(validator=attrs.validators.instance_of(str))
    subdivision: str | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )
    timezone: str = attrs.field(validator=attrs.validators.instance_of(str))
    cutoff: time = attrs.field(default=time(17, 0), validator=attrs.validators.instance_of(time))
    overrides: tuple[tuple[date, bool], ...] = attrs.field(default=(), converter=_overrides,
                                                           kw_only=True)
    schedule: Schedule = attrs.field(default="statutory", kw_only=True,
                                     validator=attrs.validators.in_(("statutory", "announced")))
    confirmed_years: frozenset[int] = attrs.field(default=frozenset(), converter=_years,
                                                  kw_only=True)
    _zone: ZoneInfo = attrs.field(init=False, repr=False, eq=False, hash=False)
    _days: WorkingDays = attrs.field(init=False, repr=False, eq=False, hash=False)
    _cache: dict[tuple[object, ...], datetime] = attrs.field(init=False, repr=False, eq=False,
                                                            hash=False)
    _lock: threading.Lock = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if self.cutoff.tzinfo is not None:
            raise ValueError("cutoff must be a local time of day without a timezone")
        try:
            days = WorkingDays(self.jurisdiction, self.subdivision, self.overrides)
        except NotImplementedError:
            if self.subdivision is None:
                raise ValueError(f"unknown jurisdiction {self.jurisdiction!r}") from None
            raise ValueError(
                f"unknown jurisdiction {self.jurisdiction!r} "
                f"with subdivision {self.subdivision!r}"
            ) from None
        # Frozen class: the derived caches are set once here and never change identity.
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_days", days)
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_lock", threading.Lock())

    def __getstate__(self) -> dict[str, object]:
        # the lock and the caches are not state: they are rebuilt on unpickling
        return {"jurisdiction": self.jurisdiction, "subdivision": self.subdivision,
                "timezone": self.timezone, "cutoff": self.cutoff, "overrides": self.overrides,
                "schedule": self.schedule, "confirmed_years": self.confirmed_years}

    def __setstate__(self, state: dict[str, object]) -> None:
        subdivision = state["subdivision"]
        fresh = WorkingCalendar(
            str(state["jurisdiction"]), None if subdivision is None else str(subdivision),
            str(state["timezone"]), cast(time, state["cutoff"]),
            overrides=cast(tuple[tuple[date, bool], ...], state["overrides"]),
            schedule=cast(Schedule, state["schedule"]),
            confirmed_years=cast(frozenset[int], state["confirmed_years"]))
        for field in attrs.fields(WorkingCalendar):
            object.__setattr__(self, field.name, getattr(fresh, field.name))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._zone

    # -- which years are known ------------------------------------------------------------

    def is_confirmed(self, year: int) -> bool:
        """Whether the working days of ``year`` rest on a published schedule: always for a
        ``statutory`` schedule; for an ``announced`` one, when the ``holidays`` data or the
        policy's ``confirmed_years`` hold that year."""
        if self.schedule == "statutory":
            return True
        return year in self.confirmed_years or year in published_years(
            self.jurisdiction, self.subdivision)

    def unconfirmed_warning(self, year: int) -> str:
        """What a report says of a deadline counted in ``year`` when its schedule is not
        confirmed: what was assumed, and what the policy's author does about it."""
        return (f"the {self.jurisdiction} holiday schedule for {year} is not confirmed: "
                "deadlines in it assume the usual holidays and no weekend working days; "
                + self.unconfirmed_advice(year))

    def unconfirmed_advice(self, year: int) -> str:
        """What the policy's author does about ``year``'s unconfirmed schedule."""
        held = sum(1 for day, _ in self.overrides if day.year == year)
        if held:
            days = "1 day" if held == 1 else f"{held} days"
            return (f"the calendar's overrides hold {days} of {year}: once they are the "
                    f"whole published schedule, add {year} to spec.calendar.confirmed_years")
        return ("enter the published schedule (days off and weekend working days) under "
                f"spec.calendar.overrides and add {year} to spec.calendar.confirmed_years, "
                "or install a holidays release that holds it")

    # -- working days -------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Return whether ``d`` is a working day (weekend working days included)."""
        return self._days.is_working(_check_date(d, "d"))

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after ``d``."""
        return date.fromordinal(self._days.nth_after(_check_date(d, "d"), 1))

    def add_working_days(self, d: date, n: int) -> date:
        """Return the n-th working day strictly after ``d``; ``n == 0`` returns ``d`` itself.

        Raises:
            ValueError: if ``n`` is negative.
        """
        ordinal = _check_date(d, "d")
        _check_count(n)
        if n == 0:
            return d
        return date.fromordinal(self._days.nth_after(ordinal, n))

    def working_days_between(self, a: date, b: date) -> int:
        """Return the number of working days in the half-open interval ``(a, b]``.

        The interval is empty, so the count is 0, when ``b <= a``.
        """
        after, upto = _check_date(a, "a"), _check_date(b, "b")
        if upto <= after:
            return 0
        return self._days.count(after, upto)

    # -- time of day --------------------------------------------------------------------

    def local(self, dt: datetime) -> datetime:
        """Return the aware datetime ``dt`` in the calendar's zone.

        Raises:
            ValueError: if ``dt`` is naive.
        """
        return aware(dt, "dt").astimezone(self._zone)

    def end_of_day(self, d: date) -> datetime:
        """Return the last instant (23:59:59.999999) of local day ``d``, aware."""
        _check_date(d, "d")
        return datetime.combine(d, time.max, tzinfo=self._zone)

    def effective_receipt_day(self, at: datetime) -> date:
        """Return the day a receipt at ``at`` counts for.

        That is the local day of ``at`` when it is a working day and the local time is at
        or before the cutoff (17:00:00 exactly still counts), otherwise the next working day.
        """
        loc = self.local(at)
        return date.fromordinal(self._receipt_ordinal(loc, loc.toordinal()))

    def _receipt_ordinal(self, local: datetime, day: int) -> int:
        """The effective receipt day of ``local`` (in the calendar's zone, on local day
        ``day``), as an ordinal."""
        # Compare the naive local time: the cutoff is a wall-clock rule.
        if local.time() <= self.cutoff and self._days.is_working(day):
            return day
        return self._days.nth_after(day, 1)

    # -- deadlines ----------------------------------------------------------------------

    def _paused_days(self, pauses: Sequence[Pause], start: datetime,
                     after: int) -> list[tuple[int, int]]:
        """Return the local days after ``after`` on which the clock was paused, as sorted,
        disjoint ``(first, last)`` ordinal ranges (a pause of years is one range, not a day
        each).

        A day counts when any positive-length part of a (merged) pause falls on it; a pause
        ending exactly at local midnight does not touch the following day.
        """
        spans: list[tuple[int, int]] = []
        zone = self._zone
        for begin, end in merge_pauses(pauses, start.astimezone(UTC)):
            first = max(begin.astimezone(zone).date().toordinal(), after + 1)
            local_end = end.astimezone(zone)
            last = local_end.date().toordinal()
            if local_end.time() == _MIDNIGHT:
                last -= 1
            if first > last:
                continue
            if spans and first <= spans[-1][1] + 1:  # on a day the last one touched
                spans[-1] = (spans[-1][0], max(spans[-1][1], last))
            else:
                spans.append((first, last))
        return spans

    def working_days_deadline(
        self, start: datetime, n: int, pauses: Sequence[Pause] = ()
    ) -> datetime:
        """Return the end of the n-th unpaused working day after the effective receipt day.

        Without pauses this is ``end_of_day(add_working_days(effective_receipt_day(start),
        n))``. A working day on which the clock was paused for any part of the day (local
        time, pauses merged) is not counted, so each such day after the receipt day moves
        the deadline out by one working day; paused days after the deadline do not count.

        Args:
            start: the aware receipt time.
            n: the number of working days allowed (0 = end of the effective receipt day).
            pauses: closed ``(paused_at, resumed_at)`` intervals; close an open pause at the
                current time before calling.
        """
        _check_count(n)
        local = self.local(start)
        day = local.toordinal()
        return self._working_days_due(local, day, n, self._paused_days(pauses, start, day)
                                      if pauses else ())

    def _working_days_due(self, local: datetime, day: int, n: int,
                          paused: Sequence[tuple[int, int]]) -> datetime:
        """``working_days_deadline`` from ``local`` (its start in the calendar's zone, on
        local day ``day``) and ``paused``, the ranges of local days after ``day`` paused:
        the n-th working day after the receipt day on which the clock was not paused."""
        days = self._days
        receipt = self._receipt_ordinal(local, day)
        if n == 0:
            return self.end_of_day(date.fromordinal(receipt))
        counted, left = receipt, n  # working days are counted up to ``counted``
        for first, last in paused:
            if last <= counted:
                continue  # (a day up to the receipt day moves nothing)
            free = days.count(counted, max(first, counted + 1) - 1)
            if free >= left:
                break
            left -= free
            counted = last  # the paused days count for nothing
        return self.end_of_day(date.fromordinal(days.nth_after(counted, left)))

    def calendar_days_deadline(
        self, start: datetime, n: int, pauses: Sequence[Pause] = ()
    ) -> datetime:
        """Return the calendar-day deadline (民法典 Art. 201, 203).

        The local day of ``start`` is not counted; the period ends at the end of the n-th
        later day on which the clock was not paused for any part of the day (local time,
        pauses merged). If that day is not a working day, or the clock was paused on the
        working day it would move to, it moves to the end of the next unpaused working day.

        Args:
            start: the aware start time (no cutoff applies to calendar days).
            n: the number of calendar days allowed.
            pauses: closed ``(paused_at, resumed_at)`` intervals; close an open pause at the
                current time before calling.
        """
        _check_count(n)
        first = self.local(start).toordinal()
        return self._calendar_days_due(first, n, self._paused_days(pauses, start, first)
                                       if pauses else ())

    def _calendar_days_due(self, first: int, n: int,
                           paused: Sequence[tuple[int, int]]) -> datetime:
        """``calendar_days_deadline`` from local day ``first`` with the ranges of later
        local days ``paused`` (in order)."""
        due = _unpaused_day(first, n, paused)
        days = self._days
        while True:  # on to a working day on which the clock was not paused
            if not days.is_working(due):
                due = days.nth_after(due, 1)
            span = _span_of(due, paused)
            if span is None:
                return self.end_of_day(date.fromordinal(due))
            due = days.nth_after(span[1], 1)

    def weeks_deadline(self, start: datetime, n: int, pauses: Sequence[Pause] = ()) -> datetime:
        """Return the end of the same local weekday ``n`` weeks after ``start``.

        No move to a working day (the FCA's "eight weeks after receipt"); each later local
        day on which the clock was paused for any part of the day moves it out by a day.
        """
        _check_count(n)
        first = self.local(start).toordinal()
        return self._weeks_due(first, n, self._paused_days(pauses, start, first)
                               if pauses else ())

    def _weeks_due(self, first: int, n: int, paused: Sequence[tuple[int, int]]) -> datetime:
        """``weeks_deadline`` from local day ``first`` with the ranges of later local days
        ``paused`` (in order)."""
        return self.end_of_day(date.fromordinal(_unpaused_day(first, 7 * n, paused)))

    def hours_deadline(self, start: datetime, n: int, pauses: Sequence[Pause] = ()) -> datetime:
        """Return ``start`` plus ``n`` hours of elapsed time, plus the time paused meanwhile.

        Elapsed time is measured in UTC, so a DST change neither adds nor removes an hour.
        Paused time after ``start`` and before the (extended) deadline is added once
        (overlapping pauses are merged); a pause beginning at or after the deadline does not
        count.

        Args:
            start: the aware start time.
            n: the number of hours allowed.
            pauses: closed ``(paused_at, resumed_at)`` intervals; close an open pause at the
                current time before calling.
        """
        _check_count(n)
        begin = aware(start, "start").astimezone(UTC)
        due = begin + timedelta(hours=n)
        if pauses:
            for paused_at, resumed_at in merge_pauses(pauses, begin):
                if paused_at >= due:
                    break
                due += resumed_at - paused_at
        return due.astimezone(self._zone)

    def deadline(
        self,
        start: datetime,
        amount: int,
        unit: DeadlineUnit,
        pauses: Sequence[Pause] = (),
    ) -> datetime:
        """Return the deadline for ``amount`` of ``unit`` from ``start`` (cached by the
        start's local day, whether it came after the cut-off, and the local days paused).

        Raises:
            ValueError: for an unknown unit, a negative amount, a naive datetime or a bad pause.
        """
        if unit == "hours":
            return self.hours_deadline(start, amount, pauses)
        if unit not in _UNIT_DAYS:
            raise ValueError(f"unknown deadline unit {unit!r}: expected one of "
                             f"{', '.join(UNITS)}")
        # a time already in the calendar's zone (callers convert once) needs no conversion
        local = start if start.tzinfo is self._zone else self.local(start)
        day = local.toordinal()
        key: tuple[object, ...] = (unit, day, unit == "working_days" and
                                   local.time() > self.cutoff, amount)
        paused: tuple[tuple[int, int], ...] = ()
        if pauses:
            _check_count(amount)  # (its error comes before a bad pause's)
            # the count skips the local days paused after the start's
            paused = tuple(self._paused_days(pauses, start, day))
            key = (*key, paused)
        found = self._cache.get(key)
        if found is None:
            _check_count(amount)
            if unit == "working_days":
                found = self._working_days_due(local, day, amount, paused)
            elif unit == "calendar_days":
                found = self._calendar_days_due(day, amount, paused)
            else:
                found = self._weeks_due(day, amount, paused)
            with self._lock:
                if len(self._cache) >= _MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = found
        return found


def _unpaused_day(first: int, n: int, paused: Sequence[tuple[int, int]]) -> int:
    """The n-th day after ``first`` on which the clock was not paused (``first`` itself
    for n = 0); ``paused`` holds sorted, disjoint ranges of days after ``first``."""
    counted, left = first, n
    for start, last in paused:
        free = start - 1 - counted  # unpaused days before this range
        if free >= left:
            break
        left -= free
        counted = last
    return counted + left


def _span_of(day: int, paused: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """The range of ``paused`` that holds ``day``, if any."""
    at = bisect_right(paused, (day, _MAX_ORDINAL)) - 1
    if at >= 0 and paused[at][0] <= day <= paused[at][1]:
        return paused[at]
    return None


def elapsed_share(start: datetime, due: datetime, now: datetime) -> float:
    """Return the share of the allowed time ``start..due`` elapsed at ``now``.

    0.0 at (or before) ``start``, 1.0 at ``due``, above 1.0 when overdue. Elapsed time is
    real time (UTC), so it suits at-risk thresholds such as "80 % used". When ``due`` is not
    after ``start`` there is no allowed time: the share is 1.0 from ``due`` on, else 0.0.

    Raises:
        ValueError: if any argument is naive.
    """
    begin = aware(start, "start").astimezone(UTC)
    end = aware(due, "due").astimezone(UTC)
    current = aware(now, "now").astimezone(UTC)
    allowed = (end - begin).total_seconds()
    if allowed <= 0:
        return 1.0 if current >= end else 0.0
    return max(0.0, (current - begin).total_seconds() / allowed)
