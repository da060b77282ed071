"""The day that picks the access policy in force: ``as_of``'s day in the policy's time zone
(``settings.time_zone``), as its ``effective_from`` reads, so the same instant written in UTC
or in Beijing time is decided by one version.

The zone is the one of the version in force on ``as_of``'s own date (or, when none is, on
the day beside it: offsets are under a day). Each runtime keeps, per policy id, own date and
time zone of ``as_of``, the policy's day of the instants written so when both zones keep one
offset all that date (the own date itself when ``as_of`` is written in the policy zone's
offset; the own date before a wall time and the next one from it when written in UTC for
Beijing), so the hot path pays one look-up; an instant on a date either zone changes its
offset is turned into the policy's zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from finpolicy.domains.access.spec import POLICY_KIND
from finpolicy.domains.clock import in_force_beside
from finpolicy.errors import NotInForceError
from finpolicy.inputs import in_zone
from finpolicy.runtime import Runtime, StateKey

__all__ = ["DAYS", "policy_day"]

# (own date, as_of's tzinfo, policy id) → (cut, first, then, the policy's zone): every instant
# written on that date in that tzinfo is on the policy's day ``first`` before the wall time
# ``cut`` (always, when None) and on ``then`` from it; ``first`` None: turn each instant into
# the zone (either zone changes its offset that date)
Day = tuple[dt.time | None, dt.date | None, dt.date | None, dt.tzinfo]
DAYS: StateKey[dict[tuple[Any, ...], Day]] = StateKey("access.days", dict)
_MAX_DAYS = 4096
_DAY = dt.timedelta(days=1)
_STEPS = (*(dt.timedelta(hours=h) for h in range(24)), _DAY - dt.timedelta(microseconds=1))


def policy_day(runtime: Runtime, at: dt.datetime, policy: str | None = None) -> dt.date:
    """The day of ``at`` (aware) in the time zone of the access policy, the day that picks
    the version in force.

    Raises:
        NotInForceError: no access policy is in force on ``at``'s own date nor beside it.
        InputError: ``at``'s time in the policy's zone is outside years 1 to 9999 (``as_of``).
    """
    try:
        found = runtime.state(DAYS).get((at.date(), at.tzinfo, policy))
    except TypeError:  # a tzinfo that cannot be a key: turned into the zone each time
        found = None, None, None, _zone(runtime, at.date(), policy)
    if found is None:
        found = _day_of(runtime, at, policy)
    cut, first, then, zone = found
    if first is None:
        return in_zone(at, zone, "as_of", "the policy's").date()
    return first if cut is None or at.time() < cut else then  # type: ignore[return-value]


def _day_of(runtime: Runtime, at: dt.datetime, policy: str | None) -> Day:
    """The policy's days of the instants written on ``at``'s own date in its tzinfo (kept in
    ``DAYS``): a fixed shift when each zone keeps one offset all those instants (sampled
    hourly, and at the day's last instant)."""
    own, tz = at.date(), at.tzinfo
    zone = _zone(runtime, own, policy)
    found: Day = None, None, None, zone
    try:
        midnight = dt.datetime.combine(own, dt.time(), tz)
        mine = {(midnight + step).utcoffset() for step in _STEPS}
        offset = mine.pop()
        if offset is not None and not mine:
            start = midnight.replace(tzinfo=dt.UTC) - offset
            theirs = {(start + step).astimezone(zone).utcoffset() for step in _STEPS}
            if len(theirs) == 1 and None not in theirs:
                found = _shifted(own, theirs.pop() - offset, zone)  # type: ignore[operator]
    except OverflowError:  # a day past year 9999 or before year 1: each instant is checked
        pass
    table = runtime.state(DAYS)
    with contextlib.suppress(TypeError):  # (an unhashable tzinfo is not kept)
        if len(table) >= _MAX_DAYS:
            table.clear()
        table[(own, tz, policy)] = found
    return found


def _shifted(own: dt.date, shift: dt.timedelta, zone: dt.tzinfo) -> Day:
    """The days of ``own``'s wall times moved by ``shift`` (raises OverflowError past the
    calendar)."""
    days, rest = divmod(shift, _DAY)
    first = own + dt.timedelta(days=days)
    if not rest:
        return None, first, first, zone
    return (dt.datetime.min + (_DAY - rest)).time(), first, first + _DAY, zone


def _zone(runtime: Runtime, own: dt.date, policy: str | None) -> dt.tzinfo:
    """The time zone of the version in force on ``own``, or on the day beside it."""
    try:
        doc = runtime.policy(POLICY_KIND, own, policy)
    except NotInForceError:
        doc = in_force_beside(runtime, POLICY_KIND, own, policy)
    return doc.policy.zone
