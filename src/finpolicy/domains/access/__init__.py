"""Least-privilege access: roles and attributes, purpose-bound grants, approvals, review.

The ``AccessPolicy`` kind (seed 000 §5.4, seed 002 §2.3 and §7.2) and its API:
``engine.authorize(fp.AccessRequest(...))`` → ``AccessDecision`` and
``engine.review_access(grants, assignments, at=..., usage=...)`` → ``AccessReview``.
See ``decide`` for which problems raise ``InputError`` and which deny.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from finpolicy.decisions import Decision
from finpolicy.documents.registry import PolicyKind, register_kind
from finpolicy.domains.access.evaluation import authorize, decide
from finpolicy.domains.access.model import (
    AccessDecision,
    AccessGrant,
    AccessRequest,
    AccessReview,
    Finding,
    Resource,
    RoleAssignment,
    Subject,
    UsageRecord,
)
from finpolicy.domains.access.review import _items, review_access, review_with
from finpolicy.domains.access.spec import KIND, AccessPolicyTables, AccessSpec, build
from finpolicy.errors import InputError, InputProblem

__all__ = [
    "AccessDecision",
    "AccessGrant",
    "AccessPolicyTables",
    "AccessRequest",
    "AccessReview",
    "Finding",
    "Resource",
    "RoleAssignment",
    "Subject",
    "UsageRecord",
    "authorize",
    "decide",
    "evaluate_input",
    "review_access",
    "review_with",
]

register_kind(PolicyKind(
    name=KIND, spec_model=AccessSpec, build=build,  # type: ignore[arg-type]
    summary="Least-privilege access: roles, scopes, purpose-bound approved grants, review."))

_REVIEW_KEYS = ("grants", "assignments", "usage", "at")


def _review_time(value: Any) -> dt.datetime | None:
    # a bare date means its midnight UTC, as for requests
    if value is not None and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    return value


def _review_decisions(engine: Any, data: Any, as_of: Any) -> list[Decision]:
    """One decision per finding of ``{grants, assignments, usage?, at?}``."""
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("review", "expected a mapping with grants, assignments "
                                                 "and optionally usage and at")])
    unknown = sorted(str(k) for k in data if k not in _REVIEW_KEYS)
    if unknown:
        raise InputError([InputProblem(f"review.{k}", "unknown key (expected grants, "
                                                      "assignments, usage, at)", "unknown_key")
                          for k in unknown])
    at = data.get("at")
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at)
        except ValueError:
            raise InputError([InputProblem("review.at", "expected an ISO datetime with a "
                                                        "time zone offset", value=at)]) from None
    at = _review_time(at if at is not None else as_of)
    grants = _items(data.get("grants"), AccessGrant, "review.grants")
    assignments = _items(data.get("assignments"), RoleAssignment, "review.assignments")
    usage = (None if data.get("usage") is None
             else _items(data["usage"], UsageRecord, "review.usage"))
    return review_access(engine, grants, assignments, at=at, usage=usage).decisions()


def evaluate_input(engine: Any, data: Mapping[str, Any], *,
                   as_of: dt.date | dt.datetime | None) -> list[Decision]:
    """Decide one request, or review grants and assignments, in mapping form (``finpolicy
    eval access``, the demo, policy test cases).

    A request ``{subject, action, resource, purpose, grants?, at?}`` gives one
    ``AccessDecision``; ``as_of`` fills ``at`` when the input has none (a bare date means its
    midnight UTC). A review ``{review: {grants, assignments, usage?, at?}}`` gives one
    ``Decision`` per finding (none when the review is clean), reviewed at ``at`` or ``as_of``
    (now when both are absent); see ``AccessReview.decisions``.
    """
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("input", "expected a mapping with subject, action, "
                                                "resource, purpose")])
    if "review" in data:
        if len(data) != 1:
            raise InputError([InputProblem("input", "`review` comes alone")])
        return _review_decisions(engine, data["review"], as_of)
    payload = dict(data)
    if payload.get("at") is None and as_of is not None:
        payload["at"] = _review_time(as_of)
    return [authorize(engine, AccessRequest.parse(payload))]
