"""``evaluate_input`` of the access domain reads reviews: one Decision per finding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.decisions import Decision
from finpolicy.domains.access import evaluate_input

AT = "2026-03-02T10:00:00+08:00"


def _grant(**changes: Any) -> dict[str, Any]:
    grant = {"id": "g-1", "grantee": "u-teller-1", "purpose": "account_service",
             "resource_type": "customer_record", "data_level": "core",
             "category": "basic_identity", "requested_at": "2026-03-01T09:00:00+08:00",
             "approved_by": "u-head-7", "approver_roles": ["department_head"],
             "approved_at": "2026-03-01T11:00:00+08:00",
             "expires_at": "2026-03-15T18:00:00+08:00"}
    grant.update(changes)
    return grant


# the approver of the grants: appointed with another head's approval, reviewed this year
HEAD = {"subject_id": "u-head-7", "role": "department_head", "approved_by": "u-head-1",
        "approver_roles": ["department_head"], "approved_at": "2026-01-05T09:00:00+08:00"}
# who approved it, appointed with u-head-7's approval: the review confirms a role change's
# approver against the assignments, as a grant's
HEAD_1 = {**HEAD, "subject_id": "u-head-1", "approved_by": "u-head-7"}


def _review(**review: Any) -> dict[str, Any]:
    return {"review": {"grants": [], "assignments": [HEAD, HEAD_1], **review}}


def test_a_review_gives_one_decision_per_finding_with_the_rule_that_found_it(
        engine: fp.PolicyEngine) -> None:
    approved = {"approved_by": "u-head-1", "approver_roles": ["department_head"],
                "approved_at": "2026-02-01T09:00:00+08:00"}
    data = _review(grants=[_grant(approved_by="u-teller-1")],
                   assignments=[HEAD, HEAD_1,
                                {"subject_id": "u-9", "role": "customer_manager", **approved},
                                {"subject_id": "u-9", "role": "risk_officer", **approved}])
    decisions = evaluate_input(engine, data, as_of=dt.datetime.fromisoformat(AT))
    assert [(d.outcome, d.rule_ids) for d in decisions] == [
        ("self_approved", ("review-self-approved",)),
        ("sod_conflict", ("sod-customer-manager-risk-officer",)),
    ]
    for d in decisions:
        assert type(d) is Decision
        assert d.obligations == ()
        assert d.policy.id == "cn-access"
        assert d.engine == engine.engine_name
        assert d.as_of == dt.datetime.fromisoformat(AT)
        assert len(d.input_digest) == 64
    assert decisions[0].hits[0].cite == "seed-000 §5.4"
    assert "u-teller-1" in decisions[0].hits[0].reason


def test_a_clean_review_gives_no_decisions(engine: fp.PolicyEngine) -> None:
    assert evaluate_input(engine, _review(grants=[_grant()]),
                          as_of=dt.datetime.fromisoformat(AT)) == []


def test_a_review_date_means_midnight_utc_and_as_of_takes_the_place_of_the_review_s_own(
        engine: fp.PolicyEngine) -> None:
    """As in every domain and as `finpolicy eval --as-of` says (the review's own as_of won)."""
    expired_on_16th = _review(grants=[_grant()])
    by_date = evaluate_input(engine, expired_on_16th, as_of=dt.date(2026, 3, 16))
    assert [d.outcome for d in by_date] == ["expired_grant"]
    assert by_date[0].as_of == dt.datetime(2026, 3, 16, tzinfo=dt.UTC)
    with_at = {"review": {**expired_on_16th["review"], "as_of": AT}}
    assert evaluate_input(engine, with_at) == []  # its own as_of, when none is given
    assert [d.outcome for d in evaluate_input(engine, with_at, as_of=dt.date(2026, 3, 16))] \
        == ["expired_grant"]


def test_equal_reviews_have_equal_digests_and_the_engines_agree(
        engines: dict[str, fp.PolicyEngine]) -> None:
    data = _review(grants=[_grant(expires_at="2026-05-01T11:00:00+08:00")], usage=[])
    at = dt.datetime.fromisoformat("2026-04-10T10:00:00+08:00")
    got = {name: evaluate_input(e, data, as_of=at) for name, e in engines.items()}
    sig = {name: [(d.outcome, d.hits, d.input_digest) for d in ds] for name, ds in got.items()}
    assert sig["compiled"] == sig["durable"]
    assert [d.outcome for d in got["compiled"]] == ["excessive_duration", "dormant_grant"]
    other = evaluate_input(engines["compiled"], _review(grants=[_grant()], usage=[]), as_of=at)
    assert other[0].input_digest != got["compiled"][0].input_digest


def test_a_request_still_gives_one_access_decision(engine: fp.PolicyEngine) -> None:
    request = {"subject": {"id": "u-1", "roles": ["teller"], "branch": "BJ01"},
               "action": "read", "purpose": "account_service",
               "resource": {"type": "customer_record", "data_level": "ordinary",
                            "category": "basic_identity", "branch": "BJ01"}}
    [decision] = evaluate_input(engine, request, as_of=dt.date(2026, 3, 2))
    assert isinstance(decision, fp.AccessDecision)
    assert decision.outcome == "allow"


@pytest.mark.parametrize(("data", "field"), [
    ({"review": {"grants": [], "assignments": []}, "subject": {}}, "input"),
    ({"review": [1]}, "review"),
    ({"review": {"grants": [], "assignments": [], "extra": 1}}, "review.extra"),
    ({"review": {"grants": [{"id": "g"}], "assignments": []}}, "review.grants.0"),
    ({"review": {"grants": [], "assignments": [], "usage": {"g": 1}}}, "review.usage"),
    ({"review": {"grants": [], "assignments": [], "as_of": "yesterday"}}, "review.as_of"),
])
def test_a_malformed_review_is_an_input_error_naming_the_field(
        engine: fp.PolicyEngine, data: dict[str, Any], field: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        evaluate_input(engine, data, as_of=dt.date(2026, 3, 2))
    assert any(p.path.startswith(field) for p in caught.value.problems)


def test_review_access_reads_its_as_of_as_a_review_file_does(engine: fp.PolicyEngine) -> None:
    # ISO text with an offset was refused as "expected a datetime with a time zone offset"
    grants = [_grant()]
    by_text = engine.review_access(grants, [], as_of="2026-03-16T08:00+08:00")
    assert by_text.as_of == dt.datetime(2026, 3, 16, tzinfo=dt.UTC)
    by_date = engine.review_access(grants, [], as_of=dt.date(2026, 3, 16))
    assert by_date.as_of == by_text.as_of and by_date.findings == by_text.findings
    for bad, said in (("2026-03-16T08:00", "with a time zone offset"), ("soon", "ISO")):
        with pytest.raises(fp.InputError, match=said):
            engine.review_access(grants, [], as_of=bad)
