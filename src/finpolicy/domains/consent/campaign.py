"""A marketing campaign over a customer list: who may be contacted, on which channel, when.

For each customer the channels are tried in the customer's order of preference (seed 000 §2.2:
channels set by the customer's preference), limited to the campaign's channels when it names
some; a customer without preferences is tried on the campaign's channels, or, when it names
none either, on every channel the policy lets the purpose use (in the policy's order: the
consents decide which are allowed). The first channel allowed at the campaign's time is
chosen (``now``); otherwise the channel with the earliest next allowed time (``later``);
otherwise none (``never``: no consent, a withdrawal, no channel, …).

The next allowed time moves past what time alone fixes — the allowed local hours and the
frequency cap's window — and is the first such instant at which the decision allows. A
request denied for any other reason at that instant (a consent that will have expired, say)
has none. It is computed under the policy in force at the campaign's time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, cast

import attrs
from pydantic import Field, field_validator

from finpolicy.decisions import PolicyRef, _plain
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.consent.consents import contact_times, free_at, next_start
from finpolicy.domains.consent.evaluate import (
    Prepared,
    check_birth_date,
    check_given_after_birth,
    check_local_time,
    check_vocabulary,
    decide,
    items,
    local_day,
    local_zone,
    policy_in_force,
    records_digest,
)
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ContactRecord,
    ProcessingRequest,
    _zone,
)
from finpolicy.domains.consent.review import review_time
from finpolicy.domains.consent.spec import ConsentRules
from finpolicy.errors import InputError
from finpolicy.inputs import Day, InputModel, date_out_of_range
from finpolicy.limits import MAX_ITEMS, MAX_TERM_LENGTH, Identity, Term
from finpolicy.rules.vocabulary import hint
from finpolicy.runtime import Runtime

__all__ = ["STATUSES", "CampaignCustomer", "CampaignEntry", "CampaignReport", "next_allowed",
           "plan_campaign"]

STATUSES = ("now", "later", "never")
_MAX_STEPS = 8  # hours and caps settle in two or three moves; more means nothing will do
Progress = Callable[[Iterable[Any]], Iterable[Any]]


class CampaignCustomer(InputModel):
    """A customer on a campaign list.

    Attributes:
        id: the customer's id (consents and contacts name it), in canonical form.
        time_zone: the customer's IANA zone (the policy's own when absent).
        channels: channels in the customer's order of preference (the campaign's when empty;
            when both are, every channel the policy lets the purpose use, in its order).
        birth_date: the customer's date of birth, when known (a minor's consent is given by a
            guardian: ``ProcessingRequest.birth_date``).
    """

    id: Identity
    time_zone: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)
    channels: list[Term] = Field(default_factory=list, max_length=MAX_ITEMS)
    birth_date: Day | None = None

    _zone = field_validator("time_zone")(_zone)


@attrs.frozen(slots=True)
class CampaignEntry:
    """What the campaign does with one customer.

    Attributes:
        customer: the customer's id.
        status: ``now``, ``later`` or ``never``.
        channel: the channel to use (the first tried when ``never``; ``None`` without one).
        at: when: the campaign's time (``now``), the next allowed time in the customer's
            zone (``later``).
        decision: the decision on ``channel`` at the campaign's time.
    """

    customer: str
    status: Literal["now", "later", "never"]
    channel: str | None
    at: dt.datetime | None
    decision: ConsentDecision | None

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {"customer": self.customer, "status": self.status, "channel": self.channel,
                "at": None if self.at is None else self.at.isoformat(),
                "rules": [] if d is None else list(d.rule_ids),
                "obligations": [] if d is None else list(d.obligations),
                "consent": None if d is None else d.consent_id}


@attrs.frozen(slots=True, kw_only=True)
class CampaignReport:
    """Every customer of a campaign with its entry, and the counts."""

    purpose: str
    as_of: dt.datetime
    channels: tuple[str, ...]
    entries: tuple[CampaignEntry, ...]
    policy: PolicyRef
    engine: str

    def counts(self) -> dict[str, int]:
        """Customers by status (every status listed)."""
        found: Counter[str] = Counter(e.status for e in self.entries)
        return {s: found[s] for s in STATUSES}

    def by_channel(self) -> dict[str, dict[str, int]]:
        """Channel → status → customers (``never`` entries under their first channel, or
        ``-`` without one)."""
        out: dict[str, dict[str, int]] = {}
        for e in self.entries:
            row = out.setdefault(e.channel or "-", dict.fromkeys(STATUSES, 0))
            row[e.status] += 1
        return dict(sorted(out.items()))

    def reasons(self) -> dict[str, int]:
        """Why customers cannot be contacted: the deny rules of ``never`` entries."""
        found = Counter(r for e in self.entries if e.status == "never"
                        for r in (e.decision.rule_ids if e.decision else ("no-channel",)))
        return dict(found.most_common())

    def summary(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "as_of": self.as_of.isoformat(),
                "policy": f"{self.policy.id} {self.policy.version}",
                "customers": len(self.entries), "counts": self.counts(),
                "by_channel": self.by_channel(), "reasons": self.reasons()}

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON data: the summary's counts, every entry (``CampaignEntry.to_dict``)
        and the policy that decided, as every report's ``to_dict`` names it."""
        return {**self.summary(), "channels": list(self.channels),
                "policy": cast(dict[str, Any], _plain(self.policy)), "engine": self.engine,
                "entries": [e.to_dict() for e in self.entries]}


