"""A rule denying a deletion of a record holding fields the subject may not delete at their
own level (``mask.needed``: masking hides fields from what is shown, a deletion removes them)
had no way out in the explanation: ``mask.needed`` was no lever. "What would change it" now
says to leave those fields out, or to obtain a grant at their highest level, each checked.
The shipped pack allows such a deletion with a ``mask`` obligation; the rule here is the
change proposed for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.explain.patch import apply_changes
from tests.helpers.packversions import planted

ANCHOR = "    - id: grant-missing\n"
RULE = """    - id: delete-with-masked-fields
      when:
        all:
          - {field: request.action, eq: delete}
          - {field: mask.needed, eq: true}
      effect: deny
      reason: the record holds fields of a level the subject may not delete
      cite: seed-000 §5.4
"""
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
REQUEST: dict[str, Any] = {
    "subject": {"id": "u-901", "roles": ["department_head"], "department": "retail"},
    "action": "delete", "purpose": "audit", "as_of": AT.isoformat(),
    "resource": {"type": "customer_record", "data_level": "ordinary", "category": "business",
                 "department": "retail", "fields": {"note": "ordinary", "txn": "core"}}}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> fp.PolicyEngine:
    root = planted(tmp_path_factory.mktemp("masked") / "pack", "access.yaml", ANCHOR,
                   RULE + ANCHOR)
    return fp.PolicyEngine(fp.load_bundle(str(root)),
                           directory=[{"subject_id": "u-900", "role": "department_head"}])


def test_a_denied_deletion_is_told_to_leave_the_fields_out_or_obtain_a_grant(
        engine: fp.PolicyEngine) -> None:
    assert engine.authorize(REQUEST).rule_ids == ("delete-with-masked-fields",)
    explanation = engine.explain("authorize", REQUEST)
    texts = [s.text for s in explanation.suggestions]
    assert "leave out the field `txn` (core)" in texts
    assert ("obtain a grant for `audit` on core business data of `customer_record`, approved "
            "by someone else holding `department_head` (as the role directory shows), lasting "
            "at most 30 days") in texts
    for suggestion in explanation.suggestions:
        changed = apply_changes(explanation.input, suggestion.changes)
        changed.pop("assignments", None)
        assert engine.authorize(changed, directory=[
            {"subject_id": "u-900", "role": "department_head"},
            {"subject_id": "department_head (approver)", "role": "department_head"}]).allowed
