"""A subject (or data) with no department or branch, as a directory record with the field
missing gives, was denied ``out-of-scope`` and the explanation said only that the resource
is outside the subject's branch or department, advising another role; it now says which
record names no place and that the role scoped to it covers nothing until it does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import finpolicy as fp

ENGINE = fp.PolicyEngine()
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _request(subject: dict[str, Any], resource: dict[str, Any],
             roles: list[str]) -> dict[str, Any]:
    return {"subject": {"id": "u-7", "roles": roles, **subject}, "action": "read",
            "purpose": "account_service", "as_of": AT.isoformat(),
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": "business", **resource}}


def test_a_subject_without_a_department_is_said_to_name_none() -> None:
    request = _request({"branch": "BJ01", "department": "  "},
                       {"department": "retail", "branch": "BJ01"}, ["customer_manager"])
    assert ENGINE.authorize(request).rule_ids == ("out-of-scope",)
    notes = ENGINE.explain("authorize", request).notes
    assert notes == ("the subject names no department (a blank one is none), so "
                     "`customer_manager`, scoped to the department, covers nothing here: "
                     "complete the record rather than request another role",)


def test_both_without_a_branch_and_two_roles_are_named() -> None:
    request = _request({}, {}, ["teller", "customer_manager"])
    notes = ENGINE.explain("authorize", request).notes
    assert notes[:2] == (
        "the subject and the data name no department (a blank one is none), so "
        "`customer_manager`, scoped to the department, covers nothing here: complete the "
        "record rather than request another role",
        "the subject and the data name no branch (a blank one is none), so `teller`, scoped "
        "to the branch, covers nothing here: complete the record rather than request "
        "another role")
    # a place named on both sides, or a decision that allows, needs no note
    placed = _request({"department": "retail", "branch": "BJ01"},
                      {"department": "retail", "branch": "BJ01"}, ["customer_manager"])
    assert ENGINE.authorize(placed).allowed
    assert ENGINE.explain("authorize", placed).notes == ()
