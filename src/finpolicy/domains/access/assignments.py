"""Reviewing role assignments one by one: approval of role changes and the review interval
(seed 000 §5.4(3): permission changes go through approval; permissions are audited
periodically).

Each assignment active at the review time gets a fact (see ``REVIEW_ROLE_FIELDS``); the
policy's review rules with ``target: role`` decide which findings to report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.directory import (
    RoleDirectory,
    approver_failure,
    ask_directory,
    held_roles,
)
from finpolicy.domains.access.model import Finding, RoleAssignment
from finpolicy.domains.access.spec import REVIEW_ROLE_RULESET, AccessPolicyTables
from finpolicy.runtime import Runtime

__all__ = ["assignment_fact", "review_roles"]

_DAY = 86400.0


def assignment_fact(assignment: RoleAssignment, at: dt.datetime, tables: AccessPolicyTables,
                    directory: RoleDirectory | None = None) -> dict[str, Any]:
    """What the ``role`` review rules read about one assignment at ``at``.

    ``approver_verified``: ``directory`` (the reviewed assignments, unless another is given)
    confirms the approver held an approver role the assignment names, when approving, as a
    grant's approver is confirmed: the record's own word is no proof (seed 000 §5.4(3)).
    ``days_since_review`` counts from the last review, else the approval, else the
    assignment; it is absent when none of them is known (or all are after ``at``).
    """
    approved = assignment.approved_by is not None and assignment.approved_at is not None
    authorised = bool(tables.approver_roles.intersection(assignment.approver_roles))
    fact: dict[str, Any] = {
        "subject": assignment.subject_id, "role": assignment.role,
        "known_role": assignment.role in tables.roles, "approved": approved,
        "self_approved": assignment.approved_by is not None and assignment.approved_by in (
            assignment.subject_id, assignment.assigned_by),
        "approver_authorised": authorised,
        # held at ``at`` on an approval dated later: not approved when the review looks
        "approved_after_review": approved and assignment.approved_at is not None
        and assignment.approved_at > at,
        "approver_verified": approved and authorised and directory is not None
        and ask_directory(approver_failure, assignment, tables.approver_roles,
                          directory) is None,
    }
    if assignment.assigned_by is not None:
        fact["assigned_by"] = assignment.assigned_by
    if assignment.approved_by is not None:
        fact["approved_by"] = assignment.approved_by
    since = _confirmed(assignment, at)
    if since is not None:
        fact["days_since_review"] = round((at - since[1]).total_seconds() / _DAY, 6)
    if tables.assignment_review_days is not None:
        fact["review_days"] = tables.assignment_review_days
    return {"assignment": fact}


# what the review interval counts from, first found first: the words a finding says it with
_SINCE = (("reviewed_at", "last reviewed {} ago"),
          ("approved_at", "approved {} ago, not reviewed since"),
          ("assigned_at", "assigned {} ago, not reviewed since"))


def _confirmed(assignment: RoleAssignment, at: dt.datetime) -> tuple[str, dt.datetime] | None:
    """The words for what the review interval counts from, and its time: the last review,
    else the approval, else the assignment (``None``: none of them by ``at``)."""
    for name, words in _SINCE:
        when: dt.datetime | None = getattr(assignment, name)
        if when is not None and when <= at:
            return words, when
    return None


def _detail(assignment: RoleAssignment, fact: dict[str, Any], at: dt.datetime,
            unverified: RoleDirectory | None = None) -> str:
    """The finding's detail; ``unverified``: the directory that did not confirm the approver
    (what it shows them holding is said)."""
    a = fact["assignment"]
    parts = [assignment.role]
    if assignment.approved_by is not None:
        roles = ", ".join(assignment.approver_roles) or "no roles"
        parts.append(f"approved by {assignment.approved_by} ({roles})")
        if assignment.approved_at is not None and assignment.approved_at > at:
            parts.append(f"approval dated {assignment.approved_at.isoformat()}, after the "
                         "review time")
        if unverified is not None and assignment.approved_at is not None:
            held = sorted(ask_directory(held_roles, unverified, assignment.approved_by,
                                        assignment.approved_at))
            parts.append(f"the role assignments show {', '.join(held) or 'no roles'} for "
                         f"{assignment.approved_by} at approval")
    else:
        parts.append("no approval recorded")
    since = _confirmed(assignment, at)
    if since is not None:
        days = round(a["days_since_review"])
        parts.append(since[0].format("1 day" if days == 1 else f"{days} days"))
    return "; ".join(parts)


def review_roles(runtime: Runtime, doc: PolicyDocument[Any], tables: AccessPolicyTables,
                 assignments: list[RoleAssignment], at: dt.datetime,
                 directory: RoleDirectory | None = None) -> list[Finding]:
    """Findings of the ``role`` review rules for every assignment active at ``at``, its
    approver confirmed against ``directory``."""
    if not tables.rulesets[REVIEW_ROLE_RULESET].rules:
        return []
    findings = []
    for assignment in assignments:
        if not assignment.active(at):
            continue
        fact = assignment_fact(assignment, at, tables, directory)
        for rule in runtime.run(doc, REVIEW_ROLE_RULESET, fact):
            kind = rule.effect["finding"]
            detail = _detail(assignment, fact, at, directory if kind ==
                             "role_approver_unverified" else None)
            findings.append(Finding(rule.effect["severity"], kind, f"{rule.reason} ({detail})",
                                    rule.id, rule.cite, None, assignment.subject_id,
                                    role=assignment.role))
    return findings
