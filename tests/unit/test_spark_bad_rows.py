"""Spark with ``bad_rows="set_aside"``: each partition sets its bad rows aside as the batch
API does, the good rows are decided exactly as a frame of them alone, and the rejects come as
their own DataFrame, at their partition and row; by default a bad row still fails the job."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ON = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3"),
         fp.Product(id="p2", kind="bond", risk_level="R1")]
LEVELS = ["C1", "C2", "C9", "C3", "C4", "", "C5", "X"] * 6


def _rows(table: Any) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def _customers() -> Any:
    return pa.table({"id": [f"c{i}" if i % 11 else "" for i in range(len(LEVELS))],
                     "risk_level": [v or None for v in LEVELS]})


def _bad(table: Any) -> set[str | None]:
    return {r["id"] for r in table.to_pylist()
            if not r["id"] or r["risk_level"] in ("C9", "X")}


def test_a_partitions_rejects_travel_with_its_decisions_and_name_the_partition() -> None:
    # without a Spark session: what a partition's task gives
    pytest.importorskip("pyspark")
    from finpolicy.spark import _REJECTED, _decided

    table = _customers()
    batches = table.to_batches(max_chunksize=5)
    both = pa.Table.from_batches(list(_decided(
        fp.PolicyEngine(), iter(batches), table.column_names, "partition 3", "suitability",
        as_of=ON, products=OFFER, chunk_rows=7, bad_rows="set_aside")))
    rejected = both.filter(both.column(_REJECTED).is_valid()).column(_REJECTED).to_pylist()
    assert {r["key"] or "" for r in rejected} == {k or "" for k in _bad(table)}
    assert {r["file"] for r in rejected} == {"partition 3"}
    assert sorted(r["row"] for r in rejected) == [
        i + 1 for i, r in enumerate(table.to_pylist()) if r["id"] in _bad(table)]
    good = table.filter(pa.array([r["id"] not in _bad(table) for r in table.to_pylist()]))
    decided = both.filter(both.column(_REJECTED).is_null()).drop_columns([_REJECTED])
    from finpolicy.spark import _plain
    want = _plain(fp.PolicyEngine().evaluate_table("suitability", good, as_of=ON,
                                                   products=OFFER))
    assert _rows(decided) == _rows(want)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_sets_bad_rows_aside_partition_by_partition(spark: Any) -> None:
    from finpolicy.spark import _plain, collect, evaluate

    table = _customers()
    frame = spark.createDataFrame(table.to_pandas()).repartition(3)
    with pytest.raises(Exception, match="customer"):  # by default the job fails, as before
        collect(evaluate(frame, "suitability", as_of=ON, products=OFFER))
    decided, rejected = evaluate(frame, "suitability", as_of=ON, products=OFFER,
                                 bad_rows="set_aside")
    good = table.filter(pa.array([r["id"] not in _bad(table) for r in table.to_pylist()]))
    want = _plain(fp.PolicyEngine().evaluate_table("suitability", good, as_of=ON,
                                                   products=OFFER))
    assert _rows(collect(decided)) == _rows(want)
    rejects = collect(rejected).to_pylist()
    assert sorted(r["key"] or "" for r in rejects) == sorted(
        r["id"] for r in table.to_pylist() if r["id"] in _bad(table))
    assert all(r["file"].startswith("partition ") and r["reason"] for r in rejects)
    # complaints too: an unparseable date set aside, the others decided
    complaints = pa.table({"id": ["k1", "k2", "k3"],
                           "received_at": ["2026-02-20T09:00:00+08:00", "last tuesday",
                                           "2026-02-25T09:00:00+08:00"],
                           "channel": ["branch"] * 3, "category": ["service"] * 3})
    decided, rejected = evaluate(spark.createDataFrame(complaints.to_pandas()), "complaints",
                                 as_of=NOW, bad_rows="set_aside")
    want = _plain(fp.PolicyEngine().evaluate_table("complaints", complaints.take([0, 2]),
                                                   as_of=NOW))
    assert _rows(collect(decided)) == _rows(want)
    assert [(r["key"], r["field"]) for r in collect(rejected).to_pylist()] == [
        ("k2", "received_at")]


def test_an_unknown_bad_rows_value_is_refused_on_the_driver() -> None:
    pytest.importorskip("pyspark")
    from finpolicy.spark import evaluate

    with pytest.raises(InputError, match="bad_rows"):
        evaluate(object(), "suitability", as_of=ON, products=OFFER, bad_rows="skip")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_spark_review_sets_a_bad_grant_aside_and_reports_the_assignments_once(
        spark: Any) -> None:
    from finpolicy.spark import collect, evaluate

    day = dt.timedelta(days=1)

    def grant(i: int, **changes: Any) -> dict[str, Any]:
        return {"id": f"g{i}", "grantee": "u-1", "purpose": "account_service",
                "resource_type": "customer_record", "data_level": "core",
                "category": "business", "requested_at": (NOW - 20 * day).isoformat(),
                "approved_by": "u-head", "approver_roles": "department_head",
                "approved_at": (NOW - 19 * day).isoformat(),
                "expires_at": (NOW + 5 * day).isoformat(), **changes}

    grants = pa.Table.from_pylist([grant(0, expires_at="soon"), grant(1),
                                   grant(2, approved_by="u-1"), grant(3)])
    assignments = [{"subject_id": "u-head", "role": "department_head",
                    "assigned_at": (NOW - 400 * day).isoformat()},
                   {"subject_id": "u-9", "role": "auditor",
                    "assigned_at": (NOW - 900 * day).isoformat()}]
    options = {"as_of": NOW, "what": "review", "assignments": assignments}
    decided, rejected = evaluate(spark.createDataFrame(grants.to_pandas()).repartition(2),
                                 "access", bad_rows="set_aside", **options)
    want = fp.PolicyEngine().evaluate_table("access", grants.slice(1), **options)
    assert _rows(collect(decided)) == _rows(want)  # the assignments' findings once
    assert [(r["key"], r["field"]) for r in collect(rejected).to_pylist()] == [
        ("g0", "expires_at")]
