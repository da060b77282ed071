"""Spark with ``bad_rows="set_aside"`` evaluates the book once for both DataFrames: the
decisions and the rejects read one persisted evaluation, however many actions run on either,
until the caller releases it. Counted with an accumulator on the input's rows (each
evaluation of a partition reads its rows once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ON = dt.date(2026, 3, 2)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3"),
         fp.Product(id="p2", kind="bond", risk_level="R1")]
ROWS = 60
LEVELS = ("C1", "C2", "C9", "C3", "C4", "C5")  # C9 is no level: a sixth of the rows set aside

pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              # pyspark leaves the socket it collects Arrow batches through to the collector
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


def _counted(spark: Any) -> tuple[Any, Any]:
    """A frame of ``ROWS`` customers in three partitions, and an accumulator counting the
    rows read from it: each evaluation of the book reads every row once."""
    from pyspark.sql.types import StringType, StructField, StructType

    reads = spark.sparkContext.accumulator(0)

    def row(i: int) -> tuple[str, str]:
        reads.add(1)
        return f"c{i}", LEVELS[i % len(LEVELS)]

    schema = StructType([StructField("id", StringType()), StructField("risk_level",
                                                                        StringType())])
    frame = spark.createDataFrame(spark.sparkContext.parallelize(range(ROWS), 3).map(row),
                                  schema)
    return frame, reads


def _actions(decided: Any, rejected: Any) -> tuple[int, int]:
    """What a night does with the pair: counts, collects and a second look at each."""
    from finpolicy.spark import collect

    counts = (decided.count(), rejected.count())
    assert collect(decided).num_rows == counts[0]
    assert collect(rejected).num_rows == counts[1]
    assert (decided.count(), rejected.count()) == counts
    return counts


@pytest.mark.slow
def test_both_dataframes_read_one_evaluation_until_released(spark: Any) -> None:
    from finpolicy.spark import evaluate

    frame, reads = _counted(spark)
    result = evaluate(frame, "suitability", as_of=ON, products=OFFER, bad_rows="set_aside")
    decided, rejected = result
    assert _actions(decided, rejected) == (2 * ROWS * 5 // 6, ROWS // 6)
    assert reads.value == ROWS  # eight actions, one evaluation
    assert result.decided is decided and result.rejected is rejected
    assert result.storage_level is not None and result.storage_level.useDisk
    result.unpersist(blocking=True)
    assert result.storage_level is None or not result.storage_level.useMemory
    decided.count()  # released: the next action evaluates the book again
    assert reads.value == 2 * ROWS


@pytest.mark.slow
def test_a_with_block_releases_and_a_named_level_is_kept(spark: Any) -> None:
    from pyspark import StorageLevel

    from finpolicy.spark import evaluate

    frame, reads = _counted(spark)
    with evaluate(frame, "suitability", as_of=ON, products=OFFER, bad_rows="set_aside",
                  storage_level="DISK_ONLY") as (decided, rejected):
        _actions(decided, rejected)
        assert reads.value == ROWS
    decided.count()
    assert reads.value == 2 * ROWS
    # a StorageLevel itself is taken too
    result = evaluate(frame, "suitability", as_of=ON, products=OFFER, bad_rows="set_aside",
                      storage_level=StorageLevel.MEMORY_ONLY)
    assert result.storage_level == StorageLevel.MEMORY_ONLY
    result.unpersist()


@pytest.mark.slow
def test_no_storage_level_keeps_nothing_and_raise_is_unchanged(spark: Any) -> None:
    from finpolicy.spark import evaluate

    frame, reads = _counted(spark)
    decided, rejected = evaluate(frame, "suitability", as_of=ON, products=OFFER,
                                 bad_rows="set_aside", storage_level=None)
    decided.count()
    rejected.count()
    assert reads.value == 2 * ROWS  # each action evaluates the book
    good = frame.where("risk_level != 'C9'")
    plain = evaluate(good, "suitability", as_of=ON, products=OFFER)
    assert not plain.is_cached  # `raise` returns the mapped frame, not persisted
    assert plain.count() == 2 * ROWS * 5 // 6


def test_an_unknown_storage_level_is_refused_on_the_driver() -> None:
    pytest.importorskip("pyspark")
    from finpolicy.spark import evaluate

    with pytest.raises(InputError, match="storage_level") as caught:
        evaluate(object(), "suitability", as_of=ON, products=OFFER, bad_rows="set_aside",
                 storage_level="MEMORY_MOSTLY")
    assert caught.value.problems[0].path == "storage_level"
    assert "MEMORY_AND_DISK" in caught.value.problems[0].message
