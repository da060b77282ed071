"""Identities in access: every spelling of one person is that person, blank is missing, and a
grant's approver counts only when the application's role directory confirms the role (both
engines, generated spellings)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.access.spec import GRANT_FAILURES
from tests.helpers.directory import DIRECTORY
from tests.security.attacks import INVISIBLE, blanks, full_width, spellings

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
DAY = dt.timedelta(days=1)
HEAD = "u-head-7"
TELLER = "u-teller-1"
EXAMPLES = settings(max_examples=80, deadline=None)


def _grant(**kw: Any) -> dict[str, Any]:
    return {"id": "g1", "grantee": TELLER, "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core",
            "category": "basic_identity", "requested_at": AT - 2 * DAY, "approved_by": HEAD,
            "approver_roles": ["department_head"], "approved_at": AT - DAY,
            "expires_at": AT + 5 * DAY} | kw


def _request(subject_id: str = TELLER, grants: list[dict[str, Any]] | None = None,
             **place: Any) -> dict[str, Any]:
    where = {"department": "retail", "branch": "BJ01"} | place
    return {"subject": {"id": subject_id, "roles": ["teller"], **where}, "action": "read",
            "resource": {"type": "customer_record", "data_level": "core",
                         "category": "basic_identity", "department": "retail",
                         "branch": "BJ01"},
            "purpose": "account_service", "grants": grants or [], "as_of": AT}


def _decide(engine: fp.PolicyEngine, data: dict[str, Any], directory: Any = DIRECTORY) -> Any:
    return engine.authorize(data, directory=directory)


# --- canonical ids ------------------------------------------------------------------------

@EXAMPLES
@given(st.sampled_from([HEAD, TELLER, "h1", "ab-c12"]).flatmap(
    lambda ident: st.tuples(st.just(ident), spellings(ident))))
def test_every_spelling_of_an_id_has_the_one_canonical_form(pair: tuple[str, str]) -> None:
    ident, spelt = pair
    assert fp.canonical_id(spelt) == ident
    assert fp.Subject(id=spelt).id == ident


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_the_canonical_form_is_stable_and_holds_no_invisible_character(text: str) -> None:
    once = fp.canonical_id(text)
    assert fp.canonical_id(once) == once
    assert once == once.strip() and "  " not in once
    assert not any(c in INVISIBLE for c in once)


@EXAMPLES
@given(blanks)
def test_a_blank_id_is_an_error_and_a_blank_optional_id_is_missing(blank: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        fp.Subject(id=blank)
    assert caught.value.fields == ("id",)
    grant = fp.AccessGrant(**_grant(approved_by=blank, requested_by=blank))
    assert grant.approved_by is None and grant.requested_by is None
    subject = fp.Subject(id="u1", department=blank, branch=blank)
    assert subject.department is None and subject.branch is None


# --- self-approval, approval and scope on both engines --------------------------------------

@EXAMPLES
@given(spellings(HEAD))
def test_a_grant_its_grantee_approved_under_any_spelling_is_self_approved(
        engines: dict[str, fp.PolicyEngine], spelt: str) -> None:
    """The head approves their own grant, spelling their id another way; the directory even
    confirms the head's role: the grant still does not count."""
    data = _request(HEAD, [_grant(grantee=HEAD, approved_by=spelt)])
    for engine in engines.values():
        d = _decide(engine, data)
        assert not d.allowed
        assert d.grant_failures == ("g1: self_approved",)
        assert "grant-self-approved" in d.rule_ids


@EXAMPLES
@given(spellings(TELLER))
def test_a_grant_approved_by_its_requester_under_any_spelling_is_self_approved(
        engines: dict[str, fp.PolicyEngine], spelt: str) -> None:
    data = _request(TELLER, [_grant(requested_by=HEAD, approved_by=full_width(HEAD))])
    data_by_requester = _request(TELLER, [_grant(requested_by=spelt, approved_by=TELLER)])
    for engine in engines.values():
        assert _decide(engine, data).grant_failures == ("g1: self_approved",)
        assert "self_approved" in _decide(engine, data_by_requester).grant_failures[0]


@EXAMPLES
@given(blanks)
def test_a_blank_approver_is_no_approval(engines: dict[str, fp.PolicyEngine],
                                         blank: str) -> None:
    data = _request(TELLER, [_grant(approved_by=blank)])
    for engine in engines.values():
        d = _decide(engine, data)
        assert not d.allowed and d.grant_failures == ("g1: not_approved",)


@EXAMPLES
@given(spellings(HEAD), spellings(TELLER))
def test_the_real_approver_counts_under_any_spelling(engines: dict[str, fp.PolicyEngine],
                                                     head: str, teller: str) -> None:
    data = _request(TELLER, [_grant(grantee=teller, approved_by=head)])
    for engine in engines.values():
        d = _decide(engine, data)
        assert d.allowed and d.grant_id == "g1", d.explain()


@EXAMPLES
@given(st.sampled_from(["u-teller-9", "x-1", "u-head-8", "u-head-7x"]),
       st.sampled_from([None, [], [{"subject_id": "u-teller-9", "role": "teller"}]]))
def test_an_approver_the_directory_does_not_confirm_does_not_count(
        engines: dict[str, fp.PolicyEngine], approver: str,
        assignments: list[dict[str, Any]] | None) -> None:
    """(``None``: the engine's own directory, which does not know them either.)"""
    data = _request(TELLER, [_grant(approved_by=approver)])
    expected = "approver_role_not_held"
    for engine in engines.values():
        d = _decide(engine, data, directory=assignments)
        assert not d.allowed
        assert d.grant_failures == (f"g1: {expected}",)
        assert d.rule_ids == ("grant-approver-role-not-held",)
    assert expected in GRANT_FAILURES


