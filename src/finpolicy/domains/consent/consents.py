"""Which consent counts for a use of data, and how many contacts a frequency cap has seen.

Conventions (the policy documents and the tests rely on them):

- A consent counts from ``given_at`` (inclusive). It stops counting at ``expires_at``, at
  ``given_at`` plus the purpose's ``consent_days``, and when its withdrawal takes effect
  (``withdrawn_at`` plus the policy's ``delay_hours``): each of these instants is the first at
  which it no longer counts.
- With ``withdrawal.scope: purpose`` a withdrawal made at ``w`` stops, once it takes effect,
  every consent to its purpose given at or before ``w`` (and those of the purposes its
  ``also_stops`` names); a consent given after ``w`` counts again. With ``scope: consent`` only
  the consent withdrawn stops (and ``also_stops`` still applies).
- Who gave a consent is read on the customer's local date of ``given_at`` (when the use gives
  a date of birth and the policy ``sensitive.minors_under``): the customer's own consent
  counts only when they were not a minor that day (``not_by_guardian`` otherwise, whatever
  their age now: a child's own consent was never a consent), and a guardian's only when they
  were (``not_by_customer`` otherwise, and when the date of birth is not given: a guardian
  consents for a minor, PIPL Art. 31, not for an adult).
- Lists a consent leaves empty do not restrict (channels, levels, categories, recipients),
  unless a requirement asks for the item to be named.
- Of the consents that count, the one given last is the one named in the decision (ties: the
  smaller id). When none counts, the failures of the consents that came closest (the fewest
  failures) are the decision's reasons; every consent's failures are listed in its details.
- A frequency cap counts the customer's contacts of the same purpose on the same channel in
  the window ``(as_of − days, as_of]``: a contact exactly ``days`` × 24 hours before no
  longer counts; one at ``as_of`` does.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

import attrs

from finpolicy.domains.consent.model import Consent, ContactRecord
from finpolicy.domains.consent.spec import CONSENT_FAILURES, ConsentRules, ContactCell, Purpose

__all__ = ["ConsentState", "Used", "contact_times", "count_in_window", "failures",
           "find_consent", "free_at", "given_day", "giver_failure", "minor", "next_start",
           "reached", "stops"]

_ORDER = {name: i for i, name in enumerate(CONSENT_FAILURES)}


@attrs.frozen(slots=True)
class Used:
    """What a use of data needs a consent to cover, and whose data it is: the customer's
    date of birth (``None``: not given) and time zone (``None``: the policy's)."""

    purpose: str
    channel: str | None
    recipient: str | None
    levels: tuple[str, ...]
    categories: tuple[str, ...]
    required: frozenset[str]
    born: dt.date | None = None
    zone: dt.tzinfo | None = None


@attrs.frozen(slots=True)
class ConsentState:
    """The outcome of looking for a consent: the one that counts (if any), how many were
    offered for the purpose, and why the others did not count."""

    selected: Consent | None
    offered: int
    failures: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()


def reached(start: dt.datetime, length: dt.timedelta, at: dt.datetime) -> bool:
    """Whether ``at`` is at or after ``start`` + ``length`` (when a consent lapses, when a
    withdrawal takes effect); for an end past year 9999, by the instants' difference."""
    try:
        return start + length <= at
    except OverflowError:
        return at - start >= length


def stops(rules: ConsentRules, purpose: str, consents: Sequence[Consent],
          at: dt.datetime) -> list[dt.datetime]:
    """The instants of withdrawals in effect at ``at`` that stop ``purpose``."""
    sources = rules.stopped_by.get(purpose, frozenset())
    delay = rules.withdrawal_delay
    return [c.withdrawn_at for c in consents
            if c.withdrawn_at is not None and c.purpose in sources
            and reached(c.withdrawn_at, delay, at)]


def failures(rules: ConsentRules, purpose: Purpose | None, consent: Consent, used: Used,
             at: dt.datetime, stopped: Sequence[dt.datetime]) -> list[str]:
    """Every reason ``consent`` does not count for ``used`` at ``at`` (empty: it counts)."""
    out = []
    if consent.given_at > at:
        out.append("not_yet_given")
    own = consent.withdrawn_at
    if (own is not None and reached(own, rules.withdrawal_delay, at)) or any(
            consent.given_at <= w for w in stopped):
        out.append("withdrawn")
    if consent.expires_at is not None and consent.expires_at <= at:
        out.append("expired")
    if purpose is not None:
        if purpose.consent_days is not None and \
                reached(consent.given_at, dt.timedelta(days=purpose.consent_days), at):
            out.append("lapsed")
        if purpose.notices and consent.notice_version not in purpose.notices:
            out.append("notice_outdated")
    required = used.required
    if "separate_consent" in required and not consent.separate:
        out.append("not_separate")
    if used.channel is not None and not _covers(consent.channels, (used.channel,),
                                                "channel_named" in required):
        out.append("channel_not_covered")
    if used.recipient is not None and not _covers(consent.recipients, (used.recipient,),
                                                  "recipient_named" in required):
        out.append("recipient_not_covered")
    if not _covers(consent.data_levels, used.levels, "levels_named" in required):
        out.append("level_not_covered")
    if not _covers(consent.categories, used.categories, False):
        out.append("category_not_covered")
    giver = giver_failure(rules, consent, used)
    if giver is not None:
        out.append(giver)
    return out


def minor(rules: ConsentRules, birth_date: dt.date | None, local_day: dt.date) -> bool:
    """Whether a customer born on ``birth_date`` is younger than the policy's
    ``minors_under`` years on ``local_day`` (a 29 February birthday falls on 1 March in
    other years); ``False`` when either is unknown."""
    if birth_date is None or rules.minors_under is None:
        return False
    year = birth_date.year + rules.minors_under
    try:
        of_age = birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year, or past year 9999
        if year > dt.MAXYEAR:
            return True
        of_age = dt.date(year, 3, 1)
    return local_day < of_age


def given_day(rules: ConsentRules, consent: Consent, zone: dt.tzinfo | None) -> dt.date:
    """The customer's local date when ``consent`` was given (in ``zone``, or the policy's;
    ``given_at``'s own date where the zone's would fall outside years 1 to 9999)."""
    try:
        return consent.given_at.astimezone(zone or rules.zone).date()
    except OverflowError:
        return consent.given_at.date()


def giver_failure(rules: ConsentRules, consent: Consent, used: Used) -> str | None:
    """``not_by_guardian`` when the use needs a guardian's consent, or the customer gave it
    themselves as a minor; ``not_by_customer`` when a guardian gave it for a customer who was
    not a minor that day, or whose date of birth is not given (policies that declare
    ``minors_under`` only); ``None`` when who gave it is right."""
    if consent.given_by == "guardian":
        if rules.minors_under is None or (
                used.born is not None
                and minor(rules, used.born, given_day(rules, consent, used.zone))):
            return None
        return "not_by_customer"
    if "guardian_consent" in used.required or minor(
            rules, used.born, given_day(rules, consent, used.zone)):
        return "not_by_guardian"
    return None


def _covers(listed: Sequence[str], used: Sequence[str], must_name: bool) -> bool:
    if not listed:
        return not (must_name and used)
    return all(item in listed for item in used)


def find_consent(rules: ConsentRules, consents: Sequence[Consent], used: Used,
                 at: dt.datetime) -> ConsentState:
    """The consent of ``consents`` (one customer's) that counts for ``used`` at ``at``."""
    candidates = [c for c in consents if c.purpose == used.purpose]
    if not candidates:
        return ConsentState(None, 0)
    purpose = rules.purposes.get(used.purpose)
    stopped = stops(rules, used.purpose, consents, at)
    valid: list[Consent] = []
    failed: list[list[str]] = []
    detail = []
    for consent in sorted(candidates, key=lambda c: c.id):
        why = failures(rules, purpose, consent, used, at, stopped)
        if not why:
            valid.append(consent)
        else:
            failed.append(why)
            detail.append(f"{consent.id}: {', '.join(why)}")
    if valid:
        # the one given last; `max` keeps the first of equals, the smaller id
        return ConsentState(max(valid, key=lambda c: c.given_at), len(candidates))
    # the reasons of the consents that came closest (fewest failures) explain the refusal
    fewest = min(len(why) for why in failed)
    found = {f for why in failed if len(why) == fewest for f in why}
    return ConsentState(None, len(candidates), tuple(sorted(found, key=_ORDER.__getitem__)),
                        tuple(detail))


def contact_times(contacts: Sequence[ContactRecord], purpose: str,
                  channel: str) -> list[dt.datetime]:
    """The times of one customer's contacts of ``purpose`` on ``channel``, sorted."""
    return sorted(c.at for c in contacts if c.purpose == purpose and c.channel == channel)


def count_in_window(times: Sequence[dt.datetime], at: dt.datetime, days: int) -> int:
    """How many of the sorted ``times`` fall in ``(at − days, at]``."""
    upto = bisect.bisect_right(times, at)
    try:
        start = at - dt.timedelta(days=days)
    except OverflowError:  # the window starts before year 1: every earlier time is in it
        return upto
    return upto - bisect.bisect_right(times, start)


def free_at(times: Sequence[dt.datetime], at: dt.datetime, cell: ContactCell) -> dt.datetime:
    """The first instant from ``at`` on when the cap's window holds fewer than ``cap``
    contacts (``at`` itself when it already does)."""
    if cell.cap is None or cell.cap_days is None:
        return at
    days = dt.timedelta(days=cell.cap_days)
    try:
        start: dt.datetime | None = at - days
    except OverflowError:  # the window starts before year 1: every earlier time is in it
        start = None
    window = [t for t in times if (start is None or start < t) and t <= at]
    if len(window) < cell.cap:
        return at
    # the oldest contacts must leave the window until one fewer than the cap remain
    return window[len(window) - cell.cap] + days


def next_start(cell: ContactCell, at: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The first instant from ``at`` on that is inside the allowed hours (``at`` itself
    when it is; otherwise in ``zone``)."""
    local = at.astimezone(zone)
    if cell.start is None or cell.in_hours(local.time()):
        return at
    day = local.date()
    start = dt.datetime.combine(day, cell.start, zone)
    if start <= local:
        start = dt.datetime.combine(day + dt.timedelta(days=1), cell.start, zone)
    return start
