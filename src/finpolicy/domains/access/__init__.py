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
from finpolicy.domains.access.review import review_access, review_with
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


def evaluate_input(engine: Any, data: Mapping[str, Any], *,
                   as_of: dt.date | dt.datetime | None) -> list[Decision]:
    """Decide one request in its mapping form (``finpolicy eval access``, the demo).

    ``as_of`` fills ``at`` when the input has none; a bare date means its midnight UTC.
    """
    if not isinstance(data, Mapping):
        raise InputError([InputProblem("input", "expected a mapping with subject, action, "
                                                "resource, purpose")])
    payload = dict(data)
    if payload.get("at") is None and as_of is not None:
        if not isinstance(as_of, dt.datetime):
            as_of = dt.datetime.combine(as_of, dt.time(), dt.UTC)
        payload["at"] = as_of
    return [authorize(engine, AccessRequest.parse(payload))]
