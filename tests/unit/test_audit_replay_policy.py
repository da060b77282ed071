"""A call that named its policy (``policy=``, a parameter of every engine method) is replayed
when that policy is the one in force: it was reported as 'cannot be replayed' (exit 1 on an
intact log), and a backtest reported it as a change from '<logged with policy=>' to the new
decision, listing every field of the decision — the customer's id in clear among them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, replay_log
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.packversions import with_elderly_age

ON = dt.date(2026, 3, 2)
CUSTOMER = fp.Customer(id="cu-770", risk_level="C5", assessment_date=dt.date(2026, 1, 5),
                       birth_date=dt.date(1963, 5, 7))
PRODUCT = fp.Product(id="P-9", kind="wealth_management", risk_level="R4")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AuditKeys, Path]:
    root = tmp_path_factory.mktemp("pack") / "cn-banking"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    keys = AuditKeys.generate()
    where = root.parent / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(root), log=log)
        engine.check_suitability(CUSTOMER, PRODUCT, as_of=ON, policy="cn-suitability")
        engine.classify(fp.DataField(name="remark"), as_of=ON, policy="cn-classification")
    return where, keys, root


def test_a_call_that_named_the_policy_in_force_is_replayed(
        logged: tuple[Path, AuditKeys, Path]) -> None:
    where, keys, _ = logged
    report = replay_log(where, keys)
    assert report.entries == 2
    assert report.reproduced, [str(m) for m in report.mismatches]


def test_a_backtest_compares_it_as_any_other_call(logged: tuple[Path, AuditKeys, Path],
                                                 tmp_path: Path) -> None:
    where, keys, root = logged
    proposed = with_elderly_age(root, tmp_path / "proposed", 60)
    impact = replay_log(where, keys, bundle=fp.load_bundle(proposed)).impact
    assert impact is not None
    [change] = impact.changes
    assert (change.old.outcome, change.new.outcome) == ("suitable", "conditional")
    assert "elderly-high-risk" in " ".join(change.rules)


def test_a_call_that_named_a_policy_replay_cannot_choose_says_so(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    text = (root / "classification.yaml").read_text(encoding="utf-8")
    assert "\n  id: cn-classification\n" in text
    (root / "classification-alt.yaml").write_text(text.replace(
        "\n  id: cn-classification\n", "\n  id: cn-classification-alt\n"), encoding="utf-8")
    keys = AuditKeys.generate()
    with DecisionLog(tmp_path / "audit.db", keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle(root), log=log).classify(
            fp.DataField(name="remark"), as_of=ON, policy="cn-classification-alt")
    [mismatch] = replay_log(tmp_path / "audit.db", keys).mismatches
    assert "the call named its policy (policy=), which replay cannot choose" in str(mismatch)
