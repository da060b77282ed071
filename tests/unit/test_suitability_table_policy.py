"""A book decided as a table names the policy that decided each row, as a decision does: the
same book decided on 2026-01-31 and on 2026-02-01 is decided by two versions."""

from __future__ import annotations

import datetime as dt

import pytest

pa = pytest.importorskip("pyarrow")

import finpolicy as fp  # noqa: E402

ENGINE = fp.PolicyEngine(fp.load_bundle())
OFFER = [fp.Product(id="wm-17", kind="wealth_management", risk_level="R3",
                    issuer_risk_level="R4"),
         fp.Product(id="dep-1y", kind="time_deposit", risk_level="R1")]
# the second customer's assessment history sends the row to the row engine
BOOK = pa.table({"id": ["c1", "c2"], "risk_level": ["C3", "C3"],
                 "assessment_date": [dt.date(2025, 6, 1)] * 2,
                 "assessment_history": [None, "2024-12-01"]})


@pytest.mark.parametrize(("day", "version"), [(dt.date(2026, 1, 31), "1.3.0"),
                                              (dt.date(2026, 2, 1), "2.3.0")])
def test_each_row_names_the_version_in_force_on_the_day(day: dt.date, version: str) -> None:
    table = ENGINE.evaluate_table("suitability", BOOK, as_of=day, products=OFFER)
    rows = table.select(["customer_id", "product_id", "outcome", "policy_id",
                         "policy_version"]).to_pylist()
    want = []
    for product in OFFER:
        for customer in BOOK.to_pylist():
            d = ENGINE.check_suitability({k: v.split(";") if k == "assessment_history" else v
                                          for k, v in customer.items() if v is not None},
                                         product, as_of=day)
            assert d.policy.version == version
            want.append({"customer_id": d.customer_id, "product_id": d.product_id,
                         "outcome": d.outcome, "policy_id": d.policy.id,
                         "policy_version": d.policy.version})
    assert rows == want


def test_pairs_name_the_policy_too() -> None:
    sales = pa.table({"customer.id": ["c1", "c2"], "customer.risk_level": ["C3", "C3"],
                      "customer.assessment_date": [dt.date(2025, 6, 1)] * 2,
                      "customer.assessment_history": [None, "2024-12-01"],
                      "product.id": ["wm-17", "wm-17"],
                      "product.kind": ["wealth_management"] * 2,
                      "product.risk_level": ["R3", "R3"], "amount": [1000.0, None]})
    table = ENGINE.evaluate_table("suitability", sales,
                                  as_of="2026-01-31T16:00:00+00:00")  # 1 February in Beijing
    assert table.column("policy_version").to_pylist() == ["2.3.0", "2.3.0"]
    assert table.column("policy_id").to_pylist() == ["cn-suitability"] * 2
