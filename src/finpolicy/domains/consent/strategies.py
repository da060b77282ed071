"""Hypothesis strategies for consent inputs, drawn from a bundle's consent policies.

Requests over the policy's purposes (and an unknown one), channels, levels, categories and
recipients, at local times on both sides of the allowed hours in several time zones; consents
given, expiring and withdrawn on either side of the request; contact histories at the
frequency caps' boundaries (one below the cap, at it, above it). ``consent_cases`` pairs a
request with a consent that covers it exactly, often spoilt in one way, so that allows are
common and every way of failing is near. Shrinking moves towards the first choices: no
recipient, no channel, a fresh consent, no contacts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.domains.consent.model import (
    Consent,
    ContactRecord,
    ProcessingRequest,
    Recipient,
    Refusal,
)
from finpolicy.domains.consent.spec import KIND, ConsentRules

# the module, not its names: hypothesis' entry point imports this one while
# finpolicy.testing.strategies may be half-imported (it imports hypothesis)
from finpolicy.testing import strategies as shared
from finpolicy.testing.vocabulary import effective_dates

__all__ = ["STRATEGIES", "TYPE_STRATEGIES", "consent_cases", "consents", "contact_records",
           "processing_requests", "recipients"]

ZONES = (None, "Asia/Shanghai", "Europe/London", "America/New_York")
LOCAL_TIMES = (dt.time(10, 0), dt.time(7, 59), dt.time(8, 0), dt.time(20, 59), dt.time(21, 0),
               dt.time(23, 30), dt.time(3, 0))
_CUSTOMERS = ("cu1", "cu2")


def _rules(bundle: Bundle, policy: PolicyDocument[Any] | None) -> list[ConsentRules]:
    docs = [policy] if policy is not None else shared.require(bundle, KIND)
    return [d.policy for d in docs]


def _days(bundle: Bundle, policy: PolicyDocument[Any] | None) -> list[dt.date]:
    days = [d for d in effective_dates(bundle, KIND)
            if policy is None or policy.metadata.in_force(d)]
    return days or ([policy.metadata.effective_from] if policy is not None else [])


def recipients(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.Recipient`` values: internal, a processor or another handler, at home or abroad,
    with or without an agreement and a transfer mechanism (``None`` first: no recipient)."""
    home = _rules(shared.bundle_or_default(bundle), None)[0].home_country
    outside = st.builds(Recipient, name=st.sampled_from(["partner-a", "partner-b"]),
                        kind=st.sampled_from(["third_party", "processor"]),
                        country=st.sampled_from([None, home, "SG"]),
                        agreement=st.sampled_from(["dsa-1", None]),
                        transfer_mechanism=st.sampled_from([None, "standard_contract"]))
    return st.none() | st.just(Recipient(name="bank-crm", kind="internal")) | outside


def _when(day: dt.date, local: dt.time, zone: str | None, rules: ConsentRules) -> dt.datetime:
    """``local`` time in ``zone`` on ``day`` in the policy's zone, whose day decides the
    version in force (07:59 in Beijing on a London policy's first day is the day before
    there: moved a day on, it is the same local time on a day the policy decides)."""
    at = dt.datetime.combine(day, local, ZoneInfo(zone) if zone else rules.zone)
    return at + dt.timedelta(days=(day - at.astimezone(rules.zone).date()).days)


def _births(day: dt.date, rules: ConsentRules) -> st.SearchStrategy[dt.date | None]:
    """Dates of birth: unknown, a child's, or on either side of the minors' age that day."""
    age = rules.minors_under or 14
    of_age = day.replace(year=day.year - age, day=min(day.day, 28))
    child = of_age.replace(year=of_age.year + 4)
    return st.sampled_from([None, None, child, child, of_age, of_age + dt.timedelta(days=1)])


