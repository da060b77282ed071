"""A sale's amount taken from a numpy column (``numpy.int64``, ``numpy.float32``), as the
customer and product models take numpy numbers: decided as the same Python number, written
to the decision log and replayed alike. A flag or a fraction is still no amount."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, replay_log

np = pytest.importorskip("numpy")

ON = dt.date(2026, 3, 2)
CUSTOMER = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 10),
                       birth_date=dt.date(1980, 5, 1), investable_assets=2_000_000.0)
PRODUCT = fp.Product(id="p1", kind="wealth_management", risk_level="R3")


def _plain(decision: fp.SuitabilityDecision) -> dict[str, Any]:
    return {k: v for k, v in decision.to_dict().items() if k != "evaluated_at"}


@pytest.mark.parametrize(("given", "same_as"), [
    (np.int64(100_000), 100_000), (np.float32(250_000.5), 250_000.5),
    (np.uint32(3_000_000), 3_000_000)], ids=["int64", "float32", "uint32"])
def test_a_numpy_amount_decides_as_the_python_number(given: Any, same_as: float) -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    got = engine.check_suitability(CUSTOMER, PRODUCT, amount=given, as_of=ON)
    want = engine.check_suitability(CUSTOMER, PRODUCT, amount=same_as, as_of=ON)
    assert _plain(got) == _plain(want)
    assert got.amount == float(same_as)


@pytest.mark.parametrize("given", [np.bool_(True), True, Fraction(1, 3), "100000"],
                         ids=["numpy-bool", "bool", "fraction", "text"])
def test_a_flag_a_fraction_or_text_is_no_amount(given: Any) -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    with pytest.raises(fp.InputError) as info:
        engine.check_suitability(CUSTOMER, PRODUCT, amount=given, as_of=ON)
    assert info.value.problems[0].path == "amount"
    assert "expected a number" in str(info.value)


def test_numpy_amounts_are_logged_and_replay_alike(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    with DecisionLog(tmp_path / "audit.db", keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for amount in (np.int64(100_000), np.float32(250_000.5), np.uint8(7)):
            engine.check_suitability(CUSTOMER, PRODUCT, amount=amount, as_of=ON)
    report = replay_log(tmp_path / "audit.db", keys=keys)
    assert report.reproduced, str(report)
    assert report.entries == 3
