"""Spark with the column types a warehouse gives: timestamps, decimals, 32-bit integers, a
sale's own id as the key; every decision as the single process decides it."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

ON = dt.date(2026, 3, 2)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_decides_a_warehouse_typed_sales_book_keyed_by_its_sales(spark: Any) -> None:
    from pyspark.sql import types as T

    import finpolicy as fp
    from finpolicy.spark import _plain, collect, evaluate

    fields = [("order_id", T.LongType()), ("customer.id", T.StringType()),
              ("customer.risk_level", T.StringType()),
              ("customer.assessment_date", T.TimestampType()),
              ("customer.investable_assets", T.DecimalType(20, 2)),
              ("customer.investment_horizon_months", T.IntegerType()),
              ("product.id", T.StringType()), ("product.kind", T.StringType()),
              ("product.risk_level", T.StringType()), ("amount", T.DecimalType(18, 2))]
    utc = dt.UTC
    rows = [(i, f"c{i % 7}", [None, "C1", "C3", "C5"][i % 4],
             None if i % 5 == 0 else dt.datetime(2025, 1 + i % 12, 1, 16 + i % 8, tzinfo=utc),
             None if i % 3 == 0 else decimal.Decimal(f"{i * 1000}.50"),
             None if i % 2 else 6 + i % 30, f"p{i % 2}", ["fund", "bond"][i % 2],
             ["R2", "R4"][i % 2], decimal.Decimal(f"{(i % 9) * 20000}.00"))
            for i in range(120)]
    frame = spark.createDataFrame(rows, T.StructType([T.StructField(n, t) for n, t in fields]))
    got = collect(evaluate(frame.repartition(3), "suitability", as_of=ON, key="order_id"))
    local = pa.Table.from_pylist([dict(zip([n for n, _ in fields], r, strict=True))
                                  for r in rows])
    want = _plain(fp.PolicyEngine().evaluate_table("suitability", local, as_of=ON,
                                                   key="order_id"))
    assert sorted(got.to_pylist(), key=lambda r: r["order_id"]) == want.to_pylist()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_spark_an_offer_and_role_assignments_may_be_spark_frames(spark: Any) -> None:
    # products=spark.read.parquet(...) was refused: 'expected a pyarrow Table, a pandas or
    # polars DataFrame ... got DataFrame'; the role assignments likewise
    import finpolicy as fp
    from finpolicy.spark import collect, evaluate

    offer = spark.createDataFrame([("p1", "fund", "R3"), ("p2", "bond", "R5")],
                                  "id string, kind string, risk_level string")
    book = spark.createDataFrame([("c0", "C1"), ("c1", "C5")], "id string, risk_level string")
    got = collect(evaluate(book, "suitability", as_of=ON, products=offer, key="id"))
    want = fp.PolicyEngine().evaluate_table(
        "suitability", pa.table({"id": ["c0", "c1"], "risk_level": ["C1", "C5"]}), as_of=ON,
        products=[fp.Product(id="p1", kind="fund", risk_level="R3"),
                  fp.Product(id="p2", kind="bond", risk_level="R5")], key="id")
    key = ("id", "product_id")
    assert sorted(got.select(["id", "product_id", "outcome"]).to_pylist(),
                  key=lambda r: tuple(r[k] for k in key)) == sorted(
        want.select(["id", "product_id", "outcome"]).to_pylist(),
        key=lambda r: tuple(r[k] for k in key))
    assignments = spark.createDataFrame([("boss", "department_head")],
                                        "subject_id string, role string")
    grant = {"id": "g1", "grantee": "u1", "purpose": "account_service",
             "resource_type": "customer_record", "data_level": "core", "category": "business",
             "requested_at": "2026-01-01T09:00:00+08:00", "approved_by": "boss",
             "approver_roles": "department_head", "approved_at": "2026-01-01T10:00:00+08:00",
             "expires_at": "2026-03-01T00:00:00+08:00"}
    grants = spark.createDataFrame([tuple(grant.values())],
                                   ", ".join(f"{k} string" for k in grant))
    at = "2026-03-31T18:00+08:00"
    found = collect(evaluate(grants, "access", what="review", as_of=at,
                             assignments=assignments))
    alone = fp.PolicyEngine().review_access(
        [{**grant, "approver_roles": ["department_head"]}],
        [{"subject_id": "boss", "role": "department_head"}], as_of=at)
    assert sorted(found.column("kind").to_pylist()) == sorted(f.kind for f in alone.findings)
