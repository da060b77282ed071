"""Which version of the complaint policy decides a complaint: the one in force on the day of
its receipt in the policy's calendar zone, as every domain takes an instant's day — so the
same receipt written in UTC or in Beijing time is decided by one version, whatever offset the
complaint system stamps it with."""

from __future__ import annotations

import datetime as dt

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.clock import in_force_beside
from finpolicy.domains.complaints.policy import POLICY_KIND, ComplaintRules
from finpolicy.errors import NotInForceError
from finpolicy.inputs import in_zone
from finpolicy.runtime import Runtime

__all__ = ["policy_at"]


def policy_at(runtime: Runtime, moment: dt.datetime, policy: str | None,
              field: str) -> PolicyDocument[ComplaintRules]:
    """The complaint policy in force on ``moment``'s day in the policy's calendar zone (looked
    up first on ``moment``'s own date, or a day beside it, for the zone).

    Raises:
        NotInForceError: no version is in force on that day (naming it).
        InputError: that day is outside years 1 to 9999 (naming ``field``).
    """
    own = moment.date()
    try:
        doc = runtime.policy(POLICY_KIND, own, policy)
    except NotInForceError:  # the policy's day may be the one after or before (offsets < 1 day)
        doc = in_force_beside(runtime, POLICY_KIND, own, policy)
    else:
        if in_zone(moment, doc.policy.calendar.zone, field, "the policy's").date() == own:
            return doc
    # (raises, naming the policy's day, when no version is in force on it)
    day = in_zone(moment, doc.policy.calendar.zone, field, "the policy's").date()
    return runtime.policy(POLICY_KIND, day, policy)
