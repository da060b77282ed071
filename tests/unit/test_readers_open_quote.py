"""The CSV row reader (``finpolicy suitability``, ``sla``, ``review`` … on a CSV file) refuses a
quote that is never closed, at the line it opens: read leniently, every line after it became
one cell of its row, so with ``--bad-rows`` the rows there were neither decided nor set
aside."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.errors import InputError
from finpolicy.readers import iter_csv_rows

OPEN = 'id,risk_level\nc1,C3\nc2,"C3\nc3,C4\nc4,C5\n'


def test_a_quote_left_open_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(OPEN, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_csv_rows(str(path)))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "never closed" in problem.message
    # closed, a line break in a cell is the cell's, as before
    path.write_text('id,note\nc1,"two\nlines"\nc2,x\n', encoding="utf-8")
    assert [(n, r["id"], r["note"]) for n, r in iter_csv_rows(str(path))] == [
        (3, "c1", "two\nlines"), (4, "c2", "x")]


def test_with_bad_rows_the_command_stops_rather_than_lose_the_rows_after_it(
        tmp_path: Path) -> None:
    # it set one row aside (c2, its risk level 'C3\nc3,C4\nc4,C5') and exited 1: c3 and c4
    # were in no report and no rejects file
    book, products = tmp_path / "customers.csv", tmp_path / "products.csv"
    book.write_text(OPEN, encoding="utf-8")
    products.write_text("id,kind,risk_level\np1,fund,R3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", str(book), "--products", str(products),
                                       "--as-of", "2026-03-02", "--bad-rows",
                                       str(tmp_path / "rejects.csv")])
    assert result.exit_code == 3, result.output
    assert f"{book} line 3: a quote opened on this line is never closed" in result.output
