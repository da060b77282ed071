"""Change impact on decisions that come as a list with no identity of their own (an access
review's findings): a finding added or removed is that one change, not every later finding
changed into its neighbour."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import finpolicy as fp
from finpolicy.testing import diff
from finpolicy.testing.diff import NONE, Verdict, _pairs

RULE = "review-role-approver-unverified"


def test_a_finding_added_before_the_others_is_paired_as_added() -> None:
    sod = Verdict("sod_conflict", ("sod-compliance-auditor-teller",))
    unverified = Verdict("role_approver_unverified", (RULE,))
    assert _pairs([sod], [unverified, sod]) == [(Verdict(NONE), unverified), (sod, sod)]
    assert _pairs([unverified, sod], [sod]) == [(unverified, Verdict(NONE)), (sod, sod)]
    # a finding that changed in place stays paired with the one it was
    expired = Verdict("expired_grant", ("review-expired-grant",))
    assert _pairs([sod, unverified], [sod, expired]) == [(sod, sod), (unverified, expired)]


@pytest.mark.slow
def test_removing_a_review_rule_reports_only_its_findings_as_gone(bundle: fp.Bundle,
                                                                  tmp_path: Path) -> None:
    # the findings after a removed one were reported changed into it: role_approver_unverified
    # -> sod_conflict, sod_conflict -> <no decision>, and so on down the list
    pack = tmp_path / "new"
    shutil.copytree(bundle.root, pack)
    access = pack / "access.yaml"
    data = yaml.safe_load(access.read_text(encoding="utf-8"))
    rules = data["spec"]["review_rules"]
    assert any(r["id"] == RULE for r in rules)
    data["spec"]["review_rules"] = [r for r in rules if r["id"] != RULE]
    access.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")
    report = diff(bundle, fp.load_bundle(pack), samples=200, domains=["access"])
    assert report.changed
    assert {g.kind for g in report.groups} == {"role_approver_unverified-><no decision>"}
    assert all(g.rules == (f"-{RULE}",) for g in report.groups)
