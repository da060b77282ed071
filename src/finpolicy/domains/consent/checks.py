"""Checks of a consent call's times and dates, in the customer's zone: the customer's
local time and date, a date of birth after the day of processing, a consent given before it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from finpolicy.domains.consent.consents import given_day
from finpolicy.domains.consent.model import Consent, ProcessingRequest
from finpolicy.domains.consent.spec import ConsentRules
from finpolicy.errors import InputError, InputProblem
from finpolicy.inputs import in_zone

__all__ = ["check_birth_date", "check_given_after_birth", "check_local_time", "local_day",
           "local_zone"]


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> dt.tzinfo:
    return ZoneInfo(name)


def local_zone(rules: ConsentRules, request: ProcessingRequest) -> dt.tzinfo:
    """The customer's zone: the request's, or the policy's."""
    return _zone(request.time_zone) if request.time_zone else rules.zone


def check_local_time(rules: ConsentRules, time_zone: str | None, at: dt.datetime,
                     field: str) -> None:
    """Refuse a contact at ``at`` that has no local time before year 10000 in the customer's
    zone (``time_zone``, or the policy's): the contact's hours are read there.

    Raises:
        InputError: naming ``field`` (``date_out_of_range``).
    """
    in_zone(at, _zone(time_zone) if time_zone else rules.zone, field, "the customer's")


def local_day(rules: ConsentRules, time_zone: str | None, at: dt.datetime) -> dt.date:
    """The customer's local date at ``at`` in ``time_zone`` (the policy's when ``None``;
    ``at``'s own date where the zone's would fall past year 9999)."""
    try:
        return at.astimezone(_zone(time_zone) if time_zone else rules.zone).date()
    except OverflowError:
        return at.date()


def check_birth_date(birth_date: dt.date | None, local_day: dt.date, field: str) -> None:
    """Refuse a date of birth after the day of processing.

    Raises:
        InputError: naming ``field`` (``bad_date``).
    """
    if birth_date is not None and birth_date > local_day:
        raise InputError.one(field, f"the date of birth {birth_date} is after the day of "
                                    f"processing ({local_day}, the customer's local date)",
                             "bad_date", birth_date)


def check_given_after_birth(rules: ConsentRules, birth_date: dt.date | None,
                            time_zone: str | None, consents: Sequence[Consent | None],
                            born_at: str) -> None:
    """Refuse a consent of the customer given before their date of birth (the customer's
    local date of ``given_at``): the record or the date of birth is wrong, and either way who
    gave it, a guardian or the customer, cannot be told. ``consents`` are every record of the
    call, ``None`` for other customers' (paths name their place); ``born_at`` is the date of
    birth's own path.

    Raises:
        InputError: naming ``consents.<i>.given_at`` for each (``bad_date``).
    """
    if birth_date is None:
        return
    zone = _zone(time_zone) if time_zone else rules.zone
    problems = [InputProblem(
        f"consents.{i}.given_at", f"consent `{c.id}` was given on {day} (the customer's local "
        f"date), before the customer's date of birth {birth_date} ({born_at})", "bad_date",
        c.given_at.isoformat())
        for i, c in enumerate(consents)
        if c is not None and (day := given_day(rules, c, zone)) < birth_date]
    if problems:
        raise InputError(problems)
