"""A customer listed twice in a customers × products book, or a complaint listed twice, is
refused at its later row naming the first (set aside there, the first decided), through
tables, chunks, CSV and Parquet books on the command line and Spark, as ``finpolicy sla``
treats a complaint listed twice and a review a grant given twice: two rows of one customer
at different levels gave it two conflicting decisions for every product."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.cli import main  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3"),
         fp.Product(id="p2", kind="bond", risk_level="R1")]
# c1 at C5 and again, on the file's line 5 (after a blank line), at C1
CUSTOMERS = ["id,risk_level", "c1,C5", "c2,C3", "", "c1,C1", "c4,C4"]
COMPLAINT = "{},2026-02-20T09:00:00+08:00,branch,{}"
COMPLAINTS = ["id,received_at,channel,category", COMPLAINT.format("k1", "service"),
              COMPLAINT.format("k2", "service"), "", COMPLAINT.format("k1", "product"),
              COMPLAINT.format("k4", "policy")]
TWICE = "customer `c1` is listed twice (lines 2 and 5)"


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _rows(table: Any) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def _without_line_5(path: Path, lines: list[str]) -> str:
    return _write(path.with_name("good_" + path.name), lines[:4] + lines[5:])


@pytest.mark.parametrize("chunk_rows", [1, 2, 65_536])
def test_a_customer_listed_twice_against_products_is_refused_at_its_later_line(
        tmp_path: Path, chunk_rows: int) -> None:
    book = _write(tmp_path / "book.csv", CUSTOMERS)
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                              chunk_rows=chunk_rows)
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.path, problem.code) == (
        book, 5, "id", "duplicate_value")
    assert TWICE in problem.message


@pytest.mark.parametrize("chunk_rows", [1, 2, 65_536])
def test_set_aside_the_later_row_of_a_customer_is_rejected_and_the_first_decided(
        tmp_path: Path, chunk_rows: int) -> None:
    book = _write(tmp_path / "book.csv", CUSTOMERS)
    got = ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                                bad_rows="set_aside", chunk_rows=chunk_rows)
    want = ENGINE.evaluate_table("suitability", _without_line_5(tmp_path / "book.csv", CUSTOMERS),
                                 as_of=ON, products=OFFER)
    assert _rows(got.decided) == _rows(want)
    assert [(d["customer_id"], d["customer_level"]) for d in got.decided.to_pylist()
            if d["customer_id"] == "c1"] == [("c1", "C5")] * 2  # once per product
    [reject] = got.rejected.to_pylist()
    assert (reject["row"], reject["key"], reject["code"]) == (5, "c1", "duplicate_value")
    assert TWICE in reject["reason"]


def test_a_table_in_memory_names_the_rows_and_a_refused_first_row_is_no_listing() -> None:
    table = pa.table({"id": ["c1", "c2", "c1"], "risk_level": ["C5", "C3", "C1"]})
    with pytest.raises(InputError, match=r"table line 3: id: customer `c1` is listed twice "
                                         r"\(rows 1 and 3\)"):
        ENGINE.evaluate_table("suitability", table, as_of=ON, products=OFFER)
    # the first row refused (an unknown level) is set aside; the later one is then the only
    bad_first = pa.table({"id": ["c1", "c2", "c1"], "risk_level": ["C9", "C3", "C1"]})
    got = ENGINE.evaluate_table("suitability", bad_first, as_of=ON, products=OFFER,
                                bad_rows="set_aside")
    assert [(r["row"], r["code"]) for r in got.rejected.to_pylist()] == [(1, "unknown_level")]
    assert sorted((d["customer_id"], d["customer_level"]) for d in got.decided.to_pylist()) == [
        ("c1", "C1"), ("c1", "C1"), ("c2", "C3"), ("c2", "C3")]
    # sales: each row is one sale, a customer buying two products is two rows
    sales = pa.table({"customer.id": ["c1", "c1"], "customer.risk_level": ["C3", "C3"],
                      "product.id": ["p1", "p2"], "product.kind": ["fund", "bond"],
                      "product.risk_level": ["R3", "R1"]})
    assert ENGINE.evaluate_table("suitability", sales, as_of=ON).num_rows == 2


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_finpolicy_suitability_refuses_or_sets_aside_a_customer_listed_twice(
        tmp_path: Path, kind: str) -> None:
    import pyarrow.parquet as pq

    products = _write(tmp_path / "products.csv", ["id,kind,risk_level", "p1,fund,R3",
                                                   "p2,bond,R1"])
    book = _write(tmp_path / "book.csv", CUSTOMERS)
    line = 5
    if kind == "parquet":
        table = pa.table({"id": ["c1", "c2", "c1", "c4"],
                          "risk_level": ["C5", "C3", "C1", "C4"]})
        book, line = str(tmp_path / "book.parquet"), 3
        pq.write_table(table, book)
    runner = CliRunner()
    result = runner.invoke(main, ["suitability", book, "--products", products,
                                  "--as-of", "2026-03-02", "--json"])
    assert result.exit_code == 3, result.output
    first = 2 if kind == "csv" else 1
    assert f"line {line}: id: customer `c1` is listed twice (lines {first} and {line})" in \
        result.output.replace("\n", " ")
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(main, ["suitability", book, "--products", products,
                                  "--as-of", "2026-03-02", "--json", "--bad-rows",
                                  str(rejects)])
    assert result.exit_code == 1, result.output
    with rejects.open(encoding="utf-8", newline="") as handle:
        [reject] = list(csv.DictReader(handle))
    assert (reject["row"], reject["key"], reject["code"]) == (str(line), "c1",
                                                              "duplicate_value")
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["total"] == 6  # three customers, two products each


@pytest.mark.parametrize("chunk_rows", [1, 65_536])
def test_a_complaint_listed_twice_in_a_table_is_refused_or_set_aside_as_sla_does(
        tmp_path: Path, chunk_rows: int) -> None:
    book = _write(tmp_path / "complaints.csv", COMPLAINTS)
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("complaints", book, as_of=NOW, chunk_rows=chunk_rows)
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.code) == (book, 5, "duplicate_value")
    assert "complaint `k1` is listed twice (lines 2 and 5)" in problem.message
    got = ENGINE.evaluate_table("complaints", book, as_of=NOW, chunk_rows=chunk_rows,
                                bad_rows="set_aside")
    want = ENGINE.evaluate_table("complaints", _without_line_5(tmp_path / "complaints.csv",
                                                               COMPLAINTS), as_of=NOW)
    assert _rows(got.decided) == _rows(want)
    assert [(r["row"], r["key"], r["code"]) for r in got.rejected.to_pylist()] == [
        (5, "k1", "duplicate_value")]
    # the same line that `finpolicy sla --bad-rows` sets aside
    rejects = tmp_path / "sla_rejects.csv"
    result = CliRunner().invoke(main, ["sla", book, "--as-of", NOW.isoformat(),
                                       "--bad-rows", str(rejects), "--json"])
    assert result.exit_code == 1, result.output
    with rejects.open(encoding="utf-8", newline="") as handle:
        assert [(r["row"], r["key"]) for r in csv.DictReader(handle)] == [("5", "k1")]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_refuses_an_id_listed_twice_across_partitions(spark: Any) -> None:
    from finpolicy.spark import collect, evaluate

    # c1 in the first and the last slice: two partitions, each with one row of it (the
    # later spelt with spaces around, as the batch API reads it trimmed)
    rows = [("c1", "C5"), ("c2", "C3"), ("c3", "C2"), (" c1 ", "C1")]
    frame = spark.createDataFrame(spark.sparkContext.parallelize(rows, 2),
                                  ["id", "risk_level"])
    with pytest.raises(Exception, match="customer `c1` is listed twice"):
        collect(evaluate(frame, "suitability", as_of=ON, products=OFFER))
    with evaluate(frame, "suitability", as_of=ON, products=OFFER,
                  bad_rows="set_aside") as (decided, rejected):
        got = collect(decided).to_pylist()
        [reject] = collect(rejected).to_pylist()
    levels = {d["customer_level"] for d in got if d["customer_id"] == "c1"}
    assert len(levels) == 1 and sum(d["customer_id"] == "c1" for d in got) == 2
    assert (reject["key"].strip(), reject["code"]) == ("c1", "duplicate_value")
    assert len(got) == 6
    complaints = [(k, "2026-02-20T09:00:00+08:00", "branch", "service")
                  for k in ("k1", "k2", "k3", "k1")]
    frame = spark.createDataFrame(spark.sparkContext.parallelize(complaints, 2),
                                  ["id", "received_at", "channel", "category"])
    with pytest.raises(Exception, match="complaint `k1` is listed twice"):
        collect(evaluate(frame, "complaints", as_of=NOW))
    decided, rejected = evaluate(frame, "complaints", as_of=NOW, bad_rows="set_aside",
                                 storage_level=None)
    assert sorted(collect(decided).column("complaint_id").to_pylist()) == ["k1", "k2", "k3"]
    assert [(r["key"], r["code"]) for r in collect(rejected).to_pylist()] == [
        ("k1", "duplicate_value")]
