"""Spark at its boundaries: a row's error names its row of the partition."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ON = dt.date(2026, 3, 2)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3")]


def _customers(levels: list[str | None]) -> Any:
    return pa.table({"id": [f"c{i}" for i in range(len(levels))],
                     "risk_level": pa.array(levels, pa.string())})


def test_a_rows_error_is_located_at_its_row_of_the_partition() -> None:
    pytest.importorskip("pyspark")
    from finpolicy.spark import _decided

    # Spark hands a partition over in Arrow batches: the row's line counted from the start
    # of its batch ("table line 2" for the partition's 5th row)
    batches = [*_customers(["C1", "C2", "C3"]).to_batches(),
               *_customers(["C1", "C9"]).to_batches()]
    decided = _decided(fp.PolicyEngine(), iter(batches), ["id", "risk_level"], "partition 3",
                       "suitability", as_of=ON, products=OFFER)
    with pytest.raises(InputError) as caught:
        list(decided)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == ("partition 3", 5,
                                                          "customer.risk_level")


def test_a_partition_is_decided_in_chunks_of_chunk_rows_not_of_sparks_batches() -> None:
    # every Arrow batch (10,000 rows by default) was decided as a chunk of its own, whatever
    # chunk_rows said: customers x products came product by product within each batch
    pytest.importorskip("pyspark")
    from finpolicy.spark import _decided, _plain

    engine = fp.PolicyEngine()
    table = _customers(["C1", "C2", "C3", "C4", "C5", "C1", "C2", "C3", "C4", "C5"])
    offer = [*OFFER, fp.Product(id="p2", kind="fund", risk_level="R5")]
    decided = _decided(engine, iter(table.to_batches(max_chunksize=2)), table.column_names,
                       "partition 0", "suitability", chunk_rows=4, as_of=ON, products=offer)
    want = _plain(engine.evaluate_table("suitability", table, as_of=ON, products=offer,
                                        chunk_rows=4))
    assert pa.Table.from_batches(list(decided)).to_pylist() == want.to_pylist()


def test_a_frame_that_is_no_spark_dataframe_is_refused() -> None:
    # AttributeError: 'DataFrame' object has no attribute 'toDF' (a pandas frame)
    pytest.importorskip("pyspark")
    pd = pytest.importorskip("pandas")
    from finpolicy.spark import evaluate

    for frame in (pd.DataFrame({"id": ["c1"]}), None):
        with pytest.raises(InputError, match="expected a pyspark.sql.DataFrame"):
            evaluate(frame, "suitability", as_of=ON, products=OFFER)


def test_on_spark_the_evaluation_time_is_required() -> None:
    # the guide says "Fix as_of: executors must not read their own clocks", and without it
    # each executor read its own: a job running past midnight decided partitions on
    # different days
    pytest.importorskip("pyspark")
    from finpolicy.spark import evaluate

    with pytest.raises(InputError, match="as_of: on Spark, give the evaluation time"):
        evaluate(object(), "suitability", products=OFFER)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
# pyspark 3.5 leaves the socket it collects Arrow batches through to the garbage collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_spark_a_rows_error_names_its_partition_and_row(spark: Any) -> None:
    from finpolicy.spark import collect, evaluate

    frame = spark.createDataFrame([("c0", "C1"), ("c1", "C2"), ("c2", "C9")],
                                  "id string, risk_level string").coalesce(1)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "2")
    try:
        with pytest.raises(Exception, match=r"partition 0 line 3: customer\.risk_level"):
            collect(evaluate(frame, "suitability", as_of=ON, products=OFFER))
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_spark_a_review_gives_the_role_assignments_findings_once(spark: Any) -> None:
    # every Arrow batch of every partition reviewed the role assignments again: an SoD
    # conflict came once per batch
    import datetime as dt

    from finpolicy.spark import collect, evaluate

    tz = dt.UTC  # Spark keeps instants, not their offsets, and messages quote the times
    grant = {"id": "g1", "grantee": "u1", "purpose": "account_service",
             "resource_type": "customer_record", "data_level": "core",
             "category": "basic_identity", "requested_at": dt.datetime(2026, 3, 1, 8, tzinfo=tz),
             "approved_by": "u-head-7", "approver_roles": ["department_head"],
             "approved_at": dt.datetime(2026, 3, 1, 9, tzinfo=tz),
             "expires_at": dt.datetime(2026, 3, 10, tzinfo=tz)}
    grants = pa.Table.from_pylist([{**grant, "id": f"g{i}"} for i in range(6)])
    assignments = [{"subject_id": "u1", "role": "teller"},
                   {"subject_id": "u1", "role": "compliance_auditor"},
                   {"subject_id": "u-head-7", "role": "department_head"}]
    options: dict[str, Any] = {"what": "review", "as_of": "2026-03-31T18:00+08:00",
                               "assignments": assignments}
    want = fp.PolicyEngine().evaluate_table("access", grants, **options)
    frame = spark.createDataFrame(grants.to_pandas()).repartition(3)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1")
    try:
        got = collect(evaluate(frame, "access", **options))
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")

    def rows(table: Any) -> list[tuple[Any, ...]]:
        return sorted((r["kind"], r["grant_id"] or "", r["subject_id"] or "", r["role"] or "",
                       r["message"]) for r in table.to_pylist())
    assert "sod_conflict" in want.column("kind").to_pylist()
    assert rows(got) == rows(want)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_spark_a_products_file_is_read_on_the_driver(spark: Any, tmp_path: Any) -> None:
    # executors read the file named by `products` themselves, at the action: on a cluster
    # (or once the file is gone) they found no such file
    from finpolicy.spark import collect, evaluate

    path = tmp_path / "offer.csv"
    path.write_text("id,kind,risk_level\np1,fund,R3\np2,bond,R5\n", encoding="utf-8")
    frame = spark.createDataFrame([("c0", "C1"), ("c1", "C5")], "id string, risk_level string")
    decisions = evaluate(frame, "suitability", as_of=ON, products=str(path))
    path.unlink()
    assert collect(decisions).num_rows == 4


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_spark_options_are_checked_on_the_driver(spark: Any) -> None:
    # a bad chunk_rows failed every task at the action, as Spark's exception
    from finpolicy.spark import evaluate

    frame = spark.createDataFrame([("c0", "C1")], "id string, risk_level string")
    with pytest.raises(InputError, match="chunk_rows"):
        evaluate(frame, "suitability", as_of=ON, products=OFFER, chunk_rows=0)
    with pytest.raises(InputError, match="take no option `product`"):
        evaluate(frame, "suitability", as_of=ON, product=OFFER)