def next_allowed(runtime: Runtime, prepared: Prepared, at: dt.datetime) -> dt.datetime | None:
    """The first instant from ``at`` on when a prepared contact is allowed, moving past the
    allowed hours and the frequency cap only (``None`` when something else denies it), in the
    customer's time zone."""
    request, rules = prepared.request, prepared.doc.policy
    purpose = rules.purposes.get(request.purpose)
    cell = None if purpose is None or request.channel is None else \
        purpose.contact.get(request.channel)
    if cell is None or request.channel is None:
        return None
    zone = local_zone(rules, request)
    times = contact_times(prepared.contacts, request.purpose, request.channel)
    t = at
    for _ in range(_MAX_STEPS):
        moved = t
        for _ in range(_MAX_STEPS):
            settled = free_at(times, next_start(cell, moved, zone), cell)
            if settled == moved:
                break
            moved = settled
        if moved == t:
            return None
        t = moved
        if decide(runtime, prepared, t).allowed:
            return t.astimezone(zone)  # the customer's local time reads best
    return None


def _order(customer: CampaignCustomer, channels: Sequence[str],
           reachable: Sequence[str]) -> list[str]:
    """The channels to try: the customer's preferences within the campaign's; without
    preferences the campaign's; when neither names any, every channel the purpose reaches
    customers on (``reachable``, in the policy's order): the consents decide among them."""
    if not customer.channels:
        return list(channels or reachable)
    return [c for c in customer.channels if not channels or c in channels]


def _entry(runtime: Runtime, doc: PolicyDocument[ConsentRules], customer: CampaignCustomer,
           order: Sequence[str], base: dict[str, Any], own: Sequence[Consent],
           seen: Sequence[ContactRecord], at: dt.datetime) -> CampaignEntry:
    if not order:
        return CampaignEntry(customer.id, "never", None, None, None)
    best: tuple[dt.datetime, str, ConsentDecision] | None = None
    first: ConsentDecision | None = None
    records = records_digest(own, seen)
    for channel in order:
        # every part is validated already (the customer, the channels, the base)
        request = ProcessingRequest.model_construct(
            customer=customer.id, channel=channel, time_zone=customer.time_zone, as_of=at,
            birth_date=customer.birth_date, **base)
        prepared = Prepared(runtime, doc, request, own, seen, at, records)
        decision = decide(runtime, prepared, at)
        first = first or decision
        if decision.allowed:
            return CampaignEntry(customer.id, "now", channel, at, decision)
        try:
            later = next_allowed(runtime, prepared, at)
        except OverflowError:
            raise date_out_of_range("as_of", at, f"the next time customer `{customer.id}` "
                                                 f"may be contacted on {channel}") from None
        if later is not None and (best is None or later < best[0]):
            best = (later, channel, decision)
    if best is not None:
        return CampaignEntry(customer.id, "later", best[1], best[0], best[2])
    return CampaignEntry(customer.id, "never", order[0], None, first)


