"""``as_of`` written as text with a space between date and time (as ISO allows, and as
``str(datetime)`` and databases write it) is the same instant as with a ``T``: taken on its
day in the policy's time zone, so at the change of rule it is decided by the same version."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
CUSTOMER = {"id": "c1", "risk_level": "C3", "assessment_date": "2025-06-01"}
# the seller rates it R3, the issuer R4: the higher counts from 2026-02-01 (NFRA Art. 22)
PRODUCT = {"id": "wm-17", "kind": "wealth_management", "risk_level": "R3",
           "issuer_risk_level": "R4"}
LATE = dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC)  # 04:00 on 1 February in Beijing


@pytest.mark.parametrize("as_of", [str(LATE), "2026-01-31 20:00:00+00:00",
                                   "2026-01-31 20:00Z", "2026-02-01 04:00+08:00"])
def test_a_time_written_with_a_space_is_decided_on_its_beijing_day(as_of: str) -> None:
    # it was taken on its own date, 31 January: suitable under the 2018 rule, where the
    # same instant written with a T is unsuitable under the NFRA rule
    want = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=LATE)
    assert (want.as_of, want.policy.version, want.outcome) == (
        dt.date(2026, 2, 1), "2.3.0", "unsuitable")
    d = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=as_of)
    assert (d.as_of, d.policy.version, d.outcome) == (want.as_of, "2.3.0", "unsuitable")
    listed = ENGINE.suitable_products(CUSTOMER, [PRODUCT], as_of=as_of)
    assert listed[0].policy.version == "2.3.0"


def test_a_book_is_decided_alike() -> None:
    pa = pytest.importorskip("pyarrow")
    book = pa.table({"id": ["c1"], "risk_level": ["C3"], "assessment_date": ["2025-06-01"]})
    row = ENGINE.evaluate_table("suitability", book, as_of="2026-01-31 20:00:00+00:00",
                                products=[PRODUCT]).to_pylist()[0]
    assert (row["outcome"], row["product_level"]) == ("unsuitable", "R4")


def test_a_date_and_an_earlier_time_stay_on_31_january() -> None:
    for as_of in ("2026-01-31", "2026-01-31 15:59:59+00:00"):
        d = ENGINE.check_suitability(CUSTOMER, PRODUCT, as_of=as_of)
        assert (d.as_of, d.policy.version) == (dt.date(2026, 1, 31), "1.3.0")