def _refusals(at: dt.datetime) -> st.SearchStrategy[Refusal | None]:
    """Refusals of solely automated decisions (``None`` first: none), made before, at or
    after ``at``, withdrawn at or around it or not."""
    hour = dt.timedelta(hours=1)

    def made(refused: dt.datetime, withdrawn: dt.datetime | None) -> Refusal:
        return Refusal(id="r1", refused_at=refused, evidence="ev-refusal",
                       withdrawn_at=withdrawn if withdrawn is None or withdrawn >= refused
                       else None)

    return st.none() | st.builds(made, st.sampled_from([at - 24 * hour, at, at + hour]),
                                 st.sampled_from([None, None, at, at - hour, at + hour]))


def processing_requests(bundle: Bundle | None = None, *,
                        policy: PolicyDocument[Any] | None = None) -> st.SearchStrategy[Any]:
    """``fp.ProcessingRequest`` values over the policy's vocabulary, at local times on both
    sides of the allowed hours, in several zones, on days the policy is in force."""
    b = shared.bundle_or_default(bundle)
    rules = _rules(b, policy)[0]
    days = _days(b, policy)
    purposes = sorted(rules.purposes)
    levels = list(rules.levels)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        purpose = draw(st.sampled_from([*purposes, "curiosity"]))
        reach = sorted(rules.purposes[purpose].contact) if purpose in rules.purposes else []
        channel = draw(st.none() | st.sampled_from(reach or sorted(rules.channels))
                       | st.sampled_from(sorted(rules.channels)))
        zone = draw(st.sampled_from(ZONES))
        day = draw(st.sampled_from(days))
        at = _when(day, draw(st.sampled_from(LOCAL_TIMES)), zone, rules)
        return ProcessingRequest(
            id=None, customer=draw(st.sampled_from(_CUSTOMERS)), purpose=purpose,
            channel=channel, birth_date=draw(_births(day, rules)),
            data_levels=draw(st.lists(st.sampled_from(levels), max_size=2, unique=True)),
            categories=draw(st.lists(st.sampled_from(sorted(rules.categories)), max_size=2,
                                     unique=True)),
            recipient=draw(recipients(b)), personalised=draw(st.booleans()), time_zone=zone,
            as_of=at, automated_decision=draw(st.booleans()),
            automated_refusal=draw(_refusals(at)))

    return build()


_GAPS = (dt.timedelta(days=1), dt.timedelta(0), dt.timedelta(seconds=-1),
         dt.timedelta(days=400), dt.timedelta(days=800), dt.timedelta(hours=-5))


def consents(bundle: Bundle | None = None, *, customer: str | None = None,
             as_of: dt.datetime | None = None,
             policy: PolicyDocument[Any] | None = None) -> st.SearchStrategy[Any]:
    """``fp.Consent`` values of the policy's purposes, given, expiring and withdrawn on
    either side of ``as_of`` (a fixed instant when absent), separate or bundled, naming some
    channels, levels, categories and recipients or none (of ``policy``'s vocabulary; of the
    bundle's first consent version when absent)."""
    b = shared.bundle_or_default(bundle)
    rules = _rules(b, policy)[0]
    at = as_of or dt.datetime(2026, 3, 2, 10, 0, tzinfo=rules.zone)
    notices = sorted({n for p in rules.purposes.values() for n in p.notices})

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        given = at - draw(st.sampled_from(_GAPS))
        expires = draw(st.none() | st.sampled_from([at, at + dt.timedelta(days=30),
                                                    at - dt.timedelta(seconds=1)]))
        withdrawn = draw(st.none() | st.sampled_from([at, at - dt.timedelta(hours=1),
                                                      at + dt.timedelta(hours=1)]))
        return Consent(
            id=f"c{draw(st.integers(0, 9))}",
            customer=customer or draw(st.sampled_from(_CUSTOMERS)),
            purpose=draw(st.sampled_from(sorted(rules.purposes))),
            channels=draw(st.lists(st.sampled_from(sorted(rules.channels)), max_size=2)),
            data_levels=draw(st.lists(st.sampled_from(list(rules.levels)), max_size=2)),
            categories=draw(st.lists(st.sampled_from(sorted(rules.categories)), max_size=2)),
            recipients=draw(st.lists(st.sampled_from(["partner-a", "partner-b"]),
                                     max_size=1)),
            separate=draw(st.booleans()), given_at=given,
            expires_at=expires if expires is not None and expires > given else None,
            withdrawn_at=withdrawn if withdrawn is not None and withdrawn >= given else None,
            evidence=draw(st.sampled_from(["ev-1", "ev-2", None])),
            notice_version=draw(st.sampled_from([*notices, None])))

    return build()


