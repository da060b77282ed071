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
