"""The access matrix: role × data level × action, as ``authorize`` decides it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from finpolicy.docgen.html import COLOURS, cell_list, escape, html_table, legend, noon_of_first_day
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.directory import AssignmentDirectory
from finpolicy.domains.access.evaluation import authorize
from finpolicy.domains.access.model import (
    AccessGrant,
    AccessRequest,
    Resource,
    RoleAssignment,
    Subject,
)
from finpolicy.domains.base import Picture
from finpolicy.runtime import Runtime

__all__ = ["PICTURES", "access_matrix"]


def access_matrix(runtime: Runtime, doc: PolicyDocument[Any]) -> str:
    """Role × data level × action, decided by ``authorize``.

    For every cell the request is tried for each data category and each purpose the role
    serves, in the subject's own branch and department: *allow* when some category is allowed
    without a grant, *grant* when only an approved grant opens it, *deny* otherwise. The
    categories opened are listed in the cell.
    """
    spec, at = doc.spec, noon_of_first_day(doc)
    approvers = [name for name, role in spec.roles.items() if role.approver] or ["approver"]
    place = {"department": "retail", "branch": "BJ01"}
    directory = AssignmentDirectory([RoleAssignment(subject_id="approver-docs", role=approvers[0])])

    def decide(role: str, level: str, action: str, category: str, purpose: str,
               granted: bool) -> bool:
        grants = []
        if granted:
            grants.append(AccessGrant(
                id="g-docs", grantee="u-docs", purpose=purpose, resource_type="customer_record",
                data_level=level, category=category, requested_at=at - dt.timedelta(hours=2),
                approved_by="approver-docs", approver_roles=approvers[:1],
                approved_at=at - dt.timedelta(hours=1), expires_at=at + dt.timedelta(hours=1)))
        request = AccessRequest(
            subject=Subject(id="u-docs", roles=[role], **place), action=action,
            resource=Resource(type="customer_record", data_level=level, category=category,
                              **place),
            purpose=purpose, grants=grants, as_of=at)
        return authorize(runtime, request, policy=doc.id, directory=directory).allowed

    header = ["Role", *[f"{level}: {action}" for level in spec.levels for action in spec.actions]]
    rows = []
    for name, role in spec.roles.items():
        purposes = role.purposes or list(spec.purposes)
        row = [(f"{escape(name)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"{escape(role.title)}</span>", "text-align:left")]
        for level in spec.levels:
            for action in spec.actions:
                free = [c for c in spec.categories
                        if any(decide(name, level, action, c, p, False) for p in purposes)]
                granted = [c for c in spec.categories if c not in free and
                           any(decide(name, level, action, c, p, True) for p in purposes)]
                if free:
                    word, colour, cats = "allow", COLOURS["allow"], free
                elif granted:
                    word, colour, cats = "grant", COLOURS["grant"], granted
                else:
                    word, colour, cats = "deny", COLOURS["deny"], []
                inner = f"<b>{word}</b>" + (f"<br>{cell_list(cats)}" if cats else "")
                if free and granted:
                    inner += f"<br><i>grant:</i><br>{cell_list(granted)}"
                row.append((inner, f"background:{colour}"))
        rows.append(row)
    return legend([("allowed by the role", COLOURS["allow"]),
                   ("only with an approved grant", COLOURS["grant"]),
                   ("denied", COLOURS["deny"])]) + html_table(
        header, rows, caption=f"Access matrix of {doc.id} {doc.version} (own branch and "
                              f"department; categories that open listed in each cell)",
        css_class="finpolicy-picture finpolicy-access-matrix")


PICTURES = (Picture("access-matrix", "Access matrix", access_matrix),)
