""""What would allow it" never advises a role that separation of duties keeps from a role the
subject holds: following it would be a high finding of the next review."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine()
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def _request(roles: list[str], category: str) -> dict[str, object]:
    return {"subject": {"id": "u-1", "roles": roles, "branch": "B1", "department": "D1"},
            "action": "read", "purpose": "account_service", "as_of": AT,
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": category, "branch": "B1", "department": "D1"}}


def test_a_role_separated_from_one_the_subject_holds_is_not_suggested() -> None:
    # a risk officer asking for behaviour data for account service was told to request
    # customer_manager (and act without risk_officer): holding both is the pack's first
    # separation-of-duties conflict
    request = _request(["risk_officer"], "behaviour")
    explanation = ENGINE.explain("authorize", request)
    suggested = [c.value for s in explanation.suggestions for c in s.changes]
    assert "customer_manager" not in suggested
    report = ENGINE.review_access([], [{"subject_id": "u-1", "role": role}
                                       for role in ("risk_officer", "customer_manager")],
                                  as_of=AT)
    assert "sod_conflict" in {f.kind for f in report.findings}


def test_a_role_not_separated_is_still_suggested() -> None:
    explanation = ENGINE.explain("authorize", _request(["data_analyst"], "behaviour"))
    suggested = [c.value for s in explanation.suggestions for c in s.changes]
    assert "customer_manager" in suggested
    allowed = ENGINE.authorize(_request(["data_analyst", "customer_manager"], "behaviour"))
    assert allowed.allowed


def test_the_words_for_a_fact_say_what_the_fact_holds() -> None:
    # subject.in_scope is true only for a role that permits the request, and read 'the data
    # is within the scope of the person's role (it is false)' for a data analyst of the
    # data's own department whom no role permits to export important data: the department
    # was not what was wrong. approver_authorised read 'the approver is authorised to
    # approve' for what the grant names, which no directory confirms.
    from finpolicy.domains.access.labels import LABELS

    request = {"subject": {"id": "u-1", "roles": ["data_analyst"], "department": "D1"},
               "action": "export", "purpose": "analytics", "as_of": AT,
               "resource": {"type": "customer_record", "data_level": "important",
                            "category": "derived", "department": "D1"}}
    text = ENGINE.explain("authorize", request).text()
    assert "within the scope" not in text
    assert "a role that permits it covers the data's branch or department (it is false)" in text
    assert "names" in LABELS["grant.approver_authorised"].en
    assert "names" in LABELS["assignment.approver_authorised"].en
