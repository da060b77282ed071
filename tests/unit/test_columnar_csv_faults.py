"""A CSV book the batch API cannot read is refused at the file and line at fault, in the
structured problem (``file``, ``line``) as the row readers' errors are: Arrow's errors give
no line, and on a book of a million rows "not UTF-8" or "a cell too long" without one leaves
the night's operator to search the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")

import finpolicy as fp  # noqa: E402
from finpolicy.limits import MAX_CSV_CELL  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3")]
HEADER = b"id,received_at,channel,category,severity\n"
ROWS = 20_000  # past Arrow's first block and Python's first decoded block
BAD = 15_000   # the row at fault, on line BAD + 2


def _book(tmp_path: Path, bad: bytes) -> Path:
    path = tmp_path / "complaints.csv"
    path.write_bytes(HEADER + b"".join(
        bad if i == BAD else b"k%d,2026-02-20T09:00:00+08:00,branch,service,general\n" % i
        for i in range(ROWS)))
    return path


def _refused(path: Path) -> fp.InputError:
    for bad_rows in ("raise", "set_aside"):  # about the file: no row to set aside
        with pytest.raises(fp.InputError) as caught:
            fp.PolicyEngine().evaluate_table("complaints", str(path), as_of=NOW,
                                             bad_rows=bad_rows)
    return caught.value


def test_a_row_that_is_not_utf8_deep_in_a_book_is_named_at_its_line(tmp_path: Path) -> None:
    # 'table: complaints.csv: not a readable CSV file (In CSV column #0: CSV conversion
    # error to string: invalid UTF8 data)', no line anywhere: a GBK name on line 15,002
    path = _book(tmp_path, "k投诉,2026-02-20T09:00:00+08:00,branch,service,general\n"
                 .encode("gbk"))
    (problem,) = _refused(path).problems
    assert (problem.file, problem.line, problem.code) == (str(path), BAD + 2, "bad_table")
    assert "not UTF-8" in problem.message and "save the CSV as UTF-8" in problem.message


def test_a_cell_too_long_deep_in_a_book_is_named_at_its_line(tmp_path: Path) -> None:
    # 'table: complaints.csv: column `category` has a cell of 200,000 characters ...', no
    # line: which of the 20,000 rows?
    long = b"x" * (MAX_CSV_CELL + 10)
    path = _book(tmp_path, b"k1,2026-02-20T09:00:00+08:00,branch,%s,general\n" % long)
    (problem,) = _refused(path).problems
    assert (problem.file, problem.line, problem.code) == (str(path), BAD + 2,
                                                          "text_too_long")
    assert "`category`" in problem.message


def test_a_ragged_row_carries_its_file_and_line_in_the_problem(tmp_path: Path) -> None:
    # the line was in the message only ('complaints.csv: line 15002: not a readable CSV
    # file'), the problem's file and line None
    path = _book(tmp_path, b"k1,2026-02-20T09:00:00+08:00,branch,service,general,extra\n")
    error = _refused(path)
    (problem,) = error.problems
    assert (problem.file, problem.line) == (str(path), BAD + 2)
    assert "6 cells where the header has 5" in problem.message
    assert str(error).startswith(f"{path} line {BAD + 2}: ")


def test_lines_ending_in_a_carriage_return_are_counted(tmp_path: Path) -> None:
    # read as lines ending in \n, the whole file was line 1: 'line 1: not valid CSV:
    # new-line character seen in unquoted field'
    path = tmp_path / "mac.csv"
    path.write_bytes(HEADER.replace(b"\n", b"\r") + b"k1,2026-02-20T09:00:00+08:00,branch,"
                     b"service,general\rk2,2026-02-20T09:00:00+08:00,branch\r")
    (problem,) = _refused(path).problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "3 cells where the header has 5" in problem.message


@pytest.mark.parametrize("bad_rows", ["raise", "set_aside"])
def test_a_quote_left_open_is_refused_not_read_as_the_rest_of_the_file(
        tmp_path: Path, bad_rows: str) -> None:
    # c2's quote is never closed: Arrow read 'C3\nc3,C4\nc4,C5\n' as its risk level, set c2
    # aside and never named c3 or c4, neither decided nor set aside; in a free-text column
    # the rows after it were decided as one
    path = tmp_path / "customers.csv"
    path.write_text('id,risk_level\nc1,C3\nc2,"C3\nc3,C4\nc4,C5\n', encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().evaluate_table("suitability", str(path), as_of=NOW.date(),
                                         products=OFFER, bad_rows=bad_rows)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "never closed: lines 3 to 5 were read as one row" in problem.message
    # a quoted line break that is closed is a cell's own, as before
    path.write_text('id,risk_level\nc1,C3\nc2,"C3\nC4"\nc3,C4\n', encoding="utf-8")
    done = fp.PolicyEngine().evaluate_table("suitability", str(path), as_of=NOW.date(),
                                            products=OFFER, bad_rows="set_aside")
    assert [(r["row"], r["key"]) for r in done.rejected.to_pylist()] == [(4, "c2")]


def test_an_empty_file_and_a_header_that_is_not_utf8_name_their_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    (problem,) = _refused(empty).problems
    assert (problem.file, problem.line) == (str(empty), None)
    assert "empty" in problem.message
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("编号,received_at\n".encode("gbk") + b"k1,2026-02-20T09:00:00+08:00\n")
    (problem,) = _refused(gbk).problems
    assert (problem.file, problem.line) == (str(gbk), 1)
    assert "not UTF-8" in problem.message