def plan_campaign(runtime: Runtime, customers: Any, *, consents: Any = (), contacts: Any = (),
                  purpose: str = "marketing", channels: Sequence[str] = (),
                  data_levels: Sequence[str] = (), categories: Sequence[str] = (),
                  personalised: bool = False, as_of: dt.datetime | None = None,
                  policy: str | None = None,
                  progress: Progress = lambda rows: rows) -> CampaignReport:
    """Decide, for every customer, whether, on which channel and when the campaign may
    contact them.

    Args:
        runtime: the engine's runtime.
        customers: ``CampaignCustomer`` values or mappings.
        consents: every customer's consent records.
        contacts: every customer's earlier contacts.
        purpose: the campaign's purpose.
        channels: the channels the campaign uses (every customer's own when empty; for a
            customer without preferences, every channel the policy lets the purpose use).
        data_levels, categories: the data the campaign uses.
        personalised: the list was drawn by automated decision-making (PIPL Art. 24).
        as_of: the campaign's time (an aware datetime, never a bare date; now when absent).
        policy: a consent policy id, when the bundle has several.
        progress: wraps the customer iterator (a progress bar, say).

    Raises:
        InputError: a record is malformed, or names a channel, level, category or purpose
            outside the policy's vocabulary.
    """
    at = review_time(as_of, dates=False)  # (aware, or ISO text with an offset; now: None)
    for name, names in (("channels", channels), ("data_levels", data_levels),
                        ("categories", categories)):
        if isinstance(names, str | bytes) or not isinstance(names, Iterable):
            # a lone text is iterable too: "sms" read as the channels s, m and s
            raise InputError.one(name, f"expected a list of names, got {names!r}", "bad_input")
    listed = items(customers, CampaignCustomer, "customers")
    _each_once(listed)
    parsed = items(consents, Consent, "consents")
    history = items(contacts, ContactRecord, "contacts")
    doc = policy_in_force(runtime, at, policy)
    template = ProcessingRequest(customer="-", purpose=purpose, data_levels=list(data_levels),
                                 categories=list(categories), personalised=personalised)
    check_vocabulary(doc.policy, template, parsed, history, where="")  # the options
    base = template.model_dump(include={"purpose", "data_levels", "categories", "fields",
                                        "personalised", "recipient", "id"})
    _check_options(doc.policy, purpose, channels, listed)
    _check_times(doc.policy, listed, parsed, at)
    by_customer: dict[str, list[Consent]] = defaultdict(list)
    for c in parsed:
        by_customer[c.customer].append(c)
    contacted: dict[str, list[ContactRecord]] = defaultdict(list)
    for k in history:
        contacted[k.customer].append(k)
    known = doc.policy.purposes.get(purpose)
    reachable = tuple(known.contact) if known is not None else ()
    entries = [_entry(runtime, doc, c, _order(c, channels, reachable), base,
                      by_customer.get(c.id, ()), contacted.get(c.id, ()), at)
               for c in progress(listed)]
    return CampaignReport(purpose=purpose, as_of=at, channels=tuple(channels),
                          entries=tuple(entries), policy=runtime.ref(doc),
                          engine=runtime.engine_name)


def _each_once(customers: Sequence[CampaignCustomer]) -> None:
    """Refuse a customer listed twice: each entry is planned against the contacts before the
    campaign only, so both would go out now, past a channel's frequency cap."""
    first: dict[str, int] = {}
    for i, customer in enumerate(customers):  # (ids are canonical: one customer, one id)
        earlier = first.setdefault(customer.id, i)
        if earlier != i:
            raise InputError.one(f"customers.{i}.id", f"customer `{customer.id}` is listed "
                                 f"twice (customers.{earlier} and customers.{i}): a campaign "
                                 "plans each customer once", "duplicate_value", customer.id)


def _check_times(rules: ConsentRules, customers: Sequence[CampaignCustomer],
                 consents: Sequence[Consent], at: dt.datetime) -> None:
    """Refuse a campaign time with no local time in a customer's zone, a customer born
    after the campaign's day, and a consent given before its customer was born."""
    for zone in sorted({c.time_zone or "" for c in customers}):
        check_local_time(rules, zone or None, at, "as_of")
    for i, c in enumerate(customers):
        if c.birth_date is not None:
            check_birth_date(c.birth_date, local_day(rules, c.time_zone, at),
                             f"customers.{i}.birth_date")
            check_given_after_birth(rules, c.birth_date, c.time_zone,
                                    [k if k.customer == c.id else None for k in consents],
                                    f"customers.{i}.birth_date")


def _check_options(rules: ConsentRules, purpose: str, channels: Sequence[str],
                   customers: Sequence[CampaignCustomer]) -> None:
    """Refuse an unknown purpose (a typo planned every customer `never`) and unknown
    channels, every problem at once."""
    from finpolicy.errors import InputProblem

    known = rules.channels
    problems = [] if purpose in rules.purposes else [InputProblem(
        "purpose", f"unknown purpose `{purpose}`{hint(purpose, sorted(rules.purposes))}, "
                   f"expected one of {', '.join(rules.purposes)}", "unknown_purpose", purpose)]
    problems += [InputProblem("channels", f"unknown channel `{c}`, expected one of "
                                         f"{', '.join(known)}", "unknown_channel", c)
                for c in channels if c not in known]
    problems += [InputProblem(f"customers.{i}.channels", f"unknown channel `{c}`, expected "
                                                         f"one of {', '.join(known)}",
                              "unknown_channel", c)
                 for i, customer in enumerate(customers) for c in customer.channels
                 if c not in known]
    if problems:
        raise InputError(problems)
