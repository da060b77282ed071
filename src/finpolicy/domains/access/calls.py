"""The JSON form of the access operations' calls (``finpolicy serve`` request bodies)."""

from __future__ import annotations

from pydantic import Field

from finpolicy.domains.access.model import (
    AccessGrant,
    AccessRequest,
    AttachedConsent,
    RoleAssignment,
    UsageRecord,
)
from finpolicy.domains.base import Call
from finpolicy.inputs import DayOrMoment
from finpolicy.limits import MAX_LONG_ITEMS, MAX_TERM_LENGTH

__all__ = ["CALLS", "AuthorizeCall", "ReviewAccessCall"]


class AuthorizeCall(Call):
    """``authorize(request, policy=..., consent=...)``. Grants count only when the server's
    role directory confirms their approvers (a caller cannot bring its own directory)."""

    request: AccessRequest
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)
    consent: AttachedConsent | None = None


class ReviewAccessCall(Call):
    """``review_access(grants, assignments, as_of=..., usage=..., policy=...)``."""

    grants: list[AccessGrant] = Field(max_length=MAX_LONG_ITEMS)
    assignments: list[RoleAssignment] = Field(max_length=MAX_LONG_ITEMS)
    as_of: DayOrMoment | None = None  # a date: its midnight UTC
    usage: list[UsageRecord] | None = Field(default=None, max_length=MAX_LONG_ITEMS)
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


CALLS: dict[str, type[Call]] = {"authorize": AuthorizeCall, "review_access": ReviewAccessCall}
