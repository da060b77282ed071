"""Suitability tables at their boundaries: columns that are no field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3")]
SALE = {"customer.id": ["c1"], "customer.risk_level": ["C3"], "product.id": ["p1"],
        "product.kind": ["fund"], "product.risk_level": ["R3"], "amount": [1.0],
        "sale.first_purchase": [True]}


@pytest.mark.parametrize(("columns", "name", "products", "message"), [
    ({"id": ["c1"], "risk_levl": ["C3"]}, "risk_levl", OFFER, "did you mean `risk_level`?"),
    ({"id": ["c1"], "product.id": ["p1"]}, "product.id", OFFER,
     "expected a field of a customer"),
    ({**SALE, "product.riskk_level": ["R5"]}, "product.riskk_level", None,
     "did you mean `product.risk_level`?"),
    ({**SALE, "id": ["c1"]}, "id", None, "expected customer.<field>, product.<field>"),
])
def test_a_column_that_is_no_field_is_refused_as_the_row_api_refuses_it(
        columns: dict[str, Any], name: str, products: Any, message: str) -> None:
    # a misspelt risk_levl was read as no risk level: every customer unsuitable, silently,
    # where Customer (and the CSV reader of `finpolicy suitability`) refuses the key
    with pytest.raises(InputError, match=f"unknown column `{name}`") as caught:
        ENGINE.evaluate_table("suitability", pa.table(columns), as_of=ON, products=products)
    assert message in str(caught.value) and caught.value.problems[0].path == name
    with pytest.raises(InputError, match="extra inputs are not permitted"):
        ENGINE.check_suitability({"id": "c1", "risk_levl": "C3"}, OFFER[0], as_of=ON)


def test_every_field_is_taken_by_its_column() -> None:
    got = ENGINE.evaluate_table("suitability", pa.table(SALE), as_of=ON)
    assert got.column("amount").to_pylist() == [1.0]
    customers = pa.table({"customer.id": ["c1"], "risk_level": ["C3"]})
    got = ENGINE.evaluate_table("suitability", customers, as_of=ON, products=OFFER)
    assert got.column("customer_level").to_pylist() == ["C3"]


def test_a_csv_book_takes_a_parquet_products_file(tmp_path: Any) -> None:
    # `finpolicy suitability book.csv --products offer.parquet` read the Parquet file as CSV:
    # 'offer.parquet line 1: not UTF-8 text'
    import pyarrow.parquet as pq

    from finpolicy.domains.suitability.batch import read_products

    path = tmp_path / "offer.parquet"
    pq.write_table(pa.table({"id": ["p1", "p2"], "kind": ["fund", "bond"],
                             "risk_level": ["R3", None], "term_months": [12, None]}), path)
    with pytest.raises(InputError, match=f"{path} line 2: product.risk_level: field required"):
        read_products(str(path))
    pq.write_table(pa.table({"id": ["p1"], "kind": ["fund"], "risk_level": ["R3"],
                             "term_months": [12]}), path)
    assert read_products(str(path)) == [fp.Product(id="p1", kind="fund", risk_level="R3",
                                                   term_months=12)]


def test_a_field_given_both_bare_and_as_customer_field_is_refused() -> None:
    # the bare column won silently: customer_level C5 though customer.risk_level said C1
    table = pa.table({"id": ["c1"], "risk_level": ["C5"], "customer.risk_level": ["C1"]})
    with pytest.raises(InputError, match="columns `risk_level` and `customer.risk_level` both "
                                         "give the customer's risk_level") as caught:
        ENGINE.evaluate_table("suitability", table, as_of=ON, products=OFFER)
    assert caught.value.fields == ("customer.risk_level",)
