"""Periods counted from an event in years, months and days: retention of records and logs.

A retention rule such as "kept at least five years after the relationship ends" is a period
in years from an event, not a number of days: 1825 days is one day short of five years when
a 29 February falls inside. ``Period`` counts the way the Civil Code does
(民法典 Art. 200–203):

- the day of the event is not counted; the period runs from the next day (Art. 201);
- a period in years or months ends on the corresponding day of the last month, or on that
  month's last day when it has no such day (Art. 202): five years from 29 February 2028 end on
  28 February 2033;
- days are added after the years and months;
- when a working calendar is given, a last day that is not a working day moves to the next
  working day (Art. 203) — for a minimum retention that only keeps records longer.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

import attrs
from pydantic import Field, StrictInt, model_validator

from finpolicy.documents.models import Strict

__all__ = ["Period", "PeriodSpec", "RetentionSpec"]

_EVENT = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


class PeriodSpec(Strict):
    """A period in a policy document: ``{years: 5, after: relationship_end}``."""

    years: StrictInt = Field(default=0, ge=0, le=200, description="Whole years.",
                             json_schema_extra={"unit": "years"})
    months: StrictInt = Field(default=0, ge=0, le=2400,
                              description="Whole months, after the years.",
                              json_schema_extra={"unit": "months"})
    days: StrictInt = Field(default=0, ge=0, le=100_000, description="Days, after the years and "
                                                                     "months.",
                            json_schema_extra={"unit": "days"})
    after: str = Field(description="The event the period runs from, lower-case words joined "
                                   "by `_`, e.g. `relationship_end`.")

    @model_validator(mode="after")
    def _shape(self) -> PeriodSpec:
        if not (self.years or self.months or self.days):
            raise ValueError("a period needs at least one of `years`, `months`, `days`")
        if not _EVENT.fullmatch(self.after):
            raise ValueError(f"`after` should be lower-case words joined by `_`, got "
                             f"`{self.after}`")
        return self

    def build(self) -> Period:
        """The compiled ``Period``."""
        return Period(self.years, self.months, self.days, self.after)


class RetentionSpec(PeriodSpec):
    """How long the records an obligation produces are kept, and the source saying so:
    ``{years: 5, after: relationship_end, cite: nfra-2025-7 Art. 17}``."""

    cite: str = Field(min_length=1, description="Source id and article.")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


@attrs.frozen(slots=True)
class Period:
    """A period of ``years``, ``months`` and ``days`` after the event ``after``.

    Attributes:
        years, months, days: the length (any may be zero, not all).
        after: the event it runs from, e.g. ``relationship_end``.
    """

    years: int = 0
    months: int = 0
    days: int = 0
    after: str = ""

    def last_day(self, start: dt.date, *,
                 is_working_day: Callable[[dt.date], bool] | None = None) -> dt.date:
        """The last day of the period for an event on ``start`` (see the module docstring).

        Args:
            start: the day of the event (a datetime counts on its own date).
            is_working_day: when given, a last day it rejects moves to the next day it
                accepts (民法典 Art. 203).
        """
        if isinstance(start, dt.datetime):
            start = start.date()
        total = start.month - 1 + 12 * self.years + self.months
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        end = dt.date(year, month, day) + dt.timedelta(days=self.days)
        if is_working_day is not None:
            for _ in range(366):  # a calendar always has a working day within a year
                if is_working_day(end):
                    break
                end += dt.timedelta(days=1)
        return end

    def ended(self, start: dt.date, on: dt.date) -> bool:
        """Whether the period has run out on ``on`` (the day after its last day or later)."""
        return on > self.last_day(start)

    def describe(self) -> str:
        """E.g. ``5 years after relationship end``."""
        parts = [_plural(n, unit) for n, unit in ((self.years, "year"),
                                                 (self.months, "month"),
                                                 (self.days, "day")) if n]
        return f"{' '.join(parts)} after {self.after.replace('_', ' ')}"

    def __str__(self) -> str:
        return self.describe()
