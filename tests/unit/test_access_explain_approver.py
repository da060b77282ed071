"""A grant whose approver the role directory does not confirm was explained only as 'the role
directory shows that the grant's approver held none of the approver roles the grant names':
an HR feed spelling the role `Department_Head`, or an approver who had left, looked alike.
The explanation now notes what the directory shows the approver holding at the approval,
and an approver role spelt otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import finpolicy as fp

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, tzinfo=TZ)
APPROVED = AT - dt.timedelta(hours=2)
REQUEST: dict[str, Any] = {
    "subject": {"id": "u-101", "roles": ["teller"], "department": "retail", "branch": "BJ01"},
    "action": "read", "purpose": "account_service", "as_of": AT.isoformat(),
    "resource": {"type": "customer_record", "data_level": "core", "category": "basic_identity",
                 "department": "retail", "branch": "BJ01"},
    "grants": [{"id": "g-1", "grantee": "u-101", "purpose": "account_service",
                "resource_type": "customer_record", "data_level": "core",
                "category": "basic_identity", "requested_at": (AT - dt.timedelta(hours=3))
                .isoformat(), "approved_by": "u-900", "approver_roles": ["department_head"],
                "approved_at": APPROVED.isoformat(),
                "expires_at": (AT + dt.timedelta(days=1)).isoformat()}]}


def _notes(directory: list[dict[str, Any]]) -> tuple[str, ...]:
    engine = fp.PolicyEngine(fp.load_bundle(), directory=directory)
    assert engine.authorize(REQUEST).rule_ids == ("grant-approver-role-not-held",)
    return tuple(engine.explain("authorize", REQUEST).notes)


def test_an_approver_role_spelt_otherwise_in_the_directory_is_named() -> None:
    notes = _notes([{"subject_id": "U-900", "role": "Department_Head"},
                    {"subject_id": "u-900", "role": "teller"}])
    assert notes[0] == (
        f"the role directory shows u-900, the approver of grant `g-1`, holding "
        f"`Department_Head`, `teller` at its approval ({APPROVED.isoformat()}): "
        "`Department_Head` is `department_head` spelt otherwise (the directory must spell it "
        "as the policy does)")


def test_an_approver_who_had_left_is_shown_holding_no_role() -> None:
    left = {"subject_id": "u-900", "role": "department_head",
            "expires_at": (APPROVED - dt.timedelta(days=1)).isoformat()}
    assert _notes([left])[0] == (
        f"the role directory shows u-900, the approver of grant `g-1`, holding no role at "
        f"its approval ({APPROVED.isoformat()})")
