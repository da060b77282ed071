"""The working calendar a complaint policy counts deadlines in (``spec.calendar``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, StrictBool

from finpolicy.documents.models import PolicyDay, Strict
from finpolicy.inputs import Count

__all__ = ["CalendarSpec", "DayOverrideSpec"]


class DayOverrideSpec(Strict):
    """One day whose status the policy fixes, whatever the `holidays` data says."""

    date: PolicyDay
    working: StrictBool = Field(description="`false` for a day off, `true` for a working day.")
    name: str = Field(min_length=1, description="e.g. `国庆节` or `国庆节调休`.")
    cite: str | None = Field(default=None, description="The published schedule.")


class CalendarSpec(Strict):
    """Where and when working days are counted."""

    jurisdiction: str = Field(description="`holidays` country code, e.g. `CN`, `GB`.")
    subdivision: str | None = Field(default=None, description="`holidays` subdivision, e.g. `ENG`.")
    time_zone: str = Field(description="IANA zone deadlines are measured in.")
    cutoff: dt.time = Field(default=dt.time(17, 0), description="A receipt after this local time "
                                                                "counts from the next working day.",
                            json_schema_extra={"unit": "local time"})
    schedule: Literal["statutory", "announced"] = Field(
        default="statutory", description="`announced` where the government publishes each "
                                         "year's days off and weekend working days (China).")
    unconfirmed_year: Literal["error", "warn"] = Field(
        default="error", description="For an `announced` schedule, a deadline in a year whose "
                                     "schedule is not in the data: raise, or decide with a "
                                     "warning.")
    overrides: list[DayOverrideSpec] = Field(
        default_factory=list, description="Days off and working days the `holidays` data lacks.")
    confirmed_years: list[Count] = Field(
        default_factory=list, description="Years the overrides complete (a published "
                                          "schedule entered here).")
