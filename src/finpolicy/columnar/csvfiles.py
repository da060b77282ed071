"""CSV files as the batch API reads them beside Arrow's reader: the header (the first row
that is not blank), each row's line as the row reader numbers it, and the line and reason of
what makes a file unreadable (Arrow's errors give no line), located in the structured problem
(``file``, ``line``) as the row readers' errors are."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_CSV_CELL
from finpolicy.readers import open_quote, open_quote_error, raise_other_separator

__all__ = ["checked_cells", "closed_quotes", "csv_fault", "csv_header", "csv_lines",
           "file_error", "header_row", "only_header"]


def header_row(reader: Any) -> list[str] | None:
    """The first row that is not blank (Arrow skips blank lines before the header too: read
    as the header, a leading blank line left every column to Arrow's type inference)."""
    for row in reader:
        if row:
            return list(row)
    return None


def file_error(path: str, line: int | None, message: str, code: str = "bad_table"
                ) -> InputError:
    """An error about the file ``path`` itself, at ``line`` when one is at fault (the
    structured problem names both, as the row readers' errors do)."""
    return InputError([InputProblem("table", message, code, path, file=path, line=line)])


def csv_header(path: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = header_row(reader)
        except (UnicodeDecodeError, csv.Error):  # (text is decoded a block at a time)
            fault = csv_fault(path, None)
            raise file_error(path, fault and fault[0], "not a readable CSV file (" + (
                fault[1] if fault else "not UTF-8 text") + ")") from None
        if header is None:
            raise file_error(path, None, "the file is empty: expected a header row")
        if len(header) == 1:
            raise_other_separator(path, reader.line_num, header[0])
        return header


def csv_fault(path: str, width: int | None) -> tuple[int, str] | None:
    """The line of ``path`` and what is wrong with the first row (counting the header) that
    is not UTF-8 text, holds a cell longer than ``MAX_CSV_CELL`` characters, is not valid CSV
    or (``width``: the header's) has another number of cells: Arrow's errors give no line,
    and a decoding error is found a block at a time. ``None`` when Python finds none."""
    number = 0

    def lines(handle: Any) -> Iterator[str]:
        nonlocal number
        for raw in handle:  # lines end in \n, \r\n or \r (a spreadsheet's Mac export)
            for piece in raw.splitlines(keepends=True):
                number += 1
                yield piece.decode("utf-8-sig" if number == 1 else "utf-8")

    with contextlib.suppress(OSError), open(path, "rb") as handle:
        csv.field_size_limit(MAX_CSV_CELL)
        reader = csv.reader(lines(handle))
        try:
            header_row(reader)
            before = reader.line_num
            for row in reader:
                if row and width is not None and len(row) != width:
                    span = "" if reader.line_num == before + 1 else \
                        f", a row from line {before + 1}: a quote left open?"
                    cells = f"{len(row)} cell" + ("" if len(row) == 1 else "s")
                    return reader.line_num, f"{cells} where the header has {width}{span}"
                before = reader.line_num
        except UnicodeDecodeError as exc:
            return number, (f"not UTF-8 text (byte {exc.start + 1} of the line); save the "
                            "CSV as UTF-8")
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                return number, (f"a cell longer than the {MAX_CSV_CELL:,} characters a cell "
                                "may hold")
            return number, f"not valid CSV: {exc}"
    return None


def closed_quotes(batch: pa.RecordBatch, path: str) -> None:
    """Refuse ``path`` when a quote in it is never closed: Arrow, as Python's lenient reader,
    reads every line after it into that cell, so the rows there would be neither decided nor
    set aside (a cell of the file's last row holding a line break is the sign)."""
    if not batch.num_rows:
        return
    row = batch.slice(batch.num_rows - 1)
    if not any(pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py()
               for column in row.columns
               if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return
    found = open_quote(path)
    if found is not None:
        raise open_quote_error(path, found)


def csv_lines(path: str, rows: Any) -> dict[int, int]:
    """The line of the CSV file ``path`` of each of ``rows`` (data rows counting from 1), as
    the row reader numbers them: blank lines are no rows, and a quoted cell's line breaks
    count (the line a row ends on). Arrow gives rows, not lines; a row past the file's end
    keeps its number after the header."""
    wanted = {int(r) for r in rows}
    out: dict[int, int] = {}
    with contextlib.suppress(csv.Error, UnicodeDecodeError, OSError), \
            open(path, encoding="utf-8-sig", newline="") as handle:
        csv.field_size_limit(MAX_CSV_CELL)
        reader = csv.reader(handle)
        header_row(reader)
        row = 0
        for cells in reader:
            if not wanted - out.keys():
                break
            if cells:
                row += 1
                if row in wanted:
                    out[row] = reader.line_num
    return {r: out.get(r, r + 1) for r in wanted}


def checked_cells(batch: pa.RecordBatch, path: str) -> pa.RecordBatch:
    """The batch, when no cell is longer than a CSV cell may be (as the row readers check)."""
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        longest = pc.max(pc.utf8_length(column)).as_py()
        if longest is not None and longest > MAX_CSV_CELL:
            fault = csv_fault(path, None)
            raise file_error(path, fault and fault[0], f"column `{name}` has a cell of "
                              f"{longest:,} characters, more than the {MAX_CSV_CELL:,} a "
                              "cell may hold", "text_too_long")
    return batch


def only_header(path: str) -> bool:
    """Whether no row follows the header of ``path``."""
    with contextlib.suppress(csv.Error, UnicodeDecodeError, OSError), \
            open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header_row(reader)
        return not any(reader)
    return False
