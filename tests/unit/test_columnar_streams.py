"""A book as a stream of Arrow batches (a partitioned Parquet dataset, a Spark partition):
read once, in chunks of ``chunk_rows`` rows, with exactly the decisions of the whole table."""

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
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3"),
         fp.Product(id="p2", kind="fund", risk_level="R5")]
TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 31, 18, tzinfo=TZ)


def _book(n: int) -> Any:
    levels = ["C1", "C2", "C3", "C4", "C5", None]
    return pa.table({"id": [f"c{i}" for i in range(n)],
                     "risk_level": [levels[i % 6] for i in range(n)],
                     "assessment_date": [dt.date(2025, 1 + i % 12, 1) for i in range(n)]})


def test_a_partitioned_parquet_dataset_is_read_as_one_stream(tmp_path: Any) -> None:
    # a bank's book is a folder of Parquet files: its dataset's batches were refused
    # ('expected a pyarrow Table ... got RecordBatchReader'), so the whole book had to be
    # read into memory first
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    book = _book(50)
    for part in range(5):
        pq.write_table(book.slice(part * 10, 10), tmp_path / f"part-{part}.parquet")
    want = ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER, chunk_rows=16)
    files = sorted(str(p) for p in tmp_path.iterdir())
    stream = ds.dataset(files).scanner(batch_size=3).to_reader()
    parts = list(ENGINE.iter_tables("suitability", stream, as_of=ON, products=OFFER,
                                    chunk_rows=16))
    assert [t.num_rows for t in parts] == [32, 32, 32, 4]  # 16, 16, 16 and 2 customers
    assert pa.concat_tables(parts).to_pylist() == want.to_pylist()


def test_a_streams_rows_errors_are_located_across_its_batches() -> None:
    book = _book(7).set_column(1, "risk_level", pa.array(["C1"] * 6 + ["C9"]))
    stream = pa.RecordBatchReader.from_batches(book.schema, book.to_batches(max_chunksize=2))
    with pytest.raises(InputError, match="unknown level `C9`") as caught:
        ENGINE.evaluate_table("suitability", stream, as_of=ON, products=OFFER, chunk_rows=3)
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == ("table", 7)


def test_an_empty_stream_gives_the_decisions_columns() -> None:
    book = _book(0)
    stream = pa.RecordBatchReader.from_batches(book.schema, [])
    got = ENGINE.evaluate_table("suitability", stream, as_of=ON, products=OFFER)
    assert got.num_rows == 0 and "customer_id" in got.column_names


def _grant(i: int, grant_id: str) -> dict[str, Any]:
    return {"id": grant_id, "grantee": f"u{i}", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": dt.datetime(2026, 1, 1, 9, tzinfo=TZ), "approved_by": "boss",
            "approver_roles": ["department_head"],
            "approved_at": dt.datetime(2026, 1, 1, 10, tzinfo=TZ),
            "expires_at": dt.datetime(2026, 3, 1, tzinfo=TZ)}


def test_on_spark_a_grant_given_twice_in_a_partition_is_refused_across_its_chunks() -> None:
    # the guide says a grant id given twice is refused within each partition, but each chunk
    # of chunk_rows rows was reviewed as a table of its own: g1 at rows 2 and 4 of a
    # partition in chunks of 2 had its findings reported twice
    pytest.importorskip("pyspark")
    from finpolicy.spark import _decided

    grants = pa.Table.from_pylist([_grant(i, g) for i, g in enumerate(["g0", "g1", "g2", "g1"])])
    decided = _decided(ENGINE, iter(grants.to_batches(max_chunksize=1)), grants.column_names,
                       "partition 2", "access", what="review", as_of=AT, chunk_rows=2,
                       assignments=[{"subject_id": "boss", "role": "department_head"}])
    with pytest.raises(InputError, match="listed twice") as caught:
        list(decided)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == ("partition 2", 4, "id")


def test_a_column_named_twice_is_refused_without_rows_too() -> None:
    # Spark checks a job's columns on an empty table on the driver: a frame joined with a
    # column named twice ('id' from both sides) passed there, and failed only in the
    # executors' tasks; an empty table gave an empty decisions table
    twice = pa.Table.from_arrays([pa.array([], pa.string())] * 2, names=["id", "id"])
    with pytest.raises(InputError, match="the column `id` appears twice"):
        ENGINE.evaluate_table("suitability", twice, as_of=ON, products=OFFER)
    with pytest.raises(InputError, match="the column `id` appears twice"):
        ENGINE.evaluate_table("access", twice, as_of=AT)
