"""A review made with a role directory is replayed as it was made: the decision log keeps what
the directory answered about the approvers, as it does for a request."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, replay_log
from finpolicy.cli import main

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
GRANT = {"id": "g1", "grantee": "u-1", "purpose": "account_service",
         "resource_type": "customer_record", "data_level": "core", "category": "business",
         "requested_at": AT - 3 * DAY, "approved_by": "u-manager-1",
         "approver_roles": ["department_head"], "approved_at": AT - 2 * DAY,
         "expires_at": AT + 5 * DAY}
ROLES = [{"subject_id": "u-1", "role": "teller", "approved_by": "u-manager-1",
          "approver_roles": ["department_head"], "approved_at": AT - 20 * DAY},
         {"subject_id": "u-2", "role": "teller", "approved_by": "u-manager-1",
          "approver_roles": ["department_head"], "approved_at": AT - DAY}]
# the bank's directory: u-manager-1 heads a department from 10 days before the review (so the
# first role change, 20 days before, is unconfirmed), a teller before that
DIRECTORY = [fp.RoleAssignment(subject_id="u-manager-1", role="teller",
                               assigned_at=AT - 400 * DAY, expires_at=AT - 10 * DAY),
             fp.RoleAssignment(subject_id="u-manager-1", role="department_head",
                               assigned_at=AT - 10 * DAY)]


def test_a_review_with_a_directory_is_replayed_as_it_was_made(tmp_path: Path) -> None:
    # the log kept the grants and assignments but not the directory: replay confirmed the
    # approvers against the assignments alone and reported 'decisions: 1 logged -> 3
    # replayed' (approver_unverified, role_approver_unverified twice)
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        report = engine.review_access([GRANT], ROLES, as_of=AT, directory=DIRECTORY)
    (finding,) = report.findings
    assert (finding.kind, finding.subject_id) == ("role_approver_unverified", "u-1")
    assert "show teller for u-manager-1 at approval" in finding.message
    replayed = replay_log(where, keys)
    assert replayed.entries == 1 and replayed.reproduced, replayed.mismatches


def test_a_review_input_may_name_the_directory_that_confirms_its_approvers(
        tmp_path: Path) -> None:
    # what the log keeps, finpolicy eval reads: {review: {..., directory: [assignments]}}
    directory = [a.model_dump(mode="json") for a in DIRECTORY]
    review = json.loads(json.dumps({"grants": [GRANT], "assignments": ROLES,
                                    "as_of": AT}, default=str))
    outcomes = []
    for data in (review, {**review, "directory": directory}):
        path = tmp_path / "review.json"
        path.write_text(json.dumps({"review": data}), encoding="utf-8")
        result = CliRunner().invoke(main, ["eval", "access", str(path), "--json"])
        assert result.exit_code == 0, result.output
        outcomes.append(sorted(d["outcome"] for d in json.loads(result.output)))
    assert outcomes == [["approver_unverified", "role_approver_unverified",
                         "role_approver_unverified"], ["role_approver_unverified"]]
