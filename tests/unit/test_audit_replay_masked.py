"""A backtest (replay with another bundle) shows the values its entries masked masked, as the
entries show their input: the change's old and new decisions carried the customer's ID number
in clear (``details.customer_id`` in ``--json``, and in the fields changed), though the same
report showed the input masked."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, replay_log
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.packversions import with_elderly_age

RESIDENT_ID = "610113196105075585"


def test_a_backtest_report_holds_no_value_the_log_masked(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle(root), log=log).check_suitability(
            fp.Customer(id=RESIDENT_ID, risk_level="C5", assessment_date=dt.date(2026, 1, 5),
                        birth_date=dt.date(1963, 5, 7)),
            fp.Product(id="P-9", kind="wealth_management", risk_level="R4"),
            as_of=dt.date(2026, 3, 2))
    proposed = with_elderly_age(root, tmp_path / "proposed", 60)
    impact = replay_log(where, keys, bundle=fp.load_bundle(proposed)).impact
    assert impact is not None
    [change] = impact.changes
    assert change.old.details["customer_id"] == change.new.details["customer_id"] == \
        "610***********5585"
    assert change.new.outcome == "conditional"  # (the decision itself is unchanged)
    assert RESIDENT_ID not in json.dumps(impact.to_dict(), default=str)
    folder = tmp_path / "keys"
    keys.save(folder)
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys",
                                           str(folder), "--bundle", str(proposed), *extra])
        assert result.exit_code == 0, result.output
        assert "conditional" in result.output and RESIDENT_ID not in result.output
