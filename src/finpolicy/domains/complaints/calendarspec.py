"""The working calendar a complaint policy counts deadlines in (``spec.calendar``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, StrictBool

from finpolicy.calendars import WorkingCalendar, published_years
from finpolicy.documents.models import PolicyDay, Strict
from finpolicy.documents.registry import BuildContext
from finpolicy.inputs import Count

__all__ = ["CalendarSpec", "DayOverrideSpec", "check_overrides"]


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


def check_overrides(cal: CalendarSpec, ctx: BuildContext) -> None:
    """Report the override lists a published schedule cannot be: a day listed twice (the
    later entry would silently win), a day of an announced schedule in a year the installed
    data already holds and ``confirmed_years`` does not list (a mistyped year silently
    changes a published year), and a working day that is one already (a make-up day, 调休,
    falls on a day off)."""
    seen: dict[dt.date, int] = {}
    plain: WorkingCalendar | None = None
    for i, day in enumerate(cal.overrides):
        where = ("calendar", "overrides", i, "date")
        if day.date in seen:
            ctx.problem(where, f"{day.date} is listed twice (overrides[{seen[day.date]}] "
                        "too): give each day once, as a day off or as a working day",
                        "duplicate_override")
            continue
        seen[day.date] = i
        year = day.date.year
        if (cal.schedule == "announced" and year not in cal.confirmed_years
                and year in published_years(cal.jurisdiction, cal.subdivision)):
            years = ", ".join(str(y) for y in sorted(cal.confirmed_years)) or "none"
            ctx.problem(where, f"{day.date} is in {year}, whose schedule the installed "
                        f"holidays data holds, and not among the confirmed_years ({years}): "
                        f"correct its year, or add {year} to confirmed_years to correct "
                        "that year's schedule", "override_outside_confirmed_years")
        if day.working:
            try:
                plain = plain or WorkingCalendar(cal.jurisdiction, cal.subdivision,
                                                 cal.time_zone)
            except ValueError:
                return  # the calendar itself is reported
            if plain.is_working_day(day.date):
                ctx.problem(where, f"{day.date} ({day.date:%A}) is a working day already: "
                            "a working day of a published schedule (调休) replaces a day "
                            "off, a weekend day or a holiday", "override_changes_nothing")
    _check_confirmed(cal, ctx)


def _check_confirmed(cal: CalendarSpec, ctx: BuildContext) -> None:
    """Report a confirmed year of an announced schedule that neither the installed data nor
    any override holds (its schedule would be guessed, with no warning left to say so)."""
    if cal.schedule != "announced":
        return
    entered = {day.date.year for day in cal.overrides}
    published = published_years(cal.jurisdiction, cal.subdivision)
    for j, year in enumerate(cal.confirmed_years):
        if year not in entered and year not in published:
            ctx.problem(("calendar", "confirmed_years", j),
                        f"{year} is confirmed, but no override is in {year} and the installed "
                        "holidays data does not hold its schedule: enter its days off and "
                        "weekend working days under overrides (or correct the year of those "
                        "entered)", "confirmed_year_without_schedule")