def contact_records(bundle: Bundle | None = None, *, customer: str | None = None,
                    as_of: dt.datetime | None = None,
                    policy: PolicyDocument[Any] | None = None) -> st.SearchStrategy[Any]:
    """``fp.ContactRecord`` values of the policy's purposes and channels (``policy``'s; the
    bundle's first consent version's when absent), up to 40 days before ``as_of`` (a fixed
    instant when absent), some exactly on a 30-day boundary."""
    b = shared.bundle_or_default(bundle)
    rules = _rules(b, policy)[0]
    at = as_of or dt.datetime(2026, 3, 2, 10, 0, tzinfo=rules.zone)
    ago = st.sampled_from([dt.timedelta(hours=1), dt.timedelta(days=29),
                           dt.timedelta(days=30), dt.timedelta(days=40), dt.timedelta(0)])
    return st.builds(ContactRecord, customer=st.just(customer) if customer else
                     st.sampled_from(_CUSTOMERS),
                     channel=st.sampled_from(sorted(rules.channels)),
                     purpose=st.sampled_from(sorted(rules.purposes)),
                     at=ago.map(lambda d: at - d))


def _covering(request: ProcessingRequest, rules: ConsentRules, spoil: str) -> Consent:
    """A consent covering ``request`` exactly, unless ``spoil`` names one way it does not."""
    at = request.as_of
    assert at is not None
    purpose = rules.purposes.get(request.purpose)
    notice = sorted(purpose.notices)[-1] if purpose and purpose.notices else None
    data: dict[str, Any] = {
        "id": "c-cover", "customer": request.customer, "purpose": request.purpose,
        "channels": [request.channel] if request.channel else [],
        "data_levels": list(request.data_levels), "categories": list(request.categories),
        "recipients": [request.recipient.name] if request.recipient else [],
        "separate": True, "given_at": at - dt.timedelta(days=10), "evidence": "ev-cover",
        "notice_version": notice,
        "given_by": "guardian" if request.birth_date is not None else "customer"}
    spoilt: dict[str, dict[str, Any]] = {
        "by_customer": {"given_by": "customer"},
        "bundled": {"separate": False}, "withdrawn": {"withdrawn_at": at},
        "expired": {"expires_at": at}, "later": {"given_at": at + dt.timedelta(hours=1)},
        "blanket": {"channels": [], "data_levels": [], "recipients": []},
        "old_notice": {"notice_version": None}}
    data.update(spoilt.get(spoil, {}))
    return Consent(**data)


