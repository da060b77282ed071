"""The JSON form of the access operations' calls (``finpolicy serve`` request bodies)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from finpolicy.domains.access.model import (
    AccessGrant,
    AccessRequest,
    AttachedConsent,
    RoleAssignment,
    UsageRecord,
)
from finpolicy.domains.base import Call
from finpolicy.inputs import TIME_TEXT
from finpolicy.limits import MAX_LONG_ITEMS, MAX_TERM_LENGTH

__all__ = ["CALLS", "AuthorizeCall", "ReviewAccessCall"]


def _iso_text(value: Any) -> Any:
    """ISO text as the date or datetime it spells: pydantic reads a date as a naive
    datetime, and a datetime at midnight as a date without its offset; review_access reads
    a date as its midnight UTC and keeps a datetime's offset."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if "T" in text or " " in text:
            return dt.datetime.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return value  # pydantic's own error names the field


ReviewTime = Annotated[dt.date | dt.datetime, TIME_TEXT, BeforeValidator(_iso_text)]
"""A review's time: a datetime with its offset, or a date (its midnight UTC)."""


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
    as_of: ReviewTime | None = None
    usage: list[UsageRecord] | None = Field(default=None, max_length=MAX_LONG_ITEMS)
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


CALLS: dict[str, type[Call]] = {"authorize": AuthorizeCall, "review_access": ReviewAccessCall}
