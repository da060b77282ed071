"""Spark at its boundaries: a row's error names its row of the partition."""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

import pytest

from tests.helpers.tools import require, require_module

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


@pytest.fixture(scope="module")
def spark() -> Any:
    require_module("pyspark", "spark")
    require(shutil.which("java") is not None,
            "needs a Java runtime on PATH (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("finpolicy-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


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
