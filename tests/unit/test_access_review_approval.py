"""The review reports the grants ``authorize`` refuses as unapproved (never approved, approved
before the request, approved after the review time) on every route: the typed call,
``finpolicy review``, ``finpolicy eval``, ``evaluate_table(..., what="review")`` and HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
ENGINE = fp.PolicyEngine()


def _t(delta: dt.timedelta) -> str:
    return (AT + delta).isoformat()


def _grant(gid: str, **changes: Any) -> dict[str, Any]:
    return {"id": gid, "grantee": "u-1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": _t(-20 * DAY), "approved_by": "u-head",
            "approver_roles": ["department_head"], "approved_at": _t(-19 * DAY),
            "expires_at": _t(5 * DAY), **changes}


GRANTS = [_grant("g-ok"),
          _grant("g-none", approved_by=None, approved_at=None),
          _grant("g-no-time", approved_at=None),
          _grant("g-no-one", approved_by=None),
          _grant("g-early", approved_at=_t(-21 * DAY)),
          _grant("g-later", approved_at=_t(DAY)),
          # no approver: not approved, whenever its approval time says
          _grant("g-no-one-later", approved_by=None, approved_at=_t(DAY))]
ASSIGNMENTS = [
    {"subject_id": "u-head", "role": "department_head", "assigned_at": _t(-400 * DAY),
     "approved_by": "u-head-2", "approver_roles": ["department_head"],
     "approved_at": _t(-400 * DAY), "reviewed_at": _t(-5 * DAY)},
    {"subject_id": "u-head-2", "role": "department_head", "assigned_at": _t(-400 * DAY),
     "approved_by": "u-head", "approver_roles": ["department_head"],
     "approved_at": _t(-400 * DAY), "reviewed_at": _t(-5 * DAY)},
    {"subject_id": "u-1", "role": "customer_manager", "assigned_at": _t(-30 * DAY),
     "approved_by": "u-head", "approver_roles": ["department_head"],
     "approved_at": _t(-30 * DAY)}]
EXPECTED = {("g-none", "grant_not_approved"), ("g-no-time", "grant_not_approved"),
            ("g-no-one", "grant_not_approved"), ("g-early", "approved_before_request"),
            ("g-later", "approved_after_review"), ("g-no-one-later", "grant_not_approved")}


def _refused(grant: dict[str, Any]) -> None:
    request = fp.AccessRequest(
        subject=fp.Subject(id="u-1", roles=["customer_manager"], department="retail"),
        action="read", purpose="account_service",
        resource=fp.Resource(type="customer_record", data_level="core", category="business",
                             department="retail"),
        grants=[fp.AccessGrant.model_validate(grant)], as_of=AT)
    decision = ENGINE.authorize(request, directory=[fp.RoleAssignment.model_validate(a)
                                                    for a in ASSIGNMENTS])
    assert decision.outcome == ("allow" if grant["id"] == "g-ok" else "deny"), decision


def _pairs(findings: Any) -> set[tuple[str, str]]:
    return {(f["grant_id"], f["kind"]) for f in findings if f.get("grant_id")}


def _kinds() -> list[str]:
    return sorted(kind for _, kind in EXPECTED)


def test_a_grant_authorize_refuses_as_unapproved_is_a_finding_of_the_typed_review() -> None:
    # authorize denies each of these grants (not_approved, approved_before_request,
    # not_yet_approved) and the review reported nothing: an empty report read as clean
    for grant in GRANTS:
        _refused(grant)
    report = ENGINE.review_access(GRANTS, ASSIGNMENTS, as_of=AT)
    assert {(f.grant_id, f.kind) for f in report.findings} == EXPECTED
    by_grant = {f.grant_id: f for f in report.findings}
    # approved before its request: a record that cannot be true; the others may be pending
    assert {g: by_grant[g].severity for g, _ in EXPECTED} == {
        "g-none": "medium", "g-no-time": "medium", "g-no-one": "medium", "g-early": "high",
        "g-later": "medium", "g-no-one-later": "medium"}
    assert "no approver and no approval time recorded" in by_grant["g-none"].message
    assert "approved by u-head; no approval time recorded" in by_grant["g-no-time"].message
    assert f"approved {_t(DAY)}" in by_grant["g-later"].message
    assert by_grant["g-early"].cite == "seed-000 §5.4"


def test_the_unapproved_grants_are_findings_on_every_route(tmp_path: Path) -> None:
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": GRANTS, "assignments": ASSIGNMENTS}),
                        encoding="utf-8")
    cli = CliRunner().invoke(main, ["review", str(document), "--json", "--as-of",
                                    AT.isoformat()])
    assert cli.exit_code == 0 and _pairs(json.loads(cli.output)["findings"]) == EXPECTED
    wrapped = tmp_path / "eval.json"
    wrapped.write_text(json.dumps({"review": {"grants": GRANTS, "assignments": ASSIGNMENTS,
                                              "as_of": AT.isoformat()}}), encoding="utf-8")
    evaluated = CliRunner().invoke(main, ["eval", "access", str(wrapped), "--json"])
    assert sorted(d["outcome"] for d in json.loads(evaluated.output)) == _kinds()
    from fastapi.testclient import TestClient

    from finpolicy.serve import Service, create_app

    with TestClient(create_app(Service(ENGINE))) as client:
        answer = client.post("/v1/access/review_access",
                             json={"grants": GRANTS, "assignments": ASSIGNMENTS,
                                   "as_of": AT.isoformat()})
    assert answer.status_code == 200, answer.text
    assert _pairs(answer.json()["result"]["findings"]) == EXPECTED


def test_the_unapproved_grants_are_findings_of_a_review_table(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    grants, roles = tmp_path / "grants.csv", tmp_path / "roles.csv"
    for path, records in ((grants, GRANTS), (roles, ASSIGNMENTS)):
        names = list(dict.fromkeys(k for r in records for k in r))
        with path.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(names)
            out.writerows([";".join(v) if isinstance(v, list) else "" if v is None else v
                           for v in (r.get(n) for n in names)] for r in records)
    table = ENGINE.evaluate_table("access", str(grants), what="review", as_of=AT,
                                  assignments=str(roles))
    assert set(zip(table.column("grant_id").to_pylist(), table.column("kind").to_pylist(),
                   strict=True)) == EXPECTED


def test_a_role_changes_approver_is_confirmed_against_the_assignments() -> None:
    # the record's own word was taken: a teller appointed 'by u-head-9 (department_head)',
    # whom no assignment shows holding any role, passed the review clean
    change = {"subject_id": "u-2", "role": "teller", "assigned_at": _t(-10 * DAY),
              "approved_by": "u-head-9", "approver_roles": ["department_head"],
              "approved_at": _t(-10 * DAY)}
    report = ENGINE.review_access([], [*ASSIGNMENTS, change], as_of=AT)
    (finding,) = report.findings
    assert (finding.kind, finding.severity, finding.subject_id, finding.role) == (
        "role_approver_unverified", "high", "u-2", "teller")
    assert finding.message.endswith("(teller; approved by u-head-9 (department_head); the role "
                                    "assignments show no roles for u-head-9 at approval; "
                                    "approved 10 days ago, not reviewed since)")
    # a teller at the time is no approver either; a department head then confirms it
    teller_then = {"subject_id": "u-head-9", "role": "teller", "assigned_at": _t(-50 * DAY),
                   "approved_by": "u-head", "approver_roles": ["department_head"],
                   "approved_at": _t(-50 * DAY)}
    kinds = [f.kind for f in ENGINE.review_access(
        [], [*ASSIGNMENTS, change, teller_then], as_of=AT).findings]
    assert kinds == ["role_approver_unverified"]
    head_then = {**teller_then, "role": "department_head"}
    assert ENGINE.review_access([], [*ASSIGNMENTS, change, head_then], as_of=AT).findings == ()
    # a directory, when given, is what confirms it (as for a grant's approver)
    directory = [{"subject_id": "u-head-9", "role": "department_head"},
                 {"subject_id": "u-head", "role": "department_head"},
                 {"subject_id": "u-head-2", "role": "department_head"}]
    assert ENGINE.review_access([], [*ASSIGNMENTS, change], as_of=AT,
                                directory=directory).findings == ()
    # a self-approved change is that finding alone
    own = {**change, "approved_by": "u-2"}
    assert [f.kind for f in ENGINE.review_access([], [*ASSIGNMENTS, own], as_of=AT).findings] \
        == ["role_change_self_approved"]


def test_a_role_held_on_an_approval_dated_after_the_review_is_a_finding() -> None:
    # a teller assigned 10 days before the review, its approval dated 5 days after it, was
    # clean: the record held an approver and a time, when it was taken
    late = {"subject_id": "u-2", "role": "teller", "assigned_at": _t(-10 * DAY),
            "approved_by": "u-head", "approver_roles": ["department_head"],
            "approved_at": _t(5 * DAY)}
    (finding,) = ENGINE.review_access([], [*ASSIGNMENTS, late], as_of=AT).findings
    assert (finding.kind, finding.severity, finding.subject_id) == (
        "role_approved_after_review", "high", "u-2")
    assert f"approval dated {_t(5 * DAY)}, after the review time" in finding.message
    # reviewed after its approval, the same record is clean
    assert ENGINE.review_access([], [*ASSIGNMENTS, late], as_of=AT + 6 * DAY).findings == ()


@pytest.mark.parametrize(("level", "said"), [
    ("Core", "level `Core`, `core` spelt otherwise"),
    ("kore", "level `kore`, the policy's levels are ordinary, important, core")])
def test_a_grant_for_a_level_the_policy_does_not_define_is_a_finding(level: str,
                                                                     said: str) -> None:
    # a 300-day grant for 'Core' had no maximum to exceed and passed the review clean, while
    # authorize refuses the grant as an unknown level
    grant = _grant("g-long", data_level=level, expires_at=_t(300 * DAY))
    (finding,) = ENGINE.review_access([grant], ASSIGNMENTS, as_of=AT).findings
    assert (finding.kind, finding.severity, finding.grant_id) == (
        "unknown_level", "medium", "g-long")
    assert f"({said}; its length is not checked against a maximum)" in finding.message
    assert [f.kind for f in ENGINE.review_access([_grant("g-long", expires_at=_t(300 * DAY))],
                                                 ASSIGNMENTS, as_of=AT).findings] == [
        "excessive_duration"]
