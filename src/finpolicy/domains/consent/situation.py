"""A consent decision's situation, for its explanation: the policy, the request, the
customer's own consents and contacts, what the consent had to be, and why each consent did
not count — recomputed from the decision and the input, without running any rule set again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.consent.consents import (
    Used,
    contact_times,
    failures,
    free_at,
    next_start,
    stops,
)
from finpolicy.domains.consent.evaluate import local_day, local_zone
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ContactRecord,
    ProcessingRequest,
)
from finpolicy.domains.consent.spec import ConsentRules, ContactCell, Purpose

__all__ = ["Situation", "settle"]

_MAX_STEPS = 8  # hours and caps settle in two or three moves


@attrs.frozen(slots=True, eq=False)
class Situation:
    """What a consent decision was taken on.

    Attributes:
        doc: the consent policy in force.
        decision: the decision explained.
        request: the processing request (with its ``as_of``).
        consents: the customer's own consents (others' are not considered).
        contacts: the customer's own earlier contacts.
    """

    doc: PolicyDocument[ConsentRules]
    decision: ConsentDecision
    request: ProcessingRequest
    consents: tuple[Consent, ...]
    contacts: tuple[ContactRecord, ...]

    @classmethod
    def of(cls, doc: PolicyDocument[ConsentRules], decision: ConsentDecision,
           case: Mapping[str, Any]) -> Situation:
        request = ProcessingRequest.parse(case["request"], field="request")
        consents = tuple(c for c in (Consent.parse(c) for c in case.get("consents") or ())
                         if c.customer == request.customer)
        contacts = tuple(k for k in (ContactRecord.parse(k) for k in case.get("contacts") or ())
                         if k.customer == request.customer)
        return cls(doc, decision, request, consents, contacts)

    @property
    def rules(self) -> ConsentRules:
        return self.doc.policy

    @property
    def at(self) -> dt.datetime:
        at = self.request.as_of
        assert at is not None  # explanations always fix the time
        return at

    @property
    def purpose(self) -> Purpose | None:
        return self.rules.purposes.get(self.request.purpose)

    @property
    def zone(self) -> dt.tzinfo:
        return local_zone(self.rules, self.request)

    @property
    def zone_name(self) -> str:
        return self.request.time_zone or self.rules.zone.key

    @property
    def local_day(self) -> dt.date:
        """The customer's local date at the request's time."""
        return local_day(self.rules, self.request.time_zone, self.at)

    @property
    def required(self) -> frozenset[str]:
        return frozenset(self.decision.required)

    @property
    def cell(self) -> ContactCell | None:
        """The purpose's rule for the request's channel (``None``: no contact, or a channel
        the purpose does not reach customers on)."""
        purpose, channel = self.purpose, self.request.channel
        return None if purpose is None or channel is None else purpose.contact.get(channel)

    def candidates(self) -> tuple[Consent, ...]:
        """The customer's consents to the request's purpose, by id."""
        return tuple(sorted((c for c in self.consents if c.purpose == self.request.purpose),
                            key=lambda c: c.id))

    def used(self, channel: str | None = None) -> Used:
        request = self.request
        return Used(request.purpose, channel or request.channel,
                    request.recipient.name if request.recipient else None,
                    self.decision.data_levels, self.decision.categories, self.required,
                    request.birth_date, self.zone)

    def stops(self) -> list[dt.datetime]:
        """The withdrawals in effect at the request's time that stop its purpose."""
        return stops(self.rules, self.request.purpose, self.consents, self.at)

    def failures(self) -> dict[str, list[str]]:
        """Consent id → why it does not count (empty: it counts), for the request."""
        stopped, used = self.stops(), self.used()
        return {c.id: failures(self.rules, self.purpose, c, used, self.at, stopped)
                for c in self.candidates()}

    def with_failure(self, name: str) -> list[Consent]:
        found = self.failures()
        return [c for c in self.candidates() if name in found[c.id]]

    def contact_times(self) -> list[dt.datetime]:
        channel = self.request.channel
        return [] if channel is None else contact_times(self.contacts, self.request.purpose,
                                                        channel)

    def local(self, when: dt.datetime) -> str:
        """``when`` in the customer's zone, in words (in its own offset when it has no time
        there before year 10000)."""
        try:
            return f"{when.astimezone(self.zone):%Y-%m-%d %H:%M} ({self.zone_name})"
        except OverflowError:
            return when.isoformat(timespec="minutes")


def settle(cell: ContactCell, times: list[dt.datetime], at: dt.datetime,
           zone: dt.tzinfo) -> dt.datetime:
    """The first instant from ``at`` on inside the allowed hours with room under the
    frequency cap (``at`` itself when it already is)."""
    t = at
    for _ in range(_MAX_STEPS):
        moved = free_at(times, next_start(cell, t, zone), cell)
        if moved == t:
            return t
        t = moved
    return t