def _scenarios(rules: ConsentRules, days: list[dt.date]) -> list[st.SearchStrategy[Any]]:
    """Requests the policy's invariants speak about, more often than chance would draw them:
    contacts on the purposes that reach customers (those resting on consent first), and uses
    of data on consent that go to another handler, at home or abroad, mostly at the top
    level."""
    reaching = sorted((p for p, v in rules.purposes.items() if v.contact),
                      key=lambda p: (rules.purposes[p].basis != "consent", p))
    leaving = sorted(p for p, v in rules.purposes.items()
                     if v.basis == "consent" and not v.contact)
    top, bottom = rules.levels[-1], rules.levels[0]
    levels = st.sampled_from([[top], [top], [bottom], [bottom, top]])
    partner = st.builds(Recipient, name=st.just("partner-a"), kind=st.just("third_party"),
                        country=st.sampled_from([None, None, "ZZ"]),
                        agreement=st.sampled_from(["dsa-1", "dsa-1", "dsa-1", None]),
                        transfer_mechanism=st.sampled_from(["standard_contract",
                                                            "standard_contract", None]))

    @st.composite
    def contact(draw: st.DrawFn) -> Any:
        purpose = draw(st.sampled_from([reaching[0], *reaching]))
        zone = draw(st.sampled_from(ZONES))
        day = draw(st.sampled_from(days))
        return ProcessingRequest(
            customer="cu1", purpose=purpose, birth_date=draw(_births(day, rules)),
            channel=draw(st.sampled_from(sorted(rules.purposes[purpose].contact))),
            data_levels=draw(st.sampled_from([[], [bottom], [top], [top]])),
            personalised=draw(st.sampled_from([False, False, True])), time_zone=zone,
            as_of=_when(day, draw(st.sampled_from(LOCAL_TIMES[:4])), zone, rules))

    @st.composite
    def leaving_data(draw: st.DrawFn) -> Any:
        return ProcessingRequest(
            customer="cu1", purpose=draw(st.sampled_from(leaving)), data_levels=draw(levels),
            recipient=draw(partner),
            as_of=_when(draw(st.sampled_from(days)), LOCAL_TIMES[0], None, rules))

    @st.composite
    def deciding(draw: st.DrawFn) -> Any:
        at = _when(draw(st.sampled_from(days)), LOCAL_TIMES[0], None, rules)
        return ProcessingRequest(
            customer="cu1", purpose=draw(st.sampled_from(significant)), as_of=at,
            automated_decision=draw(st.sampled_from([True, True, False])),
            automated_refusal=draw(_refusals(at)))

    significant = sorted(rules.significant)
    return ([contact(), contact(), contact()] if reaching else []) + (
        [leaving_data(), leaving_data()] if leaving else []) + (
        [deciding()] if significant else [])


def consent_cases(bundle: Bundle | None = None, *,
                  policy: PolicyDocument[Any] | None = None) -> st.SearchStrategy[Any]:
    """``{request, consents, contacts}``: a request (any, or one of the scenarios the
    invariants speak about), a consent covering it (often spoilt in one way), up to two other
    consents, and contacts of the request's purpose and channel below, at and above the cap."""
    b = shared.bundle_or_default(bundle)
    rules = _rules(b, policy)[0]
    requests = st.one_of(processing_requests(b, policy=policy),
                         *_scenarios(rules, _days(b, policy)))
    spoils = st.sampled_from(["none", "none", "none", "none", "withdrawn", "withdrawn",
                              "withdrawn", "bundled", "expired", "later", "blanket",
                              "old_notice", "by_customer", "absent"])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        request = draw(requests)
        at = request.as_of
        spoil = draw(spoils)
        known = request.purpose in rules.purposes  # a consent to an unknown purpose is bad input
        given = [] if spoil == "absent" or not known else [_covering(request, rules, spoil)]
        given += draw(st.lists(consents(b, customer=request.customer, as_of=at,
                                        policy=policy), max_size=2))
        history: list[Any] = []
        purpose = rules.purposes.get(request.purpose)
        cell = purpose.contact.get(request.channel) if purpose and request.channel else None
        if cell is not None and cell.cap is not None and cell.cap_days is not None:
            n = draw(st.sampled_from([0, cell.cap - 1, cell.cap, cell.cap + 1]))
            history = [ContactRecord(customer=request.customer, channel=request.channel,
                                     purpose=request.purpose,
                                     at=at - dt.timedelta(days=cell.cap_days) * (i + 1) / (n + 1))
                       for i in range(n)]
        history += draw(st.lists(contact_records(b, customer=request.customer, as_of=at,
                                                 policy=policy), max_size=2))
        return {"request": request, "consents": given, "contacts": history}

    return build()


def _some_recipients(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``recipients`` but never ``None``: ``st.from_type(fp.Recipient)`` draws recipients."""
    return recipients(bundle).filter(lambda r: r is not None)


STRATEGIES = ("consent_cases", "consents", "contact_records", "processing_requests",
              "recipients")


TYPE_STRATEGIES = {Consent: consents, ProcessingRequest: processing_requests,
                   ContactRecord: contact_records, Recipient: _some_recipients}
