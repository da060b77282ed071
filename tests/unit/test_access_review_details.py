"""The detail a review finding gives in brackets says what the review found, in the
records' own terms: what a grant names is not what its approver held, and the day an
assignment was made is not a day it was confirmed."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine()
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HEAD = {"subject_id": "u-head", "role": "department_head", "assigned_at": AT - 400 * DAY,
        "approved_by": "u-head-2", "approver_roles": ["department_head"],
        "approved_at": AT - 400 * DAY, "reviewed_at": AT - 5 * DAY}
# who approved u-head's appointment, appointed with u-head's approval: the review confirms a
# role change's approver against the assignments, as a grant's
HEAD_2 = {**HEAD, "subject_id": "u-head-2", "approved_by": "u-head"}


def _grant(**changes: object) -> dict[str, object]:
    return {"id": "g1", "grantee": "u-1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": AT - 3 * DAY, "approved_by": "u-head",
            "approver_roles": ["department_head"], "approved_at": AT - 2 * DAY,
            "expires_at": AT + 5 * DAY, **changes}


def _messages(grants: list[dict[str, object]], assignments: list[dict[str, object]]
              ) -> dict[str, str]:
    report = ENGINE.review_access(grants, [HEAD, HEAD_2, *assignments], as_of=AT)
    return {f.kind: f.message for f in report.findings}


def test_a_grant_naming_no_approver_role_does_not_say_its_approver_held_none() -> None:
    # the approver holds department_head (the assignments show it), but the grant names
    # none: the finding said '(approver u-head held no roles)', which the assignments deny
    named_none = _messages([_grant(approver_roles=[])], [])["approver_without_role"]
    assert "held" not in named_none
    assert named_none.endswith("(approver u-head; the grant names no role)")
    named_teller = _messages([_grant(approver_roles=["teller"])], [])["approver_without_role"]
    assert named_teller.endswith("(approver u-head; the grant names teller)")


def test_a_role_finding_says_what_its_review_interval_counts_from() -> None:
    # an assignment made 10 days ago with no approval and no review was reported as 'last
    # confirmed 10 days ago': nobody confirmed it
    unapproved = _messages([], [{"subject_id": "u-7", "role": "teller",
                                 "assigned_at": AT - 10 * DAY}])["role_change_not_approved"]
    assert "confirmed" not in unapproved
    assert unapproved.endswith("(teller; no approval recorded; assigned 10 days ago, not "
                               "reviewed since)")
    stale = _messages([], [{**HEAD, "subject_id": "u-8", "reviewed_at": None}])
    assert stale["role_review_overdue"].endswith(
        "(department_head; approved by u-head-2 (department_head); approved 400 days ago, "
        "not reviewed since)")
    reviewed = _messages([], [{**HEAD, "subject_id": "u-9", "reviewed_at": AT - 366 * DAY}])
    assert reviewed["role_review_overdue"].endswith("last reviewed 366 days ago)")
    tomorrow = _messages([], [{**HEAD, "subject_id": "u-9", "reviewed_at": AT + DAY,
                               "approved_at": AT - DAY}])  # a review after as_of is none yet
    assert "role_review_overdue" not in tomorrow


def test_a_grant_a_moment_too_long_is_a_finding_as_authorize_refuses_it() -> None:
    # 30 days and 40 ms: authorize refuses the core grant as too long, but its duration was
    # rounded to 30.0 days, and the review found nothing
    approved = AT - 2 * DAY
    for extra, found in ((dt.timedelta(milliseconds=40), True), (dt.timedelta(0), False)):
        grant = _grant(approved_at=approved, expires_at=approved + 30 * DAY + extra)
        kinds = _messages([grant], [])
        assert ("excessive_duration" in kinds) is found
        request = {"subject": {"id": "u-1", "roles": ["teller"]}, "action": "read",
                   "resource": {"type": "customer_record", "data_level": "core",
                                "category": "business"},
                   "purpose": "account_service", "as_of": AT, "grants": [grant]}
        refused = ENGINE.authorize(request, directory=[HEAD]).grant_failures
        assert ("g1: too_long" in refused) is found
    assert kinds == {}


def test_a_grant_id_is_one_grant_however_it_is_spelt() -> None:
    # 'g1' and 'G1 ' (a padded export cell) passed as two grants, each reported, and a use
    # logged as 'G1 ' was no use of g1: the grant, used yesterday, was reported dormant
    import pytest

    from finpolicy.errors import InputError

    grant = _grant(approved_at=AT - 40 * DAY, requested_at=AT - 41 * DAY,
                   expires_at=AT + 5 * DAY, data_level="important")
    with pytest.raises(InputError, match=r"grant `G1 ` is listed twice \(grants.0 and "
                                         r"grants.1\)"):
        ENGINE.review_access([grant, {**grant, "id": "G1 "}], [HEAD, HEAD_2], as_of=AT)
    used = ENGINE.review_access([grant], [HEAD, HEAD_2], as_of=AT,
                                usage=[{"grant_id": "G1 ", "used_at": AT - DAY}])
    assert [f.kind for f in used.findings] == []
    unused = ENGINE.review_access([grant], [HEAD, HEAD_2], as_of=AT,
                                  usage=[{"grant_id": "g2", "used_at": AT - DAY}])
    assert [f.kind for f in unused.findings] == ["dormant_grant"]


def test_an_assignment_that_ends_before_it_begins_is_refused() -> None:
    # an export with assigned_at and expires_at swapped made every assignment one never
    # active: the review passed over them, the customer manager who is also a risk officer
    # included, and reported nothing
    import pytest

    from finpolicy.errors import InputError

    swapped = [{"subject_id": "u-7", "role": role, "assigned_at": AT + 300 * DAY,
                "expires_at": AT - 30 * DAY} for role in ("customer_manager", "risk_officer")]
    with pytest.raises(InputError) as caught:
        ENGINE.review_access([], [HEAD, *swapped], as_of=AT)
    assert caught.value.fields[0] == "assignments.1.expires_at"
    assert "is before `assigned_at`" in str(caught.value)
    with pytest.raises(InputError, match="directory.0.expires_at|expires_at"):
        ENGINE.authorize({"subject": {"id": "u-1", "roles": ["teller"]}, "action": "read",
                          "resource": {"type": "customer_record", "data_level": "ordinary",
                                       "category": "business"},
                          "purpose": "account_service", "as_of": AT}, directory=swapped)
    ended_at_once = {**swapped[0], "expires_at": AT + 300 * DAY}  # a zero-length assignment
    assert ENGINE.review_access([], [HEAD, HEAD_2, ended_at_once], as_of=AT).findings == ()


def test_an_unknown_role_that_is_a_known_one_spelt_otherwise_says_so() -> None:
    # an export with 'Customer_Manager' reported only 'unknown: Customer_Manager' (medium),
    # and the customer manager who is also a risk officer had no sod_conflict (high)
    report = ENGINE.review_access([], [
        {"subject_id": "u-7", "role": "Customer_Manager"},
        {"subject_id": "u-7", "role": "risk_officer"},
        {"subject_id": "u-8", "role": "ghost"}], as_of=AT)
    unknown = {f.subject_id: f.message for f in report.findings if f.kind == "unknown_role"}
    assert unknown["u-7"].endswith("(unknown: Customer_Manager, `customer_manager` spelt "
                                   "otherwise, so separation of duties is not checked for it)")
    assert unknown["u-8"].endswith("(unknown: ghost)")
