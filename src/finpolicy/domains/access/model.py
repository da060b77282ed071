"""Inputs (pydantic, validated) and results (attrs, frozen) of the access domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from finpolicy._compat import deprecated_alias
from finpolicy.decisions import Decision, Hit, PolicyRef, _plain
from finpolicy.identity import canonical_id
from finpolicy.inputs import InputModel, Moment
from finpolicy.limits import (
    MAX_ITEMS,
    MAX_LONG_ITEMS,
    Identity,
    Key,
    OptionalIdentity,
    OptionalScope,
    Term,
)

__all__ = [
    "AccessDecision",
    "AccessGrant",
    "AccessRequest",
    "AccessReviewReport",
    "Finding",
    "Resource",
    "RoleAssignment",
    "Subject",
    "UsageRecord",
]


def _aware(value: dt.datetime | None, info: Any) -> dt.datetime | None:
    # A naive time is ambiguous by up to a day across time zones; audit needs it exact.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"`{info.field_name}` needs a time zone offset, e.g. "
                         "2026-03-01T09:00:00+08:00")
    if value is not None:
        try:  # 9999-12-31T23:59-12:00 has no UTC time: tables and the log could not hold it
            value.astimezone(dt.UTC)
        except OverflowError:
            raise PydanticCustomError(
                "date_out_of_range", "`{value}` is out of the range finpolicy can compute "
                "with: its UTC time falls outside years 1 to 9999",
                {"value": value.isoformat()}) from None
    return value


class Subject(InputModel):
    """Who asks: an id, the roles they hold and where they work.

    ``id``, ``department`` and ``branch`` are kept in canonical form
    (``finpolicy.identity.canonical_id``: NFKC, case folded, invisible characters removed,
    trimmed), so every spelling of one person or place compares equal; a blank department or
    branch is missing.
    """

    id: Identity
    roles: list[Term] = Field(default_factory=list, max_length=MAX_ITEMS)
    department: OptionalScope = None
    branch: OptionalScope = None


class Resource(InputModel):
    """What is asked for: a resource type and the data level and category of the record.

    ``fields`` optionally names fields of the record with their own level; those the subject
    may not see at that level are masked (the decision carries a ``mask`` obligation).
    """

    type: Term
    data_level: Term
    category: Term
    department: OptionalScope = None
    branch: OptionalScope = None
    fields: dict[Term, Term] = Field(default_factory=dict, max_length=MAX_LONG_ITEMS)

    @field_validator("fields")
    @classmethod
    def _sorted(cls, value: dict[str, str]) -> dict[str, str]:
        # a canonical order keeps the input digest independent of how the caller built it
        return dict(sorted(value.items()))


class AccessGrant(InputModel):
    """A purpose-bound, time-limited, approved permission (seed 000 §5.4: apply → approve →
    record → execute). ``requested_by`` defaults to the grantee.

    ``grantee``, ``requested_by`` and ``approved_by`` are kept in canonical form (see
    ``Subject``); a blank ``requested_by`` or ``approved_by`` is missing. ``approver_roles``
    are the roles the grant *says* its approver held: they count only when the application's
    role directory confirms them (see ``finpolicy.domains.access.directory``).
    """

    id: Key
    grantee: Identity
    purpose: Term
    resource_type: Term
    data_level: Term
    category: Term
    requested_at: Moment
    requested_by: OptionalIdentity = None
    approved_by: OptionalIdentity = None
    approver_roles: list[Term] = Field(default_factory=list, max_length=MAX_ITEMS)
    approved_at: Moment | None = None
    expires_at: Moment

    _aware = field_validator("requested_at", "approved_at", "expires_at")(_aware)

    @property
    def requester(self) -> str:
        return self.requested_by or self.grantee


class AccessRequest(InputModel):
    """One access request: ``subject`` wants to ``action`` a ``resource`` for ``purpose`` at
    ``as_of`` (the current time when absent), presenting ``grants``.

    ``recipient`` names who receives the data when it leaves the bank (an export to another
    organisation); such a request needs a consent decision that allows it (see the consent
    domain's ``authorize_export``). ``at`` is the deprecated name of ``as_of``.
    """

    subject: Subject
    action: Term
    resource: Resource
    purpose: Term
    grants: list[AccessGrant] = Field(default_factory=list, max_length=MAX_ITEMS)
    as_of: Moment | None = None
    recipient: str | None = Field(default=None, min_length=1)

    _aware = field_validator("as_of")(_aware)

    @field_validator("recipient")
    @classmethod
    def _named(cls, value: str | None) -> str | None:
        # a padded empty cell of an export read as a recipient outside the bank: the request
        # was denied as outside-without-consent, a rule about data it never sent out
        if value is not None and not canonical_id(value):
            raise ValueError("blank recipient (nothing is left once spaces and invisible "
                             "characters are removed): name who receives the data outside "
                             "the bank, or leave `recipient` out when the data stays in it")
        return value

    @model_validator(mode="before")
    @classmethod
    def _renamed_at(cls, data: Any) -> Any:
        if isinstance(data, dict) and "at" in data:
            deprecated_alias("at", "as_of", "AccessRequest")
            data = dict(data)
            at = data.pop("at")
            if data.get("as_of") is None:
                data["as_of"] = at
        return data

    @property
    def at(self) -> dt.datetime | None:
        """The request's ``as_of`` (``at`` is its deprecated name)."""
        deprecated_alias("at", "as_of", "AccessRequest")
        return self.as_of


class RoleAssignment(InputModel):
    """A role held by a subject, from ``assigned_at`` until ``expires_at`` (exclusive).

    A role change goes through approval (``approved_by``, holding ``approver_roles``, at
    ``approved_at``); ``reviewed_at`` is the last periodic review that confirmed it.

    ``subject_id``, ``assigned_by`` and ``approved_by`` are kept in canonical form (see
    ``Subject``).

    .. versionchanged:: 0.2.0
       ``approved_by``, ``approver_roles``, ``approved_at``, ``reviewed_at``.
    """

    subject_id: Identity
    role: Term
    assigned_at: Moment | None = None
    assigned_by: OptionalIdentity = None
    expires_at: Moment | None = None
    approved_by: OptionalIdentity = None
    approver_roles: list[Term] = Field(default_factory=list, max_length=MAX_ITEMS)
    approved_at: Moment | None = None
    reviewed_at: Moment | None = None

    _aware = field_validator("assigned_at", "expires_at", "approved_at", "reviewed_at")(_aware)

    @field_validator("expires_at")
    @classmethod
    def _not_before_assignment(cls, value: dt.datetime | None,
                               info: Any) -> dt.datetime | None:
        # such an assignment is never active: a review would pass over it in silence (an
        # export with its two time columns swapped hid every separation-of-duties conflict)
        assigned = info.data.get("assigned_at")
        if value is not None and assigned is not None and value.utcoffset() is not None \
                and assigned.utcoffset() is not None and value < assigned:
            raise ValueError(f"`expires_at` {value.isoformat()} is before `assigned_at` "
                             f"{assigned.isoformat()}: the role would never be held (are the "
                             "two swapped?)")
        return value

    def active(self, at: dt.datetime) -> bool:
        return ((self.assigned_at is None or self.assigned_at <= at)
                and (self.expires_at is None or at < self.expires_at))


class UsageRecord(InputModel):
    """One use of a grant (the "execute" step of seed 000 §5.4, recorded for audit)."""

    grant_id: Key
    used_at: Moment
    subject_id: OptionalIdentity = None

    _aware = field_validator("used_at")(_aware)


class AttachedConsent(InputModel):
    """A consent decision attached to a request in mapping form (``finpolicy eval``, policy
    test cases, replay of the decision log): what the access rules read of it."""

    outcome: str = Field(min_length=1, description="The consent decision's outcome.")
    as_of: Moment = Field(description="The instant it was decided for.")
    recipient: str | None = Field(default=None, description="Who the data goes to.")
    input_digest: str = Field(min_length=1, description="The consent decision's input digest.")

    _aware = field_validator("as_of")(_aware)

    @classmethod
    def of(cls, decision: Any) -> AttachedConsent:
        """What the access rules read of a consent decision."""
        return cls(outcome=decision.outcome, as_of=decision.as_of,
                   recipient=getattr(decision, "recipient", None),
                   input_digest=decision.input_digest)


@attrs.frozen(slots=True, kw_only=True)
class AccessDecision(Decision):
    """The decision on one access request.

    Attributes:
        allowed: ``True`` exactly when ``outcome == "allow"``.
        grant_id: the grant that made the access possible, if one was needed.
        grant_failures: ``"<grant id>: <failure>"`` for each presented grant that did not count.
        masked_fields: fields of the resource the subject may not see.
        consent_decision: the input digest of the consent decision attached to a request
            whose data leaves the bank (``AccessRequest.recipient``), if one was.
    """

    allowed: bool
    grant_id: str | None = None
    grant_failures: tuple[str, ...] = ()
    masked_fields: tuple[str, ...] = ()
    consent_decision: str | None = None

    def _details(self) -> list[str]:
        lines = []
        if self.grant_id:
            lines.append(f"grant: {self.grant_id}")
        if self.consent_decision:
            lines.append(f"consent decision: {self.consent_decision[:12]}")
        if self.grant_failures:
            lines.append("grants that did not count: " + "; ".join(self.grant_failures))
        if self.masked_fields:
            lines.append("masked fields: " + ", ".join(self.masked_fields))
        return lines


@attrs.frozen(slots=True)
class Finding:
    """One access-review finding (``role``: the role assignment it concerns, if one)."""

    severity: str
    kind: str
    message: str
    rule_id: str
    cite: str
    grant_id: str | None = None
    subject_id: str | None = None
    role: str | None = None

    def key(self) -> tuple[str, str | None, str | None]:
        return (self.kind, self.grant_id, self.subject_id)


_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@attrs.frozen(slots=True, kw_only=True)
class AccessReviewReport:
    """The result of an access review: findings, most severe first, as of ``as_of``.

    ``unmatched_usage`` names, each once as first spelt, the grants that usage records (of
    uses by the review time) name but the review was not given: uses of grants it cannot
    see (revoked, deleted, or kept in another system), said rather than passed over.
    """

    findings: tuple[Finding, ...]
    grants_reviewed: int
    subjects_reviewed: int
    policy: PolicyRef
    engine: str
    as_of: dt.datetime
    input_digest: str = ""
    unmatched_usage: tuple[str, ...] = ()

    @property
    def at(self) -> dt.datetime:
        """The review's ``as_of`` (``at`` is its deprecated name)."""
        deprecated_alias("at", "as_of", "AccessReviewReport")
        return self.as_of

    def decisions(self) -> list[Decision]:
        """One ``Decision`` per finding, in finding order: the outcome is the finding's kind
        and the single hit is the review rule that found it (policy test cases and
        ``finpolicy eval access`` read reviews this way)."""
        return [Decision(outcome=f.kind, hits=(Hit(f.rule_id, f.message, f.cite),),
                         obligations=(), policy=self.policy, engine=self.engine,
                         input_digest=self.input_digest, as_of=self.as_of)
                for f in self.findings]

    def by_severity(self) -> dict[str, int]:
        counts = {s: 0 for s in _SEVERITY_ORDER}
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    def of_kind(self, kind: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)  # type: ignore[no-any-return]


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.kind,
                                                 f.grant_id or "", f.subject_id or "",
                                                 f.role or "")))
