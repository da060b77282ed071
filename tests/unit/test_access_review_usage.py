"""A grant's usage records say whether it was used outside its validity (before its
approval, or from its expiry on: access the grant did not cover) or by someone other than
its grantee. The review read only the last use (for dormancy): a grant used a week after it
expired, or by a colleague, was no different from one used as approved, so no review rule
could report it. Its fact now carries ``grant.uses_outside_validity`` and
``grant.uses_by_others`` (when usage is given)."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp
from tests.helpers.packversions import planted

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 31, 18, tzinfo=TZ)
APPROVED = AT - dt.timedelta(days=20)
EXPIRES = AT - dt.timedelta(days=5)
ANCHOR = "  review_rules:\n"
RULES = """  review_rules:
    - id: review-grant-used-outside-validity
      when: {field: grant.uses_outside_validity, gt: 0}
      finding: grant_used_outside_validity
      severity: high
      reason: the grant was used before its approval or after its expiry
      cite: seed-000 §5.4
    - id: review-grant-used-by-others
      when: {field: grant.uses_by_others, gt: 0}
      finding: grant_used_by_others
      severity: high
      reason: the grant was used by someone other than its grantee
      cite: seed-000 §5.4
"""
HEAD = fp.RoleAssignment(subject_id="h-1", role="department_head")


def _grant(gid: str, **changes: object) -> fp.AccessGrant:
    fields: dict[str, object] = dict(
        id=gid, grantee="u-1", purpose="credit_review", resource_type="customer_record",
        data_level="important", category="business", requested_at=APPROVED - dt.timedelta(hours=1),
        approved_by="h-1", approver_roles=["department_head"], approved_at=APPROVED,
        expires_at=EXPIRES)
    fields.update(changes)
    return fp.AccessGrant.model_validate(fields)


GRANTS = [_grant("g-ok"), _grant("g-late"), _grant("g-early"), _grant("g-lent"),
          _grant("g-unapproved", approved_by=None)]
USAGE = [
    fp.UsageRecord(grant_id="g-ok", used_at=APPROVED, subject_id="U-1 "),
    fp.UsageRecord(grant_id="g-ok", used_at=EXPIRES - dt.timedelta(seconds=1)),
    fp.UsageRecord(grant_id="G-LATE", used_at=EXPIRES, subject_id="u-1"),   # at its expiry
    fp.UsageRecord(grant_id="g-late", used_at=AT + dt.timedelta(days=1)),    # after the review
    fp.UsageRecord(grant_id="g-early", used_at=APPROVED - dt.timedelta(minutes=1)),
    fp.UsageRecord(grant_id="g-lent", used_at=APPROVED + dt.timedelta(days=1), subject_id="u-2"),
    fp.UsageRecord(grant_id="g-unapproved", used_at=APPROVED + dt.timedelta(days=1)),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> fp.PolicyEngine:
    root = planted(tmp_path_factory.mktemp("usage") / "pack", "access.yaml", ANCHOR, RULES)
    return fp.PolicyEngine(fp.load_bundle(str(root)))


def _found(report: fp.AccessReviewReport) -> list[tuple[str, str | None]]:
    return sorted((f.kind, f.grant_id) for f in report.findings
                  if f.kind.startswith("grant_used_"))


def test_uses_outside_a_grants_validity_or_by_others_are_reported(
        engine: fp.PolicyEngine) -> None:
    report = engine.review_access(GRANTS, [HEAD], as_of=AT, usage=USAGE)
    assert _found(report) == [("grant_used_by_others", "g-lent"),
                              ("grant_used_outside_validity", "g-early"),
                              ("grant_used_outside_validity", "g-late"),
                              ("grant_used_outside_validity", "g-unapproved")]
    (late,) = [f for f in report.of_kind("grant_used_outside_validity") if f.grant_id == "g-late"]
    assert f"1 use outside its validity (approved {APPROVED.isoformat()}, expires " \
           f"{EXPIRES.isoformat()})" in late.message
    (lent,) = report.of_kind("grant_used_by_others")
    assert "1 use by someone other than u-1" in lent.message
    # without usage records nothing is said of uses
    assert _found(engine.review_access(GRANTS, [HEAD], as_of=AT)) == []


def test_the_table_review_reports_the_same_uses(engine: fp.PolicyEngine) -> None:
    pa = pytest.importorskip("pyarrow")
    rows = [g.model_dump() for g in GRANTS]
    for row in rows:
        row["approver_roles"] = ";".join(row["approver_roles"])
    table = engine.evaluate_table("access", pa.Table.from_pylist(rows), what="review",
                                  as_of=AT, assignments=[HEAD.model_dump()],
                                  usage=[u.model_dump() for u in USAGE], chunk_rows=2)
    found = sorted((r["kind"], r["grant_id"]) for r in table.to_pylist()
                   if r["kind"].startswith("grant_used_"))
    assert found == _found(engine.review_access(GRANTS, [HEAD], as_of=AT, usage=USAGE))
