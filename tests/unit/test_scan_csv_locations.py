"""``finpolicy scan`` locates a CSV file's errors in the structured problem (``file``,
``line``), as every other CSV reader does: a value beyond the header's columns was named at
its line in the message only (``problems[0].line`` was ``None``), and an encoding error or a
quote never closed at no line at all (the rows after it scanned as one cell of its row),
whether the file is read by rows or column-wise, in whichever chunk its last row is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp

ON = dt.date(2026, 3, 2)


def test_a_value_beyond_the_header_carries_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name,phone\nalice,13800000000\nbob,13900000000,extra\n",
                    encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().scan(path, as_of=ON)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.code) == (str(path), 3, "bad_csv")


def test_a_line_that_is_not_the_encoding_carries_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"name,phone\n" + b"".join(b"n%d,138%08d\n" % (i, i) for i in range(20_000))
                     + "张三,13800000000\n".encode("gbk"))
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().scan(path, as_of=ON)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.code) == (str(path), 20_002, "bad_encoding")


def test_a_quote_never_closed_is_refused_at_its_line(tmp_path: Path) -> None:
    # read leniently, the rows after the quote were one cell of its row: scanned as notes,
    # an ID number among them counted once in a column of another name
    path = tmp_path / "c.csv"
    path.write_text('name,notes\nzhang,"hello\nli,11010519491231002X\n', encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().scan(path, as_of=ON)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 2)


@pytest.mark.parametrize("columnar", [True, False], ids=["columns", "rows"])
@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
def test_a_quote_never_closed_is_refused_whichever_chunk_holds_the_last_row(
        tmp_path: Path, columnar: bool, chunk_rows: int) -> None:
    # chunk_rows 2: the row holding the open quote ends the file and fills a whole chunk
    path = tmp_path / "d.csv"
    path.write_text('name,notes\nwang,ok\nzhang,"hello\nli,11010519491231002X\n',
                    encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().scan(path, as_of=ON, columnar=columnar, chunk_rows=chunk_rows)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "never closed" in problem.message
    # closed, the quoted line break is a cell's
    path.write_text('name,notes\nwang,ok\nzhang,"two\nlines"\n', encoding="utf-8")
    assert fp.PolicyEngine().scan(path, as_of=ON, columnar=columnar,
                                  chunk_rows=chunk_rows).rows == 2


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_quote_never_closed_in_a_file_of_another_encoding_or_delimiter(
        tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes('姓名;备注\n"张三";"好\n李四;11010519491231002X\n'.encode(encoding))
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().scan(path, as_of=ON, encoding=encoding)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 2)