def test_without_any_directory_no_grant_counts(bundle: fp.Bundle) -> None:
    """An application that gives no directory fails closed: the grant's own claim of an
    approver role is not taken on trust."""
    for name in ("compiled", "durable"):
        engine = fp.PolicyEngine(bundle, engine=name)
        d = engine.authorize(_request(TELLER, [_grant()]))
        assert not d.allowed and d.grant_failures == ("g1: approver_unverified",)
        with_directory = engine.authorize(_request(TELLER, [_grant()]),
                                          directory=[{"subject_id": HEAD,
                                                      "role": "department_head"}])
        assert with_directory.allowed


def test_an_approver_role_that_ended_or_began_outside_the_approval_does_not_count(
        engine: fp.PolicyEngine) -> None:
    for window in ({"expires_at": AT - 3 * DAY}, {"assigned_at": AT - DAY / 2}):
        directory = [{"subject_id": HEAD, "role": "department_head", **window}]
        d = _decide(engine, _request(TELLER, [_grant()]), directory=directory)
        assert d.grant_failures == ("g1: approver_role_not_held",)


def test_a_directory_that_fails_or_answers_nonsense_denies_naming_why(
        engine: fp.PolicyEngine) -> None:
    class Broken:
        def roles_of(self, subject_id: str, at: dt.datetime) -> set[str]:
            raise ConnectionError("directory unreachable")

    class Chatty:
        def roles_of(self, subject_id: str, at: dt.datetime) -> Any:
            return "department_head"  # a string is not a set of roles

    for directory, words in ((Broken(), "directory unreachable"), (Chatty(), "set of role")):
        d = _decide(engine, _request(TELLER, [_grant()]), directory=directory)
        assert not d.allowed and d.rule_ids == ("evaluation-error",)
        assert words in d.hits[0].reason
    with pytest.raises(fp.InputError) as caught:
        _decide(engine, _request(TELLER, [_grant()]), directory=42)
    assert caught.value.problems[0].code == "bad_directory"


@EXAMPLES
@given(st.one_of(blanks, st.none()), st.one_of(blanks, st.none()))
def test_blank_places_on_both_sides_are_never_the_same_place(
        engines: dict[str, fp.PolicyEngine], mine: str | None, theirs: str | None) -> None:
    """A teller's permission is scoped to their branch: with no branch on either side the
    request is out of scope, not in it."""
    data = _request(TELLER, department=mine, branch=mine)
    data["resource"] |= {"data_level": "ordinary", "department": theirs, "branch": theirs}
    for engine in engines.values():
        d = _decide(engine, data)
        assert not d.allowed and "out-of-scope" in d.rule_ids


@EXAMPLES
@given(spellings("bj01"), spellings("retail"))
def test_places_compare_under_any_spelling(engines: dict[str, fp.PolicyEngine], branch: str,
                                           department: str) -> None:
    data = _request(TELLER, department=department, branch=branch)
    data["resource"]["data_level"] = "ordinary"
    for engine in engines.values():
        assert _decide(engine, data).allowed


# --- the review applies the same checks ---------------------------------------------------

# role assignments made with a head's approval and confirmed by a review this year
APPOINTED = {"approved_by": "u-head-1", "approver_roles": ["department_head"],
             "approved_at": AT - dt.timedelta(days=30)}
# the approver of those changes, appointed with another head's approval: the review confirms a
# role change's approver against the assignments, as a grant's
HEADS = [{"subject_id": "u-head-1", "role": "department_head", **APPOINTED,
          "approved_by": "u-head-2"},
         {"subject_id": "u-head-2", "role": "department_head", **APPOINTED}]

@EXAMPLES
@given(spellings("u7"), spellings("u7"), spellings(HEAD))
def test_the_review_joins_one_persons_spellings(engines: dict[str, fp.PolicyEngine],
                                                first: str, second: str, head: str) -> None:
    assignments = [{"subject_id": first, "role": "compliance_auditor", **APPOINTED},
                   {"subject_id": second, "role": "teller", **APPOINTED},
                   {"subject_id": head, "role": "department_head", **APPOINTED}, *HEADS]
    grants = [_grant(grantee=HEAD, approved_by=head, id="self"),
              _grant(approved_by=head, id="fine")]
    findings = {(f.kind, f.grant_id, f.subject_id) for f in engines["compiled"].review_access(
        grants, assignments, as_of=AT).findings}
    assert findings == {("sod_conflict", None, "u7"), ("self_approved", "self", HEAD)}
    durable = engines["durable"].review_access(grants, assignments, as_of=AT)
    assert {(f.kind, f.grant_id, f.subject_id) for f in durable.findings} == findings


@EXAMPLES
@given(st.sampled_from(["x-1", "u-teller-9"]))
def test_the_review_reports_an_approver_the_assignments_do_not_confirm(
        engines: dict[str, fp.PolicyEngine], approver: str) -> None:
    assignments = [{"subject_id": "u-teller-9", "role": "teller", **APPOINTED}, *HEADS]
    for engine in engines.values():
        review = engine.review_access([_grant(approved_by=approver)], assignments, as_of=AT)
        assert [(f.kind, f.grant_id) for f in review.findings] == [
            ("approver_unverified", "g1")]
        elsewhere = [{"subject_id": approver, "role": "department_head"}, *HEADS]
        confirmed = engine.review_access([_grant(approved_by=approver)], assignments,
                                         as_of=AT, directory=elsewhere)
        assert confirmed.findings == ()
