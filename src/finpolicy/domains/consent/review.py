"""``review_consents``: findings about consent records and about the uses that relied on them.

Each consent record is reviewed as of ``as_of`` by the ``review_consent`` rules (bundled
consents, missing evidence, outdated notices, blanket marketing consents). Each contact and
processing record is reviewed as of its own time by the ``review_use`` rules, over the same
facts a decision at that time would read (the consent that counted then, the contact's local
time and the cap's count — the contact itself included, so a contact beyond the cap has a
count above it) plus the failures of the consent the record names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.clock import now
from finpolicy.domains.consent.consents import Used, failures, reached, stops
from finpolicy.domains.consent.evaluate import (
    Prepared,
    check_birth_date,
    check_given_after_birth,
    check_local_time,
    check_vocabulary,
    facts_at,
    items,
    local_day,
    local_zone,
    policy_in_force,
    within,
)
from finpolicy.domains.consent.model import (
    Consent,
    ConsentFinding,
    ConsentReviewReport,
    ContactRecord,
    ProcessingRequest,
    sort_findings,
)
from finpolicy.domains.consent.spec import REVIEW_CONSENT, REVIEW_USE, ConsentRules
from finpolicy.errors import InputError
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

__all__ = ["review_consents", "review_time"]


def review_time(value: Any, field: str = "as_of", *, dates: bool = True) -> dt.datetime:
    """``as_of`` of a review: an aware datetime (a bare date means its midnight UTC, unless
    ``dates`` is false, when it is refused; now when absent)."""
    if value is None:
        return now()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value or " " in value \
                else dt.date.fromisoformat(value)
        except ValueError:
            raise InputError.one(field, f"expected an ISO datetime with a time zone offset, "
                                        f"got `{value}`", "bad_datetime", value) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError.one(field, "naive datetime: give a time zone offset",
                                 "naive_datetime", value)
        return value
    if isinstance(value, dt.date) and dates:
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    if isinstance(value, dt.date):  # a campaign's allowed hours need the time of day
        raise InputError.one(field, "expected a datetime with a time zone offset, got a date "
                                    f"(`{value}`): the allowed hours need the time of day",
                             "bad_datetime", value)
    raise InputError.one(field, f"expected a datetime, got {type(value).__name__}",
                         "bad_datetime", value)


def _finding(rule: Rule, customer: str, consent_id: str | None,
             use: str | None) -> ConsentFinding:
    return ConsentFinding(rule.effect["severity"], rule.effect["finding"], rule.reason, rule.id,
                          rule.cite, customer, consent_id, use)


def _consent_fact(rules: ConsentRules, consent: Consent, own: Sequence[Consent],
                  at: dt.datetime) -> dict[str, Any]:
    purpose = rules.purposes[consent.purpose]
    shared = 0 if consent.evidence is None else sum(
        1 for c in own if c.evidence == consent.evidence and c.purpose != consent.purpose)
    withdrawn = consent.withdrawn_at is not None and \
        reached(consent.withdrawn_at, rules.withdrawal_delay, at)
    return {"consent": {
        "purpose": consent.purpose, "purpose_known": True, "basis": purpose.basis,
        "purpose_separate": purpose.separate, "separate": consent.separate,
        "evidence": consent.evidence is not None, "evidence_shared": shared,
        "notice_ok": not purpose.notices or consent.notice_version in purpose.notices,
        "expired": consent.expires_at is not None and consent.expires_at <= at,
        "lapsed": purpose.consent_days is not None
        and reached(consent.given_at, dt.timedelta(days=purpose.consent_days), at),
        "withdrawn": withdrawn, "channel_count": len(consent.channels)}}


def _use_findings(runtime: Runtime, doc: PolicyDocument[ConsentRules],
                  request: ProcessingRequest, kind: str, named: str | None,
                  own: Sequence[Consent], seen: Sequence[ContactRecord], at: dt.datetime,
                  label: str) -> list[ConsentFinding]:
    rules = doc.policy
    prepared = Prepared(runtime, doc, request, own, seen, at)
    if prepared.error is not None:
        raise prepared.error
    found = facts_at(prepared, at)
    named_failures: list[str] = []
    relied = next((c for c in own if c.id == named), None) if named else None
    if relied is not None:
        used = Used(request.purpose, request.channel,
                    request.recipient.name if request.recipient else None, prepared.levels,
                    prepared.categories, prepared.required, request.birth_date,
                    local_zone(rules, request))
        named_failures = failures(rules, rules.purposes.get(relied.purpose), relied, used, at,
                                  stops(rules, request.purpose, own, at))
    fact = {**found.fact, "use": {"kind": kind, "named_consent": relied is not None,
                                  "named_failures": named_failures}}
    consent_id = relied.id if relied is not None else (
        found.state.selected.id if found.state.selected is not None else None)
    return [_finding(rule, request.customer, consent_id, label)
            for rule in runtime.run(doc, REVIEW_USE, fact)]


def _records(contacts: Sequence[ContactRecord], processing: Sequence[ProcessingRequest]
             ) -> list[tuple[ProcessingRequest, str, str | None, str, int]]:
    """Every use as a request at its own time: (request, kind, named consent, label, index)."""
    out = []
    for i, k in enumerate(contacts):
        request = ProcessingRequest(customer=k.customer, purpose=k.purpose, channel=k.channel,
                                    time_zone=k.time_zone, as_of=k.at)
        out.append((request, "contact", k.consent_id, k.id or f"contact@{k.at.isoformat()}", i))
    for i, p in enumerate(processing):
        if p.as_of is None:
            raise InputError.one(f"processing.{i}.as_of", "a processing record needs the time "
                                                          "it happened", "missing")
        out.append((p, "processing", None, p.id or f"processing@{p.as_of.isoformat()}", i))
    return out


def _check_processing(rules: ConsentRules, done: Sequence[ProcessingRequest],
                      consents: Sequence[Consent]) -> None:
    """Refuse a processing record outside the policy's vocabulary or born after its day,
    naming the record, and a consent of its customer given before their date of birth."""
    for i, p in enumerate(done):
        try:
            check_vocabulary(rules, p, [], [], where="")
            if p.as_of is not None:
                check_birth_date(p.birth_date, local_day(rules, p.time_zone, p.as_of),
                                 "birth_date")
        except InputError as exc:
            raise within(exc, f"processing.{i}") from None
        check_given_after_birth(rules, p.birth_date, p.time_zone,
                                [c if c.customer == p.customer else None for c in consents],
                                f"processing.{i}.birth_date")


def review_consents(runtime: Runtime, consents: Any, *, contacts: Any = (),
                    processing: Any = (), as_of: Any = None,
                    policy: str | None = None) -> ConsentReviewReport:
    """Review consent records as of ``as_of`` (now when absent), and every contact and
    processing record as of its own time.

    Args:
        runtime: the engine's runtime.
        consents: the consent records (``Consent`` or mappings).
        contacts: contacts that happened (``ContactRecord`` or mappings).
        processing: processing that happened (``ProcessingRequest`` with ``as_of``).
        as_of: the review's time (an aware datetime; a date means its midnight UTC).
        policy: a policy id, when the bundle has several consent policies.

    Raises:
        InputError: a record is malformed or outside the policy's vocabulary.
        NotInForceError: no consent policy is in force on ``as_of``.
    """
    at = review_time(as_of)
    parsed = items(consents, Consent, "consents")
    history = items(contacts, ContactRecord, "contacts")
    done = items(processing, ProcessingRequest, "processing")
    doc = policy_in_force(runtime, at, policy)
    rules = doc.policy
    check_vocabulary(rules, None, parsed, history)
    _check_processing(rules, done, parsed)
    by_customer: dict[str, list[Consent]] = defaultdict(list)
    for c in parsed:
        by_customer[c.customer].append(c)
    contacted: dict[str, list[ContactRecord]] = defaultdict(list)
    for k in history:
        contacted[k.customer].append(k)
    findings = [_finding(rule, c.customer, c.id, None) for c in parsed
                for rule in runtime.run(doc, REVIEW_CONSENT,
                                        _consent_fact(rules, c, by_customer[c.customer], at))]
    for request, kind, named, label, i in _records(history, done):
        when = request.as_of or at
        then = policy_in_force(runtime, when, policy)
        if request.channel is not None:  # a contact's hours are read in local time
            check_local_time(then.policy, request.time_zone, when, f"contacts.{i}.at"
                             if kind == "contact" else f"processing.{i}.as_of")
        try:
            findings += _use_findings(runtime, then, request, kind, named,
                                      by_customer[request.customer],
                                      contacted[request.customer], when, label)
        except InputError as exc:  # (only processing records name fields)
            raise within(exc, f"processing.{i}") from None
    body = "|".join([at.isoformat(), *sorted(c.digest() for c in parsed), "|",
                     *sorted(k.digest() for k in history), "|",
                     *sorted(p.digest() for p in done)])
    return ConsentReviewReport(
        findings=sort_findings(findings), consents_reviewed=len(parsed),
        uses_reviewed=len(history) + len(done), policy=runtime.ref(doc),
        engine=runtime.engine_name, as_of=at,
        input_digest=hashlib.sha256(body.encode()).hexdigest())
