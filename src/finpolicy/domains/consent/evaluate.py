"""``check_processing``: derive the facts of a use of data in Python, find the consent that
counts, and let the policy's rules decide.

Two rule sets run per decision: the ``requirements`` rules say what the consent must be (from
the purpose, the channel, the data's levels and categories, the recipient); then the consents
are searched for one meeting them (``consents``), and the ``processing`` rules decide over the
request, the consent found and the contact (deny overrides; without an allow rule the request
is denied).

Which errors raise and which deny (as for access):

- a malformed input raises ``fp.InputError`` naming the field: naive datetimes, a channel,
  level or category outside the policy's vocabulary, a consent or contact for an unknown
  purpose, a field no classification rule knows (``unclassified_field``: its sensitivity is
  unknown) (the caller's records are out of step with the policy; denying would hide it);
- anything the caller may legitimately not know denies with a reason (fails closed): an
  unknown purpose of the request, no consent, a consent that does not count, and any error
  while evaluating.

Data used: the levels and categories the request gives, plus those of its ``fields`` as the
bundle's classification policy in force classifies them (through the registered
``classification`` domain).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from finpolicy.decisions import Hit
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.evaluation import check_policy_id
from finpolicy.domains.clock import in_force_beside, now
from finpolicy.domains.consent.checks import (
    check_birth_date,
    check_given_after_birth,
    check_local_time,
    local_day,
    local_zone,
)
from finpolicy.domains.consent.consents import (
    ConsentState,
    Used,
    contact_times,
    count_in_window,
    find_consent,
    minor,
)
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ContactRecord,
    ProcessingRequest,
)
from finpolicy.domains.consent.spec import POLICY_KIND, PROCESSING, REQUIREMENTS, ConsentRules
from finpolicy.errors import EvaluationError, InputError, InputProblem, NotInForceError
from finpolicy.inputs import InputModel
from finpolicy.runtime import Runtime, StateKey

__all__ = ["DEFAULT_DENY", "Facts", "Prepared", "check_birth_date", "check_given_after_birth",
           "check_local_time",
           "check_processing", "check_vocabulary", "decide", "facts_at", "items", "local_day",
           "local_zone", "minor", "policy_in_force", "prepare", "profiled", "records_digest",
           "request_facts", "within"]

DEFAULT_DENY = Hit("default-deny", "no rule allows this use of data (consent decisions fail "
                                   "closed)", "")
_ALLOW, _DENY = "allow", "deny"
_CLASSIFIED: StateKey[dict[tuple[str, dt.date], tuple[str, str | None] | None]] = StateKey(
    "consent.classified", dict)
_MAX_CLASSIFIED = 4096

M = TypeVar("M", bound=InputModel)


def policy_in_force(runtime: Runtime, at: dt.datetime,
                    policy: str | None = None) -> PolicyDocument[ConsentRules]:
    """The consent policy in force on ``at``'s date in the policy's time zone, as its
    ``effective_from`` reads: the same instant written in UTC or in Beijing time is decided by
    one version (looked up first on ``at``'s own date, or a day beside it, for its zone).

    Raises:
        NotInForceError: no version is in force on that day.
    """
    own = at.date()
    try:
        doc: PolicyDocument[ConsentRules] = runtime.policy(POLICY_KIND, own, policy)
    except NotInForceError:  # the policy's day may be the one after or before (offsets < 1 day)
        doc = in_force_beside(runtime, POLICY_KIND, own, policy)
    else:
        if local_day(doc.policy, None, at) == own:
            return doc
    # (raises, naming the policy's day, when no version is in force on it)
    return runtime.policy(POLICY_KIND, local_day(doc.policy, None, at), policy)


def items(value: Any, model: type[M], field: str, *, none_is_empty: bool = False) -> list[M]:
    """A list of ``model`` from models or mappings; anything else names ``field``. ``None``
    is refused (an argument left unset by mistake would read as no records: no consent, no
    contact) unless ``none_is_empty`` (a file's key written without a value)."""
    if value is None and none_is_empty:
        return []
    if isinstance(value, str | bytes | Mapping | InputModel) or not isinstance(value, Iterable):
        got = "" if value is not None else ", got None"
        raise InputError.one(field, f"expected a list of {model.__name__}{got}", "bad_input")
    return [model.parse(item, field=f"{field}.{i}") for i, item in enumerate(value)]


def within(exc: InputError, prefix: str) -> InputError:
    """``exc`` with its paths under ``prefix`` (the problems of one record of a call)."""
    return InputError([type(q)(f"{prefix}.{q.path}" if q.path else prefix, q.message, q.code,
                               q.value) for q in exc.problems])


def check_vocabulary(rules: ConsentRules, request: ProcessingRequest | None,
                     consents: Sequence[Consent], contacts: Sequence[ContactRecord], *,
                     where: str = "request") -> None:
    """Raise ``InputError`` for channels, levels, categories and record purposes outside the
    policy's vocabulary, and a recipient's country not written as the policy's home country
    (two letters against three: every problem at once); the request's are named under
    ``where``."""
    problems: list[InputProblem] = []
    at = f"{where}." if where else ""

    def known(values: Iterable[str], vocab: Any, path: str, what: str) -> None:
        for value in values:
            if value not in vocab:
                problems.append(InputProblem(path, f"unknown {what} `{value}`, expected one "
                                             f"of {', '.join(sorted(vocab))}",
                                             f"unknown_{what}", value))

    if request is not None:
        known([request.channel] if request.channel else [], rules.channels, f"{at}channel",
              "channel")
        known(request.data_levels, rules.levels, f"{at}data_levels", "level")
        known(request.categories, rules.categories, f"{at}categories", "category")
        country = request.recipient.country if request.recipient else None
        if country is not None and len(country) != len(rules.home_country):
            # `CHN` against `CN` read a recipient at home as one abroad
            problems.append(InputProblem(
                f"{at}recipient.country", f"`{country}` is not written as the policy writes "
                f"countries: its home country is `{rules.home_country}` (ISO 3166-1, "
                f"{len(rules.home_country)} letters); write the recipient's country the same "
                "way, or whether the data goes abroad cannot be told", "bad_country", country))
    for i, c in enumerate(consents):
        path = f"consents.{i}"
        known([c.purpose], rules.purposes, f"{path}.purpose", "purpose")
        known(c.channels, rules.channels, f"{path}.channels", "channel")
        known(c.data_levels, rules.levels, f"{path}.data_levels", "level")
        known(c.categories, rules.categories, f"{path}.categories", "category")
    for i, k in enumerate(contacts):
        path = f"contacts.{i}"
        known([k.purpose], rules.purposes, f"{path}.purpose", "purpose")
        known([k.channel], rules.channels, f"{path}.channel", "channel")
    if problems:
        raise InputError(problems)


def _classified(runtime: Runtime, name: str, on: dt.date) -> tuple[str, str | None] | None:
    """The level and category the classification policy gives ``name`` (``None`` when no
    rule of it knows the name)."""
    cache = runtime.state(_CLASSIFIED)
    if (name, on) in cache:
        return cache[(name, on)]
    from finpolicy.domains.registry import domain

    classify = domain("classification").operations["classify"]
    decision = classify(runtime, name, as_of=on)
    found = (str(decision.level), decision.category) if decision.hits else None
    if len(cache) >= _MAX_CLASSIFIED:
        cache.clear()
    cache[(name, on)] = found
    return found


def data_used(runtime: Runtime, rules: ConsentRules, request: ProcessingRequest,
              at: dt.datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The levels (lowest first) and categories (sorted) of the data the request uses."""
    levels, categories = set(request.data_levels), set(request.categories)
    for name in request.fields:
        found = _classified(runtime, name, local_day(rules, None, at))  # the policy's day
        if found is None:
            # read as ordinary, a biometric or a child's data would pass on a bundled consent
            raise InputError.one(
                "fields", f"no rule of the classification policy in force knows the field "
                f"`{name}`, so whether it is sensitive is unknown: classify it, or name the "
                "data's level and category in `data_levels` and `categories` instead",
                "unclassified_field", name)
        level, category = found
        if level not in rules.level_rank:
            raise EvaluationError(f"the classification policy classifies `{name}` as "
                                  f"`{level}`, a level the consent policy does not declare "
                                  f"({', '.join(rules.levels)})")
        levels.add(level)
        if category is not None:
            categories.add(category)
    return (tuple(sorted(levels, key=rules.level_rank.__getitem__)), tuple(sorted(categories)))


def request_facts(rules: ConsentRules, request: ProcessingRequest, levels: Sequence[str],
                  categories: Sequence[str], at: dt.datetime | None = None) -> dict[str, Any]:
    """The facts the requirement rules read (the request alone, at ``at``: the customer
    is a minor or not on the local date)."""
    when = at or request.as_of or now()
    young = request.birth_date is not None and minor(
        rules, request.birth_date, local_day(rules, request.time_zone, when))
    purpose = rules.purposes.get(request.purpose)
    r: dict[str, Any] = {"purpose": request.purpose, "purpose_known": purpose is not None,
                         "separate_purpose": bool(purpose and purpose.separate),
                         "contact": request.channel is not None,
                         "personalised": request.personalised,
                         "automated_decision": request.automated_decision,
                         "significant": request.purpose in rules.significant}
    if purpose is not None:
        r["basis"] = purpose.basis
    if request.channel is not None:
        r["channel"] = request.channel
        r["channel_allowed"] = purpose is not None and request.channel in purpose.contact
    data: dict[str, Any] = {
        "levels": list(levels), "categories": list(categories),
        "sensitive": young or any(v in rules.sensitive_levels for v in levels)
        or any(c in rules.sensitive_categories for c in categories)}
    if levels:
        data["max_level"] = levels[-1]
        data["max_rank"] = rules.level_rank[levels[-1]]
    to = request.recipient
    recipient: dict[str, Any] = {"present": to is not None}
    if to is not None:
        recipient.update(kind=to.kind, outside=to.kind != "internal",
                         cross_border=to.country is not None and to.country != rules.home_country,
                         agreement=to.agreement is not None,
                         legal_route=to.transfer_mechanism is not None)
    return {"request": r, "data": data, "recipient": recipient,
            "customer": {"minor": young}}


def _contact_fact(rules: ConsentRules, request: ProcessingRequest, at: dt.datetime,
                  contacts: Sequence[ContactRecord]) -> tuple[dict[str, Any], dt.datetime | None,
                                                              int | None, int | None]:
    """The contact's facts, its local time, and the cap's count and size."""
    if request.channel is None:
        return {}, None, None, None
    local = at.astimezone(local_zone(rules, request))
    fact: dict[str, Any] = {"local_minutes": local.hour * 60 + local.minute}
    purpose = rules.purposes.get(request.purpose)
    cell = purpose.contact.get(request.channel) if purpose is not None else None
    if cell is None:
        return fact, local, None, None
    fact["in_hours"] = cell.in_hours(local.time())
    if cell.cap is None or cell.cap_days is None:
        return fact, local, None, None
    count = count_in_window(contact_times(contacts, request.purpose, request.channel), at,
                            cell.cap_days)
    fact.update(count=count, cap=cell.cap, window_days=cell.cap_days)
    return fact, local, count, cell.cap


def _consent_fact(state: ConsentState, required: frozenset[str],
                  levels: Sequence[str]) -> dict[str, Any]:
    fact: dict[str, Any] = {"required": "consent" in required, "requires": sorted(required),
                            "offered": state.offered, "valid": state.selected is not None,
                            "failures": list(state.failures)}
    if state.selected is not None:
        fact["separate"] = state.selected.separate
        fact["by_guardian"] = state.selected.given_by == "guardian"
        named = state.selected.data_levels
        fact["names_levels"] = bool(named) and all(v in named for v in levels)
    return fact


def records_digest(consents: Sequence[Consent], contacts: Sequence[ContactRecord]) -> str:
    """The digests of a request's consent and contact records, in a canonical order."""
    return "|".join([*sorted(c.digest() for c in consents), "|",
                     *sorted(c.digest() for c in contacts)])


def _digest(prepared: Prepared, at: dt.datetime) -> str:
    body = f"{prepared.request.digest()}|{at.isoformat()}|{prepared.records}"
    return hashlib.sha256(body.encode()).hexdigest()


class Prepared:
    """One request with its data classified and its requirements known: evaluating it at
    other times (a campaign's next allowed time) repeats only what depends on time.
    ``records`` is ``records_digest(consents, contacts)`` when the caller has it already."""

    __slots__ = ("categories", "consents", "contacts", "doc", "error", "facts", "levels",
                 "records", "request", "required", "requirement_hits")

    def __init__(self, runtime: Runtime, doc: PolicyDocument[ConsentRules],
                 request: ProcessingRequest, consents: Sequence[Consent],
                 contacts: Sequence[ContactRecord], at: dt.datetime,
                 records: str | None = None) -> None:
        rules = doc.policy
        self.doc, self.request, self.consents, self.contacts = doc, request, consents, contacts
        self.records = records if records is not None else records_digest(consents, contacts)
        self.levels, self.categories = data_used(runtime, rules, request, at)
        self.facts = request_facts(rules, request, self.levels, self.categories, at)
        self.error: Exception | None = None
        self.required: frozenset[str] = frozenset()
        self.requirement_hits: tuple[Hit, ...] = ()
        try:
            matched = runtime.run(doc, REQUIREMENTS, self.facts)
        except Exception as exc:  # fail closed: the decision denies, naming the error
            self.error = exc
            return
        required: set[str] = set()
        for rule in matched:
            required.update(rule.effect["require"])
        if required:
            required.add("consent")
        self.required = frozenset(required)
        self.requirement_hits = tuple(rules.hit_of[r.id] for r in matched)


def prepare(runtime: Runtime, doc: PolicyDocument[ConsentRules], request: ProcessingRequest,
            consents: Sequence[Consent], contacts: Sequence[ContactRecord],
            at: dt.datetime) -> Prepared:
    """Classify the request's data and run its requirement rules (``consents`` and
    ``contacts`` are the customer's own, already checked)."""
    return Prepared(runtime, doc, request, consents, contacts, at)


@attrs.frozen(slots=True)
class Facts:
    """The facts of a prepared request at one instant, and what was found on the way."""

    fact: dict[str, Any]
    state: ConsentState
    local: dt.datetime | None
    count: int | None
    cap: int | None


def facts_at(prepared: Prepared, at: dt.datetime) -> Facts:
    """The processing rules' facts: the request's, the consent found at ``at`` and the
    contact's."""
    request, rules = prepared.request, prepared.doc.policy
    zone = local_zone(rules, request)
    used = Used(request.purpose, request.channel,
                request.recipient.name if request.recipient else None,
                prepared.levels, prepared.categories, prepared.required,
                request.birth_date, zone)
    state = (find_consent(rules, prepared.consents, used, at) if prepared.required
             else ConsentState(None, sum(c.purpose == request.purpose
                                         for c in prepared.consents)))
    contact, local, count, cap = _contact_fact(rules, request, at, prepared.contacts)
    fact = {**prepared.facts, "contact": contact,
            "consent": _consent_fact(state, prepared.required, prepared.levels)}
    if rules.profiling_purpose is not None:
        fact["profile"] = {"consented": profiled(rules, prepared.consents, at,
                                                 born=request.birth_date, zone=zone)}
    if rules.significant:
        refusal = request.automated_refusal
        fact["automated"] = {"refused": refusal is not None and refusal.in_force(at)}
    return Facts(fact, state, local, count, cap)


def profiled(rules: ConsentRules, consents: Sequence[Consent], at: dt.datetime, *,
             born: dt.date | None = None, zone: dt.tzinfo | None = None) -> bool:
    """Whether a consent of the customer to the policy's profiling purpose counts at
    ``at`` (given, not withdrawn, expired or lapsed, under a notice the policy accepts, by
    the customer or, for a minor, a guardian: ``born`` and ``zone`` as ``Used``)."""
    purpose = rules.profiling_purpose
    if purpose is None:
        return False
    used = Used(purpose, None, None, (), (), frozenset({"consent"}), born, zone)
    return find_consent(rules, consents, used, at).selected is not None


def decide(runtime: Runtime, prepared: Prepared, at: dt.datetime) -> ConsentDecision:
    """Decide a prepared request at ``at`` (fails closed on any evaluation error)."""
    doc, request = prepared.doc, prepared.request
    rules = doc.policy
    if prepared.error is not None:
        return _error_decision(runtime, prepared, at, prepared.error)
    try:
        found = facts_at(prepared, at)
        matched = runtime.run(doc, PROCESSING, found.fact)
    except Exception as exc:  # fail closed: an evaluation error denies, with the reason
        return _error_decision(runtime, prepared, at, exc)
    state, local, count, cap = found.state, found.local, found.count, found.cap
    denies = [r for r in matched if r.effect["effect"] == _DENY]
    allows = [r for r in matched if r.effect["effect"] == _ALLOW]
    allowed = bool(allows) and not denies
    outcome = _ALLOW if allowed else _DENY
    hit_of = rules.hit_of
    hits = (tuple(hit_of[r.id] for r in allows) if allowed
            else tuple(hit_of[r.id] for r in denies) or (DEFAULT_DENY,))
    obligations = sorted({o for r in matched if r.effect["effect"] == "obligation"
                          and outcome in r.effect["applies_to"] for o in r.obligations})
    chosen = state.selected
    return ConsentDecision(
        outcome=outcome, allowed=allowed, hits=hits, obligations=tuple(obligations),
        policy=runtime.ref(doc), engine=runtime.engine_name,
        input_digest=_digest(prepared, at), as_of=at,
        customer=request.customer, purpose=request.purpose, channel=request.channel,
        recipient=request.recipient.name if request.recipient else None,
        request_id=request.id,
        consent_id=chosen.id if chosen is not None and allowed else None,
        required=tuple(sorted(prepared.required)),
        requirement_hits=prepared.requirement_hits, consent_failures=state.detail,
        data_levels=prepared.levels, categories=prepared.categories, local_time=local,
        contacts_in_window=count, cap=cap)


def _error_decision(runtime: Runtime, prepared: Prepared, at: dt.datetime,
                    exc: Exception) -> ConsentDecision:
    request = prepared.request
    hit = Hit("evaluation-error", f"denied because evaluation failed: {type(exc).__name__}: "
                                  f"{exc}", "")
    return ConsentDecision(
        outcome=_DENY, allowed=False, hits=(hit,), policy=runtime.ref(prepared.doc),
        engine=runtime.engine_name,
        input_digest=_digest(prepared, at), as_of=at,
        customer=request.customer, purpose=request.purpose, channel=request.channel,
        request_id=request.id)


def check_processing(runtime: Runtime, request: Any, *, consents: Any = (),
                     contacts: Any = (), policy: str | None = None) -> ConsentDecision:
    """Decide whether ``request`` may go ahead at its ``as_of`` (now when absent), given the
    customer's ``consents`` and earlier ``contacts``.

    Records of other customers are not the customer's and are not considered.

    Raises:
        InputError: the request or a record is malformed (see the module docstring), or
            ``policy`` is no text.
        NotInForceError: no consent policy (or, for ``fields``, no classification policy) is
            in force on that date.
    """
    check_policy_id(policy)
    req = ProcessingRequest.parse(request, field="request")
    parsed = items(consents, Consent, "consents")
    history = items(contacts, ContactRecord, "contacts")
    at = req.as_of or now()
    doc = policy_in_force(runtime, at, policy)
    check_vocabulary(doc.policy, req, parsed, history)
    if req.channel is not None:
        check_local_time(doc.policy, req.time_zone, at, "request.as_of")
    check_birth_date(req.birth_date, local_day(doc.policy, req.time_zone, at),
                     "request.birth_date")
    check_given_after_birth(doc.policy, req.birth_date, req.time_zone,
                            [c if c.customer == req.customer else None for c in parsed],
                            "request.birth_date")
    own = [c for c in parsed if c.customer == req.customer]
    seen = [c for c in history if c.customer == req.customer]
    try:
        prepared = prepare(runtime, doc, req, own, seen, at)
    except InputError as exc:  # a field no classification rule knows
        raise within(exc, "request") from None
    return decide(runtime, prepared, at)
