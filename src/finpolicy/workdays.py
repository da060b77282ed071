"""The working days of a jurisdiction, a whole year at a time, as sorted date ordinals.

``WorkingCalendar`` (``finpolicy.calendars``) asks these sets whether a day is a working day,
for the n-th working day after another and for the number of working days between two days:
a set membership test or a bisect each, so batches of complaints stay fast.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_right
from datetime import MAXYEAR, MINYEAR, date
from typing import NamedTuple

import holidays

__all__ = ["WorkingDays", "published_years"]


@functools.lru_cache(maxsize=64)
def published_years(jurisdiction: str, subdivision: str | None = None) -> frozenset[int]:
    """Years whose announced schedule (special days off, weekend working days) the installed
    ``holidays`` data holds for ``jurisdiction``."""
    try:
        data = holidays.country_holidays(jurisdiction, subdiv=subdivision, years=())
    except NotImplementedError:
        return frozenset()
    special = getattr(data, "special_public_holidays", None)
    return frozenset(special) if isinstance(special, dict) else frozenset()


# Some countries observe a holiday in the neighbouring year (e.g. a Saturday 1 January
# observed on the Friday before), so a year's days are read only after its neighbours have
# been populated too.
_NEIGHBOUR_YEARS = 1


class _Year(NamedTuple):
    """The working days of one year, as date ordinals."""

    ordinals: list[int]  # sorted, for bisecting
    members: frozenset[int]  # for O(1) membership


def _year_of(ordinal: int) -> int:
    try:
        return date.fromordinal(ordinal).year
    except (ValueError, OverflowError):
        raise OverflowError("date beyond the supported range (years 1 to 9999)") from None


class WorkingDays:
    """Working days of one jurisdiction, computed a whole year at a time and kept.

    Lookups are a set membership test or a bisect, so batches stay fast. Years are kept
    separately, so a look-up far away (say in 2300) computes only that year, not the gap.
    """

    __slots__ = ("_holidays", "_jurisdiction", "_lock", "_overrides", "_subdivision", "_years")

    def __init__(self, jurisdiction: str, subdivision: str | None,
                 overrides: tuple[tuple[date, bool], ...] = ()) -> None:
        self._jurisdiction = jurisdiction
        self._subdivision = subdivision
        self._overrides = dict(overrides)
        # Years are added on demand (``expand`` stays on), so any year can be looked up.
        self._holidays = holidays.country_holidays(jurisdiction, subdiv=subdivision, years=())
        self._lock = threading.Lock()
        self._years: dict[int, _Year] = {}

    def __reduce__(self) -> tuple[type[WorkingDays], tuple[str, str | None,
                                                             tuple[tuple[date, bool], ...]]]:
        # The lock cannot be pickled; the cache is cheap to rebuild in another process.
        return (type(self), (self._jurisdiction, self._subdivision,
                             tuple(self._overrides.items())))

    def year(self, year: int) -> _Year:
        """Return the working days of ``year``, computing them on first use."""
        entry = self._years.get(year)
        if entry is not None:
            return entry
        if not MINYEAR <= year <= MAXYEAR:
            raise OverflowError("date beyond the supported range (years 1 to 9999)")
        # ``holidays`` fills its dict lazily and is not thread-safe; one builder at a time.
        with self._lock:
            entry = self._years.get(year)
            if entry is None:
                entry = self._compute(year)
                self._years[year] = entry
            return entry

    def _compute(self, year: int) -> _Year:
        hol = self._holidays
        for neighbour in range(year - _NEIGHBOUR_YEARS, year + _NEIGHBOUR_YEARS + 1):
            if MINYEAR <= neighbour <= MAXYEAR and neighbour not in hol.years:
                # Asking about any date of a year makes ``holidays`` populate that year.
                _ = date(neighbour, 1, 1) in hol
        # ``HolidayBase.is_working_day`` applies the weekend, the holidays and the
        # ``weekend_workdays`` (days off moved onto a weekend, e.g. China's 调休).
        overrides = self._overrides

        def is_working(day: date) -> bool:
            found = overrides.get(day) if overrides else None
            return hol.is_working_day(day) if found is None else found

        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        ordinals = [o for o in range(first, last + 1) if is_working(date.fromordinal(o))]
        return _Year(ordinals, frozenset(ordinals))

    def is_working(self, ordinal: int) -> bool:
        return ordinal in self.year(_year_of(ordinal)).members

    def nth_after(self, ordinal: int, n: int) -> int:
        """Return the n-th (n >= 1) working-day ordinal strictly after ``ordinal``."""
        year = _year_of(ordinal)
        ordinals = self.year(year).ordinals
        index = bisect_right(ordinals, ordinal)
        while (available := len(ordinals) - index) < n:
            n -= available
            year += 1
            ordinals = self.year(year).ordinals
            index = 0
        return ordinals[index + n - 1]

    def count(self, after: int, upto: int) -> int:
        """Return the number of working days in the ordinal interval ``(after, upto]``."""
        if upto <= after:
            return 0
        first_year, last_year = _year_of(after), _year_of(upto)
        first = self.year(first_year).ordinals
        if first_year == last_year:
            return bisect_right(first, upto) - bisect_right(first, after)
        total = len(first) - bisect_right(first, after)
        for year in range(first_year + 1, last_year):
            total += len(self.year(year).ordinals)
        return total + bisect_right(self.year(last_year).ordinals, upto)
