"""Spark on ``local[2]``: suitability pairs and complaints evaluated per partition give
exactly the single-process decisions; the bundle reaches executors by content."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))


def _sorted(table: Any, key: str) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: (r[key], r.get("product_id") or ""))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
# pyspark 3.5 leaves the socket it collects Arrow batches through to the garbage collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_gives_exactly_the_single_process_decisions(spark: Any) -> None:
    import columnar as books

    import finpolicy as fp
    from finpolicy.spark import _plain, collect, evaluate

    engine = fp.PolicyEngine()
    customers = books.customers(3_000)
    offer = books.products(5)
    pairs = books.customers(2_000, seed=5).rename_columns(
        [f"customer.{n}" for n in books.customers(1).column_names])
    pairs = pairs.append_column("product.id", pa.array(["p1", "p2"] * 1_000)) \
        .append_column("product.kind", pa.array(["fund", "bond"] * 1_000)) \
        .append_column("product.risk_level", pa.array(["R3", "R5"] * 1_000)) \
        .append_column("amount", pa.array([50_000.0, 900_000.0] * 1_000))
    open_ = books.complaints(3_000)
    for table, domain, options, key in (
            (pairs, "suitability", {"as_of": books.ON}, "customer_id"),
            (customers, "suitability", {"as_of": books.ON, "products": offer}, "customer_id"),
            (open_, "complaints", {"as_of": books.NOW}, "complaint_id")):
        frame = spark.createDataFrame(table.to_pandas()).repartition(3)
        got = collect(evaluate(frame, domain, **options))
        want = _plain(engine.evaluate_table(domain, table, **options))
        assert _sorted(got, key) == _sorted(want, key), domain


def test_a_shipped_bundle_is_refused_under_another_digest() -> None:
    from finpolicy.errors import PolicyError
    from finpolicy.spark import _engine, pack_bundle

    digest, files = pack_bundle()
    with pytest.raises(PolicyError, match="digest"):
        _engine("0" * 64, tuple(sorted(files.items())), "compiled")
    assert _engine(digest, tuple(sorted(files.items())), "compiled").bundle.digest == digest


def test_long_form_events_are_refused_on_spark_with_what_to_do() -> None:
    # each partition sees only its own complaints: a whole events table cannot be joined there
    from finpolicy.errors import InputError
    from finpolicy.spark import evaluate

    with pytest.raises(InputError) as caught:
        evaluate(object(), "complaints", events="events.parquet")
    assert caught.value.problems[0].path == "events"
    assert "pivot" in caught.value.problems[0].message


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
# pyspark 3.5 leaves the socket it collects Arrow batches through to the garbage collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_decides_access_requests_as_the_single_process_table(spark: Any) -> None:
    import columnar_access

    import finpolicy as fp
    from finpolicy.columnar.workdays import to_micros
    from finpolicy.spark import _plain, collect, evaluate

    table = columnar_access.requests(3_000, grants=0.05)
    options = {"as_of": columnar_access.AT, "directory": columnar_access.DIRECTORY}
    frame = spark.createDataFrame(table.to_pandas()).repartition(3)
    got = collect(evaluate(frame, "access", **options))
    want = _plain(fp.PolicyEngine().evaluate_table("access", table, **options))

    def rows(decisions: Any) -> list[str]:
        return sorted(repr({**r, "as_of": to_micros(r["as_of"])}) for r in decisions.to_pylist())
    assert rows(got) == rows(want)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_classifies_records_as_one_process_does(spark: Any) -> None:
    import random

    import finpolicy as fp
    from finpolicy.spark import _plain, collect, evaluate
    from finpolicy.testing.fakes import customer_records

    engine = fp.PolicyEngine()
    rows = list(customer_records(random.Random(4), 3_000))
    table = pa.Table.from_pylist([{"row": i, **r} for i, r in enumerate(rows)])
    options = {"as_of": "2026-03-02", "key": "row"}
    frame = spark.createDataFrame(table.to_pandas()).repartition(3)
    got = collect(evaluate(frame, "classification", **options))
    want = _plain(engine.evaluate_table("classification", table, **options))
    assert _sorted(got, "row") == _sorted(want, "row")
