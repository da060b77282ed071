"""Usage records naming a grant the review was not given were passed over in silence: a use
of a revoked or deleted grant (access nothing in the review covers) left no trace in the
report. The report now names those grants (``unmatched_usage``), and ``finpolicy review``
says so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 31, 18, tzinfo=TZ)
GRANT = fp.AccessGrant(
    id="G-1", grantee="u-1", purpose="credit_review", resource_type="customer_record",
    data_level="important", category="business", requested_at=AT - dt.timedelta(days=3),
    approved_by="h-1", approver_roles=["department_head"],
    approved_at=AT - dt.timedelta(days=2), expires_at=AT + dt.timedelta(days=20))
HEAD = fp.RoleAssignment(subject_id="h-1", role="department_head")


def _use(grant_id: str, days_before: float) -> fp.UsageRecord:
    return fp.UsageRecord(grant_id=grant_id, used_at=AT - dt.timedelta(days=days_before),
                          subject_id="u-1")


def test_the_report_names_the_grants_usage_records_name_but_the_review_lacks() -> None:
    usage = [_use("g-1 ", 1), _use("G-9", 1), _use("g-9", 0.5), _use("g-7", 0.2),
             _use("g-8", -1)]  # g-8 used after the review time: not this review's
    report = fp.PolicyEngine().review_access([GRANT], [HEAD], as_of=AT, usage=usage)
    assert report.unmatched_usage == ("G-9", "g-7")
    assert report.to_dict()["unmatched_usage"] == ["G-9", "g-7"]
    assert fp.PolicyEngine().review_access([GRANT], [HEAD], as_of=AT).unmatched_usage == ()


def test_finpolicy_review_says_which_grants_it_was_not_given(tmp_path: Path) -> None:
    grants = tmp_path / "grants.csv"
    row = GRANT.model_dump(mode="json")
    row["approver_roles"] = ";".join(row["approver_roles"])
    grants.write_text(",".join(row) + "\n" + ",".join(str(v or "") for v in row.values())
                      + "\n", encoding="utf-8")
    roles = tmp_path / "roles.csv"
    roles.write_text("subject_id,role\nh-1,department_head\n", encoding="utf-8")
    usage = tmp_path / "usage.csv"
    usage.write_text("grant_id,used_at\n" + "".join(
        f"{g},{(AT - dt.timedelta(days=1)).isoformat()}\n" for g in ("G-1", "g-revoked")),
        encoding="utf-8")
    args = ["review", str(grants), "--assignments", str(roles), "--usage", str(usage),
            "--as-of", AT.isoformat()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "usage records name 1 grant this review was not given (g-revoked)" in result.output
    result = CliRunner().invoke(main, [*args, "--json"])
    assert json.loads(result.output)["unmatched_usage"] == ["g-revoked"]
