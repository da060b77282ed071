"""Classification records with bad rows set aside: the good rows are decided exactly as a
table of them alone, every bad row is in the rejects once, at its row, with the error that
refused it, and a chunk with many bad rows is decided again without them all at once (the
record loop names every row it refuses in one evaluation) instead of in halves around each.

``finpolicy scan`` has no ``--bad-rows``: it decides no row. It classifies columns from
samples of their values, and every cell is a value to it (text, a number, a date, bytes as
``<binary>``; a short row padded); what it refuses is the file (an encoding, a value beyond
the header's columns, which would be scanned under no column), not a row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.domains.classification import columnar  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)
NAMES = ["张三", "李四", "王五", "赵六", "钱七"]
MOBILES = ["13800138000", "13912345678", "", "15000000000", None]


def _book(n: int) -> tuple[Any, dict[int, tuple[str, str]]]:
    """``n`` records, and the bad ones (index: field, code): a score that is no finite
    number, a blob of bytes, a list of phone numbers holding a number that is not finite."""
    score: list[float | None] = [float(i) for i in range(n)]
    blob: list[bytes | None] = [None] * n
    phones: list[list[float | None] | None] = [None] * n
    bad: dict[int, tuple[str, str]] = {}
    for i in range(n):
        if i % 23 == 4:
            score[i] = float("nan") if i % 2 else float("-inf")
            bad[i] = ("record.score", "non_finite")
        elif i % 31 == 9:
            blob[i] = b"\xff\x00"
            bad[i] = ("record.blob", "bad_value")
        elif i % 37 == 11:
            phones[i] = [13800138000.0, float("inf")]
            bad[i] = ("record.phones[1]", "non_finite")
        elif i % 5 == 2:
            phones[i] = [13800138000.0, None]  # a list: decided by the row engine, good
    table = pa.table({
        "id": [f"r{i}" for i in range(n)],
        "name": [NAMES[i % len(NAMES)] for i in range(n)],
        "mobile": [MOBILES[i % len(MOBILES)] for i in range(n)],
        "score": score,
        "blob": pa.array(blob, pa.binary()),
        "phones": pa.array(phones, pa.list_(pa.float64())),
    })
    return table, bad


def _good(table: Any, bad: dict[int, Any]) -> Any:
    return table.take([i for i in range(table.num_rows) if i not in bad])


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows of each evaluation of a batch of records."""
    calls: list[int] = []
    decide = columnar.decide_batch

    def counted(runtime: Any, batch: Any, **options: Any) -> Any:
        calls.append(batch.num_rows)
        return decide(runtime, batch, **options)

    monkeypatch.setattr(columnar, "decide_batch", counted)
    return calls


def test_a_book_with_many_bad_rows_decides_the_good_ones_as_alone_in_two_evaluations(
        evaluations: list[int]) -> None:
    book, bad = _book(1_000)
    alone = ENGINE.evaluate_table("classification", _good(book, bad), as_of=ON, key="id")
    evaluations.clear()
    got = ENGINE.evaluate_table("classification", book, as_of=ON, key="id",
                                bad_rows="set_aside")
    # one evaluation names every bad row; the chunk is decided again without them, once
    # (halves around each bad row took some 500 evaluations of pieces)
    assert evaluations == [1_000, 1_000 - len(bad)]
    assert got.decided.equals(alone)
    rejects = got.rejected.to_pylist()
    assert [r["row"] for r in rejects] == [i + 1 for i in sorted(bad)]
    assert [r["key"] for r in rejects] == [f"r{i}" for i in sorted(bad)]
    assert [(r["field"], r["code"]) for r in rejects] == [bad[i] for i in sorted(bad)]
    assert {r["file"] for r in rejects} == {"table"}
    for record in rejects:
        assert record["reason"].startswith(f"{record['field']}: expected ")
    assert {code for _, code in bad.values()} == {"non_finite", "bad_value"}


@pytest.mark.parametrize("chunk_rows", [64, 100, 10_000])
def test_a_parquet_book_sets_each_bad_row_aside_once_at_its_row_whatever_the_chunks(
        tmp_path: Path, chunk_rows: int, evaluations: list[int]) -> None:
    book, bad = _book(300)
    path = tmp_path / "records.parquet"
    pq.write_table(book, path)
    alone = ENGINE.evaluate_table("classification", _good(book, bad), as_of=ON, key="id")
    evaluations.clear()
    got = ENGINE.evaluate_table("classification", str(path), as_of=ON, key="id",
                                bad_rows="set_aside", chunk_rows=chunk_rows)
    assert got.decided.to_pylist() == alone.to_pylist()
    rejects = got.rejected.to_pylist()
    assert [r["row"] for r in rejects] == [i + 1 for i in sorted(bad)]
    assert [(r["key"], r["field"], r["code"]) for r in rejects] == [
        (f"r{i}", *bad[i]) for i in sorted(bad)]
    assert {r["file"] for r in rejects} == {str(path)}
    # every chunk holds several bad rows: each is evaluated twice, the second time without
    # all of them
    expected: list[int] = []
    for start in range(0, 300, chunk_rows):
        size = min(chunk_rows, 300 - start)
        expected += [size, size - sum(1 for i in bad if start <= i < start + size)]
    assert evaluations == expected
    # by default the first bad row still stops the book, at its row, alone
    with pytest.raises(InputError) as raised:
        ENGINE.evaluate_table("classification", str(path), as_of=ON, key="id",
                              chunk_rows=chunk_rows)
    first = min(bad)
    assert raised.value.problems[0].line == first + 1
    assert len(raised.value.problems) == 1
