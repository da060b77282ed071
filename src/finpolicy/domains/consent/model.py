"""Inputs (pydantic, validated) and results (attrs, frozen) of the consent domain.

Every time is an aware datetime: a consent given "at 9:00" means nothing without its zone, and
audit needs the instant. Instants are compared exactly (see ``evaluate`` for the boundaries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from finpolicy.decisions import Decision, Hit, PolicyRef, _plain
from finpolicy.inputs import Day, InputModel, Instant
from finpolicy.limits import (
    MAX_ID_LENGTH,
    MAX_ITEMS,
    MAX_TERM_LENGTH,
    MAX_TEXT_LENGTH,
    Identity,
    Key,
    Term,
)

__all__ = [
    "RECIPIENT_KINDS",
    "TRANSFER_MECHANISMS",
    "Consent",
    "ConsentDecision",
    "ConsentFinding",
    "ConsentFindingDecision",
    "ConsentReviewReport",
    "ContactRecord",
    "ProcessingRequest",
    "Recipient",
    "Refusal",
]

_ID = Field(min_length=1, max_length=MAX_ID_LENGTH)
_OPTIONAL_ID = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH)
_NAMES: Any = Field(default_factory=list, max_length=MAX_ITEMS)
_ZONE = Field(default=None, max_length=MAX_TERM_LENGTH)
_TEXT = Field(default=None, max_length=MAX_TEXT_LENGTH)

RECIPIENT_KINDS = ("internal", "processor", "third_party")
"""Who receives data: the bank's own staff and systems; a processor entrusted by the bank
(PIPL Art. 21, a contract); another handler (PIPL Art. 23, separate consent)."""

TRANSFER_MECHANISMS = ("security_assessment", "certification", "standard_contract",
                       "other_condition")
"""The legal routes for providing personal information abroad (PIPL Art. 38(1)–(4))."""


def _names(value: list[str]) -> list[str]:
    # a canonical order keeps the input digest independent of how the caller listed them
    if any(not v.strip() for v in value):
        raise ValueError("an entry is blank")
    return sorted(dict.fromkeys(value))


class _Cached(InputModel):
    """Caches the digest: instances are frozen, and every decision names it."""

    _digest: str | None = PrivateAttr(None)
    # fields added after decisions were logged: at their default they stay out of the digest,
    # so a logged decision replays to the same input digest
    _LATER: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    def __eq__(self, other: object) -> bool:
        # pydantic also compares private attributes; the cache must not count
        if not isinstance(other, InputModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), self.digest()))

    def digest(self) -> str:
        private = self.__pydantic_private__
        found = private.get("_digest") if private else None
        if found is None:
            left = {name for name, default in self._LATER.items()
                    if getattr(self, name) == default}
            found = hashlib.sha256(self.__pydantic_serializer__.to_json(
                self, exclude=left or None)).hexdigest()
            self._digest = found
        return found


class Consent(_Cached):
    """A customer's consent to one purpose, as the bank recorded it.

    Lists left empty do not restrict: a consent without ``channels`` covers every channel,
    unless the policy requires the channel to be named (``channel_named``); the same holds for
    ``data_levels``, ``categories`` and ``recipients``.

    Attributes:
        id: the consent record's id.
        customer: the customer who gave it (in canonical form, ``fp.canonical_id``, as
            every customer id of the domain: one customer however the records spell them).
        purpose: the purpose consented to (one of the policy's purposes).
        channels: channels the customer agreed to be contacted on.
        data_levels: data levels the consent names (classification levels).
        categories: data categories the consent names.
        recipients: recipients named in the notice (PIPL Art. 23, 39).
        separate: given on its own, not bundled into a general agreement (单独同意).
        given_at: when it was given.
        expires_at: when it ends by its own terms (exclusive), if it does.
        withdrawn_at: when the customer withdrew it, if they did.
        evidence: a reference to the evidence (signed form, recording, log entry).
        notice_version: the version of the notice the customer was shown.
        given_by: who gave it: ``customer``, or ``guardian`` (a parent or other guardian,
            for a customer who is a minor, PIPL Art. 31).
    """

    _LATER = MappingProxyType({"given_by": "customer"})

    id: str = _ID
    customer: Identity
    purpose: Term
    channels: list[Term] = _NAMES
    data_levels: list[Term] = _NAMES
    categories: list[Term] = _NAMES
    recipients: list[Key] = _NAMES
    separate: bool = False
    given_at: Instant
    expires_at: Instant | None = None
    withdrawn_at: Instant | None = None
    evidence: str | None = _TEXT
    notice_version: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)
    given_by: Literal["customer", "guardian"] = "customer"

    _names = field_validator("channels", "data_levels", "categories", "recipients")(_names)

    @field_validator("expires_at", "withdrawn_at")
    @classmethod
    def _order(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        given = info.data.get("given_at")  # (absent when given_at itself is invalid)
        if value is None or given is None:
            return value
        if info.field_name == "expires_at" and value <= given:
            raise ValueError(f"the consent would expire at {value.isoformat()}, not after it "
                             f"was given (`given_at` {given.isoformat()})")
        if info.field_name == "withdrawn_at" and value < given:
            raise ValueError(f"the withdrawal at {value.isoformat()} is before the consent "
                             f"was given (`given_at` {given.isoformat()}): a consent is "
                             "withdrawn after it is given")
        return value


class Recipient(InputModel):
    """Who receives the data.

    Attributes:
        name: the recipient's name (a consent names it, PIPL Art. 23).
        kind: ``internal``, ``processor`` (entrusted, PIPL Art. 21) or ``third_party``
            (another handler, PIPL Art. 23).
        country: ISO 3166 code of where it processes the data; the policy's home country
            when absent.
        agreement: the reference of the data agreement (or entrustment contract) with it.
        transfer_mechanism: the legal route for a recipient abroad (PIPL Art. 38).
    """

    name: str = _ID
    kind: Literal["internal", "processor", "third_party"]
    country: str | None = Field(default=None, min_length=2, max_length=3)
    agreement: str | None = _OPTIONAL_ID
    transfer_mechanism: Literal["security_assessment", "certification", "standard_contract",
                                "other_condition"] | None = None

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return None if value is None else value.upper()


class Refusal(_Cached):
    """The customer's refusal of decisions made solely by automated means (PIPL Art. 24 ¶3),
    as the bank recorded it: in force from ``refused_at`` until ``withdrawn_at`` (exclusive),
    as a consent is from its giving to its withdrawal.

    Attributes:
        id: the refusal record's id.
        refused_at: when the customer refused.
        withdrawn_at: when the customer withdrew the refusal, if they did.
        evidence: a reference to the evidence (signed form, recording, log entry).
    """

    id: str | None = _OPTIONAL_ID
    refused_at: Instant
    withdrawn_at: Instant | None = None
    evidence: str | None = _TEXT

    @field_validator("withdrawn_at")
    @classmethod
    def _order(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        refused = info.data.get("refused_at")  # (absent when refused_at itself is invalid)
        if value is not None and refused is not None and value < refused:
            raise ValueError(f"the withdrawal at {value.isoformat()} is before the refusal "
                             f"(`refused_at` {refused.isoformat()}): a refusal is withdrawn "
                             "after it is made")
        return value

    def in_force(self, at: dt.datetime) -> bool:
        """Whether the refusal holds at ``at`` (made by then, not withdrawn by then)."""
        return self.refused_at <= at and (self.withdrawn_at is None or at < self.withdrawn_at)


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone `{value}`, expected an IANA name such as "
                         "`Asia/Shanghai`") from None
    return value


class ProcessingRequest(_Cached):
    """One use of a customer's data: ``purpose``, optionally by contacting them on
    ``channel``, reading data of ``data_levels`` and ``categories`` (and of the ``fields``
    the bundle's classification policy classifies), optionally going to ``recipient``, at
    ``as_of`` (now when absent).

    Attributes:
        id: the caller's reference for the request (named in the decision).
        customer: whose data, or who is contacted (in canonical form).
        purpose: the purpose (one of the policy's purposes; an unknown one is denied).
        channel: the channel of a contact; absent when no one is contacted.
        data_levels: classification levels of the data used.
        categories: data categories of the data used.
        fields: names of the fields used; the bundle's classification policy adds their
            levels and categories (a field none of its rules knows is refused).
        recipient: who receives the data, when it leaves the bank's own use.
        personalised: the contact is chosen by automated decision-making from the customer's
            profile (PIPL Art. 24).
        automated_decision: the request makes a decision about the customer solely by
            automated means, with no person assessing it (PIPL Art. 24 ¶3, Art. 73(2)); the
            policy's ``automated_decisions.significant`` purposes say which decisions affect
            the customer's rights and interests significantly.
        automated_refusal: the customer's refusal of decisions made solely by automated
            means, when they made one (a ``Refusal``).
        time_zone: the customer's IANA time zone (the policy's own when absent); allowed
            hours are local time in it.
        birth_date: the customer's date of birth, when known: younger than the policy's
            ``sensitive.minors_under`` years on the local date of ``as_of``, the customer is a
            minor (PIPL Art. 28, 31); without it, the customer is not taken for one.
        as_of: when it happens.
    """

    _LATER = MappingProxyType({"birth_date": None, "automated_decision": False,
                               "automated_refusal": None})

    id: str | None = _OPTIONAL_ID
    customer: Identity
    purpose: Term
    channel: str | None = Field(default=None, min_length=1, max_length=MAX_TERM_LENGTH)
    data_levels: list[Term] = _NAMES
    categories: list[Term] = _NAMES
    fields: list[Term] = _NAMES
    recipient: Recipient | None = None
    personalised: bool = False
    time_zone: str | None = _ZONE
    as_of: Instant | None = None
    birth_date: Day | None = None
    automated_decision: bool = False
    automated_refusal: Refusal | None = None

    _names = field_validator("data_levels", "categories", "fields")(_names)
    _zone = field_validator("time_zone")(_zone)


class ContactRecord(_Cached):
    """A contact that happened (frequency caps count them; reviews check them).

    Attributes:
        id: the record's id.
        customer: who was contacted (in canonical form).
        channel: on which channel.
        purpose: for which purpose.
        at: when.
        consent_id: the consent the contact relied on, when recorded.
        time_zone: the customer's IANA time zone then (the policy's own when absent).
    """

    id: str | None = _OPTIONAL_ID
    customer: Identity
    channel: Term
    purpose: Term
    at: Instant
    consent_id: str | None = _OPTIONAL_ID
    time_zone: str | None = _ZONE

    _zone = field_validator("time_zone")(_zone)


@attrs.frozen(slots=True, kw_only=True)
class ConsentDecision(Decision):
    """The decision on one processing request (deny overrides; fails closed).

    Attributes:
        allowed: ``True`` exactly when ``outcome == "allow"``.
        customer, purpose, channel: the request's.
        recipient: the recipient's name, when there is one.
        request_id: the request's own id, when given.
        consent_id: the consent that authorised it (``None`` when none was needed or the
            request is denied).
        required: what the consent had to be (``consent``, ``separate_consent``,
            ``channel_named``, ``recipient_named``, ``levels_named``).
        requirement_hits: the rules that required them.
        consent_failures: ``"<consent id>: <failure>, …"`` for each consent of the purpose
            that did not count.
        data_levels, categories: the data used (given and classified).
        local_time: the contact's local time in the customer's zone (contacts only).
        contacts_in_window: earlier contacts counted by the frequency cap (contacts only).
        cap: the cap's number of contacts, when the channel has one.
    """

    allowed: bool
    customer: str
    purpose: str
    channel: str | None = None
    recipient: str | None = None
    request_id: str | None = None
    consent_id: str | None = None
    required: tuple[str, ...] = ()
    requirement_hits: tuple[Hit, ...] = ()
    consent_failures: tuple[str, ...] = ()
    data_levels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    local_time: dt.datetime | None = None
    contacts_in_window: int | None = None
    cap: int | None = None

    def _details(self) -> list[str]:
        what = f"customer {self.customer}, purpose {self.purpose}"
        if self.channel:
            what += f", channel {self.channel}"
        if self.recipient:
            what += f", to {self.recipient}"
        lines = [what]
        if self.data_levels or self.categories:
            lines.append("data: " + ", ".join((*self.data_levels, *self.categories)))
        if self.local_time is not None:
            offset = f"{self.local_time:%z}"  # +08:00: %Z's CST is also US Central time
            contact = f"local time {self.local_time:%Y-%m-%d %H:%M}" + (
                f" {offset[:3]}:{offset[3:5]}" if offset else "")
            if self.cap is not None:
                contact += f"; {self.contacts_in_window} of {self.cap} contacts in the window"
            lines.append(contact)
        if self.requirement_hits:
            lines.append("required: " + ", ".join(self.required) + " (" + "; ".join(
                f"{h.rule_id} [{h.cite}]" for h in self.requirement_hits) + ")")
        if self.consent_id:
            lines.append(f"consent: {self.consent_id}")
        if self.consent_failures:
            lines.append("consents that did not count: " + "; ".join(self.consent_failures))
        return lines


@attrs.frozen(slots=True)
class ConsentFinding:
    """One finding of a consent review.

    Attributes:
        severity: ``high``, ``medium`` or ``low``.
        kind: what was found (``bundled_consent``, ``contact_after_withdrawal`` …).
        message: the review rule's reason.
        rule_id, cite: the review rule and its source.
        customer: whose consent or contact.
        consent_id: the consent concerned, when one is.
        use: the contact or processing record concerned (its id, or its time).
    """

    severity: str
    kind: str
    message: str
    rule_id: str
    cite: str
    customer: str
    consent_id: str | None = None
    use: str | None = None

    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.kind, self.customer, self.consent_id, self.use)


@attrs.frozen(slots=True, kw_only=True)
class ConsentFindingDecision(Decision):
    """A finding of a consent review as a ``Decision`` (``ConsentReviewReport.decisions``):
    the outcome is the finding's kind, the single hit the review rule that found it, with
    whose record it is (``customer``, ``consent_id``, ``use``) and how severe."""

    severity: str
    customer: str
    consent_id: str | None = None
    use: str | None = None

    def _details(self) -> list[str]:
        what = f"customer {self.customer}"
        if self.use:
            what += f", use {self.use}"
        if self.consent_id:
            what += f", consent {self.consent_id}"
        return [f"{what}; severity {self.severity}"]


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def sort_findings(findings: list[ConsentFinding]) -> tuple[ConsentFinding, ...]:
    """Most severe first, then by kind, customer, consent and use."""
    return tuple(sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.kind,
                                                 f.customer, f.consent_id or "", f.use or "")))


@attrs.frozen(slots=True, kw_only=True)
class ConsentReviewReport:
    """The result of a consent review as of ``as_of``: findings, most severe first."""

    findings: tuple[ConsentFinding, ...]
    consents_reviewed: int
    uses_reviewed: int
    policy: PolicyRef
    engine: str
    as_of: dt.datetime
    input_digest: str = ""

    def decisions(self) -> list[Decision]:
        """One ``ConsentFindingDecision`` per finding, in finding order: the outcome is the
        finding's kind and the single hit is the review rule that found it, with the
        finding's customer, consent, use and severity (policy test cases and ``finpolicy eval
        consent`` read reviews this way)."""
        return [ConsentFindingDecision(
                    outcome=f.kind, hits=(Hit(f.rule_id, f.message, f.cite),), obligations=(),
                    policy=self.policy, engine=self.engine, input_digest=self.input_digest,
                    as_of=self.as_of, severity=f.severity, customer=f.customer,
                    consent_id=f.consent_id, use=f.use)
                for f in self.findings]

    def by_severity(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    def of_kind(self, kind: str) -> tuple[ConsentFinding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return cast(dict[str, Any], _plain(self))
