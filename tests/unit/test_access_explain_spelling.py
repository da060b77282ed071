"""A role spelt otherwise (``Teller``, `` teller`` from an export) is the role the subject
holds: "what would change it" says to write it as the policy spells it, the smallest change,
instead of advising to act without it and request another role (customer_manager) or the
very role the subject already holds."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp
from finpolicy.explain.patch import apply_changes

ENGINE = fp.PolicyEngine()
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _request(roles: list[str]) -> dict[str, object]:
    return {"subject": {"id": "u-101", "roles": roles, "branch": "BJ01", "department": "retail"},
            "action": "read", "purpose": "account_service", "as_of": AT.isoformat(),
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": "basic_identity", "branch": "BJ01",
                         "department": "retail"}}


def test_a_role_spelt_otherwise_is_to_be_written_as_the_policy_spells_it() -> None:
    request = _request(["Teller", " teller"])
    assert ENGINE.authorize(request).rule_ids == ("unknown-role", "purpose-not-served")
    explanation = ENGINE.explain("authorize", request)
    first = explanation.suggestions[0]
    assert first.text == ("write the roles as the policy spells them (`Teller` is `teller`; "
                          "` teller` is `teller`)")
    assert [(c.op, c.path, c.value) for c in first.changes] == [
        ("replace", "/subject/roles", ["teller"])]
    changed = apply_changes(explanation.input, first.changes)
    assert ENGINE.authorize(changed).allowed
    # no advice to request the role the subject holds, spelt otherwise
    assert not any("request the role `teller`" in s.text for s in explanation.suggestions)


def test_an_unknown_role_beside_it_is_left_out_in_the_same_change() -> None:
    explanation = ENGINE.explain("authorize", _request(["TELLER", "contractor"]))
    first = explanation.suggestions[0]
    assert first.text == ("write the roles as the policy spells them (`TELLER` is `teller`), "
                          "and act without `contractor` (the policy does not define it)")
    assert ENGINE.authorize(apply_changes(explanation.input, first.changes)).allowed
